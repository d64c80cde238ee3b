//! Second factors at login: TOTP enrolment, codes, recovery codes, the
//! last-factor guard, the tries a challenge allows, and tenants that
//! require a second factor.

use super::{CHROME_WINDOWS, IPHONE_SAFARI, PASSWORD, auth, login, me};
use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::{TestApp, json as body};

/// The code an authenticator app with `secret` shows at the app's clock.
pub(crate) fn totp_now(app: &TestApp, secret: &str, offset_steps: i64) -> String {
    let secret = usher_core::mfa::TotpSecret::from_base32(secret).unwrap();
    let step = usher_core::mfa::totp_step(app.clock_now().unix_timestamp()) + offset_steps;
    usher_core::mfa::totp_code(&secret, step)
}

/// A user with a confirmed authenticator; answers its secret.
pub(super) async fn enrolled(app: &TestApp, email: &str) -> String {
    let tokens = app.login_as("default", email, PASSWORD).await;
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
        .json(&json!({"code": totp_now(app, &secret, 0)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    secret
}

pub(super) async fn second_step(app: &TestApp, mfa_token: &str, code: &str) -> (u16, Value) {
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

pub(super) async fn enrol_at_login(app: &TestApp, mfa_token: &str) -> (u16, Value) {
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
