//! Imports: a batch of users created or replaced in one transaction, each
//! in its own savepoint so that every refusal of the batch is found, then
//! kept whole or not at all.

use super::records;
use crate::audit;
use crate::error::{DbExt, unavailable};
use crate::users::counts::Counts;
use crate::users::ops::load;
use crate::users::rows::stored_user;
use crate::users::{batch, effects, write};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use usher_core::audit::AuditDraft;
use usher_core::error::Error;
use usher_core::store::{ImportEntry, ImportMode, ImportSave};
use usher_core::user::User;
use usher_core::{StoreError, TenantId};
use uuid::Uuid;

pub(crate) async fn match_users(
    pool: &PgPool,
    tk: i64,
    tenant_id: TenantId,
    emails: &[String],
    external_ids: &[String],
) -> Result<Vec<User>, StoreError> {
    let found = sqlx::query(concat!(
        "SELECT ",
        crate::users::rows::user_columns!(),
        " FROM users WHERE tenant_key = $1 AND (email_norm = ANY($2) ",
        "OR (source = 'local' AND external_id = ANY($3)))"
    ))
    .bind(tk)
    .bind(emails)
    .bind(external_ids)
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    found
        .iter()
        .map(|r| stored_user(r, tenant_id).map(|s| s.user))
        .collect()
}

/// Writes one entry; answers whether it created a user.
async fn write_entry(
    c: &mut PgConnection,
    counts: &mut Counts,
    tk: i64,
    tenant_id: TenantId,
    e: ImportEntry,
    draft: &mut AuditDraft,
) -> Result<bool, Error> {
    let now = e.at;
    let (key, created) = match e.replaces {
        None => (write::insert(c, counts, tk, &e.user).await?, true),
        Some(version) => {
            let before = load(c, tk, tenant_id, e.user.id, Some(version)).await?;
            write::update(c, counts, tk, &before, &e.user).await?;
            (before.key, false)
        }
    };
    if let Some(hash) = &e.password_hash {
        sqlx::query(
            "INSERT INTO user_credentials (user_key, password_hash, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_key) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(hash)
        .bind(now)
        .execute(&mut *c)
        .await
        .db()?;
    }
    if let Some(secret) = &e.totp_secret {
        sqlx::query("DELETE FROM factors WHERE user_key = $1 AND kind = 'totp'")
            .bind(key)
            .execute(&mut *c)
            .await
            .db()?;
        sqlx::query(
            "INSERT INTO factors (id, tenant_key, user_key, kind, label, secret, confirmed, created_at) \
             VALUES ($1, $2, $3, 'totp', 'Authenticator app (imported)', $4, true, $5)",
        )
        .bind(Uuid::now_v7())
        .bind(tk)
        .bind(key)
        .bind(secret.as_slice())
        .bind(now)
        .execute(&mut *c)
        .await
        .db()?;
    }
    effects::apply_effects(c, tk, key, e.user.id, &e.effects, now, draft)
        .await
        .db()?;
    Ok(created)
}

/// Writes a batch of new users with nothing beside them but a password
/// (the common import) in a few statements for the whole batch, as the
/// store's batch insert does; answers false, having written nothing, when
/// the batch is not of that kind or meets a refusal: the entry-by-entry
/// path then writes it and finds every refusal.
async fn write_new(
    c: &mut PgConnection,
    counts: &mut Counts,
    tk: i64,
    entries: &[ImportEntry],
) -> Result<bool, Error> {
    let plain =
        |e: &ImportEntry| e.replaces.is_none() && e.totp_secret.is_none() && e.effects.is_empty();
    if entries.is_empty() || !entries.iter().all(plain) {
        return Ok(false);
    }
    sqlx::raw_sql("SAVEPOINT batch")
        .execute(&mut *c)
        .await
        .db()?;
    let users: Vec<User> = entries.iter().map(|e| e.user.clone()).collect();
    let mut mine = Counts::default();
    match batch::insert(c, &mut mine, tk, &users).await {
        Ok(()) => {}
        Err(e) if e.is_refusal() => {
            sqlx::raw_sql("ROLLBACK TO SAVEPOINT batch; RELEASE SAVEPOINT batch")
                .execute(&mut *c)
                .await
                .db()?;
            return Ok(false);
        }
        Err(e) => return Err(e),
    }
    let with_password: Vec<&ImportEntry> = entries
        .iter()
        .filter(|e| e.password_hash.is_some())
        .collect();
    if !with_password.is_empty() {
        sqlx::query(
            "INSERT INTO user_credentials (user_key, password_hash, updated_at) \
             SELECT u.key, p.hash, p.at FROM UNNEST($2::uuid[], $3::text[], $4::timestamptz[]) AS p (id, hash, at) \
             JOIN users u ON u.tenant_key = $1 AND u.id = p.id",
        )
        .bind(tk)
        .bind(with_password.iter().map(|e| e.user.id.uuid()).collect::<Vec<_>>())
        .bind(with_password.iter().map(|e| e.password_hash.clone()).collect::<Vec<_>>())
        .bind(with_password.iter().map(|e| e.at).collect::<Vec<_>>())
        .execute(&mut *c)
        .await
        .db()?;
    }
    sqlx::raw_sql("RELEASE SAVEPOINT batch")
        .execute(&mut *c)
        .await
        .db()?;
    counts.merge(mine);
    Ok(true)
}

pub(crate) async fn import(
    pool: &PgPool,
    tk: i64,
    tenant_id: TenantId,
    entries: Vec<ImportEntry>,
    mode: ImportMode,
    mut draft: AuditDraft,
    mut save: Option<ImportSave>,
) -> Result<Vec<(u32, Error)>, Error> {
    let dry_run = mode.dry_run;
    let first = entries.first().map(|e| e.line);
    let last = entries.last().map(|e| e.line);
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
        .await
        .db()?;
    // The import's record is locked before any row is written: a second
    // process writing the same batch waits here, then is refused.
    if let Some(save) = &save {
        records::check_save(&mut tx, tk, save).await?;
    }
    let mut counts = Counts::default();
    let mut refusals = Vec::new();
    // Whether each refused entry would have made a user.
    let mut refused_new: Vec<bool> = Vec::new();
    let (mut created, mut updated) = (0u64, 0u64);
    let entries = if write_new(&mut tx, &mut counts, tk, &entries).await? {
        created = entries.len() as u64;
        Vec::new()
    } else {
        entries
    };
    for e in entries {
        let line = e.line;
        let new = e.replaces.is_none();
        sqlx::raw_sql("SAVEPOINT entry")
            .execute(&mut *tx)
            .await
            .db()?;
        let mut mine = Counts::default();
        match write_entry(&mut tx, &mut mine, tk, tenant_id, e, &mut draft).await {
            Ok(made) => {
                if made {
                    created += 1;
                } else {
                    updated += 1;
                }
                counts.merge(mine);
                sqlx::raw_sql("RELEASE SAVEPOINT entry")
                    .execute(&mut *tx)
                    .await
                    .db()?;
            }
            Err(err) if err.is_refusal() => {
                refused_new.push(new);
                refusals.push((line, err));
                sqlx::raw_sql("ROLLBACK TO SAVEPOINT entry; RELEASE SAVEPOINT entry")
                    .execute(&mut *tx)
                    .await
                    .db()?;
            }
            Err(err) => {
                if let Err(r) = tx.rollback().await {
                    tracing::warn!(error = %unavailable(r), "rolling back an import batch failed");
                }
                return Err(err);
            }
        }
    }
    draft.details["first_line"] = json!(first);
    draft.details["last_line"] = json!(last);
    draft.details["dry_run"] = json!(dry_run);
    // With skip_refused the refused entries were rolled back one by one
    // (their savepoints) and the rest is kept.
    let skipped = mode.skip_refused && !refusals.is_empty();
    if skipped && let Some(save) = save.as_mut() {
        let counted: Vec<(u32, bool, &Error)> = refusals
            .iter()
            .zip(&refused_new)
            .map(|((line, e), new)| (*line, *new, e))
            .collect();
        save.record.count_refused(&counted);
    }
    if (!refusals.is_empty() && !skipped) || dry_run {
        tx.rollback().await.db()?;
        tx = pool
            .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
            .await
            .db()?;
        // A dry run keeps its record (it has written nothing else).
        if let Some(save) = save.as_ref().filter(|_| refusals.is_empty() || skipped) {
            records::check_save(&mut tx, tk, save).await?;
            records::save_checked(&mut tx, tk, save).await?;
        }
    } else {
        counts.flush(&mut tx).await.db()?;
        if let Some(save) = &save {
            records::save_checked(&mut tx, tk, save).await?;
        }
    }
    let draft = match refusals.first() {
        Some((_, e)) if !skipped => {
            draft.details["refused_rows"] = json!(refusals.len());
            draft.failed_with(e)
        }
        _ => {
            draft.details["created"] = json!(created);
            draft.details["updated"] = json!(updated);
            if skipped {
                draft.details["refused_rows"] = json!(refusals.len());
            }
            draft
        }
    };
    audit::append(&mut tx, draft).await.db()?;
    tx.commit().await.db()?;
    Ok(refusals)
}
