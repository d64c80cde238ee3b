//! The audit log: appending to a chain under its head's row lock, and
//! reading.
//!
//! Appends from several processes are ordered by the lock on the chain's
//! `audit_heads` row, taken as the last step of each write transaction so
//! that it is held only until the commit right after.

use crate::error::{has_nul, unavailable};
use crate::{PostgresStore, detached};
use async_trait::async_trait;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};
use usher_core::audit::{AuditDraft, GENESIS_HASH, StoredLink};
use usher_core::listing::{AuditQuery, Cursor, Page};
use usher_core::store::{AuditStore, ChainHead};
use usher_core::{StoreError, TenantId};
use uuid::Uuid;

/// Locks a chain's head and answers its sequence number and hash.
async fn lock_head(
    c: &mut PgConnection,
    chain: TenantId,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE chain = $1 FOR UPDATE")
        .bind(chain.uuid())
        .fetch_optional(c)
        .await
}

/// Seals `draft` as the next event of its chain and stores it.
pub(crate) async fn append(c: &mut PgConnection, draft: AuditDraft) -> Result<(), sqlx::Error> {
    let chain = draft.chain();
    let (seq, prev) = match lock_head(c, chain).await? {
        Some(head) => head,
        None => {
            // A chain's first event. Two writers may both get here; the
            // conflict clause lets one insert and makes the other wait for
            // it, and both then lock the one row.
            sqlx::query("INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO NOTHING")
                .bind(chain.uuid())
                .bind(GENESIS_HASH)
                .execute(&mut *c)
                .await?;
            lock_head(c, chain).await?.ok_or_else(|| {
                sqlx::Error::Protocol("the audit head vanished while locked".into())
            })?
        }
    };
    let event = draft.seal(seq + 1, &prev);
    // PostgreSQL text cannot hold NUL. Actors, actions and targets are ids
    // and validated names, so none is expected; should one slip through,
    // only these filter columns get U+FFFD, while the payload (where JSON
    // escapes NUL) keeps the exact value the hash covers.
    let filter = |s: &str| s.replace('\0', "\u{fffd}");
    sqlx::query(
        "WITH event AS (\
           INSERT INTO audit_events (chain, seq, id, occurred_at, actor_id, action, target_id, outcome, payload, hash) \
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)) \
         UPDATE audit_heads SET seq = $2, hash = $10 WHERE chain = $1",
    )
    .bind(chain.uuid())
    .bind(event.seq)
    .bind(event.id)
    .bind(event.draft.occurred_at)
    .bind(filter(&event.draft.actor.id))
    .bind(filter(&event.draft.action))
    .bind(event.draft.target.as_ref().map(|t| filter(&t.id)))
    .bind(event.draft.outcome.as_str())
    .bind(&event.payload)
    .bind(&event.hash)
    .execute(c)
    .await?;
    Ok(())
}

fn link(r: &sqlx::postgres::PgRow) -> Result<StoredLink, sqlx::Error> {
    Ok(StoredLink {
        seq: r.try_get(0)?,
        payload: r.try_get(1)?,
        hash: r.try_get(2)?,
    })
}

fn push_filter(qb: &mut QueryBuilder<Postgres>, chain: TenantId, q: &AuditQuery) {
    qb.push(" WHERE chain = ").push_bind(chain.uuid());
    if let Some(a) = &q.actor {
        qb.push(" AND actor_id = ").push_bind(a.clone());
    }
    if let Some(t) = &q.target {
        qb.push(" AND target_id = ").push_bind(t.clone());
    }
    if let Some(a) = &q.action {
        qb.push(" AND action = ").push_bind(a.clone());
    }
    if let Some(f) = q.from {
        qb.push(" AND occurred_at >= ").push_bind(f);
    }
    if let Some(t) = q.to {
        qb.push(" AND occurred_at <= ").push_bind(t);
    }
}

/// A page of events, newest first. In this list "after" means older.
pub(crate) async fn list(
    pool: &PgPool,
    chain: TenantId,
    q: &AuditQuery,
) -> Result<Page<StoredLink>, StoreError> {
    let cursor = q.cursor.clone().unwrap_or(Cursor::First);
    let key = |l: &StoredLink| l.seq.to_string();
    let filters = [&q.actor, &q.target, &q.action];
    if filters.iter().any(|f| f.as_deref().is_some_and(has_nul)) {
        return Ok(Page::from_window(Vec::new(), 0, 0, &cursor, key));
    }
    // One snapshot for the total and the page.
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
        .map_err(unavailable)?;
    let mut count = QueryBuilder::new("SELECT COUNT(*) FROM audit_events");
    push_filter(&mut count, chain, q);
    let total: i64 = count
        .build_query_scalar()
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable)?;
    let read = cursor.newest_first();
    let mut page = QueryBuilder::new("SELECT seq, payload, hash FROM audit_events");
    push_filter(&mut page, chain, q);
    if let Some((op, k)) = read.bound {
        page.push(format!(" AND seq {op} "))
            .push_bind(k.parse::<i64>().unwrap_or(0));
    }
    page.push(if read.descending {
        " ORDER BY seq DESC"
    } else {
        " ORDER BY seq ASC"
    });
    page.push(" LIMIT ").push_bind(i64::from(q.limit) + 1);
    let rows = page
        .build()
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    let items = rows
        .iter()
        .map(link)
        .collect::<Result<Vec<_>, _>>()
        .map_err(unavailable)?;
    Ok(Page::from_window(
        items,
        q.limit as usize,
        total as u64,
        &cursor,
        key,
    ))
}

/// The head of every chain that has events.
pub(crate) async fn heads(pool: &PgPool) -> Result<Vec<ChainHead>, StoreError> {
    let rows: Vec<(Uuid, i64, String)> =
        sqlx::query_as("SELECT chain, seq, hash FROM audit_heads WHERE seq > 0 ORDER BY chain")
            .fetch_all(pool)
            .await
            .map_err(unavailable)?;
    Ok(rows
        .into_iter()
        .map(|(chain, seq, hash): (Uuid, i64, String)| ChainHead {
            chain: chain.into(),
            seq,
            hash,
        })
        .collect())
}

/// Raw events of one chain after `after`, ascending.
pub(crate) async fn links(
    pool: &PgPool,
    chain: TenantId,
    after: i64,
    limit: u32,
) -> Result<Vec<StoredLink>, StoreError> {
    let rows = sqlx::query("SELECT seq, payload, hash FROM audit_events WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3")
        .bind(chain.uuid())
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(unavailable)?;
    rows.iter()
        .map(link)
        .collect::<Result<_, _>>()
        .map_err(unavailable)
}

#[async_trait]
impl AuditStore for PostgresStore {
    async fn append_audit(&self, draft: AuditDraft) -> Result<(), StoreError> {
        let pool = self.pool().clone();
        detached(async move {
            let w = crate::write::Write::begin(&pool, draft).await?;
            w.finish(Ok(())).await
        })
        .await
        .map_err(crate::error::into_store)
    }

    async fn list_audit(
        &self,
        chain: TenantId,
        query: &AuditQuery,
    ) -> Result<Page<StoredLink>, StoreError> {
        list(self.pool(), chain, query).await
    }

    async fn audit_heads(&self) -> Result<Vec<ChainHead>, StoreError> {
        heads(self.pool()).await
    }

    async fn audit_links(
        &self,
        chain: TenantId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredLink>, StoreError> {
        links(self.pool(), chain, after, limit).await
    }
}
