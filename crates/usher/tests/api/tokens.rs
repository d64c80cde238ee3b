//! API tokens over HTTP: made with a name and an expiry, listed without
//! their secrets with their creator and last use, refused once revoked or
//! expired, and the bootstrap token gone once its variable is unset.

use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::{SUPER_TOKEN, TestApp, TestOptions, json as body};

const TOKENS: &str = "/api/v1/tenants/default/tokens";

/// A call of `GET /users` with this bearer token: its status.
async fn users_status(app: &TestApp, secret: &str) -> u16 {
    app.client
        .get(app.url("/api/v1/tenants/default/users"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn audit_actions(app: &TestApp, action: &str) -> Vec<Value> {
    let page = body(
        app.get(&format!(
            "/api/v1/tenants/default/audit?action={action}&limit=200"
        ))
        .await,
    )
    .await;
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_created_token_shows_its_secret_once_and_is_listed_with_creator_and_last_use() {
    let app = TestApp::spawn().await;
    let res = app.post(TOKENS, &json!({"name": "deploy bot"})).await;
    assert_eq!(res.status().as_u16(), 201);
    let made = body(res).await;
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("usher_at_"), "{made}");
    assert_eq!(made["role"], "tenant_admin");
    assert_eq!(made["scope"], Value::Null);
    assert_eq!(made["expires_at"], Value::Null);
    assert_eq!(
        made["created_by"]["kind"], "token",
        "made by the super-admin token: {made}"
    );
    assert_eq!(made["last_used_at"], Value::Null);

    assert_eq!(users_status(&app, &secret).await, 200);
    let list = body(app.get(TOKENS).await).await;
    assert_eq!(list["total"], 1, "{list}");
    let listed = &list["items"][0];
    assert_eq!(listed["id"], made["id"]);
    assert_eq!(listed["name"], "deploy bot");
    assert!(
        listed.get("secret").is_none(),
        "a list never shows secrets: {listed}"
    );
    assert!(!list.to_string().contains(&secret));
    assert!(listed["last_used_at"].is_string(), "used once: {listed}");
    assert_eq!(audit_actions(&app, "token.list").await.len(), 1);
}

#[tokio::test]
async fn a_revoked_token_is_refused_from_the_next_request_and_the_revoke_is_audited() {
    let app = TestApp::spawn().await;
    let made = body(app.post(TOKENS, &json!({"name": "leaked"})).await).await;
    let secret = made["secret"].as_str().unwrap();
    assert_eq!(
        users_status(&app, secret).await,
        200,
        "works, and is cached now"
    );
    let id = made["id"].as_str().unwrap();
    let res = app.delete(&format!("{TOKENS}/{id}")).await;
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(users_status(&app, secret).await, 401);
    assert_eq!(body(app.get(TOKENS).await).await["total"], 0);
    let again = app.delete(&format!("{TOKENS}/{id}")).await;
    assert_eq!(again.status().as_u16(), 404);
    assert_eq!(body(again).await["code"], "token_not_found");
    let events = audit_actions(&app, "token.revoke").await;
    let outcomes: Vec<_> = events
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["refused", "success"], "newest first: {events:?}");
}

#[tokio::test]
async fn a_token_stops_working_when_it_expires() {
    let app = TestApp::spawn().await;
    let at = app.clock_now() + time::Duration::hours(1);
    let made = body(
        app.post(
            TOKENS,
            &json!({"name": "temp", "expires_at": at.format(&time::format_description::well_known::Rfc3339).unwrap()}),
        )
        .await,
    )
    .await;
    let secret = made["secret"].as_str().unwrap();
    assert!(made["expires_at"].is_string(), "{made}");
    assert_eq!(users_status(&app, secret).await, 200);
    app.clock.advance(time::Duration::minutes(61));
    assert_eq!(
        users_status(&app, secret).await,
        401,
        "expired, even though cached"
    );
}

#[tokio::test]
async fn a_bad_token_request_names_every_field_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            TOKENS,
            &json!({"name": 7, "expires_at": "tomorrow", "role": "owner",
                "scope": {"group": "Sales", "equals": "x"}, "secret": "mine", "colour": "red"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let problem = body(res).await;
    let mut fields: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().into(),
                e["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("colour", "unknown_field"),
            ("expires_at", "invalid_value"),
            ("name", "invalid_type"),
            ("role", "invalid_value"),
            ("scope", "invalid_value"),
            ("secret", "read_only"),
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
    let past = app
        .post(
            TOKENS,
            &json!({"name": "x", "expires_at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(past.status().as_u16(), 422);
    assert_eq!(body(past).await["errors"][0]["field"], "expires_at");
    let scim_super = app
        .post("/api/v1/tokens", &json!({"name": "x", "scim": true}))
        .await;
    assert_eq!(scim_super.status().as_u16(), 400);
    assert_eq!(body(scim_super).await["code"], "tenant_required");
    assert_eq!(body(app.get(TOKENS).await).await["total"], 0);
    let refused = audit_actions(&app, "token.create").await;
    assert_eq!(refused.len(), 2, "both refusals of the tenant are audited");
}

#[tokio::test]
async fn a_tenant_admin_sees_and_revokes_only_its_own_tenants_tokens() {
    let app = TestApp::spawn().await;
    app.create_tenant("other").await;
    let theirs = body(
        app.post("/api/v1/tenants/other/tokens", &json!({"name": "theirs"}))
            .await,
    )
    .await;
    let mine = body(app.post(TOKENS, &json!({"name": "mine"})).await).await;
    let mine_secret = mine["secret"].as_str().unwrap();
    let as_mine = |m: Method, path: String| {
        app.client
            .request(m, app.url(&path))
            .bearer_auth(mine_secret)
    };
    let list = body(as_mine(Method::GET, TOKENS.into()).send().await.unwrap()).await;
    assert_eq!(list["total"], 1);
    let res = as_mine(
        Method::DELETE,
        format!("{TOKENS}/{}", theirs["id"].as_str().unwrap()),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        res.status().as_u16(),
        404,
        "another tenant's token is not found here"
    );
    let still = app
        .client
        .get(app.url("/api/v1/tenants/other/users"))
        .bearer_auth(theirs["secret"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        still.status().as_u16(),
        200,
        "the other tenant's token still works"
    );
    let res = as_mine(Method::GET, "/api/v1/tokens".into())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status().as_u16(),
        403,
        "super-admin tokens are not a tenant's"
    );
}

#[tokio::test]
async fn super_admin_tokens_are_managed_apart_and_a_scim_token_is_made_for_a_tenant() {
    let app = TestApp::spawn().await;
    let root = body(app.post("/api/v1/tokens", &json!({"name": "ops"})).await).await;
    assert_eq!(root["role"], "super_admin");
    let list = body(app.get("/api/v1/tokens").await).await;
    let names: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    assert_eq!(names, [json!("bootstrap"), json!("ops")]);
    let scim = body(
        app.post(TOKENS, &json!({"name": "entra", "scim": true}))
            .await,
    )
    .await;
    assert_eq!(scim["role"], "scim");
    assert!(scim["secret"].as_str().unwrap().starts_with("usher_scim_"));
    assert_eq!(
        users_status(&app, scim["secret"].as_str().unwrap()).await,
        403
    );
    let res = app
        .delete(&format!("/api/v1/tokens/{}", root["id"].as_str().unwrap()))
        .await;
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(
        users_status(&app, root["secret"].as_str().unwrap()).await,
        401
    );
}

#[tokio::test]
async fn the_bootstrap_token_is_revoked_when_a_server_starts_without_its_variable() {
    let first = TestApp::spawn().await;
    assert_eq!(users_status(&first, SUPER_TOKEN).await, 200);
    let second = TestApp::spawn_on(
        &first,
        TestOptions {
            without_bootstrap_token: true,
            ..TestOptions::default()
        },
    )
    .await;
    assert_eq!(users_status(&second, SUPER_TOKEN).await, 401);
    let tokens = second.services.store.list_tokens(None).await.unwrap();
    assert!(tokens.is_empty(), "{tokens:?}");
}

#[tokio::test]
async fn a_token_revoked_in_one_process_is_refused_by_another_within_five_seconds() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_on(&first, TestOptions::default()).await;
    let made = body(first.post(TOKENS, &json!({"name": "shared"})).await).await;
    let secret = made["secret"].as_str().unwrap();
    // The second process has the token in its cache now.
    assert_eq!(users_status(&second, secret).await, 200);
    let id = made["id"].as_str().unwrap();
    assert_eq!(first.delete(&format!("{TOKENS}/{id}")).await.status(), 204);
    assert_eq!(
        users_status(&first, secret).await,
        401,
        "at once where it was revoked"
    );
    // The stated bound is the token cache's life (5 s): wait it out.
    tokio::time::sleep(std::time::Duration::from_millis(5_100)).await;
    assert_eq!(
        users_status(&second, secret).await,
        401,
        "within 5 s everywhere"
    );
}
