//! Imports: a batch of users created or replaced in one savepoint, kept
//! whole or not at all.

use crate::conn::{DbExt, DbResult};
use crate::rows;
use crate::users::{apply_effects, insert_row, load, update_row};
use rusqlite::{Connection, params};
use serde_json::json;
use usher_core::audit::AuditDraft;
use usher_core::clock::to_micros;
use usher_core::error::Error;
use usher_core::store::ImportEntry;
use usher_core::user::User;
use uuid::Uuid;

pub(crate) fn match_users(
    c: &Connection,
    tk: i64,
    tenant_id: Uuid,
    emails: &[String],
    external_ids: &[String],
) -> DbResult<Vec<User>> {
    let mut found: std::collections::HashMap<Uuid, User> = std::collections::HashMap::new();
    for e in emails {
        if let Some(s) = rows::user_by_email(c, tk, tenant_id, e)? {
            found.insert(s.user.id, s.user);
        }
    }
    let mut by_external = c.prepare_cached(
        "SELECT id FROM users WHERE tenant_key = ?1 AND source = 'local' AND external_id = ?2",
    )?;
    for x in external_ids {
        let ids: Vec<Vec<u8>> = by_external
            .query_map(params![tk, x], |r| r.get(0))?
            .collect::<DbResult<_>>()?;
        for id in ids {
            if let Some(s) = rows::user_by_id(c, tk, tenant_id, rows::uuid(&id)?)? {
                found.insert(s.user.id, s.user);
            }
        }
    }
    Ok(found.into_values().collect())
}

/// Writes one entry; answers whether it created a user.
fn write_entry(c: &Connection, tk: i64, tenant_id: Uuid, e: ImportEntry) -> Result<bool, Error> {
    let now = e.user.updated_at;
    let (key, created) = match e.replaces {
        None => (insert_row(c, tk, &e.user)?, true),
        Some(version) => {
            let before = load(c, tk, tenant_id, e.user.id, Some(version))?;
            update_row(c, tk, &before, &e.user)?;
            (before.key, false)
        }
    };
    if let Some(hash) = &e.password_hash {
        c.prepare_cached(
            "INSERT INTO user_credentials (user_key, password_hash, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (user_key) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
        )
        .db()?
        .execute(params![key, hash, to_micros(now)])
        .db()?;
    }
    if let Some(secret) = &e.totp_secret {
        c.prepare_cached("DELETE FROM factors WHERE user_key = ?1 AND kind = 'totp'")
            .db()?
            .execute([key])
            .db()?;
        c.prepare_cached(
            "INSERT INTO factors (id, tenant_key, user_key, kind, label, secret, confirmed, created_at) \
             VALUES (?1, ?2, ?3, 'totp', 'Authenticator app (imported)', ?4, 1, ?5)",
        )
        .db()?
        .execute(params![
            Uuid::now_v7().as_bytes().as_slice(),
            tk,
            key,
            secret.as_slice(),
            to_micros(now)
        ])
        .db()?;
    }
    apply_effects(c, tk, key, e.user.id, &e.effects, now).db()?;
    Ok(created)
}

pub(crate) fn import(
    c: &Connection,
    tk: i64,
    tenant_id: Uuid,
    entries: Vec<ImportEntry>,
    dry_run: bool,
    mut audit: AuditDraft,
) -> Result<Vec<(u32, Error)>, Error> {
    let first = entries.first().map(|e| e.line);
    let last = entries.last().map(|e| e.line);
    c.execute_batch("SAVEPOINT import").db()?;
    let mut refusals = Vec::new();
    let (mut created, mut updated) = (0u64, 0u64);
    for e in entries {
        let line = e.line;
        match write_entry(c, tk, tenant_id, e) {
            Ok(true) => created += 1,
            Ok(false) => updated += 1,
            Err(err) if err.is_refusal() => refusals.push((line, err)),
            Err(err) => {
                let _ = c.execute_batch("ROLLBACK TO import; RELEASE import");
                return Err(err);
            }
        }
    }
    if !refusals.is_empty() || dry_run {
        c.execute_batch("ROLLBACK TO import").db()?;
    }
    c.execute_batch("RELEASE import").db()?;
    audit.details["first_line"] = json!(first);
    audit.details["last_line"] = json!(last);
    audit.details["dry_run"] = json!(dry_run);
    let audit = match refusals.first() {
        Some((_, e)) => {
            audit.details["refused_rows"] = json!(refusals.len());
            audit.failed_with(e)
        }
        None => {
            audit.details["created"] = json!(created);
            audit.details["updated"] = json!(updated);
            audit
        }
    };
    crate::audit::append(c, audit).db()?;
    Ok(refusals)
}
