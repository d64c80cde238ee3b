//! The authorization matrix, generated from the OpenAPI document (which is
//! generated from the router): every operation is called with no token, a
//! malformed token, an unknown token, a token of another tenant, a
//! SCIM-only token and a super-admin token, and must answer accordingly.
//! Refused calls must leave the data as it was.

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use usher_core::token::TokenScope;
use usher_testkit::app::{TestApp, json as body};

/// Operations anyone may call.
fn is_public(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz")
        || [
            "/auth/invitations/accept",
            "/auth/password-reset/complete",
            "/auth/password-reset",
            "/auth/login",
            "/auth/login/mfa",
            "/auth/login/mfa/totp",
            "/auth/token",
            "/admin/login",
            "/admin/login/mfa",
        ]
        .iter()
        .any(|p| path.ends_with(p))
}

/// Operations of a user holding a session: no admin token opens them.
fn is_session_route(path: &str) -> bool {
    path.contains("/auth/") && !is_public(path)
}

/// A body that would succeed if authorization let the call through.
pub(crate) fn body_for(method: &Method, path: &str) -> Option<Value> {
    if *method != Method::POST && *method != Method::PATCH {
        return None;
    }
    Some(match (method.as_str(), path) {
        ("POST", "/api/v1/tenants") => json!({"slug": "matrix-new"}),
        ("POST", p) if p.ends_with("/users") => json!({"email": "matrix@x.example"}),
        ("PATCH", p) if p.ends_with("/users/{id}") => json!({"first_name": "Changed"}),
        ("POST", p) if p.ends_with("/attributes") => json!({"name": "matrix", "label": "Matrix"}),
        ("POST", p) if p.ends_with("/roles") => json!({"name": "matrix"}),
        ("POST", p) if p.ends_with("/mfa-reset") => json!({"reason": "matrix"}),
        ("PATCH", p) if p.ends_with("/settings") => json!({"invitation_ttl_hours": 1}),
        _ => json!({}),
    })
}

/// `path` with its parameters filled in: the tenant `victim`, `user`, the
/// attribute and role `keep`, and ids that exist nowhere.
pub(crate) fn concrete(path: &str, user: &Value) -> String {
    path.replace("{tenant}", "victim")
        .replace("{id}", user["id"].as_str().unwrap())
        .replace("{name}", "keep")
        .replace("{role}", "keep")
        .replace("{sid}", "018f0000-0000-7000-8000-000000000000")
        .replace("{fid}", "018f0000-0000-7000-8000-000000000001")
}

/// The tenant `victim` with a user (answered), an attribute and a role,
/// each named so that [`concrete`] paths find them.
pub(crate) async fn victim(app: &TestApp) -> Value {
    app.create_tenant("victim").await;
    let user = app
        .create_user("victim", json!({"email": "v@x.example", "activate": true}))
        .await;
    app.post(
        "/api/v1/tenants/victim/attributes",
        &json!({"name": "keep", "label": "Keep"}),
    )
    .await;
    app.post("/api/v1/tenants/victim/roles", &json!({"name": "keep"}))
        .await;
    user
}

/// What the data looks like, to prove refused calls changed nothing.
pub(crate) async fn snapshot(app: &TestApp) -> Value {
    let users = body(app.get("/api/v1/tenants/victim/users?limit=200").await).await;
    json!({
        "users": users["items"],
        "attributes": body(app.get("/api/v1/tenants/victim/attributes").await).await["items"],
        "roles": body(app.get("/api/v1/tenants/victim/roles").await).await["items"],
        "settings": body(app.get("/api/v1/tenants/victim/settings").await).await,
        "tenants": body(app.get("/api/v1/tenants").await).await["total"],
        "outbox": body(app.get("/api/v1/tenants/victim/outbox").await).await["total"],
        "bulk": body(app.get("/api/v1/tenants/victim/bulk-processes").await).await["items"],
    })
}

#[tokio::test]
async fn every_route_answers_each_kind_of_caller_as_it_should() {
    let app = TestApp::spawn().await;
    let user = victim(&app).await;
    app.create_tenant("other").await;
    let other_admin = app.tenant_token("other", TokenScope::Admin).await;
    let victim_scim = app.tenant_token("victim", TokenScope::Scim).await;
    // A session of a user of the other tenant opens nothing in this one.
    let other_session = app
        .login_as("other", "o@x.example", "correct horse battery")
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let doc = body(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let before = snapshot(&app).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let concrete = concrete(path, &user);
            let call = |auth: Option<&str>| -> RequestBuilder {
                let mut r = app.client.request(m.clone(), app.url(&concrete));
                if let Some(a) = auth {
                    r = r.header("authorization", a);
                }
                if let Some(b) = body_for(&m, path) {
                    r = r.json(&b);
                }
                r
            };
            let status =
                |r: RequestBuilder| async move { r.send().await.unwrap().status().as_u16() };
            if is_public(path) {
                let s = status(call(None)).await;
                assert!(
                    s != 401 && s != 403 && s < 500,
                    "{method} {path}: public, got {s}"
                );
                checked += 1;
                continue;
            }
            if is_session_route(path) {
                let super_admin = format!("Bearer {}", usher_testkit::app::SUPER_TOKEN);
                for auth in [
                    None,
                    Some("Bearer"),
                    Some("Bearer usher_acc_not-a-real-token"),
                    Some(&*format!("Bearer {victim_scim}")),
                    Some(&*format!("Bearer {other_admin}")),
                    Some(super_admin.as_str()),
                    Some(&*format!("Bearer {other_session}")),
                ] {
                    let s = status(call(auth)).await;
                    assert_eq!(s, 401, "{method} {path} with {auth:?}");
                }
                checked += 1;
                continue;
            }
            let tenant_scoped = path.contains("{tenant}");
            let no_token = status(call(None)).await;
            let malformed = status(call(Some("Bearer"))).await;
            let unknown = status(call(Some("Bearer usher_at_not-a-real-token"))).await;
            let basic = status(call(Some("Basic dXNlcjpwYXNz"))).await;
            let scim = status(call(Some(&format!("Bearer {victim_scim}")))).await;
            let cross = status(call(Some(&format!("Bearer {other_admin}")))).await;
            assert_eq!(
                (no_token, malformed, unknown, basic),
                (401, 401, 401, 401),
                "{method} {path}"
            );
            assert_eq!(scim, 403, "{method} {path}: a SCIM token");
            let want_cross = if tenant_scoped { 404 } else { 403 };
            assert_eq!(cross, want_cross, "{method} {path}: another tenant's token");
            checked += 1;
        }
    }
    assert!(checked >= 24, "only {checked} operations were checked");
    assert_eq!(snapshot(&app).await, before, "a refused call changed data");
    // And the super-admin is let through everywhere (not 401/403/404-tenant).
    let token = format!("Bearer {}", usher_testkit::app::SUPER_TOKEN);
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if is_public(path) || is_session_route(path) {
                continue;
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let concrete = concrete(path, &user);
            let mut r = app
                .client
                .request(m.clone(), app.url(&concrete))
                .header("authorization", &token);
            if let Some(b) = body_for(&m, path) {
                r = r.json(&b);
            }
            let res = r.send().await.unwrap();
            let s = res.status().as_u16();
            let text = res.text().await.unwrap();
            let code = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["code"].as_str().map(str::to_owned));
            assert!(
                s != 401 && s != 403 && s < 500,
                "{method} {path}: super-admin got {s}"
            );
            assert_ne!(code.as_deref(), Some("tenant_not_found"), "{method} {path}");
        }
    }
}
