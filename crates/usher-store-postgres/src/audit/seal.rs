//! Appending to the audit log without a shared lock, and sealing.
//!
//! A write adds its event's body to `audit_pending` in its own transaction:
//! no row that another write needs is locked, so writes of one tenant, in
//! any number of processes, commit side by side. Sealing gives committed
//! bodies their place in their chain: under the lock on the chain's
//! `audit_heads` row (only sealers take it) it reads the chain's pending
//! bodies in insertion order, hashes each onto the one before, stores the
//! events and removes the bodies, in one transaction. The `audit_seal` job
//! seals every chain each second, and each read of a chain seals it first,
//! so a reader sees every event committed before it asked.

use crate::error::unavailable;
use sqlx::{PgConnection, PgPool, Row};
use usher_core::audit::{AuditDraft, ChainKeys, GENESIS_HASH, seal_body};
use usher_core::{StoreError, TenantId};
use uuid::Uuid;

/// Bodies sealed per transaction: enough that sealing keeps up with any
/// write rate (one statement stores them all), few enough that the head
/// is locked for milliseconds.
const SEAL_BATCH: i64 = 5000;

/// Rounds of sealing a reader does before it reads: each seals what was
/// committed before it began, so one round normally suffices; under a
/// stream of writes the reader stops after these and reads.
const READER_ROUNDS: usize = 4;

/// Adds `draft` to the log: its body waits in `audit_pending` until sealed.
pub(crate) async fn append(c: &mut PgConnection, draft: AuditDraft) -> Result<(), sqlx::Error> {
    append_all(c, vec![draft]).await
}

/// Adds `drafts` to the log, in their order, in one statement.
pub(crate) async fn append_all(
    c: &mut PgConnection,
    drafts: Vec<AuditDraft>,
) -> Result<(), sqlx::Error> {
    if drafts.is_empty() {
        return Ok(());
    }
    let statement = insert_pending!("$1", "$2", "$3", "$4", "$5", "$6", "$7");
    Pending::of(&drafts)
        .bind(sqlx::query(statement))
        .execute(c)
        .await?;
    Ok(())
}

/// The statement adding pending events; `$c` … `$b` name its parameters
/// holding the columns [`Pending::bind`] binds. WITH ORDINALITY keeps the
/// drafts' order in the ids they are given.
macro_rules! insert_pending {
    ($c:literal, $o:literal, $a:literal, $n:literal, $t:literal, $r:literal, $b:literal) => {
        concat!(
            "INSERT INTO audit_pending (chain, occurred_at, actor_id, action, target_id, outcome, body) \
             SELECT c, o, a, n, t, r, b FROM UNNEST(",
            $c,
            "::uuid[], ",
            $o,
            "::timestamptz[], ",
            $a,
            "::text[], ",
            $n,
            "::text[], ",
            $t,
            "::text[], ",
            $r,
            "::text[], ",
            $b,
            "::text[]) WITH ORDINALITY AS d (c, o, a, n, t, r, b, i) ORDER BY i"
        )
    };
}
pub(crate) use insert_pending;

type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Pending events by column.
pub(crate) struct Pending {
    chain: Vec<Uuid>,
    occurred_at: Vec<time::OffsetDateTime>,
    actor_id: Vec<String>,
    action: Vec<String>,
    target_id: Vec<Option<String>>,
    outcome: Vec<&'static str>,
    body: Vec<String>,
}

impl Pending {
    pub(crate) fn of(drafts: &[AuditDraft]) -> Self {
        // PostgreSQL text cannot hold NUL. Actors, actions and targets are
        // ids and validated names, so none is expected; should one slip
        // through, only these filter columns get U+FFFD, while the body
        // (where JSON escapes NUL) keeps the exact value the hash will cover.
        let filter = |s: &str| s.replace('\0', "\u{fffd}");
        Self {
            chain: drafts.iter().map(|d| d.chain().uuid()).collect(),
            occurred_at: drafts.iter().map(|d| d.occurred_at).collect(),
            actor_id: drafts.iter().map(|d| filter(&d.actor.id)).collect(),
            action: drafts.iter().map(|d| filter(&d.action)).collect(),
            target_id: drafts
                .iter()
                .map(|d| d.target.as_ref().map(|t| filter(&t.id)))
                .collect(),
            outcome: drafts.iter().map(|d| d.outcome.as_str()).collect(),
            body: drafts.iter().map(AuditDraft::body).collect(),
        }
    }

    /// Binds the seven arrays [`insert_pending`] reads, in its order.
    pub(crate) fn bind(self, q: Query<'_>) -> Query<'_> {
        q.bind(self.chain)
            .bind(self.occurred_at)
            .bind(self.actor_id)
            .bind(self.action)
            .bind(self.target_id)
            .bind(self.outcome)
            .bind(self.body)
    }
}

/// Locks a chain's head, creating it for the chain's first event, and
/// answers its sequence number and hash.
async fn lock_head(c: &mut PgConnection, chain: Uuid) -> Result<(i64, String), sqlx::Error> {
    // Two sealers may both create it; the conflict clause lets one insert
    // and makes the other wait for it, and both then lock the one row.
    sqlx::query(
        "INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO NOTHING",
    )
    .bind(chain)
    .bind(GENESIS_HASH)
    .execute(&mut *c)
    .await?;
    sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE chain = $1 FOR UPDATE")
        .bind(chain)
        .fetch_one(c)
        .await
}

/// Seals up to [`SEAL_BATCH`] of a chain's pending bodies; answers how many.
async fn seal_round(
    pool: &PgPool,
    keys: Option<&ChainKeys>,
    chain: Uuid,
) -> Result<usize, StoreError> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
        .await
        .map_err(unavailable)?;
    let (mut seq, mut prev) = lock_head(&mut tx, chain).await.map_err(unavailable)?;
    // Read after the lock: a sealer that held it before has committed, and
    // this statement's snapshot no longer holds what it sealed.
    let pending = sqlx::query(
        "SELECT id, occurred_at, actor_id, action, target_id, outcome, body FROM audit_pending \
         WHERE chain = $1 ORDER BY id LIMIT $2",
    )
    .bind(chain)
    .bind(SEAL_BATCH)
    .fetch_all(&mut *tx)
    .await
    .map_err(unavailable)?;
    if pending.is_empty() {
        tx.rollback().await.map_err(unavailable)?;
        return Ok(0);
    }
    let n = pending.len();
    let mut events = Events::with_capacity(n);
    for row in &pending {
        let body: String = row.try_get("body").map_err(unavailable)?;
        let sealed = seal_body(&body, seq + 1, &prev, keys)
            .map_err(|e| StoreError::Corrupt(format!("a pending audit event is not JSON: {e}")))?;
        seq += 1;
        events.push(row, seq, &sealed).map_err(unavailable)?;
        prev = sealed.hash;
    }
    sqlx::query(
        "WITH stored AS (\
           INSERT INTO audit_events (chain, seq, id, occurred_at, actor_id, action, target_id, outcome, payload, hash) \
           SELECT $1, * FROM UNNEST($2::bigint[], $3::uuid[], $4::timestamptz[], $5::text[], $6::text[], \
             $7::text[], $8::text[], $9::text[], $10::text[])), \
         removed AS (DELETE FROM audit_pending WHERE id = ANY($11)) \
         UPDATE audit_heads SET seq = $12, hash = $13 WHERE chain = $1",
    )
    .bind(chain)
    .bind(events.seq)
    .bind(events.id)
    .bind(events.occurred_at)
    .bind(events.actor_id)
    .bind(events.action)
    .bind(events.target_id)
    .bind(events.outcome)
    .bind(events.payload)
    .bind(events.hash)
    .bind(events.pending_id)
    .bind(seq)
    .bind(&prev)
    .execute(&mut *tx)
    .await
    .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    Ok(n)
}

/// The columns of sealed events, for one multi-row insert.
#[derive(Default)]
struct Events {
    pending_id: Vec<i64>,
    seq: Vec<i64>,
    id: Vec<Uuid>,
    occurred_at: Vec<time::OffsetDateTime>,
    actor_id: Vec<String>,
    action: Vec<String>,
    target_id: Vec<Option<String>>,
    outcome: Vec<String>,
    payload: Vec<String>,
    hash: Vec<String>,
}

impl Events {
    fn with_capacity(n: usize) -> Self {
        let mut e = Self::default();
        e.pending_id.reserve(n);
        e.payload.reserve(n);
        e
    }

    fn push(
        &mut self,
        row: &sqlx::postgres::PgRow,
        seq: i64,
        sealed: &usher_core::audit::Sealed,
    ) -> Result<(), sqlx::Error> {
        self.pending_id.push(row.try_get("id")?);
        self.seq.push(seq);
        self.id.push(sealed.id);
        self.occurred_at.push(row.try_get("occurred_at")?);
        self.actor_id.push(row.try_get("actor_id")?);
        self.action.push(row.try_get("action")?);
        self.target_id.push(row.try_get("target_id")?);
        self.outcome.push(row.try_get("outcome")?);
        self.payload.push(sealed.payload.clone());
        self.hash.push(sealed.hash.clone());
        Ok(())
    }
}

/// Seals what was committed to `chain` before this call, as a reader does
/// before it reads (see the module comment).
pub(crate) async fn seal_chain(
    pool: &PgPool,
    keys: Option<&ChainKeys>,
    chain: TenantId,
) -> Result<(), StoreError> {
    for _ in 0..READER_ROUNDS {
        if seal_round(pool, keys, chain.uuid()).await? < SEAL_BATCH as usize {
            break;
        }
    }
    Ok(())
}

/// Seals every chain's pending events; answers how many.
pub(crate) async fn seal_all(pool: &PgPool, keys: Option<&ChainKeys>) -> Result<u64, StoreError> {
    let chains: Vec<Uuid> = sqlx::query_scalar("SELECT DISTINCT chain FROM audit_pending")
        .fetch_all(pool)
        .await
        .map_err(unavailable)?;
    let mut sealed = 0u64;
    for chain in chains {
        loop {
            let n = seal_round(pool, keys, chain).await?;
            sealed += n as u64;
            if n < SEAL_BATCH as usize {
                break;
            }
        }
    }
    Ok(sealed)
}
