//! A bulk chunk of edits and actions written as a batch: the chunk's users
//! locked in one statement, every row's action worked out in memory, and
//! the users' rows rewritten in a few statements for the whole chunk
//! (`users::update_many`), where the row-by-row path takes a few round
//! trips per row. Rows refused by the action itself (a forbidden
//! transition, a changed version) are refused before anything is written.
//! Should the batch meet a refusal only the database can see (a value
//! taken meanwhile), it is rolled back and the planned writes go row by
//! row, each in its own savepoint, so that only that row is refused.

use super::run::Chunk;
use crate::error::DbExt;
use crate::sessions::session::end_all_of;
use crate::users::counts::Counts;
use crate::users::effects::{apply_effects, revoke_access_of};
use crate::users::rows::lock_users;
use crate::users::update_many::{Update, update_many};
use crate::users::write;
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, Missing};
use usher_core::store::{BulkOp, BulkStep, Effects, UserWrite};
use usher_core::{StoreError, TenantId, UserId};

/// Whether a chunk can go as a batch: edits and actions only (deletes go
/// row by row), each user at most once (a second row of the same user must
/// see the first one's result).
pub(super) fn batchable(steps: &[BulkStep]) -> bool {
    let mut users = HashSet::new();
    steps.iter().all(|s| match &s.op {
        BulkOp::Refuse { .. } => true,
        BulkOp::Write(w) => users.insert(w.user_id),
        BulkOp::Delete { .. } => false,
    })
}

/// A row's write, worked out but not yet done.
struct Planned {
    key: i64,
    user_id: UserId,
    /// None when only effects remain (the user's fields did not change).
    update: Option<Update>,
    effects: Effects,
    now: time::OffsetDateTime,
}

/// A row of the chunk and how it stands.
struct Entry {
    line: u32,
    draft: AuditDraft,
    state: Result<Planned, Error>,
}

/// Runs `steps` (see [`batchable`]) into `chunk`.
pub(super) async fn run(
    c: &mut PgConnection,
    chunk: &mut Chunk,
    tk: i64,
    tenant_id: TenantId,
    steps: Vec<BulkStep>,
) -> Result<(), Error> {
    let ids: Vec<UserId> = steps
        .iter()
        .filter_map(|s| match &s.op {
            BulkOp::Write(w) => Some(w.user_id),
            _ => None,
        })
        .collect();
    let mut stored: HashMap<UserId, _> = lock_users(c, tk, tenant_id, &ids)
        .await?
        .into_iter()
        .map(|s| (s.user.id, s))
        .collect();
    let mut entries = Vec::with_capacity(steps.len());
    for step in steps {
        let entry = match step.op {
            BulkOp::Refuse { refusal, audit } => Entry {
                line: step.line,
                draft: audit,
                state: Err(refusal),
            },
            BulkOp::Write(w) => plan(&mut stored, step.line, w),
            BulkOp::Delete { audit, .. } => Entry {
                line: step.line,
                draft: audit,
                state: Err(StoreError::Corrupt("a delete in a batched bulk chunk".into()).into()),
            },
        };
        entries.push(entry);
    }
    write_planned(c, tk, &mut entries, &mut chunk.counts).await?;
    for e in entries {
        match e.state {
            Ok(_) => {
                chunk.events.push(e.draft);
                chunk.record(e.line, Ok(()));
            }
            Err(err) => {
                chunk.events.push(e.draft.failed_with(&err));
                chunk.record(e.line, Err(err));
            }
        }
    }
    Ok(())
}

/// Works out one row's write on the user as stored, as `modify_in` does.
fn plan(
    stored: &mut HashMap<UserId, crate::users::rows::StoredUser>,
    line: u32,
    w: UserWrite,
) -> Entry {
    let mut draft = w.audit;
    let state = (|| {
        let before = stored
            .remove(&w.user_id)
            .ok_or(Error::NotFound(Missing::User))?;
        Error::check_version(w.if_match, before.user.version)?;
        let mut user = before.user.clone();
        let effects = (w.mutation)(&mut user)?;
        let changes = before.user.diff(&user);
        draft.details["changes"] = serde_json::Value::Object(changes.clone());
        // Effects alone (a reset link and its mail) leave the version.
        if !changes.is_empty() {
            user.version += 1;
            user.updated_at = w.now;
        }
        let write = !changes.is_empty() || before.user.activity_differs(&user);
        Ok(Planned {
            key: before.key,
            user_id: user.id,
            update: write.then_some(Update {
                before,
                after: user,
            }),
            effects,
            now: w.now,
        })
    })();
    Entry { line, draft, state }
}

/// Writes every planned row: as one batch, or, when the batch is refused,
/// row by row, each refusal then ending only its own row.
async fn write_planned(
    c: &mut PgConnection,
    tk: i64,
    entries: &mut [Entry],
    counts: &mut Counts,
) -> Result<(), Error> {
    sqlx::raw_sql("SAVEPOINT batch")
        .execute(&mut *c)
        .await
        .db()?;
    let mut mine = Counts::default();
    match write_batch(c, tk, entries, &mut mine).await {
        Ok(()) => {
            sqlx::raw_sql("RELEASE SAVEPOINT batch")
                .execute(&mut *c)
                .await
                .db()?;
            counts.merge(mine);
            return Ok(());
        }
        Err(e) if e.is_refusal() => {
            sqlx::raw_sql("ROLLBACK TO SAVEPOINT batch; RELEASE SAVEPOINT batch")
                .execute(&mut *c)
                .await
                .db()?;
        }
        Err(e) => return Err(e),
    }
    for entry in entries.iter_mut() {
        let Ok(p) = &entry.state else { continue };
        sqlx::raw_sql("SAVEPOINT row").execute(&mut *c).await.db()?;
        let mut mine = Counts::default();
        let result = async {
            if let Some(u) = &p.update {
                write::update(c, &mut mine, tk, &u.before, &u.after).await?;
            }
            apply_effects(c, tk, p.key, p.user_id, &p.effects, p.now, &mut entry.draft)
                .await
                .db()
        }
        .await;
        match result {
            Ok(()) => {
                sqlx::raw_sql("RELEASE SAVEPOINT row")
                    .execute(&mut *c)
                    .await
                    .db()?;
                counts.merge(mine);
            }
            Err(e) if e.is_refusal() => {
                sqlx::raw_sql("ROLLBACK TO SAVEPOINT row; RELEASE SAVEPOINT row")
                    .execute(&mut *c)
                    .await
                    .db()?;
                entry.state = Err(e);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The batch: every user's rows at once, then each row's effects.
async fn write_batch(
    c: &mut PgConnection,
    tk: i64,
    entries: &mut [Entry],
    counts: &mut Counts,
) -> Result<(), Error> {
    let updates: Vec<&Update> = entries
        .iter()
        .filter_map(|e| e.state.as_ref().ok().and_then(|p| p.update.as_ref()))
        .collect();
    update_many(c, counts, tk, &updates).await?;
    // Ending access (a disable, a block of some kinds) is the one effect
    // most rows of a chunk share: done for all of them at once. Rows with
    // other effects (links, mails) have all of theirs applied one by one.
    let (mut revoke_keys, mut revoke_ids, mut end_keys) = (Vec::new(), Vec::new(), Vec::new());
    for entry in entries.iter_mut() {
        let Ok(p) = &entry.state else { continue };
        let e = &p.effects;
        if e.is_empty() {
            continue;
        }
        let only_ends_access = !e.revoke_links
            && e.new_session.is_none()
            && e.new_link.is_none()
            && e.mail.is_none()
            && e.password.is_none()
            && e.roles.is_empty();
        if !only_ends_access {
            apply_effects(c, tk, p.key, p.user_id, e, p.now, &mut entry.draft)
                .await
                .db()?;
        } else if e.revoke_access {
            revoke_keys.push(p.key);
            revoke_ids.push(p.user_id);
        } else {
            end_keys.push(p.key);
        }
    }
    if !revoke_keys.is_empty() {
        revoke_access_of(c, &revoke_keys, &revoke_ids).await.db()?;
    }
    if !end_keys.is_empty() {
        end_all_of(c, &end_keys).await.db()?;
    }
    Ok(())
}
