//! The console's settings: the tenant's settings saved as the API's merge
//! PATCH (every bad value named, nothing saved), read-only for a role that
//! may not change them; API tokens made (the secret shown once, the token
//! the admin's own), listed and revoked.

use crate::console::{last_actor, signed_in};
use usher_testkit::app::{TestApp, json as body};

async fn settings(app: &TestApp) -> serde_json::Value {
    body(app.get("/api/v1/tenants/default/settings").await).await
}

#[tokio::test]
async fn a_tenant_admin_changes_the_settings_and_every_bad_value_is_named() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, "ada@x.example", "tenant_admin").await;
    let page = b.get("/console/default/settings").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("id=\"min_search_length\""),
        "{}",
        page.html
    );
    let csrf = page.input("csrf");
    let before = settings(&app).await;
    let mut form = vec![
        ("csrf", csrf.clone()),
        ("invitation_ttl_hours", "168".to_owned()),
        ("reset_ttl_hours", "168".to_owned()),
        ("password_min_length", "2".to_owned()),
        ("min_search_length", "many".to_owned()),
        ("session_idle_timeout_hours", "12".to_owned()),
        ("admin_idle_timeout_minutes", "30".to_owned()),
        ("admin_session_hours", "12".to_owned()),
        ("mfa", "optional".to_owned()),
    ];
    let sent: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = b.post("/console/default/settings", &sent).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    for id in ["password_min_length-error", "min_search_length-error"] {
        assert!(
            refused.html.contains(&format!("id=\"{id}\"")),
            "{id}: {}",
            refused.html
        );
    }
    assert_eq!(settings(&app).await, before, "nothing was saved");

    form[3] = ("password_min_length", "10".to_owned());
    form[4] = ("min_search_length", "3".to_owned());
    form.push(("list_requires_search", "true".to_owned()));
    let sent: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = b.post("/console/default/settings", &sent).await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let now = settings(&app).await;
    assert_eq!(
        (
            now["password_min_length"].as_u64(),
            now["min_search_length"].as_u64(),
            now["list_requires_search"].as_bool()
        ),
        (Some(10), Some(3), Some(true)),
        "{now}"
    );
    let actor = last_actor(&app, "tenant.settings.update").await;
    assert_eq!(actor["email"], "ada@x.example", "{actor}");
}

#[tokio::test]
async fn a_helpdesk_admin_reads_the_settings_without_a_form_and_cannot_change_them() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, "hal@x.example", "helpdesk").await;
    let page = b.get("/console/default/settings").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        !page.html.contains("action=\"/console/default/settings\""),
        "{}",
        page.html
    );
    assert!(
        !page.html.contains("/settings/tokens"),
        "helpdesk may not list tokens"
    );
    let csrf = page.input("csrf");
    let refused = b
        .post(
            "/console/default/settings",
            &[("csrf", &csrf), ("min_search_length", "9")],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert_eq!(settings(&app).await["min_search_length"], 2);
}

#[tokio::test]
async fn a_token_made_in_the_console_shows_its_secret_once_acts_with_its_role_and_is_revoked() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, "ada@x.example", "tenant_admin").await;
    let page = b.get("/console/default/settings/tokens").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let csrf = page.input("csrf");
    let bad = [
        ("csrf", csrf.as_str()),
        ("op", "create"),
        ("name", "ci"),
        ("role", "helpdesk"),
        ("expires_at", "soon"),
    ];
    let refused = b.post("/console/default/settings/tokens", &bad).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused.html.contains("id=\"expires_at-error\""),
        "{}",
        refused.html
    );

    let good = [
        ("csrf", csrf.as_str()),
        ("op", "create"),
        ("name", "ci"),
        ("role", "helpdesk"),
    ];
    let made = b.post("/console/default/settings/tokens", &good).await;
    assert_eq!(made.status, 201, "{}", made.html);
    let secret = made
        .html
        .split("<code id=\"token-secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the secret, once")
        .to_owned();
    let as_token = |method, path: &str| {
        app.client
            .request(method, app.url(path))
            .bearer_auth(&secret)
    };
    let read = as_token(reqwest::Method::GET, "/api/v1/tenants/default/users")
        .send()
        .await
        .expect("sent");
    assert_eq!(read.status(), 200);
    let settings_change = as_token(reqwest::Method::PATCH, "/api/v1/tenants/default/settings")
        .json(&serde_json::json!({"min_search_length": 4}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        settings_change.status(),
        403,
        "a helpdesk token changes no setting"
    );
    let listed = b.get("/console/default/settings/tokens").await;
    assert!(
        !listed.html.contains(&secret),
        "the secret is never shown again"
    );
    let tokens = body(app.get("/api/v1/tenants/default/tokens").await).await;
    let made = tokens["items"]
        .as_array()
        .expect("tokens")
        .iter()
        .find(|t| t["name"] == "ci")
        .expect("the console's token")
        .clone();
    let ada = body(app.get("/api/v1/tenants/default/users?search=ada@x").await).await;
    assert_eq!(
        made["owner_id"], ada["items"][0]["id"],
        "the token is Ada's: {made}"
    );

    let id = made["id"].as_str().expect("id");
    let revoke = [("csrf", csrf.as_str()), ("op", "revoke"), ("id", id)];
    let revoked = b.post("/console/default/settings/tokens", &revoke).await;
    assert_eq!(revoked.status, 303, "{}", revoked.html);
    let after = as_token(reqwest::Method::GET, "/api/v1/tenants/default/users")
        .send()
        .await
        .expect("sent");
    assert_eq!(after.status(), 401);
}
