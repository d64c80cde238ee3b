//! The login throttle: failures counted per key.

use crate::conn::DbResult;
use rusqlite::{Connection, OptionalExtension, params};
use usher_core::UserId;
use usher_core::clock::{from_micros, to_micros};
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

fn read_throttle(r: &rusqlite::Row<'_>) -> rusqlite::Result<Throttle> {
    Ok(Throttle {
        failures: r.get(0)?,
        last_failure_at: from_micros(r.get(1)?),
    })
}

pub(crate) fn throttle_reserve(
    c: &Connection,
    tk: i64,
    key: &str,
    seen: Option<Throttle>,
    now: i64,
) -> DbResult<Option<Throttle>> {
    match seen {
        None => c
            .prepare_cached(
                "INSERT INTO login_throttle (tenant_key, key, failures, last_failure_at) \
                 VALUES (?1, ?2, 1, ?3) ON CONFLICT (tenant_key, key) DO NOTHING \
                 RETURNING failures, last_failure_at",
            )?
            .query_row(params![tk, key, now], read_throttle)
            .optional(),
        Some(t) => c
            .prepare_cached(
                "UPDATE login_throttle SET failures = failures + 1, last_failure_at = ?5 \
                 WHERE tenant_key = ?1 AND key = ?2 AND failures = ?3 AND last_failure_at = ?4 \
                 RETURNING failures, last_failure_at",
            )?
            .query_row(
                params![tk, key, t.failures, to_micros(t.last_failure_at), now],
                read_throttle,
            )
            .optional(),
    }
}

pub(crate) fn throttle_release(c: &Connection, tk: i64, key: &str) -> DbResult<()> {
    c.prepare_cached(
        "UPDATE login_throttle SET failures = failures - 1 \
         WHERE tenant_key = ?1 AND key = ?2 AND failures > 0",
    )?
    .execute(params![tk, key])?;
    Ok(())
}

pub(crate) fn remember_client(
    c: &Connection,
    tk: i64,
    user: UserId,
    client: &str,
    at: i64,
) -> DbResult<()> {
    c.prepare_cached(
        "INSERT INTO login_clients (user_key, client, last_success_at) \
         SELECT key, ?3, ?4 FROM users WHERE id = ?1 AND tenant_key = ?2 \
         ON CONFLICT (user_key, client) DO UPDATE SET last_success_at = \
         max(last_success_at, excluded.last_success_at)",
    )?
    .execute(params![user.as_bytes().as_slice(), tk, client, at])?;
    Ok(())
}

pub(crate) fn client_known(
    c: &Connection,
    tk: i64,
    user: UserId,
    clients: &[String],
    since: i64,
) -> DbResult<bool> {
    let mut stmt = c.prepare_cached(
        "SELECT 1 FROM login_clients k JOIN users u ON u.key = k.user_key \
         WHERE u.id = ?1 AND u.tenant_key = ?2 AND k.client = ?3 AND k.last_success_at >= ?4",
    )?;
    for client in clients {
        if stmt.exists(params![user.as_bytes().as_slice(), tk, client, since])? {
            return Ok(true);
        }
    }
    Ok(false)
}
