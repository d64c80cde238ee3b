//! Second factors as stored: TOTP authenticators and sets of recovery
//! codes, and the short-lived challenge a login waits on while the second
//! factor is asked for.

use crate::error::ErrorCode;
use crate::ids::{FactorId, TenantId, UserId};
use crate::token::SecretHash;
use time::{Duration, OffsetDateTime};

/// How long a login may wait for its second factor.
pub const CHALLENGE_TTL: Duration = Duration::minutes(5);
/// Wrong codes a challenge takes before it is void.
pub const CHALLENGE_ATTEMPTS: u32 = 5;
/// Prefix of the token naming a login's challenge.
pub const CHALLENGE_PREFIX: &str = "usher_mfa_";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    Totp,
    RecoveryCodes,
}

impl FactorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FactorKind::Totp => "totp",
            FactorKind::RecoveryCodes => "recovery_codes",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "totp" => Some(FactorKind::Totp),
            "recovery_codes" => Some(FactorKind::RecoveryCodes),
            _ => None,
        }
    }
}

/// A factor of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    pub id: FactorId,
    pub user_id: UserId,
    pub kind: FactorKind,
    pub label: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    /// A TOTP factor counts once a code from it was confirmed.
    pub confirmed: bool,
    /// Recovery codes not used yet (recovery factors only).
    pub remaining: Option<u32>,
}

/// A factor with what verifying it needs (never leaves the service).
#[derive(Clone, PartialEq, Eq)]
pub struct FactorSecret {
    pub factor: Factor,
    /// The TOTP secret's bytes.
    pub secret: Vec<u8>,
    /// The last time step accepted: codes of that step or earlier are spent.
    pub last_step: Option<i64>,
}

impl std::fmt::Debug for FactorSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FactorSecret")
            .field("factor", &self.factor)
            .field("last_step", &self.last_step)
            .finish_non_exhaustive()
    }
}

/// A factor to store.
#[derive(Clone)]
pub struct NewFactor {
    pub factor: Factor,
    /// The TOTP secret (TOTP only).
    pub secret: Vec<u8>,
    /// Hashes of the codes (recovery codes only).
    pub codes: Vec<SecretHash>,
}

impl std::fmt::Debug for NewFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewFactor")
            .field("factor", &self.factor)
            .finish_non_exhaustive()
    }
}

/// A login waiting for its second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub expires_at: OffsetDateTime,
    pub attempts: u32,
    pub user_agent: Option<String>,
    /// The challenge of an admin login, which opens an admin session and
    /// nothing else (an end-user login's opens an end-user session only).
    pub admin: bool,
}

/// The refusal to remove a user's last second factor.
pub fn last_second_factor() -> crate::Error {
    crate::Error::conflict(
        ErrorCode::LastSecondFactor,
        "this is the user's last second factor; add another before removing it",
    )
}
