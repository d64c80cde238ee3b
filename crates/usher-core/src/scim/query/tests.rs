//! Lowering of user filters: what each attribute becomes, and the
//! conditions that fold away.

use super::*;
use usher_scim::Filter;

fn lower(src: &str) -> Result<Cond, LowerError> {
    let names = vec!["department".to_owned(), "costCenter".to_owned()];
    lower_user_filter(&Filter::parse(src).unwrap(), Attributes { names: &names })
}

fn folded(text: Text, op: TextOp, value: &str) -> Cond {
    Cond::Text {
        text,
        op,
        value: value.into(),
        fold: true,
    }
}

#[test]
fn user_name_is_folded_and_external_id_exact() {
    assert_eq!(
        lower("USERNAME Eq \"Ab@X.org\"").unwrap(),
        folded(Text::Column(TextColumn::UserName), TextOp::Eq, "ab@x.org")
    );
    assert_eq!(
        lower("externalId eq \"AbC\"").unwrap(),
        Cond::Text {
            text: Text::Column(TextColumn::ExternalId),
            op: TextOp::Eq,
            value: "AbC".into(),
            fold: false
        }
    );
}

#[test]
fn value_filters_test_each_stored_element() {
    let c = lower("emails[type eq \"work\" and value co \"@x\"]").unwrap();
    assert_eq!(
        c,
        Cond::And(vec![
            Cond::Present(Text::Column(TextColumn::EmailNorm)),
            folded(Text::Column(TextColumn::EmailNorm), TextOp::Co, "@x"),
        ])
    );
    let c = lower("emails[type eq \"home\"]").unwrap();
    assert_eq!(c, Cond::Present(Text::Column(TextColumn::PersonalEmail)));
    // Entra ID's form is the same condition inside the brackets.
    assert_eq!(
        lower("emails[type eq \"work\"].value eq \"A@x\"").unwrap(),
        lower("emails[type eq \"work\" and value eq \"a@x\"]").unwrap()
    );
}

#[test]
fn active_accepts_entra_string_booleans() {
    assert_eq!(lower("active eq \"False\"").unwrap(), Cond::Active(false));
    assert_eq!(lower("active ne true").unwrap(), Cond::Active(false));
    assert!(lower("active gt true").is_err());
}

#[test]
fn extension_attributes_need_a_definition() {
    assert_eq!(
        lower("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"R&D\"")
            .unwrap(),
        folded(Text::Attribute("department".into()), TextOp::Eq, "r&d")
    );
    assert!(
        lower("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division eq \"x\"")
            .is_err()
    );
    assert!(lower("nickName eq \"x\"").is_err());
    assert!(lower("urn:example:User:userName eq \"x\"").is_err());
}

#[test]
fn constants_fold_away() {
    assert_eq!(
        lower("meta.resourceType eq \"User\"").unwrap(),
        Cond::Const(true)
    );
    assert_eq!(lower("not (userName pr)").unwrap(), Cond::Const(false));
    assert_eq!(lower("id eq \"not-a-uuid\"").unwrap(), Cond::Const(false));
    assert_eq!(
        lower("userName pr and active eq true").unwrap(),
        Cond::Active(true)
    );
}

#[test]
fn times_must_be_rfc3339() {
    assert!(matches!(
        lower("meta.lastModified gt \"2026-01-01T00:00:00Z\"").unwrap(),
        Cond::Time {
            column: TimeColumn::UpdatedAt,
            op: OrderOp::Gt,
            ..
        }
    ));
    assert!(lower("meta.created gt \"yesterday\"").is_err());
    assert!(lower("meta.created sw \"2026\"").is_err());
}
