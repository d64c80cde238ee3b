//! Logging in: the throttle, the password check, the second factor's
//! challenge, and the session a login opens.
//!
//! A failed login answers the same whatever failed (unknown email, wrong
//! password, a user who cannot log in yet or any more), and takes the same
//! time: an unknown email still costs one password verification against a
//! dummy hash. Only a blocked user who gave the right password learns that
//! the account is blocked. The reason is kept in the audit event.
//!
//! A login whose password matched an outdated hash — one imported from
//! another system, or argon2 of other parameters — replaces it with a new
//! argon2id hash in the login's own write, only if the stored hash is still
//! the one verified (a password reset in between wins).

use super::Services;
use super::throttle::{DEVICE_PREFIX, client_keys};
use crate::audit::{AuditAction, AuditContext, AuditDraft};
use crate::error::{Error, ErrorCode, StoreError};
use crate::factor::{CHALLENGE_PREFIX, CHALLENGE_TTL, Challenge, FactorKind};
use crate::ids::{Id, UserId};
use crate::password::{NormalizedPassword, parse_stored};
use crate::session::ThrottleKey;
use crate::session::{IssuedTokens, NewSession, SESSION_TTL, Session};
use crate::store::{Effects, PasswordWrite, UserWrite};
use crate::tenant::{MfaPolicy, Tenant};
use crate::token::Secret;
use crate::user::fields::Email;
use crate::user::{User, UserState};
use serde_json::json;
use time::OffsetDateTime;

/// The one answer to every failed login.
pub fn invalid_credentials() -> Error {
    Error::Unauthorized {
        code: ErrorCode::InvalidCredentials,
        message: "the email or password is wrong".into(),
    }
}

/// The answer to a blocked user who proved to know the password.
pub fn user_blocked() -> Error {
    Error::Denied {
        code: ErrorCode::UserBlocked,
        message: "your account is blocked; contact your administrator".into(),
    }
}

/// What a client says about itself at login.
#[derive(Debug, Clone, Default)]
pub struct ClientContext {
    pub user_agent: Option<String>,
    /// The device cookie a client that logged in before presents.
    pub device: Option<String>,
}

/// A successful login or refresh.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: Session,
    pub tokens: IssuedTokens,
    /// The device cookie to (re)set: a login makes the client known to the
    /// account. `None` for a refresh.
    pub device: Option<Secret>,
}

/// What a correct password leads to.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    SignedIn(Box<SignedIn>),
    /// The user has a second factor, or must enrol one first because the
    /// tenant requires it (`enrolment`): finish with `login_second_factor`
    /// and this token, after `enrol_totp_at_login` when enrolling.
    SecondFactor {
        mfa_token: Secret,
        methods: Vec<&'static str>,
        enrolment: bool,
    },
}

/// A login's replacement of an outdated password hash.
#[derive(Debug)]
pub(crate) struct Rehash {
    /// The format replaced (`bcrypt`, `pbkdf2-sha256`, …), for the audit event.
    from: &'static str,
    write: PasswordWrite,
}

pub(crate) fn hashing_unavailable(e: impl std::fmt::Display) -> Error {
    tracing::error!(error = %e, "password verification failed to run");
    Error::Store(StoreError::Unavailable(
        "password verification is unavailable".into(),
    ))
}

/// Keeps what a header says to a sane length for storage.
pub(crate) fn clip(s: &str, max: usize) -> String {
    let cut: String = s.chars().filter(|c| !c.is_control()).take(max).collect();
    cut
}

impl Services {
    /// Checks an email and password and opens a session.
    pub async fn login(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        email: &str,
        password: &str,
        client: ClientContext,
    ) -> Result<LoginOutcome, Error> {
        self.check_password(tenant, ctx, email, password, client, false)
            .await
    }

    /// The password step of a login, to the admin side when `admin`: then
    /// the user must hold an admin role (or the answer is the same as for a
    /// wrong password) and a second factor follows always, enrolled first
    /// when the admin has none.
    pub(crate) async fn check_password(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        email: &str,
        password: &str,
        client: ClientContext,
        admin: bool,
    ) -> Result<LoginOutcome, Error> {
        let now = self.clock.now();
        let action = if admin {
            AuditAction::AdminLogin
        } else {
            AuditAction::UserLogin
        };
        let draft = self.draft(ctx, Some(tenant), action);
        // An address that does not parse names no user, but its attempts
        // are throttled all the same.
        let parsed = Email::parse("email", email).ok();
        let email_norm = parsed.as_ref().map_or_else(
            || crate::user::fields::fold_case(email.trim()),
            |e| e.normalized().to_owned(),
        );
        let account = ThrottleKey::account(&email_norm);
        let address = ctx.client_ip.as_deref().map(ThrottleKey::address);
        let password = NormalizedPassword::normalize(password);
        let user = match &parsed {
            Some(e) => self.store.user_by_email(tenant.id, e).await?,
            None => None,
        };
        let known = match &user {
            Some(u) => {
                let keys = client_keys(ctx.client_ip.as_deref(), client.device.as_deref());
                self.client_is_known(tenant, u.id, &keys, now).await?
            }
            None => false,
        };
        let reservation = match self
            .reserve_password_attempt(tenant, account, address, known, now)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                let draft = draft.details(json!({"reason": "throttled"}));
                return Err(self
                    .refuse_unauthenticated(draft, e, "login_throttled", ctx)
                    .await);
            }
        };
        let stored = match &user {
            Some(u) => self.store.password_hash(tenant.id, u.id).await?,
            None => None,
        };
        // Known or not, an account gets the same answer when the hashers
        // are busy (503), and the attempt gives its slots back: nothing
        // was checked.
        let checked = match &stored {
            Some(phc) => self.hasher.verify(&password, phc).await,
            None => self.hasher.dummy_verify(&password).await.map(|()| false),
        };
        let verified = match checked {
            Ok(v) => v,
            Err(e) => {
                self.release_attempt(tenant, &reservation).await?;
                return Err(hashing_unavailable(e));
            }
        };
        let state = user.as_ref().map(|u| u.state(now));
        // Only a right password learns whether the user is an admin.
        let not_an_admin = match &user {
            Some(u) if admin && verified => {
                self.admin_roles(tenant.id, u.id).await?.roles.is_empty()
            }
            _ => false,
        };
        let user = match (user, verified, state) {
            (Some(u), true, Some(UserState::Active | UserState::Blocked)) if !not_an_admin => u,
            (user, verified, _) => {
                let reason = match (&user, verified) {
                    (None, _) => "unknown_email",
                    (Some(_), false) => "wrong_password",
                    (Some(_), true) if not_an_admin => "not_an_admin",
                    (Some(_), true) => "state_forbids_login",
                };
                self.settle_failed_attempt(tenant, ctx, &reservation, now)
                    .await?;
                let draft = draft.details(json!({"reason": reason}));
                return Err(match user {
                    // The failure time is part of the user's record; the
                    // attempt is audited as refused with it.
                    Some(u) => {
                        self.record_failed_login(tenant, u.id, now, draft.target("user", u.id))
                            .await?;
                        invalid_credentials()
                    }
                    None => self.refuse(draft, invalid_credentials()).await,
                });
            }
        };
        self.settle_right_password(tenant, &reservation).await?;
        if state == Some(UserState::Blocked) {
            let draft = draft
                .target("user", user.id)
                .details(json!({"reason": "blocked"}));
            return Err(self.refuse(draft, user_blocked()).await);
        }
        let rehash = match stored {
            Some(old) if self.hasher.needs_rehash(&old) => self.rehash(password, old).await,
            _ => None,
        };
        // `mfa_enrolled` is kept in step with the factors by the store, so
        // a login without a second factor reads none.
        let factors = if user.mfa_enrolled {
            self.store.list_factors(tenant.id, user.id).await?
        } else {
            Vec::new()
        };
        let has_totp = factors
            .iter()
            .any(|f| f.factor.kind == FactorKind::Totp && f.factor.confirmed);
        // Recovery codes alone do not satisfy a tenant that requires a
        // second factor: such a login goes on to enrol an authenticator.
        // So does one whose factors an admin reset, whatever the policy.
        // An admin always has one.
        let enrolment = !has_totp
            && (admin
                || tenant.settings.mfa == MfaPolicy::Required
                || self.store.enrolment_required(tenant.id, user.id).await?);
        if has_totp || enrolment {
            let token = Secret::generate(CHALLENGE_PREFIX);
            self.store
                .create_challenge(
                    &token.hash(),
                    Challenge {
                        tenant_id: tenant.id,
                        user_id: user.id,
                        expires_at: now + CHALLENGE_TTL,
                        attempts: 0,
                        user_agent: client.user_agent.as_deref().map(|ua| clip(ua, 512)),
                        admin,
                    },
                )
                .await?;
            let methods =
                if !enrolment && factors.iter().any(|f| f.factor.remaining.unwrap_or(0) > 0) {
                    vec!["totp", "recovery_code"]
                } else {
                    vec!["totp"]
                };
            let step = if enrolment {
                "second_factor_enrolment_required"
            } else {
                "second_factor_required"
            };
            let draft = draft.target("user", user.id);
            match rehash {
                // The password step is done: its rehash does not wait for
                // the second factor (which never sees the password).
                Some(r) => {
                    let write = UserWrite {
                        tenant_id: tenant.id,
                        user_id: user.id,
                        if_match: None,
                        now,
                        mutation: Box::new(move |_: &mut User| {
                            Ok(Effects {
                                password: Some(r.write),
                                ..Effects::default()
                            })
                        }),
                        audit: draft.details(json!({"step": step, "rehashed_from": r.from})),
                    };
                    self.store.modify_user(write).await?;
                }
                None => {
                    self.store
                        .append_audit(draft.details(json!({"step": step})))
                        .await?;
                }
            }
            return Ok(LoginOutcome::SecondFactor {
                mfa_token: token,
                methods,
                enrolment,
            });
        }
        self.open_session(tenant, ctx, draft, &user, client, now, rehash)
            .await
            .map(|s| LoginOutcome::SignedIn(Box::new(s)))
    }

    /// A new argon2id hash of a password that matched the outdated hash
    /// `old`. When hashing is busy or fails, the login goes on with the old
    /// hash, to be replaced at a later login.
    async fn rehash(&self, password: NormalizedPassword, old: String) -> Option<Rehash> {
        let from = parse_stored(&old).map_or("unknown", |h| h.scheme());
        match self.hasher.hash(password).await {
            Ok(new) => Some(Rehash {
                from,
                write: PasswordWrite::Rehash { old, new },
            }),
            Err(e) => {
                tracing::warn!(error = %e, from, "an outdated password hash was not replaced");
                None
            }
        }
    }

    /// Records the login on the user and opens its session, replacing an
    /// outdated password hash in the same write.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn open_session(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        draft: AuditDraft,
        user: &User,
        client: ClientContext,
        now: OffsetDateTime,
        rehash: Option<Rehash>,
    ) -> Result<SignedIn, Error> {
        let user_agent = client.user_agent.as_deref().map(|ua| clip(ua, 512));
        let session = Session {
            id: Id::generate(),
            tenant_id: tenant.id,
            user_id: user.id,
            created_at: now,
            last_seen_at: now,
            expires_at: now + SESSION_TTL,
            ip: ctx.client_ip.as_deref().map(|ip| clip(ip, 64)),
            client: crate::useragent::parse(user_agent.as_deref().unwrap_or("")),
            user_agent,
            location: self.locate(ctx.client_ip.as_deref()),
        };
        let (new, tokens) = NewSession::open(session.clone(), now);
        let mut details = json!({"session_id": session.id.to_string()});
        if let Some(r) = &rehash {
            details["rehashed_from"] = json!(r.from);
        }
        let write = UserWrite {
            tenant_id: tenant.id,
            user_id: user.id,
            if_match: None,
            now,
            mutation: Box::new(move |u: &mut User| {
                u.last_login_at = Some(now);
                // Logging in brings an archived user back.
                u.archived = false;
                Ok(Effects {
                    new_session: Some(new),
                    password: rehash.map(|r| r.write),
                    ..Effects::default()
                })
            }),
            audit: draft.target("user", user.id).details(details),
        };
        self.store.modify_user(write).await?;
        // The client is now known to this account: its address group and
        // its device cookie, new or presented again.
        let device = client
            .device
            .map(Secret::from_string)
            .unwrap_or_else(|| Secret::generate(DEVICE_PREFIX));
        let keys = client_keys(ctx.client_ip.as_deref(), Some(device.expose()));
        self.store
            .remember_login_clients(tenant.id, user.id, &keys, now)
            .await?;
        Ok(SignedIn {
            session,
            tokens,
            device: Some(device),
        })
    }

    async fn record_failed_login(
        &self,
        tenant: &Tenant,
        user_id: UserId,
        now: OffsetDateTime,
        draft: AuditDraft,
    ) -> Result<(), Error> {
        let write = UserWrite {
            tenant_id: tenant.id,
            user_id,
            if_match: None,
            now,
            mutation: Box::new(move |u: &mut User| {
                u.last_failed_login_at = Some(now);
                Ok(Effects::default())
            }),
            audit: draft.failed_with(&invalid_credentials()),
        };
        match self.store.modify_user(write).await {
            Ok(_) | Err(Error::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
