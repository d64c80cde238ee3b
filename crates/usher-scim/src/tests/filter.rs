//! Filters that parse, and the trees they parse to.

use super::{cmp, n, parse, path, pr, s, value_path};
use crate::{AttrPath, CompValue, CompareOp, Filter, MAX_DEPTH};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[test]
fn every_comparison_operator_parses_in_any_case() {
    for op in CompareOp::ALL {
        let lower = op.as_str();
        let upper = lower.to_uppercase();
        let mixed = format!("{}{}", &upper[..1], &lower[1..]);
        for spelling in [lower.to_owned(), upper, mixed] {
            assert_eq!(
                parse(&format!("title {spelling} \"x\"")),
                cmp("title", op, s("x")),
                "{spelling}"
            );
        }
    }
}

#[test]
fn pr_is_the_presence_operator_in_any_case() {
    assert_eq!(parse("title pr"), pr("title"));
    assert_eq!(parse("title PR"), pr("title"));
    assert_eq!(parse("title Pr"), pr("title"));
}

#[test]
fn and_binds_tighter_than_or() {
    let expected = Filter::Or(vec![
        cmp("a", CompareOp::Eq, n(1)),
        Filter::And(vec![
            cmp("b", CompareOp::Eq, n(2)),
            cmp("c", CompareOp::Eq, n(3)),
        ]),
    ]);
    assert_eq!(parse("a eq 1 or b eq 2 and c eq 3"), expected);
    let expected = Filter::Or(vec![
        Filter::And(vec![
            cmp("a", CompareOp::Eq, n(1)),
            cmp("b", CompareOp::Eq, n(2)),
        ]),
        cmp("c", CompareOp::Eq, n(3)),
    ]);
    assert_eq!(parse("a eq 1 and b eq 2 or c eq 3"), expected);
}

#[test]
fn a_chain_of_one_operator_is_one_node() {
    assert_eq!(
        parse("a pr and b pr and c pr"),
        Filter::And(vec![pr("a"), pr("b"), pr("c")])
    );
    assert_eq!(
        parse("a pr or b pr or c pr"),
        Filter::Or(vec![pr("a"), pr("b"), pr("c")])
    );
}

#[test]
fn parentheses_override_precedence() {
    let expected = Filter::And(vec![
        Filter::Or(vec![
            cmp("a", CompareOp::Eq, n(1)),
            cmp("b", CompareOp::Eq, n(2)),
        ]),
        cmp("c", CompareOp::Eq, n(3)),
    ]);
    assert_eq!(parse("(a eq 1 or b eq 2) and c eq 3"), expected);
}

#[test]
fn a_parenthesised_chain_stays_a_nested_node() {
    assert_eq!(
        parse("(a pr and b pr) and c pr"),
        Filter::And(vec![Filter::And(vec![pr("a"), pr("b")]), pr("c")])
    );
}

#[test]
fn redundant_parentheses_leave_no_trace() {
    assert_eq!(parse("((((title pr))))"), pr("title"));
    assert_eq!(
        parse("a pr or (b pr and c pr)"),
        parse("a pr or b pr and c pr")
    );
}

#[test]
fn not_applies_to_a_group_and_binds_tighter_than_and() {
    assert_eq!(parse("not (title pr)"), Filter::Not(Box::new(pr("title"))));
    assert_eq!(parse("NOT(title pr)"), Filter::Not(Box::new(pr("title"))));
    assert_eq!(
        parse("not (a pr) and b pr"),
        Filter::And(vec![Filter::Not(Box::new(pr("a"))), pr("b")])
    );
    assert_eq!(
        parse("a pr and not (b pr or c pr)"),
        Filter::And(vec![
            pr("a"),
            Filter::Not(Box::new(Filter::Or(vec![pr("b"), pr("c")])))
        ])
    );
    assert_eq!(
        parse("not (not (a pr))"),
        Filter::Not(Box::new(Filter::Not(Box::new(pr("a")))))
    );
}

#[test]
fn an_attribute_may_be_called_not_and_or_or_pr() {
    assert_eq!(parse("not pr"), pr("not"));
    assert_eq!(parse("not eq 1"), cmp("not", CompareOp::Eq, n(1)));
    assert_eq!(
        parse("and pr and or pr"),
        Filter::And(vec![pr("and"), pr("or")])
    );
    assert_eq!(parse("pr pr"), pr("pr"));
    assert_eq!(parse("not[value pr]"), value_path("not", pr("value")));
}

#[test]
fn nesting_up_to_the_limit_parses() {
    let depth = MAX_DEPTH;
    let src = format!("{}title pr{}", "(".repeat(depth), ")".repeat(depth));
    assert_eq!(parse(&src), pr("title"));
    let src = format!("{}title pr{}", "not (".repeat(depth), ")".repeat(depth));
    assert!(Filter::parse(&src).is_ok());
}

#[test]
fn whitespace_may_be_any_run_of_blanks_and_is_optional_beside_delimiters() {
    let expected = parse("userName eq \"x\" and (title pr or not (active eq true))");
    for variant in [
        "  userName eq \"x\" and (title pr or not (active eq true))  ",
        "userName\teq\t\"x\"\nand\r\n(title   pr   or   not   (active eq true))",
        "userName eq\"x\" and(title pr or not(active eq true))",
        "userName eq \"x\" and ( title pr or not ( active eq true ) )",
    ] {
        assert_eq!(parse(variant), expected, "{variant:?}");
    }
    assert_eq!(
        parse("emails[ type eq \"work\" ]"),
        parse("emails[type eq \"work\"]")
    );
}

#[test]
fn attribute_names_keep_their_spelling_and_match_by_lowercase_key() {
    let f = parse("USERNAME Eq \"x\"");
    assert_eq!(f, cmp("USERNAME", CompareOp::Eq, s("x")));
    let Filter::Compare { path, op, .. } = f else {
        panic!("not a comparison")
    };
    assert_eq!(op, CompareOp::Eq);
    assert_eq!(path.name, "USERNAME");
    assert_eq!(path.key(), "username");
    assert_eq!(path.key(), AttrPath::new("userName").key());
}

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(
        parse("a pr AND b pr Or NoT (c pr)"),
        Filter::Or(vec![
            Filter::And(vec![pr("a"), pr("b")]),
            Filter::Not(Box::new(pr("c")))
        ])
    );
    assert_eq!(
        parse("active eq True"),
        cmp("active", CompareOp::Eq, CompValue::Bool(true))
    );
    assert_eq!(
        parse("active eq FALSE"),
        cmp("active", CompareOp::Eq, CompValue::Bool(false))
    );
    assert_eq!(
        parse("title eq Null"),
        cmp("title", CompareOp::Eq, CompValue::Null)
    );
}

#[test]
fn the_filters_of_rfc_7644_parse() {
    for src in [
        r#"userName Eq "john""#,
        r#"Username eq "john""#,
        r#"userName eq "bjensen""#,
        r#"name.familyName co "O'Malley""#,
        r#"userName sw "J""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        r#"title pr"#,
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
        r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
        r#"title pr and userType eq "Employee""#,
        r#"title pr or userType eq "Intern""#,
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        r#"userType eq "Employee" and (emails.type eq "work")"#,
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        r#"emails[type eq "work" or (type eq "home" and value ew "@example.com")]"#,
    ] {
        parse(src);
    }
}

#[test]
fn the_filters_entra_id_sends_parse() {
    let id = "2819c223-7f76-453a-919d-413861904646";
    assert_eq!(
        parse(r#"userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081""#),
        cmp(
            "userName",
            CompareOp::Eq,
            s("Test_User_dfeef4c5-5681-4387-b016-bdf221e82081")
        )
    );
    assert_eq!(
        parse(&format!(r#"externalId eq "{id}""#)),
        cmp("externalId", CompareOp::Eq, s(id))
    );
    assert_eq!(
        parse(&format!(r#"id eq "{id}""#)),
        cmp("id", CompareOp::Eq, s(id))
    );
    assert_eq!(
        parse(r#"displayName eq "Group1DisplayName""#),
        cmp("displayName", CompareOp::Eq, s("Group1DisplayName"))
    );
    assert_eq!(
        parse(&format!(r#"members[value eq "{id}"]"#)),
        value_path("members", cmp("value", CompareOp::Eq, s(id)))
    );
    assert_eq!(
        parse(&format!(r#"id eq "{id}" and members eq "{id}""#)),
        Filter::And(vec![
            cmp("id", CompareOp::Eq, s(id)),
            cmp("members", CompareOp::Eq, s(id))
        ])
    );
}

#[test]
fn entra_ids_sub_attribute_after_a_value_filter_moves_inside_the_brackets() {
    assert_eq!(
        parse(r#"emails[type eq "work"].value eq "user@contoso.com""#),
        parse(r#"emails[type eq "work" and value eq "user@contoso.com"]"#)
    );
    assert_eq!(
        parse(r#"emails[type eq "work" and primary eq true].value pr"#),
        parse(r#"emails[type eq "work" and primary eq true and value pr]"#)
    );
    assert_eq!(
        parse(r#"emails[type eq "work" or type eq "home"].value co "@x""#),
        parse(r#"emails[(type eq "work" or type eq "home") and value co "@x"]"#)
    );
}

#[test]
fn the_filters_okta_sends_parse() {
    assert_eq!(
        parse(r#"userName eq "john.doe@example.com""#),
        cmp("userName", CompareOp::Eq, s("john.doe@example.com"))
    );
    assert_eq!(
        parse(r#"displayName eq "Marketing""#),
        cmp("displayName", CompareOp::Eq, s("Marketing"))
    );
}

#[test]
fn value_paths_hold_a_filter_over_sub_attributes() {
    assert_eq!(
        parse(r#"emails[type eq "work" and value co "@x"]"#),
        value_path(
            "emails",
            Filter::And(vec![
                cmp("type", CompareOp::Eq, s("work")),
                cmp("value", CompareOp::Co, s("@x"))
            ])
        )
    );
    assert_eq!(
        parse(r#"emails[not (type eq "work")]"#),
        value_path(
            "emails",
            Filter::Not(Box::new(cmp("type", CompareOp::Eq, s("work"))))
        )
    );
}

#[test]
fn urn_qualified_paths_split_at_the_last_colon() {
    let f = parse(&format!(r#"{ENTERPRISE}:employeeNumber eq "701984""#));
    assert_eq!(
        f,
        Filter::compare(
            AttrPath::new("employeeNumber").with_uri(ENTERPRISE),
            CompareOp::Eq,
            s("701984")
        )
    );
    let f = parse(&format!(r#"{ENTERPRISE}:manager.value eq "26118915""#));
    assert_eq!(
        f,
        Filter::compare(
            AttrPath::new("manager")
                .with_uri(ENTERPRISE)
                .with_sub_attr("value"),
            CompareOp::Eq,
            s("26118915")
        )
    );
    let Filter::Compare { path, .. } =
        parse("URN:IETF:params:scim:schemas:core:2.0:User:UserName eq \"x\"")
    else {
        panic!("not a comparison");
    };
    assert_eq!(
        path.key(),
        "urn:ietf:params:scim:schemas:core:2.0:user:username"
    );
    assert_eq!(
        path.uri_key().as_deref(),
        Some("urn:ietf:params:scim:schemas:core:2.0:user")
    );
}

#[test]
fn sub_attributes_follow_a_dot() {
    let Filter::Present(p) = parse("name.familyName pr") else {
        panic!("not pr")
    };
    assert_eq!(p, path("name").with_sub_attr("familyName"));
    assert_eq!(p.sub_attr_key().as_deref(), Some("familyname"));
    assert_eq!(
        parse("members.$ref pr"),
        Filter::Present(path("members").with_sub_attr("$ref"))
    );
    assert_eq!(parse("a-b_c9 pr"), pr("a-b_c9"));
}

#[test]
fn strings_unescape_as_json() {
    assert_eq!(
        parse(r#"title eq "a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83d\ude00""#),
        cmp(
            "title",
            CompareOp::Eq,
            s("a\"b\\c/d\u{8}\u{c}\n\r\t\u{e9}\u{20ac}\u{1f600}")
        )
    );
    assert_eq!(parse(r#"title eq """#), cmp("title", CompareOp::Eq, s("")));
    assert_eq!(
        parse("title eq \"Zoë 😀 (x) [y]\""),
        cmp("title", CompareOp::Eq, s("Zoë 😀 (x) [y]"))
    );
    assert_eq!(
        parse(r#"title eq "and or not pr""#),
        cmp("title", CompareOp::Eq, s("and or not pr"))
    );
}

#[test]
fn numbers_are_json_numbers() {
    let number = |src: &str| match parse(&format!("x eq {src}")) {
        Filter::Compare {
            value: CompValue::Number(v),
            ..
        } => v,
        other => panic!("{src}: {other:?}"),
    };
    assert_eq!(number("0").as_i64(), Some(0));
    assert_eq!(number("-17").as_i64(), Some(-17));
    assert_eq!(number("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(number("3.25").as_f64(), Some(3.25));
    assert_eq!(number("1e3").as_f64(), Some(1000.0));
    assert!(number("1e3").is_f64());
    assert_eq!(number("-2.5E-2").as_f64(), Some(-0.025));
    assert_eq!(
        number("123456789012345678901234").as_f64(),
        Some(1.2345678901234568e23)
    );
}

#[test]
fn dates_stay_strings() {
    assert_eq!(
        parse(r#"meta.lastModified gt "2011-05-13T04:42:34Z""#),
        cmp(
            "meta.lastModified",
            CompareOp::Gt,
            s("2011-05-13T04:42:34Z")
        )
    );
}

#[test]
fn display_prints_canonical_text() {
    for (src, canonical) in [
        ("USERNAME Eq \"x\"", "USERNAME eq \"x\""),
        (
            "a eq 1 OR (b eq 2 AND c eq 3)",
            "a eq 1 or b eq 2 and c eq 3",
        ),
        (
            "(a eq 1 or b eq 2) and c eq 3",
            "(a eq 1 or b eq 2) and c eq 3",
        ),
        ("(a pr or b pr) or c pr", "(a pr or b pr) or c pr"),
        ("NOT(a pr)", "not (a pr)"),
        ("x eq True", "x eq true"),
        ("x eq 1E3", "x eq 1000.0"),
        ("x eq 2.50", "x eq 2.5"),
        (
            "x eq \"tab\\there \\u0001 \\/\"",
            "x eq \"tab\\there \\u0001 /\"",
        ),
        (
            "emails[type eq \"work\"].value eq \"a\"",
            "emails[type eq \"work\" and value eq \"a\"]",
        ),
    ] {
        assert_eq!(parse(src).to_string(), canonical, "{src}");
    }
}

#[test]
fn from_str_is_parse() {
    let f: Filter = "title pr".parse().expect("parses");
    assert_eq!(f, pr("title"));
}
