//! An admin's reset of a user's second factors (a lost phone): every
//! factor and recovery code goes, every session ends, and the next login
//! makes the user enrol an authenticator, whatever the tenant's policy.
//! The admin gives a reason, which the audit keeps.

use super::Services;
use crate::audit::{AuditAction, AuditContext};
use crate::error::{Error, ErrorCode, FieldError, ValidationErrors};
use crate::input::{ObjectReader, Patch};
use crate::tenant::Tenant;
use serde_json::{Value, json};

/// The longest reason an admin may give.
pub const MAX_REASON_CHARS: usize = 500;

/// Reads `{reason}`: required, at most [`MAX_REASON_CHARS`] characters.
fn reason_of(body: Value) -> Result<String, Error> {
    let mut r = ObjectReader::new(body).map_err(Error::Validation)?;
    let reason = match r.string("reason") {
        Patch::Value(s) if s.chars().count() > MAX_REASON_CHARS => {
            r.push(FieldError::new(
                "reason",
                ErrorCode::TooLong,
                format!("may have at most {MAX_REASON_CHARS} characters"),
            ));
            None
        }
        Patch::Value(s) => Some(s),
        _ => {
            r.push(FieldError::new(
                "reason",
                ErrorCode::Required,
                "say why the second factors are reset (it is kept in the audit log)",
            ));
            None
        }
    };
    let errors: ValidationErrors = r.finish();
    match reason {
        Some(reason) if errors.is_empty() => Ok(reason),
        _ => Err(Error::Validation(errors)),
    }
}

impl Services {
    /// Resets the user's second factors; answers how many were removed.
    pub async fn reset_second_factors(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        user_id: &str,
        body: Value,
    ) -> Result<u64, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::UserMfaReset);
        let uid = self.accept(&draft, Self::parse_user_id(user_id)).await?;
        let draft = draft.target("user", uid);
        let reason = self.accept(&draft, reason_of(body)).await?;
        let draft = draft.details(json!({"reason": reason}));
        self.store
            .reset_factors(tenant.id, uid, self.clock.now(), draft)
            .await
    }
}
