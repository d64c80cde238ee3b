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

impl Services {
    /// Refuses an attempt while its account or its address is throttled;
    /// answers whether the account has failures on record.
    pub(crate) async fn check_throttle(
        &self,
        tenant: &Tenant,
        account: &ThrottleKey,
        address: Option<&ThrottleKey>,
        now: OffsetDateTime,
    ) -> Result<bool, Error> {
        let record = self.store.throttle(tenant.id, account).await?;
        if let Some(until) = record.as_ref().and_then(Throttle::locked_until)
            && until > now
        {
            return Err(too_many(until, now));
        }
        if let Some(a) = address
            && let Some(t) = self.store.throttle(tenant.id, a).await?
            && let Some(until) = session::address_locked_until(&t)
            && until > now
        {
            return Err(too_many(until, now));
        }
        Ok(record.is_some())
    }

    /// Counts a failure against the account and the address; audits the
    /// moment an account starts being delayed.
    pub(crate) async fn count_failure(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        account: &ThrottleKey,
        address: Option<&ThrottleKey>,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let t = self.store.throttle_failure(tenant.id, account, now).await?;
        if let Some(a) = address {
            self.store.throttle_failure(tenant.id, a, now).await?;
        }
        self.audit_delay_start(tenant, ctx, &t, "password").await
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
