//! The console's definitions and administrators: custom attributes (with
//! the box that tries a value against a pattern), roles, and admin grants
//! by email with a scope; each as the API call it stands for.

use crate::console::{last_actor, signed_in};
use serde_json::json;
use usher_testkit::app::{TestApp, json as body};

#[tokio::test]
async fn an_attribute_is_tried_defined_named_when_bad_and_deleted_with_its_values() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, "ada@x.example", "tenant_admin").await;
    let page = b.get("/console/default/settings/attributes").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let csrf = page.input("csrf");
    let path = "/console/default/settings/attributes";
    let tried = [
        ("csrf", csrf.as_str()),
        ("op", "test"),
        ("name", "cost_center"),
        ("label", "Cost centre"),
        ("regex", "[0-9]{4}"),
        ("sample", "12a4"),
    ];
    let page = b.post(path, &tried).await;
    assert!(
        page.alert().is_some(),
        "a value that fails the pattern: {}",
        page.html
    );
    let good_try = [
        ("csrf", csrf.as_str()),
        ("op", "test"),
        ("name", "cost_center"),
        ("label", "Cost centre"),
        ("regex", "[0-9]{4}"),
        ("sample", "1234"),
    ];
    let page = b.post(path, &good_try).await;
    assert!(page.html.contains("fits the definition"), "{}", page.html);
    let attrs = body(app.get("/api/v1/tenants/default/attributes").await).await;
    assert_eq!(
        attrs["items"].as_array().map(Vec::len),
        Some(0),
        "trying saves nothing: {attrs}"
    );

    let bad = [
        ("csrf", csrf.as_str()),
        ("op", "create"),
        ("name", "bad name"),
        ("label", ""),
        ("regex", "["),
    ];
    let refused = b.post(path, &bad).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    for id in ["name-error", "label-error", "regex-error"] {
        assert!(
            refused.html.contains(&format!("id=\"{id}\"")),
            "{id}: {}",
            refused.html
        );
    }
    let good = [
        ("csrf", csrf.as_str()),
        ("op", "create"),
        ("name", "cost_center"),
        ("label", "Cost centre"),
        ("max_length", "4"),
        ("regex", "[0-9]{4}"),
    ];
    assert_eq!(b.post(path, &good).await.status, 303);
    app.create_user(
        "default",
        json!({"email": "g@x.example", "attributes": {"cost_center": "1234"}}),
    )
    .await;
    let in_use = [
        ("csrf", csrf.as_str()),
        ("op", "delete"),
        ("name", "cost_center"),
    ];
    let refused = b.post(path, &in_use).await;
    assert_ne!(
        refused.status, 303,
        "a held attribute needs purge: {}",
        refused.html
    );
    let purge = [
        ("csrf", csrf.as_str()),
        ("op", "delete"),
        ("name", "cost_center"),
        ("purge", "true"),
    ];
    assert_eq!(b.post(path, &purge).await.status, 303);
    assert_eq!(
        last_actor(&app, "attribute.delete").await["email"],
        "ada@x.example"
    );
}

#[tokio::test]
async fn roles_are_defined_and_deleted_only_when_forced_while_held() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, "ada@x.example", "tenant_admin").await;
    let path = "/console/default/settings/roles";
    let csrf = b.get(path).await.input("csrf");
    let bad = b
        .post(
            path,
            &[("csrf", &csrf), ("op", "create"), ("name", "no spaces")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    let made = b
        .post(
            path,
            &[
                ("csrf", &csrf),
                ("op", "create"),
                ("name", "OnCall"),
                ("description", "Pager"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let grace = app
        .create_user("default", json!({"email": "g@x.example"}))
        .await;
    let id = grace["id"].as_str().expect("id");
    let res = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/tenants/default/users/{id}/roles/OnCall"),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 204);
    let listed = b.get(path).await;
    assert!(
        listed.html.contains("<td>1</td>"),
        "held by one: {}",
        listed.html
    );
    let held = b
        .post(
            path,
            &[("csrf", &csrf), ("op", "delete"), ("name", "OnCall")],
        )
        .await;
    assert_eq!(held.status, 409, "{}", held.html);
    let forced = b
        .post(
            path,
            &[
                ("csrf", &csrf),
                ("op", "delete"),
                ("name", "OnCall"),
                ("force", "true"),
            ],
        )
        .await;
    assert_eq!(forced.status, 303, "{}", forced.html);
}

#[tokio::test]
async fn an_admin_role_is_granted_by_email_with_a_scope_and_revoked() {
    let app = TestApp::spawn().await;
    let grace = app
        .create_user("default", json!({"email": "grace@x.example"}))
        .await;
    let gid = grace["id"].as_str().expect("id").to_owned();
    app.scim_group("default", "Support", &[&gid]).await;
    let mut b = signed_in(&app, "ada@x.example", "tenant_admin").await;
    let path = "/console/default/settings/admins";
    let page = b.get(path).await;
    assert!(page.html.contains("ada@x.example"), "{}", page.html);
    let csrf = page.input("csrf");
    let nobody = b
        .post(
            path,
            &[
                ("csrf", &csrf),
                ("op", "grant"),
                ("email", "nobody@x.example"),
                ("role", "helpdesk"),
            ],
        )
        .await;
    assert_eq!(nobody.status, 422, "{}", nobody.html);
    assert!(
        nobody.html.contains("id=\"email-error\""),
        "{}",
        nobody.html
    );
    let unknown_group = [
        ("csrf", csrf.as_str()),
        ("op", "grant"),
        ("email", "grace@x.example"),
        ("role", "helpdesk"),
        ("scope", "group"),
        ("scope_value", "Nobody"),
    ];
    let refused = b.post(path, &unknown_group).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused.html.contains("id=\"scope_value-error\""),
        "{}",
        refused.html
    );
    let grant = [
        ("csrf", csrf.as_str()),
        ("op", "grant"),
        ("email", "GRACE@x.example"),
        ("role", "helpdesk"),
        ("scope", "group"),
        ("scope_value", "support"),
    ];
    assert_eq!(b.post(path, &grant).await.status, 303);
    let admins = body(app.get("/api/v1/tenants/default/admins").await).await;
    let held = admins["items"]
        .as_array()
        .expect("admins")
        .iter()
        .find(|a| a["email"] == "grace@x.example")
        .expect("grace")
        .clone();
    assert_eq!(
        (held["role"].as_str(), held["scope"]["group"].as_str()),
        (Some("helpdesk"), Some("Support")),
        "{held}"
    );
    let revoke = [
        ("csrf", csrf.as_str()),
        ("op", "revoke"),
        ("user_id", gid.as_str()),
        ("role", "helpdesk"),
    ];
    assert_eq!(b.post(path, &revoke).await.status, 303);
    let admins = body(app.get("/api/v1/tenants/default/admins").await).await;
    assert!(!admins.to_string().contains("grace@x.example"), "{admins}");
}

#[tokio::test]
async fn a_user_admin_sees_the_definitions_but_neither_defines_nor_grants() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, "uma@x.example", "user_admin").await;
    let page = b.get("/console/default/settings/roles").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(!page.html.contains("value=\"create\""), "{}", page.html);
    let csrf = page.input("csrf");
    let refused = b
        .post(
            "/console/default/settings/roles",
            &[("csrf", &csrf), ("op", "create"), ("name", "X")],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert_eq!(b.get("/console/default/settings/admins").await.status, 403);
}
