//! SCIM filters: every operator selects what the reference evaluator
//! selects, and a bad filter is an `invalidFilter` error.

use super::{ENTERPRISE, Scim, attribute, id};
use serde_json::{Value, json};
use usher_core::scim::{AttrPath, Filter, matches};
use usher_testkit::app::json as body;

/// Users whose attributes exercise every operator.
async fn population(s: &Scim) -> Vec<Value> {
    attribute(&s.app, "department").await;
    let specs = [
        json!({"userName": "alice@example.com", "name": {"givenName": "Alice", "familyName": "Ärger"}, "externalId": "X-1", ENTERPRISE: {"department": "Sales"}}),
        json!({"userName": "bob", "emails": [{"value": "bob@corp.example", "type": "work"}, {"value": "bob@home.example", "type": "home"}], "name": {"givenName": "Bob"}, "externalId": "x-2"}),
        json!({"userName": "carol@example.org", "displayName": "Carol C", "active": false, ENTERPRISE: {"department": "sales"}}),
        json!({"userName": "dave@corp.example", "name": {"familyName": "Zed"}, "externalId": "X-10"}),
        json!({"userName": "ÉMILE@example.com", "name": {"givenName": "Émile"}}),
    ];
    let mut out = Vec::new();
    for spec in specs {
        out.push(s.user(spec).await);
        // Each user a second later than the one before.
        s.app.clock.advance(time::Duration::seconds(1));
    }
    out
}

fn case_exact(p: &AttrPath) -> bool {
    matches!(p.key().as_str(), "id" | "externalid" | "meta.version")
}

#[tokio::test]
async fn filters_select_what_the_reference_evaluator_selects() {
    let s = Scim::new().await;
    let users = population(&s).await;
    // Every resource as the server shows it, for the evaluator.
    let all = body(s.get("/Users?count=200").await).await["Resources"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(all.len(), users.len());
    let filters = [
        "userName eq \"BOB\"",
        "userName ne \"bob\"",
        "userName co \"EXAMPLE\"",
        "userName sw \"a\"",
        "userName sw \"émi\"",
        "userName ew \".org\"",
        "userName gt \"c\"",
        "userName ge \"carol@example.org\"",
        "userName lt \"c\"",
        "userName le \"bob\"",
        "name.familyName pr",
        "not (name.familyName pr)",
        "name.givenName eq \"alice\" or name.familyName eq \"ärger\"",
        "externalId eq \"x-1\"",
        "externalId eq \"X-1\"",
        "externalId sw \"X-1\"",
        "emails co \"corp\"",
        "emails[type eq \"home\"]",
        "emails[type eq \"work\" and value co \"@corp\"]",
        "emails[type eq \"work\"].value ew \"example.com\"",
        "emails.value eq \"bob@home.example\"",
        "active eq false",
        "active eq true and userName sw \"d\"",
        "displayName pr",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"SALES\"",
        "userName sw \"a\" or userName sw \"b\" and active eq true",
        "(userName sw \"a\" or userName sw \"b\") and externalId pr",
        "not (userName sw \"a\" or active eq false)",
        "meta.resourceType eq \"User\"",
        "USERNAME SW \"C\"",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"bob\"",
    ];
    for f in filters {
        let parsed = Filter::parse(f).unwrap();
        let mut want: Vec<String> = all
            .iter()
            .filter(|r| matches(&parsed, r, &case_exact))
            .map(|r| id(r).to_owned())
            .collect();
        let mut got = s.ids(f).await;
        want.sort();
        got.sort();
        assert_eq!(got, want, "filter {f}");
    }
    // A few answers spelled out, so that the evaluator is checked too.
    assert_eq!(s.ids("userName eq \"BOB\"").await, vec![id(&users[1])]);
    assert_eq!(s.ids("externalId eq \"x-1\"").await, Vec::<String>::new());
    assert_eq!(s.ids("active eq false").await, vec![id(&users[2])]);
    // Entra ID sends booleans as strings; the reference evaluator, strict
    // about JSON types, would match nothing.
    assert_eq!(s.ids("active eq \"False\"").await, vec![id(&users[2])]);
    assert_eq!(s.ids("userName sw \"émi\"").await, vec![id(&users[4])]);
    let created = users[2]["meta"]["created"].as_str().unwrap();
    assert_eq!(
        s.ids(&format!("meta.created gt \"{created}\"")).await,
        vec![id(&users[3]), id(&users[4])]
    );
}

#[tokio::test]
async fn bad_filters_are_invalid_filter_errors() {
    let s = Scim::new().await;
    for f in [
        "userName eq",
        "userName zz \"x\"",
        "nickName eq \"x\"",
        "meta.created gt \"yesterday\"",
        "active gt true",
        "emails[value eq \"x\"",
        "urn:example:User:userName eq \"x\"",
    ] {
        let q: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", f)
            .finish();
        let res = s.get(&format!("/Users?{q}")).await;
        assert_eq!(res.status().as_u16(), 400, "{f}");
        assert_eq!(body(res).await["scimType"], "invalidFilter", "{f}");
    }
    // No match is 200 with no resources (Okta's expectation).
    let v = body(s.get("/Users?filter=userName%20eq%20%22nobody%22").await).await;
    assert_eq!(
        (v["totalResults"].as_u64(), v["Resources"].clone()),
        (Some(0), json!([]))
    );
}
