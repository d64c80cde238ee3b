//! Custom attribute definitions and their enforcement.

use serde_json::json;
use usher_testkit::app::{TestApp, json as body};

const ATTRS: &str = "/api/v1/tenants/default/attributes";
const USERS: &str = "/api/v1/tenants/default/users";

#[tokio::test]
async fn definitions_are_created_listed_and_their_rules_enforced_on_create_and_edit() {
    let app = TestApp::spawn().await;
    let res = app
        .post(ATTRS, &json!({"name": "cost_center", "label": "Cost center", "max_length": 6, "regex": "CC[0-9]+"}))
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let d = body(res).await;
    assert_eq!(
        (d["name"].as_str(), d["max_length"].as_u64()),
        (Some("cost_center"), Some(6))
    );
    let list = body(app.get(ATTRS).await).await;
    assert_eq!(list["total"], 1);

    let res = app
        .post(
            USERS,
            &json!({"email": "a@x.example", "attributes": {"cost_center": "XX1"}}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(body(res).await["errors"][0]["code"], "pattern_mismatch");
    let res = app
        .post(
            USERS,
            &json!({"email": "a@x.example", "attributes": {"cost_center": "CC12345"}}),
        )
        .await;
    assert_eq!(body(res).await["errors"][0]["code"], "too_long");
    let res = app
        .post(
            USERS,
            &json!({"email": "a@x.example", "attributes": {"shoe_size": "42"}}),
        )
        .await;
    assert_eq!(body(res).await["errors"][0]["code"], "unknown_attribute");

    let u = app
        .create_user(
            "default",
            json!({"email": "a@x.example", "attributes": {"COST_CENTER": "CC42"}}),
        )
        .await;
    assert_eq!(u["attributes"], json!({"cost_center": "CC42"}));
    let path = format!("{USERS}/{}", u["id"].as_str().unwrap());
    let res = app
        .patch(&path, &json!({"attributes": {"cost_center": "nope"}}))
        .await;
    assert_eq!(res.status().as_u16(), 422);
    // Attribute values are searchable.
    assert_eq!(
        body(app.get(&format!("{USERS}?search=cc4")).await).await["total"],
        1
    );
    let e = body(
        app.patch(&path, &json!({"attributes": {"cost_center": null}}))
            .await,
    )
    .await;
    assert_eq!(e["attributes"], json!({}));
}

#[tokio::test]
async fn definitions_are_validated_and_unique_ignoring_case() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            ATTRS,
            &json!({"name": "bad-name", "label": "", "max_length": 1001, "regex": "(["}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let p = body(res).await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name", "label", "max_length", "regex"]);
    app.post(ATTRS, &json!({"name": "dept", "label": "Department"}))
        .await;
    let res = app
        .post(ATTRS, &json!({"name": "DEPT", "label": "Again"}))
        .await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(body(res).await["code"], "attribute_exists");
}

#[tokio::test]
async fn a_definition_in_use_is_only_removed_with_purge() {
    let app = TestApp::spawn().await;
    app.post(ATTRS, &json!({"name": "dept", "label": "Department"}))
        .await;
    let u = app
        .create_user(
            "default",
            json!({"email": "a@x.example", "attributes": {"dept": "Sales"}}),
        )
        .await;
    let res = app.delete(&format!("{ATTRS}/dept")).await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(body(res).await["code"], "attribute_in_use");
    let res = app.delete(&format!("{ATTRS}/dept?purge=true")).await;
    assert_eq!(res.status().as_u16(), 204);
    let after = body(
        app.get(&format!("{USERS}/{}", u["id"].as_str().unwrap()))
            .await,
    )
    .await;
    assert_eq!(after["attributes"], json!({}));
    assert_eq!(after["version"], 2);
    assert_eq!(
        body(app.get(&format!("{USERS}?search=sales")).await).await["total"],
        0
    );
    assert_eq!(
        app.delete(&format!("{ATTRS}/dept")).await.status().as_u16(),
        404
    );
    // An unused definition goes without purge.
    app.post(ATTRS, &json!({"name": "floor", "label": "Floor"}))
        .await;
    assert_eq!(
        app.delete(&format!("{ATTRS}/floor"))
            .await
            .status()
            .as_u16(),
        204
    );
}
