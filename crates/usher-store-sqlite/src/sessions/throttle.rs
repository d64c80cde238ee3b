//! The login throttle: failures counted per key.

use crate::conn::DbResult;
use rusqlite::{Connection, OptionalExtension, params};
use usher_core::clock::from_micros;
use usher_core::session::Throttle;

pub(crate) fn throttle(c: &Connection, tk: i64, key: &str) -> DbResult<Option<Throttle>> {
    c.prepare_cached(
        "SELECT failures, last_failure_at FROM login_throttle WHERE tenant_key = ?1 AND key = ?2",
    )?
    .query_row(params![tk, key], |r| {
        Ok(Throttle {
            failures: r.get(0)?,
            last_failure_at: from_micros(r.get(1)?),
        })
    })
    .optional()
}

pub(crate) fn throttle_failure(c: &Connection, tk: i64, key: &str, now: i64) -> DbResult<Throttle> {
    c.prepare_cached(
        "INSERT INTO login_throttle (tenant_key, key, failures, last_failure_at) VALUES (?1, ?2, 1, ?3) \
         ON CONFLICT (tenant_key, key) DO UPDATE SET failures = failures + 1, last_failure_at = excluded.last_failure_at \
         RETURNING failures, last_failure_at",
    )?
    .query_row(params![tk, key, now], |r| {
        Ok(Throttle {
            failures: r.get(0)?,
            last_failure_at: from_micros(r.get(1)?),
        })
    })
}

pub(crate) fn throttle_clear(c: &Connection, tk: i64, key: &str) -> DbResult<()> {
    c.prepare_cached("DELETE FROM login_throttle WHERE tenant_key = ?1 AND key = ?2")?
        .execute(params![tk, key])?;
    Ok(())
}
