//! End-user sessions and the tokens that carry them, and the login
//! throttle.
//!
//! A login creates one session and hands out three secrets, each stored
//! only as a SHA-256 hash: the session token (lives as long as the
//! session), a short-lived access token, and a refresh token that is
//! replaced at every use. A refresh token that comes back after it was
//! replaced has been copied: the whole session is ended.

use crate::ids::{SessionId, TenantId, UserId};
use crate::token::{Secret, SecretHash};
use crate::useragent::ClientInfo;
use time::{Duration, OffsetDateTime};

/// Prefix of session tokens.
pub const SESSION_PREFIX: &str = "usher_ses_";
/// Prefix of access tokens.
pub const ACCESS_PREFIX: &str = "usher_acc_";
/// Prefix of refresh tokens.
pub const REFRESH_PREFIX: &str = "usher_ref_";

/// How long an access token is good for.
pub const ACCESS_TTL: Duration = Duration::minutes(15);
/// How long a session lasts at most, refreshed or not.
pub const SESSION_TTL: Duration = Duration::days(30);
/// `last_seen_at` is written at most this often by calls that only read.
pub const SEEN_GRANULARITY: Duration = Duration::minutes(1);

/// One session of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub client: ClientInfo,
    /// City and country from the GeoIP database, where one is configured.
    pub location: Option<String>,
}

/// Which of a session's secrets a caller presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Session,
    Access,
    Refresh,
}

/// The secrets handed out at login and at each refresh.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    /// The session token: issued at login only.
    pub session: Option<Secret>,
    pub access: Secret,
    pub access_expires_at: OffsetDateTime,
    pub refresh: Secret,
}

impl IssuedTokens {
    /// Fresh access and refresh tokens.
    pub fn generate(now: OffsetDateTime) -> Self {
        Self {
            session: None,
            access: Secret::generate(ACCESS_PREFIX),
            access_expires_at: now + ACCESS_TTL,
            refresh: Secret::generate(REFRESH_PREFIX),
        }
    }

    pub fn hashes(&self) -> TokenHashes {
        TokenHashes {
            access: self.access.hash(),
            access_expires_at: self.access_expires_at,
            refresh: self.refresh.hash(),
        }
    }
}

/// What the store keeps of the access and refresh tokens.
#[derive(Debug, Clone, Copy)]
pub struct TokenHashes {
    pub access: SecretHash,
    pub access_expires_at: OffsetDateTime,
    pub refresh: SecretHash,
}

/// A session to store with the login that opens it.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub session: Session,
    pub session_hash: SecretHash,
    pub tokens: TokenHashes,
}

impl NewSession {
    /// A session's record and the tokens of its login (with the session
    /// token filled in).
    pub fn open(session: Session, now: OffsetDateTime) -> (Self, IssuedTokens) {
        let session_token = Secret::generate(SESSION_PREFIX);
        let mut tokens = IssuedTokens::generate(now);
        let new = Self {
            session,
            session_hash: session_token.hash(),
            tokens: tokens.hashes(),
        };
        tokens.session = Some(session_token);
        (new, tokens)
    }
}

/// A session found by one of its tokens.
#[derive(Debug, Clone)]
pub struct SessionMatch {
    pub session: Session,
    /// When the access token (if that is what was presented) stops working.
    pub access_expires_at: OffsetDateTime,
}

impl SessionMatch {
    /// Whether the presented token still opens the session at `now`.
    pub fn is_live(&self, kind: TokenKind, now: OffsetDateTime) -> bool {
        self.session.expires_at > now
            && (kind == TokenKind::Session || self.access_expires_at > now)
    }
}

/// A refresh: the presented token's hash and what replaces it.
#[derive(Debug, Clone, Copy)]
pub struct Rotation {
    pub tenant_id: TenantId,
    pub presented: SecretHash,
    pub next: TokenHashes,
    pub now: OffsetDateTime,
}

/// How a refresh ended in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotationOutcome {
    /// The token was current: it is replaced.
    Rotated(Box<Session>),
    /// The token had already been replaced: the session it belonged to is
    /// ended (someone holds a copy).
    Reused {
        session_id: SessionId,
        user_id: UserId,
    },
    /// No session knows the token.
    Unknown,
}

/// The login throttle's record of one key (an account or a client address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Consecutive failures since the last success.
    pub failures: u32,
    pub last_failure_at: OffsetDateTime,
}

/// Failures allowed before the throttle starts delaying attempts.
pub const FREE_FAILURES: u32 = 5;
/// The longest delay the throttle imposes; it never locks anyone out for
/// longer, so an attacker cannot keep a victim out by failing on purpose
/// for more than this after they stop.
pub const MAX_DELAY: Duration = Duration::minutes(15);
/// Consecutive failures after which an account waits the longest delay
/// before every further attempt.
pub const HARD_LIMIT: u32 = 100;

impl Throttle {
    /// Until when attempts are refused, if they are.
    pub fn locked_until(&self) -> Option<OffsetDateTime> {
        if self.failures < FREE_FAILURES {
            return None;
        }
        let delay = if self.failures >= HARD_LIMIT {
            MAX_DELAY
        } else {
            // 1 s after the fifth failure, doubling with each one after.
            let exp = (self.failures - FREE_FAILURES).min(20);
            Duration::seconds(1i64 << exp).min(MAX_DELAY)
        };
        Some(self.last_failure_at + delay)
    }

    /// Whether an attempt at `now` must be refused.
    pub fn blocks(&self, now: OffsetDateTime) -> bool {
        self.locked_until().is_some_and(|t| t > now)
    }
}

/// What the login throttles count failures against: an account (by its
/// normalised email) or a client address, for the password; a user or an
/// address, for the second factor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThrottleKey(String);

impl ThrottleKey {
    pub fn account(email_norm: &str) -> Self {
        Self(format!("account:{email_norm}"))
    }

    /// A client address's password failures (an IPv6 client counts with
    /// its /64, [`address_group`]).
    pub fn address(ip: &str) -> Self {
        Self(format!("ip:{}", address_group(ip)))
    }

    /// A user's second-factor failures, which a correct password leaves
    /// alone.
    pub fn second_factor(user: UserId) -> Self {
        Self(format!("mfa:{user}"))
    }

    /// A client address's second-factor failures.
    pub fn second_factor_address(ip: &str) -> Self {
        Self(format!("mfa-ip:{}", address_group(ip)))
    }

    /// A count of `key` in fixed window number `window` (rate limits that
    /// start over each window, such as forgotten-password requests).
    pub fn windowed(key: &str, window: i64) -> Self {
        Self(format!("{key}@{window}"))
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The group an address is counted in: an IPv4 address alone, an IPv6
/// address with its /64 (one subscriber usually holds a whole /64, so
/// counting single IPv6 addresses would let one client rotate through
/// 2^64 of them). Anything that does not parse counts as itself.
pub fn address_group(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(bits))
            }
        },
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

/// Failures from one address before it is delayed: higher than per
/// account, since one office can share an address.
pub const ADDRESS_FREE_FAILURES: u32 = 50;

/// Until when an address with this record waits, if it does.
pub fn address_locked_until(t: &Throttle) -> Option<OffsetDateTime> {
    if t.failures < ADDRESS_FREE_FAILURES {
        return None;
    }
    let exp = (t.failures - ADDRESS_FREE_FAILURES).min(20);
    Some(t.last_failure_at + Duration::seconds(1i64 << exp).min(MAX_DELAY))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(failures: u32) -> Throttle {
        Throttle {
            failures,
            last_failure_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_few_failures_cost_nothing_then_delays_double_up_to_a_cap() {
        let t0 = OffsetDateTime::UNIX_EPOCH;
        assert!(!at(4).blocks(t0));
        assert_eq!(at(5).locked_until(), Some(t0 + Duration::seconds(1)));
        assert_eq!(at(8).locked_until(), Some(t0 + Duration::seconds(8)));
        assert_eq!(at(40).locked_until(), Some(t0 + MAX_DELAY));
        assert_eq!(at(1_000).locked_until(), Some(t0 + MAX_DELAY));
        // Never for ever: the lock ends MAX_DELAY after the last failure.
        assert!(!at(1_000).blocks(t0 + MAX_DELAY));
    }

    #[test]
    fn ipv6_clients_count_with_their_64_and_ipv4_alone() {
        assert_eq!(address_group("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            ThrottleKey::address("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            ThrottleKey::address("2001:db8:1:2::7")
        );
        assert_ne!(
            ThrottleKey::address("2001:db8:1:3::1"),
            ThrottleKey::address("2001:db8:1:2::1")
        );
        assert_eq!(address_group("203.0.113.9"), "203.0.113.9");
        assert_eq!(address_group("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(address_group("not an address"), "not an address");
        assert_ne!(
            ThrottleKey::second_factor_address("203.0.113.9"),
            ThrottleKey::address("203.0.113.9"),
            "the two steps count apart"
        );
    }

    #[test]
    fn access_tokens_expire_before_their_session() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let tokens = IssuedTokens::generate(now);
        assert_ne!(tokens.access.hash(), tokens.refresh.hash());
        let m = SessionMatch {
            session: Session {
                id: SessionId::nil(),
                tenant_id: TenantId::nil(),
                user_id: UserId::nil(),
                created_at: now,
                last_seen_at: now,
                expires_at: now + SESSION_TTL,
                ip: None,
                user_agent: None,
                client: crate::useragent::parse(""),
                location: None,
            },
            access_expires_at: tokens.access_expires_at,
        };
        assert!(m.is_live(TokenKind::Access, now + Duration::minutes(14)));
        assert!(!m.is_live(TokenKind::Access, now + ACCESS_TTL));
        assert!(m.is_live(TokenKind::Session, now + ACCESS_TTL));
        assert!(!m.is_live(TokenKind::Session, now + SESSION_TTL));
    }
}
