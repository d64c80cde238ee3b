//! The admin roles: every tenant route of the OpenAPI document is called
//! with a token of every role, and must answer as the matrix in
//! `docs/admin-roles.md` says. A refused call answers 403 `forbidden`,
//! is audited, and changes nothing.

use crate::matrix::{body_for, concrete, snapshot, victim};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use usher_testkit::app::{TestApp, json as body};

const ROLES: [&str; 5] = [
    "tenant_admin",
    "user_admin",
    "helpdesk",
    "auditor",
    "bulk_operator",
];

/// The documented matrix: (method, OpenAPI path) → whether each role of
/// [`ROLES`] may call it, in that order.
fn documented_matrix() -> BTreeMap<(String, String), Vec<bool>> {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/admin-roles.md"),
    )
    .expect("docs/admin-roles.md");
    let table = doc
        .split("<!-- generated: route-matrix -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- end: route-matrix -->").next())
        .expect("the route matrix");
    let mut lines = table.lines().filter(|l| l.starts_with('|'));
    let header: Vec<&str> = lines.next().unwrap().split('|').map(str::trim).collect();
    assert_eq!(&header[3..8], &ROLES, "the matrix's columns");
    lines
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let route = cells[2].trim_matches('`');
            let path = format!(
                "/api/v1/tenants/{{tenant}}{}",
                if route == "/" { "" } else { route }
            );
            let allowed = cells[3..8].iter().map(|c| *c == "yes").collect();
            ((cells[1].to_owned(), path), allowed)
        })
        .collect()
}

async fn call(app: &TestApp, token: &str, method: &str, path: &str, user: &Value) -> (u16, Value) {
    let m = Method::from_bytes(method.as_bytes()).unwrap();
    let mut r = app
        .client
        .request(m.clone(), app.url(&concrete(path, user)))
        .header("authorization", format!("Bearer {token}"));
    if let Some(b) = body_for(&m, path) {
        r = r.json(&b);
    }
    let res = r.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_tenant_route_answers_each_admin_role_as_the_documented_matrix_says() {
    let app = TestApp::spawn().await;
    let user = victim(&app).await;
    let mut tokens = Vec::new();
    for role in ROLES {
        tokens.push(app.role_token("victim", role).await);
    }
    let matrix = documented_matrix();
    let openapi = body(app.get("/openapi.json").await).await;
    let mut routes = Vec::new();
    let mut missing = Vec::new();
    for (path, item) in openapi["paths"].as_object().unwrap() {
        // The tenant's admin routes; its `/auth/` routes are its users',
        // and the admin login is open to anyone.
        if !path.starts_with("/api/v1/tenants/{tenant}")
            || path.contains("/auth/")
            || path.contains("/admin/login")
        {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let key = (method.to_uppercase(), path.clone());
            match matrix.get(&key) {
                Some(allowed) => routes.push((key, allowed.clone())),
                None => missing.push(key),
            }
        }
    }
    assert!(
        missing.is_empty(),
        "not in docs/admin-roles.md: {missing:?}"
    );
    assert_eq!(
        routes.len(),
        matrix.len(),
        "the matrix lists routes that do not exist"
    );
    assert!(routes.len() >= 45, "only {} routes", routes.len());

    // Every refused call first, so that they meet the data as it was.
    let before = snapshot(&app).await;
    let mut refused = 0;
    for ((method, path), allowed) in &routes {
        for (i, role) in ROLES.iter().enumerate() {
            if allowed[i] {
                continue;
            }
            let (status, problem) = call(&app, &tokens[i], method, path, &user).await;
            assert_eq!(
                (status, problem["code"].as_str()),
                (403, Some("forbidden")),
                "{role}: {method} {path}"
            );
            refused += 1;
        }
    }
    assert_eq!(snapshot(&app).await, before, "a refused call changed data");
    let audit = body(
        app.get("/api/v1/tenants/victim/audit?action=admin.forbidden&limit=200")
            .await,
    )
    .await;
    let events = audit["items"].as_array().unwrap();
    assert!(!events.is_empty(), "refusals are audited");
    assert!(
        events.iter().all(|e| e["outcome"] == "refused"
            && ROLES.contains(&e["details"]["role"].as_str().unwrap())
            && e["details"]["route"]
                .as_str()
                .unwrap()
                .starts_with("/api/v1/tenants/")),
        "{events:?}"
    );

    // Then every allowed one: never 401 or 403 (404 or 409 may follow
    // from what an earlier call did, which is not this test's business).
    let mut let_through = 0;
    for ((method, path), allowed) in &routes {
        for (i, role) in ROLES.iter().enumerate() {
            if !allowed[i] {
                continue;
            }
            let (status, problem) = call(&app, &tokens[i], method, path, &user).await;
            assert!(
                status != 401 && status != 403 && status < 500,
                "{role}: {method} {path} got {status} {problem}"
            );
            let_through += 1;
        }
    }
    assert!(
        refused > 60 && let_through > 100,
        "{refused} refused, {let_through} let through"
    );
}

#[tokio::test]
async fn only_a_tenant_admin_gives_or_takes_admin_roles_and_a_user_admin_the_tenants_own() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme").await;
    let user = app
        .create_user("acme", json!({"email": "u@x.example", "activate": true}))
        .await;
    let id = user["id"].as_str().unwrap();
    app.post("/api/v1/tenants/acme/roles", &json!({"name": "sales"}))
        .await;
    let user_admin = app.role_token("acme", "user_admin").await;
    let tenant_admin = app.role_token("acme", "tenant_admin").await;
    let put = |token: &str, role: &str| {
        app.client
            .put(app.url(&format!("/api/v1/tenants/acme/users/{id}/roles/{role}")))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(put(&user_admin, "sales").await.unwrap().status(), 204);
    let refused = put(&user_admin, "tenant_admin").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(body(refused).await["code"], "forbidden");
    assert_eq!(
        put(&tenant_admin, "user_admin").await.unwrap().status(),
        204
    );
    let take = app
        .client
        .delete(app.url(&format!("/api/v1/tenants/acme/users/{id}/roles/user_admin")))
        .bearer_auth(&user_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(take.status(), 403, "nor take one");
    let roles = body(
        app.get(&format!("/api/v1/tenants/acme/users/{id}/roles"))
            .await,
    )
    .await;
    let names: Vec<&str> = roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sales", "user_admin"]);
}

#[tokio::test]
async fn a_token_is_made_with_any_admin_role_and_lists_it_but_no_other() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme").await;
    let bad = app
        .post(
            "/api/v1/tenants/acme/tokens",
            &json!({"name": "x", "role": "boss"}),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = body(bad).await;
    assert_eq!(bad["errors"][0]["field"], "role");
    assert_eq!(bad["errors"][0]["code"], "invalid_value");
    let made = body(
        app.post(
            "/api/v1/tenants/acme/tokens",
            &json!({"name": "desk", "role": "helpdesk"}),
        )
        .await,
    )
    .await;
    assert_eq!(made["role"], "helpdesk");
    let listed = body(app.get("/api/v1/tenants/acme/tokens").await).await;
    let desk = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "desk")
        .expect("listed");
    assert_eq!(desk["role"], "helpdesk");
    // A helpdesk token cannot make tokens, so none more powerful than it.
    let secret = made["secret"].as_str().unwrap();
    let refused = app
        .client
        .post(app.url("/api/v1/tenants/acme/tokens"))
        .bearer_auth(secret)
        .json(&json!({"name": "escalate", "role": "tenant_admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn only_a_tenant_admin_changes_a_person_who_holds_an_admin_role() {
    let app = TestApp::spawn().await;
    app.create_tenant("acme").await;
    let boss = app
        .create_user("acme", json!({"email": "boss@x.example", "activate": true}))
        .await;
    let plain = app
        .create_user(
            "acme",
            json!({"email": "plain@x.example", "activate": true}),
        )
        .await;
    let boss_id = boss["id"].as_str().unwrap();
    app.grant_admin("acme", boss_id, "tenant_admin").await;
    let user_admin = app.role_token("acme", "user_admin").await;
    let tenant_admin = app.role_token("acme", "tenant_admin").await;
    let patch = |token: &str, id: &str, email: &str| {
        app.client
            .patch(app.url(&format!("/api/v1/tenants/acme/users/{id}")))
            .bearer_auth(token)
            .json(&json!({"email": email}))
            .send()
    };
    // A user_admin may not take over a tenant_admin by changing their email…
    let refused = patch(&user_admin, boss_id, "mine@attacker.example")
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(body(refused).await["code"], "forbidden");
    for action in ["block", "disable", "password-reset", "mfa-reset"] {
        let res = app
            .client
            .post(app.url(&format!("/api/v1/tenants/acme/users/{boss_id}/{action}")))
            .bearer_auth(&user_admin)
            .json(&json!({"reason": "test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{action}");
    }
    let still = body(
        app.get(&format!("/api/v1/tenants/acme/users/{boss_id}"))
            .await,
    )
    .await;
    assert_eq!(
        (still["email"].as_str(), still["state"].as_str()),
        (Some("boss@x.example"), Some("active"))
    );
    // …but reads them, changes everyone else, and a tenant_admin changes both.
    let read = app
        .client
        .get(app.url(&format!("/api/v1/tenants/acme/users/{boss_id}")))
        .bearer_auth(&user_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let plain_id = plain["id"].as_str().unwrap();
    let moved = patch(&user_admin, plain_id, "plain2@x.example").await;
    assert_eq!(moved.unwrap().status(), 200);
    let moved = patch(&tenant_admin, boss_id, "boss2@x.example").await;
    assert_eq!(moved.unwrap().status(), 200);
    let audit = body(
        app.get("/api/v1/tenants/acme/audit?action=admin.forbidden&limit=10")
            .await,
    )
    .await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["details"]["reason"] == "target_is_admin"),
        "{audit}"
    );
}
