//! A user's page in the console and the actions on it: the tabs and the
//! actions each admin role is offered, a confirmation that says what will
//! happen before anything does, the version the admin saw as If-Match,
//! CSRF, scopes (404 outside) and quarantine (403 to another scope).

use crate::console::{admin, sign_in};
use crate::login_pages::{Browser, Page};
use serde_json::{Value, json};
use usher_testkit::app::{TestApp, json as body};

/// A signed-in console for a new admin holding `role` (under `scope`).
async fn console<'a>(app: &'a TestApp, email: &str, role: &str, scope: Value) -> Browser<'a> {
    let id = admin(app, email, role).await;
    let res = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/tenants/default/users/{id}/admin-roles/{role}"),
        )
        .json(&json!({"scope": scope}))
        .send()
        .await
        .expect("grant");
    assert_eq!(res.status(), 204);
    let mut b = Browser::new(app);
    let (done, _) = sign_in(app, &mut b, email).await;
    assert_eq!(done.status, 303, "{}", done.html);
    b
}

async fn user(app: &TestApp, email: &str, department: &str) -> String {
    let u = app
        .create_user(
            "default",
            json!({"email": email, "first_name": "Grace", "activate": true,
                   "attributes": {"department": department}}),
        )
        .await;
    u["id"].as_str().expect("id").to_owned()
}

async fn define_department(app: &TestApp) {
    let res = app
        .post(
            "/api/v1/tenants/default/attributes",
            &json!({"name": "department", "label": "Department"}),
        )
        .await;
    assert_eq!(res.status(), 201);
}

async fn state_of(app: &TestApp, id: &str) -> String {
    let u = body(
        app.get(&format!("/api/v1/tenants/default/users/{id}"))
            .await,
    )
    .await;
    u["state"].as_str().expect("state").to_owned()
}

/// Confirms `act` on user `id` with the page's CSRF token and version.
async fn confirm(b: &mut Browser<'_>, id: &str, act: &str, extra: &[(&str, &str)]) -> Page {
    let path = format!("/console/default/users/{id}/actions/{act}");
    let page = b.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let (csrf, version) = (page.input("csrf"), page.input("version"));
    let mut form = vec![("csrf", csrf.as_str()), ("version", version.as_str())];
    form.extend_from_slice(extra);
    b.post(&path, &form).await
}

#[tokio::test]
async fn a_users_page_shows_the_profile_tabs_and_only_the_actions_the_role_allows() {
    let app = TestApp::spawn().await;
    define_department(&app).await;
    let id = user(&app, "grace@x.example", "Research").await;
    let mut b = console(&app, "ada@x.example", "user_admin", Value::Null).await;
    let page = b.get(&format!("/console/default/users/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    for shown in [
        "grace@x.example",
        "Department",
        "Research",
        "Second factors",
        "Sessions",
    ] {
        assert!(page.html.contains(shown), "{shown}: {}", page.html);
    }
    assert!(
        !page.html.contains("Audit trail"),
        "user_admin may not read the audit log"
    );
    for act in ["block", "disable", "reset-password", "delete"] {
        assert!(page.html.contains(&format!("/actions/{act}\"")), "{act}");
    }
    assert!(
        !page.html.contains("/actions/unblock\""),
        "the user is not blocked"
    );
    let sessions = b
        .get(&format!("/console/default/users/{id}?tab=sessions"))
        .await;
    assert!(
        sessions.html.contains("not signed in anywhere"),
        "{}",
        sessions.html
    );

    // A user_admin changes no other admin: nothing of the kind is offered.
    let hal = body(app.get("/api/v1/tenants/default/users?search=ada@x").await).await;
    let ada_id = hal["items"][0]["id"].as_str().expect("ada").to_owned();
    let mut other = console(&app, "uma@x.example", "user_admin", Value::Null).await;
    let admin_page = other.get(&format!("/console/default/users/{ada_id}")).await;
    assert_eq!(admin_page.status, 200, "{}", admin_page.html);
    assert!(
        !admin_page.html.contains("/actions/block\""),
        "{}",
        admin_page.html
    );
    assert!(!admin_page.html.contains("/edit\""), "{}", admin_page.html);
    let confirm_block = other
        .get(&format!("/console/default/users/{ada_id}/actions/block"))
        .await;
    assert_eq!(confirm_block.status, 403, "{}", confirm_block.html);

    let mut helpdesk = console(&app, "hal@x.example", "helpdesk", Value::Null).await;
    let page = helpdesk.get(&format!("/console/default/users/{id}")).await;
    assert!(page.html.contains("/actions/reset-password\""));
    assert!(
        !page.html.contains("/actions/block\""),
        "helpdesk does nothing destructive"
    );
    let refused = helpdesk
        .get(&format!("/console/default/users/{id}/actions/block"))
        .await;
    let csrf = refused.input("csrf");
    let forced = helpdesk
        .post(
            &format!("/console/default/users/{id}/actions/block"),
            &[("csrf", &csrf), ("version", "1")],
        )
        .await;
    assert_eq!(forced.status, 403, "{}", forced.html);
    assert_eq!(state_of(&app, &id).await, "active");
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=admin.forbidden&limit=1")
            .await,
    )
    .await;
    assert_eq!(audit["items"][0]["details"]["role"], "helpdesk", "{audit}");
}

#[tokio::test]
async fn an_action_says_what_it_will_do_and_needs_the_csrf_token_and_the_version_seen() {
    let app = TestApp::spawn().await;
    define_department(&app).await;
    let id = user(&app, "grace@x.example", "Research").await;
    let mut b = console(&app, "ada@x.example", "user_admin", Value::Null).await;
    let path = format!("/console/default/users/{id}/actions/block");
    let page = b.get(&path).await;
    assert!(
        page.html.contains("stay alive"),
        "block keeps sessions: {}",
        page.html
    );
    let disable = b
        .get(&format!("/console/default/users/{id}/actions/disable"))
        .await;
    assert!(disable.html.contains("ends now"), "{}", disable.html);
    let delete = b
        .get(&format!("/console/default/users/{id}/actions/delete"))
        .await;
    assert!(delete.html.contains("cannot be undone"), "{}", delete.html);

    let version = page.input("version");
    let forged = b
        .post(&path, &[("csrf", "forged"), ("version", &version)])
        .await;
    assert_eq!(forged.status, 403);
    let res = app
        .patch(
            &format!("/api/v1/tenants/default/users/{id}"),
            &json!({"first_name": "G"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let stale = b
        .post(
            &path,
            &[("csrf", &page.input("csrf")), ("version", &version)],
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.html);
    assert!(
        stale.alert().is_some_and(|a| a.contains("changed")),
        "{}",
        stale.html
    );
    assert_eq!(state_of(&app, &id).await, "active");

    let done = confirm(&mut b, &id, "block", &[]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(state_of(&app, &id).await, "blocked");
    let after = b
        .get(&format!("/console/default/users/{id}?done=block"))
        .await;
    assert!(after.html.contains("/actions/unblock\""), "{}", after.html);
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=user.block&limit=1")
            .await,
    )
    .await;
    assert_eq!(
        audit["items"][0]["actor"]["email"], "ada@x.example",
        "{audit}"
    );

    let deleted = confirm(&mut b, &id, "delete", &[]).await;
    assert_eq!(deleted.status, 303);
    let gone = app
        .get(&format!("/api/v1/tenants/default/users/{id}"))
        .await;
    assert_eq!(gone.status(), 404);
    let missing = b.get(&format!("/console/default/users/{id}")).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn a_second_factor_reset_asks_for_a_reason() {
    let app = TestApp::spawn().await;
    let mut b = console(&app, "ada@x.example", "tenant_admin", Value::Null).await;
    // Bob enrols an authenticator at his own first console sign-in.
    let _bob = console(&app, "bob@x.example", "helpdesk", Value::Null).await;
    let bob = body(app.get("/api/v1/tenants/default/users?search=bob@x").await).await;
    let id = bob["items"][0]["id"].as_str().expect("bob").to_owned();
    let without = confirm(&mut b, &id, "reset-mfa", &[("reason", "")]).await;
    assert_eq!(without.status, 422, "{}", without.html);
    let done = confirm(
        &mut b,
        &id,
        "reset-mfa",
        &[("reason", "lost phone, ticket 42")],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let factors = body(
        app.get(&format!("/api/v1/tenants/default/users/{id}/factors"))
            .await,
    )
    .await;
    assert_eq!(
        factors["items"].as_array().map(Vec::len),
        Some(0),
        "{factors}"
    );
}

#[tokio::test]
async fn a_scoped_admin_sees_no_one_outside_and_cannot_lift_another_scopes_quarantine() {
    let app = TestApp::spawn().await;
    define_department(&app).await;
    let sales = user(&app, "s@x.example", "Sales").await;
    let research = user(&app, "r@x.example", "Research").await;
    app.scim_group("default", "Team", &[&sales]).await;
    let by_sales = json!({"attribute": "department", "equals": "Sales"});
    let mut a = console(&app, "ada@x.example", "user_admin", by_sales).await;
    let outside = a.get(&format!("/console/default/users/{research}")).await;
    assert_eq!(outside.status, 404, "{}", outside.html);
    let list = a.get("/console/default/users").await;
    assert!(!list.html.contains("r@x.example"), "{}", list.html);
    assert_eq!(confirm(&mut a, &sales, "block", &[]).await.status, 303);
    let quarantined = a.get(&format!("/console/default/users/{sales}")).await;
    assert!(
        quarantined.html.contains("department = “Sales”"),
        "{}",
        quarantined.html
    );

    // An admin of another scope that also holds the user may not lift it.
    let mut team = console(&app, "bea@x.example", "helpdesk", json!({"group": "Team"})).await;
    let page = team.get(&format!("/console/default/users/{sales}")).await;
    assert_eq!(page.status, 200, "the user is in Bea's scope too");
    assert!(
        !page.html.contains("/actions/unblock\""),
        "not offered: {}",
        page.html
    );
    let path = format!("/console/default/users/{sales}/actions/unblock");
    assert_eq!(
        team.get(&path).await.status,
        409,
        "no confirmation of what does not apply"
    );
    let user = body(
        app.get(&format!("/api/v1/tenants/default/users/{sales}"))
            .await,
    )
    .await;
    let version = user["version"].to_string();
    let csrf = page.input("csrf");
    let refused = team
        .post(&path, &[("csrf", &csrf), ("version", &version)])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert!(
        refused.alert().is_some_and(|a| a.contains("another scope")),
        "{}",
        refused.html
    );
    assert_eq!(state_of(&app, &sales).await, "blocked");

    // A tenant-wide admin lifts any quarantine.
    let mut all = console(&app, "cy@x.example", "helpdesk", Value::Null).await;
    assert_eq!(confirm(&mut all, &sales, "unblock", &[]).await.status, 303);
    assert_eq!(state_of(&app, &sales).await, "active");
}
