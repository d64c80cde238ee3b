//! The end-user login pages: signing in with a form, the second step (a
//! code, or enrolling an app when the tenant requires one), the blocked
//! and throttled pages, and the sessions page with its sign-out buttons.

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::json;
use std::collections::BTreeMap;
use usher_testkit::app::{TestApp, json as body};

const PASSWORD: &str = "correct horse battery";
const IPHONE_SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";

/// A browser of sorts: keeps cookies, does not follow redirects.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
    language: &'static str,
}

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) html: String,
}

impl Page {
    /// The value of a hidden (or any) input by name.
    pub(crate) fn input(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        self.html
            .split(&marker)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no input {name} in {}", self.html))
            .to_owned()
    }

    fn location(&self) -> &str {
        self.headers["location"].to_str().unwrap()
    }

    /// The text of the page's alert, if any.
    pub(crate) fn alert(&self) -> Option<&str> {
        let rest = self.html.split("role=\"alert\"").nth(1)?;
        rest.split('>').nth(1)?.split('<').next()
    }

    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            language: "en",
        }
    }

    async fn send(&mut self, method: Method, path: &str, form: &[(&str, &str)]) -> Page {
        self.send_body(method, path, form, None).await
    }

    /// Posts a multipart form of `fields` and a CSV file `(field,
    /// filename, content)`, as a browser's upload form does.
    pub(crate) async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &str),
    ) -> Page {
        let raw = usher_testkit::app::multipart_body(fields, Some(file));
        self.send_body(Method::POST, path, &[], Some(raw)).await
    }

    async fn send_body(
        &mut self,
        method: Method,
        path: &str,
        form: &[(&str, &str)],
        raw: Option<(String, String)>,
    ) -> Page {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut req = self
            .client
            .request(method.clone(), self.app.url(path))
            .header("user-agent", FIREFOX_LINUX)
            .header("accept-language", self.language);
        if !cookie.is_empty() {
            req = req.header("cookie", cookie.join("; "));
        }
        if let Some((content_type, text)) = raw {
            req = req.header("content-type", content_type).body(text);
        } else if method == Method::POST {
            req = req.form(form);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        for c in headers.get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let html = res.text().await.unwrap();
        Page {
            status,
            headers,
            html,
        }
    }

    /// The `Cookie` header this browser sends.
    pub(crate) fn cookie_header(&self) -> String {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.join("; ")
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, &[]).await
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, form).await
    }

    /// Opens the login page and submits it.
    pub(crate) async fn login(&mut self, email: &str, password: &str) -> Page {
        let page = self.get("/t/default/login").await;
        assert_eq!(page.status, 200, "{}", page.html);
        let csrf = page.input("csrf");
        self.post(
            "/t/default/login",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }
}

pub(crate) fn totp_now(app: &TestApp, secret: &str, offset_steps: i64) -> String {
    let secret = usher_core::mfa::TotpSecret::from_base32(secret).unwrap();
    let step = usher_core::mfa::totp_step(app.clock_now().unix_timestamp()) + offset_steps;
    usher_core::mfa::totp_code(&secret, step)
}

#[tokio::test]
async fn the_login_page_signs_in_with_a_cookie_and_the_sessions_page_ends_sessions() {
    let app = TestApp::spawn().await;
    app.user_with_password("default", "pg@x.example", PASSWORD)
        .await;
    // Another session of the same user, from a phone, over the JSON API.
    let phone = body(
        app.login("default", "pg@x.example", PASSWORD, IPHONE_SAFARI)
            .await,
    )
    .await;
    let phone_access = phone["access_token"].as_str().unwrap();
    let phone_sid = phone["session_id"].as_str().unwrap();

    let mut b = Browser::new(&app);
    let page = b.get("/t/default/login").await;
    assert_eq!(page.status, 200);
    for needle in [
        "<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\"",
        "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\"",
        "<label for=\"email\">",
    ] {
        assert!(page.html.contains(needle), "{needle} in {}", page.html);
    }
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let csrf_cookie = page.set_cookie("usher_csrf").unwrap();
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"));

    // Wrong password and unknown email read the same.
    let wrong = b.login("pg@x.example", "not the password").await;
    let unknown = b.login("nobody@x.example", PASSWORD).await;
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert_eq!(wrong.alert(), Some("The email or password is wrong."));
    assert_eq!(wrong.alert(), unknown.alert());
    assert!(wrong.set_cookie("usher_session").is_none());

    // A post without the CSRF token is refused and signs nobody in.
    let forged = b
        .post(
            "/t/default/login",
            &[("email", "pg@x.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(forged.set_cookie("usher_session").is_none());

    let ok = b.login("pg@x.example", PASSWORD).await;
    assert_eq!(ok.status, 303, "{}", ok.html);
    assert_eq!(ok.location(), "/t/default/sessions");
    let cookie = ok.set_cookie("usher_session").unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/t/default/"] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    assert_eq!(b.get("/t/default/login").await.status, 303, "signed in");

    // The sessions page: both sessions, this one marked, the phone's with a button.
    let page = b.get("/t/default/sessions").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("<table id=\"sessions\">"));
    assert_eq!(page.html.matches("<tr data-session-id=").count(), 2);
    assert_eq!(page.html.matches("aria-current=\"true\"").count(), 1);
    assert!(page.html.contains("Safari 17.1, iOS 17.1"), "{}", page.html);
    assert!(page.html.contains("Firefox 121.0, Linux"), "{}", page.html);
    let end = format!("/t/default/sessions/{phone_sid}/end");
    assert!(page.html.contains(&format!("action=\"{end}\"")));
    let csrf = page.input("csrf");
    assert_eq!(b.post(&end, &[("csrf", "forged")]).await.status, 403);
    let me = |token: String| {
        let app = &app;
        async move {
            app.as_user(Method::GET, "/api/v1/tenants/default/auth/me", &token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(me(phone_access.to_owned()).await, 200);
    let ended = b.post(&end, &[("csrf", &csrf)]).await;
    assert_eq!(
        (ended.status, ended.location()),
        (303, "/t/default/sessions")
    );
    assert_eq!(me(phone_access.to_owned()).await, 401, "ended at once");
    let page = b.get("/t/default/sessions").await;
    assert_eq!(page.html.matches("<tr data-session-id=").count(), 1);

    // Logging out ends this session; the old cookie opens nothing.
    let token = b.cookies["usher_session"].clone();
    assert_eq!(me(token.clone()).await, 200);
    let out = b.post("/t/default/logout", &[("csrf", &csrf)]).await;
    assert_eq!((out.status, out.location()), (303, "/t/default/login"));
    assert!(!b.cookies.contains_key("usher_session"));
    assert_eq!(me(token.clone()).await, 401);
    b.cookies.insert("usher_session".into(), token);
    let page = b.get("/t/default/sessions").await;
    assert_eq!((page.status, page.location()), (303, "/t/default/login"));
}

#[tokio::test]
async fn blocked_throttled_and_unknown_pages() {
    let app = TestApp::spawn().await;
    let user = app
        .user_with_password("default", "bk@x.example", PASSWORD)
        .await;
    let id = user["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/tenants/default/users/{id}/block"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let mut b = Browser::new(&app);
    let page = b.login("bk@x.example", PASSWORD).await;
    assert_eq!(page.status, 403);
    assert!(page.html.contains("<h1>Your account is blocked</h1>"));
    assert!(page.set_cookie("usher_session").is_none());
    // Without the password a blocked account looks like any other failure.
    let page = b.login("bk@x.example", "wrong password!").await;
    assert_eq!(page.status, 401);
    assert_eq!(page.alert(), Some("The email or password is wrong."));

    // Repeated failures: the page says to wait, with Retry-After.
    let mut last = None;
    for _ in 0..6 {
        last = Some(b.login("pg@x.example", "wrong password!").await);
    }
    let page = last.unwrap();
    assert_eq!(page.status, 429, "{}", page.html);
    assert!(page.headers.contains_key("retry-after"));
    assert!(
        page.alert()
            .unwrap()
            .starts_with("Too many failed attempts.")
    );

    // In German when the browser asks for it.
    b.language = "de-DE,de;q=0.9";
    let page = b.get("/t/default/login").await;
    assert!(page.html.contains("<html lang=\"de\">"));
    assert!(page.html.contains("<h1>Anmelden</h1>"));

    let page = b.get("/t/nope/login").await;
    assert_eq!(page.status, 404);
    let page = b.get("/t/default/mfa").await;
    assert_eq!((page.status, page.location()), (303, "/t/default/login"));
}

#[tokio::test]
async fn the_second_step_page_takes_a_code_and_a_required_policy_enrols_an_app() {
    let app = TestApp::spawn().await;
    // One user with an authenticator app, enrolled over the API.
    let tokens = app.login_as("default", "two@x.example", PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();
    let enrol = body(
        app.as_user(Method::POST, "/api/v1/tenants/default/auth/totp", access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    let res = app
        .as_user(
            Method::POST,
            "/api/v1/tenants/default/auth/totp/confirm",
            access,
        )
        .json(&json!({"code": totp_now(&app, &secret, 0)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);

    let mut b = Browser::new(&app);
    let page = b.login("two@x.example", PASSWORD).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.set_cookie("usher_session").is_none(), "not yet");
    assert!(page.html.contains("action=\"/t/default/mfa\""));
    assert!(page.html.contains("autocomplete=\"one-time-code\""));
    assert!(!page.html.contains("id=\"qr\""));
    let token = page.input("mfa_token");
    let csrf = page.input("csrf");
    let wrong = b
        .post(
            "/t/default/mfa",
            &[("csrf", &csrf), ("mfa_token", &token), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.alert(),
        Some("That code is not valid. Enter the code your app shows now.")
    );
    let code = totp_now(&app, &secret, 1);
    let ok = b
        .post(
            "/t/default/mfa",
            &[("csrf", &csrf), ("mfa_token", &token), ("code", &code)],
        )
        .await;
    assert_eq!((ok.status, ok.location()), (303, "/t/default/sessions"));
    assert!(ok.set_cookie("usher_session").is_some());

    // A tenant that requires a second factor: the page enrols an app first.
    let res = app
        .patch(
            "/api/v1/tenants/default/settings",
            &json!({"mfa": "required"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    app.user_with_password("default", "new@x.example", PASSWORD)
        .await;
    let mut b = Browser::new(&app);
    let page = b.login("new@x.example", PASSWORD).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("<h1>Set up two-step verification</h1>"));
    assert!(page.html.contains("<figure id=\"qr\""));
    assert!(page.html.contains("<svg"));
    let secret = page
        .html
        .split("<code id=\"totp-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let token = page.input("mfa_token");
    let csrf = page.input("csrf");
    let uri = page.input("uri");
    let fields = |code: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("mfa_token", token.clone()),
            ("secret", secret.clone()),
            ("uri", uri.clone()),
            ("code", code.to_owned()),
        ]
    };
    let form = fields("000000");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let wrong = b.post("/t/default/mfa", &form).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.html.contains("<figure id=\"qr\""), "shown again");
    let users = body(app.get("/api/v1/tenants/default/users?search=new@x").await).await;
    assert_eq!(users["items"][0]["mfa_enrolled"], false);
    let code = totp_now(&app, &secret, 0);
    let mut form: Vec<(&str, &str)> = form.into_iter().filter(|(k, _)| *k != "code").collect();
    form.push(("code", &code));
    let ok = b.post("/t/default/mfa", &form).await;
    assert_eq!((ok.status, ok.location()), (303, "/t/default/sessions"));
    let users = body(app.get("/api/v1/tenants/default/users?search=new@x").await).await;
    assert_eq!(users["items"][0]["mfa_enrolled"], true);
    assert_eq!(b.get("/t/default/sessions").await.status, 200);
}

#[tokio::test]
async fn the_forgot_page_is_linked_from_login_and_answers_the_same_for_any_account() {
    let app = TestApp::spawn().await;
    app.user_with_password("default", "pg@x.example", PASSWORD)
        .await;
    let mut browser = Browser::new(&app);
    let login = browser.get("/t/default/login").await;
    assert!(
        login.html.contains("href=\"/t/default/forgot\""),
        "{}",
        login.html
    );
    let form = browser.get("/t/default/forgot").await;
    assert_eq!(form.status, 200, "{}", form.html);
    let csrf = form.input("csrf");

    let forged = browser
        .post(
            "/t/default/forgot",
            &[("csrf", "forged"), ("email", "pg@x.example")],
        )
        .await;
    assert_eq!(forged.status, 403);

    let bad = browser
        .post("/t/default/forgot", &[("csrf", &csrf), ("email", "nope")])
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.alert().is_some_and(|a| a.contains("email address")),
        "{}",
        bad.html
    );

    let known = browser
        .post(
            "/t/default/forgot",
            &[("csrf", &csrf), ("email", "pg@x.example")],
        )
        .await;
    let unknown = browser
        .post(
            "/t/default/forgot",
            &[("csrf", &csrf), ("email", "ghost@x.example")],
        )
        .await;
    assert_eq!((known.status, unknown.status), (200, 200));
    assert_eq!(known.html, unknown.html, "the same page either way");
    assert!(known.html.contains("Check your email"), "{}", known.html);

    browser.language = "de";
    let german = browser.get("/t/default/forgot").await;
    assert!(
        german.html.contains("Passwort zurücksetzen"),
        "{}",
        german.html
    );
}
