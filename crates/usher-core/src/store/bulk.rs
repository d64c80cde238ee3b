//! Bulk processes (one action over many users, run in chunks) and imports
//! (batches of users written whole or not at all).

use crate::audit::AuditDraft;
use crate::bulk::{BulkProcess, BulkRow, BulkState};
use crate::error::{Error, StoreError};
use crate::ids::{BulkProcessId, ImportId, TenantId, UserId};
use crate::import::ImportRecord;
use crate::job::NewJob;
use crate::search::UserIndex;
use crate::user::User;
use async_trait::async_trait;
use time::OffsetDateTime;

use super::users::{DeleteGuard, Effects, UserWrite};

/// Bulk processes and imports.
#[async_trait]
pub trait BulkStore: Send + Sync {
    /// Rows a bulk run gives [`BulkStore::run_bulk`] at once (one transaction).
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
    async fn get_bulk(
        &self,
        tenant_id: TenantId,
        id: BulkProcessId,
    ) -> Result<Option<BulkProcess>, StoreError>;
    /// A tenant's processes, newest first, older than `before` when given.
    async fn list_bulk(
        &self,
        tenant_id: TenantId,
        before: Option<BulkProcessId>,
        limit: u32,
    ) -> Result<Vec<BulkProcess>, StoreError>;
    /// A process's rows in line order after `after_line`; only rows still
    /// without an outcome when `pending`.
    async fn bulk_rows(
        &self,
        process_id: BulkProcessId,
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
        tenant_id: TenantId,
        process_id: BulkProcessId,
        steps: Vec<BulkStep>,
    ) -> Result<BulkProcess, Error>;

    // --- imports ---

    /// The users of a tenant whose normalised email is one of `emails`, or
    /// local users whose external id is one of `external_ids`, in one read.
    async fn match_users(
        &self,
        tenant_id: TenantId,
        emails: Vec<String>,
        external_ids: Vec<String>,
    ) -> Result<Vec<User>, StoreError>;
    /// Writes one batch of an import, every entry or none: answers the
    /// refusals by line (nothing written then, the attempt audited as
    /// refused) or none. With `skip_refused` the entries the store refuses
    /// are left out and the rest written; the refusals are answered all the
    /// same, and counted into the saved record with
    /// [`ImportRecord::count_refused`]. A `dry_run` does all the work and
    /// checks and then keeps nothing but its audit event. The entries come
    /// in email order. `save`, when given, is saved in the transaction that
    /// keeps the batch (see [`BulkStore::save_import`]), and not when the
    /// batch is refused.
    async fn import_users(
        &self,
        tenant_id: TenantId,
        entries: Vec<ImportEntry>,
        mode: ImportMode,
        audit: AuditDraft,
        save: Option<ImportSave>,
    ) -> Result<Vec<(u32, Error)>, Error>;
    /// Stores a queued import with its file and the job that runs it.
    async fn create_import(
        &self,
        record: ImportRecord,
        file: Vec<u8>,
        job: NewJob,
        audit: AuditDraft,
    ) -> Result<(), Error>;
    async fn get_import(
        &self,
        tenant_id: TenantId,
        id: ImportId,
    ) -> Result<Option<ImportRecord>, StoreError>;
    /// A tenant's imports, newest first, older than `before` when given.
    async fn list_imports(
        &self,
        tenant_id: TenantId,
        before: Option<ImportId>,
        limit: u32,
    ) -> Result<Vec<ImportRecord>, StoreError>;
    /// The file of an import that has not finished (an import drops its
    /// file when it finishes).
    async fn import_file(&self, id: ImportId) -> Result<Option<Vec<u8>>, StoreError>;
    /// Saves an import's record, inserting it when it is not stored yet,
    /// provided the stored one has done `save.after` batches: a process
    /// that lost the import to another is refused with 409
    /// `import_moved_on` and changes nothing. `audit` is recorded with it.
    async fn save_import(&self, save: ImportSave, audit: Option<AuditDraft>) -> Result<(), Error>;
}

/// How [`BulkStore::import_users`] writes a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportMode {
    /// Check everything, keep nothing.
    pub dry_run: bool,
    /// Leave out the entries the store refuses and write the rest.
    pub skip_refused: bool,
}

/// An import's record to save, and the batches the stored one must have
/// done for the save to apply.
#[derive(Debug, Clone)]
pub struct ImportSave {
    pub record: ImportRecord,
    pub after: u64,
}

/// The refusal of a save whose import another process moved on.
pub fn import_moved_on() -> Error {
    Error::conflict(
        crate::error::ErrorCode::ImportMovedOn,
        "another process saved this batch of the import first",
    )
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
    /// An invitation to send (its link and mail), roles to give or take.
    pub effects: Effects,
    /// When it is written: the time of its password, factor and role
    /// assignments (a row that changes only roles leaves the user's
    /// `updated_at` as it was).
    pub at: OffsetDateTime,
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
        at: OffsetDateTime,
    ) -> Self {
        let index = UserIndex::of(&user);
        Self {
            line,
            user,
            replaces,
            password_hash,
            totp_secret,
            effects,
            at,
            index,
        }
    }
}

/// A bulk process changing state.
#[derive(Debug, Clone)]
pub struct BulkChange {
    pub tenant_id: TenantId,
    pub id: BulkProcessId,
    pub from: Vec<BulkState>,
    pub to: BulkState,
    pub now: OffsetDateTime,
    /// Who starts it (`running` only): rows are audited in that name.
    pub started_by: Option<String>,
    /// Why Usher stopped it (`failed` only).
    pub error: Option<String>,
    /// A job to enqueue with the move (the run of a started process).
    pub job: Option<NewJob>,
}

impl BulkChange {
    /// A move of process `id` from one of `from` to `to`, at `now`.
    pub fn new(
        tenant_id: TenantId,
        id: BulkProcessId,
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
            job: None,
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
        user_id: UserId,
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
