//! Property tests: no input panics the parsers or the evaluator, errors
//! point inside the input, and printing a parsed filter or path parses back
//! to the same tree. (The `scim_filter` fuzz target checks the same on
//! arbitrary bytes.)

use crate::{AttrPath, CompValue, CompareOp, Filter, PatchPath, ValuePath, matches};
use proptest::prelude::*;
use serde_json::json;

fn resource() -> serde_json::Value {
    json!({
        "userName": "bjensen", "title": "", "active": true, "n": 3,
        "name": { "givenName": "Barbara" },
        "emails": [{ "type": "work", "value": "a@x" }, { "type": "home" }],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "manager": { "value": "m" } }
    })
}

/// Parsing `src` as a filter and as a path never panics; what parses prints
/// back to text that parses to the same tree, and errors point inside the
/// input (or just past its end).
fn check(src: &str) -> Result<(), TestCaseError> {
    let end = src.chars().count() + 1;
    match Filter::parse(src) {
        Ok(f) => {
            let _ = matches(&f, &resource(), &|p: &AttrPath| {
                p.name.len().is_multiple_of(2)
            });
            let printed = f.to_string();
            prop_assert_eq!(Filter::parse(&printed), Ok(f), "printed as {}", printed);
        }
        Err(e) => prop_assert!(
            (1..=end).contains(&e.position()),
            "{} outside 1..={}",
            e,
            end
        ),
    }
    match PatchPath::parse(src) {
        Ok(p) => {
            let printed = p.to_string();
            prop_assert_eq!(PatchPath::parse(&printed), Ok(p), "printed as {}", printed);
        }
        Err(e) => prop_assert!(
            (1..=end).contains(&e.position()),
            "{} outside 1..={}",
            e,
            end
        ),
    }
    Ok(())
}

/// Pieces of filter text, so that random joins often get deep into the
/// grammar.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "(",
            ")",
            "[",
            "]",
            "not",
            "not (",
            "and",
            "or",
            "pr",
            "eq",
            "NE",
            "co",
            "sw",
            "ew",
            "gt",
            "ge",
            "lt",
            "le",
            "true",
            "False",
            "null",
            "userName",
            "emails",
            "name.familyName",
            ".value",
            "value",
            "type",
            "urn:ietf:params:scim:schemas:core:2.0:User:userName",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "\"work\"",
            "\"a\\\"b\"",
            "\"\\u00e9\"",
            "\"",
            "\\",
            "1",
            "-2.5e3",
            "01",
            " ",
            "\t",
            "$ref",
            ":",
            ".",
        ])
        .prop_map(str::to_owned),
        "[ -~]{1,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn printable_strings_never_panic_and_round_trip(src in "[ -~]{0,120}") {
        check(&src)?;
    }

    #[test]
    fn any_unicode_never_panics(src in "\\PC{0,60}") {
        check(&src)?;
    }

    #[test]
    fn grammar_fragments_never_panic_and_round_trip(parts in prop::collection::vec((fragment(), any::<bool>()), 0..24)) {
        let src: String = parts
            .iter()
            .map(|(part, spaced)| if *spaced { format!("{part} ") } else { part.clone() })
            .collect();
        check(&src)?;
    }
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        1 => prop::sample::select(vec!["not", "and", "or", "pr", "eq", "true", "null", "$ref", "NOT"]).prop_map(str::to_owned),
    ]
}

fn uri() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z][a-zA-Z0-9+.-]{0,5}(:[a-zA-Z0-9._~%-]{0,6}){0,4}",
    ]
}

fn attr_path(with_uri: bool) -> impl Strategy<Value = AttrPath> {
    let uri = if with_uri {
        prop::option::of(uri()).boxed()
    } else {
        Just(None).boxed()
    };
    (uri, name(), prop::option::of(name())).prop_map(|(uri, name, sub_attr)| AttrPath {
        uri,
        name,
        sub_attr,
    })
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        any::<u64>().prop_map(|n| CompValue::Number(n.into())),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(CompValue::Number)),
        prop::collection::vec(any::<char>(), 0..12)
            .prop_map(|c| CompValue::String(c.into_iter().collect())),
    ]
}

fn condition(with_uri: bool) -> impl Strategy<Value = Filter> {
    prop_oneof![
        attr_path(with_uri).prop_map(Filter::Present),
        (
            attr_path(with_uri),
            prop::sample::select(CompareOp::ALL.to_vec()),
            comp_value()
        )
            .prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
    ]
}

/// Filters built from the combinators, the way a parse would build them:
/// chains of two or more, no nested value paths.
fn combine(leaf: BoxedStrategy<Filter>, depth: u32) -> BoxedStrategy<Filter> {
    leaf.prop_recursive(depth, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|f| Filter::Not(Box::new(f))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            prop::collection::vec(inner, 2..4).prop_map(Filter::Or),
        ]
    })
    .boxed()
}

fn value_path() -> impl Strategy<Value = ValuePath> {
    let attr = (prop::option::of(uri()), name()).prop_map(|(uri, name)| AttrPath {
        uri,
        name,
        sub_attr: None,
    });
    (attr, combine(condition(false).boxed(), 2)).prop_map(|(attr, filter)| ValuePath {
        attr,
        filter: Box::new(filter),
    })
}

fn filter_tree() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![3 => condition(true), 1 => value_path().prop_map(Filter::ValuePath)];
    combine(leaf.boxed(), 4)
}

fn patch_path() -> impl Strategy<Value = PatchPath> {
    prop_oneof![
        attr_path(true).prop_map(PatchPath::Attr),
        (value_path(), prop::option::of(name()))
            .prop_map(|(path, sub_attr)| PatchPath::Value { path, sub_attr }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn printed_filters_parse_to_the_same_tree(f in filter_tree()) {
        let printed = f.to_string();
        prop_assert_eq!(Filter::parse(&printed), Ok(f), "printed as {}", printed);
    }

    #[test]
    fn printed_paths_parse_to_the_same_path(p in patch_path()) {
        let printed = p.to_string();
        prop_assert_eq!(PatchPath::parse(&printed), Ok(p), "printed as {}", printed);
    }

    #[test]
    fn edited_valid_filters_never_panic_and_round_trip(
        f in filter_tree(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..3u8, fragment()), 1..4),
    ) {
        check(&edit(&f.to_string(), &edits))?;
    }

    #[test]
    fn edited_valid_paths_never_panic_and_round_trip(
        p in patch_path(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..3u8, fragment()), 1..4),
    ) {
        check(&edit(&p.to_string(), &edits))?;
    }

    #[test]
    fn evaluation_never_panics(f in filter_tree()) {
        let _ = matches(&f, &resource(), &|p: &AttrPath| p.sub_attr.is_some());
    }
}

/// `text` with each edit applied at a character boundary: 0 inserts the
/// fragment, 1 deletes a character, 2 replaces a character by the fragment.
fn edit(text: &str, edits: &[(prop::sample::Index, u8, String)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for (at, kind, fragment) in edits {
        let at = at.index(chars.len() + 1);
        if *kind > 0 && at < chars.len() {
            chars.remove(at);
        }
        if *kind != 1 {
            for (i, c) in fragment.chars().enumerate() {
                chars.insert(at + i, c);
            }
        }
    }
    chars.into_iter().collect()
}
