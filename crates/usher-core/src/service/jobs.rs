//! The job list and the retry of failed jobs, for a tenant's admins and for
//! super-admins (who see every job, the installation-wide ones included).

use super::Services;
use crate::audit::{AuditAction, AuditContext};
use crate::error::{Error, ErrorCode, Missing};
use crate::ids::JobId;
use crate::job::{JobKind, JobQuery, JobRecord, JobState};
use crate::listing::{Cursor, Page, parse_limit};
use crate::tenant::Tenant;
use serde_json::json;

/// The list's filters as they arrive.
#[derive(Debug, Clone, Default)]
pub struct JobParams {
    pub kind: Option<String>,
    pub state: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl JobParams {
    fn query(&self, tenant: Option<&Tenant>) -> Result<JobQuery, Error> {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let kind = match given(&self.kind) {
            None => None,
            Some(k) => Some(JobKind::parse(&k).ok_or_else(|| {
                let names: Vec<&str> = JobKind::ALL.iter().map(|k| k.as_str()).collect();
                Error::bad_request(
                    ErrorCode::InvalidKindFilter,
                    format!("kind must be one of {}", names.join(", ")),
                )
            })?),
        };
        let state = match given(&self.state) {
            None => None,
            Some(s) => Some(JobState::parse(&s).ok_or_else(|| {
                Error::bad_request(
                    ErrorCode::InvalidStateFilter,
                    "state must be queued, running, completed or failed",
                )
            })?),
        };
        let cursor = Cursor::decode(self.cursor.as_deref())?;
        if let Cursor::After(k) | Cursor::Before(k) = &cursor {
            k.parse::<JobId>().map_err(|_| {
                Error::bad_request(
                    ErrorCode::InvalidCursor,
                    "the cursor is not valid; start again from the first page",
                )
            })?;
        }
        Ok(JobQuery {
            tenant: tenant.map(|t| t.id),
            kind,
            state,
            limit: parse_limit(self.limit)?,
            cursor,
        })
    }
}

impl Services {
    /// A page of a tenant's jobs, or (`tenant` `None`, super-admins) of
    /// every job, newest first.
    pub async fn list_jobs(
        &self,
        tenant: Option<&Tenant>,
        ctx: &AuditContext,
        params: &JobParams,
    ) -> Result<Page<JobRecord>, Error> {
        let draft = self
            .draft(ctx, tenant, AuditAction::JobList)
            .details(json!({"kind": params.kind, "state": params.state}));
        let query = self.accept(&draft, params.query(tenant)).await?;
        let page = self.store.list_jobs(&query).await?;
        self.store.append_audit(draft).await?;
        Ok(page)
    }

    /// Queues a failed job again.
    pub async fn retry_job(
        &self,
        tenant: Option<&Tenant>,
        ctx: &AuditContext,
        id: &str,
    ) -> Result<JobRecord, Error> {
        let draft = self.draft(ctx, tenant, AuditAction::JobRetry);
        let parsed = id
            .parse::<JobId>()
            .map_err(|_| Error::NotFound(Missing::Job));
        let job = self
            .accept(&draft.clone().details(json!({"id": id})), parsed)
            .await?;
        self.store
            .retry_job(
                tenant.map(|t| t.id),
                job,
                self.clock.now(),
                draft.target("job", job),
            )
            .await
    }
}
