//! "Forgot your password?" over the JSON API: a link is mailed only to an
//! account that exists, the answer is the same either way, and requests
//! are limited per email and per address.

use super::{CHROME_WINDOWS, PASSWORD, auth, login};
use serde_json::{Value, json};
use std::time::Duration;
use usher_testkit::app::{TestApp, json as body};

async fn forgot(app: &TestApp, email: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&auth("password-reset")))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, body(res).await)
}

/// The reset mails in the outbox, by recipient.
async fn reset_mails(app: &TestApp) -> Vec<Value> {
    let outbox = body(app.get("/api/v1/tenants/default/outbox?limit=200").await).await;
    outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "password_reset")
        .cloned()
        .collect()
}

/// The `password_forgot` jobs, once every one has run.
async fn finished_forgot_jobs(app: &TestApp) -> Vec<Value> {
    for _ in 0..100 {
        let jobs = body(
            app.get("/api/v1/tenants/default/jobs?kind=password_forgot&limit=100")
                .await,
        )
        .await;
        let items = jobs["items"].as_array().unwrap().clone();
        if items.iter().all(|j| j["state"] == "completed") {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the password_forgot jobs did not finish");
}

#[tokio::test]
async fn a_link_goes_only_to_an_existing_account_and_the_answer_is_the_same_either_way() {
    let app = TestApp::spawn().await;
    app.user_with_password("default", "fp@x.example", PASSWORD)
        .await;
    let known = forgot(&app, "FP@x.example").await;
    let unknown = forgot(&app, "nobody@x.example").await;
    assert_eq!(known, (202, json!({"status": "accepted"})));
    assert_eq!(unknown, known, "nothing tells the two apart");
    assert_eq!(finished_forgot_jobs(&app).await.len(), 2);
    let mails = reset_mails(&app).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["recipient"], "fp@x.example");

    // The link works, and the old password until it is used.
    let (status, _) = login(&app, "fp@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(status, 200);
    let link = mails[0]["link"].as_str().unwrap();
    let res = app
        .client
        .post(app.url(&auth("password-reset/complete")))
        .json(&json!({"token": link.rsplit('/').next().unwrap(), "password": "a brand new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (status, _) = login(
        &app,
        "fp@x.example",
        "a brand new passphrase",
        CHROME_WINDOWS,
    )
    .await;
    assert_eq!(status, 200);

    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=user.password_reset")
            .await,
    )
    .await;
    let event = &audit["items"][0];
    assert_eq!(event["actor"]["kind"], "anonymous", "{event}");
    assert_eq!(event["details"]["via"], "forgot_password", "{event}");
}

#[tokio::test]
async fn requests_are_limited_per_email_silently_and_per_address_with_429() {
    let app = TestApp::spawn().await;
    app.user_with_password("default", "many@x.example", PASSWORD)
        .await;
    for _ in 0..5 {
        assert_eq!(forgot(&app, "many@x.example").await.0, 202);
    }
    assert_eq!(finished_forgot_jobs(&app).await.len(), 3);
    assert_eq!(reset_mails(&app).await.len(), 3, "at most 3 mails an hour");

    // 20 requests an hour from one address; the 21st waits.
    for i in 0..15 {
        assert_eq!(forgot(&app, &format!("n{i}@x.example")).await.0, 202);
    }
    let res = app
        .client
        .post(app.url(&auth("password-reset")))
        .json(&json!({"email": "late@x.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    assert_eq!(body(res).await["code"], "too_many_attempts");

    // An hour later the address may ask again.
    app.clock.advance(time::Duration::hours(1));
    assert_eq!(forgot(&app, "many@x.example").await.0, 202);
}

#[tokio::test]
async fn a_malformed_email_is_named_and_queues_nothing() {
    let app = TestApp::spawn().await;
    let (status, problem) = forgot(&app, "not an email").await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "email", "{problem}");
    let (status, problem) = forgot(&app, "").await;
    assert_eq!(status, 422, "{problem}");
    let jobs = body(
        app.get("/api/v1/tenants/default/jobs?kind=password_forgot")
            .await,
    )
    .await;
    assert_eq!(jobs["items"].as_array().unwrap().len(), 0);
}
