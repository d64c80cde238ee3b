//! The login throttles: failures counted per account and per client
//! address, for the password and, apart, for the second factor.
//!
//! The second factor has its own counters because a correct password
//! clears the password's: were code failures counted there, whoever knows
//! the password could reset the count with every login and guess codes
//! without end. Its counters use the password's numbers (5 free failures,
//! then a delay from 1 s doubling to 15 minutes, each attempt after 100
//! waiting the whole 15) per account and per address, and only a correct
//! code clears the account's.

use super::Services;
use crate::audit::{AuditAction, AuditContext};
use crate::error::Error;
use crate::ids::UserId;
use crate::session::{self, Throttle, ThrottleKey};
use crate::tenant::Tenant;
use serde_json::json;
use time::OffsetDateTime;

/// The answer to an attempt refused until `until`: `Retry-After` in whole
/// seconds, rounded up, so that a client waiting that long is let through.
fn too_many(until: OffsetDateTime, now: OffsetDateTime) -> Error {
    let wait = until - now;
    let secs = wait.whole_seconds() + i64::from(wait.subsec_nanoseconds() > 0);
    Error::TooManyAttempts {
        retry_after_secs: secs.max(1) as u64,
    }
}

/// The second factor's counters of a login: its account's and its address's.
pub(crate) struct CodeThrottle {
    account: ThrottleKey,
    address: Option<ThrottleKey>,
}

impl CodeThrottle {
    pub(crate) fn new(user: UserId, client_ip: Option<&str>) -> Self {
        Self {
            account: ThrottleKey::second_factor(user),
            address: client_ip.map(ThrottleKey::second_factor_address),
        }
    }

    fn keys(&self) -> impl Iterator<Item = &ThrottleKey> {
        std::iter::once(&self.account).chain(self.address.as_ref())
    }
}

/// How recently a client must have logged in to an account for the right
/// password from it to pass the account's delay.
pub const KNOWN_CLIENT_WINDOW: time::Duration = time::Duration::days(30);

/// The prefix of device cookies, which mark a browser or client that logged
/// in before.
pub const DEVICE_PREFIX: &str = "usher_dev_";

/// How a client is known to the accounts it logged in to: by its address
/// group and by its device cookie (stored hashed).
pub(crate) fn client_keys(client_ip: Option<&str>, device: Option<&str>) -> Vec<String> {
    let mut keys = Vec::with_capacity(2);
    if let Some(ip) = client_ip {
        keys.push(format!("ip:{}", session::address_group(ip)));
    }
    if let Some(d) = device {
        let hash = crate::token::Secret::from_string(d.to_owned()).hash();
        let hex: String = hash.0.iter().map(|b| format!("{b:02x}")).collect();
        keys.push(format!("device:{hex}"));
    }
    keys
}

/// Compare-and-set rounds before a reservation gives up as contended.
const RESERVE_TRIES: usize = 10;

/// The failure slot a password attempt holds while it is checked (its
/// account's), and the keys a failure is counted against.
#[derive(Debug)]
pub(crate) struct Reservation {
    pub account: ThrottleKey,
    pub address: Option<ThrottleKey>,
    /// The account's record with this attempt counted; `None` when a known
    /// client passed the account's delay without a slot.
    pub account_record: Option<Throttle>,
}

impl Services {
    /// Takes a failure slot of `key` for an attempt at `now`, unless `key`
    /// is delayed then: `Ok(Err(until))`.
    async fn reserve(
        &self,
        tenant: &Tenant,
        key: &ThrottleKey,
        now: OffsetDateTime,
    ) -> Result<Result<Throttle, OffsetDateTime>, Error> {
        for _ in 0..RESERVE_TRIES {
            let seen = self.store.throttle(tenant.id, key).await?;
            if let Some(until) = seen.as_ref().and_then(Throttle::locked_until)
                && until > now
            {
                return Ok(Err(until));
            }
            if let Some(t) = self
                .store
                .throttle_reserve(tenant.id, key, seen, now)
                .await?
            {
                return Ok(Ok(t));
            }
        }
        // Others keep taking the slots: ask this one to come back shortly.
        Ok(Err(now + time::Duration::seconds(1)))
    }

    /// Whether the client logged in to the user successfully within
    /// [`KNOWN_CLIENT_WINDOW`].
    pub(crate) async fn client_is_known(
        &self,
        tenant: &Tenant,
        user: UserId,
        keys: &[String],
        now: OffsetDateTime,
    ) -> Result<bool, Error> {
        if keys.is_empty() {
            return Ok(false);
        }
        Ok(self
            .store
            .login_client_known(tenant.id, user, keys, now - KNOWN_CLIENT_WINDOW)
            .await?)
    }

    /// Reserves the slots of a password attempt before the password is
    /// checked, so that parallel guesses cannot all pass one check. A
    /// delayed account is passed without a slot by a `known` client (one
    /// that logged in to it before), so that failures made elsewhere do not
    /// lock its owner out; a delayed address is passed by nobody.
    pub(crate) async fn reserve_password_attempt(
        &self,
        tenant: &Tenant,
        account: ThrottleKey,
        address: Option<ThrottleKey>,
        known: bool,
        now: OffsetDateTime,
    ) -> Result<Reservation, Error> {
        let account_record = match self.reserve(tenant, &account, now).await? {
            Ok(t) => Some(t),
            Err(_) if known => None,
            Err(until) => return Err(too_many(until, now)),
        };
        // An address is shared by everyone behind it (an office, a proxy):
        // it is only checked here and counted when the attempt fails, so
        // that busy honest clients behind it cost no writes; the account's
        // compare-and-set is what holds parallel guesses at one account.
        if let Some(a) = &address
            && let Some(t) = self.store.throttle(tenant.id, a).await?
            && let Some(until) = session::address_locked_until(&t)
            && until > now
        {
            if account_record.is_some() {
                self.store.throttle_release(tenant.id, &account).await?;
            }
            return Err(too_many(until, now));
        }
        Ok(Reservation {
            account,
            address,
            account_record,
        })
    }

    /// The attempt failed: its reserved slots stay counted (a known client
    /// that passed without one has its failure counted now); audits the
    /// moment the account starts being delayed.
    pub(crate) async fn settle_failed_attempt(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        r: &Reservation,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let t = match r.account_record {
            Some(t) => t,
            None => {
                self.store
                    .throttle_failure(tenant.id, &r.account, now)
                    .await?
            }
        };
        if let Some(a) = &r.address {
            self.store.throttle_failure(tenant.id, a, now).await?;
        }
        self.audit_delay_start(tenant, ctx, &t, "password").await
    }

    /// The password was right: the account's count starts again.
    pub(crate) async fn settle_right_password(
        &self,
        tenant: &Tenant,
        r: &Reservation,
    ) -> Result<(), Error> {
        self.store.throttle_clear(tenant.id, &r.account).await?;
        Ok(())
    }

    /// The attempt was not evaluated after all (the hashers were busy): its
    /// slot is given back.
    pub(crate) async fn release_attempt(
        &self,
        tenant: &Tenant,
        r: &Reservation,
    ) -> Result<(), Error> {
        if r.account_record.is_some() {
            self.store.throttle_release(tenant.id, &r.account).await?;
        }
        Ok(())
    }

    /// Audits an account's throttle when it starts delaying and when it
    /// reaches the hard bound.
    async fn audit_delay_start(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        t: &Throttle,
        step: &str,
    ) -> Result<(), Error> {
        if t.failures == session::FREE_FAILURES || t.failures == session::HARD_LIMIT {
            let until = t.locked_until().map(|u| u.to_string());
            self.store
                .append_audit(
                    self.draft(ctx, Some(tenant), AuditAction::LoginThrottled)
                        .details(
                            json!({"failures": t.failures, "delayed_until": until, "step": step}),
                        ),
                )
                .await?;
        }
        Ok(())
    }

    /// Refuses a second-factor attempt while either of its counters delays
    /// it: the code is then not even looked at.
    pub(crate) async fn check_code_throttle(
        &self,
        tenant: &Tenant,
        keys: &CodeThrottle,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        for key in keys.keys() {
            if let Some(until) = self
                .store
                .throttle(tenant.id, key)
                .await?
                .as_ref()
                .and_then(Throttle::locked_until)
                && until > now
            {
                return Err(too_many(until, now));
            }
        }
        Ok(())
    }

    /// Counts a wrong code against the account and the address.
    pub(crate) async fn count_code_failure(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        keys: &CodeThrottle,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let t = self
            .store
            .throttle_failure(tenant.id, &keys.account, now)
            .await?;
        if let Some(a) = &keys.address {
            self.store.throttle_failure(tenant.id, a, now).await?;
        }
        self.audit_delay_start(tenant, ctx, &t, "second_factor")
            .await
    }

    /// A right code clears the account's count (not the address's: an
    /// attacker's own account must not wash an address clean).
    pub(crate) async fn clear_code_throttle(
        &self,
        tenant: &Tenant,
        keys: &CodeThrottle,
    ) -> Result<(), Error> {
        if self
            .store
            .throttle(tenant.id, &keys.account)
            .await?
            .is_some()
        {
            self.store.throttle_clear(tenant.id, &keys.account).await?;
        }
        Ok(())
    }
}
