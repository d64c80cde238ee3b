//! Admin API tokens: creating them and recognising a presented one.

use super::Services;
use crate::audit::{AuditAction, AuditContext};
use crate::error::{Error, ErrorCode};
use crate::ids::Id;
use crate::tenant::Tenant;
use crate::token::{
    API_TOKEN_PREFIX, ApiToken, BOOTSTRAP_TOKEN_NAME, SCIM_TOKEN_PREFIX, Secret, TokenScope,
};
use serde_json::json;

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
        if scope == TokenScope::Scim && tenant.is_none() {
            return Err(Error::bad_request(
                ErrorCode::TenantRequired,
                "a SCIM token belongs to one tenant",
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(Error::bad_request(
                ErrorCode::InvalidTokenName,
                "the name must be 1 to 100 printable characters",
            ));
        }
        let secret = Secret::generate(match scope {
            TokenScope::Admin => API_TOKEN_PREFIX,
            TokenScope::Scim => SCIM_TOKEN_PREFIX,
        });
        let token = ApiToken {
            id: Id::generate(),
            tenant_id: tenant.map(|t| t.id),
            scope,
            name: name.to_owned(),
            hash: secret.hash(),
            created_at: self.clock.now(),
        };
        let draft = self
            .draft(ctx, tenant, AuditAction::TokenCreate)
            .target("token", token.id)
            .details(json!({"name": token.name, "scope": scope.as_str(), "super_admin": tenant.is_none()}));
        self.store.create_token(token.clone(), draft).await?;
        Ok((token, secret))
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
            name: BOOTSTRAP_TOKEN_NAME.to_owned(),
            hash: secret.hash(),
            created_at: self.clock.now(),
        };
        let draft = self
            .draft(ctx, None, AuditAction::TokenBootstrap)
            .target("token", token.id);
        // The previous bootstrap token stops working at once in this process.
        self.caches.tokens.clear();
        self.store.replace_named_super_token(token, draft).await
    }

    /// The token a caller presented, if it exists.
    pub async fn authenticate_token(&self, presented: &str) -> Result<Option<ApiToken>, Error> {
        let secret = Secret::from_string(presented.to_owned());
        let hash = secret.hash();
        if let Some(t) = self.caches.tokens.get(&hash) {
            return Ok(Some(t));
        }
        let found = self
            .store
            .token_by_hash(&hash)
            .await?
            .filter(|t| t.hash.matches(&hash));
        if let Some(t) = &found {
            self.caches.tokens.put(hash, t.clone());
        }
        Ok(found)
    }
}
