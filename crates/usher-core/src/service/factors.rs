//! Second factors: a user enrols TOTP and makes recovery codes; a login
//! with a second factor finishes with a code; admins list and remove
//! factors (never a user's last one).

use super::Services;
use super::login::{ClientContext, SignedIn};
use super::sessions::{SessionCaller, invalid_token};
use super::throttle::CodeThrottle;
use crate::audit::{AuditAction, AuditContext, AuditDraft};
use crate::error::{Error, ErrorCode, Missing};
use crate::factor::{CHALLENGE_ATTEMPTS, Challenge, Factor, FactorKind, FactorSecret, NewFactor};
use crate::ids::{FactorId, Id};
use crate::mfa::{self, TotpSecret};
use crate::tenant::Tenant;
use crate::token::{Secret, SecretHash};
use crate::user::{User, UserState};
use serde_json::json;
use time::OffsetDateTime;

/// The one answer to a wrong, reused or malformed second-factor code.
pub fn invalid_code() -> Error {
    Error::Unauthorized {
        code: ErrorCode::InvalidCode,
        message: "the code is not valid; use a current code from your authenticator app or an unused recovery code".into(),
    }
}

fn has_authenticator(factors: &[FactorSecret]) -> bool {
    factors
        .iter()
        .any(|f| f.factor.kind == FactorKind::Totp && f.factor.confirmed)
}

/// What a user needs to add a TOTP authenticator.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub factor_id: FactorId,
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

impl Services {
    /// The login challenge an `mfa_token` names, while it can still be
    /// answered in `tenant`, and the token's hash.
    async fn live_challenge(
        &self,
        tenant: &Tenant,
        mfa_token: &str,
        now: OffsetDateTime,
    ) -> Result<(SecretHash, Option<Challenge>), Error> {
        let hash = Secret::from_string(mfa_token.to_owned()).hash();
        let challenge = self.store.find_challenge(&hash).await?.filter(|c| {
            c.tenant_id == tenant.id && c.expires_at > now && c.attempts < CHALLENGE_ATTEMPTS
        });
        Ok((hash, challenge))
    }

    /// Starts a TOTP enrolment for the caller: a new secret, confirmed by
    /// the first code from it (replacing an earlier unconfirmed one).
    pub async fn enrol_totp(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        me: &SessionCaller,
    ) -> Result<Enrolment, Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::FactorTotpEnrol)
            .target("user", me.user.id);
        self.require_recent_auth(&draft, me).await?;
        self.start_totp(tenant, &me.user, draft).await
    }

    /// Starts the TOTP enrolment a login must finish when the tenant
    /// requires a second factor and the user has no authenticator yet. The
    /// login's `mfa_token` stands for the password already given; the first
    /// code from the new secret confirms it and finishes the login.
    pub async fn enrol_totp_at_login(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        mfa_token: &str,
    ) -> Result<Enrolment, Error> {
        let now = self.clock.now();
        let draft = self.draft(ctx, Some(tenant), AuditAction::FactorTotpEnrol);
        let user = match self.live_challenge(tenant, mfa_token, now).await?.1 {
            Some(c) => self.store.get_user(tenant.id, c.user_id).await?,
            None => None,
        };
        let Some(user) = user.filter(|u| u.state(now) == UserState::Active) else {
            return Err(self.refuse(draft, invalid_token()).await);
        };
        let draft = draft.target("user", user.id);
        let factors = self.store.list_factors(tenant.id, user.id).await?;
        if has_authenticator(&factors) {
            let e = Error::conflict(
                ErrorCode::AlreadyEnrolled,
                "this login already has an authenticator app; finish it with a code from the app",
            );
            return Err(self.refuse(draft, e).await);
        }
        self.start_totp(tenant, &user, draft).await
    }

    async fn start_totp(
        &self,
        tenant: &Tenant,
        user: &User,
        draft: AuditDraft,
    ) -> Result<Enrolment, Error> {
        let now = self.clock.now();
        let secret = TotpSecret::generate();
        let uri = mfa::otpauth_uri(&secret, &tenant.name, user.email.as_str());
        let factor = Factor {
            id: Id::generate(),
            user_id: user.id,
            kind: FactorKind::Totp,
            label: "Authenticator app".into(),
            created_at: now,
            last_used_at: None,
            confirmed: false,
            remaining: None,
        };
        let id = factor.id;
        self.store
            .add_factor(
                tenant.id,
                user.id,
                NewFactor {
                    factor,
                    secret: self.seal_secret(secret.bytes(), user.id),
                    codes: Vec::new(),
                },
                draft,
            )
            .await?;
        Ok(Enrolment {
            factor_id: id,
            secret: secret.to_base32(),
            qr_svg: mfa::qr_svg(&uri),
            otpauth_uri: uri,
        })
    }

    /// Confirms the caller's pending TOTP enrolment with a code from it.
    pub async fn confirm_totp(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        me: &SessionCaller,
        code: &str,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::FactorTotpConfirm)
            .target("user", me.user.id);
        self.require_recent_auth(&draft, me).await?;
        let pending = self
            .store
            .list_factors(tenant.id, me.user.id)
            .await?
            .into_iter()
            .rfind(|f| f.factor.kind == FactorKind::Totp && !f.factor.confirmed);
        let Some(pending) = pending else {
            return Err(self.refuse(draft, Error::NotFound(Missing::Factor)).await);
        };
        let step = self
            .open_secret(&pending.secret, me.user.id)
            .and_then(|s| TotpSecret::from_bytes(&s))
            .and_then(|s| mfa::verify_totp(&s, code, now.unix_timestamp(), None));
        let Some(step) = step else {
            return Err(self.refuse(draft, invalid_code()).await);
        };
        self.store
            .confirm_factor(tenant.id, me.user.id, pending.factor.id, step, draft)
            .await
    }

    /// New recovery codes for the caller, shown once; older ones stop
    /// working.
    pub async fn regenerate_recovery_codes(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        me: &SessionCaller,
    ) -> Result<Vec<String>, Error> {
        let now = self.clock.now();
        let codes = mfa::generate_recovery_codes();
        let hashes = codes
            .iter()
            .filter_map(|c| self.recovery_code_hash(c))
            .collect();
        let factor = Factor {
            id: Id::generate(),
            user_id: me.user.id,
            kind: FactorKind::RecoveryCodes,
            label: "Recovery codes".into(),
            created_at: now,
            last_used_at: None,
            confirmed: true,
            remaining: None,
        };
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::FactorRecoveryCodesGenerate)
            .target("user", me.user.id);
        self.require_recent_auth(&draft, me).await?;
        self.store
            .add_factor(
                tenant.id,
                me.user.id,
                NewFactor {
                    factor,
                    secret: Vec::new(),
                    codes: hashes,
                },
                draft,
            )
            .await?;
        Ok(codes)
    }

    /// Finishes a login that waits for its second factor.
    pub async fn login_second_factor(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        mfa_token: &str,
        code: &str,
        client: ClientContext,
    ) -> Result<SignedIn, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::UserLoginSecondFactor);
        let (user, challenge, draft) = self
            .pass_second_factor(tenant, ctx, draft, mfa_token, code, false)
            .await?;
        let client = ClientContext {
            user_agent: client.user_agent.or(challenge.user_agent),
            device: client.device,
        };
        let now = self.clock.now();
        self.open_session(tenant, ctx, draft, &user, client, now, None)
            .await
    }

    /// Checks the second factor of a login waiting for one: a login to the
    /// admin side when `admin` (an end-user login's challenge does not pass
    /// there, nor an admin login's here). Answers the active user it
    /// belongs to, the challenge, and the draft to record the login with.
    pub(crate) async fn pass_second_factor(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        draft: AuditDraft,
        mfa_token: &str,
        code: &str,
        admin: bool,
    ) -> Result<(User, Challenge, AuditDraft), Error> {
        let now = self.clock.now();
        let (hash, challenge) = self.live_challenge(tenant, mfa_token, now).await?;
        let Some(challenge) = challenge.filter(|c| c.admin == admin) else {
            return Err(self.refuse(draft, invalid_token()).await);
        };
        let draft = draft.target("user", challenge.user_id);
        let throttle = CodeThrottle::new(challenge.user_id, ctx.client_ip.as_deref());
        if let Err(e) = self.check_code_throttle(tenant, &throttle, now).await {
            let draft = draft.details(json!({"reason": "throttled"}));
            return Err(self
                .refuse_unauthenticated(draft, e, "second_factor_throttled", ctx)
                .await);
        }
        let factors = self
            .store
            .list_factors(tenant.id, challenge.user_id)
            .await?;
        // Without a confirmed authenticator this login is an enrolment
        // (the tenant requires a second factor): only a code from the app
        // being enrolled finishes it, and confirms the app.
        let enrolling = !has_authenticator(&factors);
        let accepted = if enrolling {
            let pending = factors
                .iter()
                .rfind(|f| f.factor.kind == FactorKind::Totp && !f.factor.confirmed);
            let step = pending.and_then(|f| {
                self.open_secret(&f.secret, challenge.user_id)
                    .and_then(|s| TotpSecret::from_bytes(&s))
                    .and_then(|s| mfa::verify_totp(&s, code, now.unix_timestamp(), None))
                    .map(|step| (f.factor.id, step))
            });
            match step {
                Some((factor_id, step)) => {
                    let confirm = self
                        .draft(ctx, Some(tenant), AuditAction::FactorTotpConfirm)
                        .target("user", challenge.user_id)
                        .details(json!({"during": "login"}));
                    self.store
                        .confirm_factor(tenant.id, challenge.user_id, factor_id, step, confirm)
                        .await?;
                    true
                }
                None => false,
            }
        } else {
            self.check_code(tenant, challenge.user_id, &factors, code, now)
                .await?
        };
        if !accepted {
            let attempts = self.store.challenge_failed(&hash).await?;
            self.count_code_failure(tenant, ctx, &throttle, now).await?;
            if attempts >= CHALLENGE_ATTEMPTS {
                self.store.end_challenge(&hash).await?;
            }
            let draft = draft.details(json!({"attempts": attempts}));
            return Err(self.refuse(draft, invalid_code()).await);
        }
        // One challenge opens one session, even if two codes raced.
        if !self.store.end_challenge(&hash).await? {
            return Err(self.refuse(draft, invalid_token()).await);
        }
        self.clear_code_throttle(tenant, &throttle).await?;
        let user = self.store.get_user(tenant.id, challenge.user_id).await?;
        let Some(user) = user.filter(|u| u.state(now) == UserState::Active) else {
            return Err(self.refuse(draft, invalid_token()).await);
        };
        Ok((user, challenge, draft))
    }

    /// Whether `code` is a current code of one of the user's confirmed
    /// authenticators or one of their unused recovery codes; the code is
    /// spent when it is (a TOTP step once, a recovery code once).
    pub(crate) async fn check_code(
        &self,
        tenant: &Tenant,
        user_id: crate::ids::UserId,
        factors: &[FactorSecret],
        code: &str,
        now: time::OffsetDateTime,
    ) -> Result<bool, Error> {
        if mfa::looks_like_recovery_code(code) {
            for hash in self.recovery_code_hashes(code) {
                if self
                    .store
                    .use_recovery_code(tenant.id, user_id, &hash, now)
                    .await?
                {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        for f in factors {
            if f.factor.kind != FactorKind::Totp || !f.factor.confirmed {
                continue;
            }
            let step = self
                .open_secret(&f.secret, user_id)
                .and_then(|s| TotpSecret::from_bytes(&s))
                .and_then(|s| mfa::verify_totp(&s, code, now.unix_timestamp(), f.last_step));
            // Spending the step is the compare-and-set: of two logins
            // with one code, only one gets it.
            if let Some(step) = step
                && self.store.use_totp_step(f.factor.id, step, now).await?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A user's factors (audited as a view).
    pub async fn list_factors(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        user_id: &str,
    ) -> Result<Vec<Factor>, Error> {
        let (uid, draft) = self
            .existing_user(tenant, ctx, AuditAction::UserFactorsList, user_id)
            .await?;
        let factors: Vec<Factor> = self
            .store
            .list_factors(tenant.id, uid)
            .await?
            .into_iter()
            .map(|f| f.factor)
            .collect();
        self.store
            .append_audit(draft.details(json!({"count": factors.len()})))
            .await?;
        Ok(factors)
    }

    /// Removes a factor (`Some`) or revokes the recovery codes (`None`).
    pub async fn delete_factor(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        user_id: &str,
        factor_id: Option<&str>,
    ) -> Result<(), Error> {
        let action = if factor_id.is_some() {
            AuditAction::FactorDelete
        } else {
            AuditAction::FactorRecoveryCodesRevoke
        };
        let draft = self.draft(ctx, Some(tenant), action);
        let uid = self.accept(&draft, Self::parse_user_id(user_id)).await?;
        let draft = draft.target("user", uid);
        let fid = match factor_id.map(str::parse::<FactorId>).transpose() {
            Ok(f) => f,
            Err(_) => {
                let e = Error::bad_request(ErrorCode::InvalidId, "the factor id must be a UUID");
                return Err(self.refuse(draft, e).await);
            }
        };
        self.store.delete_factor(tenant.id, uid, fid, draft).await
    }
}
