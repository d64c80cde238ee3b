//! The account page: a signed-in user changes their password, sets up an
//! authenticator app and makes new recovery codes, each second-factor
//! change behind their password.

use crate::login_pages::{Browser, totp_now};
use usher_testkit::app::TestApp;

const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "purple monkey dishwasher";

#[tokio::test]
async fn the_account_page_needs_a_session_and_links_the_sessions_page() {
    let app = TestApp::spawn().await;
    app.user_with_password("default", "acc@x.example", PASSWORD)
        .await;
    let mut browser = Browser::new(&app);
    let anonymous = browser.get("/t/default/account").await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.headers["location"], "/t/default/login");
    browser.login("acc@x.example", PASSWORD).await;
    let page = browser.get("/t/default/account").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("acc@x.example"), "{}", page.html);
    assert!(page.html.contains("href=\"/t/default/sessions\""));
    let sessions = browser.get("/t/default/sessions").await;
    assert!(sessions.html.contains("href=\"/t/default/account\""));
    // A form posted without the page's CSRF token changes nothing.
    let forged = browser
        .post(
            "/t/default/account/password",
            &[
                ("csrf", "forged"),
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("password_confirmation", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        app.login("default", "acc@x.example", PASSWORD, "t")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn changing_the_password_on_the_page_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    // Creates the user and opens a session elsewhere.
    let other = app.login_as("default", "pw@x.example", PASSWORD).await;
    let mut browser = Browser::new(&app);
    browser.login("pw@x.example", PASSWORD).await;
    let csrf = browser.get("/t/default/account").await.input("csrf");
    let change = |current: &str, new: &str, again: &str| {
        [
            ("csrf", csrf.clone()),
            ("current_password", current.to_owned()),
            ("new_password", new.to_owned()),
            ("password_confirmation", again.to_owned()),
        ]
    };
    async fn post(
        browser: &mut Browser<'_>,
        form: [(&str, String); 4],
    ) -> crate::login_pages::Page {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        browser.post("/t/default/account/password", &pairs).await
    }
    let wrong = post(
        &mut browser,
        change("not it at all", NEW_PASSWORD, NEW_PASSWORD),
    )
    .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.alert(), Some("That is not your current password."));
    let mismatch = post(
        &mut browser,
        change(PASSWORD, NEW_PASSWORD, "something else"),
    )
    .await;
    assert_eq!(mismatch.status, 422);
    assert_eq!(
        mismatch.alert(),
        Some("The two passwords are not the same.")
    );
    let done = post(&mut browser, change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD)).await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(
        done.html.contains("Your password has been changed"),
        "{}",
        done.html
    );
    let me = app
        .as_user(
            reqwest::Method::GET,
            "/api/v1/tenants/default/auth/me",
            other["access_token"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401, "the other session ended");
    assert_eq!(
        browser.get("/t/default/account").await.status,
        200,
        "this one did not"
    );
    assert_eq!(
        app.login("default", "pw@x.example", NEW_PASSWORD, "t")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn an_authenticator_app_and_recovery_codes_are_set_up_behind_the_password() {
    let app = TestApp::spawn().await;
    app.user_with_password("default", "app@x.example", PASSWORD)
        .await;
    let mut browser = Browser::new(&app);
    browser.login("app@x.example", PASSWORD).await;
    let page = browser.get("/t/default/account").await;
    assert!(page.html.contains("No authenticator app is set up yet"));
    assert!(page.html.contains("You have no recovery codes yet."));
    let csrf = page.input("csrf");

    let wrong = browser
        .post(
            "/t/default/account/totp",
            &[("csrf", &csrf), ("password", "nope nope nope")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    let enrol = browser
        .post(
            "/t/default/account/totp",
            &[("csrf", &csrf), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(enrol.status, 200, "{}", enrol.html);
    assert!(enrol.html.contains("<svg"), "a QR code");
    let key = enrol
        .html
        .split("id=\"totp-key\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    let bad = browser
        .post(
            "/t/default/account/totp/confirm",
            &[("csrf", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(bad.status, 422);
    let code = totp_now(&app, &key, 0);
    let done = browser
        .post(
            "/t/default/account/totp/confirm",
            &[("csrf", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(
        done.html.contains("Your authenticator app is set up."),
        "{}",
        done.html
    );
    assert!(done.html.contains("An authenticator app is set up"));

    let codes = browser
        .post(
            "/t/default/account/recovery-codes",
            &[("csrf", &csrf), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(codes.status, 200, "{}", codes.html);
    let listed = codes.html.matches("<li><code>").count();
    assert_eq!(listed, 10, "{}", codes.html);
    let page = browser.get("/t/default/account").await;
    assert!(
        page.html.contains("10 of your recovery codes are unused."),
        "{}",
        page.html
    );
}
