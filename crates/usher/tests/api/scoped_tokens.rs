//! API tokens with an admin scope over HTTP: a token acts with its role on
//! its scope, a scoped admin's token takes their scope and no other, a
//! tenant-wide admin limits a token to any scope, a person's token stops
//! when their scope moves away from it, and a group's delete takes the
//! tokens scoped to it along.

use crate::admins::{admin_token, admin_user, as_admin};
use crate::scopes::{directory, emails, scoped_admin, send};
use reqwest::Method;
use serde_json::{Value, json};
use usher_core::token::TokenScope;
use usher_testkit::app::{TestApp, json as body};

const T: &str = "/api/v1/tenants/default";

/// `POST /tokens` with `b` as the holder of `token`.
async fn make(app: &TestApp, token: &str, b: Value) -> (u16, Value) {
    send(app, token, Method::POST, "/tokens", b).await
}

/// `GET path` (below the tenant) with `token`.
async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    as_admin(app, Method::GET, &format!("{T}{path}"), token).await
}

fn secret(made: &Value) -> String {
    made["secret"].as_str().unwrap().to_owned()
}

/// The token.create events, newest first, as `(outcome, details)`.
async fn creations(app: &TestApp) -> Vec<(String, Value)> {
    let page = body(
        app.get(&format!("{T}/audit?action=token.create&limit=50"))
            .await,
    )
    .await;
    let items = page["items"].as_array().unwrap();
    items
        .iter()
        .map(|e| (e["outcome"].as_str().unwrap().into(), e["details"].clone()))
        .collect()
}

#[tokio::test]
async fn a_scoped_admins_token_takes_their_scope_and_sees_and_reaches_only_it() {
    let app = TestApp::spawn().await;
    let ids = directory(&app).await;
    let wide = body(
        app.post(&format!("{T}/tokens"), &json!({"name": "wide"}))
            .await,
    )
    .await;
    let support = json!({"group": "Support"});
    let (boss, person) = scoped_admin(
        &app,
        "boss@x.example",
        "tenant_admin",
        json!({"group": "support"}),
    )
    .await;
    let (status, made) = make(&app, &person, json!({"name": "desk", "role": "helpdesk"})).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["scope"], support, "the owner's scope: {made}");
    assert_eq!(made["owner_id"], boss.as_str());
    let token = secret(&made);
    // The token acts on the scope: lists and totals count it alone, a
    // user outside is not found, and tenant-wide routes are closed.
    let (status, page) = get(&app, &token, "/users").await;
    assert_eq!((status, page["total"].as_u64()), (200, Some(2)));
    assert_eq!(emails(&page), ["m1@x.example", "s1@x.example"]);
    let (status, problem) = get(&app, &token, &format!("/users/{}", ids["s2"])).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (404, Some("user_not_found"))
    );
    assert_eq!(
        get(&app, &token, &format!("/users/{}", ids["s1"])).await.0,
        200
    );
    let (status, problem) = get(&app, &token, "/groups").await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
    // A token wider than the owner, or of another scope, is refused.
    for (b, what) in [
        (json!({"name": "x", "scope": null}), "the whole tenant"),
        (
            json!({"name": "x", "scope": {"attribute": "department", "equals": "Sales"}}),
            "another scope",
        ),
        (json!({"name": "x", "scim": true}), "a SCIM token"),
    ] {
        let (status, problem) = make(&app, &person, b).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (403, Some("forbidden")),
            "{what}"
        );
    }
    let refused: Vec<_> = creations(&app)
        .await
        .into_iter()
        .filter(|(outcome, _)| outcome == "refused")
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert_eq!(refused[2].1["reason"], "outside_your_scope");
    assert_eq!(refused[2].1["your_scope"], support);
    // The scoped admin sees and revokes the tokens of their scope only.
    let (_, listed) = get(&app, &person, "/tokens").await;
    assert_eq!(
        (listed["total"].as_u64(), &listed["items"][0]["id"]),
        (Some(1), &made["id"])
    );
    let theirs = format!("/tokens/{}", wide["id"].as_str().unwrap());
    let (status, problem) = send(&app, &person, Method::DELETE, &theirs, json!({})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (404, Some("token_not_found"))
    );
    // Still there: the wide one, the directory's SCIM token, the scoped one.
    assert_eq!(
        body(app.get(&format!("{T}/tokens")).await).await["total"],
        3
    );
    let mine = format!("{T}/tokens/{}", made["id"].as_str().unwrap());
    assert_eq!(as_admin(&app, Method::DELETE, &mine, &person).await.0, 204);
    assert_eq!(get(&app, &token, "/users").await.0, 401);
}

#[tokio::test]
async fn a_tenant_wide_admin_limits_a_token_to_any_scope_and_a_bad_scope_is_named() {
    let app = TestApp::spawn().await;
    let ids = directory(&app).await;
    let sales = json!({"attribute": "department", "equals": "sales"});
    // A token of nobody, made by the super-admin token.
    let res = app
        .post(
            &format!("{T}/tokens"),
            &json!({"name": "sales desk", "role": "user_admin", "scope": sales}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let made = body(res).await;
    assert_eq!((&made["scope"], &made["owner_id"]), (&sales, &Value::Null));
    let token = secret(&made);
    let (_, page) = get(&app, &token, "/users").await;
    assert_eq!(
        emails(&page),
        ["s1@x.example", "s2@x.example", "s3@x.example"]
    );
    assert_eq!(
        get(&app, &token, &format!("/users/{}", ids["m1"])).await.0,
        404
    );
    // Its block is a quarantine of its scope.
    let block = format!("/users/{}/block", ids["s2"]);
    let (status, user) = send(&app, &token, Method::POST, &block, json!({})).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(
        user["blocked_by"],
        json!({"admin_id": null, "scope": sales})
    );
    let listed = body(app.get(&format!("{T}/tokens")).await).await;
    let items = listed["items"].as_array().unwrap();
    let shown = items.iter().find(|t| t["id"] == made["id"]).unwrap();
    assert_eq!(shown["scope"], sales);
    let created = creations(&app).await;
    assert_eq!(created[0].1["scope"], sales, "{created:?}");
    // A person of the whole tenant narrows a token of theirs.
    let ann = admin_user(&app, "ann@x.example", "tenant_admin").await;
    let (person, _) = admin_token(&app, "ann@x.example", None).await;
    let (status, made) = make(
        &app,
        &person,
        json!({"name": "g", "scope": {"group": "SUPPORT"}}),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(
        (&made["scope"], made["owner_id"].as_str()),
        (&json!({"group": "Support"}), Some(ann.as_str()))
    );
    let (_, page) = get(&app, &secret(&made), "/users").await;
    assert_eq!(page["total"], 2);
    // A bad scope is named as in an admin role grant.
    for (scope, field, code) in [
        (json!({"group": "Nobody"}), "scope.group", "unknown_group"),
        (
            json!({"attribute": "floor", "equals": "3"}),
            "scope.attribute",
            "unknown_attribute",
        ),
        (
            json!({"group": "Sales", "equals": "3"}),
            "scope",
            "invalid_value",
        ),
        (json!("Sales"), "scope", "invalid_type"),
        (
            json!({"attribute": "department", "equals": "a\u{1}"}),
            "scope.equals",
            "invalid_characters",
        ),
    ] {
        let (status, problem) = make(&app, &person, json!({"name": "x", "scope": scope})).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    // Super-admin and SCIM tokens act beyond any scope.
    let support = json!({"group": "Support"});
    for (path, b) in [
        (
            "/api/v1/tokens".to_owned(),
            json!({"name": "x", "scope": support}),
        ),
        (
            format!("{T}/tokens"),
            json!({"name": "x", "scim": true, "scope": support}),
        ),
    ] {
        let res = app.post(&path, &b).await;
        assert_eq!(res.status(), 422, "{path}");
        assert_eq!(body(res).await["errors"][0]["field"], "scope");
    }
}

/// `PUT /users/{id}/admin-roles/tenant_admin` under `scope`: its status.
async fn regrant(app: &TestApp, id: &str, scope: Value) -> u16 {
    let res = app
        .request(
            Method::PUT,
            &format!("{T}/users/{id}/admin-roles/tenant_admin"),
        )
        .json(&json!({"scope": scope}))
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

#[tokio::test]
async fn a_persons_token_is_refused_once_their_scope_is_no_longer_the_tokens() {
    let app = TestApp::spawn().await;
    directory(&app).await;
    let support = json!({"group": "Support"});
    let (boss, person) =
        scoped_admin(&app, "boss@x.example", "tenant_admin", support.clone()).await;
    let (_, made) = make(&app, &person, json!({"name": "support robot"})).await;
    let token = secret(&made);
    assert_eq!(get(&app, &token, "/users").await.0, 200);
    // Moved to another scope: the token is refused like one whose owner
    // lost the role.
    let sales = json!({"attribute": "department", "equals": "Sales"});
    assert_eq!(regrant(&app, &boss, sales).await, 204);
    assert_eq!(get(&app, &token, "/users").await.0, 401);
    // Back on the token's scope, or over the whole tenant, it works again,
    // and still on its own scope only.
    assert_eq!(regrant(&app, &boss, support.clone()).await, 204);
    assert_eq!(get(&app, &token, "/users").await.0, 200);
    assert_eq!(regrant(&app, &boss, Value::Null).await, 204);
    let (status, page) = get(&app, &token, "/users").await;
    assert_eq!((status, page["total"].as_u64()), (200, Some(2)));
    // A token of the whole tenant stops once its owner is narrowed.
    let ann = admin_user(&app, "ann@x.example", "tenant_admin").await;
    let (person, _) = admin_token(&app, "ann@x.example", None).await;
    let (_, wide) = make(&app, &person, json!({"name": "wide"})).await;
    assert_eq!(wide["scope"], Value::Null);
    assert_eq!(get(&app, &secret(&wide), "/users").await.0, 200);
    assert_eq!(regrant(&app, &ann, support).await, 204);
    assert_eq!(get(&app, &secret(&wide), "/users").await.0, 401);
}

#[tokio::test]
async fn deleting_the_group_of_a_tokens_scope_deletes_the_token() {
    let app = TestApp::spawn().await;
    directory(&app).await;
    let made = body(
        app.post(
            &format!("{T}/tokens"),
            &json!({"name": "g", "scope": {"group": "Support"}}),
        )
        .await,
    )
    .await;
    let token = secret(&made);
    assert_eq!(
        get(&app, &token, "/users").await.0,
        200,
        "works, and is cached now"
    );
    let groups = body(app.get(&format!("{T}/groups")).await).await;
    let group = groups["items"][0]["id"].as_str().unwrap().to_owned();
    let scim = app.tenant_token("default", TokenScope::Scim).await;
    let res = app
        .client
        .delete(app.url(&format!("/scim/v2/default/Groups/{group}")))
        .bearer_auth(scim)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(get(&app, &token, "/users").await.0, 401, "at once");
    let listed = body(app.get(&format!("{T}/tokens")).await).await;
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != made["id"]),
        "{listed}"
    );
}
