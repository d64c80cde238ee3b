//! Writing users: the row, its search rows, its attribute index entries,
//! the per-state counters and its links, always together.

use crate::conn::{DbExt, DbResult, audited, constraint};
use crate::rows::{self, StoredUser};
use rusqlite::types::Value as SqlValue;
use rusqlite::{CachedStatement, Connection, ToSql, params};
use serde_json::json;
use std::collections::BTreeMap;
use std::rc::Rc;
use time::OffsetDateTime;
use usher_core::audit::AuditDraft;
use usher_core::clock::to_micros;
use usher_core::error::{Error, FieldError, Missing, ValidationErrors};
use usher_core::search::{
    HeadRow, SearchRow, UserIndex, head_rows, rows_for_terms, search_blob, terms_from_blob,
};
use usher_core::store::{DeleteGuard, Effects, NewLink, UserWrite};
use usher_core::user::{User, UserState};
use uuid::Uuid;

fn opt_micros(t: Option<OffsetDateTime>) -> Option<i64> {
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
                 last_failed_login_at, mfa_enrolled, version, display_name) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
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
            ])
            .map_err(constraint)?;
        totals.add(&Indexed::of(key, &blob, u), rows, heads);
        totals.attributes.extend(
            u.attributes
                .keys()
                .map(|name| (name.to_ascii_lowercase(), key)),
        );
        totals.count(Tally::of(u), 1);
        Ok(key)
    }
}

/// Refuses values of attributes whose definition was removed after the
/// service validated them (the definition and the write race otherwise).
fn check_attribute_names(c: &Connection, tk: i64, u: &User) -> Result<(), Error> {
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
                "unknown_attribute",
                "no custom attribute of this name is defined",
            ));
        }
    }
    errors.into_result(())
}

/// What a user's search rows carry besides the term: its filter columns.
struct Indexed<'a> {
    key: i64,
    blob: &'a str,
    state: UserState,
    archived: bool,
    expires: Option<i64>,
    email_norm: &'a str,
    mfa: bool,
}

impl<'a> Indexed<'a> {
    fn of(key: i64, blob: &'a str, u: &'a User) -> Self {
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
fn index_search(c: &Connection, tk: i64, ix: &Indexed<'_>, sign: i64) -> DbResult<()> {
    let mut totals = Totals::default();
    index_search_rows(c, tk, ix, sign, &mut totals)?;
    totals.flush(c, tk)
}

/// Moves a user's search rows from `old` (as stored) to `new`. When only
/// the filter columns changed (a state action: the same terms), the rows
/// are updated where they are, one seek each, instead of deleted and
/// inserted again; the heads move in `totals`.
fn reindex_search(
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

/// Changes to the aggregates (per-state counters and search heads, each
/// also for enrolled users alone) and the search rows to insert, collected
/// over one or many users and written in few statements.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    /// By (enrolled users' table, state, archived).
    counts: BTreeMap<(bool, i16, bool), i64>,
    /// By (enrolled users' table, level, head, state, archived).
    /// Hashed, not ordered: an import adds a dozen heads per user, and
    /// [`Totals::flush`] sorts the few distinct ones once.
    heads: foldhash::HashMap<(bool, u8, String, i16, bool), i64>,
    search: Vec<SearchInsert>,
    /// New attribute index entries: (lower-case name, user key).
    attributes: Vec<(String, i64)>,
}

/// A search row waiting to be inserted; the user's rows share one email.
#[derive(Debug)]
struct SearchInsert {
    term: String,
    user_key: i64,
    weight: i64,
    state: i16,
    archived: bool,
    expires: Option<i64>,
    email_norm: Rc<str>,
    mfa: bool,
}

impl Totals {
    /// Adds a new user's search rows (written by [`Totals::flush`], sorted
    /// by term: many users' rows then go into the index in its order
    /// instead of at random places) and its share of the heads.
    fn add(&mut self, ix: &Indexed<'_>, rows: Vec<SearchRow>, heads: Vec<HeadRow>) {
        let email: Rc<str> = Rc::from(ix.email_norm);
        self.search.extend(rows.into_iter().map(|r| SearchInsert {
            term: r.term,
            user_key: ix.key,
            weight: i64::from(r.weight),
            state: ix.state.code(),
            archived: ix.archived,
            expires: ix.expires,
            email_norm: Rc::clone(&email),
            mfa: ix.mfa,
        }));
        self.add_heads(ix, heads, 1);
    }

    /// Adds (`sign` 1) or takes away (`sign` -1) a user's heads; an
    /// enrolled user's are counted once more, for mfa=true searches.
    fn add_heads(&mut self, ix: &Indexed<'_>, heads: Vec<HeadRow>, sign: i64) {
        let state = ix.state.code();
        let mut add = |key: (bool, u8, String, i16, bool), n: i64| match self.heads.get_mut(&key) {
            Some(sum) => *sum += n,
            None => {
                self.heads.insert(key, n);
            }
        };
        for h in heads {
            if ix.mfa {
                add(
                    (true, h.level, h.head.clone(), state, ix.archived),
                    sign * h.weight,
                );
            }
            add(
                (false, h.level, h.head, state, ix.archived),
                sign * h.weight,
            );
        }
    }

    /// Adds `delta` users at `t` (and to the enrolled users' counter when
    /// `t` is enrolled).
    fn count(&mut self, t: Tally, delta: i64) {
        *self
            .counts
            .entry((false, t.state.code(), t.archived))
            .or_default() += delta;
        if t.mfa {
            *self
                .counts
                .entry((true, t.state.code(), t.archived))
                .or_default() += delta;
        }
    }

    /// Writes the collected changes (rows 100 or 200 per statement).
    pub(crate) fn flush(mut self, c: &Connection, tk: i64) -> DbResult<()> {
        // By the terms' first 16 bytes: the order SQLite keeps them in, up
        // to ties, at a fraction of the cost of comparing whole strings.
        self.search.sort_by_cached_key(|r| {
            let mut head = [0u8; 16];
            let n = r.term.len().min(16);
            head[..n].copy_from_slice(&r.term.as_bytes()[..n]);
            u128::from_be_bytes(head)
        });
        insert_rows(
            c,
            "user_search (tenant_key, term, user_key, weight, state, archived, invitation_expires_at, email_norm, mfa_enrolled)",
            "",
            9,
            100,
            &self.search,
            |r, args| {
                args.extend([
                    &tk as &dyn ToSql,
                    &r.term,
                    &r.user_key,
                    &r.weight,
                    &r.state,
                    &r.archived,
                    &r.expires,
                    &r.email_norm,
                    &r.mfa,
                ])
            },
        )?;
        self.attributes.sort_unstable();
        insert_rows(
            c,
            "user_attribute_index (tenant_key, name_key, user_key)",
            "",
            3,
            300,
            &self.attributes,
            |(name, key), args| args.extend([&tk as &dyn ToSql, name, key]),
        )?;
        for ((enrolled, state, archived), n) in self.counts {
            if n != 0 {
                add_count(c, enrolled, tk, state, archived, n)?;
            }
        }
        for table in [false, true] {
            let mut heads: Vec<_> = self
                .heads
                .iter()
                .filter(|((t, ..), n)| *t == table && **n != 0)
                .collect();
            heads.sort_unstable();
            let name = if table {
                "mfa_search_heads"
            } else {
                "search_heads"
            };
            insert_rows(
                c,
                &format!("{name} (tenant_key, level, head, state, archived, n)"),
                "ON CONFLICT (tenant_key, level, head, state, archived) DO UPDATE SET n = n + excluded.n",
                6,
                200,
                &heads,
                |((_, level, head, state, archived), n), args| {
                    args.extend([&tk as &dyn ToSql, level, head, state, archived, *n])
                },
            )?;
        }
        Ok(())
    }
}

/// Where a user is counted: its stored state, archived flag and whether it
/// is enrolled (`mfa_counts` counts only those).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tally {
    state: UserState,
    archived: bool,
    mfa: bool,
}

impl Tally {
    fn of(u: &User) -> Self {
        Self {
            state: u.stored_state,
            archived: u.archived,
            mfa: u.mfa_enrolled,
        }
    }

    /// Where the user whose search rows `ix` describes is counted.
    fn at(ix: &Indexed<'_>) -> Self {
        Self {
            state: ix.state,
            archived: ix.archived,
            mfa: ix.mfa,
        }
    }
}

/// Adds `delta` to a counter of `user_counts`, or of `mfa_counts` (enrolled
/// users only) when `enrolled`.
fn add_count(
    c: &Connection,
    enrolled: bool,
    tk: i64,
    state: i16,
    archived: bool,
    delta: i64,
) -> DbResult<()> {
    let sql = if enrolled {
        "INSERT INTO mfa_counts (tenant_key, state, archived, n) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (tenant_key, state, archived) DO UPDATE SET n = n + excluded.n"
    } else {
        "INSERT INTO user_counts (tenant_key, state, archived, n) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (tenant_key, state, archived) DO UPDATE SET n = n + excluded.n"
    };
    c.prepare_cached(sql)?
        .execute(params![tk, state, archived, delta])?;
    Ok(())
}

/// Adds `delta` users at `t` to the counters.
fn count_at(c: &Connection, tk: i64, t: Tally, delta: i64) -> DbResult<()> {
    add_count(c, false, tk, t.state.code(), t.archived, delta)?;
    if t.mfa {
        add_count(c, true, tk, t.state.code(), t.archived, delta)?;
    }
    Ok(())
}

fn count(c: &Connection, tk: i64, u: &User, delta: i64) -> DbResult<()> {
    count_at(c, tk, Tally::of(u), delta)
}

/// The columns of a user's row an update may change, with their values.
fn columns(u: &User, blob: &str) -> [(&'static str, SqlValue); 22] {
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
    if old.attributes.keys().ne(u.attributes.keys()) {
        for name in old
            .attributes
            .keys()
            .filter(|k| !u.attributes.contains_key(*k))
        {
            c.prepare_cached("DELETE FROM user_attribute_index WHERE tenant_key = ?1 AND name_key = ?2 AND user_key = ?3")
                .db()?
                .execute(params![tk, name.to_ascii_lowercase(), before.key])
                .db()?;
        }
        for name in u
            .attributes
            .keys()
            .filter(|k| !old.attributes.contains_key(*k))
        {
            c.prepare_cached("INSERT OR IGNORE INTO user_attribute_index (tenant_key, name_key, user_key) VALUES (?1, ?2, ?3)")
                .db()?
                .execute(params![tk, name.to_ascii_lowercase(), before.key])
                .db()?;
        }
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

fn insert_link(
    c: &Connection,
    tk: i64,
    user_key: i64,
    link: &NewLink,
    now: OffsetDateTime,
) -> DbResult<()> {
    c.prepare_cached("DELETE FROM links WHERE user_key = ?1 AND kind = ?2")?
        .execute(params![user_key, link.kind.as_str()])?;
    c.prepare_cached(
        "INSERT INTO links (id, tenant_key, user_key, kind, hash, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        Uuid::now_v7().as_bytes().as_slice(),
        tk,
        user_key,
        link.kind.as_str(),
        link.hash.0.as_slice(),
        to_micros(now),
        to_micros(link.expires_at)
    ])?;
    Ok(())
}

/// Ends everything that grants access: links, the mails carrying them,
/// sessions and their refresh tokens.
fn revoke_access(c: &Connection, user_key: i64, user_id: Uuid) -> DbResult<()> {
    c.prepare_cached("DELETE FROM links WHERE user_key = ?1")?
        .execute([user_key])?;
    crate::sessions::end_all(c, user_key)?;
    crate::outbox::cancel_queued(c, user_id, None, "cancelled: the user's access was revoked")?;
    Ok(())
}

/// Carries out what the domain asked for besides the user's own fields,
/// noting a password write in the audit event.
pub(crate) fn apply_effects(
    c: &Connection,
    tk: i64,
    user_key: i64,
    user_id: Uuid,
    effects: &Effects,
    now: OffsetDateTime,
    draft: &mut AuditDraft,
) -> DbResult<()> {
    if effects.revoke_access {
        revoke_access(c, user_key, user_id)?;
    } else if effects.end_sessions {
        crate::sessions::end_all(c, user_key)?;
    }
    if let Some(link) = &effects.new_link {
        // The older link dies with its mail, if that is still waiting.
        crate::outbox::cancel_queued(
            c,
            user_id,
            Some(link.kind),
            "cancelled: a newer link was sent",
        )?;
        insert_link(c, tk, user_key, link, now)?;
    }
    if let Some(mail) = &effects.mail {
        crate::outbox::enqueue(c, tk, mail)?;
    }
    if let Some(session) = &effects.new_session {
        crate::sessions::insert(c, tk, user_key, session)?;
    }
    if let Some(write) = &effects.password {
        let outcome = crate::links::write_password(c, user_key, write, now)?;
        draft.details["password_hash"] = json!(outcome);
    }
    Ok(())
}

pub(crate) fn create(
    c: &Connection,
    tk: i64,
    user: User,
    effects: Effects,
    audit: AuditDraft,
) -> Result<User, Error> {
    audited(c, audit, |c, draft| {
        let key = insert_row(c, tk, &user)?;
        apply_effects(c, tk, key, user.id, &effects, user.created_at, draft).db()?;
        Ok(user)
    })
}

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
    let taken = |code: &'static str, field: &'static str, what: &str| Error::Conflict {
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
            return Err(taken("email_taken", "email", "email"));
        }
        if let Some(name) = &u.username {
            let name = name.normalized();
            if username_q.exists(params![tk, name]).db()? || !usernames.insert(name) {
                return Err(taken("username_taken", "username", "username"));
            }
        }
        if let Some(x) = &u.external_id {
            let key = (u.source.clone(), x.as_str().to_owned());
            if external_q.exists(params![tk, key.0, key.1]).db()? || !externals.insert(key) {
                return Err(taken("external_id_taken", "external_id", "external id"));
            }
        }
    }
    Ok(())
}

pub(crate) fn load(
    c: &Connection,
    tk: i64,
    tenant_id: Uuid,
    id: Uuid,
    if_match: Option<i64>,
) -> Result<StoredUser, Error> {
    let stored = rows::user_by_id(c, tk, tenant_id, id)
        .db()?
        .ok_or(Error::NotFound(Missing::User))?;
    if let Some(v) = if_match
        && v != stored.user.version
    {
        return Err(Error::VersionMismatch {
            current: stored.user.version,
        });
    }
    Ok(stored)
}

pub(crate) fn modify(c: &Connection, tk: i64, write: UserWrite) -> Result<User, Error> {
    let mut totals = Totals::default();
    let user = modify_deferred(c, tk, write, &mut totals)?;
    totals.flush(c, tk).db()?;
    Ok(user)
}

/// [`modify`], leaving the changes to counters and heads in `totals` (a
/// bulk process writes them once for a chunk of users). A refused write
/// leaves nothing in them: it is refused before its first change.
pub(crate) fn modify_deferred(
    c: &Connection,
    tk: i64,
    write: UserWrite,
    totals: &mut Totals,
) -> Result<User, Error> {
    let UserWrite {
        tenant_id,
        user_id,
        if_match,
        now,
        mutation,
        audit,
    } = write;
    audited(c, audit, |c, draft| {
        let before = load(c, tk, tenant_id, user_id, if_match)?;
        let mut user = before.user.clone();
        let effects: Effects = mutation(&mut user)?;
        let changes = before.user.diff(&user);
        draft.details["changes"] = serde_json::Value::Object(changes.clone());
        // Effects alone (a reset link and its mail) leave the version.
        if !changes.is_empty() {
            user.version += 1;
            user.updated_at = now;
            update_row_deferred(c, tk, &before, &user, totals)?;
        } else if before.user.activity_differs(&user) {
            update_row_deferred(c, tk, &before, &user, totals)?;
        }
        apply_effects(c, tk, before.key, user.id, &effects, now, draft).db()?;
        Ok(user)
    })
}

pub(crate) fn delete(
    c: &Connection,
    tk: i64,
    tenant_id: Uuid,
    user_id: Uuid,
    if_match: Option<i64>,
    guard: DeleteGuard,
    audit: AuditDraft,
) -> Result<User, Error> {
    audited(c, audit, |c, draft| {
        let stored = load(c, tk, tenant_id, user_id, if_match)?;
        guard(&stored.user)?;
        draft.details["email"] = json!(stored.user.email);
        draft.details["state"] = json!(stored.user.stored_state);
        c.prepare_cached("DELETE FROM users WHERE key = ?1")
            .db()?
            .execute([stored.key])
            .db()?;
        index_search(
            c,
            tk,
            &Indexed::of(stored.key, &stored.search_blob, &stored.user),
            -1,
        )
        .db()?;
        c.prepare_cached("DELETE FROM user_attribute_index WHERE tenant_key = ?1 AND name_key = ?2 AND user_key = ?3")
            .db()
            .and_then(|mut s| {
                for name in stored.user.attributes.keys() {
                    s.execute(params![tk, name.to_ascii_lowercase(), stored.key]).db()?;
                }
                Ok(())
            })?;
        revoke_access(c, stored.key, stored.user.id).db()?;
        c.prepare_cached("DELETE FROM user_credentials WHERE user_key = ?1")
            .db()?
            .execute([stored.key])
            .db()?;
        count(c, tk, &stored.user, -1).db()?;
        Ok(stored.user)
    })
}

/// A pending invitation the sweep marks expired: key, tenant key, archived,
/// search blob, normalised email, expiry, enrolled.
type DueInvitation = (i64, i64, bool, String, String, Option<i64>, bool);

/// Marks pending invitations past their expiry as expired. Not a change a
/// client can see (reads already derive the state), so versions stay.
pub(crate) fn sweep_expired(c: &Connection, now: OffsetDateTime, limit: u32) -> Result<u64, Error> {
    let due: Vec<DueInvitation> = c
        .prepare_cached(
            "SELECT key, tenant_key, archived, search_blob, email_norm, invitation_expires_at, mfa_enrolled \
             FROM users WHERE state = 1 AND invitation_expires_at <= ?1 LIMIT ?2",
        )
        .db()?
        .query_map(params![to_micros(now), limit], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .db()?
        .collect::<DbResult<_>>()
        .db()?;
    // The due users' counters and heads, by tenant, written once at the end.
    let mut totals: BTreeMap<i64, Totals> = BTreeMap::new();
    for (key, tk, archived, blob, email_norm, expires, mfa) in &due {
        c.prepare_cached("UPDATE users SET state = 2 WHERE key = ?1")
            .db()?
            .execute([key])
            .db()?;
        let ix = Indexed {
            key: *key,
            blob,
            state: UserState::PendingInvitation,
            archived: *archived,
            expires: *expires,
            email_norm,
            mfa: *mfa,
        };
        let expired = Indexed {
            state: UserState::ExpiredInvitation,
            ..ix
        };
        let totals = totals.entry(*tk).or_default();
        reindex_search(c, *tk, &ix, &expired, totals).db()?;
        totals.count(Tally::at(&ix), -1);
        totals.count(Tally::at(&expired), 1);
    }
    for (tk, totals) in totals {
        totals.flush(c, tk).db()?;
    }
    Ok(due.len() as u64)
}

pub(crate) fn delete_attribute(
    c: &Connection,
    tk: i64,
    tenant_id: Uuid,
    name: &str,
    purge: bool,
    now: OffsetDateTime,
    audit: AuditDraft,
) -> Result<u64, Error> {
    let key = name.to_ascii_lowercase();
    audited(c, audit, |c, draft| {
        let exists = c
            .prepare_cached(
                "SELECT 1 FROM attribute_definitions WHERE tenant_key = ?1 AND name_key = ?2",
            )
            .db()?
            .exists(params![tk, key])
            .db()?;
        if !exists {
            return Err(Error::NotFound(Missing::Attribute));
        }
        let holders: Vec<i64> = c
            .prepare_cached(
                "SELECT user_key FROM user_attribute_index WHERE tenant_key = ?1 AND name_key = ?2",
            )
            .db()?
            .query_map(params![tk, key], |r| r.get(0))
            .db()?
            .collect::<DbResult<_>>()
            .db()?;
        if !holders.is_empty() && !purge {
            return Err(Error::conflict(
                "attribute_in_use",
                format!(
                    "{} users hold a value of this attribute; delete with purge=true to remove the values too",
                    holders.len()
                ),
            ));
        }
        for user_key in &holders {
            let id: Vec<u8> = c
                .prepare_cached("SELECT id FROM users WHERE key = ?1")
                .db()?
                .query_row([user_key], |r| r.get(0))
                .db()?;
            let before = load(c, tk, tenant_id, rows::uuid(&id).db()?, None)?;
            let mut user = before.user.clone();
            user.attributes.retain(|k, _| k.to_ascii_lowercase() != key);
            user.version += 1;
            user.updated_at = now;
            // The definition goes below; the row's other names stay valid.
            update_row(c, tk, &before, &user)?;
        }
        c.prepare_cached(
            "DELETE FROM attribute_definitions WHERE tenant_key = ?1 AND name_key = ?2",
        )
        .db()?
        .execute(params![tk, key])
        .db()?;
        draft.details["purged_values"] = json!(holders.len());
        Ok(holders.len() as u64)
    })
}
