//! Sessions after a login: authenticating their tokens, refresh-token
//! rotation, logging out, and the sessions admins and users see.

use super::Services;
use super::login::{SignedIn, user_blocked};
use crate::audit::{AuditAction, AuditContext, AuditDraft};
use crate::error::{Error, ErrorCode, Missing};
use crate::ids::{SessionId, UserId};
use crate::session::{
    self, IssuedTokens, Rotation, RotationOutcome, SEEN_GRANULARITY, Session, TokenKind,
};
use crate::tenant::Tenant;
use crate::token::Secret;
use crate::user::{User, UserState};
use serde_json::json;

/// The one answer to a token that does not open a session (unknown,
/// expired, revoked, rotated away).
pub fn invalid_token() -> Error {
    Error::Unauthorized {
        code: ErrorCode::InvalidToken,
        message: "the token is not valid (any more); log in again".into(),
    }
}

/// A caller authenticated by a session or access token.
#[derive(Debug, Clone)]
pub struct SessionCaller {
    pub session: Session,
    pub user: User,
}

/// Whether the session went unused for longer than its tenant allows.
/// (`last_seen_at` moves a minute at a time, [`SEEN_GRANULARITY`].)
fn idle(session: &Session, tenant: &Tenant, now: time::OffsetDateTime) -> bool {
    now - session.last_seen_at > tenant.settings.session_idle_timeout() + SEEN_GRANULARITY
}

impl Services {
    /// The session and user behind a session or access token, checked on
    /// every call: a revoked session, an expired token, or a user who may no
    /// longer hold a session answers `invalid_token`.
    pub async fn authenticate_session(
        &self,
        tenant: &Tenant,
        presented: &str,
    ) -> Result<SessionCaller, Error> {
        let now = self.clock.now();
        let kind = if presented.starts_with(session::ACCESS_PREFIX) {
            TokenKind::Access
        } else if presented.starts_with(session::SESSION_PREFIX) {
            TokenKind::Session
        } else {
            return Err(invalid_token());
        };
        let hash = Secret::from_string(presented.to_owned()).hash();
        let Some(found) = self.store.find_session(kind, &hash).await? else {
            return Err(invalid_token());
        };
        if found.session.tenant_id != tenant.id || !found.is_live(kind, now) {
            return Err(invalid_token());
        }
        if idle(&found.session, tenant, now) {
            return Err(invalid_token());
        }
        let Some(user) = self
            .store
            .get_user(tenant.id, found.session.user_id)
            .await?
        else {
            return Err(invalid_token());
        };
        // Blocked users keep their sessions (an admin may end them); anyone
        // else who can no longer log in has none.
        if !matches!(user.state(now), UserState::Active | UserState::Blocked) {
            return Err(invalid_token());
        }
        if now - found.session.last_seen_at >= SEEN_GRANULARITY {
            self.store.touch_session(found.session.id, now).await?;
        }
        Ok(SessionCaller {
            session: found.session,
            user,
        })
    }

    /// Replaces a refresh token with new access and refresh tokens.
    pub async fn refresh(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        presented: &str,
    ) -> Result<SignedIn, Error> {
        let now = self.clock.now();
        let draft = self.draft(ctx, Some(tenant), AuditAction::SessionRefresh);
        let hash = Secret::from_string(presented.to_owned()).hash();
        let tokens = IssuedTokens::generate(now);
        let rotation = Rotation {
            tenant_id: tenant.id,
            presented: hash,
            next: tokens.hashes(),
            now,
        };
        // Blocked users may not refresh: look before rotating. (A block
        // landing between this look and the rotation lets one refresh
        // through, as it would have a moment earlier.)
        if let Some(found) = self.store.find_session(TokenKind::Refresh, &hash).await?
            && found.session.tenant_id == tenant.id
        {
            if idle(&found.session, tenant, now) {
                let draft = draft
                    .target("user", found.session.user_id)
                    .details(json!({"reason": "idle_timeout"}));
                return Err(self.refuse(draft, invalid_token()).await);
            }
            let user = self
                .store
                .get_user(tenant.id, found.session.user_id)
                .await?;
            match user.map(|u| (u.state(now), u.id)) {
                Some((UserState::Active, _)) => {}
                Some((UserState::Blocked, id)) => {
                    let draft = draft
                        .target("user", id)
                        .details(json!({"reason": "blocked"}));
                    return Err(self.refuse(draft, user_blocked()).await);
                }
                _ => return Err(self.refuse(draft, invalid_token()).await),
            }
        }
        match self.store.rotate_refresh(rotation, draft).await? {
            RotationOutcome::Rotated(session) => Ok(SignedIn {
                session: *session,
                tokens,
                device: None,
            }),
            RotationOutcome::Reused {
                session_id,
                user_id,
            } => {
                tracing::warn!(%session_id, %user_id, "a replaced refresh token was used again; the session was ended");
                Err(invalid_token())
            }
            RotationOutcome::Unknown => Err(invalid_token()),
        }
    }

    /// Ends the caller's own session.
    pub async fn logout(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        caller: &SessionCaller,
    ) -> Result<(), Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::SessionLogout)
            .target("user", caller.user.id)
            .details(json!({"session_id": caller.session.id.to_string()}));
        self.store
            .end_sessions(tenant.id, caller.user.id, Some(caller.session.id), draft)
            .await
            .map(|_| ())
    }

    /// A user's live sessions (audited as a view).
    pub async fn list_sessions(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        user_id: &str,
    ) -> Result<Vec<Session>, Error> {
        let (uid, draft) = self
            .existing_user(tenant, ctx, AuditAction::UserSessionsList, user_id)
            .await?;
        let sessions = self
            .store
            .list_sessions(tenant.id, uid, self.clock.now())
            .await?;
        self.store
            .append_audit(draft.details(json!({"count": sessions.len()})))
            .await?;
        Ok(sessions)
    }

    /// The id of an existing user of the tenant and the audit event of an
    /// action on them; a malformed id or an unknown user is refused (and
    /// audited).
    pub(crate) async fn existing_user(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        action: AuditAction,
        user_id: &str,
    ) -> Result<(UserId, AuditDraft), Error> {
        let draft = self.draft(ctx, Some(tenant), action);
        let uid = self.accept(&draft, Self::parse_user_id(user_id)).await?;
        let draft = draft.target("user", uid);
        if self.store.get_user(tenant.id, uid).await?.is_none() {
            return Err(self.refuse(draft, Error::NotFound(Missing::User)).await);
        }
        Ok((uid, draft))
    }

    /// Ends one session of a user, or all of them.
    pub async fn end_sessions(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        user_id: &str,
        session_id: Option<&str>,
    ) -> Result<u64, Error> {
        let action = if session_id.is_some() {
            AuditAction::SessionRevoke
        } else {
            AuditAction::SessionRevokeAll
        };
        let draft = self.draft(ctx, Some(tenant), action);
        let uid = self.accept(&draft, Self::parse_user_id(user_id)).await?;
        let sid = match session_id.map(str::parse::<SessionId>).transpose() {
            Ok(s) => s,
            Err(_) => {
                let e = Error::bad_request(ErrorCode::InvalidId, "the session id must be a UUID");
                return Err(self.refuse(draft.target("user", uid), e).await);
            }
        };
        let mut draft = draft.target("user", uid);
        if let Some(s) = sid {
            draft = draft.details(json!({"session_id": s.to_string()}));
        }
        self.store.end_sessions(tenant.id, uid, sid, draft).await
    }
}
