//! What someone who can write the database but lacks the secret key can do
//! to the audit log: change an event and rebuild every hash after it into
//! a chain that is consistent again. For the tests that show
//! `usher audit verify` telling such a chain apart.

use serde_json::Value;
use usher_core::TenantId;
use usher_core::audit::hash_hex;

/// Applies `edit` to event `from` of `chain`, then rewrites that event and
/// every later one with plain SHA-256 hashes (dropping the `key` a keyed
/// event names, since the forger cannot make its hash), and moves the
/// chain's head. The server must have sealed the chain first (any read
/// of it does).
pub async fn rebuild_chain_from(
    database_url: &str,
    chain: TenantId,
    from: i64,
    edit: impl Fn(&mut Value),
) -> anyhow::Result<()> {
    if let Some(path) = usher_store_sqlite::SqliteStore::path_from_url(database_url) {
        let c = rusqlite::Connection::open(path)?;
        // The table's append-only triggers stop Usher, not a forger: one
        // drops them for the rewrite and puts them back.
        let triggers: Vec<String> = c
            .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")
            ?
            .query_map([], |r| r.get(0))
            ?
            .collect::<Result<_, _>>()
            ?;
        c.execute_batch("DROP TRIGGER audit_events_no_update")?;
        let id = chain.as_bytes().to_vec();
        let links: Vec<(i64, String, String)> = c
            .prepare("SELECT seq, payload, hash FROM audit_events WHERE chain = ?1 AND seq >= ?2 ORDER BY seq")
            ?
            .query_map(rusqlite::params![id, from - 1], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            ?
            .collect::<Result<_, _>>()
            ?;
        for (seq, payload, hash) in rebuild(links, from, &edit)? {
            c.execute(
                "UPDATE audit_events SET payload = ?1, hash = ?2 WHERE chain = ?3 AND seq = ?4",
                rusqlite::params![payload, hash, id, seq],
            )?;
            c.execute(
                "UPDATE audit_heads SET hash = ?1 WHERE chain = ?2 AND seq = ?3",
                rusqlite::params![hash, id, seq],
            )?;
        }
        c.execute_batch("DROP TRIGGER audit_events_no_delete")?;
        for sql in triggers {
            c.execute_batch(&sql)?;
        }
        return Ok(());
    }
    let pool = sqlx::PgPool::connect(database_url).await?;
    sqlx::query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete")
        .execute(&pool)
        .await?;
    let links: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT seq, payload, hash FROM audit_events WHERE chain = $1 AND seq >= $2 ORDER BY seq",
    )
    .bind(chain.uuid())
    .bind(from - 1)
    .fetch_all(&pool)
    .await?;
    for (seq, payload, hash) in rebuild(links, from, &edit)? {
        sqlx::query(
            "UPDATE audit_events SET payload = $1, hash = $2 WHERE chain = $3 AND seq = $4",
        )
        .bind(&payload)
        .bind(&hash)
        .bind(chain.uuid())
        .bind(seq)
        .execute(&pool)
        .await?;
        sqlx::query("UPDATE audit_heads SET hash = $1 WHERE chain = $2 AND seq = $3")
            .bind(&hash)
            .bind(chain.uuid())
            .bind(seq)
            .execute(&pool)
            .await?;
    }
    sqlx::query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete")
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(())
}

/// The rewritten `(seq, payload, hash)` of events `from` on, given the
/// stored events from `from - 1` on.
fn rebuild(
    links: Vec<(i64, String, String)>,
    from: i64,
    edit: &dyn Fn(&mut Value),
) -> anyhow::Result<Vec<(i64, String, String)>> {
    let mut prev: Option<String> = None;
    let mut out = Vec::new();
    for (seq, payload, hash) in links {
        if seq < from {
            prev = Some(hash);
            continue;
        }
        let mut v: Value = serde_json::from_str(&payload)?;
        if seq == from {
            edit(&mut v);
        }
        if let Some(p) = &prev {
            v["prev_hash"] = Value::String(p.clone());
        }
        if let Some(fields) = v.as_object_mut() {
            fields.remove("key");
        }
        let payload = v.to_string();
        let hash = hash_hex(&payload);
        prev = Some(hash.clone());
        out.push((seq, payload, hash));
    }
    Ok(out)
}
