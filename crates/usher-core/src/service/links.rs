//! Invitations and password resets: issuing a link with its mail, checking
//! a link a browser presents, redeeming it with a new password, and the
//! outbox an operator without SMTP reads the links from.

use super::Services;
use crate::audit::{Actor, AuditAction, AuditContext, AuditDraft};
use crate::error::{Error, ErrorCode, FieldError};
use crate::ids::{Id, TenantId, UserId};
use crate::listing::{Cursor, Page, parse_limit};
use crate::mail::{MailContext, MailKind, MailState, OutboxEntry, OutgoingMail, compose};
use crate::store::{Effects, LinkKind, NewLink, OutboxQuery, Redemption, UserWrite};
use crate::tenant::Tenant;
use crate::token::Secret;
use crate::user::{User, UserState};
use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Prefix of invitation link secrets.
pub const INVITATION_PREFIX: &str = "usher_inv_";
/// Prefix of password-reset link secrets.
pub const RESET_PREFIX: &str = "usher_rst_";

/// The one answer to a link that cannot be used, whatever the reason, so
/// that nobody learns whether an account exists or a link was ever valid.
pub fn invalid_link() -> Error {
    Error::bad_request(
        ErrorCode::InvalidLink,
        "this link is not valid: it may have expired or been used already; ask for a new one",
    )
}

/// A fresh link of `kind` for a user of `tenant`, with the mail carrying it,
/// composed when the user is known (inside the store's transaction).
#[derive(Debug)]
pub(crate) struct PendingLink {
    kind: LinkKind,
    link: NewLink,
    url: String,
    tenant_id: TenantId,
    tenant_name: String,
    now: OffsetDateTime,
}

impl PendingLink {
    pub(crate) fn expires_at(&self) -> OffsetDateTime {
        self.link.expires_at
    }

    /// The link and its mail, addressed to `user`.
    pub(crate) fn into_effects(self, user: &User) -> Effects {
        let kind = match self.kind {
            LinkKind::Invitation => MailKind::Invitation,
            LinkKind::PasswordReset => MailKind::PasswordReset,
        };
        let text = compose(
            kind,
            user.language,
            &MailContext {
                tenant_name: &self.tenant_name,
                first_name: user.first_name.as_ref().map(|n| n.as_str()),
                link: &self.url,
                expires_at: self.link.expires_at,
            },
        );
        Effects {
            revoke_access: false,
            mail: Some(OutgoingMail {
                id: Id::generate(),
                tenant_id: self.tenant_id,
                user_id: Some(user.id),
                kind,
                recipient: user.email.as_str().to_owned(),
                subject: text.subject,
                text: text.text,
                html: text.html,
                link: Some(self.url),
                created_at: self.now,
            }),
            new_link: Some(self.link),
            ..Effects::default()
        }
    }
}

impl Services {
    /// Makes a new link of `kind` for a user of `tenant`.
    pub(crate) fn new_link(
        &self,
        tenant: &Tenant,
        kind: LinkKind,
        now: OffsetDateTime,
    ) -> PendingLink {
        let (prefix, path, hours) = match kind {
            LinkKind::Invitation => (
                INVITATION_PREFIX,
                "invite",
                tenant.settings.invitation_ttl_hours,
            ),
            LinkKind::PasswordReset => (RESET_PREFIX, "reset", tenant.settings.reset_ttl_hours),
        };
        let secret = Secret::generate(prefix);
        PendingLink {
            kind,
            link: NewLink {
                kind,
                hash: secret.hash(),
                expires_at: now + Duration::hours(i64::from(hours)),
            },
            url: format!(
                "{}/t/{}/{path}/{}",
                self.options.public_url,
                tenant.slug,
                secret.expose()
            ),
            tenant_id: tenant.id,
            tenant_name: tenant.name.clone(),
            now,
        }
    }

    /// Sends a password-reset link to an active or blocked user. The current
    /// password keeps working until the new one is set.
    pub async fn request_password_reset(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
        if_match: Option<i64>,
    ) -> Result<User, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::UserPasswordReset);
        let uid = match Self::parse_user_id(id) {
            Ok(id) => id,
            Err(e) => return Err(self.refuse(draft.details(json!({"id": id})), e).await),
        };
        let write = self.reset_write(tenant, uid, if_match, draft.target("user", uid));
        self.store.modify_user(write).await
    }

    /// The write of a password-reset request (also run by bulk processes).
    pub(crate) fn reset_write(
        &self,
        tenant: &Tenant,
        uid: UserId,
        if_match: Option<i64>,
        audit: AuditDraft,
    ) -> UserWrite {
        let now = self.clock.now();
        let pending = self.new_link(tenant, LinkKind::PasswordReset, now);
        let mut audit = audit;
        audit.details["link_expires_at"] = json!(pending.expires_at().to_string());
        UserWrite {
            tenant_id: tenant.id,
            user_id: uid,
            if_match,
            now,
            mutation: Box::new(move |user: &mut User| match user.state(now) {
                UserState::Active | UserState::Blocked => Ok(pending.into_effects(user)),
                s => Err(Error::conflict(
                    ErrorCode::InvalidState,
                    format!(
                        "password resets are for active or blocked users; this user is {}",
                        s.as_str()
                    ),
                )),
            }),
            audit,
        }
    }

    /// The user a live link of `kind` in `tenant` belongs to, for showing the
    /// page that redeems it. Unaudited: only redeeming is an action.
    pub async fn check_link(
        &self,
        tenant: &Tenant,
        kind: LinkKind,
        token: &str,
    ) -> Result<User, Error> {
        let now = self.clock.now();
        let hash = Secret::from_string(token.to_owned()).hash();
        let link = self.store.find_link(&hash).await?;
        let Some(link) =
            link.filter(|l| l.kind == kind && l.tenant_id == tenant.id && l.is_live(now))
        else {
            return Err(invalid_link());
        };
        self.store
            .get_user(tenant.id, link.user_id)
            .await?
            .ok_or_else(invalid_link)
    }

    /// Records an attempt to redeem a link that cannot be used.
    pub async fn refuse_link(&self, tenant: &Tenant, ctx: &AuditContext, kind: LinkKind) {
        let anonymous = AuditContext {
            actor: Actor::anonymous(),
            ..ctx.clone()
        };
        let draft = self
            .draft(&anonymous, Some(tenant), AuditAction::LinkRedeem)
            .details(json!({"kind": kind.as_str()}));
        let _ = self
            .refuse_unauthenticated(draft, invalid_link(), "unknown_link", ctx)
            .await;
    }

    /// Redeems a link with a new password: accepting an invitation
    /// (the user becomes active) or completing a password reset.
    pub async fn redeem_link(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        kind: LinkKind,
        token: &str,
        password: &str,
    ) -> Result<User, Error> {
        let anonymous = AuditContext {
            actor: Actor::anonymous(),
            ..ctx.clone()
        };
        let draft = self
            .draft(&anonymous, Some(tenant), AuditAction::LinkRedeem)
            .details(json!({"kind": kind.as_str()}));
        let user = match self.check_link(tenant, kind, token).await {
            Ok(u) => u,
            Err(e @ Error::Store(_)) => return Err(e),
            Err(e) => {
                return Err(self
                    .refuse_unauthenticated(draft, e, "unknown_link", ctx)
                    .await);
            }
        };
        let as_user = AuditContext {
            actor: Actor::user(user.id, user.email.as_str()),
            ..ctx.clone()
        };
        let draft = self
            .draft(&as_user, Some(tenant), AuditAction::LinkRedeem)
            .target("user", user.id)
            .details(json!({"kind": kind.as_str()}));
        let hash = match self
            .hash_new_password(tenant, &user, password, "password")
            .await
        {
            Ok(h) => h,
            Err(e @ Error::Validation(_)) => return Err(self.refuse(draft, e).await),
            Err(e) => return Err(e),
        };
        self.store
            .redeem_link(Redemption {
                tenant_id: tenant.id,
                kind,
                hash: Secret::from_string(token.to_owned()).hash(),
                now: self.clock.now(),
                password_hash: hash,
                audit: draft,
            })
            .await
    }

    /// A page of the tenant's outbox, newest first (audited).
    pub async fn list_outbox(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        state: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Page<OutboxEntry>, Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::OutboxList)
            .details(json!({"state": state}));
        let parsed = (|| {
            let state = match state.filter(|s| !s.is_empty()) {
                None => None,
                Some(s) => Some(MailState::parse(s).ok_or_else(|| {
                    Error::bad_request(
                        ErrorCode::InvalidStateFilter,
                        "state must be queued, sent or failed",
                    )
                })?),
            };
            let cursor = Cursor::decode(cursor)?;
            if let Cursor::After(k) | Cursor::Before(k) = &cursor {
                Uuid::parse_str(k).map_err(|_| {
                    Error::bad_request(
                        ErrorCode::InvalidCursor,
                        "the cursor is not valid; start again from the first page",
                    )
                })?;
            }
            Ok::<_, Error>(OutboxQuery {
                state,
                limit: parse_limit(limit)?,
                cursor,
            })
        })();
        let query = self.accept(&draft, parsed).await?;
        let page = self.store.list_outbox(tenant.id, &query).await?;
        self.store.append_audit(draft).await?;
        Ok(page)
    }
}

/// A field error on the password, for callers that check two entries match.
pub fn passwords_differ() -> FieldError {
    FieldError::new(
        "password_confirmation",
        ErrorCode::Mismatch,
        "the two passwords are not the same",
    )
}
