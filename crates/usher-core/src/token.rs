//! Admin API tokens and the secrets of links: random, shown once, stored
//! only as a SHA-256 hash (a fast hash is right here: the secrets carry 256
//! bits of entropy, so there is nothing to brute-force), compared in
//! constant time.

use crate::access::AdminRole;
use crate::error::{Error, ErrorCode, FieldError, ValidationErrors};
use crate::ids::{TenantId, TokenId, UserId};
use crate::input::{ObjectReader, Patch};
use crate::scope::{AdminScope, ScopeRequest, scope_member};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A secret as the holder sees it. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A new secret of 256 random bits with a recognisable prefix (so that
    /// secret scanners can find leaked tokens).
    pub fn generate(prefix: &str) -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        Self(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Wraps a secret given by the operator or presented by a caller.
    pub fn from_string(s: String) -> Self {
        Self(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> SecretHash {
        SecretHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The stored form of a secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretHash(pub [u8; 32]);

impl SecretHash {
    /// Constant-time equality, for comparing a presented secret's hash with
    /// a stored one.
    pub fn matches(&self, other: &SecretHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    pub fn from_slice(b: &[u8]) -> Option<Self> {
        b.try_into().ok().map(Self)
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// Prefix of admin API tokens.
pub const API_TOKEN_PREFIX: &str = "usher_at_";
/// Prefix of SCIM tokens.
pub const SCIM_TOKEN_PREFIX: &str = "usher_scim_";

/// What a token may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// The admin REST API (of one tenant, or of all when super-admin).
    Admin,
    /// Only the SCIM endpoint of its tenant.
    Scim,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Admin => "admin",
            TokenScope::Scim => "scim",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(TokenScope::Admin),
            "scim" => Some(TokenScope::Scim),
            _ => None,
        }
    }
}

/// A stored API token (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    /// `None` for a super-admin token, which may act on every tenant.
    pub tenant_id: Option<TenantId>,
    pub scope: TokenScope,
    /// The admin role a tenant's admin token acts with; `None` for
    /// super-admin and SCIM tokens, which hold no tenant role.
    pub admin_role: Option<AdminRole>,
    pub name: String,
    pub hash: SecretHash,
    pub created_at: OffsetDateTime,
    /// After this instant the token is refused; `None`: it never expires.
    pub expires_at: Option<OffsetDateTime>,
    /// Who made it, as [`crate::audit::Actor::to_stored`] wrote them;
    /// `None` for tokens made before creators were recorded.
    pub created_by: Option<String>,
    /// When it last authenticated a request, to the minute
    /// ([`LAST_USED_PRECISION`]).
    pub last_used_at: Option<OffsetDateTime>,
    /// The admin who made it while logged in as a person: the token works
    /// only while they may still do what it does (see
    /// [`crate::access::AdminRole::covers`]). `None`: a token of a service
    /// account, made by another token or the CLI.
    pub owner_id: Option<UserId>,
    /// The part of the directory the token acts on (see [`crate::scope`]):
    /// its calls meet every rule of a scoped admin. `None`: the whole
    /// tenant, always so for super-admin and SCIM tokens.
    pub admin_scope: Option<AdminScope>,
}

/// `last_used_at` is written at most this often per token and process, so
/// that a busy token does not turn every request into a write.
pub const LAST_USED_PRECISION: time::Duration = time::Duration::minutes(1);

impl ApiToken {
    pub fn is_super_admin(&self) -> bool {
        self.tenant_id.is_none() && self.scope == TokenScope::Admin
    }

    /// Whether the token is past its expiry at `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// The name of the role the token acts with: its admin role for a
    /// tenant's admin token (`tenant_admin` for tokens made before roles
    /// could be chosen), `super_admin` for one bound to no tenant, `scim`
    /// for a SCIM token.
    pub fn role(&self) -> &'static str {
        match (self.scope, self.tenant_id) {
            (TokenScope::Scim, _) => "scim",
            (TokenScope::Admin, None) => "super_admin",
            (TokenScope::Admin, Some(_)) => self.tenant_role().as_str(),
        }
    }

    /// The admin role its owner must hold (or cover) for it to work: a
    /// SCIM token writes every user, as only a `tenant_admin` may.
    pub fn owner_needs(&self) -> AdminRole {
        match self.scope {
            TokenScope::Scim => AdminRole::TenantAdmin,
            TokenScope::Admin => self.tenant_role(),
        }
    }

    /// The role a tenant's admin token acts with in its tenant.
    pub fn tenant_role(&self) -> AdminRole {
        self.admin_role.unwrap_or(AdminRole::TenantAdmin)
    }
}

/// What `POST /tokens` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub name: String,
    /// A token that only the SCIM endpoint accepts.
    pub scim: bool,
    /// The admin role of a tenant's admin token (`tenant_admin` unless
    /// asked otherwise); `None` for the others.
    pub admin_role: Option<AdminRole>,
    pub expires_at: Option<OffsetDateTime>,
    /// The person making it, when an admin logged in as themselves asks
    /// (set by the caller, never read from the body).
    pub owner_id: Option<UserId>,
    /// The admin scope asked for: absent for the scope of whoever makes
    /// it, `null` for the whole tenant, or a scope still to be looked up
    /// in the tenant.
    pub scope: Patch<ScopeRequest>,
}

/// The longest name a token may have, in characters.
pub const TOKEN_NAME_MAX: usize = 100;

impl TokenRequest {
    /// Reads `{name, role?, scope?, expires_at?, scim?}`, naming every bad
    /// field at once. A tenant's admin token may hold any built-in admin
    /// role; a super-admin or SCIM token only the role its kind implies
    /// (see [`ApiToken::role`]). `scope` reads as an admin role grant's
    /// does; a super-admin or SCIM token, which acts beyond any scope, may
    /// only leave it out or give `null`.
    pub fn from_json(body: serde_json::Value, super_admin: bool) -> Result<Self, Error> {
        let mut r = ObjectReader::new(body).map_err(Error::Validation)?;
        let name = r.required_string("name");
        let scim = r.bool("scim").into_option().unwrap_or(false);
        let role = r.string("role").into_option();
        let fixed = match (scim, super_admin) {
            (true, _) => Some("scim"),
            (false, true) => Some("super_admin"),
            (false, false) => None,
        };
        let mut admin_role = None;
        match (fixed, role) {
            (_, None) => {}
            (Some(fixed), Some(role)) if role != fixed => r.push(FieldError::new(
                "role",
                ErrorCode::InvalidValue,
                format!("this token can only hold the role {fixed:?}, not {role:?}"),
            )),
            (Some(_), Some(_)) => {}
            (None, Some(role)) => match AdminRole::parse(&role) {
                Some(found) => admin_role = Some(found),
                None => r.push(FieldError::new(
                    "role",
                    ErrorCode::InvalidValue,
                    "must be tenant_admin, user_admin, helpdesk, auditor or bulk_operator",
                )),
            },
        }
        let admin_role = fixed
            .is_none()
            .then(|| admin_role.unwrap_or(AdminRole::TenantAdmin));
        let scope = scope_member(&mut r, "scope");
        if let (Some(fixed), Patch::Value(_)) = (fixed, &scope) {
            r.push(FieldError::new(
                "scope",
                ErrorCode::InvalidValue,
                format!("a {fixed} token acts beyond any scope: its scope can only be null"),
            ));
        }
        let expires_at = match r.string("expires_at") {
            Patch::Value(s) => match OffsetDateTime::parse(&s, &Rfc3339) {
                Ok(t) => Some(t),
                Err(_) => {
                    r.push(FieldError::new(
                        "expires_at",
                        ErrorCode::InvalidValue,
                        "must be an RFC 3339 time such as 2027-01-31T00:00:00Z",
                    ));
                    None
                }
            },
            _ => None,
        };
        r.read_only(&["id", "secret", "created_at", "created_by", "last_used_at"]);
        let errors = r.finish();
        match name {
            Some(name) if errors.is_empty() => Ok(Self {
                name,
                scim,
                admin_role,
                expires_at,
                owner_id: None,
                scope,
            }),
            _ => Err(Error::Validation(errors)),
        }
    }

    /// Checks what depends on the moment: the name's form and an expiry in
    /// the future.
    pub fn check(&self, now: OffsetDateTime) -> Result<(), Error> {
        let name = self.name.trim();
        if name.is_empty()
            || name.chars().count() > TOKEN_NAME_MAX
            || name.chars().any(char::is_control)
        {
            return Err(Error::bad_request(
                ErrorCode::InvalidTokenName,
                "the name must be 1 to 100 printable characters",
            ));
        }
        if self.expires_at.is_some_and(|at| at <= now) {
            return Err(Error::Validation(ValidationErrors::single(
                "expires_at",
                ErrorCode::InvalidValue,
                "must be in the future",
            )));
        }
        Ok(())
    }
}

/// The name of the token kept in step with `USHER_BOOTSTRAP_TOKEN`.
pub const BOOTSTRAP_TOKEN_NAME: &str = "bootstrap";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_long_distinct_and_prefixed() {
        let a = Secret::generate(API_TOKEN_PREFIX);
        let b = Secret::generate(API_TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(a.expose().starts_with(API_TOKEN_PREFIX));
        assert_eq!(a.expose().len(), API_TOKEN_PREFIX.len() + 43);
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let s = Secret::from_string("hunter2-hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn a_requests_scope_is_left_out_null_or_a_scope_and_only_a_tenants_admin_token_has_one() {
        let read = |body: serde_json::Value, super_admin: bool| {
            TokenRequest::from_json(body, super_admin)
                .map(|r| r.scope)
                .map_err(|e| match e {
                    Error::Validation(errors) => errors
                        .0
                        .into_iter()
                        .map(|e| (e.field, e.code))
                        .collect::<Vec<_>>(),
                    other => panic!("{other:?}"),
                })
        };
        assert_eq!(
            read(serde_json::json!({"name": "a"}), false),
            Ok(Patch::Absent)
        );
        assert_eq!(
            read(serde_json::json!({"name": "a", "scope": null}), true),
            Ok(Patch::Null)
        );
        assert_eq!(
            read(
                serde_json::json!({"name": "a", "scope": {"group": "Support"}}),
                false
            ),
            Ok(Patch::Value(ScopeRequest::Group("Support".into())))
        );
        for (body, super_admin) in [
            (
                serde_json::json!({"name": "a", "scope": {"group": "S"}}),
                true,
            ),
            (
                serde_json::json!({"name": "a", "scim": true, "scope": {"group": "S"}}),
                false,
            ),
            (
                serde_json::json!({"name": "a", "scope": {"equals": "S"}}),
                false,
            ),
        ] {
            assert_eq!(
                read(body.clone(), super_admin),
                Err(vec![("scope".to_owned(), ErrorCode::InvalidValue)]),
                "{body}"
            );
        }
    }

    #[test]
    fn hashes_compare_by_value() {
        let s = Secret::from_string("abc".into());
        assert!(s.hash().matches(&Secret::from_string("abc".into()).hash()));
        assert!(!s.hash().matches(&Secret::from_string("abd".into()).hash()));
    }
}
