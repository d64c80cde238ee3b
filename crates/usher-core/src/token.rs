//! Admin API tokens and the secrets of links: random, shown once, stored
//! only as a SHA-256 hash (a fast hash is right here: the secrets carry 256
//! bits of entropy, so there is nothing to brute-force), compared in
//! constant time.

use crate::ids::{TenantId, TokenId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

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
    pub name: String,
    pub hash: SecretHash,
    pub created_at: OffsetDateTime,
}

impl ApiToken {
    pub fn is_super_admin(&self) -> bool {
        self.tenant_id.is_none() && self.scope == TokenScope::Admin
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
    fn hashes_compare_by_value() {
        let s = Secret::from_string("abc".into());
        assert!(s.hash().matches(&Secret::from_string("abc".into()).hash()));
        assert!(!s.hash().matches(&Secret::from_string("abd".into()).hash()));
    }
}
