//! Credential changes end old access: a completed password reset ends every
//! session, a password changed by its holder ends the others, and second
//! factors change only after a recent password or code.

use super::mfa::totp_now;
use super::{CHROME_WINDOWS, IPHONE_SAFARI, PASSWORD, auth, login, me};
use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::{TestApp, json as body};

const NEW_PASSWORD: &str = "purple monkey dishwasher";

fn access(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn post_as(app: &TestApp, path: &str, token: &str, payload: Value) -> (u16, Value) {
    let res = app
        .as_user(Method::POST, &auth(path), token)
        .json(&payload)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_completed_password_reset_ends_every_session_of_the_user() {
    let app = TestApp::spawn().await;
    let first = app.login_as("default", "rs@x.example", PASSWORD).await;
    let (_, second) = login(&app, "rs@x.example", PASSWORD, IPHONE_SAFARI).await;
    let id =
        body(app.get("/api/v1/tenants/default/users?search=rs@x").await).await["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let res = app
        .post(
            &format!("/api/v1/tenants/default/users/{id}/password-reset"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let outbox = body(app.get("/api/v1/tenants/default/outbox?limit=200").await).await;
    let link = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "password_reset")
        .and_then(|m| m["link"].as_str())
        .unwrap()
        .to_owned();
    let token = link.rsplit('/').next().unwrap();
    let res = app
        .client
        .post(app.url(&auth("password-reset/complete")))
        .json(&json!({"token": token, "password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(me(&app, &access(&first)).await, 401);
    assert_eq!(me(&app, &access(&second)).await, 401);
    let (status, _) = login(&app, "rs@x.example", NEW_PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(status, 200, "the new password works");
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let mine = access(&app.login_as("default", "pw@x.example", PASSWORD).await);
    let (_, other) = login(&app, "pw@x.example", PASSWORD, IPHONE_SAFARI).await;
    let other = access(&other);

    let (status, problem) = post_as(
        &app,
        "password",
        &mine,
        json!({"current_password": "not it at all", "new_password": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "current_password");
    assert_eq!(problem["errors"][0]["code"], "wrong_password");
    let (status, problem) = post_as(
        &app,
        "password",
        &mine,
        json!({"current_password": PASSWORD, "new_password": "short"}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "new_password");
    assert_eq!(me(&app, &other).await, 200, "refusals changed nothing");

    let (status, _) = post_as(
        &app,
        "password",
        &mine,
        json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        me(&app, &mine).await,
        200,
        "the session that changed it stays"
    );
    assert_eq!(me(&app, &other).await, 401, "every other session ended");
    let (status, _) = login(&app, "pw@x.example", PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(status, 401, "the old password is gone");
    let (status, _) = login(&app, "pw@x.example", NEW_PASSWORD, CHROME_WINDOWS).await;
    assert_eq!(status, 200);
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=user.password_change")
            .await,
    )
    .await;
    let outcomes: Vec<_> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outcomes, ["success", "refused", "refused"]);
}

#[tokio::test]
async fn second_factors_change_only_within_five_minutes_of_a_password_or_code() {
    let app = TestApp::spawn().await;
    let token = access(&app.login_as("default", "ra@x.example", PASSWORD).await);
    app.clock.advance(time::Duration::minutes(6));
    for path in ["totp", "recovery-codes"] {
        let (status, problem) = post_as(&app, path, &token, json!({})).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (403, Some("reauthentication_required")),
            "{path}"
        );
    }
    let (status, problem) = post_as(
        &app,
        "reauthenticate",
        &token,
        json!({"password": "wrong one"}),
    )
    .await;
    assert_eq!(
        (status, problem["errors"][0]["code"].as_str()),
        (422, Some("wrong_password"))
    );
    let (status, problem) = post_as(&app, "reauthenticate", &token, json!({})).await;
    assert_eq!(status, 422, "{problem}");
    let (status, _) = post_as(
        &app,
        "reauthenticate",
        &token,
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 204);
    let (status, enrol) = post_as(&app, "totp", &token, json!({})).await;
    assert_eq!(status, 201, "{enrol}");
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    let (status, _) = post_as(
        &app,
        "totp/confirm",
        &token,
        json!({"code": totp_now(&app, &secret, 0)}),
    )
    .await;
    assert_eq!(status, 204);

    // Later, a code renews it as well as the password does.
    app.clock.advance(time::Duration::minutes(6));
    let (status, _) = post_as(&app, "recovery-codes", &token, json!({})).await;
    assert_eq!(status, 403);
    let (status, _) = post_as(&app, "reauthenticate", &token, json!({"code": "000000"})).await;
    assert_eq!(status, 401, "a wrong code");
    let code = totp_now(&app, &secret, 0);
    let (status, _) = post_as(&app, "reauthenticate", &token, json!({"code": code})).await;
    assert_eq!(status, 204);
    let (status, codes) = post_as(&app, "recovery-codes", &token, json!({})).await;
    assert_eq!(status, 201, "{codes}");
}
