//! Admin scopes over HTTP: a scoped admin sees, counts, exports and acts
//! on the users of the scope only, everything tenant-wide is closed to
//! them, and a block they make is a quarantine that only their scope or a
//! tenant-wide admin lifts.

use crate::admins::{admin_token, as_admin};
use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::{TestApp, json as body};

const PASSWORD: &str = "correct horse battery";
const T: &str = "/api/v1/tenants/default";

/// `method path` with a JSON body as the admin holding `token`.
pub(crate) async fn send(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    b: Value,
) -> (u16, Value) {
    let res = app
        .client
        .request(method, app.url(&format!("{T}{path}")))
        .bearer_auth(token)
        .json(&b)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), body(res).await)
}

/// Users of department Sales, Marketing and none, and a group Support
/// (made over SCIM) holding one of each of the first two; answers their
/// ids by name.
pub(crate) async fn directory(app: &TestApp) -> std::collections::HashMap<&'static str, String> {
    let res = app
        .post(
            &format!("{T}/attributes"),
            &json!({"name": "department", "label": "Department"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let mut ids = std::collections::HashMap::new();
    for (name, department) in [
        ("s1", "Sales"),
        ("s2", "sales"),
        ("s3", "Sales"),
        ("m1", "Marketing"),
        ("m2", "Marketing"),
    ] {
        let user = app
            .create_user(
                "default",
                json!({"email": format!("{name}@x.example"), "activate": true,
                    "attributes": {"department": department}}),
            )
            .await;
        ids.insert(name, user["id"].as_str().unwrap().to_owned());
    }
    app.scim_group("default", "Support", &[&ids["s1"], &ids["m1"]])
        .await;
    ids
}

/// A person holding `role` under `scope`, logged in to the admin side;
/// answers their id and admin token.
pub(crate) async fn scoped_admin(
    app: &TestApp,
    email: &str,
    role: &str,
    scope: Value,
) -> (String, String) {
    let user = app.user_with_password("default", email, PASSWORD).await;
    let id = user["id"].as_str().unwrap().to_owned();
    let res = app
        .request(Method::PUT, &format!("{T}/users/{id}/admin-roles/{role}"))
        .json(&json!({"scope": scope}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "{}", body(res).await);
    let (token, _) = admin_token(app, email, None).await;
    (id, token)
}

pub(crate) fn emails(page: &Value) -> Vec<&str> {
    let items = page["items"].as_array().unwrap();
    items.iter().map(|u| u["email"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_scoped_admin_sees_counts_and_acts_on_the_users_of_the_scope_only() {
    let app = TestApp::spawn().await;
    let ids = directory(&app).await;
    let sales = json!({"attribute": "department", "equals": "SALES"});
    let (me, token) =
        scoped_admin(&app, "sales.admin@x.example", "user_admin", sales.clone()).await;
    let get = |path: String| {
        let (app, token) = (&app, &token);
        async move { as_admin(app, Method::GET, &format!("{T}{path}"), token).await }
    };
    let (_, who) = get("/admin/me".into()).await;
    assert_eq!(who["scope"], sales);
    let (status, page) = get("/users?limit=2".into()).await;
    assert_eq!((status, page["total"].as_u64()), (200, Some(3)));
    assert_eq!(emails(&page), ["s1@x.example", "s2@x.example"]);
    let (_, found) = get("/users?search=m1".into()).await;
    assert_eq!(found["total"], 0);
    let (status, problem) = get(format!("/users/{}", ids["m1"])).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (404, Some("user_not_found"))
    );
    let (status, _) = send(
        &app,
        &token,
        Method::POST,
        &format!("/users/{}/block", ids["m1"]),
        json!({}),
    )
    .await;
    assert_eq!(
        status, 404,
        "acting outside the scope is as if there were no such user"
    );
    let (status, _) = get(format!("/users/{}", ids["s2"])).await;
    assert_eq!(status, 200);
    let res = app
        .client
        .get(app.url(&format!("{T}/users/export?format=csv")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let csv = res.text().await.unwrap();
    assert!(
        csv.contains("s3@x.example") && !csv.contains("m2@x.example"),
        "{csv}"
    );
    // Creates stay in the scope.
    let (status, _) = send(
        &app,
        &token,
        Method::POST,
        "/users",
        json!({"email": "s4@x.example", "attributes": {"department": "Sales"}}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, problem) = send(
        &app,
        &token,
        Method::POST,
        "/users",
        json!({"email": "m3@x.example", "attributes": {"department": "Marketing"}}),
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
    // A user moved out of the scope drops out of view with that write.
    let (status, _) = send(
        &app,
        &token,
        Method::PATCH,
        &format!("/users/{}", ids["s2"]),
        json!({"attributes": {"department": "Marketing"}}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = get(format!("/users/{}", ids["s2"])).await;
    assert_eq!(status, 404);
    let (_, page) = get("/users".into()).await;
    assert_eq!(
        emails(&page),
        ["s1@x.example", "s3@x.example", "s4@x.example"]
    );
    // The grant is listed with its scope, and other scopes are refused.
    let admins = body(app.get(&format!("{T}/admins")).await).await;
    assert_eq!(admins["items"][0]["scope"], sales);
    for (role, scope, code) in [
        ("helpdesk", json!(null), "scope_conflict"),
        ("helpdesk", json!({"group": "Support"}), "scope_conflict"),
        (
            "user_admin",
            json!({"group": "Nobody"}),
            "validation_failed",
        ),
        (
            "user_admin",
            json!({"attribute": "floor", "equals": "3"}),
            "validation_failed",
        ),
    ] {
        let res = app
            .request(Method::PUT, &format!("{T}/users/{me}/admin-roles/{role}"))
            .json(&json!({"scope": scope}))
            .send()
            .await
            .unwrap();
        assert_eq!(body(res).await["code"], code, "{role} {scope}");
    }
    let audit = body(
        app.get(&format!("{T}/audit?action=admin.forbidden&limit=20"))
            .await,
    )
    .await;
    let reasons: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["details"]["reason"].as_str())
        .collect();
    assert!(reasons.contains(&"outside_scope"), "{reasons:?}");
}

#[tokio::test]
async fn everything_tenant_wide_is_closed_to_a_scoped_tenant_admin() {
    let app = TestApp::spawn().await;
    let ids = directory(&app).await;
    let (_, token) = scoped_admin(
        &app,
        "boss@x.example",
        "tenant_admin",
        json!({"group": "support"}),
    )
    .await;
    let (status, page) = as_admin(&app, Method::GET, &format!("{T}/users"), &token).await;
    assert_eq!(
        (status, emails(&page)),
        (200, vec!["m1@x.example", "s1@x.example"])
    );
    for path in [
        "/audit",
        "/admins",
        "/bulk-processes",
        "/imports",
        "/jobs",
        "/groups",
        "/roles",
    ] {
        let (status, problem) = as_admin(&app, Method::GET, &format!("{T}{path}"), &token).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (403, Some("forbidden")),
            "{path}"
        );
    }
    let (status, _) = send(
        &app,
        &token,
        Method::PATCH,
        "/settings",
        json!({"min_search_length": 3}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = as_admin(&app, Method::GET, &format!("{T}/settings"), &token).await;
    assert_eq!(status, 200, "the tenant's own settings stay readable");
    // A scoped tenant_admin makes no admins, and changes none.
    let s1 = &ids["s1"];
    let path = format!("/users/{s1}/roles/tenant_admin");
    let (status, _) = send(&app, &token, Method::PUT, &path, json!({})).await;
    assert_eq!(status, 403);
    let (status, _) = send(
        &app,
        &token,
        Method::GET,
        &format!("/users/{s1}/groups"),
        json!({}),
    )
    .await;
    assert_eq!(status, 403, "a user's groups list other members");
    app.grant_admin("default", s1, "helpdesk").await;
    let (status, problem) = send(
        &app,
        &token,
        Method::POST,
        &format!("/users/{s1}/block"),
        json!({}),
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
}

#[tokio::test]
async fn a_quarantine_is_lifted_only_from_its_own_scope_or_by_a_tenant_wide_admin() {
    let app = TestApp::spawn().await;
    let ids = directory(&app).await;
    let s1 = &ids["s1"];
    let by_value = json!({"attribute": "department", "equals": "Sales"});
    let (a, sales) = scoped_admin(&app, "a@x.example", "user_admin", by_value.clone()).await;
    let (_, support) = scoped_admin(
        &app,
        "b@x.example",
        "user_admin",
        json!({"group": "Support"}),
    )
    .await;
    let block = format!("/users/{s1}/block");
    let unblock = format!("/users/{s1}/unblock");
    let (status, user) = send(&app, &sales, Method::POST, &block, json!({})).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(
        user["blocked_by"],
        json!({"admin_id": a, "scope": by_value})
    );
    // The other scope sees the user but may not lift the quarantine.
    let (status, problem) = send(&app, &support, Method::POST, &unblock, json!({})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("quarantine_other_scope"))
    );
    // Nor disable them, which an enable would follow, nor delete them.
    let disable = format!("/users/{s1}/disable");
    let (status, problem) = send(&app, &support, Method::POST, &disable, json!({})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("quarantine_other_scope"))
    );
    let (status, problem) = send(
        &app,
        &support,
        Method::DELETE,
        &format!("/users/{s1}"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("quarantine_other_scope"))
    );
    let user = body(app.get(&format!("{T}/users/{s1}")).await).await;
    assert_eq!(user["state"], "blocked");
    // A tenant-wide admin may.
    let res = app.post(&format!("{T}{unblock}"), &json!({})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["blocked_by"], Value::Null);
    // And the blocking scope may lift its own.
    let (status, _) = send(&app, &support, Method::POST, &block, json!({})).await;
    assert_eq!(status, 200);
    let (status, problem) = send(&app, &sales, Method::POST, &unblock, json!({})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("quarantine_other_scope"))
    );
    let (status, user) = send(&app, &support, Method::POST, &unblock, json!({})).await;
    assert_eq!((status, user["state"].as_str()), (200, Some("active")));
}
