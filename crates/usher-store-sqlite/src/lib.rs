//! Usher's [`Store`] on embedded SQLite.
//!
//! One thread owns the write connection and commits waiting writes together
//! ([`writer`]); reads run on a small pool of connections on the blocking
//! thread pool. The database runs in WAL mode with `synchronous = FULL`:
//! a write is acknowledged only after its commit reached the disk.

mod audit;
mod bulk;
mod checkpoint;
mod conn;
mod factors;
mod groups;
mod import;
mod links;
mod list;
mod migrations;
mod outbox;
mod rows;
mod scim;
mod sessions;
mod tenants;
mod users;
mod writer;

use async_trait::async_trait;
use conn::{DbResult, Readers, TenantKeys};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::OffsetDateTime;
use usher_core::attribute::AttributeDefinition;
use usher_core::audit::{AuditDraft, StoredLink};
use usher_core::bulk::{BulkProcess, BulkRow};
use usher_core::factor::{Challenge, FactorSecret, NewFactor};
use usher_core::group::{Group, GroupWrite};
use usher_core::listing::{AuditQuery, Page, UserQuery};
use usher_core::mail::OutboxEntry;
use usher_core::session::{Rotation, RotationOutcome, Session, SessionMatch, Throttle, TokenKind};
use usher_core::store::{
    BulkChange, BulkStep, ChainHead, DeleteGuard, Effects, ImportEntry, LinkRecord, MailOutcome,
    OutboxQuery, Redemption, UserWrite,
};
use usher_core::tenant::{NewTenant, Tenant, TenantSettings};
use usher_core::token::{ApiToken, SecretHash};
use usher_core::user::User;
use usher_core::{Error, Store, StoreError};
use uuid::Uuid;
use writer::Writer;

/// The SQLite store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: Writer,
    readers: Readers,
    tenants: TenantKeys,
    /// Dropping it stops the checkpoint thread.
    _checkpoints: std::sync::mpsc::Sender<()>,
}

/// How many read connections to keep: reads are short, and the machine's
/// cores are shared with the writer and the HTTP server.
const READERS: usize = 4;

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and runs pending
    /// migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let write_conn = conn::open(path).map_err(unavailable)?;
        migrations::run(&write_conn).map_err(unavailable)?;
        conn::tune_writer(&write_conn).map_err(unavailable)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let c = conn::open(path).map_err(unavailable)?;
            c.pragma_update(None, "query_only", true)
                .map_err(unavailable)?;
            readers.push(c);
        }
        let checkpoints =
            checkpoint::start(conn::open(path).map_err(unavailable)?).map_err(|e| {
                StoreError::Unavailable(format!("cannot start the checkpoint thread: {e}"))
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Writer::start(write_conn),
                readers: Readers::new(readers),
                tenants: TenantKeys::default(),
                _checkpoints: checkpoints,
            }),
        })
    }

    /// Parses `sqlite://PATH` (also `sqlite:PATH`).
    pub fn path_from_url(url: &str) -> Option<PathBuf> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let rest = rest.split('?').next().unwrap_or(rest);
        (!rest.is_empty()).then(|| PathBuf::from(rest))
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Copies the live database into `dest` with SQLite's online backup.
    pub async fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        let dest = dest.to_owned();
        self.read(move |c| {
            c.backup(rusqlite::MAIN_DB, &dest, None)?;
            Ok(())
        })
        .await
    }

    /// Replaces the database at `target` with the backup at `backup` (a file
    /// written by [`SqliteStore::backup_to`]). No server may be using
    /// `target` meanwhile.
    pub fn restore(backup: &Path, target: &Path) -> Result<(), StoreError> {
        let check = Connection::open_with_flags(backup, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| StoreError::Unavailable(format!("cannot open the backup: {e}")))?;
        let is_usher: bool = check
            .query_row(
                "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| StoreError::Corrupt(format!("the backup is not a SQLite database: {e}")))?;
        if !is_usher {
            return Err(StoreError::Corrupt(
                "the file is not a backup of an Usher database".into(),
            ));
        }
        drop(check);
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        }
        let mut conn = conn::open(target).map_err(unavailable)?;
        conn.restore(
            rusqlite::MAIN_DB,
            backup,
            None::<fn(rusqlite::backup::Progress)>,
        )
        .map_err(unavailable)?;
        Ok(())
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        self.inner.readers.run(f).await
    }

    /// Runs `f` in the next write transaction: a write that records no
    /// audit event of its own and can only fail as a store failure.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        self.inner
            .writer
            .write(move |c| f(c).map_err(|e| conn::db_error(e).into()))
            .await
            .map_err(store_only)
    }

    /// The integer key of a tenant, cached after the first lookup (a
    /// tenant's key never changes).
    async fn tenant_key(&self, tenant_id: Uuid) -> Result<i64, StoreError> {
        if let Some(k) = self.inner.tenants.get(tenant_id) {
            return Ok(k);
        }
        let key = self
            .read(move |c| tenants::key_of(c, tenant_id))
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("tenant {tenant_id} has no row")))?;
        self.inner.tenants.insert(tenant_id, key);
        Ok(key)
    }
}

/// Writes that refuse nothing answer only store errors.
fn store_only(e: Error) -> StoreError {
    match e {
        Error::Store(s) => s,
        other => StoreError::Corrupt(other.to_string()),
    }
}

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(()))).await
    }

    async fn create_tenant(
        &self,
        tenant: NewTenant,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<Tenant, Error> {
        self.inner
            .writer
            .write(move |c| tenants::create(c, tenant, now, audit))
            .await
    }

    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        let slug = slug.to_owned();
        self.read(move |c| tenants::by_slug(c, &slug)).await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        self.read(tenants::list).await
    }

    async fn update_tenant_settings(
        &self,
        tenant_id: Uuid,
        settings: TenantSettings,
        audit: AuditDraft,
    ) -> Result<Tenant, Error> {
        self.inner
            .writer
            .write(move |c| tenants::update_settings(c, tenant_id, settings, audit))
            .await
    }

    async fn create_token(&self, token: ApiToken, audit: AuditDraft) -> Result<(), Error> {
        self.inner
            .writer
            .write(move |c| tenants::create_token(c, token, audit))
            .await
    }

    async fn token_by_hash(&self, hash: &SecretHash) -> Result<Option<ApiToken>, StoreError> {
        let hash = *hash;
        self.read(move |c| tenants::token_by_hash(c, &hash)).await
    }

    async fn replace_named_super_token(
        &self,
        token: ApiToken,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        self.inner
            .writer
            .write(move |c| tenants::replace_named_super_token(c, token, audit))
            .await
    }

    async fn create_user(
        &self,
        user: User,
        effects: Effects,
        audit: AuditDraft,
    ) -> Result<User, Error> {
        let tk = self.tenant_key(user.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| users::create(c, tk, user, effects, audit))
            .await
    }

    async fn find_link(&self, hash: &SecretHash) -> Result<Option<LinkRecord>, StoreError> {
        let hash = *hash;
        self.read(move |c| links::find(c, &hash)).await
    }

    async fn redeem_link(&self, redemption: Redemption) -> Result<User, Error> {
        let tk = self.tenant_key(redemption.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| links::redeem(c, tk, redemption))
            .await
    }

    async fn password_hash(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<String>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| links::password_hash(c, tk, user_id))
            .await
    }

    async fn list_outbox(
        &self,
        tenant_id: Uuid,
        query: &OutboxQuery,
    ) -> Result<Page<OutboxEntry>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let query = query.clone();
        self.read(move |c| outbox::list(c, tk, &query)).await
    }

    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.inner
            .writer
            .write(move |c| outbox::claim(c, now, lease_until, limit))
            .await
            .map_err(store_only)
    }

    async fn finish_mail(
        &self,
        id: Uuid,
        outcome: MailOutcome,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        self.inner
            .writer
            .write(move |c| outbox::finish(c, id, outcome, audit))
            .await
            .map_err(store_only)
    }

    async fn insert_users(
        &self,
        tenant_id: Uuid,
        batch: Vec<User>,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| users::insert_batch(c, tk, batch, audit))
            .await
    }

    async fn get_user(&self, tenant_id: Uuid, user_id: Uuid) -> Result<Option<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| Ok(rows::user_by_id(c, tk, tenant_id, user_id)?.map(|s| s.user)))
            .await
    }

    async fn get_users(&self, tenant_id: Uuid, ids: Vec<Uuid>) -> Result<Vec<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| {
            let mut users = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(s) = rows::user_by_id(c, tk, tenant_id, id)? {
                    users.push(s.user);
                }
            }
            Ok(users)
        })
        .await
    }

    async fn user_by_email(
        &self,
        tenant_id: Uuid,
        email_normalized: &str,
    ) -> Result<Option<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let email = email_normalized.to_owned();
        self.read(move |c| Ok(rows::user_by_email(c, tk, tenant_id, &email)?.map(|s| s.user)))
            .await
    }

    async fn modify_user(&self, write: UserWrite) -> Result<User, Error> {
        let tk = self.tenant_key(write.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| users::modify(c, tk, write))
            .await
    }

    async fn delete_user(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        if_match: Option<i64>,
        guard: DeleteGuard,
        audit: AuditDraft,
    ) -> Result<User, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| users::delete(c, tk, tenant_id, user_id, if_match, guard, audit))
            .await
    }

    async fn list_users(
        &self,
        tenant_id: Uuid,
        query: &UserQuery,
    ) -> Result<Page<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let query = query.clone();
        self.read(move |c| list::list_users(c, tk, tenant_id, &query))
            .await
    }

    async fn search_users(
        &self,
        tenant_id: Uuid,
        search: &usher_core::scim::query::UserSearch,
    ) -> Result<(u64, Vec<User>), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let search = search.clone();
        self.read(move |c| scim::search_users(c, tk, tenant_id, &search))
            .await
    }

    async fn create_group(&self, group: Group, audit: AuditDraft) -> Result<Group, Error> {
        let tk = self.tenant_key(group.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| groups::create(c, tk, group, audit))
            .await
    }

    async fn get_group(
        &self,
        tenant_id: Uuid,
        group_id: Uuid,
    ) -> Result<Option<Group>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| groups::get(c, tk, tenant_id, group_id))
            .await
    }

    async fn search_groups(
        &self,
        tenant_id: Uuid,
        search: &usher_core::scim::query::UserSearch,
    ) -> Result<(u64, Vec<Group>), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let search = search.clone();
        self.read(move |c| groups::search(c, tk, tenant_id, &search))
            .await
    }

    async fn modify_group(&self, write: GroupWrite) -> Result<Group, Error> {
        let tk = self.tenant_key(write.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| groups::modify(c, tk, write))
            .await
    }

    async fn delete_group(
        &self,
        tenant_id: Uuid,
        group_id: Uuid,
        if_match: Option<i64>,
        audit: AuditDraft,
    ) -> Result<Group, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| groups::delete(c, tk, tenant_id, group_id, if_match, audit))
            .await
    }

    async fn user_groups(&self, tenant_id: Uuid, user_id: Uuid) -> Result<Vec<Group>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| groups::of_user(c, tk, tenant_id, user_id))
            .await
    }

    async fn sweep_expired_invitations(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<u64, StoreError> {
        self.inner
            .writer
            .write(move |c| users::sweep_expired(c, now, limit))
            .await
            .map_err(|e| match e {
                Error::Store(s) => s,
                other => StoreError::Corrupt(other.to_string()),
            })
    }

    async fn list_attributes(
        &self,
        tenant_id: Uuid,
    ) -> Result<Vec<AttributeDefinition>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| tenants::list_attributes(c, tk)).await
    }

    async fn create_attribute(
        &self,
        tenant_id: Uuid,
        def: AttributeDefinition,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| tenants::create_attribute(c, tk, def, audit))
            .await
    }

    async fn delete_attribute(
        &self,
        tenant_id: Uuid,
        name: &str,
        purge: bool,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let name = name.to_owned();
        self.inner
            .writer
            .write(move |c| users::delete_attribute(c, tk, tenant_id, &name, purge, now, audit))
            .await
    }

    async fn append_audit(&self, draft: AuditDraft) -> Result<(), StoreError> {
        self.write(move |c| audit::append(c, draft).map(|_| ()))
            .await
    }

    async fn list_audit(
        &self,
        chain: Uuid,
        query: &AuditQuery,
    ) -> Result<Page<StoredLink>, StoreError> {
        let query = query.clone();
        self.read(move |c| audit::list(c, chain, &query)).await
    }

    async fn audit_heads(&self) -> Result<Vec<ChainHead>, StoreError> {
        self.read(audit::heads).await
    }

    async fn audit_links(
        &self,
        chain: Uuid,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredLink>, StoreError> {
        self.read(move |c| audit::links(c, chain, after, limit))
            .await
    }

    async fn find_session(
        &self,
        kind: TokenKind,
        hash: &SecretHash,
    ) -> Result<Option<SessionMatch>, StoreError> {
        let hash = *hash;
        self.read(move |c| sessions::find(c, kind, &hash)).await
    }

    async fn touch_session(&self, session_id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
        let now = usher_core::clock::to_micros(now);
        self.write(move |c| sessions::touch(c, session_id, now))
            .await
    }

    async fn rotate_refresh(
        &self,
        rotation: Rotation,
        audit: AuditDraft,
    ) -> Result<RotationOutcome, Error> {
        let tk = self.tenant_key(rotation.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| sessions::rotate(c, tk, rotation, audit))
            .await
    }

    async fn list_sessions(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let now = usher_core::clock::to_micros(now);
        self.read(move |c| sessions::list(c, tk, user_id, now))
            .await
    }

    async fn end_sessions(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        session_id: Option<Uuid>,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| sessions::end(c, tk, user_id, session_id, audit))
            .await
    }

    async fn throttle(&self, tenant_id: Uuid, key: &str) -> Result<Option<Throttle>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let key = key.to_owned();
        self.read(move |c| sessions::throttle(c, tk, &key)).await
    }

    async fn throttle_failure(
        &self,
        tenant_id: Uuid,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<Throttle, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let key = key.to_owned();
        let now = usher_core::clock::to_micros(now);
        self.write(move |c| sessions::throttle_failure(c, tk, &key, now))
            .await
    }

    async fn throttle_clear(&self, tenant_id: Uuid, key: &str) -> Result<(), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let key = key.to_owned();
        self.write(move |c| sessions::throttle_clear(c, tk, &key))
            .await
    }

    async fn list_factors(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
    ) -> Result<Vec<FactorSecret>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| factors::list(c, tk, user_id)).await
    }

    async fn add_factor(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        new: NewFactor,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| factors::add(c, tk, user_id, new, audit))
            .await
    }

    async fn confirm_factor(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        factor_id: Uuid,
        step: i64,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| factors::confirm(c, tk, user_id, factor_id, step, audit))
            .await
    }

    async fn use_totp_step(
        &self,
        factor_id: Uuid,
        step: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let now = usher_core::clock::to_micros(now);
        self.write(move |c| factors::use_step(c, factor_id, step, now))
            .await
    }

    async fn use_recovery_code(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        hash: &SecretHash,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let (hash, now) = (*hash, usher_core::clock::to_micros(now));
        self.write(move |c| factors::use_code(c, tk, user_id, &hash, now))
            .await
    }

    async fn delete_factor(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        factor_id: Option<Uuid>,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| factors::delete(c, tk, user_id, factor_id, audit))
            .await
    }

    async fn create_challenge(
        &self,
        hash: &SecretHash,
        challenge: Challenge,
    ) -> Result<(), StoreError> {
        let tk = self.tenant_key(challenge.tenant_id).await?;
        let hash = *hash;
        self.inner
            .writer
            .write(move |c| factors::create_challenge(c, tk, &hash, &challenge))
            .await
            .map_err(store_only)
    }

    async fn find_challenge(&self, hash: &SecretHash) -> Result<Option<Challenge>, StoreError> {
        let hash = *hash;
        self.read(move |c| factors::find_challenge(c, &hash)).await
    }

    async fn challenge_failed(&self, hash: &SecretHash) -> Result<u32, StoreError> {
        let hash = *hash;
        self.write(move |c| factors::challenge_failed(c, &hash))
            .await
    }

    async fn end_challenge(&self, hash: &SecretHash) -> Result<bool, StoreError> {
        let hash = *hash;
        self.write(move |c| factors::end_challenge(c, &hash)).await
    }

    async fn create_bulk(
        &self,
        process: BulkProcess,
        rows: Vec<BulkRow>,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(process.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| bulk::create(c, tk, &process, &rows, audit))
            .await
    }

    async fn get_bulk(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<BulkProcess>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| bulk::get(c, tk, id)).await
    }

    async fn list_bulk(
        &self,
        tenant_id: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<BulkProcess>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| bulk::list(c, tk, before, limit)).await
    }

    async fn bulk_rows(
        &self,
        process_id: Uuid,
        after_line: u32,
        limit: u32,
        pending: bool,
    ) -> Result<Vec<BulkRow>, StoreError> {
        self.read(move |c| bulk::rows(c, process_id, after_line, limit, pending))
            .await
    }

    async fn move_bulk(&self, change: BulkChange, audit: AuditDraft) -> Result<BulkProcess, Error> {
        let tk = self.tenant_key(change.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| bulk::move_state(c, tk, change, audit))
            .await
    }

    async fn run_bulk(
        &self,
        tenant_id: Uuid,
        process_id: Uuid,
        steps: Vec<BulkStep>,
    ) -> Result<BulkProcess, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| bulk::run(c, tk, process_id, steps))
            .await
    }

    async fn running_bulks(&self) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        self.read(bulk::running).await
    }

    async fn match_users(
        &self,
        tenant_id: Uuid,
        emails: Vec<String>,
        external_ids: Vec<String>,
    ) -> Result<Vec<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| import::match_users(c, tk, tenant_id, &emails, &external_ids))
            .await
    }

    async fn import_users(
        &self,
        tenant_id: Uuid,
        entries: Vec<ImportEntry>,
        dry_run: bool,
        audit: AuditDraft,
    ) -> Result<Vec<(u32, Error)>, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| import::import(c, tk, tenant_id, entries, dry_run, audit))
            .await
    }
}
