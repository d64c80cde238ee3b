//! SCIM writes to one user: PATCH applies every operation or none, and
//! ETags guard writes and answer Not Modified.

use super::{ENTERPRISE, PATCH, Scim, USER, attribute, id};
use reqwest::Method;
use serde_json::json;
use usher_testkit::app::json as body;

#[tokio::test]
async fn patch_applies_every_operation_or_none() {
    let s = Scim::new().await;
    attribute(&s.app, "department").await;
    let u = s
        .user(json!({"userName": "pat@example.com", "name": {"givenName": "Pat"}}))
        .await;
    let path = format!("/Users/{}", id(&u));
    // Entra ID's habits: capitalised ops, string booleans, dotted and
    // URN-qualified keys in a path-less replace, a value filter on emails.
    let res = s
        .patch(
            &path,
            json!([
                {"op": "Replace", "value": {"name.familyName": "Smith", "displayName": "Pat S", format!("{ENTERPRISE}:department"): "Ops"}},
                {"op": "Add", "path": "emails[type eq \"home\"].value", "value": "pat@home.example"},
                {"op": "replace", "path": "externalId", "value": "E-9"},
            ]),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let v = body(res).await;
    assert_eq!(
        v["name"],
        json!({"givenName": "Pat", "familyName": "Smith"})
    );
    assert_eq!(v["displayName"], "Pat S");
    assert_eq!(v[ENTERPRISE]["department"], "Ops");
    assert_eq!(
        v["emails"],
        json!([{"value": "pat@example.com", "type": "work"}, {"value": "pat@home.example", "type": "home"}])
    );
    assert_eq!(v["meta"]["version"], "W/\"2\"");
    // Remove by path and by value filter.
    let v = body(
        s.patch(
            &path,
            json!([
                {"op": "remove", "path": "emails[type eq \"home\"]"},
                {"op": "remove", "path": "name.givenName"},
                {"op": "remove", "path": ENTERPRISE},
            ]),
        )
        .await,
    )
    .await;
    assert_eq!(
        v["emails"],
        json!([{"value": "pat@example.com", "type": "work"}])
    );
    assert_eq!(v["name"], json!({"familyName": "Smith"}));
    assert!(v.get(ENTERPRISE).is_none());
    // One bad operation among good ones: nothing changes.
    let before = body(s.get(&path).await).await;
    for ops in [
        json!([{"op": "replace", "path": "displayName", "value": "New"}, {"op": "replace", "path": "shoeSize", "value": "x"}]),
        json!([{"op": "replace", "path": "displayName", "value": "New"}, {"op": "remove"}]),
        json!([{"op": "replace", "path": "displayName", "value": "New"}, {"op": "replace", "path": "name.givenName", "value": "x".repeat(51)}]),
        json!([{"op": "replace", "path": "displayName", "value": "New"}, {"op": "replace", "path": "id", "value": "x"}]),
        json!([{"op": "jump", "path": "displayName", "value": "New"}]),
    ] {
        let res = s.patch(&path, ops.clone()).await;
        assert_eq!(res.status().as_u16(), 400, "{ops}");
        let e = body(res).await;
        assert!(e["scimType"].is_string(), "{ops}: {e}");
    }
    assert_eq!(body(s.get(&path).await).await, before);
    let codes: Vec<String> = {
        let mut out = Vec::new();
        for ops in [
            json!([{"op": "replace", "path": "shoeSize", "value": "x"}]),
            json!([{"op": "remove"}]),
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            json!([{"op": "add", "path": "emails[type eq ", "value": "x"}]),
        ] {
            out.push(
                body(s.patch(&path, ops).await).await["scimType"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        out
    };
    assert_eq!(
        codes,
        vec!["invalidPath", "noTarget", "mutability", "invalidFilter"]
    );
}

#[tokio::test]
async fn etags_guard_writes_and_answer_not_modified() {
    let s = Scim::new().await;
    let u = s.user(json!({"userName": "e@example.com"})).await;
    let path = format!("/Users/{}", id(&u));
    let v1 = u["meta"]["version"].as_str().unwrap().to_owned();
    let res = s
        .req(Method::GET, &path)
        .header("if-none-match", &v1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 304);
    s.patch(
        &path,
        json!([{"op": "replace", "path": "displayName", "value": "E"}]),
    )
    .await;
    let res = s
        .req(Method::GET, &path)
        .header("if-none-match", &v1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let res = s
        .req(Method::PATCH, &path)
        .header("if-match", &v1)
        .header("content-type", "application/scim+json")
        .body(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "F"}]}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 412);
    let res = s
        .req(Method::PUT, &path)
        .header("if-match", &v1)
        .header("content-type", "application/json")
        .body(json!({"schemas": [USER], "userName": "e@example.com"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 412);
    let res = s
        .req(Method::DELETE, &path)
        .header("if-match", &v1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 412);
    let res = s
        .req(Method::DELETE, &path)
        .header("if-match", "W/\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
}
