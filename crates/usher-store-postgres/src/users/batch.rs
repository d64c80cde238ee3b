//! The batch path of `insert_users` (imports, benchmark seeding): users,
//! search rows and attribute index entries of many users in a few
//! statements each, instead of a few round trips per user.
//!
//! The fast path only ever succeeds as a whole. When it meets a refusal (a
//! taken email, a vanished attribute definition) the caller rolls it back
//! and finds the refusal the way the SQLite store does: first the batch's
//! collisions ([`check_unique`]), then user by user.

use crate::error::DbExt;
use crate::users::counts::Counts;
use crate::users::rows::stored_block;
use crate::users::write;
use crate::write::Write;
use serde_json::json;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use std::collections::{BTreeSet, HashMap, HashSet};
use usher_core::UserId;
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, ErrorCode};
use usher_core::search::search_blob;
use usher_core::user::User;
use uuid::Uuid;

pub(crate) async fn insert_batch(
    pool: &PgPool,
    tk: i64,
    batch: Vec<User>,
    audit: AuditDraft,
) -> Result<u64, Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        match insert(&mut w.tx, &mut w.counts, tk, &batch).await {
            Ok(()) => {}
            // Which user is refused, and how, is for the one-by-one path to say.
            Err(e) if e.is_refusal() => {
                w.restart().await?;
                check_unique(&mut w.tx, tk, &batch).await?;
                for u in &batch {
                    write::insert(&mut w.tx, &mut w.counts, tk, u).await?;
                }
            }
            Err(e) => return Err(e),
        }
        w.draft.details["inserted"] = json!(batch.len());
        Ok(batch.len() as u64)
    }
    .await;
    w.finish(result).await
}

/// Users per statement: keeps each message to the server a few megabytes.
const CHUNK: usize = 1000;

/// Inserts `batch`, or answers a refusal (without saying which user caused
/// it) after which the transaction must be rolled back to its savepoint.
pub(crate) async fn insert(
    c: &mut PgConnection,
    counts: &mut Counts,
    tk: i64,
    batch: &[User],
) -> Result<(), Error> {
    check_attribute_names(c, tk, batch).await?;
    for chunk in batch.chunks(CHUNK) {
        insert_chunk(c, counts, tk, chunk).await?;
    }
    Ok(())
}

/// Refuses when any value belongs to an attribute without a definition
/// (whose, the one-by-one path says): each distinct name is checked once.
async fn check_attribute_names(c: &mut PgConnection, tk: i64, batch: &[User]) -> Result<(), Error> {
    let mut seen = BTreeSet::new();
    let names: Vec<&String> = batch
        .iter()
        .flat_map(|u| u.attributes.keys())
        .filter(|n| seen.insert(n.to_ascii_lowercase()))
        .collect();
    write::check_attribute_names(c, tk, &names).await
}

async fn insert_chunk(
    c: &mut PgConnection,
    counts: &mut Counts,
    tk: i64,
    users: &[User],
) -> Result<(), Error> {
    let text = |f: fn(&User) -> Option<&str>| -> Vec<Option<String>> {
        users.iter().map(|u| f(u).map(str::to_owned)).collect()
    };
    let blobs: Vec<String> = users.iter().map(search_blob).collect();
    let inserted: Vec<(Uuid, i64)> = sqlx::query_as(
        "INSERT INTO users (tenant_key, id, email, email_norm, first_name, last_name, phone, personal_email, \
         username, username_norm, language, state, invitation_expires_at, archived, source, external_id, \
         attributes, search_blob, created_at, updated_at, signup_completed_at, last_login_at, \
         last_failed_login_at, mfa_enrolled, version, display_name, blocked_by) \
         SELECT $1, * FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
         $8::text[], $9::text[], $10::text[], $11::text[], $12::smallint[], $13::timestamptz[], $14::boolean[], \
         $15::text[], $16::text[], $17::jsonb[], $18::text[], $19::timestamptz[], $20::timestamptz[], \
         $21::timestamptz[], $22::timestamptz[], $23::timestamptz[], $24::boolean[], $25::bigint[], $26::text[], \
         $27::text[]) RETURNING id, key",
    )
    .bind(tk)
    .bind(users.iter().map(|u| u.id.uuid()).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.email.as_str().to_owned()).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.email.normalized().to_owned()).collect::<Vec<_>>())
    .bind(text(|u| u.first_name.as_ref().map(|v| v.as_str())))
    .bind(text(|u| u.last_name.as_ref().map(|v| v.as_str())))
    .bind(text(|u| u.phone.as_ref().map(|v| v.as_str())))
    .bind(text(|u| u.personal_email.as_ref().map(|v| v.as_str())))
    .bind(text(|u| u.username.as_ref().map(|v| v.as_str())))
    .bind(users.iter().map(|u| u.username.as_ref().map(|v| v.normalized())).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.language.as_str()).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.stored_state.code()).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.invitation_expires_at).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.archived).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.source.clone()).collect::<Vec<_>>())
    .bind(text(|u| u.external_id.as_ref().map(|v| v.as_str())))
    .bind(users.iter().map(|u| Json(&u.attributes)).collect::<Vec<_>>())
    .bind(&blobs)
    .bind(users.iter().map(|u| u.created_at).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.updated_at).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.signup_completed_at).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.last_login_at).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.last_failed_login_at).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.mfa_enrolled).collect::<Vec<_>>())
    .bind(users.iter().map(|u| u.version).collect::<Vec<_>>())
    .bind(text(|u| u.display_name.as_ref().map(|v| v.as_str())))
    .bind(users.iter().map(stored_block).collect::<Vec<_>>())
    .fetch_all(&mut *c)
    .await
    .map_err(crate::error::constraint)?;
    let keys: HashMap<UserId, i64> = inserted
        .into_iter()
        .map(|(id, key): (Uuid, i64)| (id.into(), key))
        .collect();
    let mut search = SearchRows::default();
    let (mut attr_names, mut attr_values, mut attr_users) = (Vec::new(), Vec::new(), Vec::new());
    for (u, blob) in users.iter().zip(&blobs) {
        let key = *keys.get(&u.id).ok_or_else(|| {
            Error::Store(usher_core::StoreError::Corrupt(format!(
                "user {} was not inserted",
                u.id
            )))
        })?;
        search.add(counts, tk, key, u, blob);
        for (name, value) in &u.attributes {
            attr_names.push(name.to_ascii_lowercase());
            attr_values.push(value.as_str());
            attr_users.push(key);
        }
        counts.add(tk, u.stored_state, u.archived, u.mfa_enrolled, 1);
    }
    search.insert(c, tk).await.db()?;
    // Values folded by lower(), as `index::index_attributes` folds them.
    if !attr_names.is_empty() {
        sqlx::query(
            "INSERT INTO user_attribute_index (tenant_key, name_key, user_key, value_fold) \
             SELECT $1, t.n, t.u, lower(t.v) FROM UNNEST($2::text[], $3::bigint[], $4::text[]) AS t (n, u, v) \
             ON CONFLICT DO NOTHING",
        )
        .bind(tk)
        .bind(attr_names)
        .bind(attr_users)
        .bind(attr_values)
        .execute(&mut *c)
        .await
        .db()?;
    }
    Ok(())
}

/// The search rows of many users, column by column.
#[derive(Debug, Default)]
struct SearchRows {
    user_keys: Vec<i64>,
    terms: Vec<String>,
    weights: Vec<i16>,
    states: Vec<i16>,
    archived: Vec<bool>,
    expires: Vec<Option<time::OffsetDateTime>>,
    emails: Vec<String>,
    mfa: Vec<bool>,
}

impl SearchRows {
    fn add(&mut self, counts: &mut Counts, tk: i64, key: i64, u: &User, blob: &str) {
        let rows = crate::users::index::search_rows(blob);
        counts.add_search(tk, &rows, u.stored_state, u.archived, u.mfa_enrolled, 1);
        for row in rows {
            self.user_keys.push(key);
            self.terms.push(row.term);
            self.weights.push(i16::from(row.weight));
            self.states.push(u.stored_state.code());
            self.archived.push(u.archived);
            self.expires.push(u.invitation_expires_at);
            self.emails.push(u.email.normalized().to_owned());
            self.mfa.push(u.mfa_enrolled);
        }
    }

    async fn insert(self, c: &mut PgConnection, tk: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO user_search (tenant_key, user_key, term, weight, state, archived, invitation_expires_at, email_norm, \
             mfa_enrolled) \
             SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::smallint[], $5::smallint[], $6::boolean[], \
             $7::timestamptz[], $8::text[], $9::boolean[])",
        )
        .bind(tk)
        .bind(self.user_keys)
        .bind(self.terms)
        .bind(self.weights)
        .bind(self.states)
        .bind(self.archived)
        .bind(self.expires)
        .bind(self.emails)
        .bind(self.mfa)
        .execute(c)
        .await?;
        Ok(())
    }
}

/// Refuses a batch in which two users, or a user and a stored one, share
/// an email, a username or an external id: the first such user in batch
/// order, its email checked before its username before its external id,
/// with the SQLite store's codes and messages.
pub(crate) async fn check_unique(
    c: &mut PgConnection,
    tk: i64,
    batch: &[User],
) -> Result<(), Error> {
    let taken = |code: ErrorCode, field: &'static str, what: &str| Error::Conflict {
        code,
        field: Some(field),
        message: format!("a user with this {what} already exists ({code})"),
    };
    let emails: Vec<String> = batch
        .iter()
        .map(|u| u.email.normalized().to_owned())
        .collect();
    let usernames: Vec<String> = batch
        .iter()
        .filter_map(|u| u.username.as_ref().map(|n| n.normalized()))
        .collect();
    let (sources, external_ids): (Vec<String>, Vec<String>) = batch
        .iter()
        .filter_map(|u| {
            u.external_id
                .as_ref()
                .map(|x| (u.source.clone(), x.as_str().to_owned()))
        })
        .unzip();
    let stored_emails: HashSet<String> = sqlx::query_scalar(
        "SELECT email_norm FROM users WHERE tenant_key = $1 AND email_norm = ANY($2)",
    )
    .bind(tk)
    .bind(&emails)
    .fetch_all(&mut *c)
    .await
    .db()?
    .into_iter()
    .collect();
    let stored_usernames: HashSet<String> = if usernames.is_empty() {
        HashSet::new()
    } else {
        sqlx::query_scalar(
            "SELECT username_norm FROM users WHERE tenant_key = $1 AND username_norm = ANY($2)",
        )
        .bind(tk)
        .bind(&usernames)
        .fetch_all(&mut *c)
        .await
        .db()?
        .into_iter()
        .collect()
    };
    let stored_externals: HashSet<(String, String)> = if sources.is_empty() {
        HashSet::new()
    } else {
        sqlx::query_as(
            "SELECT source, external_id FROM users WHERE tenant_key = $1 \
             AND (source, external_id) IN (SELECT * FROM UNNEST($2::text[], $3::text[]))",
        )
        .bind(tk)
        .bind(&sources)
        .bind(&external_ids)
        .fetch_all(&mut *c)
        .await
        .db()?
        .into_iter()
        .collect()
    };
    let (mut seen_emails, mut seen_usernames, mut seen_externals) =
        (HashSet::new(), HashSet::new(), HashSet::new());
    for u in batch {
        let email = u.email.normalized();
        if !seen_emails.insert(email) || stored_emails.contains(email) {
            return Err(taken(ErrorCode::EmailTaken, "email", "email"));
        }
        if let Some(name) = &u.username {
            let name = name.normalized();
            if stored_usernames.contains(&name) || !seen_usernames.insert(name) {
                return Err(taken(ErrorCode::UsernameTaken, "username", "username"));
            }
        }
        if let Some(x) = &u.external_id {
            let key = (u.source.clone(), x.as_str().to_owned());
            if stored_externals.contains(&key) || !seen_externals.insert(key) {
                return Err(taken(
                    ErrorCode::ExternalIdTaken,
                    "external_id",
                    "external id",
                ));
            }
        }
    }
    Ok(())
}
