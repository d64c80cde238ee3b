//! `/api/v1/tenants/{tenant}/jobs` and, for super-admins, `/api/v1/jobs`:
//! background work (mail deliveries, bulk runs, sweeps) and the retry of
//! jobs that failed.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, QueryParams, SuperAdmin, TenantAdmin, int_param};
use crate::paging::links;
use crate::schema::{CommonErrors, Links};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use time::OffsetDateTime;
use usher_core::audit::AuditAction;
use usher_core::job::JobRecord;
use usher_core::listing::Page;
use usher_core::service::JobParams;
use usher_core::tenant::Tenant;
use usher_core::{Error, TenantId};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Query of `GET /jobs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListJobsQuery {
    /// `invitation_sweep`, `mail_delivery`, `bulk_run`, `import_run`, `job_purge`,
    /// `audit_seal` or `noop`.
    pub kind: Option<String>,
    /// `queued`, `running`, `completed` or `failed`.
    pub state: Option<String>,
    /// Page size, 1 to 200 (default 20).
    pub limit: Option<String>,
    /// Opaque cursor from a previous page's links.
    pub cursor: Option<String>,
}

/// One job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobResponse {
    pub id: Uuid,
    pub kind: String,
    /// The tenant's slug; `null` for installation-wide work.
    pub tenant: Option<String>,
    /// `queued`, `running`, `completed` or `failed`.
    pub state: String,
    pub attempts: u32,
    /// When the job is due (again).
    #[serde(with = "time::serde::rfc3339")]
    pub run_at: OffsetDateTime,
    /// The process holding the job while it runs.
    pub lease_owner: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub lease_expires_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    /// What the job works on (a mail's or a bulk process's id).
    #[schema(value_type = Object)]
    pub payload: Value,
    /// For a recurring job, the seconds between two turns.
    pub every_seconds: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

impl JobResponse {
    fn new(j: &JobRecord, slug: Option<String>) -> Self {
        Self {
            id: j.id.uuid(),
            kind: j.kind.as_str().to_owned(),
            tenant: slug,
            state: j.state.as_str().to_owned(),
            attempts: j.attempts,
            run_at: j.run_at,
            lease_owner: j.lease_owner.clone(),
            lease_expires_at: j.lease_expires_at,
            last_error: j.last_error.clone(),
            payload: j.payload.clone(),
            every_seconds: j.every.map(|e| e.whole_seconds()),
            created_at: j.created_at,
            finished_at: j.finished_at,
        }
    }
}

/// A page of jobs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    pub items: Vec<JobResponse>,
    pub total: u64,
    pub links: Links,
}

fn params(q: &ListJobsQuery, limit: Option<i64>) -> JobParams {
    JobParams {
        kind: q.kind.clone(),
        state: q.state.clone(),
        limit,
        cursor: q.cursor.clone(),
    }
}

fn job_list(
    base: &str,
    q: &ListJobsQuery,
    limit: Option<i64>,
    page: Page<JobRecord>,
    slugs: &HashMap<TenantId, String>,
) -> JobList {
    let limit_s = limit.map(|l| l.to_string());
    let links = links(
        base,
        &[
            ("kind", q.kind.as_deref()),
            ("state", q.state.as_deref()),
            ("limit", limit_s.as_deref()),
        ],
        &page,
    );
    JobList {
        items: page
            .items
            .iter()
            .map(|j| JobResponse::new(j, j.tenant.and_then(|t| slugs.get(&t).cloned())))
            .collect(),
        total: page.total,
        links,
    }
}

fn one_slug(t: &Tenant) -> HashMap<TenantId, String> {
    HashMap::from([(t.id, t.slug.to_string())])
}

/// Every tenant's slug, for lists of jobs across tenants.
async fn all_slugs(state: &AppState) -> Result<HashMap<TenantId, String>, Error> {
    let tenants = state.services.store.list_tenants().await?;
    Ok(tenants
        .into_iter()
        .map(|t| (t.id, t.slug.to_string()))
        .collect())
}

/// List a tenant's jobs.
///
/// Background work done for the tenant: mail deliveries, bulk runs. Newest
/// first; `total` is exact.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/jobs", tag = "jobs",
    params(("tenant" = String, Path, description = "Tenant slug"), ListJobsQuery),
    responses((status = 200, description = "A page of jobs, newest first", body = JobList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_jobs(
    State(state): State<AppState>,
    admin: TenantAdmin,
    QueryParams(q): QueryParams<ListJobsQuery>,
) -> ApiResult<Json<JobList>> {
    let parsed = q.and_then(|q| int_param("limit", q.limit.as_ref()).map(|l| (q, l)));
    let (q, limit) = admin.accept(&state, AuditAction::JobList, parsed).await?;
    let page = state
        .services
        .list_jobs(Some(&admin.tenant), &admin.ctx, &params(&q, limit))
        .await?;
    let base = format!("/api/v1/tenants/{}/jobs", admin.tenant.slug);
    Ok(Json(job_list(
        &base,
        &q,
        limit,
        page,
        &one_slug(&admin.tenant),
    )))
}

/// Retry a failed job.
///
/// Queues the job again, due now, with its attempts counted afresh. Only a
/// `failed` job can be retried (409 `job_not_failed` otherwise).
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/jobs/{id}/retry", tag = "jobs",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "The job, queued again", body = JobResponse),
        (status = 409, description = "job_not_failed", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn retry_job(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<JobResponse>> {
    let job = state
        .services
        .retry_job(Some(&admin.tenant), &admin.ctx, &id)
        .await?;
    Ok(Json(JobResponse::new(
        &job,
        Some(admin.tenant.slug.to_string()),
    )))
}

/// List every job (super-admin).
///
/// The jobs of every tenant and the installation-wide ones (the sweep of
/// expired invitations, the purge of finished jobs).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    params(ListJobsQuery),
    responses((status = 200, description = "A page of jobs, newest first", body = JobList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_all_jobs(
    State(state): State<AppState>,
    admin: SuperAdmin,
    QueryParams(q): QueryParams<ListJobsQuery>,
) -> ApiResult<Json<JobList>> {
    let parsed = q.and_then(|q| int_param("limit", q.limit.as_ref()).map(|l| (q, l)));
    let (q, limit) = admin.accept(&state, AuditAction::JobList, parsed).await?;
    let page = state
        .services
        .list_jobs(None, &admin.ctx, &params(&q, limit))
        .await?;
    let slugs = all_slugs(&state).await?;
    Ok(Json(job_list("/api/v1/jobs", &q, limit, page, &slugs)))
}

/// Retry any failed job (super-admin).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "The job, queued again", body = JobResponse),
        (status = 409, description = "job_not_failed", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn retry_any_job(
    State(state): State<AppState>,
    admin: SuperAdmin,
    Path(id): Path<String>,
) -> ApiResult<Json<JobResponse>> {
    let job = state.services.retry_job(None, &admin.ctx, &id).await?;
    let slugs = all_slugs(&state).await?;
    let slug = job.tenant.and_then(|t| slugs.get(&t).cloned());
    Ok(Json(JobResponse::new(&job, slug)))
}
