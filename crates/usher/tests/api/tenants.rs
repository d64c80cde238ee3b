//! Tenants and settings.

use serde_json::json;
use usher_testkit::app::{TestApp, json as body};

#[tokio::test]
async fn a_fresh_install_has_the_default_tenant_and_super_admins_create_more() {
    let app = TestApp::spawn().await;
    let list = body(app.get("/api/v1/tenants").await).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["slug"], "default");
    let res = app
        .post(
            "/api/v1/tenants",
            &json!({"slug": "acme", "name": "Acme Ltd"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(res.headers()["location"], "/api/v1/tenants/acme");
    let t = body(res).await;
    assert_eq!(
        (t["slug"].as_str(), t["name"].as_str()),
        (Some("acme"), Some("Acme Ltd"))
    );
    assert_eq!(t["settings"]["invitation_ttl_hours"], 168);
    let res = app.post("/api/v1/tenants", &json!({"slug": "acme"})).await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(body(res).await["code"], "slug_taken");
    let res = app
        .post("/api/v1/tenants", &json!({"slug": "Not A Slug"}))
        .await;
    assert_eq!(res.status().as_u16(), 422);
}

#[tokio::test]
async fn tenants_do_not_see_each_others_users() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme").await;
    let a = app
        .create_user("acme", json!({"email": "same@x.example"}))
        .await;
    // The same email is free in another tenant.
    app.create_user("default", json!({"email": "same@x.example"}))
        .await;
    let res = app
        .get(&format!(
            "/api/v1/tenants/default/users/{}",
            a["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        body(app.get("/api/v1/tenants/acme/users").await).await["total"],
        1
    );
}

#[tokio::test]
async fn settings_are_read_and_merge_patched_with_validation() {
    let app = TestApp::spawn().await;
    let s = body(app.get("/api/v1/tenants/default/settings").await).await;
    assert_eq!(s["min_search_length"], 2);
    let s = body(
        app.patch(
            "/api/v1/tenants/default/settings",
            &json!({"invitation_ttl_hours": 24}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            s["invitation_ttl_hours"].as_u64(),
            s["reset_ttl_hours"].as_u64()
        ),
        (Some(24), Some(168))
    );
    let res = app
        .patch(
            "/api/v1/tenants/default/settings",
            &json!({"password_min_length": 3, "mfa": "never"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(body(res).await["errors"].as_array().unwrap().len(), 2);
    let u = app
        .create_user("default", json!({"email": "a@x.example"}))
        .await;
    let created = time::OffsetDateTime::parse(
        u["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let exp = time::OffsetDateTime::parse(
        u["invitation_expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(exp - created, time::Duration::hours(24));
}
