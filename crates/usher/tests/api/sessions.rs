//! Logging in, refresh rotation, sessions as admins and users see them,
//! what block, disable and archive do to them, the throttle, and that a
//! failed login reveals nothing.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use usher_testkit::app::{TestApp, TestOptions, json as body};

const PASSWORD: &str = "correct horse battery";
const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.130 Safari/537.36";
const IPHONE_SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
const ANDROID_APP: &str = "Dalvik/2.1.0 (Linux; U; Android 13; SM-G991B Build/TP1A.220624.014)";

fn auth(path: &str) -> String {
    format!("/api/v1/tenants/default/auth/{path}")
}

async fn me(app: &TestApp, token: &str) -> u16 {
    app.as_user(Method::GET, &auth("me"), token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn refresh(app: &TestApp, refresh_token: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&auth("token")))
        .json(&json!({"refresh_token": refresh_token}))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), body(res).await)
}

async fn login(app: &TestApp, email: &str, password: &str, ua: &str) -> (u16, Value) {
    let res = app.login("default", email, password, ua).await;
    (res.status().as_u16(), body(res).await)
}

async fn action(app: &TestApp, id: &str, what: &str) {
    let res = app
        .post(
            &format!("/api/v1/tenants/default/users/{id}/{what}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200, "{what}");
}

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
async fn admins_see_sessions_grouped_by_platform_and_revocation_is_immediate() {
    let app = TestApp::spawn().await;
    let user = app
        .user_with_password("default", "di@x.example", PASSWORD)
        .await;
    let id = user["id"].as_str().unwrap();
    let mut tokens = Vec::new();
    for ua in [CHROME_WINDOWS, IPHONE_SAFARI, ANDROID_APP] {
        let (status, t) = login(&app, "di@x.example", PASSWORD, ua).await;
        assert_eq!(status, 200);
        tokens.push(t);
    }
    let list = body(
        app.get(&format!("/api/v1/tenants/default/users/{id}/sessions"))
            .await,
    )
    .await;
    assert_eq!(list["total"], 3);
    let groups = list["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{list}");
    assert_eq!(groups[0]["platform"], "desktop");
    let desktop = &groups[0]["items"][0];
    assert_eq!(
        (
            desktop["os"].as_str(),
            desktop["os_version"].as_str(),
            desktop["browser"].as_str()
        ),
        (Some("Windows"), Some("10"), Some("Chrome"))
    );
    assert_eq!(desktop["browser_version"], "120.0");
    assert_eq!(desktop["ip"], "127.0.0.1");
    assert_eq!(groups[1]["platform"], "mobile");
    let mobile: Vec<(Option<&str>, Option<&str>, Option<&str>)> = groups[1]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["os"].as_str(),
                s["os_version"].as_str(),
                s["browser"].as_str(),
            )
        })
        .collect();
    assert!(
        mobile.contains(&(Some("iOS"), Some("17.1"), Some("Safari"))),
        "{mobile:?}"
    );
    assert!(
        mobile
            .iter()
            .any(|m| m.0 == Some("Android") && m.1 == Some("13")),
        "{mobile:?}"
    );

    // The user sees the same, with their own session marked.
    let own = body(
        app.as_user(
            Method::GET,
            &auth("sessions"),
            tokens[0]["access_token"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(own["total"], 3);
    assert_eq!(own["groups"][0]["items"][0]["current"], true);

    // One session revoked: its tokens die at once, the others live.
    let sid = tokens[1]["session_id"].as_str().unwrap();
    let res = app
        .delete(&format!(
            "/api/v1/tenants/default/users/{id}/sessions/{sid}"
        ))
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        me(&app, tokens[1]["access_token"].as_str().unwrap()).await,
        401
    );
    assert_eq!(
        me(&app, tokens[0]["access_token"].as_str().unwrap()).await,
        200
    );
    let res = app
        .delete(&format!(
            "/api/v1/tenants/default/users/{id}/sessions/{sid}"
        ))
        .await;
    assert_eq!(body(res).await["code"], "session_not_found");

    // All of them.
    let res = app
        .delete(&format!("/api/v1/tenants/default/users/{id}/sessions"))
        .await;
    assert_eq!(body(res).await["ended"], 2);
    for t in &tokens {
        assert_eq!(me(&app, t["access_token"].as_str().unwrap()).await, 401);
    }
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=session.revoke_all")
            .await,
    )
    .await;
    assert_eq!(audit["total"], 1);
}

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
async fn repeated_failures_are_delayed_for_a_while_then_allowed_again() {
    let app = TestApp::spawn().await;
    app.user_with_password("default", "gu@x.example", PASSWORD)
        .await;
    for _ in 0..5 {
        let (status, _) = login(&app, "gu@x.example", "wrong password!", CHROME_WINDOWS).await;
        assert_eq!(status, 401);
    }
    // Even the right password waits now: the answer does not depend on it.
    let res = app
        .login("default", "gu@x.example", PASSWORD, CHROME_WINDOWS)
        .await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
    assert_eq!(body(res).await["code"], "too_many_attempts");
    // An unknown account is throttled the same way.
    for _ in 0..5 {
        login(&app, "nobody@x.example", "wrong password!", CHROME_WINDOWS).await;
    }
    let (status, _) = login(&app, "nobody@x.example", "wrong password!", CHROME_WINDOWS).await;
    assert_eq!(status, 429);

    app.clock.advance(time::Duration::seconds(2));
    let (status, _) = login(&app, "gu@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(status, 200, "the delay ends");
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=login.throttled")
            .await,
    )
    .await;
    assert_eq!(audit["total"], 2);
    // A success starts the count again.
    let (status, _) = login(&app, "gu@x.example", "wrong password!", CHROME_WINDOWS).await;
    assert_eq!(status, 401);
}

/// Median time of each kind of failed login, measured in interleaved
/// rounds so that load from elsewhere falls on every kind alike.
async fn median_logins(app: &TestApp, kinds: &[&[(String, String)]]) -> Vec<Duration> {
    let mut times = vec![Vec::new(); kinds.len()];
    for round in 0..kinds[0].len() {
        for (k, attempts) in kinds.iter().enumerate() {
            let (email, password) = &attempts[round];
            let t = Instant::now();
            let (status, _) = login(app, email, password, CHROME_WINDOWS).await;
            times[k].push(t.elapsed());
            assert_eq!(status, 401);
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect()
}

#[tokio::test]
async fn failed_logins_look_and_take_the_same_whatever_failed() {
    let app = TestApp::spawn_with(TestOptions {
        production_hashing: true,
        ..Default::default()
    })
    .await;
    const N: usize = 9;
    let mut wrong = Vec::new();
    let mut disabled = Vec::new();
    for i in 0..N {
        let email = format!("w{i}@x.example");
        app.user_with_password("default", &email, PASSWORD).await;
        wrong.push((email, "not the password".to_owned()));
        let email = format!("d{i}@x.example");
        let u = app.user_with_password("default", &email, PASSWORD).await;
        action(&app, u["id"].as_str().unwrap(), "disable").await;
        disabled.push((email, PASSWORD.to_owned()));
    }
    let blocked = app
        .user_with_password("default", "blocked@x.example", PASSWORD)
        .await;
    action(&app, blocked["id"].as_str().unwrap(), "block").await;
    let pending = "pending@x.example";
    app.create_user("default", json!({"email": pending})).await;
    let unknown: Vec<(String, String)> = (0..N)
        .map(|i| (format!("u{i}@x.example"), PASSWORD.to_owned()))
        .collect();

    // Identical status and body.
    let mut answers = Vec::new();
    for (email, password) in [
        ("u-once@x.example", PASSWORD),
        (wrong[0].0.as_str(), "not the password"),
        (disabled[0].0.as_str(), PASSWORD),
        (pending, PASSWORD),
        ("blocked@x.example", "not the password"),
    ] {
        answers.push(login(&app, email, password, CHROME_WINDOWS).await);
    }
    for a in &answers[1..] {
        assert_eq!(a, &answers[0]);
    }
    assert_eq!(answers[0].0, 401);

    // And (statistically) the same time: each path verifies one hash.
    // Skipping the hash for an unknown email would make that path about
    // ten times faster; the margin below only absorbs a busy machine.
    let medians = median_logins(&app, &[&unknown, &wrong, &disabled]).await;
    let slowest = medians.iter().max().unwrap();
    let fastest = medians.iter().min().unwrap();
    assert!(
        slowest.as_secs_f64() < fastest.as_secs_f64() * 2.0,
        "medians differ (unknown, wrong password, disabled): {medians:?}"
    );
    // The reasons are kept in the audit log.
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=user.login&limit=200")
            .await,
    )
    .await;
    let reasons: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["details"]["reason"].as_str())
        .collect();
    for r in ["unknown_email", "wrong_password", "state_forbids_login"] {
        assert!(reasons.contains(&r), "{r} missing from {reasons:?}");
    }
}

/// The code an authenticator app with `secret` shows at the app's clock.
fn totp_now(app: &TestApp, secret: &str, offset_steps: i64) -> String {
    let secret = usher_core::mfa::TotpSecret::from_base32(secret).unwrap();
    let step = usher_core::mfa::totp_step(app.clock_now().unix_timestamp()) + offset_steps;
    usher_core::mfa::totp_code(&secret, step)
}

async fn second_step(app: &TestApp, mfa_token: &str, code: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&auth("login/mfa")))
        .json(&json!({"mfa_token": mfa_token, "code": code}))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), body(res).await)
}

#[tokio::test]
async fn totp_enrolment_login_with_a_code_recovery_codes_and_the_last_factor_guard() {
    let app = TestApp::spawn().await;
    let tokens = app.login_as("default", "hu@x.example", PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();
    let user =
        body(app.get("/api/v1/tenants/default/users?search=hu@x").await).await["items"][0].clone();
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(user["mfa_enrolled"], false);

    // Enrol: a secret, its otpauth URI and QR code; unconfirmed it does not count.
    let res = app
        .as_user(Method::POST, &auth("totp"), access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let enrol = body(res).await;
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    assert!(
        enrol["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    assert!(enrol["qr_svg"].as_str().unwrap().contains("<svg"));
    let (status, _) = login(&app, "hu@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(status, 200, "an unconfirmed app is not a second factor yet");
    let confirm = |code: String| {
        app.as_user(Method::POST, &auth("totp/confirm"), access)
            .json(&json!({"code": code}))
            .send()
    };
    assert_eq!(confirm("000000".into()).await.unwrap().status(), 401);
    assert_eq!(
        confirm(totp_now(&app, &secret, 0)).await.unwrap().status(),
        204
    );
    let path = format!("/api/v1/tenants/default/users/{id}");
    assert_eq!(body(app.get(&path).await).await["mfa_enrolled"], true);

    // Recovery codes, shown once.
    let res = app
        .as_user(Method::POST, &auth("recovery-codes"), access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let codes: Vec<String> = body(res).await["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);

    // The password alone no longer opens a session.
    let (status, step) = login(&app, "hu@x.example", PASSWORD, IPHONE_SAFARI).await;
    assert_eq!(status, 200);
    assert_eq!(step["mfa_required"], true);
    assert!(step.get("access_token").is_none());
    assert_eq!(step["methods"], json!(["totp", "recovery_code"]));
    let mfa_token = step["mfa_token"].as_str().unwrap();
    // The code used to confirm is spent; the next step's code works once.
    let (status, _) = second_step(&app, mfa_token, &totp_now(&app, &secret, 0)).await;
    assert_eq!(status, 401, "a code is accepted once");
    let next = totp_now(&app, &secret, 1);
    let (status, signed) = second_step(&app, mfa_token, &next).await;
    assert_eq!(status, 200, "{signed}");
    assert_eq!(
        me(&app, signed["access_token"].as_str().unwrap()).await,
        200
    );
    let (status, _) = second_step(&app, mfa_token, &next).await;
    assert_eq!(status, 401, "the challenge is used up");

    // A recovery code works once, in any case and with spaces.
    let (_, step) = login(&app, "hu@x.example", PASSWORD, CHROME_WINDOWS).await;
    let typed = codes[0].to_uppercase().replace('-', " ");
    let (status, _) = second_step(&app, step["mfa_token"].as_str().unwrap(), &typed).await;
    assert_eq!(status, 200);
    let (_, step) = login(&app, "hu@x.example", PASSWORD, CHROME_WINDOWS).await;
    let (status, problem) = second_step(&app, step["mfa_token"].as_str().unwrap(), &codes[0]).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("invalid_code"))
    );

    // Admins see the factors, never their secrets, and cannot remove the last app.
    let factors = body(app.get(&format!("{path}/factors")).await).await;
    assert_eq!(factors["total"], 2, "{factors}");
    let totp = factors["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["type"] == "totp")
        .unwrap();
    let recovery = factors["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["type"] == "recovery_codes")
        .unwrap();
    assert_eq!(recovery["remaining"], 9);
    assert!(!factors.to_string().contains(&secret));
    let res = app
        .delete(&format!("{path}/factors/{}", totp["id"].as_str().unwrap()))
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(body(res).await["code"], "last_second_factor");
    let res = app
        .post(&format!("{path}/recovery-codes/revoke"), &json!({}))
        .await;
    assert_eq!(res.status(), 204);
    let (_, step) = login(&app, "hu@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(step["methods"], json!(["totp"]));
    let (status, _) = second_step(&app, step["mfa_token"].as_str().unwrap(), &codes[1]).await;
    assert_eq!(status, 401, "revoked codes are dead");
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=factor.delete")
            .await,
    )
    .await;
    assert_eq!(audit["items"][0]["outcome"], "refused");
}

#[tokio::test]
async fn wrong_codes_void_the_challenge_after_five_tries() {
    let app = TestApp::spawn().await;
    let tokens = app.login_as("default", "iv@x.example", PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();
    let enrol = body(
        app.as_user(Method::POST, &auth("totp"), access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    let res = app
        .as_user(Method::POST, &auth("totp/confirm"), access)
        .json(&json!({"code": totp_now(&app, &secret, 0)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (_, step) = login(&app, "iv@x.example", PASSWORD, CHROME_WINDOWS).await;
    let token = step["mfa_token"].as_str().unwrap();
    for _ in 0..5 {
        let (status, problem) = second_step(&app, token, "999999").await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (401, Some("invalid_code"))
        );
    }
    let (status, problem) = second_step(&app, token, &totp_now(&app, &secret, 1)).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("invalid_token"))
    );
}

async fn enrol_at_login(app: &TestApp, mfa_token: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&auth("login/mfa/totp")))
        .json(&json!({"mfa_token": mfa_token}))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), body(res).await)
}

#[tokio::test]
async fn a_tenant_that_requires_mfa_makes_the_login_enrol_an_authenticator_first() {
    let app = TestApp::spawn().await;
    // One user with nothing, one with recovery codes only (made while the
    // second factor was still optional).
    app.user_with_password("default", "rq@x.example", PASSWORD)
        .await;
    let tokens = app.login_as("default", "rc@x.example", PASSWORD).await;
    let res = app
        .as_user(
            Method::POST,
            &auth("recovery-codes"),
            tokens["access_token"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap();
    let codes = body(res).await["codes"].clone();
    let res = app
        .patch(
            "/api/v1/tenants/default/settings",
            &json!({"mfa": "required"}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let (status, step) = login(&app, "rq@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(status, 200);
    assert_eq!(step["mfa_required"], true);
    assert_eq!(step["enrolment_required"], true);
    assert_eq!(step["methods"], json!(["totp"]));
    assert!(step.get("access_token").is_none(), "{step}");
    let token = step["mfa_token"].as_str().unwrap();
    let (status, _) = second_step(&app, token, "123456").await;
    assert_eq!(status, 401, "no code can finish before an app is enrolled");
    let (status, problem) = enrol_at_login(&app, "mfa_unknown").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("invalid_token"))
    );

    let (status, enrol) = enrol_at_login(&app, token).await;
    assert_eq!(status, 201, "{enrol}");
    assert!(enrol["qr_svg"].as_str().unwrap().contains("<svg"));
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    let users = body(app.get("/api/v1/tenants/default/users?search=rq@x").await).await;
    assert_eq!(
        users["items"][0]["mfa_enrolled"], false,
        "not before the code"
    );
    let (status, signed) = second_step(&app, token, &totp_now(&app, &secret, 0)).await;
    assert_eq!(status, 200, "{signed}");
    assert_eq!(
        me(&app, signed["access_token"].as_str().unwrap()).await,
        200
    );
    let id = users["items"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/tenants/default/users/{id}");
    assert_eq!(body(app.get(&path).await).await["mfa_enrolled"], true);
    let factors = body(app.get(&format!("{path}/factors")).await).await;
    assert_eq!(factors["total"], 1);
    assert_eq!(factors["items"][0]["confirmed"], true);
    let (status, _) = enrol_at_login(&app, token).await;
    assert_eq!(status, 401, "the finished login's token is spent");

    // The next login asks for a code from the enrolled app, and enrolling
    // again with its token is refused.
    let (_, step) = login(&app, "rq@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(step["enrolment_required"], false);
    let token = step["mfa_token"].as_str().unwrap();
    let (status, problem) = enrol_at_login(&app, token).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("already_enrolled"))
    );
    let (status, _) = second_step(&app, token, &totp_now(&app, &secret, 1)).await;
    assert_eq!(status, 200);

    // Recovery codes alone do not satisfy the policy, nor finish the login.
    let (_, step) = login(&app, "rc@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(step["enrolment_required"], true);
    assert_eq!(step["methods"], json!(["totp"]));
    let code = codes[0].as_str().unwrap();
    let (status, problem) = second_step(&app, step["mfa_token"].as_str().unwrap(), code).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("invalid_code"))
    );
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=factor.totp.confirm")
            .await,
    )
    .await;
    assert_eq!(audit["items"][0]["outcome"], "success", "{audit}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client_and_otherwise_ignored() {
    for (trusted, expect) in [(Some("127.0.0.1"), "198.51.100.23"), (None, "127.0.0.1")] {
        let app = TestApp::spawn_with(TestOptions {
            trusted_proxies: trusted.map(str::to_owned),
            ..Default::default()
        })
        .await;
        let user = app
            .user_with_password("default", "px@x.example", PASSWORD)
            .await;
        let res = app
            .client
            .post(app.url(&auth("login")))
            .header("x-forwarded-for", "6.6.6.6, 198.51.100.23")
            .json(&json!({"email": "px@x.example", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let id = user["id"].as_str().unwrap();
        let sessions = body(
            app.get(&format!("/api/v1/tenants/default/users/{id}/sessions"))
                .await,
        )
        .await;
        assert_eq!(
            sessions["groups"][0]["items"][0]["ip"], expect,
            "{sessions}"
        );
        let audit = body(
            app.get("/api/v1/tenants/default/audit?action=user.login")
                .await,
        )
        .await;
        assert_eq!(audit["items"][0]["client_ip"], expect, "{audit}");
    }
}
