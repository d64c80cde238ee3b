//! "Forgot your password?": anyone may ask for a reset link for an email
//! address. The answer is the same, and costs the same, whether an account
//! has that address or not: the request only queues a `password_forgot`
//! job, which looks the account up and, for an active or blocked user,
//! mails a reset link (replacing any older one) exactly as an admin's reset
//! would. Nothing tells the requester which it was.
//!
//! Requests are counted in fixed hourly windows: per client address (an
//! IPv6 client by its /64) beyond [`FORGOT_PER_ADDRESS`] they are refused
//! with 429, and per email beyond [`FORGOT_PER_EMAIL`] they are dropped
//! without a word, so that nobody can fill a mailbox. A stranger using up
//! an email's requests only sends its owner working links.

use super::Services;
use crate::audit::{Actor, AuditAction, AuditContext};
use crate::error::{Error, ValidationErrors};
use crate::job::{JobKind, NewJob};
use crate::session::ThrottleKey;
use crate::tenant::Tenant;
use crate::user::UserState;
use crate::user::fields::Email;
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// Requests one client address may make per window before it waits.
pub const FORGOT_PER_ADDRESS: u32 = 20;
/// Reset mails one email address may be sent per window.
pub const FORGOT_PER_EMAIL: u32 = 3;
/// The counting window.
const WINDOW: Duration = Duration::hours(1);

/// The window `now` falls in (hours since the epoch) and its end.
fn window(now: OffsetDateTime) -> (i64, OffsetDateTime) {
    let n = now.unix_timestamp().div_euclid(WINDOW.whole_seconds());
    let end = OffsetDateTime::from_unix_timestamp((n + 1) * WINDOW.whole_seconds())
        .unwrap_or(now + WINDOW);
    (n, end)
}

impl Services {
    /// Counts one request against `key` in the current window (forgetting
    /// the previous window's count) and answers the count before it.
    async fn count_in_window(
        &self,
        tenant: &Tenant,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<u32, Error> {
        let (n, _) = window(now);
        let current = ThrottleKey::windowed(key, n);
        self.store
            .throttle_clear(tenant.id, &ThrottleKey::windowed(key, n - 1))
            .await?;
        // The count after this request, less this request.
        let counted = self
            .store
            .throttle_failure(tenant.id, &current, now)
            .await?;
        Ok(counted.failures.saturating_sub(1))
    }

    /// Queues a reset link for the account with `email`, if there is one.
    /// Answers `Ok` either way; a malformed email is a validation error, and
    /// an address over its limit waits (429).
    pub async fn forgot_password(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        email: &str,
    ) -> Result<(), Error> {
        let email = Email::parse("email", email).map_err(|e| {
            let mut errors = ValidationErrors::default();
            errors.push(e);
            Error::Validation(errors)
        })?;
        let now = self.clock.now();
        if let Some(ip) = &ctx.client_ip {
            let key = format!("forgot-ip:{}", crate::session::address_group(ip));
            if self.count_in_window(tenant, &key, now).await? >= FORGOT_PER_ADDRESS {
                let wait = (window(now).1 - now).whole_seconds().max(1);
                return Err(Error::TooManyAttempts {
                    retry_after_secs: wait as u64,
                });
            }
        }
        let key = format!("forgot:{}", email.normalized());
        if self.count_in_window(tenant, &key, now).await? >= FORGOT_PER_EMAIL {
            return Ok(());
        }
        let job = NewJob::new(
            JobKind::PasswordForgot,
            Some(tenant.id),
            json!({
                "email": email.normalized(),
                "client_ip": ctx.client_ip,
                "request_id": ctx.request_id,
            }),
            now,
        );
        self.store.enqueue_job(job).await?;
        Ok(())
    }

    /// The `password_forgot` job: mails a reset link to the active or
    /// blocked user with `email`; does nothing for anyone else.
    pub async fn send_forgotten_password_link(
        &self,
        tenant: &Tenant,
        email: &str,
        client_ip: Option<String>,
        request_id: Option<String>,
    ) -> Result<(), Error> {
        let Ok(email) = Email::parse("email", email) else {
            return Ok(());
        };
        let Some(user) = self.store.user_by_email(tenant.id, &email).await? else {
            return Ok(());
        };
        if !matches!(
            user.state(self.clock.now()),
            UserState::Active | UserState::Blocked
        ) {
            return Ok(());
        }
        let ctx = AuditContext {
            actor: Actor::anonymous(),
            client_ip,
            request_id,
            scope: None,
        };
        let draft = self
            .draft(&ctx, Some(tenant), AuditAction::UserPasswordReset)
            .target("user", user.id)
            .details(json!({"via": "forgot_password"}));
        let write = self.reset_write(tenant, user.id, None, draft);
        match self.store.modify_user(write).await {
            // Changed meanwhile into a state without resets: nothing to do.
            Err(e) if e.is_refusal() => Ok(()),
            other => other.map(|_| ()),
        }
    }
}
