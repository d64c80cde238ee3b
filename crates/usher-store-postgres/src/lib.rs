//! Usher's [`Store`] on PostgreSQL, for larger installs and for several
//! `usher serve` processes sharing one database.
//!
//! It keeps the SQLite store's schema and algorithms, so that both answer
//! alike; what differs is how concurrent writers are kept apart. SQLite has
//! one writer; here every write is its own READ COMMITTED transaction
//! (see `write.rs`) that locks what it changes: the user's row, the counters it
//! moves, and, as its last step, the head of its audit chain. Reads that
//! must agree with each other (a page and its total) share one REPEATABLE
//! READ snapshot.
//!
//! Needs PostgreSQL 11 or later (covering indexes, `hashtextextended`).

mod audit;
mod bulk;
mod bulk_processes;
mod counts;
mod error;
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
mod user_rows;
mod users;
mod write;

use async_trait::async_trait;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use time::OffsetDateTime;
use usher_core::attribute::AttributeDefinition;
use usher_core::audit::{AuditDraft, StoredLink};
use usher_core::bulk::{BulkProcess, BulkRow};
use usher_core::factor::{Challenge, FactorSecret, NewFactor};
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

/// The PostgreSQL store. Cheap to clone; clones share the pool.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: PgPool,
    /// Tenant id → integer key, filled on first use (a key never changes).
    tenant_keys: RwLock<HashMap<Uuid, i64>>,
}

/// Connections per process. Each write holds one for a few round trips;
/// several processes share the server's `max_connections` (100 by default).
const MAX_CONNECTIONS: u32 = 16;

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host/db`) and
    /// runs pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let mut options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid PostgreSQL URL: {e}")))?;
        // Lets an operator tell Usher's sessions apart in pg_stat_activity.
        if options.get_application_name().is_none() {
            options = options.application_name("usher");
        }
        // Session settings, each unless the URL's `options` sets it:
        // * Tenants differ in size by orders of magnitude, and one prepared
        //   statement serves them all: a generic plan made for an average
        //   tenant (a sort where an index walk would stop after a page) can
        //   be far off for a big one. Planning each execution costs well
        //   under a millisecond.
        // * A row lock held by something stuck (an operator's open psql
        //   transaction) would otherwise make writes wait forever, each
        //   holding a connection, until the pool runs dry. Ten seconds is
        //   what the SQLite store waits for another process's write lock.
        for (name, value) in [
            ("plan_cache_mode", "force_custom_plan"),
            ("lock_timeout", "10s"),
        ] {
            if !options.get_options().is_some_and(|o| o.contains(name)) {
                options = options.options([(name, value)]);
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(error::unavailable)?;
        migrations::run(&pool).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                tenant_keys: RwLock::default(),
            }),
        })
    }

    /// Closes every connection, waiting for the ones in use to be returned.
    pub async fn close(&self) {
        self.inner.pool.close().await;
    }

    fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// The integer key of a tenant, cached after the first lookup.
    async fn tenant_key(&self, tenant_id: Uuid) -> Result<i64, StoreError> {
        let cached = self
            .inner
            .tenant_keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&tenant_id)
            .copied();
        if let Some(k) = cached {
            return Ok(k);
        }
        let key = tenants::key_of(self.pool(), tenant_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("tenant {tenant_id} has no row")))?;
        self.inner
            .tenant_keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(tenant_id, key);
        Ok(key)
    }
}

/// Runs a write on its own task, so that it finishes (commits or rolls
/// back, and is audited) even when the request that asked for it goes away
/// meanwhile, as writes queued to the SQLite writer do. A panic inside it
/// becomes a store error, as it does there.
async fn detached<T, F>(write: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: Future<Output = Result<T, Error>> + Send + 'static,
{
    tokio::spawn(write)
        .await
        .unwrap_or_else(|_| Err(StoreError::Corrupt("a write panicked".into()).into()))
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(self.pool())
            .await
            .map(|_| ())
            .map_err(error::unavailable)
    }

    async fn create_tenant(
        &self,
        tenant: NewTenant,
        now: OffsetDateTime,
        audit: AuditDraft,
    ) -> Result<Tenant, Error> {
        let pool = self.pool().clone();
        detached(async move { tenants::create(&pool, tenant, now, audit).await }).await
    }

    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        tenants::by_slug(self.pool(), slug).await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        tenants::list(self.pool()).await
    }

    async fn update_tenant_settings(
        &self,
        tenant_id: Uuid,
        settings: TenantSettings,
        audit: AuditDraft,
    ) -> Result<Tenant, Error> {
        let pool = self.pool().clone();
        detached(async move { tenants::update_settings(&pool, tenant_id, settings, audit).await })
            .await
    }

    async fn create_token(&self, token: ApiToken, audit: AuditDraft) -> Result<(), Error> {
        let pool = self.pool().clone();
        detached(async move { tenants::create_token(&pool, token, audit).await }).await
    }

    async fn token_by_hash(&self, hash: &SecretHash) -> Result<Option<ApiToken>, StoreError> {
        tenants::token_by_hash(self.pool(), hash).await
    }

    async fn replace_named_super_token(
        &self,
        token: ApiToken,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let pool = self.pool().clone();
        detached(async move { tenants::replace_named_super_token(&pool, token, audit).await }).await
    }

    async fn create_user(
        &self,
        user: User,
        effects: Effects,
        audit: AuditDraft,
    ) -> Result<User, Error> {
        let tk = self.tenant_key(user.tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { users::create(&pool, tk, user, effects, audit).await }).await
    }

    async fn find_link(&self, hash: &SecretHash) -> Result<Option<LinkRecord>, StoreError> {
        links::find(self.pool(), hash).await
    }

    async fn redeem_link(&self, redemption: Redemption) -> Result<User, Error> {
        let tk = self.tenant_key(redemption.tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { links::redeem(&pool, tk, redemption).await }).await
    }

    async fn password_hash(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<String>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        links::password_hash(self.pool(), tk, user_id).await
    }

    async fn list_outbox(
        &self,
        tenant_id: Uuid,
        query: &OutboxQuery,
    ) -> Result<Page<OutboxEntry>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        outbox::list(self.pool(), tk, query).await
    }

    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        outbox::claim(self.pool(), now, lease_until, limit).await
    }

    async fn finish_mail(
        &self,
        id: Uuid,
        outcome: MailOutcome,
        audit: AuditDraft,
    ) -> Result<(), StoreError> {
        let pool = self.pool().clone();
        detached(async move { outbox::finish(&pool, id, outcome, audit).await })
            .await
            .map_err(error::into_store)
    }

    async fn insert_users(
        &self,
        tenant_id: Uuid,
        batch: Vec<User>,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { users::insert_batch(&pool, tk, batch, audit).await }).await
    }

    async fn get_user(&self, tenant_id: Uuid, user_id: Uuid) -> Result<Option<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        Ok(rows::user_by_id(self.pool(), tk, tenant_id, user_id, false)
            .await?
            .map(|s| s.user))
    }

    async fn get_users(&self, tenant_id: Uuid, ids: Vec<Uuid>) -> Result<Vec<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        rows::users_by_ids(self.pool(), tk, tenant_id, &ids).await
    }

    async fn user_by_email(
        &self,
        tenant_id: Uuid,
        email_normalized: &str,
    ) -> Result<Option<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        Ok(
            rows::user_by_email(self.pool(), tk, tenant_id, email_normalized)
                .await?
                .map(|s| s.user),
        )
    }

    async fn modify_user(&self, write: UserWrite) -> Result<User, Error> {
        let tk = self.tenant_key(write.tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { users::modify(&pool, tk, write).await }).await
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
        let pool = self.pool().clone();
        detached(async move {
            users::delete(&pool, tk, tenant_id, user_id, if_match, guard, audit).await
        })
        .await
    }

    async fn list_users(
        &self,
        tenant_id: Uuid,
        query: &UserQuery,
    ) -> Result<Page<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        list::list_users(self.pool(), tk, tenant_id, query).await
    }

    async fn search_users(
        &self,
        tenant_id: Uuid,
        search: &usher_core::scim::query::UserSearch,
    ) -> Result<(u64, Vec<User>), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        scim::search_users(self.pool(), tk, tenant_id, search).await
    }

    /// A chunk holds the tenant's audit chain head until it commits, and
    /// every other audited request of the tenant (views included) waits
    /// for it, within the 10 s lock timeout: 1,000 rows took 7 s on a
    /// loaded 2-core machine, 200 take under 2.
    fn bulk_chunk_rows(&self) -> usize {
        200
    }

    async fn create_group(
        &self,
        group: usher_core::group::Group,
        audit: AuditDraft,
    ) -> Result<usher_core::group::Group, Error> {
        let tk = self.tenant_key(group.tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { groups::create(&pool, tk, group, audit).await }).await
    }

    async fn get_group(
        &self,
        tenant_id: Uuid,
        group_id: Uuid,
    ) -> Result<Option<usher_core::group::Group>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        groups::get(self.pool(), tk, tenant_id, group_id).await
    }

    async fn search_groups(
        &self,
        tenant_id: Uuid,
        search: &usher_core::scim::query::UserSearch,
    ) -> Result<(u64, Vec<usher_core::group::Group>), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        groups::search(self.pool(), tk, tenant_id, search).await
    }

    async fn modify_group(
        &self,
        write: usher_core::group::GroupWrite,
    ) -> Result<usher_core::group::Group, Error> {
        let tk = self.tenant_key(write.tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { groups::modify(&pool, tk, write).await }).await
    }

    async fn delete_group(
        &self,
        tenant_id: Uuid,
        group_id: Uuid,
        if_match: Option<i64>,
        audit: AuditDraft,
    ) -> Result<usher_core::group::Group, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(
            async move { groups::delete(&pool, tk, tenant_id, group_id, if_match, audit).await },
        )
        .await
    }

    async fn user_groups(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
    ) -> Result<Vec<usher_core::group::Group>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        groups::of_user(self.pool(), tk, tenant_id, user_id).await
    }

    async fn sweep_expired_invitations(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let pool = self.pool().clone();
        detached(async move { Ok(users::sweep_expired(&pool, now, limit).await?) })
            .await
            .map_err(error::into_store)
    }

    async fn list_attributes(
        &self,
        tenant_id: Uuid,
    ) -> Result<Vec<AttributeDefinition>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        tenants::list_attributes(self.pool(), tk).await
    }

    async fn create_attribute(
        &self,
        tenant_id: Uuid,
        def: AttributeDefinition,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { tenants::create_attribute(&pool, tk, def, audit).await }).await
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
        let pool = self.pool().clone();
        let name = name.to_owned();
        detached(async move {
            users::delete_attribute(&pool, tk, tenant_id, &name, purge, now, audit).await
        })
        .await
    }

    async fn append_audit(&self, draft: AuditDraft) -> Result<(), StoreError> {
        let pool = self.pool().clone();
        detached(async move {
            let w = write::Write::begin(&pool, draft).await?;
            w.finish(Ok(())).await
        })
        .await
        .map_err(error::into_store)
    }

    async fn list_audit(
        &self,
        chain: Uuid,
        query: &AuditQuery,
    ) -> Result<Page<StoredLink>, StoreError> {
        audit::list(self.pool(), chain, query).await
    }

    async fn audit_heads(&self) -> Result<Vec<ChainHead>, StoreError> {
        audit::heads(self.pool()).await
    }

    async fn audit_links(
        &self,
        chain: Uuid,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredLink>, StoreError> {
        audit::links(self.pool(), chain, after, limit).await
    }

    async fn find_session(
        &self,
        kind: TokenKind,
        hash: &SecretHash,
    ) -> Result<Option<SessionMatch>, StoreError> {
        sessions::find(self.pool(), kind, hash).await
    }

    async fn touch_session(&self, session_id: Uuid, now: OffsetDateTime) -> Result<(), StoreError> {
        sessions::touch(self.pool(), session_id, now).await
    }

    async fn rotate_refresh(
        &self,
        rotation: Rotation,
        audit: AuditDraft,
    ) -> Result<RotationOutcome, Error> {
        let tk = self.tenant_key(rotation.tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { sessions::rotate(&pool, tk, rotation, audit).await }).await
    }

    async fn list_sessions(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        now: OffsetDateTime,
    ) -> Result<Vec<Session>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        sessions::list(self.pool(), tk, user_id, now).await
    }

    async fn end_sessions(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        session_id: Option<Uuid>,
        audit: AuditDraft,
    ) -> Result<u64, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { sessions::end(&pool, tk, user_id, session_id, audit).await }).await
    }

    async fn throttle(&self, tenant_id: Uuid, key: &str) -> Result<Option<Throttle>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        sessions::throttle(self.pool(), tk, key).await
    }

    async fn throttle_failure(
        &self,
        tenant_id: Uuid,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<Throttle, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        sessions::throttle_failure(self.pool(), tk, key, now).await
    }

    async fn throttle_clear(&self, tenant_id: Uuid, key: &str) -> Result<(), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        sessions::throttle_clear(self.pool(), tk, key).await
    }

    async fn list_factors(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
    ) -> Result<Vec<FactorSecret>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        factors::list(self.pool(), tk, user_id).await
    }

    async fn add_factor(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        new: NewFactor,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { factors::add(&pool, tk, user_id, new, audit).await }).await
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
        let pool = self.pool().clone();
        detached(async move { factors::confirm(&pool, tk, user_id, factor_id, step, audit).await })
            .await
    }

    async fn use_totp_step(
        &self,
        factor_id: Uuid,
        step: i64,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        factors::use_step(self.pool(), factor_id, step, now).await
    }

    async fn use_recovery_code(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        hash: &SecretHash,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        factors::use_code(self.pool(), tk, user_id, hash, now).await
    }

    async fn delete_factor(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        factor_id: Option<Uuid>,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { factors::delete(&pool, tk, user_id, factor_id, audit).await }).await
    }

    async fn create_challenge(
        &self,
        hash: &SecretHash,
        challenge: Challenge,
    ) -> Result<(), StoreError> {
        let tk = self.tenant_key(challenge.tenant_id).await?;
        factors::create_challenge(self.pool(), tk, hash, &challenge).await
    }

    async fn find_challenge(&self, hash: &SecretHash) -> Result<Option<Challenge>, StoreError> {
        factors::find_challenge(self.pool(), hash).await
    }

    async fn challenge_failed(&self, hash: &SecretHash) -> Result<u32, StoreError> {
        factors::challenge_failed(self.pool(), hash).await
    }

    async fn end_challenge(&self, hash: &SecretHash) -> Result<bool, StoreError> {
        factors::end_challenge(self.pool(), hash).await
    }

    async fn create_bulk(
        &self,
        process: BulkProcess,
        rows: Vec<BulkRow>,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(process.tenant_id).await?;
        bulk_processes::create(self.pool(), tk, process, rows, audit).await
    }

    async fn get_bulk(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<BulkProcess>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        bulk_processes::get(self.pool(), tk, id).await
    }

    async fn list_bulk(
        &self,
        tenant_id: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<BulkProcess>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        bulk_processes::list(self.pool(), tk, before, limit).await
    }

    async fn bulk_rows(
        &self,
        process_id: Uuid,
        after_line: u32,
        limit: u32,
        pending: bool,
    ) -> Result<Vec<BulkRow>, StoreError> {
        bulk_processes::rows(self.pool(), process_id, after_line, limit, pending).await
    }

    async fn move_bulk(&self, change: BulkChange, audit: AuditDraft) -> Result<BulkProcess, Error> {
        let tk = self.tenant_key(change.tenant_id).await?;
        bulk_processes::move_state(self.pool(), tk, change, audit).await
    }

    async fn run_bulk(
        &self,
        tenant_id: Uuid,
        process_id: Uuid,
        steps: Vec<BulkStep>,
    ) -> Result<BulkProcess, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        bulk_processes::run(self.pool(), tk, process_id, steps).await
    }

    async fn running_bulks(&self) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        bulk_processes::running(self.pool()).await
    }

    async fn match_users(
        &self,
        tenant_id: Uuid,
        emails: Vec<String>,
        external_ids: Vec<String>,
    ) -> Result<Vec<User>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        import::match_users(self.pool(), tk, tenant_id, &emails, &external_ids).await
    }

    async fn import_users(
        &self,
        tenant_id: Uuid,
        entries: Vec<ImportEntry>,
        dry_run: bool,
        audit: AuditDraft,
    ) -> Result<Vec<(u32, Error)>, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        import::import(self.pool(), tk, tenant_id, entries, dry_run, audit).await
    }
}
