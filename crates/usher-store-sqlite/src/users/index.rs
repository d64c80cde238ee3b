//! A user's search rows: added, removed, or moved in place when only the
//! filter columns changed; and the multi-row insert they go in with.

use crate::conn::DbResult;
use crate::users::counts::Totals;
use crate::users::write::opt_micros;
use rusqlite::{Connection, ToSql, params};
use usher_core::search::{head_rows, rows_for_terms, terms_from_blob};
use usher_core::user::{User, UserState};

/// What a user's search rows carry besides the term: its filter columns.
pub(crate) struct Indexed<'a> {
    pub(crate) key: i64,
    pub(crate) blob: &'a str,
    pub(crate) state: UserState,
    pub(crate) archived: bool,
    pub(crate) expires: Option<i64>,
    pub(crate) email_norm: &'a str,
    pub(crate) mfa: bool,
}

impl<'a> Indexed<'a> {
    pub(crate) fn of(key: i64, blob: &'a str, u: &'a User) -> Self {
        Self {
            key,
            blob,
            state: u.stored_state,
            archived: u.archived,
            expires: opt_micros(u.invitation_expires_at),
            email_norm: u.email.normalized(),
            mfa: u.mfa_enrolled,
        }
    }
}

/// Adds (`sign` 1) or removes (`sign` -1) a user's search rows and their
/// contribution to the aggregated heads (and to the enrolled users' heads
/// if the user is enrolled).
pub(crate) fn index_search(c: &Connection, tk: i64, ix: &Indexed<'_>, sign: i64) -> DbResult<()> {
    let mut totals = Totals::default();
    index_search_rows(c, tk, ix, sign, &mut totals)?;
    totals.flush(c, tk)
}

/// Moves a user's search rows from `old` (as stored) to `new`. When only
/// the filter columns changed (a state action: the same terms), the rows
/// are updated where they are, one seek each, instead of deleted and
/// inserted again; the heads move in `totals`.
pub(crate) fn reindex_search(
    c: &Connection,
    tk: i64,
    old: &Indexed<'_>,
    new: &Indexed<'_>,
    totals: &mut Totals,
) -> DbResult<()> {
    if old.blob != new.blob {
        index_search_rows(c, tk, old, -1, totals)?;
        return index_search_rows(c, tk, new, 1, totals);
    }
    let rows = rows_for_terms(terms_from_blob(new.blob));
    let mut stmt = c.prepare_cached(
        "UPDATE user_search SET state = ?4, archived = ?5, invitation_expires_at = ?6, \
         email_norm = ?7, mfa_enrolled = ?8 WHERE tenant_key = ?1 AND term = ?2 AND user_key = ?3",
    )?;
    for r in &rows {
        stmt.execute(params![
            tk,
            r.term,
            new.key,
            new.state.code(),
            new.archived,
            new.expires,
            new.email_norm,
            new.mfa
        ])?;
    }
    let heads = head_rows(&rows);
    totals.add_heads(old, heads.clone(), -1);
    totals.add_heads(new, heads, 1);
    Ok(())
}

/// Adds or removes a user's search rows, leaving its share of the heads in
/// `totals`.
fn index_search_rows(
    c: &Connection,
    tk: i64,
    ix: &Indexed<'_>,
    sign: i64,
    totals: &mut Totals,
) -> DbResult<()> {
    let rows = rows_for_terms(terms_from_blob(ix.blob));
    let heads = head_rows(&rows);
    if sign > 0 {
        totals.add(ix, rows, heads);
        return Ok(());
    }
    let mut stmt = c.prepare_cached(
        "DELETE FROM user_search WHERE tenant_key = ?1 AND term = ?2 AND user_key = ?3",
    )?;
    for r in &rows {
        stmt.execute(params![tk, r.term, ix.key])?;
    }
    totals.add_heads(ix, heads, -1);
    Ok(())
}

/// Inserts `rows` with `INSERT {into} VALUES (…), (…) {tail}`, `per` rows
/// to a statement, each row's `width` values pushed by `bind`: thousands of
/// rows then cost a few statements instead of one each.
pub(crate) fn insert_rows<'a, R>(
    c: &Connection,
    into: &str,
    tail: &str,
    width: usize,
    per: usize,
    rows: &'a [R],
    bind: impl Fn(&'a R, &mut Vec<&'a dyn ToSql>),
) -> DbResult<()> {
    let row = format!("({})", vec!["?"; width].join(", "));
    // Every chunk but the last has the same text: made when the length
    // changes, so once for all the full chunks (and never for no rows).
    let (mut text, mut text_rows) = (String::new(), 0);
    let mut args: Vec<&dyn ToSql> = Vec::new();
    for part in rows.chunks(per) {
        if part.len() != text_rows {
            let values = vec![row.as_str(); part.len()].join(", ");
            text = format!("INSERT INTO {into} VALUES {values} {tail}");
            text_rows = part.len();
        }
        args.clear();
        for r in part {
            bind(r, &mut args);
        }
        c.prepare_cached(&text)?.execute(&args[..])?;
    }
    Ok(())
}
