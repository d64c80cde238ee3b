//! The aggregates that make totals cheap (per-state counters and search
//! heads, each also for enrolled users alone), collected over one or many
//! users and written in few statements.

use crate::conn::DbResult;
use crate::users::index::{Indexed, insert_rows};
use rusqlite::{Connection, ToSql, params};
use std::collections::BTreeMap;
use std::rc::Rc;
use usher_core::search::{HeadRow, SearchRow};
use usher_core::user::{User, UserState};

/// Changes to the aggregates (per-state counters and search heads, each
/// also for enrolled users alone) and the search rows to insert, collected
/// over one or many users and written in few statements.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    /// By (enrolled users' table, state, archived).
    pub(crate) counts: BTreeMap<(bool, i16, bool), i64>,
    /// By (enrolled users' table, level, head, state, archived).
    /// Hashed, not ordered: an import adds a dozen heads per user, and
    /// [`Totals::flush`] sorts the few distinct ones once.
    pub(crate) heads: foldhash::HashMap<(bool, u8, String, i16, bool), i64>,
    search: Vec<SearchInsert>,
    /// New attribute index entries: (lower-case name, user key, value
    /// case-folded).
    pub(crate) attributes: Vec<(String, i64, String)>,
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
    pub(crate) fn add(&mut self, ix: &Indexed<'_>, rows: Vec<SearchRow>, heads: Vec<HeadRow>) {
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
    pub(crate) fn add_heads(&mut self, ix: &Indexed<'_>, heads: Vec<HeadRow>, sign: i64) {
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
    pub(crate) fn count(&mut self, t: Tally, delta: i64) {
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
            "user_attribute_index (tenant_key, name_key, user_key, value_fold)",
            "",
            4,
            240,
            &self.attributes,
            |(name, key, value), args| args.extend([&tk as &dyn ToSql, name, key, value]),
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
pub(crate) struct Tally {
    pub(crate) state: UserState,
    pub(crate) archived: bool,
    pub(crate) mfa: bool,
}

impl Tally {
    pub(crate) fn of(u: &User) -> Self {
        Self {
            state: u.stored_state,
            archived: u.archived,
            mfa: u.mfa_enrolled,
        }
    }

    /// Where the user whose search rows `ix` describes is counted.
    pub(crate) fn at(ix: &Indexed<'_>) -> Self {
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

pub(crate) fn count(c: &Connection, tk: i64, u: &User, delta: i64) -> DbResult<()> {
    count_at(c, tk, Tally::of(u), delta)
}
