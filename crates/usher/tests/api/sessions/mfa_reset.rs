//! An admin's second-factor reset: every factor and session goes, and the
//! next login enrols a new authenticator, whatever the tenant's policy.

use super::mfa::{enrol_at_login, enrolled, second_step, totp_now};
use super::{CHROME_WINDOWS, PASSWORD, login, me};
use serde_json::json;
use usher_testkit::app::{TestApp, json as body};

fn reset_path(id: &str) -> String {
    format!("/api/v1/tenants/default/users/{id}/mfa-reset")
}

#[tokio::test]
async fn a_reset_removes_every_factor_ends_sessions_and_makes_the_next_login_enrol() {
    let app = TestApp::spawn().await;
    let old_secret = enrolled(&app, "lost@x.example").await;
    app.clock.advance(time::Duration::seconds(30));
    let (_, first) = login(&app, "lost@x.example", PASSWORD, CHROME_WINDOWS).await;
    let (_, session) = second_step(
        &app,
        first["mfa_token"].as_str().unwrap(),
        &totp_now(&app, &old_secret, 0),
    )
    .await;
    let access = session["access_token"].as_str().unwrap().to_owned();
    let id =
        body(app.get("/api/v1/tenants/default/users?search=lost@x").await).await["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();

    let res = app.post(&reset_path(&id), &json!({})).await;
    assert_eq!(res.status(), 422, "a reason is required");
    let res = app
        .post(
            &reset_path(&id),
            &json!({"reason": "lost phone, ticket 4711"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let removed = body(res).await["removed_factors"].as_u64().unwrap();
    assert_eq!(
        removed, 1,
        "the authenticator (no recovery codes were made)"
    );
    assert_eq!(me(&app, &access).await, 401, "the session ended");
    let factors = body(
        app.get(&format!("/api/v1/tenants/default/users/{id}/factors"))
            .await,
    )
    .await;
    assert_eq!(factors["items"], json!([]), "{factors}");

    // The tenant does not require a second factor; the next login enrols.
    let (status, step) = login(&app, "lost@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(status, 200, "{step}");
    assert_eq!(step["enrolment_required"], true, "{step}");
    let token = step["mfa_token"].as_str().unwrap().to_owned();
    let (status, old) = second_step(&app, &token, &totp_now(&app, &old_secret, 0)).await;
    assert_eq!(status, 401, "the old app is gone: {old}");
    let (_, step) = login(&app, "lost@x.example", PASSWORD, CHROME_WINDOWS).await;
    let token = step["mfa_token"].as_str().unwrap().to_owned();
    let (status, enrolment) = enrol_at_login(&app, &token).await;
    assert_eq!(status, 201, "{}", enrolment["code"]);
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    app.clock.advance(time::Duration::seconds(30));
    let (status, done) = second_step(&app, &token, &totp_now(&app, &secret, 0)).await;
    assert_eq!(status, 200, "{done}");

    // Confirmed: later logins ask for a code from the new app, not enrolment.
    let (_, step) = login(&app, "lost@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(step["mfa_required"], true, "{step}");
    assert!(
        step.get("enrolment_required").is_none_or(|e| e == false),
        "{step}"
    );

    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=user.mfa_reset")
            .await,
    )
    .await;
    let success = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["outcome"] == "success")
        .expect("the reset is audited");
    assert_eq!(success["details"]["reason"], "lost phone, ticket 4711");
    assert_eq!(success["details"]["ended_sessions"], 2, "both sessions");
}

#[tokio::test]
async fn resetting_an_unknown_user_is_404_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            &reset_path("018f0000-0000-7000-8000-000000000000"),
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(body(res).await["code"], "user_not_found");
}
