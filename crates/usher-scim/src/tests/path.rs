//! PATCH paths (RFC 7644 §3.5.2), the forms Entra ID and Okta send, and
//! their errors.

use super::{cmp, path, s, value_path};
use crate::{AttrPath, CompValue, CompareOp, Filter, ParseErrorKind, PatchPath, ValuePath};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn parse(src: &str) -> PatchPath {
    match PatchPath::parse(src) {
        Ok(p) => p,
        Err(e) => panic!("{src:?} did not parse: {e}"),
    }
}

fn value(attr: &str, filter: Filter, sub_attr: Option<&str>) -> PatchPath {
    let Filter::ValuePath(path) = value_path(attr, filter) else {
        unreachable!("value_path builds a value path")
    };
    PatchPath::Value {
        path,
        sub_attr: sub_attr.map(str::to_owned),
    }
}

#[test]
fn an_attribute_path_is_a_name_with_an_optional_sub_attribute() {
    assert_eq!(parse("title"), PatchPath::Attr(path("title")));
    assert_eq!(parse("members"), PatchPath::Attr(path("members")));
    assert_eq!(
        parse("name.familyName"),
        PatchPath::Attr(path("name").with_sub_attr("familyName"))
    );
    assert_eq!(parse(" active "), PatchPath::Attr(path("active")));
}

#[test]
fn urn_qualified_paths_name_extension_attributes() {
    assert_eq!(
        parse(&format!("{ENTERPRISE}:manager")),
        PatchPath::Attr(AttrPath::new("manager").with_uri(ENTERPRISE))
    );
    assert_eq!(
        parse(&format!("{ENTERPRISE}:manager.value")),
        PatchPath::Attr(
            AttrPath::new("manager")
                .with_uri(ENTERPRISE)
                .with_sub_attr("value")
        )
    );
    assert_eq!(
        parse(&format!("{ENTERPRISE}:employeeNumber")),
        PatchPath::Attr(AttrPath::new("employeeNumber").with_uri(ENTERPRISE))
    );
    assert_eq!(
        parse("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName"),
        PatchPath::Attr(
            AttrPath::new("name")
                .with_uri("urn:ietf:params:scim:schemas:core:2.0:User")
                .with_sub_attr("givenName")
        )
    );
}

#[test]
fn a_path_naming_a_whole_schema_splits_at_its_last_colon() {
    let p = parse(ENTERPRISE);
    assert_eq!(p.attr().full_text(), ENTERPRISE);
    assert_eq!(p.attr().name, "User");
}

#[test]
fn a_value_path_selects_elements_by_filter() {
    let id = "2819c223-7f76-453a-919d-413861904646";
    assert_eq!(
        parse(&format!(r#"members[value eq "{id}"]"#)),
        value("members", cmp("value", CompareOp::Eq, s(id)), None)
    );
    assert_eq!(
        parse(r#"emails[type eq "work" and primary eq true]"#),
        value(
            "emails",
            Filter::And(vec![
                cmp("type", CompareOp::Eq, s("work")),
                cmp("primary", CompareOp::Eq, CompValue::Bool(true)),
            ]),
            None
        )
    );
}

#[test]
fn a_value_path_may_end_in_a_sub_attribute() {
    assert_eq!(
        parse(r#"emails[type eq "work"].value"#),
        value(
            "emails",
            cmp("type", CompareOp::Eq, s("work")),
            Some("value")
        )
    );
    assert_eq!(
        parse(r#"addresses[type eq "work"].streetAddress"#),
        value(
            "addresses",
            cmp("type", CompareOp::Eq, s("work")),
            Some("streetAddress")
        )
    );
    assert_eq!(
        parse(r#"phoneNumbers[type eq "mobile"].value"#),
        value(
            "phoneNumbers",
            cmp("type", CompareOp::Eq, s("mobile")),
            Some("value")
        )
    );
}

#[test]
fn the_paths_entra_id_sends_parse() {
    for src in [
        "displayName",
        "externalId",
        "active",
        "userName",
        "title",
        "preferredLanguage",
        "name.givenName",
        "name.familyName",
        "name.formatted",
        r#"emails[type eq "work"].value"#,
        r#"phoneNumbers[type eq "work"].value"#,
        r#"phoneNumbers[type eq "mobile"].value"#,
        r#"phoneNumbers[type eq "fax"].value"#,
        r#"addresses[type eq "work"].formatted"#,
        r#"addresses[type eq "work"].locality"#,
        r#"addresses[type eq "work"].postalCode"#,
        r#"addresses[type eq "work"].country"#,
        r#"members[value eq "7f76-453a"]"#,
        "members",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    ] {
        let p = parse(src);
        assert_eq!(p.to_string(), src, "prints back as sent");
    }
}

#[test]
fn paths_print_back_and_parse_to_the_same_path() {
    for src in [
        r#"emails[type eq "work" and value co "@x"].display"#,
        r#"members[not (value eq "a") or display pr]"#,
        "urn:acme:2.0:User:badge.$ref",
    ] {
        let p = parse(src);
        assert_eq!(PatchPath::parse(&p.to_string()).as_ref(), Ok(&p));
    }
}

#[test]
fn attr_gives_the_attribute_a_path_starts_at() {
    assert_eq!(
        parse("name.givenName").attr(),
        &path("name").with_sub_attr("givenName")
    );
    assert_eq!(
        parse(r#"emails[type eq "work"].value"#).attr(),
        &path("emails")
    );
}

#[test]
fn from_str_is_parse() {
    let p: PatchPath = "title".parse().expect("parses");
    assert_eq!(p, PatchPath::Attr(path("title")));
    let _: ValuePath = match parse("emails[value pr]") {
        PatchPath::Value { path, .. } => path,
        other => panic!("{other:?}"),
    };
}

/// The error for `src`, which must not parse as a path.
fn assert_error(src: &str, kind: ParseErrorKind, position: usize, message_part: &str) {
    match PatchPath::parse(src) {
        Ok(p) => panic!("{src:?} parsed as {p:?}"),
        Err(e) => {
            assert_eq!(e.kind(), kind, "{src:?}: {e}");
            assert_eq!(e.position(), position, "{src:?}: {e}");
            assert!(e.message().contains(message_part), "{src:?}: {e}");
        }
    }
}

#[test]
fn malformed_paths_are_invalid_path() {
    let bad = ParseErrorKind::InvalidPath;
    assert_error("", bad, 1, "empty path");
    assert_error("  ", bad, 1, "empty path");
    assert_error("1title", bad, 1, "starts with a letter");
    assert_error("name.givenName.x", bad, 15, "at most one sub-attribute");
    assert_error(
        "name given",
        bad,
        6,
        "expected the end of the path, found 'given'",
    );
    assert_error(
        r#""title""#,
        bad,
        1,
        "expected an attribute name, found a string",
    );
    assert_error("(title)", bad, 1, "expected an attribute name, found '('");
    assert_error(
        r#"emails[type eq "work"].value.x"#,
        bad,
        29,
        "'.' cannot appear",
    );
    assert_error(
        r#"emails[type eq "work"][value pr]"#,
        bad,
        23,
        "'[' must follow a multi-valued attribute, once",
    );
    assert_error(
        r#"emails[type eq "work"]value"#,
        bad,
        23,
        "expected the end of the path, found 'value'",
    );
    assert_error(
        r#"emails[type eq "work"].value.display"#,
        bad,
        29,
        "'.' cannot appear",
    );
    assert_error(
        r#"name.givenName[value pr]"#,
        bad,
        15,
        "not the sub-attribute 'name.givenName'",
    );
    assert_error(
        r#"emails[type eq "work"]]"#,
        bad,
        23,
        "expected the end of the path, found ']'",
    );
    assert_error(
        &"a".repeat(5000),
        bad,
        4097,
        "path is longer than 4096 bytes",
    );
    let e = PatchPath::parse("").expect_err("empty");
    assert_eq!(e.scim_type(), "invalidPath");
}

#[test]
fn a_malformed_value_filter_in_a_path_is_invalid_filter() {
    let bad = ParseErrorKind::InvalidFilter;
    assert_error(r#"members[value eq "x""#, bad, 21, "missing ']'");
    assert_error(
        r#"members[value eqq "x"]"#,
        bad,
        15,
        "unknown operator 'eqq'",
    );
    assert_error(r#"members[value eq "x]"#, bad, 18, "unterminated string");
    assert_error("members[]", bad, 9, "expected an attribute name");
    assert_error(
        r#"members[value[x pr]]"#,
        bad,
        14,
        "cannot contain another value filter",
    );
    let e = PatchPath::parse("members[value eq]").expect_err("no value");
    assert_eq!(e.scim_type(), "invalidFilter");
}
