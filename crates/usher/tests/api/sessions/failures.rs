//! Failed logins: the throttle, and that a failure reveals nothing, in
//! its answer or its timing.

use super::{CHROME_WINDOWS, PASSWORD, action, login};
use serde_json::json;
use std::time::{Duration, Instant};
use usher_testkit::app::{TestApp, TestOptions, json as body};

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
