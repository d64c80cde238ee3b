//! What a signed-in user does with their own credentials: giving the
//! password or a code again to change second factors, and changing the
//! password, which ends every other session.
//!
//! Changing second factors needs a recent proof of identity
//! ([`REAUTH_WINDOW`]) so that a session left open on a shared computer, or
//! a stolen access token, cannot add an attacker's authenticator or read
//! fresh recovery codes. Failures here count in the login throttles, like
//! a failed login: the same password guessed through this door is still
//! limited.

use super::Services;
use super::throttle::CodeThrottle;
use crate::audit::{AuditAction, AuditContext, AuditDraft};
use crate::error::{Error, ErrorCode, FieldError, StoreError, ValidationErrors};
use crate::password::{NormalizedPassword, PasswordPolicy};
use crate::service::SessionCaller;
use crate::session::ThrottleKey;
use crate::store::{Effects, PasswordWrite, UserWrite};
use crate::tenant::Tenant;
use crate::user::User;
use serde_json::json;
use time::Duration;

/// How long after a password or a code second factors may be changed.
pub const REAUTH_WINDOW: Duration = Duration::minutes(5);

/// The proof a re-authentication brings.
#[derive(Debug, Clone)]
pub enum Proof {
    Password(String),
    /// A TOTP code or a recovery code.
    Code(String),
}

fn reauthentication_required() -> Error {
    Error::Denied {
        code: ErrorCode::ReauthenticationRequired,
        message: "give your password or a code again first (POST …/auth/reauthenticate)".into(),
    }
}

fn wrong(field: &str) -> Error {
    Error::Validation(ValidationErrors::single(
        field,
        ErrorCode::WrongPassword,
        "this is not your current password",
    ))
}

impl Services {
    /// Refuses (and audits as `draft`) a change of second factors when the
    /// session's last password or code is older than [`REAUTH_WINDOW`].
    pub(crate) async fn require_recent_auth(
        &self,
        draft: &AuditDraft,
        me: &SessionCaller,
    ) -> Result<(), Error> {
        let at = self.store.session_authenticated_at(me.session.id).await?;
        let recent = at.is_some_and(|at| self.clock.now() - at <= REAUTH_WINDOW);
        if recent {
            return Ok(());
        }
        let draft = draft
            .clone()
            .details(json!({"reason": "reauthentication_required"}));
        Err(self.refuse(draft, reauthentication_required()).await)
    }

    /// Renews the session's proof of identity with the password or a code.
    /// Wrong answers count in the login throttles.
    pub async fn reauthenticate(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        me: &SessionCaller,
        proof: Proof,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::UserReauthenticate)
            .target("user", me.user.id);
        let method = match &proof {
            Proof::Password(_) => "password",
            Proof::Code(_) => "code",
        };
        let draft = draft.details(json!({"method": method}));
        let ok = match proof {
            Proof::Password(p) => {
                self.check_own_password(tenant, ctx, &me.user, &p, &draft)
                    .await?
            }
            Proof::Code(code) => {
                let keys = CodeThrottle::new(me.user.id, ctx.client_ip.as_deref());
                if let Err(e) = self.check_code_throttle(tenant, &keys, now).await {
                    return Err(self.refuse(draft, e).await);
                }
                let factors = self.store.list_factors(tenant.id, me.user.id).await?;
                let ok = self
                    .check_code(tenant, me.user.id, &factors, &code, now)
                    .await?;
                if ok {
                    self.clear_code_throttle(tenant, &keys).await?;
                } else {
                    self.count_code_failure(tenant, ctx, &keys, now).await?;
                }
                ok
            }
        };
        if !ok {
            let err = match method {
                "password" => wrong("password"),
                _ => super::factors::invalid_code(),
            };
            return Err(self.refuse(draft, err).await);
        }
        self.store
            .mark_session_authenticated(me.session.id, now)
            .await?;
        self.store.append_audit(draft).await?;
        Ok(())
    }

    /// Whether `password` is the user's, behind the login throttle of their
    /// account and address (a delayed attempt is refused and audited as
    /// `draft`; a wrong one is counted).
    async fn check_own_password(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        user: &User,
        password: &str,
        draft: &AuditDraft,
    ) -> Result<bool, Error> {
        let now = self.clock.now();
        let account = ThrottleKey::account(user.email.normalized());
        let address = ctx.client_ip.as_deref().map(ThrottleKey::address);
        // The caller holds a session of this account: a known client.
        let reservation = match self
            .reserve_password_attempt(tenant, account, address, true, now)
            .await
        {
            Ok(r) => r,
            Err(e) => return Err(self.refuse(draft.clone(), e).await),
        };
        let stored = self.store.password_hash(tenant.id, user.id).await?;
        let password = NormalizedPassword::normalize(password);
        let checked = match &stored {
            Some(phc) => self.hasher.verify(&password, phc).await,
            None => Ok(false),
        };
        let ok = match checked {
            Ok(ok) => ok,
            Err(e) => {
                self.release_attempt(tenant, &reservation).await?;
                return Err(super::login::hashing_unavailable(e));
            }
        };
        if ok {
            self.settle_right_password(tenant, &reservation).await?;
        } else {
            self.settle_failed_attempt(tenant, ctx, &reservation, now)
                .await?;
        }
        Ok(ok)
    }

    /// The argon2id hash of a new password that passes the tenant's
    /// policy; a refusal names `field`.
    pub(crate) async fn hash_new_password(
        &self,
        tenant: &Tenant,
        user: &User,
        password: &str,
        field: &str,
    ) -> Result<String, Error> {
        let policy = PasswordPolicy {
            min_chars: tenant.settings.password_min_length as usize,
            ..PasswordPolicy::default()
        };
        let checked = policy.check(
            password,
            user.email.as_str(),
            user.username.as_ref().map(|u| u.as_str()),
        );
        let normalized = checked.map_err(|e| {
            Error::Validation(ValidationErrors(vec![FieldError::new(
                field, e.code, e.message,
            )]))
        })?;
        self.hasher.hash(normalized).await.map_err(|e| {
            tracing::error!(error = %e, "hashing a password failed");
            Error::Store(StoreError::Unavailable(
                "password hashing is unavailable".into(),
            ))
        })
    }

    /// Changes the caller's password, given the current one; every other
    /// session of the user ends in the same write, and this one counts as
    /// freshly authenticated.
    pub async fn change_password(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        me: &SessionCaller,
        current: &str,
        new: &str,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::UserPasswordChange)
            .target("user", me.user.id);
        if !self
            .check_own_password(tenant, ctx, &me.user, current, &draft)
            .await?
        {
            return Err(self.refuse(draft, wrong("current_password")).await);
        }
        let hash = match self
            .hash_new_password(tenant, &me.user, new, "new_password")
            .await
        {
            Ok(h) => h,
            Err(e @ Error::Validation(_)) => return Err(self.refuse(draft, e).await),
            Err(e) => return Err(e),
        };
        let keep = me.session.id;
        let write = UserWrite {
            tenant_id: tenant.id,
            user_id: me.user.id,
            if_match: None,
            now,
            mutation: Box::new(move |_: &mut User| {
                Ok(Effects {
                    password: Some(PasswordWrite::Set(hash)),
                    end_sessions_but: Some(keep),
                    ..Effects::default()
                })
            }),
            audit: draft.details(json!({"other_sessions_ended": true})),
        };
        self.store.modify_user(write).await?;
        self.store.mark_session_authenticated(keep, now).await?;
        Ok(())
    }
}
