//! `/api/v1/tenants/{tenant}/bulk-processes`: upload a CSV file naming
//! users ([`upload`]), start the action over them, follow it row by row,
//! cancel it.

pub(crate) mod responses;
use usher_core::audit::AuditAction;
pub(crate) mod upload;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, QueryParams, TenantAdmin, bounded_param, parse_json};
use crate::schema::{BodyErrors, CommonErrors};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use responses::{BulkProcessList, BulkProcessResponse, BulkRowList};
use serde::Deserialize;
use usher_core::Error;
use utoipa::{IntoParams, ToSchema};

/// Query of `GET /bulk-processes`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Processes older than this one (from the previous page's `next`).
    pub before: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<String>,
}

/// Query of `GET /bulk-processes/{id}/rows`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RowsQuery {
    /// Rows after this line (from the previous page's `next`).
    pub after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<String>,
}

/// The body of a start (optional).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct StartRequest {
    /// Required (true) for a process that deletes users.
    pub confirm_delete: Option<bool>,
}

/// List bulk processes, newest first.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/bulk-processes", tag = "bulk",
    params(("tenant" = String, Path, description = "Tenant slug"), ListQuery),
    responses((status = 200, description = "A page of processes", body = BulkProcessList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_bulk_processes(
    State(state): State<AppState>,
    admin: TenantAdmin,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<BulkProcessList>> {
    let parsed = q.and_then(|q| {
        Ok((
            bounded_param("limit", q.limit.as_ref(), 1, 100, 20)?,
            q.before,
        ))
    });
    let (limit, before) = admin.accept(&state, AuditAction::BulkList, parsed).await?;
    let items = state
        .services
        .list_bulk(&admin.tenant, &admin.ctx, before.as_deref(), limit as u32)
        .await?;
    let next = (items.len() as i64 == limit).then(|| {
        format!(
            "/api/v1/tenants/{}/bulk-processes?limit={limit}&before={}",
            admin.tenant.slug,
            items.last().map(|p| p.id.to_string()).unwrap_or_default()
        )
    });
    Ok(Json(BulkProcessList {
        items: items.iter().map(Into::into).collect(),
        next,
    }))
}

/// A bulk process: its state, counts and progress.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/bulk-processes/{id}", tag = "bulk",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "Bulk process id (UUID)")),
    responses((status = 200, description = "The process", body = BulkProcessResponse), CommonErrors),
    security(("bearer" = [])))]
pub async fn get_bulk_process(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<BulkProcessResponse>> {
    let p = state
        .services
        .get_bulk(&admin.tenant, &admin.ctx, &id)
        .await?;
    Ok(Json((&p).into()))
}

/// A bulk process's rows, in line order, each with its outcome.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/bulk-processes/{id}/rows", tag = "bulk",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "Bulk process id (UUID)"), RowsQuery),
    responses((status = 200, description = "A page of rows", body = BulkRowList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_bulk_process_rows(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
    QueryParams(q): QueryParams<RowsQuery>,
) -> ApiResult<Json<BulkRowList>> {
    let parsed = q.and_then(|q| {
        Ok((
            bounded_param("after", q.after.as_ref(), 0, i64::from(u32::MAX), 0)?,
            bounded_param("limit", q.limit.as_ref(), 1, 1000, 100)?,
        ))
    });
    let (after, limit) = admin.accept(&state, AuditAction::BulkRows, parsed).await?;
    let (p, rows) = state
        .services
        .bulk_rows(&admin.tenant, &admin.ctx, &id, after as u32, limit as u32)
        .await?;
    let next = (rows.len() as i64 == limit).then(|| {
        format!(
            "/api/v1/tenants/{}/bulk-processes/{}/rows?limit={limit}&after={}",
            admin.tenant.slug,
            p.id,
            rows.last().map(|r| r.line).unwrap_or_default()
        )
    });
    Ok(Json(BulkRowList {
        items: rows.into_iter().map(Into::into).collect(),
        next,
    }))
}

/// Start an uploaded bulk process; it runs in the background.
///
/// A process that deletes users needs `{"confirm_delete": true}`.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/bulk-processes/{id}/start", tag = "bulk",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "Bulk process id (UUID)")),
    request_body(content = Option<StartRequest>, content_type = "application/json"),
    responses((status = 202, description = "Running", body = BulkProcessResponse),
        (status = 409, description = "invalid_bulk_state: not waiting to start", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn start_bulk_process(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<BulkProcessResponse>)> {
    let confirm = admin
        .accept(&state, AuditAction::BulkStart, confirm_delete(&body))
        .await?;
    let p = state
        .services
        .start_bulk(&admin.tenant, &admin.ctx, &id, confirm)
        .await?;
    Ok((StatusCode::ACCEPTED, Json((&p).into())))
}

/// An empty body, or a JSON object with an optional boolean `confirm_delete`.
fn confirm_delete(body: &Bytes) -> Result<bool, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    let v = parse_json(body)?;
    let mut r = usher_core::input::ObjectReader::new(v).map_err(Error::Validation)?;
    let confirm = r.bool("confirm_delete");
    let errors = r.finish();
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    Ok(matches!(confirm, usher_core::input::Patch::Value(true)))
}

/// Cancel a bulk process: rows already run stay run, the rest never run.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/bulk-processes/{id}/cancel", tag = "bulk",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "Bulk process id (UUID)")),
    responses((status = 200, description = "Cancelled", body = BulkProcessResponse),
        (status = 409, description = "invalid_bulk_state: already finished", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn cancel_bulk_process(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<BulkProcessResponse>> {
    let p = state
        .services
        .cancel_bulk(&admin.tenant, &admin.ctx, &id)
        .await?;
    Ok(Json((&p).into()))
}
