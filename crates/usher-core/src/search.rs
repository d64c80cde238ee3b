//! Prefix search over users. Each user has a small set of search terms
//! (case-folded email, names, username, phone, custom attribute values); a
//! search for `p` finds users with any term starting with `p`.
//!
//! Stores keep the terms in an index table so that a search is a range scan
//! `p <= term < upper(p)`. To count *distinct* users from that range without
//! sorting, each user also gets one negative row per pair of neighbouring
//! terms holding their longest common prefix: the terms of one user that
//! start with `p` are contiguous in sorted order, and exactly the pairs
//! inside that run have a common prefix starting with `p`. So the sum of
//! weights over the range is 1 for every matching user and 0 for others.

use crate::error::{Error, ErrorCode};
use crate::user::User;
use crate::user::fields::fold_case;

/// Terms are cut to this many characters; searches are no longer than it.
pub const MAX_TERM_CHARS: usize = 100;

/// Separator of terms in a user's search blob (a control character that
/// validated fields cannot contain).
pub const BLOB_SEPARATOR: char = '\u{1f}';

/// One row of a user's search index: a term (+1) or a common prefix (−1).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SearchRow {
    pub term: String,
    pub weight: i8,
}

fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The distinct, sorted terms of a user.
pub fn user_terms(user: &User) -> Vec<String> {
    let mut raw: Vec<String> = vec![user.email.normalized().to_owned()];
    let first = user.first_name.as_ref().map(|n| n.as_str());
    let last = user.last_name.as_ref().map(|n| n.as_str());
    raw.extend(first.map(fold_case));
    raw.extend(last.map(fold_case));
    if let (Some(f), Some(l)) = (first, last) {
        raw.push(fold_case(&format!("{f} {l}")));
    }
    if let Some(u) = &user.username {
        raw.push(u.normalized());
    }
    if let Some(p) = &user.phone {
        raw.push(p.as_str().to_owned());
        raw.push(p.as_str().trim_start_matches('+').to_owned());
    }
    raw.extend(user.attributes.values().map(|v| fold_case(v)));
    let mut terms: Vec<String> = raw
        .iter()
        .map(|t| truncate_chars(t.trim(), MAX_TERM_CHARS).to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    terms.sort();
    terms.dedup();
    terms
}

/// The rows a store indexes for `user`: its terms and the common prefixes of
/// neighbouring terms (see the module comment).
pub fn user_search_rows(user: &User) -> Vec<SearchRow> {
    rows_for_terms(user_terms(user))
}

/// The terms a search blob holds (what [`search_blob`] joined).
pub fn terms_from_blob(blob: &str) -> Vec<String> {
    blob.split(BLOB_SEPARATOR)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The index rows of a sorted, distinct list of terms.
pub fn rows_for_terms(terms: Vec<String>) -> Vec<SearchRow> {
    let mut rows: Vec<SearchRow> = terms
        .windows(2)
        .filter_map(|w| {
            let lcp = common_prefix(&w[0], &w[1]);
            (!lcp.is_empty()).then(|| SearchRow {
                term: lcp.to_owned(),
                weight: -1,
            })
        })
        .collect();
    rows.extend(terms.into_iter().map(|term| SearchRow { term, weight: 1 }));
    // One row per distinct string, weights summed; a zero sum changes no
    // count, and a matching user always keeps a positive row in the range.
    rows.sort();
    let mut merged: Vec<SearchRow> = Vec::with_capacity(rows.len());
    for row in rows {
        match merged.last_mut() {
            Some(last) if last.term == row.term => last.weight += row.weight,
            _ => merged.push(row),
        }
    }
    merged.retain(|r| r.weight != 0);
    merged
}

/// The prefix lengths at which stores keep aggregated weights (see
/// [`head_rows`]).
pub const HEAD_LEVELS: [usize; 3] = [2, 4, 8];

/// The aggregate of a user's index rows at one level: the sum of the
/// weights of the rows whose term, cut to `level` characters, is `head`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HeadRow {
    pub level: u8,
    pub head: String,
    pub weight: i64,
}

/// Counting a prefix from the index rows costs one row per match. Cutting
/// every term to a few characters and summing the weights of equal cuts
/// keeps the answer (for a prefix no longer than the cut, a row matches
/// exactly when its cut does) while most users share their cuts, so a
/// store that keeps these sums per tenant counts any prefix of up to eight
/// characters by reading a few hundred rows, whatever the number of matches.
pub fn head_rows(rows: &[SearchRow]) -> Vec<HeadRow> {
    let mut out: Vec<HeadRow> = Vec::new();
    for level in HEAD_LEVELS {
        let mut cuts: Vec<(&str, i64)> = rows
            .iter()
            .map(|r| (truncate_chars(&r.term, level), i64::from(r.weight)))
            .collect();
        cuts.sort();
        for (head, weight) in cuts {
            match out.last_mut() {
                Some(last) if last.level as usize == level && last.head == head => {
                    last.weight += weight
                }
                _ => out.push(HeadRow {
                    level: level as u8,
                    head: head.to_owned(),
                    weight,
                }),
            }
        }
    }
    out.retain(|h| h.weight != 0);
    out
}

/// The aggregation level that answers a prefix of `chars` characters: the
/// smallest level at least as long. `None` beyond the last level.
pub fn head_level(chars: usize) -> Option<u8> {
    HEAD_LEVELS
        .into_iter()
        .find(|l| *l >= chars)
        .map(|l| l as u8)
}

/// The terms joined, each preceded by [`BLOB_SEPARATOR`], so that
/// `instr(blob, SEP || p) > 0` tests a user against a prefix.
pub fn search_blob(user: &User) -> String {
    blob_of(&user_terms(user))
}

fn blob_of(terms: &[String]) -> String {
    let mut blob = String::with_capacity(terms.iter().map(|t| t.len() + 1).sum());
    for t in terms {
        blob.push(BLOB_SEPARATOR);
        blob.push_str(t);
    }
    blob
}

/// Everything a store indexes for a new user, worked out once: the blob on
/// its row, its index rows and their heads. This is most of the CPU a
/// user's insert costs, so a batch (an import) has it made while the store
/// is still writing the batch before, not on the store's one writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserIndex {
    pub blob: String,
    pub rows: Vec<SearchRow>,
    pub heads: Vec<HeadRow>,
}

impl UserIndex {
    pub fn of(user: &User) -> Self {
        let terms = user_terms(user);
        let blob = blob_of(&terms);
        let rows = rows_for_terms(terms);
        let heads = head_rows(&rows);
        Self { blob, rows, heads }
    }
}

fn common_prefix<'a>(a: &'a str, b: &str) -> &'a str {
    let mut end = 0;
    for ((i, ca), cb) in a.char_indices().zip(b.chars()) {
        if ca != cb {
            break;
        }
        end = i + ca.len_utf8();
    }
    &a[..end]
}

/// A validated, case-folded search prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPrefix {
    folded: String,
    /// As given, trimmed: what properties compared exactly (the external
    /// id, the id) are compared with.
    raw: String,
}

impl SearchPrefix {
    /// Parses the `search` parameter; `min_chars` is the tenant's minimum.
    pub fn parse(input: &str, min_chars: usize) -> Result<Self, Error> {
        let folded = fold_case(input.trim());
        let n = folded.chars().count();
        if n < min_chars {
            return Err(Error::bad_request(
                ErrorCode::SearchTooShort,
                format!("search needs at least {min_chars} characters"),
            ));
        }
        if n > MAX_TERM_CHARS {
            return Err(Error::bad_request(
                ErrorCode::SearchTooLong,
                format!("search may have at most {MAX_TERM_CHARS} characters"),
            ));
        }
        if folded.chars().any(char::is_control) {
            return Err(Error::bad_request(
                ErrorCode::InvalidSearch,
                "search must not contain control characters",
            ));
        }
        Ok(Self {
            folded,
            raw: input.trim().to_owned(),
        })
    }

    /// The search as given, trimmed.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The inclusive lower bound of the term range.
    pub fn lower(&self) -> &str {
        &self.folded
    }

    /// The exclusive upper bound: the prefix with its last character
    /// incremented (UTF-8 byte order is code point order). `None` when no
    /// string bounds it (a prefix of U+10FFFF only).
    pub fn upper(&self) -> Option<String> {
        prefix_upper(&self.folded)
    }

    /// What to look for in a search blob.
    pub fn needle(&self) -> String {
        format!("{BLOB_SEPARATOR}{}", self.folded)
    }
}

/// The least string above every string that starts with `prefix`: the
/// prefix with its last character incremented (UTF-8 byte order is code
/// point order). `None` when no string bounds it (a prefix of U+10FFFF
/// only, or the empty prefix).
pub fn prefix_upper(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(c) = next {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::fields::{PersonName, Phone, Username};

    fn user(first: &str, last: &str, email: &str) -> User {
        let mut u = crate::user::tests::sample_user();
        u.first_name = Some(PersonName::parse("f", first, 50).unwrap());
        u.last_name = Some(PersonName::parse("l", last, 100).unwrap());
        u.email = crate::user::fields::Email::parse("e", email).unwrap();
        u
    }

    fn distinct_count(users: &[User], p: &SearchPrefix) -> i64 {
        let upper = p.upper();
        users
            .iter()
            .flat_map(user_search_rows)
            .filter(|r| r.term.as_str() >= p.lower() && upper.as_ref().is_none_or(|u| r.term < *u))
            .map(|r| i64::from(r.weight))
            .sum()
    }

    #[test]
    fn the_weighted_range_counts_each_matching_user_once() {
        let mut u = user("Mark", "Markus", "mark.markus@example.com");
        u.username = Some(Username::parse("u", "markm").unwrap());
        let others = vec![
            u,
            user("Maria", "Smith", "ms@example.com"),
            user("Bob", "Marley", "bob@example.com"),
        ];
        for (q, expected) in [
            ("ma", 3),
            ("mar", 3),
            ("mark", 1),
            ("marku", 1),
            ("smi", 1),
            ("b", 1),
            ("x", 0),
            ("bob@", 1),
            ("maria s", 1),
        ] {
            let p = SearchPrefix::parse(q, 1).unwrap();
            assert_eq!(distinct_count(&others, &p), expected, "prefix {q}");
            let by_blob = others
                .iter()
                .filter(|u| search_blob(u).contains(&p.needle()))
                .count() as i64;
            assert_eq!(by_blob, expected, "blob prefix {q}");
        }
    }

    fn head_count(users: &[User], p: &SearchPrefix) -> i64 {
        let level = head_level(p.lower().chars().count()).unwrap();
        let upper = p.upper();
        users
            .iter()
            .flat_map(|u| head_rows(&user_search_rows(u)))
            .filter(|h| h.level == level)
            .filter(|h| h.head.as_str() >= p.lower() && upper.as_ref().is_none_or(|u| h.head < *u))
            .map(|h| h.weight)
            .sum()
    }

    #[test]
    fn aggregated_heads_count_the_same_as_the_rows_for_short_prefixes() {
        let mut a = user("Mark", "Markus", "mark.markus@example.com");
        a.phone = Some(Phone::parse("p", "+4915112345678").unwrap());
        let mut b = user("Maria", "Marx", "maria.marx@example.com");
        b.phone = Some(Phone::parse("p", "+4915198765432").unwrap());
        let c = user("Bob", "Ma", "b@ma.example");
        let users = vec![a, b, c];
        for q in [
            "m", "ma", "mar", "mark", "marku", "+4", "+4915", "+49151", "+491511", "491", "b@",
            "ma m",
        ] {
            let p = SearchPrefix::parse(q, 1).unwrap();
            assert_eq!(
                head_count(&users, &p),
                distinct_count(&users, &p),
                "prefix {q}"
            );
        }
        assert_eq!(head_level(2), Some(2));
        assert_eq!(head_level(3), Some(4));
        assert_eq!(head_level(8), Some(8));
        assert_eq!(head_level(9), None);
    }

    #[test]
    fn every_prefix_of_every_term_counts_once_per_user() {
        let u = user("Anna", "Annabel", "anna.annabel@ann.example");
        let mut u = u;
        u.phone = Some(Phone::parse("p", "+4917012345678").unwrap());
        for t in user_terms(&u) {
            for end in t.char_indices().map(|(i, c)| i + c.len_utf8()) {
                let p = SearchPrefix::parse(&t[..end], 1).unwrap();
                assert_eq!(
                    distinct_count(std::slice::from_ref(&u), &p),
                    1,
                    "prefix {:?}",
                    &t[..end]
                );
            }
        }
    }

    #[test]
    fn search_is_case_insensitive_and_finds_phone_with_or_without_plus() {
        let mut u = user("Élodie", "Ünal", "E@x.fr");
        u.phone = Some(Phone::parse("p", "+33612345678").unwrap());
        let terms = user_terms(&u);
        assert!(terms.contains(&"élodie".to_owned()));
        assert!(terms.contains(&"ünal".to_owned()));
        assert!(terms.contains(&"+33612345678".to_owned()));
        assert!(terms.contains(&"33612345678".to_owned()));
        assert_eq!(SearchPrefix::parse("ÉLO", 2).unwrap().lower(), "élo");
    }

    #[test]
    fn upper_bound_increments_the_last_character() {
        assert_eq!(
            SearchPrefix::parse("ab", 2).unwrap().upper().as_deref(),
            Some("ac")
        );
        assert_eq!(
            SearchPrefix::parse("a\u{10FFFF}", 2)
                .unwrap()
                .upper()
                .as_deref(),
            Some("b")
        );
        assert_eq!(
            SearchPrefix::parse("a\u{D7FF}", 2)
                .unwrap()
                .upper()
                .as_deref(),
            Some("a\u{E000}")
        );
    }

    #[test]
    fn short_long_and_control_searches_are_refused() {
        assert_eq!(
            SearchPrefix::parse(" a ", 2).unwrap_err().code(),
            "search_too_short"
        );
        assert_eq!(
            SearchPrefix::parse(&"a".repeat(101), 2).unwrap_err().code(),
            "search_too_long"
        );
        assert_eq!(
            SearchPrefix::parse("a\u{1b}b", 2).unwrap_err().code(),
            "invalid_search"
        );
    }

    #[test]
    fn a_user_index_holds_what_the_separate_functions_make() {
        let mut u = user("Ada", "Adams", "ada.adams@example.com");
        u.phone = Some(Phone::parse("p", "+4915112345").unwrap());
        let index = UserIndex::of(&u);
        assert_eq!(index.blob, search_blob(&u));
        assert_eq!(index.rows, rows_for_terms(terms_from_blob(&index.blob)));
        assert_eq!(index.heads, head_rows(&user_search_rows(&u)));
        // "ada" is a prefix of "ada adams" and "ada.adams@…": one −1 row,
        // so the index is more than the terms.
        assert!(index.rows.iter().any(|r| r.weight < 0));
    }
}
