//! The audit log: appending to a chain under the write lock, and reading.

use crate::conn::DbResult;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use std::cell::OnceCell;
use usher_core::audit::{AuditDraft, AuditEvent, ChainKeys, GENESIS_HASH, StoredLink};
use usher_core::clock::to_micros;
use usher_core::listing::{AuditQuery, Cursor, Page};
use usher_core::store::{AuditStore, ChainHead};

use crate::SqliteStore;
use async_trait::async_trait;
use usher_core::{StoreError, TenantId};

thread_local! {
    /// The chain keys of the store whose writer thread this is. Every
    /// append runs on a store's writer thread (it needs the write
    /// connection), and each store has its own thread, so a thread holds
    /// exactly its store's keys without threading them through every write
    /// function down to here. Set once, when the thread starts.
    static CHAIN_KEYS: OnceCell<Option<ChainKeys>> = const { OnceCell::new() };
}

/// Names this thread as the writer of a store whose chains are keyed with
/// `keys` (or not keyed, for `None`).
pub(crate) fn keep_chain_keys_on_this_thread(keys: Option<ChainKeys>) {
    CHAIN_KEYS.with(|k| {
        let _ = k.set(keys);
    });
}

/// Seals `draft` as the next event of its chain and stores it. Runs on the
/// writer, so no other append can interleave.
pub(crate) fn append(c: &Connection, draft: AuditDraft) -> DbResult<AuditEvent> {
    let chain = draft.chain();
    let (seq, prev): (i64, String) = c
        .prepare_cached("SELECT seq, hash FROM audit_heads WHERE chain = ?1")?
        .query_row([chain.as_bytes().as_slice()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .unwrap_or((0, GENESIS_HASH.to_owned()));
    let event = CHAIN_KEYS.with(|k| match k.get() {
        Some(keys) => Ok(draft.seal(seq + 1, &prev, keys.as_ref())),
        // Never sealed unkeyed by mistake: an append elsewhere is a bug.
        None => Err(crate::conn::corrupt(
            "an audit append off the store's writer thread",
        )),
    })?;
    c.prepare_cached(
        "INSERT INTO audit_events (chain, seq, id, occurred_at, actor_id, action, target_id, outcome, payload, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        chain.as_bytes().as_slice(),
        event.seq,
        event.id.as_bytes().as_slice(),
        to_micros(event.draft.occurred_at),
        event.draft.actor.id,
        event.draft.action,
        event.draft.target.as_ref().map(|t| t.id.as_str()),
        event.draft.outcome.as_str(),
        event.payload,
        event.hash,
    ])?;
    c.prepare_cached(
        "INSERT INTO audit_heads (chain, seq, hash) VALUES (?1, ?2, ?3) \
         ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![chain.as_bytes().as_slice(), event.seq, event.hash])?;
    Ok(event)
}

fn link(r: &rusqlite::Row<'_>) -> DbResult<StoredLink> {
    Ok(StoredLink {
        seq: r.get(0)?,
        payload: r.get(1)?,
        hash: r.get(2)?,
    })
}

/// A page of events, newest first. In this list "after" means older.
pub(crate) fn list(c: &Connection, chain: TenantId, q: &AuditQuery) -> DbResult<Page<StoredLink>> {
    let mut filter = String::from("chain = ?");
    let mut args: Vec<Value> = vec![Value::Blob(chain.as_bytes().to_vec())];
    let mut add = |sql: &str, v: Value| {
        filter.push_str(sql);
        args.push(v);
    };
    if let Some(a) = &q.actor {
        add(" AND actor_id = ?", Value::Text(a.clone()));
    }
    if let Some(t) = &q.target {
        add(" AND target_id = ?", Value::Text(t.clone()));
    }
    if let Some(a) = &q.action {
        add(" AND action = ?", Value::Text(a.clone()));
    }
    if let Some(f) = q.from {
        add(" AND occurred_at >= ?", Value::Integer(to_micros(f)));
    }
    if let Some(t) = q.to {
        add(" AND occurred_at <= ?", Value::Integer(to_micros(t)));
    }
    c.execute_batch("BEGIN")?;
    let total: i64 = c
        .prepare_cached(&format!("SELECT COUNT(*) FROM audit_events WHERE {filter}"))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    let cursor = q.cursor.clone().unwrap_or(Cursor::First);
    let read = cursor.newest_first();
    let mut page_args = args.clone();
    let bound = read.bound.map_or(String::new(), |(op, k)| {
        page_args.push(Value::Integer(k.parse::<i64>().unwrap_or(0)));
        format!(" AND seq {op} ?")
    });
    let order = if read.descending { "DESC" } else { "ASC" };
    page_args.push(Value::Integer(i64::from(q.limit) + 1));
    let items: Vec<StoredLink> = c
        .prepare_cached(&format!(
            "SELECT seq, payload, hash FROM audit_events WHERE {filter}{bound} ORDER BY seq {order} LIMIT ?"
        ))?
        .query_map(params_from_iter(page_args.iter()), link)?
        .collect::<DbResult<_>>()?;
    c.execute_batch("COMMIT")?;
    Ok(Page::from_window(
        items,
        q.limit as usize,
        total as u64,
        &cursor,
        |l| l.seq.to_string(),
    ))
}

pub(crate) fn heads(c: &Connection) -> DbResult<Vec<ChainHead>> {
    c.prepare_cached("SELECT chain, seq, hash FROM audit_heads ORDER BY chain")?
        .query_map([], |r| {
            Ok(ChainHead {
                chain: crate::conn::uuid(&r.get::<_, Vec<u8>>(0)?)?,
                seq: r.get(1)?,
                hash: r.get(2)?,
            })
        })?
        .collect()
}

pub(crate) fn links(
    c: &Connection,
    chain: TenantId,
    after: i64,
    limit: u32,
) -> DbResult<Vec<StoredLink>> {
    c.prepare_cached("SELECT seq, payload, hash FROM audit_events WHERE chain = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")?
        .query_map(params![chain.as_bytes().as_slice(), after, limit], link)?
        .collect()
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, draft: AuditDraft) -> Result<(), StoreError> {
        self.write(move |c| append(c, draft).map(|_| ())).await
    }

    async fn list_audit(
        &self,
        chain: TenantId,
        query: &AuditQuery,
    ) -> Result<Page<StoredLink>, StoreError> {
        let query = query.clone();
        self.read(move |c| list(c, chain, &query)).await
    }

    async fn audit_heads(&self) -> Result<Vec<ChainHead>, StoreError> {
        self.read(heads).await
    }

    async fn audit_links(
        &self,
        chain: TenantId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredLink>, StoreError> {
        self.read(move |c| links(c, chain, after, limit)).await
    }
}
