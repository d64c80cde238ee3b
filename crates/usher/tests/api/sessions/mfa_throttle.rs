//! The second factor's own throttle: failures a correct password does not
//! wash away, counted per account and per address, with `Retry-After`
//! rounded up, and a code not even looked at while delayed.

use super::mfa::{enrolled, second_step, totp_now};
use super::{CHROME_WINDOWS, PASSWORD, auth, login};
use serde_json::json;
use usher_testkit::app::{TestApp, json as body};

/// A fresh challenge after the right password.
async fn challenge(app: &TestApp, email: &str) -> String {
    let (status, step) = login(app, email, PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(status, 200, "{step}");
    step["mfa_token"].as_str().unwrap().to_owned()
}

/// `(status, Retry-After)` of a second step.
async fn attempt(app: &TestApp, mfa_token: &str, code: &str) -> (u16, Option<String>) {
    let res = app
        .client
        .post(app.url(&auth("login/mfa")))
        .json(&json!({"mfa_token": mfa_token, "code": code}))
        .send()
        .await
        .unwrap();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (res.status().as_u16(), retry)
}

#[tokio::test]
async fn code_failures_outlive_a_correct_password_and_delay_the_next_challenge() {
    let app = TestApp::spawn().await;
    let secret = enrolled(&app, "mo@x.example").await;
    let first = challenge(&app, "mo@x.example").await;
    for _ in 0..5 {
        assert_eq!(attempt(&app, &first, "000000").await.0, 401);
    }
    // The right password again: a new challenge, but not five new guesses.
    let second = challenge(&app, "mo@x.example").await;
    let right = totp_now(&app, &secret, 0);
    assert_eq!(
        attempt(&app, &second, &right).await,
        (429, Some("1".into())),
        "delayed: not even the right code is looked at"
    );
    app.clock.advance(time::Duration::seconds(1));
    assert_eq!(
        attempt(&app, &second, "000000").await.0,
        401,
        "the sixth guess"
    );
    app.clock.advance(time::Duration::milliseconds(500));
    assert_eq!(
        attempt(&app, &second, "000000").await,
        (429, Some("2".into())),
        "1.5 s left of a 2 s delay is rounded up"
    );
    // Past the delay, and into the next TOTP step (the enrolment spent this one).
    app.clock.advance(time::Duration::seconds(30));
    let (status, signed_in) = second_step(&app, &second, &totp_now(&app, &secret, 0)).await;
    assert_eq!(status, 200, "{signed_in}");
    // The right code cleared the account's count: a typo is free again.
    let third = challenge(&app, "mo@x.example").await;
    assert_eq!(attempt(&app, &third, "000000").await.0, 401);
    let throttled = body(
        app.get("/api/v1/tenants/default/audit?action=login.throttled")
            .await,
    )
    .await;
    assert_eq!(
        throttled["items"][0]["details"]["step"], "second_factor",
        "{throttled}"
    );
}

#[tokio::test]
async fn code_failures_from_one_address_delay_other_accounts_there() {
    let app = TestApp::spawn().await;
    enrolled(&app, "a@x.example").await;
    let other_secret = enrolled(&app, "b@x.example").await;
    // Five wrong codes for one account, spread over challenges.
    for _ in 0..5 {
        let token = challenge(&app, "a@x.example").await;
        assert_eq!(attempt(&app, &token, "000000").await.0, 401);
    }
    // Another account from the same address waits too, right code or not,
    // and the wait spends none of its challenge's tries.
    let token = challenge(&app, "b@x.example").await;
    let right = totp_now(&app, &other_secret, 0);
    assert_eq!(attempt(&app, &token, &right).await.0, 429);
    // Past the delay, and into the next TOTP step (the enrolment spent this one).
    app.clock.advance(time::Duration::seconds(30));
    let (status, _) = second_step(&app, &token, &totp_now(&app, &other_secret, 0)).await;
    assert_eq!(status, 200);
}
