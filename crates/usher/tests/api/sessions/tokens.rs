//! Logging in, access tokens, refresh rotation with reuse detection,
//! logout.

use super::{CHROME_WINDOWS, PASSWORD, auth, login, me, refresh};
use reqwest::Method;
use usher_testkit::app::{TestApp, json as body};

#[tokio::test]
async fn login_me_refresh_rotation_and_reuse_detection() {
    let app = TestApp::spawn().await;
    let user = app
        .user_with_password("default", "ann@x.example", PASSWORD)
        .await;
    let (status, tokens) = login(&app, "ANN@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let access = tokens["access_token"].as_str().unwrap();
    let session = tokens["session_token"].as_str().unwrap();
    let first_refresh = tokens["refresh_token"].as_str().unwrap();

    let res = app
        .as_user(Method::GET, &auth("me"), access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let who = body(res).await;
    assert_eq!(who["user"]["id"], user["id"]);
    assert_eq!(who["session"]["current"], true);
    assert_eq!(me(&app, session).await, 200);
    // The login is on the user's record.
    let stored = body(
        app.get(&format!(
            "/api/v1/tenants/default/users/{}",
            user["id"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert!(stored["last_login_at"].is_string());

    // Rotation: new tokens; the old access token and refresh token are spent.
    let (status, second) = refresh(&app, first_refresh).await;
    assert_eq!(status, 200, "{second}");
    assert!(second.get("session_token").is_none());
    assert_ne!(second["refresh_token"], tokens["refresh_token"]);
    assert_eq!(me(&app, access).await, 401);
    let new_access = second["access_token"].as_str().unwrap();
    assert_eq!(me(&app, new_access).await, 200);

    // The first refresh token again: someone holds a copy, the session ends.
    let (status, problem) = refresh(&app, first_refresh).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("invalid_token"))
    );
    assert_eq!(me(&app, new_access).await, 401);
    assert_eq!(me(&app, session).await, 401);
    let (status, _) = refresh(&app, second["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 401);

    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=session.refresh_reused")
            .await,
    )
    .await;
    assert_eq!(audit["total"], 1);
}

#[tokio::test]
async fn access_tokens_expire_and_logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let tokens = app.login_as("default", "bo@x.example", PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();
    let session = tokens["session_token"].as_str().unwrap();
    app.clock.advance(time::Duration::minutes(16));
    assert_eq!(
        me(&app, access).await,
        401,
        "the access token outlived 15 minutes"
    );
    assert_eq!(me(&app, session).await, 200);
    let res = app
        .as_user(Method::POST, &auth("logout"), session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(me(&app, session).await, 401);
    let (status, _) = refresh(&app, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn two_concurrent_refreshes_with_one_token_let_one_win_and_end_the_session() {
    let app = TestApp::spawn().await;
    let tokens = app.login_as("default", "cy@x.example", PASSWORD).await;
    let r = tokens["refresh_token"].as_str().unwrap();
    let (a, b) = tokio::join!(refresh(&app, r), refresh(&app, r));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 401]);
    let winner = if a.0 == 200 { a.1 } else { b.1 };
    // The loser presented a spent token: the whole session is gone.
    assert_eq!(
        me(&app, winner["access_token"].as_str().unwrap()).await,
        401
    );
}

#[tokio::test]
async fn token_answers_are_never_cached_and_https_installations_send_hsts() {
    let app = TestApp::spawn().await;
    app.user_with_password("default", "ann@x.example", PASSWORD)
        .await;
    let res = app
        .login("default", "ann@x.example", PASSWORD, CHROME_WINDOWS)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(
        res.headers().get("strict-transport-security").is_none(),
        "an http installation must not pin browsers to https"
    );

    let https = TestApp::spawn_with(usher_testkit::app::TestOptions {
        public_url: Some("https://id.example.com".into()),
        ..Default::default()
    })
    .await;
    for path in [
        "/healthz",
        "/api/v1/tenants/default/users",
        "/t/default/login",
    ] {
        let res = https.get(path).await;
        assert_eq!(
            res.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
}
