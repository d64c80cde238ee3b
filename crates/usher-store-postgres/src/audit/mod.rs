//! The audit log: reading, after sealing what is pending (see `seal`).

mod seal;

pub(crate) use seal::{Pending, append, append_all, insert_pending};

use crate::error::{has_nul, unavailable};
use crate::{PostgresStore, detached};
use async_trait::async_trait;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use usher_core::audit::{AuditDraft, ChainKeys, StoredLink};
use usher_core::listing::{AuditQuery, Cursor, Page};
use usher_core::store::{AuditStore, ChainHead};
use usher_core::{StoreError, TenantId};
use uuid::Uuid;

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
    keys: Option<&ChainKeys>,
    chain: TenantId,
    q: &AuditQuery,
) -> Result<Page<StoredLink>, StoreError> {
    let cursor = q.cursor.clone().unwrap_or(Cursor::First);
    let key = |l: &StoredLink| l.seq.to_string();
    let filters = [&q.actor, &q.target, &q.action];
    if filters.iter().any(|f| f.as_deref().is_some_and(has_nul)) {
        return Ok(Page::from_window(Vec::new(), 0, 0, &cursor, key));
    }
    seal::seal_chain(pool, keys, chain).await?;
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
pub(crate) async fn heads(
    pool: &PgPool,
    keys: Option<&ChainKeys>,
) -> Result<Vec<ChainHead>, StoreError> {
    seal::seal_all(pool, keys).await?;
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
    keys: Option<&ChainKeys>,
    chain: TenantId,
    after: i64,
    limit: u32,
) -> Result<Vec<StoredLink>, StoreError> {
    seal::seal_chain(pool, keys, chain).await?;
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
        list(self.pool(), self.chain_keys(), chain, query).await
    }

    fn seals_audit_later(&self) -> bool {
        true
    }

    async fn seal_audit(&self) -> Result<u64, StoreError> {
        seal::seal_all(self.pool(), self.chain_keys()).await
    }

    async fn audit_heads(&self) -> Result<Vec<ChainHead>, StoreError> {
        heads(self.pool(), self.chain_keys()).await
    }

    async fn audit_links(
        &self,
        chain: TenantId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredLink>, StoreError> {
        links(self.pool(), self.chain_keys(), chain, after, limit).await
    }
}
