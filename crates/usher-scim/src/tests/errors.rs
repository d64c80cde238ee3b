//! Malformed filters: each is refused as `invalidFilter`, with the position
//! of the problem and what was expected.

use crate::{Filter, MAX_DEPTH, MAX_INPUT_BYTES, ParseError, ParseErrorKind};

/// The error for `src`, which must not parse.
fn error(src: &str) -> ParseError {
    match Filter::parse(src) {
        Ok(f) => panic!("{src:?} parsed as {f:?}"),
        Err(e) => {
            assert_eq!(e.kind(), ParseErrorKind::InvalidFilter, "{src:?}: {e}");
            assert_eq!(e.scim_type(), "invalidFilter");
            e
        }
    }
}

/// Asserts the error's 1-based character position and a part of its message.
fn assert_error(src: &str, position: usize, message_part: &str) {
    let e = error(src);
    assert!(
        e.message().contains(message_part),
        "{src:?}: message {:?} lacks {message_part:?}",
        e.message()
    );
    assert_eq!(e.position(), position, "{src:?}: {e}");
    assert_eq!(
        e.to_string(),
        format!("{} at character {position}", e.message())
    );
}

#[test]
fn an_unterminated_string_points_at_its_opening_quote() {
    assert_error(r#"userName eq "abc"#, 13, "unterminated string");
    assert_error(r#"userName eq "abc\"#, 13, "unterminated string");
    assert_error(r#"emails[value eq "abc]"#, 17, "unterminated string");
}

#[test]
fn a_missing_operator_is_named() {
    assert_error(
        r#"userName "x""#,
        10,
        "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after 'userName', found a string",
    );
    assert_error("userName", 9, "found the end of the filter");
    assert_error("(userName)", 10, "expected an operator");
}

#[test]
fn an_unknown_operator_is_named() {
    assert_error(
        r#"userName eqq "x""#,
        10,
        "unknown operator 'eqq'; expected one of eq, ne",
    );
    assert_error(r#"userName == "x""#, 10, "unknown operator '=='");
    assert_error(r#"userName like "x""#, 10, "unknown operator 'like'");
}

#[test]
fn pr_takes_no_value() {
    assert_error(r#"title pr "x""#, 10, "the 'pr' operator takes no value");
    assert_error("title pr true", 10, "the 'pr' operator takes no value");
}

#[test]
fn a_comparison_needs_a_json_value() {
    assert_error("userName eq", 12, "expected a value after 'eq'");
    assert_error(
        "userName eq john",
        13,
        "expected a value after 'eq' (a quoted string, a number, true, false or null), found 'john'",
    );
    assert_error("userName eq 'john'", 13, "found ''john''");
    assert_error("a eq (1)", 6, "found '('");
    for bad in [
        "01", "1.", ".5", "+1", "1e", "-", "1e+", "0x10", "1_000", "NaN", "Infinity", "1e400",
        "tru",
    ] {
        assert_error(&format!("a eq {bad}"), 6, "expected a value");
    }
}

#[test]
fn brackets_must_balance_and_hold_a_filter() {
    assert_error(
        r#"emails[type eq "work""#,
        22,
        "missing ']' to close the '[' at character 7",
    );
    assert_error(r#"emails[type eq "work"]]"#, 23, "unmatched ']'");
    assert_error(
        "emails[]",
        8,
        "expected an attribute name, '(' or 'not (', found ']'",
    );
    assert_error(
        r#"emails[type eq "work")"#,
        22,
        "expected 'and', 'or' or ']', found ')'",
    );
    assert_error(r#"emails]"#, 7, "expected an operator");
    assert_error(r#"[type eq "work"]"#, 1, "expected an attribute name");
}

#[test]
fn value_filters_do_not_nest() {
    assert_error(
        r#"emails[type[value pr]]"#,
        12,
        "a value filter cannot contain another value filter",
    );
}

#[test]
fn a_value_filter_follows_a_multi_valued_attribute_not_a_sub_attribute() {
    assert_error(
        r#"name.x[value pr]"#,
        7,
        "'[' must follow a multi-valued attribute, not the sub-attribute 'name.x'",
    );
}

#[test]
fn sub_attributes_inside_a_value_filter_take_no_urn() {
    assert_error(
        r#"emails[urn:ietf:params:scim:schemas:core:2.0:User:type eq "work"]"#,
        8,
        "take no schema URN",
    );
}

#[test]
fn parentheses_must_balance() {
    assert_error(
        "(title pr",
        10,
        "missing ')' to close the '(' at character 1",
    );
    assert_error("title pr)", 9, "unmatched ')'");
    assert_error(
        "()",
        2,
        "expected an attribute name, '(' or 'not (', found ')'",
    );
    assert_error("(a pr b pr)", 7, "the 'pr' operator takes no value");
    assert_error(
        "(a eq 1 b eq 2)",
        9,
        "expected 'and', 'or' or ')', found 'b'",
    );
}

#[test]
fn not_needs_parentheses() {
    assert_error("not title pr", 5, "expected '(' after 'not', found 'title'");
    assert_error(
        "not",
        4,
        "expected '(' after 'not', found the end of the filter",
    );
    assert_error(r#"not "x""#, 5, "expected '(' after 'not', found a string");
}

#[test]
fn trailing_garbage_is_refused() {
    assert_error(
        r#"userName eq "x" garbage"#,
        17,
        "expected 'and', 'or' or the end of the filter, found 'garbage'",
    );
    assert_error(r#"userName eq "x" "y""#, 17, "found a string");
    assert_error(r#"userName eq "x"("#, 16, "found '('");
}

#[test]
fn a_dangling_logical_operator_is_refused() {
    assert_error(
        "title pr and",
        13,
        "expected an attribute name, '(' or 'not (', found the end of the filter",
    );
    assert_error("title pr or ()", 14, "found ')'");
}

#[test]
fn empty_and_blank_filters_are_refused() {
    assert_error("", 1, "empty filter");
    assert_error("   \t ", 1, "empty filter");
}

#[test]
fn attribute_names_follow_the_abnf() {
    assert_error(
        "1abc pr",
        1,
        "an attribute name starts with a letter, found '1'",
    );
    assert_error("user@name pr", 5, "'@' cannot appear in an attribute name");
    assert_error("name..x pr", 6, "expected an attribute name");
    assert_error("name. pr", 6, "expected an attribute name");
    assert_error("a.b.c pr", 4, "at most one sub-attribute");
    assert_error("ref$ pr", 4, "'$' cannot appear");
    assert_error("urn:x:1a pr", 7, "starts with a letter");
    assert_error("urn:x: pr", 7, "expected an attribute name after");
    assert_error(":name pr", 1, "a schema URI starts with a letter");
    assert_error("urn:a^b:name pr", 6, "'^' cannot appear in a schema URI");
    assert_error(
        r#"emails[type eq "work"].1x eq "a""#,
        24,
        "starts with a letter",
    );
}

#[test]
fn a_sub_attribute_after_a_value_filter_needs_a_condition() {
    assert_error(
        r#"emails[type eq "work"].value"#,
        29,
        "expected an operator",
    );
    assert_error(
        r#"emails[type eq "work"].value[x pr]"#,
        29,
        "expected an operator",
    );
}

#[test]
fn bad_escapes_and_raw_control_characters_are_refused() {
    assert_error(r#"a eq "\x""#, 8, "unknown escape");
    assert_error(r#"a eq "\u12""#, 7, "four hex digits");
    assert_error(r#"a eq "\ud83d""#, 7, "low surrogate");
    assert_error(r#"a eq "\ud83dx""#, 7, "low surrogate");
    assert_error(r#"a eq "\ude00""#, 7, "lone low surrogate");
    assert_error("a eq \"tab\there\"", 10, "control character");
}

#[test]
fn positions_count_characters_not_bytes() {
    assert_error("displayName eq \"Zoë\" garbage", 22, "found 'garbage'");
    assert_error("😀 pr", 1, "starts with a letter, found '😀'");
}

#[test]
fn a_filter_longer_than_the_limit_is_refused_before_parsing() {
    let src = format!("title eq \"{}\"", "x".repeat(MAX_INPUT_BYTES));
    assert_error(&src, MAX_INPUT_BYTES + 1, "longer than 4096 bytes");
    let fits = format!("title eq \"{}\"", "x".repeat(MAX_INPUT_BYTES - 12));
    assert!(Filter::parse(&fits).is_ok());
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let depth = MAX_DEPTH + 1;
    let src = format!("{}title pr{}", "(".repeat(depth), ")".repeat(depth));
    assert_error(&src, MAX_DEPTH + 1, "nests deeper than 32 levels");
    let src = format!("{}title pr{}", "not (".repeat(depth), ")".repeat(depth));
    assert_error(&src, 5 * MAX_DEPTH + 5, "nests deeper");
    let src = format!(
        "{}emails[type pr]{}",
        "(".repeat(MAX_DEPTH),
        ")".repeat(MAX_DEPTH)
    );
    assert_error(&src, MAX_DEPTH + 7, "nests deeper");
}

#[test]
fn hostile_input_at_the_length_limit_fails_fast_without_overflowing() {
    let opens = "(".repeat(MAX_INPUT_BYTES);
    assert_error(&opens, MAX_DEPTH + 1, "nests deeper");
    let nots = "not (".repeat(MAX_INPUT_BYTES / 5);
    assert_error(&nots, 5 * MAX_DEPTH + 5, "nests deeper");
    let chain = "a pr and ".repeat(MAX_INPUT_BYTES / 9 - 1) + "a pr";
    assert!(Filter::parse(&chain).is_ok());
}
