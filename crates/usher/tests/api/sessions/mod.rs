//! Logging in and sessions: tokens and refresh rotation, sessions as
//! admins see them, what block, disable and archive do to them, the
//! throttle and failed logins that reveal nothing, second factors. Here
//! the login helpers they share.

mod admin;
mod credentials;
mod failures;
mod forgot;
mod lifecycle;
mod lockout;
pub(crate) mod mfa;
mod mfa_reset;
mod mfa_throttle;
mod sealed;
mod tokens;

use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::{TestApp, json as body};

const PASSWORD: &str = "correct horse battery";
const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.130 Safari/537.36";
const IPHONE_SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";

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
