//! The search index's counting trick against brute force: for any set of
//! terms and any prefix, the weighted rows (and their aggregated heads)
//! count one for a user with a matching term and zero otherwise.
#![no_main]

use libfuzzer_sys::fuzz_target;
use usher_core::search::{SearchPrefix, head_level, head_rows, rows_for_terms};

fuzz_target!(|input: (Vec<String>, String)| {
    let (mut terms, prefix) = input;
    terms.retain(|t| !t.is_empty() && t.chars().count() <= 40);
    terms.truncate(12);
    terms.sort();
    terms.dedup();
    let Ok(p) = SearchPrefix::parse(&prefix, 1) else {
        return;
    };
    let upper = p.upper();
    let in_range = |t: &str| t >= p.lower() && upper.as_deref().is_none_or(|u| t < u);
    let expected = i64::from(terms.iter().any(|t| t.starts_with(p.lower())));
    let rows = rows_for_terms(terms.clone());
    let counted: i64 = rows.iter().filter(|r| in_range(&r.term)).map(|r| i64::from(r.weight)).sum();
    assert_eq!(counted, expected, "terms {terms:?} prefix {:?}", p.lower());
    if let Some(level) = head_level(p.lower().chars().count()) {
        let heads: i64 = head_rows(&rows)
            .iter()
            .filter(|h| h.level == level && in_range(&h.head))
            .map(|h| h.weight)
            .sum();
        assert_eq!(heads, expected, "heads, terms {terms:?} prefix {:?}", p.lower());
    }
});
