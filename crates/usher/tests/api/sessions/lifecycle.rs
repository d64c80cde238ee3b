//! What block, disable and archive do to a user's sessions and logins.

use super::{CHROME_WINDOWS, PASSWORD, action, login, me, refresh};
use usher_testkit::app::{TestApp, json as body};

#[tokio::test]
async fn a_blocked_user_keeps_sessions_but_cannot_refresh_or_log_in_and_disable_ends_everything() {
    let app = TestApp::spawn().await;
    let user = app
        .user_with_password("default", "ed@x.example", PASSWORD)
        .await;
    let id = user["id"].as_str().unwrap();
    let (_, tokens) = login(&app, "ed@x.example", PASSWORD, CHROME_WINDOWS).await;
    let access = tokens["access_token"].as_str().unwrap();
    action(&app, id, "block").await;
    assert_eq!(
        me(&app, access).await,
        200,
        "blocking does not end sessions"
    );
    let (status, problem) = refresh(&app, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("user_blocked"))
    );
    let (status, problem) = login(&app, "ed@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("user_blocked"))
    );
    let (status, problem) = login(&app, "ed@x.example", "not the password", CHROME_WINDOWS).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("invalid_credentials"))
    );

    action(&app, id, "disable").await;
    assert_eq!(me(&app, access).await, 401);
    assert_eq!(
        me(&app, tokens["session_token"].as_str().unwrap()).await,
        401
    );
    let (status, _) = refresh(&app, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 401);
    let (status, _) = login(&app, "ed@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(status, 401);
    let list = body(
        app.get(&format!("/api/v1/tenants/default/users/{id}/sessions"))
            .await,
    )
    .await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn logging_in_brings_an_archived_user_back() {
    let app = TestApp::spawn().await;
    let user = app
        .user_with_password("default", "fa@x.example", PASSWORD)
        .await;
    let id = user["id"].as_str().unwrap();
    action(&app, id, "archive").await;
    let path = format!("/api/v1/tenants/default/users/{id}");
    assert_eq!(body(app.get(&path).await).await["archived"], true);
    let (status, _) = login(&app, "fa@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(status, 200);
    assert_eq!(body(app.get(&path).await).await["archived"], false);
}

#[tokio::test]
async fn a_session_unused_longer_than_the_idle_timeout_ends_while_a_used_one_lives_on() {
    let app = TestApp::spawn().await;
    let res = app
        .patch(
            "/api/v1/tenants/default/settings",
            &serde_json::json!({"session_idle_timeout_hours": 2}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["session_idle_timeout_hours"], 2);
    app.user_with_password("default", "id@x.example", PASSWORD)
        .await;
    let (_, idle) = login(&app, "id@x.example", PASSWORD, CHROME_WINDOWS).await;
    let (_, busy) = login(&app, "id@x.example", PASSWORD, CHROME_WINDOWS).await;
    let busy_session = busy["session_token"].as_str().unwrap();
    // The busy session is used every hour for five hours.
    for _ in 0..5 {
        app.clock.advance(time::Duration::hours(1));
        assert_eq!(me(&app, busy_session).await, 200);
    }
    assert_eq!(me(&app, idle["session_token"].as_str().unwrap()).await, 401);
    let (status, _) = refresh(&app, idle["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        status, 401,
        "an idle session cannot be refreshed back to life"
    );
    let bad = app
        .patch(
            "/api/v1/tenants/default/settings",
            &serde_json::json!({"session_idle_timeout_hours": 0}),
        )
        .await;
    assert_eq!(bad.status(), 422);
}
