//! The storage contract. Every backend implements [`Store`]; the shared
//! conformance suite (`usher-testkit`) holds them to the same behaviour.
//!
//! Methods are whole operations, each one transaction: a write and the audit
//! event that records it commit together or not at all. A method that takes
//! an [`AuditDraft`] records it with outcome `success` when it succeeds and
//! with outcome `refused` (and the error's code) when it answers a refusal
//! such as a taken email or a forbidden transition — in which case nothing
//! else was written. After a [`StoreError`] nothing is promised.

use crate::attribute::AttributeDefinition;
use crate::audit::{AuditDraft, StoredLink};
use crate::bulk::{BulkProcess, BulkRow, BulkState};
use crate::error::{Error, StoreError};
use crate::factor::{Challenge, FactorSecret, NewFactor};
use crate::group::{Group, GroupWrite};
use crate::listing::{AuditQuery, Cursor, Page, UserQuery};
use crate::mail::{MailState, OutboxEntry, OutgoingMail};
use crate::scim::query::UserSearch;
use crate::search::UserIndex;
use crate::session::{
    NewSession, Rotation, RotationOutcome, Session, SessionMatch, Throttle, TokenKind,
};
use crate::tenant::{NewTenant, Tenant, TenantSettings};
use crate::token::{ApiToken, SecretHash};
use crate::user::User;
use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

/// The kinds of single-use links a user can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Invitation,
    PasswordReset,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Invitation => "invitation",
            LinkKind::PasswordReset => "password_reset",
        }
    }
}

/// A link to store: only the hash of its secret.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub kind: LinkKind,
    pub hash: SecretHash,
    pub expires_at: OffsetDateTime,
}

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
    /// Store or replace the password hash. The audit event's details say
    /// what happened in `password_hash`: `set`, `rehashed`, or
    /// `rehash_skipped` when the stored hash was no longer `old`.
    pub password: Option<PasswordWrite>,
}

/// A stored link, found by the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub kind: LinkKind,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

impl LinkRecord {
    /// Unused and not expired at `now`.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}

/// Redeeming a link with a new password.
#[derive(Debug)]
pub struct Redemption {
    pub tenant_id: Uuid,
    pub kind: LinkKind,
    pub hash: SecretHash,
    pub now: OffsetDateTime,
    /// The new password, already hashed (PHC string).
    pub password_hash: String,
    pub audit: AuditDraft,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    /// Accepted by the SMTP server; the link is removed from the stored mail.
    Sent { at: OffsetDateTime },
    /// Failed; try again at `at`.
    Retry { error: String, at: OffsetDateTime },
    /// Failed for good.
    Failed { error: String },
}

/// A query of the outbox, newest first; keys are mail ids.
#[derive(Debug, Clone)]
pub struct OutboxQuery {
    pub state: Option<MailState>,
    pub limit: u32,
    pub cursor: Cursor,
}

/// A change to one user, decided by the domain while the store holds the
/// user's row. It edits the user in place or refuses.
pub type UserMutation = Box<dyn FnOnce(&mut User) -> Result<Effects, Error> + Send>;

/// A check run on the current user before deleting it.
pub type DeleteGuard = Box<dyn FnOnce(&User) -> Result<(), Error> + Send>;

/// An edit or action on one user.
pub struct UserWrite {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
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

/// The head of one audit chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub chain: Uuid,
    pub seq: i64,
    pub hash: String,
}

#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Answers once the database can serve requests.
    async fn ping(&self) -> Result<(), StoreError>;

    // --- tenants ---

    /// Creates a tenant (`slug_taken` when the slug exists).
    async fn create_tenant(
        &self,
        tenant: NewTenant,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<Tenant, Error>;
    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError>;
    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError>;
    async fn update_tenant_settings(
        &self,
        tenant_id: Uuid,
        settings: TenantSettings,
        audit: AuditDraft,
    ) -> Result<Tenant, Error>;

    // --- API tokens ---

    async fn create_token(&self, token: ApiToken, audit: AuditDraft) -> Result<(), Error>;
    async fn token_by_hash(&self, hash: &SecretHash) -> Result<Option<ApiToken>, StoreError>;
    /// Makes `token` the only super-admin token named like it (the
    /// bootstrap token follows `USHER_BOOTSTRAP_TOKEN` across restarts).
    async fn replace_named_super_token(
        &self,
        token: ApiToken,
        audit: AuditDraft,
    ) -> Result<(), Error>;

    // --- users ---

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
        tenant_id: Uuid,
        users: Vec<User>,
        audit: AuditDraft,
    ) -> Result<u64, Error>;
    async fn get_user(&self, tenant_id: Uuid, user_id: Uuid) -> Result<Option<User>, StoreError>;
    /// The users of `tenant_id` among `ids` (in no particular order; the
    /// missing ones left out), in one read.
    async fn get_users(&self, tenant_id: Uuid, ids: Vec<Uuid>) -> Result<Vec<User>, StoreError>;
    async fn user_by_email(
        &self,
        tenant_id: Uuid,
        email_normalized: &str,
    ) -> Result<Option<User>, StoreError>;
    /// Applies an edit or action under the row lock: checks `if_match`,
    /// runs the mutation, bumps the version (unless nothing changed), and
    /// carries out its effects.
    async fn modify_user(&self, write: UserWrite) -> Result<User, Error>;
    async fn delete_user(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        if_match: Option<i64>,
        guard: DeleteGuard,
        audit: AuditDraft,
    ) -> Result<User, Error>;
    /// One page of users with the exact total, all read in one snapshot.
    async fn list_users(
        &self,
        tenant_id: Uuid,
        query: &UserQuery,
    ) -> Result<Page<User>, StoreError>;
    /// The users a SCIM query selects (one window of them, in its order)
    /// and how many match in all, read in one snapshot. The condition is
    /// evaluated by the database, never by loading users to test them.
    async fn search_users(
        &self,
        tenant_id: Uuid,
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

    // --- groups ---

    /// Stores a new group with its members; ids that are no user of the
    /// tenant are left out. Refuses with `group_name_taken` when another
    /// group has the name (ignoring case).
    async fn create_group(&self, group: Group, audit: AuditDraft) -> Result<Group, Error>;
    async fn get_group(&self, tenant_id: Uuid, group_id: Uuid)
    -> Result<Option<Group>, StoreError>;
    /// The groups a SCIM query selects (a [`UserSearch`] whose condition
    /// speaks of groups) and how many match, in one snapshot.
    async fn search_groups(
        &self,
        tenant_id: Uuid,
        search: &UserSearch,
    ) -> Result<(u64, Vec<Group>), StoreError>;
    /// Applies an edit under the group's lock: checks `if_match`, runs the
    /// mutation, writes what changed (members that are no user of the
    /// tenant are left out) and bumps the version if anything did.
    async fn modify_group(&self, write: GroupWrite) -> Result<Group, Error>;
    async fn delete_group(
        &self,
        tenant_id: Uuid,
        group_id: Uuid,
        if_match: Option<i64>,
        audit: AuditDraft,
    ) -> Result<Group, Error>;
    /// The groups user `user_id` is a member of, by name.
    async fn user_groups(&self, tenant_id: Uuid, user_id: Uuid) -> Result<Vec<Group>, StoreError>;

    // --- links and passwords ---

    async fn find_link(&self, hash: &SecretHash) -> Result<Option<LinkRecord>, StoreError>;
    /// Redeems a live link of the given kind in the given tenant, at most
    /// once even under concurrency: stores the password and, for an
    /// invitation, makes the pending user `active` with its signup
    /// completed. Refuses with `invalid_link` (the same for an unknown,
    /// used or expired link, or a user no longer in a state the link serves).
    async fn redeem_link(&self, redemption: Redemption) -> Result<User, Error>;
    /// The user's password hash (Usher's argon2id PHC string, or an imported
    /// hash of a format [`crate::password::parse_stored`] accepts), if one
    /// is set.
    async fn password_hash(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<String>, StoreError>;

    // --- outbox ---

    async fn list_outbox(
        &self,
        tenant_id: Uuid,
        query: &OutboxQuery,
    ) -> Result<Page<OutboxEntry>, StoreError>;
    /// Leases up to `limit` queued mails due at `now` until `lease_until`:
    /// no other caller claims them before then.
    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Records how a delivery attempt ended, with its audit event.
    async fn finish_mail(
        &self,
        id: Uuid,
        outcome: MailOutcome,
        audit: AuditDraft,
    ) -> Result<(), StoreError>;

    // --- custom attributes ---

    async fn list_attributes(
        &self,
        tenant_id: Uuid,
    ) -> Result<Vec<AttributeDefinition>, StoreError>;
    /// Refuses with `attribute_exists` when the name is taken (ignoring case).
    async fn create_attribute(
        &self,
        tenant_id: Uuid,
        def: AttributeDefinition,
        audit: AuditDraft,
    ) -> Result<(), Error>;
    /// Removes a definition. While users hold values, refuses with
    /// `attribute_in_use` unless `purge`, which removes the values too
    /// (bumping those users' versions). Answers the number of values purged.
    async fn delete_attribute(
        &self,
        tenant_id: Uuid,
        name: &str,
        purge: bool,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<u64, Error>;

    // --- audit ---

    /// Appends an event that records no change of its own (a view, a list,
    /// a refusal decided before reaching the store).
    async fn append_audit(&self, draft: AuditDraft) -> Result<(), StoreError>;
    /// Events of a chain (the tenant id, or nil for global), newest first.
    async fn list_audit(
        &self,
        chain: Uuid,
        query: &AuditQuery,
    ) -> Result<Page<StoredLink>, StoreError>;
    async fn audit_heads(&self) -> Result<Vec<ChainHead>, StoreError>;
    /// Raw events of one chain with `seq > after`, ascending, for verification.
    async fn audit_links(
        &self,
        chain: Uuid,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredLink>, StoreError>;

    // --- sessions (opened through `modify_user` with `Effects::new_session`) ---

    /// The session a session or access token belongs to, expired or not.
    async fn find_session(
        &self,
        kind: TokenKind,
        hash: &SecretHash,
    ) -> Result<Option<SessionMatch>, StoreError>;
    /// Records that the session was used at `now`.
    async fn touch_session(&self, session_id: Uuid, now: OffsetDateTime) -> Result<(), StoreError>;
    /// Replaces a current refresh token (and the access token) with the
    /// next ones; a token already replaced ends its session. Exactly one of
    /// two concurrent uses of one token rotates it.
    async fn rotate_refresh(
        &self,
        rotation: Rotation,
        audit: AuditDraft,
    ) -> Result<RotationOutcome, Error>;
    /// A user's sessions not yet expired at `now`, newest first.
    async fn list_sessions(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, StoreError>;
    /// Ends one session of the user (`Some`) or all of them; answers how
    /// many ended. An unknown session id is `Error::NotFound`.
    async fn end_sessions(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        session_id: Option<Uuid>,
        audit: AuditDraft,
    ) -> Result<u64, Error>;

    // --- login throttle ---

    async fn throttle(&self, tenant_id: Uuid, key: &str) -> Result<Option<Throttle>, StoreError>;
    /// Counts one more failure for `key`; answers the new record.
    async fn throttle_failure(
        &self,
        tenant_id: Uuid,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<Throttle, StoreError>;
    async fn throttle_clear(&self, tenant_id: Uuid, key: &str) -> Result<(), StoreError>;

    // --- second factors ---

    /// A user's factors with what verifying them needs, oldest first.
    async fn list_factors(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
    ) -> Result<Vec<FactorSecret>, StoreError>;
    /// Stores a factor: a TOTP factor replaces the user's unconfirmed one,
    /// a set of recovery codes the older set.
    async fn add_factor(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        new: NewFactor,
        audit: AuditDraft,
    ) -> Result<(), Error>;
    /// Marks a TOTP factor confirmed, its first code's step spent.
    async fn confirm_factor(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        factor_id: Uuid,
        step: i64,
        audit: AuditDraft,
    ) -> Result<(), Error>;
    /// Spends `step` of a TOTP factor if it is later than the last one
    /// spent; of concurrent uses of one step exactly one answers true.
    async fn use_totp_step(
        &self,
        factor_id: Uuid,
        step: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Spends an unused recovery code of the user; true if it was unused.
    async fn use_recovery_code(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        hash: &SecretHash,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Removes a factor (`Some`) or the user's recovery codes (`None`).
    /// The last confirmed TOTP factor of a user is refused with
    /// `last_second_factor`; an unknown factor is `factor_not_found`.
    async fn delete_factor(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        factor_id: Option<Uuid>,
        audit: AuditDraft,
    ) -> Result<(), Error>;

    /// Stores a login's wait for its second factor.
    async fn create_challenge(
        &self,
        hash: &SecretHash,
        challenge: Challenge,
    ) -> Result<(), StoreError>;
    async fn find_challenge(&self, hash: &SecretHash) -> Result<Option<Challenge>, StoreError>;
    /// Counts a wrong code; answers the attempts so far.
    async fn challenge_failed(&self, hash: &SecretHash) -> Result<u32, StoreError>;
    /// Removes the challenge; true for exactly one of concurrent callers.
    async fn end_challenge(&self, hash: &SecretHash) -> Result<bool, StoreError>;

    // --- bulk processes ---

    /// Rows a bulk run gives [`Store::run_bulk`] at once (one transaction).
    fn bulk_chunk_rows(&self) -> usize {
        crate::bulk::CHUNK_ROWS
    }

    /// Stores an uploaded process with all its rows (malformed ones with
    /// their outcome already set).
    async fn create_bulk(
        &self,
        process: BulkProcess,
        rows: Vec<BulkRow>,
        audit: AuditDraft,
    ) -> Result<(), Error>;
    async fn get_bulk(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<BulkProcess>, StoreError>;
    /// A tenant's processes, newest first, older than `before` when given.
    async fn list_bulk(
        &self,
        tenant_id: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<BulkProcess>, StoreError>;
    /// A process's rows in line order after `after_line`; only rows still
    /// without an outcome when `pending`.
    async fn bulk_rows(
        &self,
        process_id: Uuid,
        after_line: u32,
        limit: u32,
        pending: bool,
    ) -> Result<Vec<BulkRow>, StoreError>;
    /// Moves a process into `change.to` when it is in one of `change.from`
    /// (refusing with 409 `invalid_bulk_state` otherwise), with its audit.
    async fn move_bulk(&self, change: BulkChange, audit: AuditDraft) -> Result<BulkProcess, Error>;
    /// Runs one chunk of a running process in one transaction: each step
    /// whose row has no outcome yet is carried out (or refused) and its
    /// outcome recorded with it, so no row is ever run twice. Does nothing
    /// once the process is no longer running. Answers the process after.
    async fn run_bulk(
        &self,
        tenant_id: Uuid,
        process_id: Uuid,
        steps: Vec<BulkStep>,
    ) -> Result<BulkProcess, Error>;
    /// Processes left running, by tenant (to resume after a restart).
    async fn running_bulks(&self) -> Result<Vec<(Uuid, Uuid)>, StoreError>;

    // --- imports ---

    /// The users of a tenant whose normalised email is one of `emails`, or
    /// local users whose external id is one of `external_ids`, in one read.
    async fn match_users(
        &self,
        tenant_id: Uuid,
        emails: Vec<String>,
        external_ids: Vec<String>,
    ) -> Result<Vec<User>, StoreError>;
    /// Writes one batch of an import, every entry or none: answers the
    /// refusals by line (nothing written then, the attempt audited as
    /// refused) or none. A `dry_run` does all the work and checks and then
    /// keeps nothing but its audit event. The entries come in email order.
    async fn import_users(
        &self,
        tenant_id: Uuid,
        entries: Vec<ImportEntry>,
        dry_run: bool,
        audit: AuditDraft,
    ) -> Result<Vec<(u32, Error)>, Error>;
}

/// One user an import writes.
#[derive(Debug)]
pub struct ImportEntry {
    /// The row it comes from.
    pub line: u32,
    /// The user as it will be stored.
    pub user: User,
    /// When this replaces a stored user: that user's version, checked.
    pub replaces: Option<i64>,
    /// Stored verbatim as the user's password hash (checked beforehand).
    pub password_hash: Option<String>,
    /// A confirmed TOTP factor with this secret, replacing any other.
    pub totp_secret: Option<Vec<u8>>,
    /// An invitation to send (its link and mail).
    pub effects: Effects,
    /// The search index of `user`, made with the entry (see
    /// [`ImportEntry::new`]).
    pub index: UserIndex,
}

impl ImportEntry {
    /// An entry with its user's search index worked out.
    pub fn new(
        line: u32,
        user: User,
        replaces: Option<i64>,
        password_hash: Option<String>,
        totp_secret: Option<Vec<u8>>,
        effects: Effects,
    ) -> Self {
        let index = UserIndex::of(&user);
        Self {
            line,
            user,
            replaces,
            password_hash,
            totp_secret,
            effects,
            index,
        }
    }
}

/// A bulk process changing state.
#[derive(Debug, Clone)]
pub struct BulkChange {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub from: Vec<BulkState>,
    pub to: BulkState,
    pub now: OffsetDateTime,
    /// Who starts it (`running` only): rows are audited in that name.
    pub started_by: Option<String>,
    /// Why Usher stopped it (`failed` only).
    pub error: Option<String>,
}

impl BulkChange {
    /// A move of process `id` from one of `from` to `to`, at `now`.
    pub fn new(
        tenant_id: Uuid,
        id: Uuid,
        from: &[BulkState],
        to: BulkState,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            tenant_id,
            id,
            from: from.to_vec(),
            to,
            now,
            started_by: None,
            error: None,
        }
    }
}

/// What one row of a bulk run does.
#[derive(Debug)]
pub struct BulkStep {
    pub line: u32,
    pub op: BulkOp,
}

/// The operation of a bulk row: the same writes the single actions make.
pub enum BulkOp {
    /// The row is refused before any write (unknown user, data changed in
    /// the meantime); the refusal is audited and becomes its outcome.
    Refuse {
        refusal: Error,
        audit: AuditDraft,
    },
    Write(UserWrite),
    Delete {
        user_id: Uuid,
        if_match: Option<i64>,
        guard: DeleteGuard,
        audit: AuditDraft,
    },
}

impl std::fmt::Debug for BulkOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BulkOp::Refuse { refusal, .. } => write!(f, "Refuse({})", refusal.code()),
            BulkOp::Write(w) => write!(f, "Write({})", w.audit.action),
            BulkOp::Delete { user_id, .. } => write!(f, "Delete({user_id})"),
        }
    }
}
