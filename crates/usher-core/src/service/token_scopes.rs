//! The admin scope of API tokens (see [`crate::scope`]). A token acts on
//! no more of the directory than whoever makes it: made by a scoped
//! caller, it takes their scope when the request names none, and any other
//! scope, or the whole tenant, is refused with 403 `forbidden` like a role
//! above the caller's. A tenant-wide caller may limit a token to any scope
//! of the tenant. The caller is whoever the request authenticates, so the
//! rule holds for tokens of nobody too: one made by a token (or the
//! bootstrap token) is bounded by that token's scope. A requested scope is
//! looked up exactly as an admin role grant's is
//! ([`Services::resolve_scope`]), so a bad one is the same 422 on the same
//! field. A scoped caller sees and revokes the tokens of its own scope
//! only: the others act where it may not look.

use super::Services;
use crate::audit::{AuditContext, AuditDraft};
use crate::error::{Error, ErrorCode, Missing, ValidationErrors};
use crate::ids::TokenId;
use crate::input::Patch;
use crate::scope::{AdminScope, same_scope};
use crate::tenant::Tenant;
use crate::token::{ApiToken, TokenRequest};
use serde_json::{Value, json};

/// The scope as the API and the audit log show it (`null`: the whole
/// tenant).
fn shown(scope: Option<&AdminScope>) -> Value {
    scope.map_or(Value::Null, AdminScope::to_json)
}

/// Whether a caller acting under `ctx` may see and revoke `token`: a
/// tenant-wide caller every token of the tenant, a scoped one the tokens
/// of its own scope alone.
pub(super) fn token_in_reach(ctx: &AuditContext, token: &ApiToken) -> bool {
    ctx.scope.is_none() || same_scope(ctx.scope.as_ref(), token.admin_scope.as_ref())
}

impl Services {
    /// The scope a token being made acts on: the one `request` asks for,
    /// looked up in the tenant, or the caller's own when it asks for none.
    /// Super-admin and SCIM tokens act beyond any scope. A scoped caller
    /// gets its own scope or a refusal; every refusal is recorded against
    /// `draft`.
    pub(super) async fn token_scope(
        &self,
        draft: &AuditDraft,
        ctx: &AuditContext,
        tenant: Option<&Tenant>,
        request: &TokenRequest,
    ) -> Result<Option<AdminScope>, Error> {
        let scopable = tenant.is_some() && !request.scim;
        let wanted = match (tenant, &request.scope) {
            (Some(t), Patch::Value(asked)) if scopable => {
                let found = self.resolve_scope(t, asked.clone()).await;
                Some(self.accept(draft, found).await?)
            }
            // `TokenRequest::from_json` refuses this already; a request
            // built elsewhere must not have its scope silently dropped.
            (_, Patch::Value(_)) => {
                let e = Error::Validation(ValidationErrors::single(
                    "scope",
                    ErrorCode::InvalidValue,
                    "a super-admin or SCIM token acts beyond any scope: its scope can only be null",
                ));
                return Err(self.refuse(draft.clone(), e).await);
            }
            (_, Patch::Absent) if scopable => ctx.scope.clone(),
            (_, Patch::Absent | Patch::Null) => None,
        };
        if ctx.scope.is_some() && !same_scope(ctx.scope.as_ref(), wanted.as_ref()) {
            let e = Error::Forbidden(
                "you administer part of the directory only: a token you make acts on that part \
                 and no other"
                    .into(),
            );
            let refused = draft.clone().details(json!({
                "reason": "outside_your_scope",
                "scope": shown(wanted.as_ref()),
                "your_scope": shown(ctx.scope.as_ref()),
            }));
            return Err(self.refuse(refused, e).await);
        }
        Ok(wanted)
    }

    /// Refuses, as `token_not_found`, a scoped caller's revoke of a token
    /// outside its reach ([`token_in_reach`]): to that caller the token
    /// does not exist. A tenant-wide caller is never refused here.
    pub(super) async fn check_token_in_reach(
        &self,
        draft: &AuditDraft,
        ctx: &AuditContext,
        tenant: Option<&Tenant>,
        id: TokenId,
    ) -> Result<(), Error> {
        if ctx.scope.is_none() {
            return Ok(());
        }
        // A tenant has a handful of tokens, and only a scoped caller's
        // revoke reads them here: not worth a lookup by id in every store.
        // The scope of a token never changes, so nothing moves between
        // this read and the delete but the token's own revoke (then 404).
        let tokens = self.store.list_tokens(tenant.map(|t| t.id)).await?;
        if tokens.iter().any(|t| t.id == id && token_in_reach(ctx, t)) {
            return Ok(());
        }
        Err(self
            .refuse(draft.clone(), Error::NotFound(Missing::Token))
            .await)
    }
}
