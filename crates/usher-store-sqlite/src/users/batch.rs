//! The batch path of `insert_users` (imports, benchmark seeding): every
//! collision found before the first insert, then one insert per user.

use crate::conn::{DbExt, audited};
use crate::users::counts::Totals;
use crate::users::write::{UserInserts, check_attribute_names};
use rusqlite::{Connection, params};
use serde_json::json;
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, ErrorCode};
use usher_core::search::UserIndex;
use usher_core::user::User;

pub(crate) fn insert_batch(
    c: &Connection,
    tk: i64,
    batch: Vec<User>,
    audit: AuditDraft,
) -> Result<u64, Error> {
    // Every collision is found before the first insert, so the batch needs
    // no savepoint (which SQLite makes costlier the larger the database).
    audited(c, audit, |c, draft| {
        check_batch_unique(c, tk, &batch)?;
        let mut checked = std::collections::HashSet::new();
        let mut totals = Totals::default();
        let mut inserts = UserInserts::new(c).db()?;
        for u in &batch {
            // Each distinct set of attribute names is checked once.
            if checked.insert(u.attributes.keys().collect::<Vec<_>>()) {
                check_attribute_names(c, tk, u)?;
            }
            inserts.insert(tk, u, UserIndex::of(u), &mut totals)?;
        }
        totals.flush(c, tk).db()?;
        draft.details["inserted"] = json!(batch.len());
        Ok(batch.len() as u64)
    })
}

/// Refuses a batch in which two users, or a user and a stored one, share
/// an email, a username or an external id.
fn check_batch_unique(c: &Connection, tk: i64, batch: &[User]) -> Result<(), Error> {
    use std::collections::HashSet;
    let taken = |code: ErrorCode, field: &'static str, what: &str| Error::Conflict {
        code,
        field: Some(field),
        message: format!("a user with this {what} already exists ({code})"),
    };
    let (mut emails, mut usernames, mut externals) =
        (HashSet::new(), HashSet::new(), HashSet::new());
    let mut email_q = c
        .prepare_cached("SELECT 1 FROM users WHERE tenant_key = ?1 AND email_norm = ?2")
        .db()?;
    let mut username_q = c
        .prepare_cached("SELECT 1 FROM users WHERE tenant_key = ?1 AND username_norm = ?2")
        .db()?;
    let mut external_q = c
        .prepare_cached(
            "SELECT 1 FROM users WHERE tenant_key = ?1 AND source = ?2 AND external_id = ?3",
        )
        .db()?;
    for u in batch {
        let email = u.email.normalized();
        if !emails.insert(email.to_owned()) || email_q.exists(params![tk, email]).db()? {
            return Err(taken(ErrorCode::EmailTaken, "email", "email"));
        }
        if let Some(name) = &u.username {
            let name = name.normalized();
            if username_q.exists(params![tk, name]).db()? || !usernames.insert(name) {
                return Err(taken(ErrorCode::UsernameTaken, "username", "username"));
            }
        }
        if let Some(x) = &u.external_id {
            let key = (u.source.clone(), x.as_str().to_owned());
            if external_q.exists(params![tk, key.0, key.1]).db()? || !externals.insert(key) {
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
