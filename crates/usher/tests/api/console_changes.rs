//! The changes made from a user's tabs in the console: giving and taking a
//! role, ending one session, removing a second factor, each as the API
//! call it stands for, with the service's guards and CSRF.

use crate::console::signed_in;
use serde_json::json;
use usher_testkit::app::{TestApp, json as body};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn a_role_is_given_and_taken_from_the_roles_tab() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "/api/v1/tenants/default/roles",
            &json!({"name": "OnCall", "description": "Pager duty"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let grace = app
        .create_user("default", json!({"email": "grace@x.example"}))
        .await;
    let id = grace["id"].as_str().expect("id");
    let mut b = signed_in(&app, "ada@x.example", "user_admin").await;
    let tab = b
        .get(&format!("/console/default/users/{id}?tab=roles"))
        .await;
    assert!(tab.html.contains("holds no role"), "{}", tab.html);
    let csrf = tab.input("csrf");
    let path = format!("/console/default/users/{id}/change");
    let forged = b
        .post(
            &path,
            &[("csrf", "x"), ("op", "assign_role"), ("item", "OnCall")],
        )
        .await;
    // A script may send the token as a header instead.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let scripted = no_redirects
        .post(app.url(&path))
        .header("cookie", b.cookie_header())
        .header("x-csrf-token", &csrf)
        .form(&[("op", "assign_role"), ("item", "OnCall")])
        .send()
        .await
        .expect("sent");
    assert_eq!(
        scripted.status(),
        303,
        "the header counts as the form field"
    );
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/tenants/default/users/{id}/roles/OnCall"),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 204);
    assert_eq!(forged.status, 403);
    let given = b
        .post(
            &path,
            &[("csrf", &csrf), ("op", "assign_role"), ("item", "oncall")],
        )
        .await;
    assert_eq!(given.status, 303, "{}", given.html);
    let roles = body(
        app.get(&format!("/api/v1/tenants/default/users/{id}/roles"))
            .await,
    )
    .await;
    assert_eq!(roles["items"][0]["name"], "OnCall", "{roles}");
    let tab = b
        .get(&format!("/console/default/users/{id}?tab=roles"))
        .await;
    assert!(tab.html.contains("Pager duty"), "{}", tab.html);
    let unknown = b
        .post(
            &path,
            &[("csrf", &csrf), ("op", "assign_role"), ("item", "Nobody")],
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.html);
    // A user_admin gives no built-in admin role.
    let admin_role = b
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("op", "assign_role"),
                ("item", "tenant_admin"),
            ],
        )
        .await;
    assert_ne!(admin_role.status, 303, "{}", admin_role.html);
    let taken = b
        .post(
            &path,
            &[("csrf", &csrf), ("op", "remove_role"), ("item", "OnCall")],
        )
        .await;
    assert_eq!(taken.status, 303, "{}", taken.html);
    let roles = body(
        app.get(&format!("/api/v1/tenants/default/users/{id}/roles"))
            .await,
    )
    .await;
    assert_eq!(roles["items"].as_array().map(Vec::len), Some(0), "{roles}");
}

#[tokio::test]
async fn one_session_is_ended_and_the_last_authenticator_is_not_removed_alone() {
    let app = TestApp::spawn().await;
    let login = app.login_as("default", "grace@x.example", PASSWORD).await;
    let session = login["session_id"].as_str().expect("a session").to_owned();
    let found = body(
        app.get("/api/v1/tenants/default/users?search=grace@x")
            .await,
    )
    .await;
    let id = found["items"][0]["id"].as_str().expect("id").to_owned();
    let mut b = signed_in(&app, "ada@x.example", "user_admin").await;
    let tab = b
        .get(&format!("/console/default/users/{id}?tab=sessions"))
        .await;
    assert!(tab.html.contains(&session), "{}", tab.html);
    assert!(
        tab.html.contains("<h2>Other</h2>"),
        "grouped by platform: {}",
        tab.html
    );
    let csrf = tab.input("csrf");
    let path = format!("/console/default/users/{id}/change");
    let ended = b
        .post(
            &path,
            &[("csrf", &csrf), ("op", "end_session"), ("item", &session)],
        )
        .await;
    assert_eq!(ended.status, 303, "{}", ended.html);
    let sessions = body(
        app.get(&format!("/api/v1/tenants/default/users/{id}/sessions"))
            .await,
    )
    .await;
    assert_eq!(sessions["total"], 0, "{sessions}");

    // Ada's own authenticator is her only one: it stays.
    let ada = body(app.get("/api/v1/tenants/default/users?search=ada@x").await).await;
    let ada_id = ada["items"][0]["id"].as_str().expect("id").to_owned();
    let mut boss = signed_in(&app, "boss@x.example", "tenant_admin").await;
    let factors = body(
        app.get(&format!("/api/v1/tenants/default/users/{ada_id}/factors"))
            .await,
    )
    .await;
    let fid = factors["items"][0]["id"]
        .as_str()
        .expect("a factor")
        .to_owned();
    let tab = boss
        .get(&format!("/console/default/users/{ada_id}?tab=factors"))
        .await;
    let csrf = tab.input("csrf");
    let path = format!("/console/default/users/{ada_id}/change");
    let refused = boss
        .post(
            &path,
            &[("csrf", &csrf), ("op", "remove_factor"), ("item", &fid)],
        )
        .await;
    assert_ne!(refused.status, 303, "{}", refused.html);
    let factors = body(
        app.get(&format!("/api/v1/tenants/default/users/{ada_id}/factors"))
            .await,
    )
    .await;
    assert_eq!(factors["items"][0]["id"], fid.as_str(), "{factors}");
}
