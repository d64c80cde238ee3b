//! Creating, reading, editing, deleting users and every lifecycle action.

use reqwest::Method;
use serde_json::{Value, json};
use time::Duration;
use usher_testkit::app::{TestApp, json as body};

const USERS: &str = "/api/v1/tenants/default/users";

fn user_path(u: &Value) -> String {
    format!("{USERS}/{}", u["id"].as_str().unwrap())
}

async fn act(app: &TestApp, u: &Value, action: &str) -> (u16, Value) {
    let res = app
        .post(&format!("{}/{action}", user_path(u)), &json!({}))
        .await;
    let status = res.status().as_u16();
    (status, body(res).await)
}

#[tokio::test]
async fn creating_a_user_answers_201_with_location_etag_and_a_pending_invitation() {
    let app = TestApp::spawn().await;
    let res = app
        .post(USERS, &json!({"email": "Ann.Lee@Example.com", "first_name": "Ann", "last_name": "Lee", "language": "de"}))
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(res.headers()["etag"], "W/\"1\"");
    let u = body(res).await;
    assert_eq!(location, user_path(&u));
    assert_eq!(u["email"], "Ann.Lee@Example.com");
    assert_eq!(u["state"], "pending_invitation");
    assert_eq!(u["language"], "de");
    assert_eq!(u["version"], 1);
    assert_eq!(u["source"], "local");
    assert!(u["invitation_expires_at"].is_string());
    let got = body(app.get(&location).await).await;
    assert_eq!(got, u);
}

#[tokio::test]
async fn create_without_invitation_is_not_invited_and_activate_is_active_with_signup() {
    let app = TestApp::spawn().await;
    let a = app
        .create_user(
            "default",
            json!({"email": "a@x.example", "send_invitation": false}),
        )
        .await;
    assert_eq!(a["state"], "not_invited");
    assert!(a["signup_completed_at"].is_null());
    let b = app
        .create_user("default", json!({"email": "b@x.example", "activate": true}))
        .await;
    assert_eq!(b["state"], "active");
    assert!(b["signup_completed_at"].is_string());
}

#[tokio::test]
async fn the_same_email_in_another_case_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    app.create_user("default", json!({"email": "straße@x.example"}))
        .await;
    let res = app
        .post(USERS, &json!({"email": "STRASSE@X.example"}))
        .await;
    assert_eq!(res.status().as_u16(), 409);
    let p = body(res).await;
    assert_eq!(p["code"], "email_taken");
    assert_eq!(p["errors"][0]["field"], "email");
    let list = body(app.get(USERS).await).await;
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn block_unblock_and_their_refusals() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user("default", json!({"email": "b@x.example", "activate": true}))
        .await;
    let (s, b) = act(&app, &u, "block").await;
    assert_eq!((s, b["state"].as_str()), (200, Some("blocked")));
    assert_eq!(b["version"], 2);
    let (s, p) = act(&app, &u, "block").await;
    assert_eq!((s, p["code"].as_str()), (409, Some("already_blocked")));
    let (s, b) = act(&app, &u, "unblock").await;
    assert_eq!((s, b["state"].as_str()), (200, Some("active")));
    let (s, p) = act(&app, &u, "unblock").await;
    assert_eq!((s, p["code"].as_str()), (409, Some("not_blocked")));
    // A refused action changed nothing.
    assert_eq!(body(app.get(&user_path(&u)).await).await["version"], 3);
}

#[tokio::test]
async fn only_active_users_can_be_blocked() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user("default", json!({"email": "p@x.example"}))
        .await;
    let (s, p) = act(&app, &u, "block").await;
    assert_eq!((s, p["code"].as_str()), (409, Some("invalid_state")));
}

#[tokio::test]
async fn disable_ends_the_invitation_and_enable_returns_to_the_right_state() {
    let app = TestApp::spawn().await;
    let pending = app
        .create_user("default", json!({"email": "p@x.example"}))
        .await;
    let (s, d) = act(&app, &pending, "disable").await;
    assert_eq!((s, d["state"].as_str()), (200, Some("disabled")));
    assert!(d["invitation_expires_at"].is_null());
    let (s, p) = act(&app, &pending, "disable").await;
    assert_eq!((s, p["code"].as_str()), (409, Some("already_disabled")));
    let (_, e) = act(&app, &pending, "enable").await;
    assert_eq!(e["state"], "not_invited");
    let (s, p) = act(&app, &pending, "enable").await;
    assert_eq!((s, p["code"].as_str()), (409, Some("not_disabled")));

    let active = app
        .create_user("default", json!({"email": "a@x.example", "activate": true}))
        .await;
    act(&app, &active, "block").await;
    let (_, d) = act(&app, &active, "disable").await;
    assert_eq!(d["state"], "disabled");
    let (_, e) = act(&app, &active, "enable").await;
    assert_eq!(e["state"], "active");
}

#[tokio::test]
async fn archive_keeps_the_state_and_is_refused_twice_or_before_signup() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user("default", json!({"email": "a@x.example", "activate": true}))
        .await;
    let (s, a) = act(&app, &u, "archive").await;
    assert_eq!(
        (s, a["state"].as_str(), a["archived"].as_bool()),
        (200, Some("active"), Some(true))
    );
    let (s, p) = act(&app, &u, "archive").await;
    assert_eq!((s, p["code"].as_str()), (409, Some("already_archived")));
    // An archived user can still be blocked, and stays archived.
    let (_, b) = act(&app, &u, "block").await;
    assert_eq!(
        (b["state"].as_str(), b["archived"].as_bool()),
        (Some("blocked"), Some(true))
    );
    let invited = app
        .create_user("default", json!({"email": "i@x.example"}))
        .await;
    let (s, p) = act(&app, &invited, "archive").await;
    assert_eq!((s, p["code"].as_str()), (409, Some("invalid_state")));
}

#[tokio::test]
async fn invitations_can_be_resent_until_signup_and_expire_after_seven_days() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user(
            "default",
            json!({"email": "i@x.example", "send_invitation": false}),
        )
        .await;
    let (s, i) = act(&app, &u, "invitation").await;
    assert_eq!((s, i["state"].as_str()), (200, Some("pending_invitation")));
    app.clock.advance(Duration::days(7));
    let expired = body(app.get(&user_path(&u)).await).await;
    assert_eq!(expired["state"], "expired_invitation");
    let (s, again) = act(&app, &u, "invitation").await;
    assert_eq!(
        (s, again["state"].as_str()),
        (200, Some("pending_invitation"))
    );
    let active = app
        .create_user("default", json!({"email": "a@x.example", "activate": true}))
        .await;
    let (s, p) = act(&app, &active, "invitation").await;
    assert_eq!((s, p["code"].as_str()), (409, Some("invalid_state")));
}

#[tokio::test]
async fn merge_patch_keeps_absent_fields_unsets_nulls_and_bumps_the_version() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user("default", json!({"email": "e@x.example", "first_name": "Eve", "last_name": "Ng", "phone": "+4915112345678"}))
        .await;
    let res = app
        .patch(
            &user_path(&u),
            &json!({"first_name": "Evelyn", "phone": null}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["etag"], "W/\"2\"");
    let e = body(res).await;
    assert_eq!(
        (e["first_name"].as_str(), e["last_name"].as_str()),
        (Some("Evelyn"), Some("Ng"))
    );
    assert!(e["phone"].is_null());
    // Changing the email changes the login: the old one becomes free.
    let e2 = body(
        app.patch(&user_path(&u), &json!({"email": "new@x.example"}))
            .await,
    )
    .await;
    assert_eq!(e2["email"], "new@x.example");
    app.create_user("default", json!({"email": "E@x.example"}))
        .await;
}

#[tokio::test]
async fn an_edit_that_changes_nothing_keeps_the_version() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user(
            "default",
            json!({"email": "e@x.example", "first_name": "Eve"}),
        )
        .await;
    let e = body(
        app.patch(&user_path(&u), &json!({"first_name": "Eve"}))
            .await,
    )
    .await;
    assert_eq!(e["version"], 1);
}

#[tokio::test]
async fn if_match_with_a_stale_version_is_refused_with_412_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user("default", json!({"email": "e@x.example", "activate": true}))
        .await;
    let ok = app
        .request(Method::PATCH, &user_path(&u))
        .header("if-match", "W/\"1\"")
        .json(&json!({"first_name": "A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    for (method, path) in [
        (Method::PATCH, user_path(&u)),
        (Method::POST, format!("{}/block", user_path(&u))),
        (Method::DELETE, user_path(&u)),
    ] {
        let mut req = app
            .request(method.clone(), &path)
            .header("if-match", "W/\"1\"");
        if method == Method::PATCH {
            req = req.json(&json!({"first_name": "B"}));
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 412, "{method} {path}");
        assert_eq!(body(res).await["code"], "version_mismatch");
    }
    let now = body(app.get(&user_path(&u)).await).await;
    assert_eq!(
        (
            now["version"].as_i64(),
            now["first_name"].as_str(),
            now["state"].as_str()
        ),
        (Some(2), Some("A"), Some("active"))
    );
}

#[tokio::test]
async fn delete_removes_the_user_and_frees_the_email() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user("default", json!({"email": "d@x.example"}))
        .await;
    let res = app.delete(&user_path(&u)).await;
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(app.get(&user_path(&u)).await.status().as_u16(), 404);
    assert_eq!(app.delete(&user_path(&u)).await.status().as_u16(), 404);
    app.create_user("default", json!({"email": "D@x.example"}))
        .await;
}

#[tokio::test]
async fn a_tenant_can_require_disabling_before_deleting() {
    let app = TestApp::spawn().await;
    let res = app
        .patch(
            "/api/v1/tenants/default/settings",
            &json!({"require_disable_before_delete": true}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let u = app
        .create_user("default", json!({"email": "d@x.example", "activate": true}))
        .await;
    let res = app.delete(&user_path(&u)).await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(body(res).await["code"], "not_disabled");
    act(&app, &u, "disable").await;
    assert_eq!(app.delete(&user_path(&u)).await.status().as_u16(), 204);
}

#[tokio::test]
async fn unknown_users_are_404_and_malformed_ids_are_400() {
    let app = TestApp::spawn().await;
    let res = app
        .get(&format!("{USERS}/0190a000-0000-7000-8000-000000000000"))
        .await;
    assert_eq!(res.status().as_u16(), 404);
    let problem = body(res).await;
    assert_eq!(problem["code"], "user_not_found");
    // Said once, in words (it once read "user not found not found").
    assert_eq!(problem["detail"], "user not found");
    let res = app.get("/api/v1/tenants/nowhere/users").await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(body(res).await["detail"], "tenant not found");
    let res = app.get(&format!("{USERS}/not-a-uuid")).await;
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(body(res).await["code"], "invalid_id");
    let res = app
        .post(&format!("{USERS}/not-a-uuid/block"), &json!({}))
        .await;
    assert_eq!(res.status().as_u16(), 400);
}

#[tokio::test]
async fn concurrent_edits_with_the_same_etag_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user("default", json!({"email": "c@x.example"}))
        .await;
    let path = user_path(&u);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let req = app
            .request(Method::PATCH, &path)
            .header("if-match", "W/\"1\"")
            .json(&json!({"first_name": format!("N{i}")}));
        tasks.push(tokio::spawn(async move {
            req.send().await.unwrap().status().as_u16()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 412).count(), 7, "{codes:?}");
}

#[tokio::test]
async fn concurrent_creates_of_one_email_in_different_case_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let email = if i % 2 == 0 {
            "race@x.example"
        } else {
            "RACE@X.EXAMPLE"
        };
        let req = app
            .request(Method::POST, USERS)
            .json(&json!({"email": email}));
        tasks.push(tokio::spawn(async move {
            req.send().await.unwrap().status().as_u16()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 409).count(), 7, "{codes:?}");
}
