//! Admins as people: the admin login with its always-required second
//! factor, the admin session's token and what it may do, and everything
//! that ends it.

use crate::sessions::mfa::totp_now;
use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::{TestApp, json as body};

const PASSWORD: &str = "correct horse battery";
const T: &str = "/api/v1/tenants/default";

async fn post(app: &TestApp, path: &str, json: Value) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&format!("{T}{path}")))
        .json(&json)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), body(res).await)
}

pub(crate) async fn as_admin(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
) -> (u16, Value) {
    let res = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A user with a password holding `role`; answers their id.
pub(crate) async fn admin_user(app: &TestApp, email: &str, role: &str) -> String {
    let user = app.user_with_password("default", email, PASSWORD).await;
    let id = user["id"].as_str().unwrap().to_owned();
    let res = app
        .request(Method::PUT, &format!("{T}/users/{id}/roles/{role}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    id
}

/// Logs `email` in to the admin side with a code of the authenticator
/// `secret`, or enrolling one on the way when there is none; answers the
/// admin token and the authenticator's secret.
pub(crate) async fn admin_token(
    app: &TestApp,
    email: &str,
    secret: Option<&str>,
) -> (String, String) {
    let (status, first) = post(
        app,
        "/admin/login",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let enrolment = first["enrolment_required"].as_bool().unwrap_or(false);
    assert_eq!(enrolment, secret.is_none(), "{first}");
    let secret = match secret {
        Some(s) => s.to_owned(),
        None => first["totp"]["secret"].as_str().unwrap().to_owned(),
    };
    let (status, done) = post(
        app,
        "/admin/login/mfa",
        json!({"mfa_token": first["mfa_token"], "code": totp_now(app, &secret, 0)}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["token_type"], "Bearer");
    assert_eq!(done["expires_in"], 30 * 60);
    (done["admin_token"].as_str().unwrap().to_owned(), secret)
}

#[tokio::test]
async fn only_a_right_password_of_an_admin_gets_past_the_first_step_and_all_else_looks_alike() {
    let app = TestApp::spawn().await;
    admin_user(&app, "boss@x.example", "helpdesk").await;
    // A user who is no admin, and logs in to their own account.
    let user = app.login_as("default", "plain@x.example", PASSWORD).await;
    assert!(user["access_token"].is_string());
    for (email, password) in [
        ("boss@x.example", "wrong password!"),
        ("nobody@x.example", PASSWORD),
        ("plain@x.example", PASSWORD),
    ] {
        let (status, problem) = post(
            &app,
            "/admin/login",
            json!({"email": email, "password": password}),
        )
        .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (401, Some("invalid_credentials")),
            "{email}"
        );
    }
    let audit = body(
        app.get(&format!("{T}/audit?action=admin.login&limit=10"))
            .await,
    )
    .await;
    let reasons: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["details"]["reason"].as_str().unwrap_or(""))
        .collect();
    assert!(reasons.contains(&"not_an_admin"), "{reasons:?}");
}

#[tokio::test]
async fn an_admin_enrols_a_second_factor_at_first_login_and_the_token_acts_as_them() {
    let app = TestApp::spawn().await;
    let id = admin_user(&app, "desk@x.example", "helpdesk").await;
    let (token, secret) = admin_token(&app, "desk@x.example", None).await;
    let (status, me) = as_admin(&app, Method::GET, &format!("{T}/admin/me"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(
        (me["kind"].as_str(), me["id"].as_str(), me["name"].as_str()),
        (Some("user"), Some(id.as_str()), Some("desk@x.example"))
    );
    assert_eq!(me["roles"], json!(["helpdesk"]));
    // What a helpdesk may and may not do.
    let (status, _) = as_admin(&app, Method::GET, &format!("{T}/users"), &token).await;
    assert_eq!(status, 200);
    let (status, problem) = as_admin(&app, Method::GET, &format!("{T}/audit"), &token).await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
    let (status, _) = as_admin(&app, Method::GET, "/api/v1/tenants", &token).await;
    assert_eq!(status, 403, "no super-admin call");
    // Audit events name the person.
    let audit = body(
        app.get(&format!("{T}/audit?action=user.list&limit=5"))
            .await,
    )
    .await;
    let actor = &audit["items"][0]["actor"];
    assert_eq!(
        (
            actor["kind"].as_str(),
            actor["id"].as_str(),
            actor["email"].as_str()
        ),
        (Some("user"), Some(id.as_str()), Some("desk@x.example"))
    );
    // The next login asks for a code from the enrolled app, not a new one.
    let (_, again) = post(
        &app,
        "/admin/login",
        json!({"email": "desk@x.example", "password": PASSWORD}),
    )
    .await;
    assert_eq!(again["mfa_required"], true);
    assert!(again.get("totp").is_none(), "{again}");
    let (status, _) = post(
        &app,
        "/admin/login/mfa",
        json!({"mfa_token": again["mfa_token"], "code": totp_now(&app, &secret, 1)}),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_challenge_of_one_side_does_not_open_a_session_on_the_other() {
    let app = TestApp::spawn().await;
    admin_user(&app, "both@x.example", "auditor").await;
    let (_, secret) = admin_token(&app, "both@x.example", None).await;
    // The end-user login now asks for the same authenticator.
    let (status, user_step) = post(
        &app,
        "/auth/login",
        json!({"email": "both@x.example", "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        (status, user_step["mfa_required"].as_bool()),
        (200, Some(true))
    );
    let code = totp_now(&app, &secret, 1);
    let (status, problem) = post(
        &app,
        "/admin/login/mfa",
        json!({"mfa_token": user_step["mfa_token"], "code": code}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("invalid_token"))
    );
    let (_, admin_step) = post(
        &app,
        "/admin/login",
        json!({"email": "both@x.example", "password": PASSWORD}),
    )
    .await;
    let (status, problem) = post(
        &app,
        "/auth/login/mfa",
        json!({"mfa_token": admin_step["mfa_token"], "code": code}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("invalid_token"))
    );
}

#[tokio::test]
async fn the_token_ends_with_logout_idleness_a_lost_role_a_block_and_in_another_tenant_is_unknown()
{
    let app = TestApp::spawn().await;
    let id = admin_user(&app, "ops@x.example", "user_admin").await;
    let me = format!("{T}/admin/me");

    let (token, secret) = admin_token(&app, "ops@x.example", None).await;
    app.create_tenant("other").await;
    let (status, _) = as_admin(&app, Method::GET, "/api/v1/tenants/other/users", &token).await;
    assert_eq!(status, 404, "another tenant is hidden");
    let (status, _) = as_admin(&app, Method::POST, &format!("{T}/admin/logout"), &token).await;
    assert_eq!(status, 204);
    assert_eq!(as_admin(&app, Method::GET, &me, &token).await.0, 401);

    // Idle for the tenant's 30 minutes: gone; used within them: kept.
    // (Each login waits for a new code: a code is good for one login.)
    app.clock.advance(time::Duration::minutes(1));
    let (token, _) = admin_token(&app, "ops@x.example", Some(&secret)).await;
    app.clock.advance(time::Duration::minutes(29));
    assert_eq!(as_admin(&app, Method::GET, &me, &token).await.0, 200);
    app.clock.advance(time::Duration::minutes(29));
    assert_eq!(as_admin(&app, Method::GET, &me, &token).await.0, 200);
    app.clock.advance(time::Duration::minutes(31));
    assert_eq!(as_admin(&app, Method::GET, &me, &token).await.0, 401);

    // Losing the admin role ends what the token can do at once.
    app.clock.advance(time::Duration::minutes(1));
    let (token, _) = admin_token(&app, "ops@x.example", Some(&secret)).await;
    let res = app
        .request(Method::DELETE, &format!("{T}/users/{id}/roles/user_admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(as_admin(&app, Method::GET, &me, &token).await.0, 401);

    // So does a block.
    let res = app
        .request(Method::PUT, &format!("{T}/users/{id}/roles/user_admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    app.clock.advance(time::Duration::minutes(1));
    let (token, _) = admin_token(&app, "ops@x.example", Some(&secret)).await;
    app.post(&format!("{T}/users/{id}/block"), &json!({})).await;
    assert_eq!(as_admin(&app, Method::GET, &me, &token).await.0, 401);

    // An API token has no session to log out of.
    let (status, problem) = as_admin(
        &app,
        Method::POST,
        &format!("{T}/admin/logout"),
        &app.role_token("default", "auditor").await,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("not_an_admin_session"))
    );
}

#[tokio::test]
async fn a_token_made_by_a_person_is_theirs_and_works_only_while_they_may_do_what_it_does() {
    let app = TestApp::spawn().await;
    let id = admin_user(&app, "owner@x.example", "tenant_admin").await;
    let (person, _) = admin_token(&app, "owner@x.example", None).await;
    let made = app
        .client
        .post(app.url(&format!("{T}/tokens")))
        .bearer_auth(&person)
        .json(&json!({"name": "desk robot", "role": "helpdesk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let made = body(made).await;
    assert_eq!(made["owner_id"], id.as_str());
    assert_eq!(made["created_by"]["kind"], "user");
    let token = made["secret"].as_str().unwrap().to_owned();
    let users = format!("{T}/users");
    assert_eq!(as_admin(&app, Method::GET, &users, &token).await.0, 200);
    // Its calls name the token and its owner.
    let audit = body(
        app.get(&format!("{T}/audit?action=user.list&limit=1"))
            .await,
    )
    .await;
    let actor = &audit["items"][0]["actor"];
    assert_eq!(
        (actor["kind"].as_str(), actor["owner_id"].as_str()),
        (Some("token"), Some(id.as_str()))
    );

    // The owner loses tenant_admin: the token stops at once; holding the
    // token's own role is enough to keep it working.
    let role = |method: Method, role: &'static str| {
        app.request(method, &format!("{T}/users/{id}/roles/{role}"))
            .send()
    };
    assert_eq!(role(Method::PUT, "helpdesk").await.unwrap().status(), 204);
    assert_eq!(
        role(Method::DELETE, "tenant_admin").await.unwrap().status(),
        204
    );
    assert_eq!(as_admin(&app, Method::GET, &users, &token).await.0, 200);
    assert_eq!(
        role(Method::DELETE, "helpdesk").await.unwrap().status(),
        204
    );
    assert_eq!(as_admin(&app, Method::GET, &users, &token).await.0, 401);
    // Deleting the owner removes the token with them.
    assert_eq!(
        role(Method::PUT, "tenant_admin").await.unwrap().status(),
        204
    );
    assert_eq!(as_admin(&app, Method::GET, &users, &token).await.0, 200);
    assert_eq!(app.delete(&format!("{T}/users/{id}")).await.status(), 204);
    let listed = body(app.get(&format!("{T}/tokens")).await).await;
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["name"] != "desk robot"),
        "{listed}"
    );
}

#[tokio::test]
async fn admin_roles_are_granted_listed_and_revoked_and_a_bad_scope_is_named() {
    let app = TestApp::spawn().await;
    let ann = app
        .create_user(
            "default",
            json!({"email": "ann@x.example", "activate": true}),
        )
        .await;
    let id = ann["id"].as_str().unwrap();
    let grant = |role: &str, body: Option<Value>| {
        let mut r = app.request(Method::PUT, &format!("{T}/users/{id}/admin-roles/{role}"));
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send()
    };
    assert_eq!(grant("auditor", None).await.unwrap().status(), 204);
    let with_null = grant("helpdesk", Some(json!({"scope": null})))
        .await
        .unwrap();
    assert_eq!(with_null.status(), 204);
    for (scope, field, code) in [
        (json!({"group": "Sales"}), "scope.group", "unknown_group"),
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
    ] {
        let scoped = grant("user_admin", Some(json!({"scope": scope})))
            .await
            .unwrap();
        assert_eq!(scoped.status(), 422);
        let problem = body(scoped).await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    let not_admin = grant("sales", None).await.unwrap();
    assert_eq!(not_admin.status(), 404);
    assert_eq!(body(not_admin).await["code"], "role_not_found");

    let listed = body(app.get(&format!("{T}/admins")).await).await;
    let items: Vec<(&str, &str)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["email"].as_str().unwrap(), a["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        items,
        [("ann@x.example", "auditor"), ("ann@x.example", "helpdesk")]
    );
    assert!(listed["items"][0]["scope"].is_null());
    // An auditor reads the list; a helpdesk does not.
    let auditor = app.role_token("default", "auditor").await;
    let helpdesk = app.role_token("default", "helpdesk").await;
    assert_eq!(
        as_admin(&app, Method::GET, &format!("{T}/admins"), &auditor)
            .await
            .0,
        200
    );
    assert_eq!(
        as_admin(&app, Method::GET, &format!("{T}/admins"), &helpdesk)
            .await
            .0,
        403
    );

    let revoke = app
        .request(
            Method::DELETE,
            &format!("{T}/users/{id}/admin-roles/auditor"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    let listed = body(app.get(&format!("{T}/admins")).await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let audit = body(
        app.get(&format!("{T}/audit?action=admin.list&limit=5"))
            .await,
    )
    .await;
    assert!(
        !audit["items"].as_array().unwrap().is_empty(),
        "listing is audited"
    );
}
