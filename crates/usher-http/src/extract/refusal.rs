//! Refusing a request that no service read — a body, query string or
//! header that could not be read — and auditing it like every other
//! refusal, under the action the request asked for. Each caller type says
//! whom and which tenant the audit event names; [`Audited::refuse`] is
//! the one place that records it.

use super::admin::{SuperAdmin, TenantAdmin};
use super::request::Visitor;
use crate::AppState;
use crate::error::ApiResult;
use usher_core::Error;
use usher_core::audit::{AuditAction, AuditContext};
use usher_core::tenant::Tenant;

/// Who a refused request is recorded against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Audited<'a> {
    pub ctx: &'a AuditContext,
    /// `None` before a tenant is known (tenant-wide calls, unknown tenants).
    pub tenant: Option<&'a Tenant>,
}

impl Audited<'_> {
    /// Audits `e` as a refusal of `action`, and answers the error to give:
    /// `e` itself, or the storage failure that kept it from being audited.
    pub(crate) async fn refuse(self, state: &AppState, action: AuditAction, e: Error) -> Error {
        state
            .services
            .refuse_request(self.ctx, self.tenant, action, e)
            .await
    }
}

/// A caller whose refused requests are audited.
pub(crate) trait AuditedCaller {
    fn audited(&self) -> Audited<'_>;

    /// What the handler read, or (when it could not be read) the refusal,
    /// audited as `action` and answered as problem+json.
    async fn accept<T>(
        &self,
        state: &AppState,
        action: AuditAction,
        read: Result<T, Error>,
    ) -> ApiResult<T> {
        match read {
            Ok(v) => Ok(v),
            Err(e) => Err(self.audited().refuse(state, action, e).await.into()),
        }
    }
}

impl AuditedCaller for TenantAdmin {
    fn audited(&self) -> Audited<'_> {
        Audited {
            ctx: &self.ctx,
            tenant: Some(&self.tenant),
        }
    }
}

impl AuditedCaller for SuperAdmin {
    fn audited(&self) -> Audited<'_> {
        Audited {
            ctx: &self.ctx,
            tenant: None,
        }
    }
}

impl AuditedCaller for Visitor {
    fn audited(&self) -> Audited<'_> {
        Audited {
            ctx: &self.0,
            tenant: None,
        }
    }
}
