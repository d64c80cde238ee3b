//! Authentication and tenant isolation.

use reqwest::Method;
use serde_json::json;
use usher_core::token::TokenScope;
use usher_testkit::app::{TestApp, json as body};

#[tokio::test]
async fn missing_or_unknown_tokens_get_401_with_a_challenge() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/api/v1/tenants/default/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(body(res).await["code"], "unauthorized");
    for header in ["Bearer nope", "Basic dXNlcjpwYXNz", "Bearer", "bearer  "] {
        let res = app
            .client
            .get(app.url("/api/v1/tenants/default/users"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 401, "{header}");
    }
}

#[tokio::test]
async fn a_tenant_token_sees_only_its_tenant_and_gets_404_elsewhere() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme").await;
    app.create_user("acme", json!({"email": "a@acme.example"}))
        .await;
    let token = app.tenant_token("default", TokenScope::Admin).await;
    let get = |path: String| app.client.get(app.url(&path)).bearer_auth(&token).send();
    assert_eq!(
        get("/api/v1/tenants/default/users".into())
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let other = get("/api/v1/tenants/acme/users".into()).await.unwrap();
    let missing = get("/api/v1/tenants/nowhere/users".into()).await.unwrap();
    assert_eq!(
        (other.status().as_u16(), missing.status().as_u16()),
        (404, 404)
    );
    // Identical answers: the token cannot tell an existing tenant from a missing one.
    assert_eq!(body(other).await, body(missing).await);
    // Nor may it manage tenants.
    let res = app
        .client
        .get(app.url("/api/v1/tenants"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn a_scim_token_is_refused_by_the_admin_api() {
    let app = TestApp::spawn().await;
    let token = app.tenant_token("default", TokenScope::Scim).await;
    let res = app
        .client
        .get(app.url("/api/v1/tenants/default/users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(body(res).await["code"], "forbidden");
}

#[tokio::test]
async fn a_refused_cross_tenant_write_changes_nothing() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme").await;
    let token = app.tenant_token("acme", TokenScope::Admin).await;
    let res = app
        .client
        .request(Method::POST, app.url("/api/v1/tenants/default/users"))
        .bearer_auth(&token)
        .json(&json!({"email": "x@x.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        body(app.get("/api/v1/tenants/default/users").await).await["total"],
        0
    );
}

#[tokio::test]
async fn operations_endpoints_need_no_token() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/readyz", "/openapi.json"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
    }
}
