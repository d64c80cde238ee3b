//! Keyset pagination shared by every list: cursors, pages, limits.
//!
//! A cursor names a position in the list's order, never an offset, so every
//! page costs one index seek however deep it is, and following `next` visits
//! each item once even while items are added or removed. `last` is a cursor
//! of its own: the final page read backwards from the end.

use crate::error::{Error, ErrorCode};
use crate::list_filters::{LoginFilter, SearchFields};
use crate::role::RoleName;
use crate::scope::AdminScope;
use crate::search::SearchPrefix;
use crate::user::UserState;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    First,
    /// Items after this key, ascending.
    After(String),
    /// Items before this key (the page is still returned in ascending order).
    Before(String),
    Last,
}

/// How to read one page of a list kept newest first, by a key that grows
/// with time (a sequence number, a UUID v7): the comparison with the
/// cursor's key, if any, and the order to read in. The rows read go to
/// [`Page::from_window`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewestFirst<'a> {
    /// `("<", key)`: older than the key; `(">", key)`: newer.
    pub bound: Option<(&'static str, &'a str)>,
    /// Whether to read newest first (forwards) rather than oldest first.
    pub descending: bool,
}

impl Cursor {
    /// The read of a newest-first list at this cursor, in which "after"
    /// means older.
    pub fn newest_first(&self) -> NewestFirst<'_> {
        let (bound, descending) = match self {
            Cursor::First => (None, true),
            Cursor::After(k) => (Some(("<", k.as_str())), true),
            Cursor::Before(k) => (Some((">", k.as_str())), false),
            Cursor::Last => (None, false),
        };
        NewestFirst { bound, descending }
    }

    /// The opaque text form used in links.
    pub fn encode(&self) -> Option<String> {
        match self {
            Cursor::First => None,
            Cursor::After(k) => Some(format!("a.{}", URL_SAFE_NO_PAD.encode(k))),
            Cursor::Before(k) => Some(format!("b.{}", URL_SAFE_NO_PAD.encode(k))),
            Cursor::Last => Some("last".to_owned()),
        }
    }

    pub fn decode(s: Option<&str>) -> Result<Self, Error> {
        let Some(s) = s.filter(|s| !s.is_empty()) else {
            return Ok(Cursor::First);
        };
        let bad = || {
            Error::bad_request(
                ErrorCode::InvalidCursor,
                "the cursor is not valid; start again from the first page",
            )
        };
        if s == "last" {
            return Ok(Cursor::Last);
        }
        if s.len() > 2048 {
            return Err(bad());
        }
        let (kind, body) = s.split_once('.').ok_or_else(bad)?;
        let key = URL_SAFE_NO_PAD
            .decode(body)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(bad)?;
        match kind {
            "a" => Ok(Cursor::After(key)),
            "b" => Ok(Cursor::Before(key)),
            _ => Err(bad()),
        }
    }
}

/// The `limit` parameter: 1 to 200, 20 when absent.
pub fn parse_limit(v: Option<i64>) -> Result<u32, Error> {
    match v {
        None => Ok(20),
        Some(n) if (1..=200).contains(&n) => Ok(n as u32),
        Some(_) => Err(Error::bad_request(
            ErrorCode::InvalidLimit,
            "limit must be between 1 and 200",
        )),
    }
}

/// One page of a list, with what the links need.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub prev: Option<Cursor>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// The page a keyset read at `cursor` found: `window` holds up to
    /// `limit + 1` items, in list order when the read went forwards (the
    /// first page, or after a key) and in reverse when it went backwards
    /// (before a key, or the last page). The one item past `limit` is not
    /// shown; it only tells that more exist in the read's direction. `key`
    /// gives an item's sort key, which the neighbouring pages' cursors carry.
    pub fn from_window(
        mut window: Vec<T>,
        limit: usize,
        total: u64,
        cursor: &Cursor,
        key: impl Fn(&T) -> String,
    ) -> Self {
        let overflow = window.len() > limit;
        window.truncate(limit);
        if matches!(cursor, Cursor::Before(_) | Cursor::Last) {
            window.reverse();
        }
        let (more_before, more_after) = match cursor {
            Cursor::First => (false, overflow),
            Cursor::After(_) => (true, overflow),
            Cursor::Before(_) => (overflow, true),
            Cursor::Last => (overflow, false),
        };
        Self::assemble(window, total, cursor, more_before, more_after, key)
    }

    /// Builds the links of a page from what the store saw. `items` are in
    /// ascending order; `more_before`/`more_after` say whether items exist
    /// beyond the first and last of them. `key` gives an item's sort key.
    fn assemble(
        items: Vec<T>,
        total: u64,
        cursor: &Cursor,
        more_before: bool,
        more_after: bool,
        key: impl Fn(&T) -> String,
    ) -> Self {
        let (prev, next) = match (items.first(), items.last()) {
            (Some(first), Some(last)) => (
                more_before.then(|| Cursor::Before(key(first))),
                more_after.then(|| Cursor::After(key(last))),
            ),
            // An empty page past either end still offers a way back.
            _ if total > 0 => match cursor {
                Cursor::After(_) => (Some(Cursor::Last), None),
                Cursor::Before(_) => (None, Some(Cursor::First)),
                _ => (None, None),
            },
            _ => (None, None),
        };
        Page {
            items,
            total,
            prev,
            next,
        }
    }
}

/// A query of the user list.
#[derive(Debug, Clone)]
pub struct UserQuery {
    pub search: Option<SearchPrefix>,
    pub state: Option<UserState>,
    pub archived: Option<bool>,
    /// Only users with (`true`) or without (`false`) a confirmed second
    /// factor: the derived `mfa_enrolled`.
    pub mfa: Option<bool>,
    pub limit: u32,
    pub cursor: Cursor,
    /// The instant against which invitation expiry is judged.
    pub now: OffsetDateTime,
    /// Only the users of this admin scope (see [`crate::scope`]): the
    /// stores test it at every read, and count totals with it.
    pub scope: Option<AdminScope>,
    /// Only the users holding this role (the tenant's own or a built-in
    /// admin role).
    pub role: Option<RoleName>,
    /// The properties the search looks at; `None` for every term of the
    /// search index (see [`crate::list_filters`]).
    pub fields: Option<SearchFields>,
    /// When the users last logged in.
    pub last_login: LoginFilter,
}

/// A query of the audit log, newest first; keys are sequence numbers.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub target: Option<String>,
    pub action: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_through_their_text_form() {
        for c in [
            Cursor::After("ann@x.com".into()),
            Cursor::Before("é@ü.de".into()),
            Cursor::Last,
        ] {
            assert_eq!(Cursor::decode(c.encode().as_deref()).unwrap(), c);
        }
        assert_eq!(Cursor::decode(None).unwrap(), Cursor::First);
    }

    #[test]
    fn tampered_cursors_are_refused() {
        for bad in ["x", "a.", "c.YQ", "a.!!!", "a.__8"] {
            let r = Cursor::decode(Some(bad));
            assert!(bad == "a." || r.is_err(), "{bad} gave {r:?}");
        }
    }

    #[test]
    fn limits_are_one_to_two_hundred() {
        assert_eq!(parse_limit(None).unwrap(), 20);
        assert_eq!(parse_limit(Some(200)).unwrap(), 200);
        assert!(parse_limit(Some(0)).is_err());
        assert!(parse_limit(Some(201)).is_err());
    }
}

/// How a stored invitation expiry must compare with the query's `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Any,
    /// No expiry, or one still ahead: a pending invitation that is live.
    Live,
    /// Expiry reached: a pending invitation the sweep has not yet marked.
    Expired,
}

/// Where a search page is read from (see [`UserQuery::search_path`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchPath {
    /// Every user in email order (the query's branches, each spanning all
    /// states), testing the search terms and the mfa flag.
    WalkAll,
    /// The query's [`UserQuery::ranges`] in email order, testing the terms.
    WalkRanges,
    /// The search index's rows of the prefix, sorted by email.
    Index,
}

/// What a store measured one step of a walk to cost, in search-index rows.
#[derive(Debug, Clone, Copy)]
pub struct WalkCosts {
    /// A user read walking every user (SQLite reads the covering index).
    pub all_row: f64,
    /// A user read walking one range (SQLite visits the users table).
    pub range_row: f64,
    /// Starting the walk of one range (PostgreSQL: a round trip).
    pub range: f64,
}

/// One conjunction of stored-column conditions. A query's filters become a
/// union of branches: [`UserQuery::branches`] as few as the counters can
/// total, [`UserQuery::ranges`] each of which a store can read in email
/// order from one index range (except `Expiry::Expired`, a small set it
/// sorts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Branch {
    pub state: Option<UserState>,
    pub archived: Option<bool>,
    pub mfa: Option<bool>,
    pub expiry: Expiry,
}

impl Branch {
    /// Whether the branch is every user: read from the email index.
    pub fn is_unfiltered(&self) -> bool {
        self.spans_states() && self.mfa.is_none()
    }

    /// Whether the branch filters at most by `mfa`: every state, archived
    /// or not, so a walk of all users in email order tests it row by row.
    pub fn spans_states(&self) -> bool {
        self.state.is_none() && self.archived.is_none() && self.expiry == Expiry::Any
    }
}

impl UserQuery {
    /// The search and the properties it is limited to, when a search is
    /// limited by `fields=`.
    pub fn field_search(&self) -> Option<(&SearchPrefix, &SearchFields)> {
        self.search.as_ref().zip(self.fields.as_ref())
    }

    /// The branches whose union is the query's state, archived and mfa
    /// filter, each one the stores can total from their counters.
    pub fn branches(&self) -> Vec<Branch> {
        let mfa = self.mfa;
        let Some(state) = self.state else {
            return match self.archived {
                // Every stored state in turn: the stores keep one index in
                // (state, archived, mfa_enrolled, email) order instead of a
                // second one in (archived, email) order that each write
                // would also touch.
                Some(a) => UserState::ALL
                    .into_iter()
                    .map(|s| Branch {
                        state: Some(s),
                        archived: Some(a),
                        mfa,
                        expiry: Expiry::Any,
                    })
                    .collect(),
                None => vec![Branch {
                    state: None,
                    archived: None,
                    mfa,
                    expiry: Expiry::Any,
                }],
            };
        };
        let archived: Vec<bool> = match self.archived {
            Some(a) => vec![a],
            None => vec![false, true],
        };
        let mut out = Vec::new();
        for a in archived {
            let b = |state, expiry| Branch {
                state: Some(state),
                archived: Some(a),
                mfa,
                expiry,
            };
            match state {
                UserState::PendingInvitation => {
                    out.push(b(UserState::PendingInvitation, Expiry::Live))
                }
                UserState::ExpiredInvitation => {
                    out.push(b(UserState::ExpiredInvitation, Expiry::Any));
                    out.push(b(UserState::PendingInvitation, Expiry::Expired));
                }
                s => out.push(b(s, Expiry::Any)),
            }
        }
        out
    }

    /// The cheapest way to a search page of `want` users, estimated in rows
    /// read from what the stores count cheaply: the search's `total` with
    /// every filter, `index_rows` (the search rows of the prefix with the
    /// filters but whatever the mfa filter: what the index path reads),
    /// `walked` (the users a walk of all users reads: everyone, or only the
    /// enrolled ones for `mfa=true`, which have an index of their own) and
    /// `filtered` (users matching the filters, the search aside). A walk
    /// reads users in email order and tests their search terms until `want`
    /// match: all users (only when the query filters at most by `mfa`,
    /// tested row by row) or only the exact [`UserQuery::ranges`].
    pub fn search_path(
        &self,
        total: u64,
        index_rows: u64,
        walked: u64,
        filtered: u64,
        want: usize,
        costs: WalkCosts,
    ) -> SearchPath {
        let per_match = want as f64 / total.max(1) as f64;
        let ranges = costs.range_row * per_match * filtered as f64
            + costs.range * self.ranges().len() as f64;
        let mut best = (SearchPath::Index, index_rows as f64);
        if ranges < best.1 {
            best = (SearchPath::WalkRanges, ranges);
        }
        if self.branches().iter().all(Branch::spans_states) {
            let all = costs.all_row * per_match * walked as f64;
            if all <= best.1 {
                best = (SearchPath::WalkAll, all);
            }
        }
        best.0
    }

    /// The branches a page is read from: [`UserQuery::branches`] with every
    /// filtered branch pinned to one state, one archived flag and one mfa
    /// value, so that each is one range of the stores' index in (state,
    /// archived, mfa_enrolled, email) order. The unfiltered branch stays
    /// whole (the email index), and so do expired invitations not yet
    /// swept (read from the expiry index and sorted).
    pub fn ranges(&self) -> Vec<Branch> {
        let mut out = Vec::new();
        for b in self.branches() {
            if b.is_unfiltered() || b.expiry == Expiry::Expired {
                out.push(b);
                continue;
            }
            let states = b.state.map_or(UserState::ALL.to_vec(), |s| vec![s]);
            let archived = b.archived.map_or(vec![false, true], |a| vec![a]);
            let mfa = b.mfa.map_or(vec![false, true], |m| vec![m]);
            for &s in &states {
                for &a in &archived {
                    for &m in &mfa {
                        out.push(Branch {
                            state: Some(s),
                            archived: Some(a),
                            mfa: Some(m),
                            expiry: b.expiry,
                        });
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod branch_tests {
    use super::*;

    fn q(state: Option<UserState>, archived: Option<bool>, mfa: Option<bool>) -> UserQuery {
        UserQuery {
            search: None,
            state,
            archived,
            mfa,
            limit: 20,
            cursor: Cursor::First,
            now: OffsetDateTime::UNIX_EPOCH,
            scope: None,
            role: None,
            fields: None,
            last_login: Default::default(),
        }
    }

    #[test]
    fn no_filter_is_one_unfiltered_branch_and_one_range() {
        let q = q(None, None, None);
        assert_eq!(q.branches().len(), 1);
        assert_eq!(q.ranges(), q.branches());
        assert!(q.ranges()[0].is_unfiltered());
    }

    #[test]
    fn the_mfa_filter_alone_is_counted_once_and_read_from_every_state_range() {
        let q = q(None, None, Some(true));
        assert_eq!(q.branches().len(), 1);
        let ranges = q.ranges();
        assert_eq!(ranges.len(), UserState::ALL.len() * 2);
        assert!(ranges.iter().all(|b| b.mfa == Some(true)
            && b.state.is_some()
            && b.archived.is_some()
            && b.expiry == Expiry::Any));
    }

    const SQLITE: WalkCosts = WalkCosts {
        all_row: 1.0,
        range_row: 10.0,
        range: 0.0,
    };

    #[test]
    fn a_dense_search_walks_every_user_when_only_mfa_filters() {
        // 9,000 matches among 180,000 users without a factor, 200,000 in all.
        let q = q(None, None, Some(false));
        assert_eq!(
            q.search_path(9_000, 10_000, 200_000, 180_000, 21, SQLITE),
            SearchPath::WalkAll
        );
        // With a state, only the ranges can be walked.
        let active = UserQuery {
            state: Some(UserState::Active),
            ..q.clone()
        };
        assert_eq!(
            active.search_path(9_000, 10_000, 200_000, 120_000, 21, SQLITE),
            SearchPath::WalkRanges
        );
    }

    #[test]
    fn a_rare_filter_walks_its_exact_ranges_and_a_rare_search_reads_the_index() {
        // 1,460 matches without a factor among 10,000 such users of a
        // million: walking everyone would read 14,000 users, the ranges
        // 1,400.
        let q = q(None, None, Some(false));
        assert_eq!(
            q.search_path(1_460, 146_000, 1_000_000, 10_000, 21, SQLITE),
            SearchPath::WalkRanges
        );
        // Enrolled users have an index of their own to walk.
        let enrolled = UserQuery {
            mfa: Some(true),
            ..q.clone()
        };
        assert_eq!(
            enrolled.search_path(1_460, 146_000, 10_000, 10_000, 21, SQLITE),
            SearchPath::WalkAll
        );
        // Eight matches: the index.
        assert_eq!(
            q.search_path(8, 36, 1_000_000, 10_000, 21, SQLITE),
            SearchPath::Index
        );
    }

    #[test]
    fn ranges_split_by_mfa_only_where_the_query_does_not() {
        let active = q(Some(UserState::Active), None, None);
        assert_eq!(active.branches().len(), 2);
        assert_eq!(active.ranges().len(), 4);
        let enrolled = q(Some(UserState::Active), Some(false), Some(false));
        assert_eq!(
            enrolled.ranges(),
            vec![Branch {
                state: Some(UserState::Active),
                archived: Some(false),
                mfa: Some(false),
                expiry: Expiry::Any,
            }]
        );
    }

    #[test]
    fn unswept_expired_invitations_stay_one_range_with_the_mfa_filter() {
        let q = q(Some(UserState::ExpiredInvitation), Some(true), Some(true));
        let ranges = q.ranges();
        assert_eq!(ranges.len(), 2);
        assert!(ranges.contains(&Branch {
            state: Some(UserState::PendingInvitation),
            archived: Some(true),
            mfa: Some(true),
            expiry: Expiry::Expired,
        }));
    }
}
