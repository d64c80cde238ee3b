//! The evaluator over SCIM resources in JSON.

use super::parse;
use crate::{AttrPath, matches};
use serde_json::{Value, json};
use std::cell::RefCell;

/// RFC 7643's "bjensen" user, trimmed, with the enterprise extension.
fn user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "701984",
        "userName": "bjensen@example.com",
        "name": { "familyName": "Jensen", "givenName": "Barbara", "middleName": null },
        "displayName": "Babs Jensen",
        "nickName": "",
        "title": "Tour Guide",
        "userType": "Employee",
        "active": true,
        "loginCount": 42,
        "rating": 4.5,
        "x509Certificates": [],
        "emails": [
            { "value": "bjensen@example.com", "type": "work", "primary": true },
            { "value": "babs@jensen.org", "type": "home" }
        ],
        "phoneNumbers": [{ "value": "555-555-5555", "type": "work" }],
        "roles": ["admin", "Auditor"],
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z"
        },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "department": "Tour Operations",
            "manager": { "value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith" }
        }
    })
}

fn group() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [
            { "value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen" },
            { "value": "902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge" }
        ]
    })
}

/// Whether the user matches `src`, with `id` the only caseExact attribute
/// (as in RFC 7643).
fn user_matches(src: &str) -> bool {
    matches(&parse(src), &user(), &|p: &AttrPath| p.key() == "id")
}

fn assert_user_matches(yes: &[&str], no: &[&str]) {
    for src in yes {
        assert!(user_matches(src), "expected a match: {src}");
    }
    for src in no {
        assert!(!user_matches(src), "expected no match: {src}");
    }
}

#[test]
fn eq_and_ne_compare_strings_case_insensitively() {
    assert_user_matches(
        &[
            r#"userName eq "bjensen@example.com""#,
            r#"userName eq "BJensen@Example.COM""#,
            r#"USERNAME EQ "bjensen@example.com""#,
            r#"userName ne "someone@example.com""#,
            r#"name.familyName eq "jensen""#,
        ],
        &[
            r#"userName eq "bjensen""#,
            r#"userName ne "BJENSEN@example.com""#,
        ],
    );
}

#[test]
fn case_exact_attributes_compare_exactly() {
    assert_user_matches(
        &[r#"id eq "2819c223-7f76-453a-919d-413861904646""#],
        &[
            r#"id eq "2819C223-7F76-453A-919D-413861904646""#,
            r#"id sw "2819C""#,
        ],
    );
    let exact = |src: &str| matches(&parse(src), &user(), &|_: &AttrPath| true);
    assert!(!exact(r#"userName eq "BJensen@example.com""#));
    assert!(exact(r#"userName eq "bjensen@example.com""#));
}

#[test]
fn case_folding_covers_unicode() {
    let resource = json!({ "displayName": "Straße Ørsted" });
    let f = parse(r#"displayName eq "STRASSE ørsted""#);
    assert!(matches(&f, &resource, &|_: &AttrPath| false));
}

#[test]
fn co_sw_and_ew_match_substrings_of_strings() {
    assert_user_matches(
        &[
            r#"userName co "JENSEN@""#,
            r#"userName sw "bjen""#,
            r#"userName ew ".COM""#,
            r#"title co """#,
        ],
        &[
            r#"userName co "smith""#,
            r#"userName sw "jensen""#,
            r#"userName ew "example""#,
            r#"loginCount co 4"#,
            r#"active sw true"#,
        ],
    );
}

#[test]
fn ordering_compares_strings_lexicographically_and_numbers_numerically() {
    assert_user_matches(
        &[
            r#"title gt "Tour""#,
            r#"title ge "tour guide""#,
            r#"title lt "TOUR GUIDES""#,
            r#"title le "Tour Guide""#,
            "loginCount gt 9",
            "loginCount ge 42",
            "loginCount lt 100",
            "loginCount le 42.0",
            "rating gt 4",
            "rating lt 4.6",
            "loginCount eq 42.0",
        ],
        &[
            "loginCount gt 42",
            "loginCount lt 42",
            "loginCount le 41.9",
            "rating ge 5",
            r#"loginCount gt "1""#,
        ],
    );
}

#[test]
fn timestamps_compare_as_iso_8601_strings() {
    assert_user_matches(
        &[
            r#"meta.lastModified gt "2011-05-13T04:42:33Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            r#"meta.created lt "2011-01-01T00:00:00Z""#,
            r#"meta.lastModified eq "2011-05-13T04:42:34Z""#,
        ],
        &[
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.created gt "2010-12-31T00:00:00Z""#,
        ],
    );
}

#[test]
fn booleans_and_null_are_equal_or_not_but_never_ordered() {
    assert_user_matches(
        &[
            "active eq true",
            "active eq TRUE",
            "active ne false",
            "title ne null",
            "nickName eq null",
            "name.middleName eq null",
            "manager eq null",
        ],
        &[
            "active eq false",
            "active gt false",
            "active ge true",
            "active le true",
            "title eq null",
            "title gt null",
            "title lt null",
        ],
    );
}

#[test]
fn values_of_different_types_are_not_equal() {
    assert_user_matches(
        &[r#"active ne "true""#, r#"loginCount ne "42""#],
        &[
            r#"active eq "true""#,
            r#"loginCount eq "42""#,
            "userName eq 1",
        ],
    );
}

#[test]
fn absent_attributes_match_neither_eq_nor_ne() {
    assert_user_matches(
        &["not (nickName eq \"x\")"],
        &[
            r#"nickName eq "x""#,
            r#"missing ne "x""#,
            r#"missing eq "x""#,
        ],
    );
}

#[test]
fn pr_means_a_non_empty_value() {
    assert_user_matches(
        &[
            "title pr",
            "name pr",
            "emails pr",
            "name.givenName pr",
            "roles pr",
            "active pr",
            "TITLE PR",
        ],
        &[
            "nickName pr",
            "x509Certificates pr",
            "name.middleName pr",
            "missing pr",
            "name.missing pr",
        ],
    );
    let empty_complex =
        json!({ "name": { "givenName": "", "familyName": null }, "emails": [{ "value": null }] });
    let f = parse("name pr or emails pr");
    assert!(!matches(&f, &empty_complex, &|_: &AttrPath| false));
}

#[test]
fn a_multi_valued_attribute_matches_if_any_value_does() {
    assert_user_matches(
        &[
            r#"emails.value eq "babs@jensen.org""#,
            r#"emails.type eq "home""#,
            r#"emails.value ew "@example.com""#,
            r#"roles eq "auditor""#,
            r#"emails.primary eq true"#,
        ],
        &[
            r#"emails.value eq "nobody@example.com""#,
            r#"roles eq "owner""#,
        ],
    );
}

#[test]
fn a_complex_value_compared_with_a_plain_value_uses_its_value_sub_attribute() {
    assert_user_matches(
        &[
            r#"emails co "example.com""#,
            r#"emails eq "BABS@JENSEN.ORG""#,
        ],
        &[r#"emails co "example.net""#, r#"name eq "Jensen""#],
    );
}

#[test]
fn a_value_filter_needs_one_element_to_match_all_its_conditions() {
    assert_user_matches(
        &[
            r#"emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "home" and value ew "jensen.org"]"#,
            r#"emails[primary eq true]"#,
            r#"emails[not (type eq "work")]"#,
            r#"emails[type eq "work" or (type eq "home" and value ew "@example.com")]"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        ],
        &[
            r#"emails[type eq "work" and value co "jensen.org"]"#,
            r#"emails[type eq "home" and primary eq true]"#,
            r#"emails[type eq "other"]"#,
            r#"phoneNumbers[type eq "home"]"#,
            r#"missing[type pr]"#,
        ],
    );
}

#[test]
fn entra_ids_value_filter_with_a_sub_attribute_tests_the_same_element() {
    assert_user_matches(
        &[r#"emails[type eq "work"].value eq "bjensen@example.com""#],
        &[
            r#"emails[type eq "work"].value eq "babs@jensen.org""#,
            r#"emails[type eq "home"].value eq "bjensen@example.com""#,
        ],
    );
}

#[test]
fn urn_qualified_paths_find_extension_and_core_attributes() {
    assert_user_matches(
        &[
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
            r#"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EMPLOYEENUMBER eq "701984""#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value sw "26118915""#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr"#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "BJ""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "barbara""#,
        ],
        &[
            r#"employeeNumber eq "701984""#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName pr"#,
            r#"urn:example:other:1.0:User:employeeNumber pr"#,
        ],
    );
}

#[test]
fn logical_operators_follow_precedence() {
    assert_user_matches(
        &[
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            // or(false, and(true, true))
            r#"userName eq "x" or title pr and active eq true"#,
            r#"userType ne "Intern" and not (emails co "example.org" or emails.value co "example.net")"#,
        ],
        &[
            // and(or(false, true), false) if precedence were ignored would differ:
            r#"userName eq "x" and title pr or active eq false"#,
            r#"(userName eq "x" or title pr) and active eq false"#,
            r#"not (title pr)"#,
        ],
    );
}

#[test]
fn groups_match_by_member() {
    let matches_group = |src: &str| {
        matches(&parse(src), &group(), &|p: &AttrPath| {
            p.key() == "members.value"
        })
    };
    assert!(matches_group(
        r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#
    ));
    assert!(!matches_group(
        r#"members[value eq "2819C223-7F76-453A-919D-413861904646"]"#
    ));
    assert!(matches_group(r#"displayName eq "tour guides""#));
    assert!(matches_group(
        r#"members eq "902c246b-6245-4190-8e05-00816be7344a""#
    ));
    assert!(!matches_group(r#"members[value eq "nobody"]"#));
}

#[test]
fn the_case_exact_question_names_the_absolute_attribute() {
    let asked = RefCell::new(Vec::new());
    let record = |p: &AttrPath| {
        asked.borrow_mut().push(p.key());
        false
    };
    for src in [
        r#"emails[type eq "work"]"#,
        r#"emails co "x""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x""#,
        r#"name.familyName eq "x""#,
    ] {
        matches(&parse(src), &user(), &record);
    }
    let asked = asked.into_inner();
    assert_eq!(
        asked,
        [
            // The first email matches, so the second is never asked about.
            "emails.type",
            // Asked once for all the emails.
            "emails.value",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager.value",
            "name.familyname",
        ]
    );
}

#[test]
fn non_object_resources_match_nothing_but_negations() {
    for resource in [json!(null), json!([]), json!("userName"), json!(42)] {
        assert!(!matches(
            &parse("userName pr"),
            &resource,
            &|_: &AttrPath| false
        ));
        assert!(matches(
            &parse("not (userName pr)"),
            &resource,
            &|_: &AttrPath| false
        ));
    }
}
