//! Users: created, read, listed and searched, changed under their row lock
//! with the effects a change entails, and deleted.

use crate::audit::AuditDraft;
use crate::error::{Error, StoreError};
use crate::ids::{TenantId, UserId};
use crate::listing::{Page, UserQuery};
use crate::scim::query::UserSearch;
use crate::scope::AdminScope;
use crate::session::NewSession;
use crate::user::User;
use crate::user::fields::Email;
use async_trait::async_trait;
use time::OffsetDateTime;

use super::links::NewLink;
use super::role_writes::RoleWrites;
use crate::mail::OutgoingMail;

/// A change to a user's stored password hash, made in the same write as
/// the change it goes with.
#[derive(Clone, PartialEq, Eq)]
pub enum PasswordWrite {
    /// Store this hash, replacing any: an imported hash kept verbatim
    /// (checked with [`crate::password::check_importable`] first).
    Set(String),
    /// Replace the hash only while it is still `old`: a login's rehash to
    /// argon2id, which must not undo a password set after it read `old`.
    Rehash { old: String, new: String },
}

impl std::fmt::Debug for PasswordWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PasswordWrite::Set(_) => "PasswordWrite::Set(..)",
            PasswordWrite::Rehash { .. } => "PasswordWrite::Rehash(..)",
        })
    }
}

/// What else a change to a user entails, decided by the domain. Effects
/// alone (a new link, a mail, a password hash) do not change the user's
/// version.
#[derive(Debug, Default)]
pub struct Effects {
    /// End every session, refresh token and link of the user at once.
    pub revoke_access: bool,
    /// Open this session (a login).
    pub new_session: Option<NewSession>,
    /// Store this link, replacing any older link of its kind.
    pub new_link: Option<NewLink>,
    /// Put this mail in the outbox.
    pub mail: Option<OutgoingMail>,
    /// End every session of the user (links stay).
    pub end_sessions: bool,
    /// End every session of the user but this one (a password changed by
    /// its holder in this session).
    pub end_sessions_but: Option<crate::ids::SessionId>,
    /// End the user's invitation and reset links and cancel the mails that
    /// carry them (their address changed; sessions stay).
    pub revoke_links: bool,
    /// Store or replace the password hash. The audit event's details say
    /// what happened in `password_hash`: `set`, `rehashed`, or
    /// `rehash_skipped` when the stored hash was no longer `old`.
    pub password: Option<PasswordWrite>,
    /// Give or take some of the tenant's own roles (a bulk row, a SCIM
    /// write, an import row); see [`RoleWrites`]. Roles are no field of
    /// the user: changing them alone makes no new version.
    pub roles: RoleWrites,
}

impl Effects {
    /// What an edit of a user's profile entails: a new email ends the links
    /// sent to the old address, whoever reads that mailbox now.
    pub fn of_edit(email_before: &crate::user::fields::Email, after: &crate::user::User) -> Self {
        Self {
            revoke_links: email_before.normalized() != after.email.normalized(),
            ..Self::default()
        }
    }

    /// Whether the write has no effect beyond the user's own row.
    pub fn is_empty(&self) -> bool {
        !self.revoke_access
            && !self.revoke_links
            && self.new_session.is_none()
            && self.new_link.is_none()
            && self.mail.is_none()
            && !self.end_sessions
            && self.end_sessions_but.is_none()
            && self.password.is_none()
            && self.roles.is_empty()
    }
}

/// A change to one user, decided by the domain while the store holds the
/// user's row. It edits the user in place or refuses.
pub type UserMutation = Box<dyn FnOnce(&mut User) -> Result<Effects, Error> + Send>;

/// A check run on the current user before deleting it.
pub type DeleteGuard = Box<dyn FnOnce(&User) -> Result<(), Error> + Send>;

/// An edit or action on one user.
pub struct UserWrite {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// The version named by `If-Match`; `None` when the caller did not send one.
    pub if_match: Option<i64>,
    pub now: OffsetDateTime,
    pub mutation: UserMutation,
    /// Completed by the store with the changes it made.
    pub audit: AuditDraft,
}

impl std::fmt::Debug for UserWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserWrite")
            .field("tenant_id", &self.tenant_id)
            .field("user_id", &self.user_id)
            .field("if_match", &self.if_match)
            .field("action", &self.audit.action)
            .finish_non_exhaustive()
    }
}

/// The user aggregate.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Stores a new user, built and validated by the service, with its
    /// effects (an invitation link and its mail; an imported password hash,
    /// [`PasswordWrite::Set`]). Refuses with
    /// `email_taken`, `username_taken`, `external_id_taken`, or
    /// `unknown_attribute` when a definition vanished meanwhile.
    async fn create_user(
        &self,
        user: User,
        effects: Effects,
        audit: AuditDraft,
    ) -> Result<User, Error>;
    /// The batch path (imports, benchmark seeding): many users in one
    /// transaction with one audit event summarising them. All or nothing.
    async fn insert_users(
        &self,
        tenant_id: TenantId,
        users: Vec<User>,
        audit: AuditDraft,
    ) -> Result<u64, Error>;
    async fn get_user(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Option<User>, StoreError>;
    /// The users of `tenant_id` among `ids` (in no particular order; the
    /// missing ones left out), in one read.
    async fn get_users(
        &self,
        tenant_id: TenantId,
        ids: Vec<UserId>,
    ) -> Result<Vec<User>, StoreError>;
    async fn user_by_email(
        &self,
        tenant_id: TenantId,
        email: &Email,
    ) -> Result<Option<User>, StoreError>;
    /// Applies an edit or action under the row lock: checks `if_match`,
    /// runs the mutation, bumps the version (unless nothing changed), and
    /// carries out its effects.
    async fn modify_user(&self, write: UserWrite) -> Result<User, Error>;
    async fn delete_user(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        if_match: Option<i64>,
        guard: DeleteGuard,
        audit: AuditDraft,
    ) -> Result<User, Error>;
    /// One page of users with the exact total, all read in one snapshot.
    async fn list_users(
        &self,
        tenant_id: TenantId,
        query: &UserQuery,
    ) -> Result<Page<User>, StoreError>;
    /// Whether the tenant's user `user_id` is in the admin scope `scope`,
    /// tested now (`false` for a user the tenant does not have).
    async fn user_in_scope(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        scope: &AdminScope,
    ) -> Result<bool, StoreError>;
    /// The users a SCIM query selects (one window of them, in its order)
    /// and how many match in all, read in one snapshot. The condition is
    /// evaluated by the database, never by loading users to test them.
    async fn search_users(
        &self,
        tenant_id: TenantId,
        search: &UserSearch,
    ) -> Result<(u64, Vec<User>), StoreError>;
    /// Materialises `expired_invitation` for pending invitations past their
    /// expiry (at most `limit` users); answers how many changed. Reads do
    /// not depend on it; it keeps counting expired invitations cheap.
    async fn sweep_expired_invitations(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<u64, StoreError>;
}
