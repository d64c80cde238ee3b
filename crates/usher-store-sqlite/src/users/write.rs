//! Writing one user's row and what derives from it: its search rows, its
//! attribute index entries and its share of the counters.

use crate::conn::{DbExt, DbResult, constraint};
use crate::users::counts::{Tally, Totals};
use crate::users::index::{Indexed, reindex_search};
use crate::users::rows::StoredUser;
use rusqlite::types::Value as SqlValue;
use rusqlite::{CachedStatement, Connection, ToSql, params};
use time::OffsetDateTime;
use usher_core::clock::to_micros;
use usher_core::error::{Error, ErrorCode, FieldError, ValidationErrors};
use usher_core::search::{UserIndex, head_rows, rows_for_terms, search_blob, terms_from_blob};
use usher_core::user::fields::fold_case;
use usher_core::user::{BlockedBy, User, UserState};

pub(crate) fn opt_micros(t: Option<OffsetDateTime>) -> Option<i64> {
    t.map(to_micros)
}

/// Inserts the user's row and everything derived from it; answers its key.
pub(crate) fn insert_row(c: &Connection, tk: i64, u: &User) -> Result<i64, Error> {
    check_attribute_names(c, tk, u)?;
    let mut totals = Totals::default();
    let key = UserInserts::new(c)
        .db()?
        .insert(tk, u, UserIndex::of(u), &mut totals)?;
    totals.flush(c, tk).db()?;
    Ok(key)
}

/// The statement that inserts users, prepared once for a batch of them.
pub(crate) struct UserInserts<'c> {
    user: CachedStatement<'c>,
}

impl<'c> UserInserts<'c> {
    pub(crate) fn new(c: &'c Connection) -> DbResult<Self> {
        Ok(Self {
            user: c.prepare_cached(
                "INSERT INTO users (id, tenant_key, email, email_norm, first_name, last_name, phone, personal_email, \
                 username, username_norm, language, state, invitation_expires_at, archived, source, external_id, \
                 attributes, search_blob, created_at, updated_at, signup_completed_at, last_login_at, \
                 last_failed_login_at, mfa_enrolled, version, display_name, blocked_by) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
            )?,
        })
    }

    /// Inserts a user's row, search rows and attribute index entries, adding
    /// its share of the aggregates (counters, search heads) to `totals` for
    /// the caller to write once for many users. `index` is `u`'s; the attribute
    /// names must have been checked.
    pub(crate) fn insert(
        &mut self,
        tk: i64,
        u: &User,
        index: UserIndex,
        totals: &mut Totals,
    ) -> Result<i64, Error> {
        let UserIndex { blob, rows, heads } = index;
        let attributes = serde_json::to_string(&u.attributes).unwrap_or_else(|_| "{}".into());
        let key = self
            .user
            .insert(params![
                u.id.as_bytes().as_slice(),
                tk,
                u.email.as_str(),
                u.email.normalized(),
                u.first_name.as_ref().map(|v| v.as_str()),
                u.last_name.as_ref().map(|v| v.as_str()),
                u.phone.as_ref().map(|v| v.as_str()),
                u.personal_email.as_ref().map(|v| v.as_str()),
                u.username.as_ref().map(|v| v.as_str()),
                u.username.as_ref().map(|v| v.normalized()),
                u.language.as_str(),
                u.stored_state.code(),
                opt_micros(u.invitation_expires_at),
                u.archived,
                u.source,
                u.external_id.as_ref().map(|v| v.as_str()),
                attributes,
                &blob,
                to_micros(u.created_at),
                to_micros(u.updated_at),
                opt_micros(u.signup_completed_at),
                opt_micros(u.last_login_at),
                opt_micros(u.last_failed_login_at),
                u.mfa_enrolled,
                u.version,
                u.display_name.as_ref().map(|v| v.as_str()),
                u.block_record().map(BlockedBy::to_stored),
            ])
            .map_err(constraint)?;
        totals.add(&Indexed::of(key, &blob, u), rows, heads);
        totals.attributes.extend(
            u.attributes
                .iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), key, fold_case(value))),
        );
        totals.count(Tally::of(u), 1);
        Ok(key)
    }
}

/// Refuses values of attributes whose definition was removed after the
/// service validated them (the definition and the write race otherwise).
pub(crate) fn check_attribute_names(c: &Connection, tk: i64, u: &User) -> Result<(), Error> {
    let mut errors = ValidationErrors::default();
    for name in u.attributes.keys() {
        let exists = c
            .prepare_cached(
                "SELECT 1 FROM attribute_definitions WHERE tenant_key = ?1 AND name_key = ?2",
            )
            .db()?
            .exists(params![tk, name.to_ascii_lowercase()])
            .db()?;
        if !exists {
            errors.push(FieldError::new(
                format!("attributes.{name}"),
                ErrorCode::UnknownAttribute,
                "no custom attribute of this name is defined",
            ));
        }
    }
    errors.into_result(())
}

/// The columns of a user's row an update may change, with their values.
fn columns(u: &User, blob: &str) -> [(&'static str, SqlValue); 23] {
    let text = |v: Option<&str>| v.map_or(SqlValue::Null, |v| SqlValue::Text(v.to_owned()));
    let time =
        |t: Option<OffsetDateTime>| t.map_or(SqlValue::Null, |t| SqlValue::Integer(to_micros(t)));
    let attributes = serde_json::to_string(&u.attributes).unwrap_or_else(|_| "{}".into());
    [
        ("email", text(Some(u.email.as_str()))),
        ("email_norm", text(Some(u.email.normalized()))),
        (
            "first_name",
            text(u.first_name.as_ref().map(|v| v.as_str())),
        ),
        ("last_name", text(u.last_name.as_ref().map(|v| v.as_str()))),
        ("phone", text(u.phone.as_ref().map(|v| v.as_str()))),
        (
            "personal_email",
            text(u.personal_email.as_ref().map(|v| v.as_str())),
        ),
        ("username", text(u.username.as_ref().map(|v| v.as_str()))),
        (
            "username_norm",
            text(u.username.as_ref().map(|v| v.normalized()).as_deref()),
        ),
        ("language", text(Some(u.language.as_str()))),
        ("state", SqlValue::Integer(i64::from(u.stored_state.code()))),
        ("invitation_expires_at", time(u.invitation_expires_at)),
        ("archived", SqlValue::Integer(i64::from(u.archived))),
        (
            "external_id",
            text(u.external_id.as_ref().map(|v| v.as_str())),
        ),
        ("attributes", SqlValue::Text(attributes)),
        ("search_blob", text(Some(blob))),
        ("updated_at", time(Some(u.updated_at))),
        ("signup_completed_at", time(u.signup_completed_at)),
        ("last_login_at", time(u.last_login_at)),
        ("last_failed_login_at", time(u.last_failed_login_at)),
        ("mfa_enrolled", SqlValue::Integer(i64::from(u.mfa_enrolled))),
        ("version", SqlValue::Integer(u.version)),
        (
            "display_name",
            text(u.display_name.as_ref().map(|v| v.as_str())),
        ),
        (
            "blocked_by",
            text(u.block_record().map(BlockedBy::to_stored).as_deref()),
        ),
    ]
}

/// Rewrites a changed user's row and what derives from it.
pub(crate) fn update_row(
    c: &Connection,
    tk: i64,
    before: &StoredUser,
    u: &User,
) -> Result<(), Error> {
    let mut totals = Totals::default();
    update_row_deferred(c, tk, before, u, &mut totals)?;
    totals.flush(c, tk).db()
}

/// [`update_row`], leaving the changes to counters and heads in `totals`
/// for the caller to write once for many users.
pub(crate) fn update_row_deferred(
    c: &Connection,
    tk: i64,
    before: &StoredUser,
    u: &User,
    totals: &mut Totals,
) -> Result<(), Error> {
    if before.user.attributes.keys().ne(u.attributes.keys()) {
        check_attribute_names(c, tk, u)?;
    }
    let blob = search_blob(u);
    let old = &before.user;
    // Only the columns that changed are set: SQLite rewrites every index
    // on a column an UPDATE sets, so a state action that set them all
    // rewrote the email, name and search indexes too.
    let was = columns(old, &before.search_blob);
    let is = columns(u, &blob);
    let mut sql = String::from("UPDATE users SET ");
    let mut args: Vec<&dyn ToSql> = vec![&before.key];
    for ((name, new), (_, stored)) in is.iter().zip(&was) {
        if new != stored {
            if args.len() > 1 {
                sql.push_str(", ");
            }
            args.push(new);
            sql.push_str(&format!("{name} = ?{}", args.len()));
        }
    }
    if args.len() > 1 {
        sql.push_str(" WHERE key = ?1");
        c.prepare_cached(&sql)
            .db()?
            .execute(&args[..])
            .map_err(constraint)?;
    }
    let filters_changed = old.stored_state != u.stored_state
        || old.archived != u.archived
        || old.mfa_enrolled != u.mfa_enrolled
        || old.invitation_expires_at != u.invitation_expires_at
        || old.email.normalized() != u.email.normalized();
    if filters_changed || before.search_blob != blob {
        reindex_search(
            c,
            tk,
            &Indexed::of(before.key, &before.search_blob, old),
            &Indexed::of(before.key, &blob, u),
            totals,
        )
        .db()?;
    }
    if old.attributes != u.attributes {
        reindex_attributes(c, tk, before.key, old, u)?;
    }
    totals.count(Tally::of(old), -1);
    totals.count(Tally::of(u), 1);
    Ok(())
}

/// Sets a user's derived `mfa_enrolled` (the factor writes keep it) and
/// moves the user into or out of the enrolled users' aggregates: the flag
/// on its search rows, `mfa_search_heads` and `mfa_counts`. Not a change of
/// the user's own fields: no new version.
pub(crate) fn set_mfa_enrolled(c: &Connection, tk: i64, key: i64, enrolled: bool) -> DbResult<()> {
    type Row = (i64, bool, bool, String, String, Option<i64>);
    let (state, archived, was, blob, email_norm, expires): Row = c
        .prepare_cached(
            "SELECT state, archived, mfa_enrolled, search_blob, email_norm, invitation_expires_at \
             FROM users WHERE key = ?1",
        )?
        .query_row([key], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
    if was == enrolled {
        return Ok(());
    }
    let state =
        UserState::from_code(state).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, state))?;
    c.prepare_cached("UPDATE users SET mfa_enrolled = ?2 WHERE key = ?1")?
        .execute(params![key, enrolled])?;
    let rows = rows_for_terms(terms_from_blob(&blob));
    let mut flag = c.prepare_cached(
        "UPDATE user_search SET mfa_enrolled = ?4 WHERE tenant_key = ?1 AND term = ?2 AND user_key = ?3",
    )?;
    for r in &rows {
        flag.execute(params![tk, r.term, key, enrolled])?;
    }
    let ix = Indexed {
        key,
        blob: &blob,
        state,
        archived,
        expires,
        email_norm: &email_norm,
        mfa: enrolled,
    };
    let sign = if enrolled { 1 } else { -1 };
    let mut totals = Totals::default();
    for h in head_rows(&rows) {
        let key = (true, h.level, h.head, ix.state.code(), ix.archived);
        *totals.heads.entry(key).or_default() += sign * h.weight;
    }
    *totals
        .counts
        .entry((true, state.code(), archived))
        .or_default() += sign;
    totals.flush(c, tk)
}

/// Keeps the attribute index (who holds which attribute, with the value
/// folded for attribute scopes) in step with a changed user.
fn reindex_attributes(
    c: &Connection,
    tk: i64,
    key: i64,
    old: &User,
    u: &User,
) -> Result<(), Error> {
    for name in old
        .attributes
        .keys()
        .filter(|k| !u.attributes.contains_key(*k))
    {
        c.prepare_cached(
            "DELETE FROM user_attribute_index WHERE tenant_key = ?1 AND name_key = ?2 AND user_key = ?3",
        )
        .db()?
        .execute(params![tk, name.to_ascii_lowercase(), key])
        .db()?;
    }
    for (name, value) in &u.attributes {
        if old.attributes.get(name) == Some(value) {
            continue;
        }
        c.prepare_cached(
            "INSERT INTO user_attribute_index (tenant_key, name_key, user_key, value_fold) \
             VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (tenant_key, name_key, user_key) DO UPDATE SET value_fold = excluded.value_fold",
        )
        .db()?
        .execute(params![tk, name.to_ascii_lowercase(), key, fold_case(value)])
        .db()?;
    }
    Ok(())
}
