//! Imports: a batch of users created or replaced in one savepoint, kept
//! whole or not at all.

use super::records;
use crate::conn::{DbExt, DbResult};
use crate::users::counts::Totals;
use crate::users::effects::apply_effects;
use crate::users::index::insert_rows;
use crate::users::ops::load;
use crate::users::rows::{self, StoredUser};
use crate::users::write::{UserInserts, update_row_deferred};
use rusqlite::{Connection, OptionalExtension, ToSql, params};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use usher_core::audit::AuditDraft;
use usher_core::clock::to_micros;
use usher_core::error::{Error, ErrorCode, StoreError};
use usher_core::store::{ImportEntry, ImportMode, ImportSave};
use usher_core::user::User;
use usher_core::{TenantId, UserId};
use uuid::Uuid;

pub(crate) fn match_users(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    emails: &[String],
    external_ids: &[String],
) -> DbResult<Vec<User>> {
    let mut found: HashMap<UserId, User> = HashMap::new();
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
            if let Some(s) = rows::user_by_id(c, tk, tenant_id, crate::conn::uuid(&id)?)? {
                found.insert(s.user.id, s.user);
            }
        }
    }
    Ok(found.into_values().collect())
}

/// The refusals of a batch, by line.
type Refusals = Vec<(u32, Error)>;

/// A refusal of one entry, found before anything is written.
fn taken(code: ErrorCode, field: &'static str, what: &str) -> Error {
    Error::Conflict {
        code,
        field: Some(field),
        message: format!("a user with this {what} already exists ({code})"),
    }
}

/// Checks every entry against the store and the rest of the batch (taken
/// emails, usernames and external ids; the versions of the users replaced;
/// the attribute definitions) and answers the refusals by line, with the
/// stored users the updates replace. Nothing is written: SQLite makes a
/// savepoint around a large batch cost more than the batch itself, so the
/// batch is checked whole first and then written without one.
fn check(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    entries: &[ImportEntry],
) -> Result<(Refusals, HashMap<UserId, StoredUser>), Error> {
    let mut refusals = Vec::new();
    let mut stored = HashMap::new();
    let (mut emails, mut usernames, mut externals) =
        (HashSet::new(), HashSet::new(), HashSet::new());
    // The batch's emails in a few statements rather than one per entry.
    let holders = email_holders(c, tk, entries)?;
    let mut username_q = c
        .prepare_cached("SELECT id FROM users WHERE tenant_key = ?1 AND username_norm = ?2")
        .db()?;
    let mut external_q = c
        .prepare_cached(
            "SELECT id FROM users WHERE tenant_key = ?1 AND source = ?2 AND external_id = ?3",
        )
        .db()?;
    let mut definition_q = c
        .prepare_cached(
            "SELECT 1 FROM attribute_definitions WHERE tenant_key = ?1 AND name_key = ?2",
        )
        .db()?;
    let mut defined: HashMap<String, bool> = HashMap::new();
    // Another user than this entry's own holds the key.
    let other = |found: Option<Vec<u8>>, me: UserId| found.is_some_and(|id| id != me.as_bytes());
    for e in entries {
        let u = &e.user;
        let mut refuse = |err: Error| refusals.push((e.line, err));
        if let Some(version) = e.replaces {
            match load(c, tk, tenant_id, u.id, Some(version)) {
                Ok(s) => {
                    stored.insert(u.id, s);
                }
                Err(err) if err.is_refusal() => {
                    refuse(err);
                    continue;
                }
                Err(err) => return Err(err),
            }
        }
        let email = u.email.normalized();
        let found = holders.get(email).cloned();
        if !emails.insert(email.to_owned()) || other(found, u.id) {
            refuse(taken(ErrorCode::EmailTaken, "email", "email"));
            continue;
        }
        if let Some(name) = &u.username {
            let name = name.normalized();
            let found: Option<Vec<u8>> = username_q
                .query_row(params![tk, name], |r| r.get(0))
                .optional()
                .db()?;
            if other(found, u.id) || !usernames.insert(name) {
                refuse(taken(ErrorCode::UsernameTaken, "username", "username"));
                continue;
            }
        }
        if let Some(x) = &u.external_id {
            let found: Option<Vec<u8>> = external_q
                .query_row(params![tk, u.source, x.as_str()], |r| r.get(0))
                .optional()
                .db()?;
            if other(found, u.id) || !externals.insert((u.source.clone(), x.as_str().to_owned())) {
                refuse(taken(
                    ErrorCode::ExternalIdTaken,
                    "external_id",
                    "external id",
                ));
                continue;
            }
        }
        for name in u.attributes.keys() {
            let key = name.to_ascii_lowercase();
            let known = match defined.get(&key) {
                Some(k) => *k,
                None => {
                    let k = definition_q.exists(params![tk, key]).db()?;
                    defined.insert(key, k);
                    k
                }
            };
            if !known {
                refuse(Error::conflict(
                    ErrorCode::UnknownAttribute,
                    format!("the attribute {name} is not defined (any more)"),
                ));
                break;
            }
        }
    }
    Ok((refusals, stored))
}

/// Who holds each of the batch's emails now (normalised email → user id).
fn email_holders(
    c: &Connection,
    tk: i64,
    entries: &[ImportEntry],
) -> Result<HashMap<String, Vec<u8>>, Error> {
    const PART: usize = 500;
    let mut holders = HashMap::new();
    for part in entries.chunks(PART) {
        let marks = vec!["?"; part.len()].join(", ");
        let sql = format!(
            "SELECT email_norm, id FROM users WHERE tenant_key = ? AND email_norm IN ({marks})"
        );
        let mut args: Vec<rusqlite::types::Value> = Vec::with_capacity(part.len() + 1);
        args.push(rusqlite::types::Value::Integer(tk));
        args.extend(
            part.iter()
                .map(|e| rusqlite::types::Value::Text(e.user.email.normalized().to_owned())),
        );
        let mut q = c.prepare_cached(&sql).db()?;
        let found = q
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .db()?;
        for row in found {
            let (email, id) = row.db()?;
            holders.insert(email, id);
        }
    }
    Ok(holders)
}

/// How an import's entries are written: the users' inserts prepared once,
/// their password hashes collected and written at the end, many a
/// statement.
struct Writes<'c> {
    users: UserInserts<'c>,
    /// (user key, hash, updated at).
    passwords: Vec<(i64, String, i64)>,
}

impl<'c> Writes<'c> {
    fn new(c: &'c Connection) -> DbResult<Self> {
        Ok(Self {
            users: UserInserts::new(c)?,
            passwords: Vec::new(),
        })
    }

    fn finish(self, c: &Connection) -> DbResult<()> {
        insert_rows(
            c,
            "user_credentials (user_key, password_hash, updated_at)",
            "ON CONFLICT (user_key) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
            3,
            300,
            &self.passwords,
            |(key, hash, at), args| args.extend([key as &dyn ToSql, hash, at]),
        )
    }
}

/// Writes one checked entry; answers whether it created a user.
fn write_entry(
    c: &Connection,
    w: &mut Writes<'_>,
    tk: i64,
    e: ImportEntry,
    before: Option<&StoredUser>,
    totals: &mut Totals,
    draft: &mut AuditDraft,
) -> Result<bool, Error> {
    let now = e.at;
    let (key, created) = match before {
        None => (w.users.insert(tk, &e.user, e.index, totals)?, true),
        Some(before) => {
            update_row_deferred(c, tk, before, &e.user, totals)?;
            (before.key, false)
        }
    };
    if let Some(hash) = e.password_hash {
        w.passwords.push((key, hash, to_micros(now)));
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
    apply_effects(c, tk, key, e.user.id, &e.effects, now, draft).db()?;
    Ok(created)
}

pub(crate) fn import(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    entries: Vec<ImportEntry>,
    mode: ImportMode,
    mut audit: AuditDraft,
    mut save: Option<ImportSave>,
) -> Result<Vec<(u32, Error)>, Error> {
    let dry_run = mode.dry_run;
    if let Some(save) = &save {
        records::check_save(c, tk, save)?;
    }
    audit.details["first_line"] = json!(entries.first().map(|e| e.line));
    audit.details["last_line"] = json!(entries.last().map(|e| e.line));
    audit.details["dry_run"] = json!(dry_run);
    let (refusals, stored) = check(c, tk, tenant_id, &entries)?;
    let mut entries = entries;
    if let Some((_, e)) = refusals.first() {
        audit.details["refused_rows"] = json!(refusals.len());
        if !mode.skip_refused {
            crate::audit::append(c, audit.failed_with(e)).db()?;
            return Ok(refusals);
        }
        // The refused entries are left out; the rest is written below.
        let refused: Vec<(u32, bool, &Error)> = refusals
            .iter()
            .map(|(line, e)| {
                let new = entries
                    .iter()
                    .find(|x| x.line == *line)
                    .is_none_or(|x| x.replaces.is_none());
                (*line, new, e)
            })
            .collect();
        if let Some(save) = save.as_mut() {
            save.record.count_refused(&refused);
        }
        let lines: HashSet<u32> = refusals.iter().map(|(l, _)| *l).collect();
        entries.retain(|e| !lines.contains(&e.line));
    }
    let (mut created, mut updated) = (0u64, 0u64);
    if dry_run {
        created = entries.iter().filter(|e| e.replaces.is_none()).count() as u64;
        updated = entries.len() as u64 - created;
    } else {
        let mut totals = Totals::default();
        let mut writes = Writes::new(c).db()?;
        for e in entries {
            let before = stored.get(&e.user.id);
            // Everything that could refuse was checked: what fails now is
            // the store, and the whole write is rolled back.
            match write_entry(c, &mut writes, tk, e, before, &mut totals, &mut audit) {
                Ok(true) => created += 1,
                Ok(false) => updated += 1,
                Err(Error::Store(s)) => return Err(Error::Store(s)),
                Err(other) => {
                    return Err(StoreError::Corrupt(format!(
                        "an import entry was refused after its checks: {other}"
                    ))
                    .into());
                }
            }
        }
        writes.finish(c).db()?;
        totals.flush(c, tk).db()?;
    }
    if let Some(save) = &save {
        records::save_checked(c, tk, save)?;
    }
    audit.details["created"] = json!(created);
    audit.details["updated"] = json!(updated);
    crate::audit::append(c, audit).db()?;
    Ok(refusals)
}
