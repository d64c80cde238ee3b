//! The admin console's sign-in and users list, driven like a browser that
//! keeps cookies: the second factor is always asked (enrolled at the first
//! sign-in), the session cookie is HttpOnly, SameSite=Strict and scoped to
//! the tenant's console, every form needs its CSRF token, and the list is
//! the API's list (scope, minimum search length, audit).

use crate::login_pages::{Browser, Page, totp_now};
use serde_json::json;
use usher_testkit::app::{TestApp, json as body};

const PASSWORD: &str = "correct horse battery";

/// A user of default holding `role`, with a password.
pub(crate) async fn admin(app: &TestApp, email: &str, role: &str) -> String {
    let user = app.user_with_password("default", email, PASSWORD).await;
    let id = user["id"].as_str().expect("id").to_owned();
    app.grant_admin("default", &id, role).await;
    id
}

fn location(page: &Page) -> &str {
    page.headers["location"].to_str().expect("a location")
}

fn set_cookie(page: &Page, name: &str) -> Option<String> {
    page.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("text").to_owned())
        .find(|c| c.starts_with(&format!("{name}=")))
}

/// The actor of the newest audit event of `action` in the default tenant.
pub(crate) async fn last_actor(app: &TestApp, action: &str) -> serde_json::Value {
    let path = format!("/api/v1/tenants/default/audit?action={action}&limit=1");
    let audit = body(app.get(&path).await).await;
    audit["items"][0]["actor"].clone()
}

/// A browser signed in to the console as a new admin holding `role`.
pub(crate) async fn signed_in<'a>(app: &'a TestApp, email: &str, role: &str) -> Browser<'a> {
    admin(app, email, role).await;
    let mut b = Browser::new(app);
    let (done, _) = sign_in(app, &mut b, email).await;
    assert_eq!(done.status, 303, "{}", done.html);
    b
}

/// Signs in through the forms, enrolling an authenticator on the way:
/// answers the last page (the redirect to the users list) and the secret.
pub(crate) async fn sign_in(app: &TestApp, b: &mut Browser<'_>, email: &str) -> (Page, String) {
    let page = b.get("/console/default/login").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let csrf = page.input("csrf");
    let form = [
        ("csrf", csrf.as_str()),
        ("email", email),
        ("password", PASSWORD),
    ];
    let page = b.post("/console/default/login", &form).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("action=\"/console/default/login/mfa\""));
    let secret = page
        .html
        .split("<code id=\"totp-secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("an enrolment at the first admin sign-in")
        .to_owned();
    let code = totp_now(app, &secret, 0);
    let (token, uri) = (page.input("mfa_token"), page.input("uri"));
    let form = [
        ("csrf", csrf.as_str()),
        ("mfa_token", &token),
        ("secret", &secret),
        ("uri", &uri),
        ("code", &code),
    ];
    let done = b.post("/console/default/login/mfa", &form).await;
    (done, secret)
}

#[tokio::test]
async fn an_admin_signs_in_with_a_second_factor_and_lands_on_the_users_list() {
    let app = TestApp::spawn().await;
    let id = admin(&app, "ada@x.example", "helpdesk").await;
    app.create_user(
        "default",
        json!({"email": "grace@x.example", "first_name": "Grace"}),
    )
    .await;
    let mut b = Browser::new(&app);
    let before = b.get("/console/default/users").await;
    assert_eq!(before.status, 303);
    assert_eq!(location(&before), "/console/default/login");

    let (done, _) = sign_in(&app, &mut b, "ada@x.example").await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(location(&done), "/console/default/users");
    let cookie = set_cookie(&done, "usher_console").expect("the session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/console/default/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(cookie.starts_with("usher_console=usher_adm_"), "{cookie}");
    let rotated = set_cookie(&done, "usher_csrf").expect("a new CSRF token at sign-in");
    assert!(rotated.contains("Path=/console/"), "{rotated}");

    let list = b.get("/console/default/users").await;
    assert_eq!(list.status, 200, "{}", list.html);
    assert!(list.html.contains("grace@x.example"), "{}", list.html);
    assert!(list.html.contains("2 users"), "{}", list.html);
    let csp = list.headers["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    // The authenticator is an ordinary factor of the admin.
    let factors = body(
        app.get(&format!("/api/v1/tenants/default/users/{id}/factors"))
            .await,
    )
    .await;
    assert_eq!(factors["items"][0]["type"], "totp", "{factors}");
    // The list is audited as the person.
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=user.list&limit=1")
            .await,
    )
    .await;
    let actor = &audit["items"][0]["actor"];
    assert_eq!(
        (actor["kind"].as_str(), actor["id"].as_str()),
        (Some("user"), Some(id.as_str())),
        "{audit}"
    );
    // Signed in, the sign-in page sends the browser on.
    let again = b.get("/console/default/login").await;
    assert_eq!(
        (again.status, location(&again)),
        (303, "/console/default/users")
    );
}

#[tokio::test]
async fn a_wrong_password_an_unknown_email_and_a_user_without_an_admin_role_read_alike() {
    let app = TestApp::spawn().await;
    admin(&app, "ada@x.example", "user_admin").await;
    app.user_with_password("default", "bob@x.example", PASSWORD)
        .await;
    let mut alerts = Vec::new();
    for (email, password) in [
        ("ada@x.example", "wrong password here"),
        ("nobody@x.example", PASSWORD),
        ("bob@x.example", PASSWORD),
    ] {
        let mut b = Browser::new(&app);
        let csrf = b.get("/console/default/login").await.input("csrf");
        let form = [
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ];
        let page = b.post("/console/default/login", &form).await;
        assert_eq!(page.status, 401, "{email}: {}", page.html);
        assert!(set_cookie(&page, "usher_console").is_none());
        alerts.push(page.alert().map(str::to_owned));
    }
    assert!(alerts[0].is_some());
    assert!(alerts.iter().all(|a| *a == alerts[0]), "{alerts:?}");
}

#[tokio::test]
async fn a_form_without_its_csrf_token_changes_nothing_and_signing_out_ends_the_session() {
    let app = TestApp::spawn().await;
    admin(&app, "ada@x.example", "tenant_admin").await;
    let mut b = Browser::new(&app);
    b.get("/console/default/login").await;
    let forged = [
        ("csrf", "x".repeat(43)),
        ("email", "ada@x.example".into()),
        ("password", PASSWORD.into()),
    ];
    let forged: Vec<(&str, &str)> = forged.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = b.post("/console/default/login", &forged).await;
    assert_eq!(page.status, 403, "{}", page.html);

    let (done, _) = sign_in(&app, &mut b, "ada@x.example").await;
    assert_eq!(done.status, 303);
    let list = b.get("/console/default/users").await;
    let csrf = list.input("csrf");
    let refused = b
        .post("/console/default/logout", &[("csrf", "wrong")])
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        b.get("/console/default/users").await.status,
        200,
        "still signed in"
    );

    let out = b.post("/console/default/logout", &[("csrf", &csrf)]).await;
    assert_eq!(
        (out.status, location(&out)),
        (303, "/console/default/login")
    );
    let cleared = set_cookie(&out, "usher_console").expect("the cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let after = b.get("/console/default/users").await;
    assert_eq!(
        (after.status, location(&after)),
        (303, "/console/default/login")
    );
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=admin.logout&limit=1")
            .await,
    )
    .await;
    assert_eq!(audit["items"][0]["outcome"], "success", "{audit}");
}

#[tokio::test]
async fn a_scoped_admin_lists_only_the_scope_and_searches_at_the_tenants_minimum() {
    let app = TestApp::spawn().await;
    let id = admin(&app, "ada@x.example", "helpdesk").await;
    let mut members = Vec::new();
    for email in ["sales.one@x.example", "sales.two@x.example"] {
        let u = app.create_user("default", json!({"email": email})).await;
        members.push(u["id"].clone());
    }
    app.create_user("default", json!({"email": "other@x.example"}))
        .await;
    let members: Vec<&str> = members.iter().filter_map(|m| m.as_str()).collect();
    app.scim_group("default", "Sales", &members).await;
    let res = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/tenants/default/users/{id}/admin-roles/helpdesk"),
        )
        .json(&json!({"scope": {"group": "Sales"}}))
        .send()
        .await
        .expect("grant");
    assert_eq!(res.status(), 204);
    let res = app
        .patch(
            "/api/v1/tenants/default/settings",
            &json!({"min_search_length": 7}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let mut b = Browser::new(&app);
    assert_eq!(sign_in(&app, &mut b, "ada@x.example").await.0.status, 303);
    let list = b.get("/console/default/users").await;
    assert!(list.html.contains("2 users"), "{}", list.html);
    assert!(!list.html.contains("other@x.example"), "{}", list.html);
    let short = b.get("/console/default/users?search=sales").await;
    assert_eq!(short.status, 400, "{}", short.html);
    assert!(
        short.alert().is_some_and(|a| a.contains('7')),
        "{}",
        short.html
    );
    let found = b
        .get("/console/default/users?search=sales.tw&fields=email")
        .await;
    assert!(
        found.html.contains("sales.two@x.example") && found.html.contains("1 user<"),
        "{}",
        found.html
    );
}
