//! Admin API tokens: creating, listing and revoking them, and recognising
//! a presented one. What part of the directory a token acts on is decided
//! in [`super::token_scopes`].
//!
//! A revoked or expired token is refused by this process at once and by
//! every other process within the token cache's life ([`super::cache::TTL`],
//! 5 s): the cache keeps the token's expiry and is checked against it on
//! every hit.

use super::Services;
use super::token_scopes::token_in_reach;
use crate::access::AdminRole;
use crate::audit::{AuditAction, AuditContext};
use crate::error::{Error, ErrorCode, Missing};
use crate::ids::{Id, TokenId};
use crate::input::Patch;
use crate::scope::AdminScope;
use crate::tenant::Tenant;
use crate::token::{
    API_TOKEN_PREFIX, ApiToken, BOOTSTRAP_TOKEN_NAME, LAST_USED_PRECISION, SCIM_TOKEN_PREFIX,
    Secret, TokenRequest, TokenScope,
};
use serde_json::json;
use std::time::Instant;
use time::format_description::well_known::Rfc3339;

/// The shortest bootstrap secret accepted (an operator-chosen secret).
pub const MIN_BOOTSTRAP_LEN: usize = 16;

impl Services {
    /// Creates a token and answers its secret, which is shown only now.
    /// `tenant: None` makes a super-admin token.
    pub async fn create_token(
        &self,
        ctx: &AuditContext,
        tenant: Option<&Tenant>,
        scope: TokenScope,
        name: &str,
    ) -> Result<(ApiToken, Secret), Error> {
        let request = TokenRequest {
            name: name.to_owned(),
            scim: scope == TokenScope::Scim,
            admin_role: (scope == TokenScope::Admin && tenant.is_some())
                .then_some(AdminRole::TenantAdmin),
            expires_at: None,
            owner_id: None,
            scope: Patch::Absent,
        };
        self.issue_token(ctx, tenant, Ok(request)).await
    }

    /// Creates a token from a request the caller may have got wrong
    /// (`POST /tokens`); a refusal is audited like any other. The token
    /// acts on the scope [`Self::token_scope`] decides, and a token of a
    /// person must be one they could act as themselves.
    pub async fn issue_token(
        &self,
        ctx: &AuditContext,
        tenant: Option<&Tenant>,
        request: Result<TokenRequest, Error>,
    ) -> Result<(ApiToken, Secret), Error> {
        let draft = self.draft(ctx, tenant, AuditAction::TokenCreate);
        let now = self.clock.now();
        let checked = request.and_then(|r| {
            if r.scim && tenant.is_none() {
                return Err(Error::bad_request(
                    ErrorCode::TenantRequired,
                    "a SCIM token belongs to one tenant",
                ));
            }
            r.check(now)?;
            Ok(r)
        });
        let request = self.accept(&draft, checked).await?;
        let admin_scope = self.token_scope(&draft, ctx, tenant, &request).await?;
        let scope = if request.scim {
            TokenScope::Scim
        } else {
            TokenScope::Admin
        };
        let secret = Secret::generate(match scope {
            TokenScope::Admin => API_TOKEN_PREFIX,
            TokenScope::Scim => SCIM_TOKEN_PREFIX,
        });
        let token = ApiToken {
            id: Id::generate(),
            tenant_id: tenant.map(|t| t.id),
            scope,
            admin_role: request
                .admin_role
                .filter(|_| tenant.is_some() && !request.scim),
            name: request.name.trim().to_owned(),
            hash: secret.hash(),
            created_at: now,
            expires_at: request.expires_at,
            created_by: Some(ctx.actor.to_stored()),
            last_used_at: None,
            owner_id: request.owner_id.filter(|_| tenant.is_some()),
            admin_scope,
        };
        if let (Some(t), Some(owner)) = (tenant, token.owner_id)
            && !self
                .owner_covers(t.id, owner, token.owner_needs(), token.admin_scope.as_ref())
                .await?
        {
            let e = Error::Forbidden(format!(
                "a token acting as {} would be more powerful than you",
                token.role()
            ));
            return Err(self.refuse(draft, e).await);
        }
        let draft = draft.target("token", token.id).details(json!({
            "name": token.name,
            "scope": token.admin_scope.as_ref().map(AdminScope::to_json),
            "scim": scope == TokenScope::Scim,
            "role": token.role(),
            "super_admin": tenant.is_none(),
            "expires_at": token.expires_at.and_then(|t| t.format(&Rfc3339).ok()),
            "owner_id": token.owner_id.map(|o| o.to_string()),
        }));
        self.store.create_token(token.clone(), draft).await?;
        Ok((token, secret))
    }

    /// The tokens of a tenant, or the super-admin tokens for `None`; a
    /// scoped caller gets those of its own scope only.
    pub async fn list_tokens(
        &self,
        ctx: &AuditContext,
        tenant: Option<&Tenant>,
    ) -> Result<Vec<ApiToken>, Error> {
        let mut tokens = self.store.list_tokens(tenant.map(|t| t.id)).await?;
        tokens.retain(|t| token_in_reach(ctx, t));
        self.store
            .append_audit(
                self.draft(ctx, tenant, AuditAction::TokenList)
                    .details(json!({"returned": tokens.len()})),
            )
            .await?;
        Ok(tokens)
    }

    /// Revokes a token of the tenant (`None`: a super-admin token). It is
    /// refused from the next request on. A scoped caller revokes the tokens
    /// of its own scope only; another is `token_not_found` to it.
    pub async fn revoke_token(
        &self,
        ctx: &AuditContext,
        tenant: Option<&Tenant>,
        id: &str,
    ) -> Result<(), Error> {
        let draft = self.draft(ctx, tenant, AuditAction::TokenRevoke);
        let parsed = id
            .parse::<TokenId>()
            .map_err(|_| Error::NotFound(Missing::Token));
        let token = self
            .accept(&draft.clone().details(json!({"id": id})), parsed)
            .await?;
        let draft = draft.target("token", token);
        self.check_token_in_reach(&draft, ctx, tenant, token)
            .await?;
        let result = self
            .store
            .delete_token(tenant.map(|t| t.id), token, draft)
            .await;
        // Whatever this process still holds of it goes now.
        self.caches.tokens.clear();
        result
    }

    /// Makes the operator's bootstrap secret a super-admin token.
    pub async fn install_bootstrap_token(
        &self,
        ctx: &AuditContext,
        secret: &Secret,
    ) -> Result<(), Error> {
        if secret.expose().chars().count() < MIN_BOOTSTRAP_LEN {
            return Err(Error::bad_request(
                ErrorCode::BootstrapTokenTooShort,
                format!("USHER_BOOTSTRAP_TOKEN must be at least {MIN_BOOTSTRAP_LEN} characters"),
            ));
        }
        let token = ApiToken {
            id: Id::generate(),
            tenant_id: None,
            scope: TokenScope::Admin,
            admin_role: None,
            name: BOOTSTRAP_TOKEN_NAME.to_owned(),
            hash: secret.hash(),
            created_at: self.clock.now(),
            expires_at: None,
            created_by: Some(ctx.actor.to_stored()),
            last_used_at: None,
            owner_id: None,
            admin_scope: None,
        };
        let draft = self
            .draft(ctx, None, AuditAction::TokenBootstrap)
            .target("token", token.id);
        // The previous bootstrap token stops working at once in this process.
        self.caches.tokens.clear();
        self.store.replace_named_super_token(token, draft).await
    }

    /// Removes the bootstrap token when `USHER_BOOTSTRAP_TOKEN` is no longer
    /// set, so that a secret once handed to an installer does not outlive
    /// the variable. Answers whether there was one.
    pub async fn remove_bootstrap_token(&self, ctx: &AuditContext) -> Result<bool, Error> {
        let draft = self.draft(ctx, None, AuditAction::TokenRevoke).details(
            json!({"name": BOOTSTRAP_TOKEN_NAME, "reason": "USHER_BOOTSTRAP_TOKEN is unset"}),
        );
        self.caches.tokens.clear();
        self.store
            .delete_named_super_token(BOOTSTRAP_TOKEN_NAME, draft)
            .await
    }

    /// The token a caller presented, if it exists and has not expired.
    pub async fn authenticate_token(&self, presented: &str) -> Result<Option<ApiToken>, Error> {
        let secret = Secret::from_string(presented.to_owned());
        let hash = secret.hash();
        let now = self.clock.now();
        let found = match self.caches.tokens.get(&hash) {
            Some(t) => Some(t),
            None => {
                let found = self
                    .store
                    .token_by_hash(&hash)
                    .await?
                    .filter(|t| t.hash.matches(&hash));
                if let Some(t) = &found {
                    self.caches.tokens.put(hash, t.clone());
                }
                found
            }
        };
        let Some(token) = found.filter(|t| !t.is_expired(now)) else {
            return Ok(None);
        };
        // A person's token stops with what they may do, on the token's
        // scope; this is read at every request, never cached.
        if let (Some(tenant_id), Some(owner)) = (token.tenant_id, token.owner_id)
            && !self
                .owner_covers(
                    tenant_id,
                    owner,
                    token.owner_needs(),
                    token.admin_scope.as_ref(),
                )
                .await?
        {
            return Ok(None);
        }
        self.note_token_use(&token, now).await;
        Ok(Some(token))
    }

    /// Writes `last_used_at`, at most once a minute per token and process.
    /// A failed write is logged and forgotten: it must not refuse the call.
    async fn note_token_use(&self, token: &ApiToken, now: time::OffsetDateTime) {
        {
            let mut touched = self
                .caches
                .token_uses
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let precision =
                std::time::Duration::from_secs(LAST_USED_PRECISION.whole_seconds() as u64);
            if touched
                .get(&token.id)
                .is_some_and(|at| at.elapsed() < precision)
            {
                return;
            }
            if touched.len() >= 10_000 {
                touched.clear();
            }
            touched.insert(token.id, Instant::now());
        }
        if let Err(e) = self.store.touch_token(token.id, now).await {
            tracing::warn!(token = %token.id, error = %e, "could not record a token's last use");
        }
    }
}
