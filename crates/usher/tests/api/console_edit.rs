//! Creating and editing users in the console: the API's validation, every
//! bad field named at once under its control and nothing written, a taken
//! email named on its field, the version an edit was shown at, and the
//! custom attributes under their labels.

use crate::console::{last_actor, signed_in};
use serde_json::json;
use usher_testkit::app::{TestApp, json as body};

async fn total(app: &TestApp) -> u64 {
    let page = body(app.get("/api/v1/tenants/default/users").await).await;
    page["total"].as_u64().expect("total")
}

async fn define_department(app: &TestApp) {
    let res = app
        .post(
            "/api/v1/tenants/default/attributes",
            &json!({"name": "department", "label": "Department", "max_length": 8}),
        )
        .await;
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
}

#[tokio::test]
async fn an_admin_creates_a_user_and_every_bad_field_is_named_at_once() {
    let app = TestApp::spawn().await;
    define_department(&app).await;
    let mut b = signed_in(&app, "ada@x.example", "user_admin").await;
    let list = b.get("/console/default/users").await;
    assert!(
        list.html.contains("/console/default/users/new"),
        "{}",
        list.html
    );
    let form = b.get("/console/default/users/new").await;
    assert_eq!(form.status, 200, "{}", form.html);
    assert!(
        form.html
            .contains("<label for=\"attributes-department\">Department</label>")
    );
    let csrf = form.input("csrf");
    let before = total(&app).await;

    let bad = [
        ("csrf", csrf.as_str()),
        ("email", "not an email"),
        ("phone", "12"),
        ("attributes.department", "Far too long"),
        ("start", "invite"),
    ];
    let refused = b.post("/console/default/users/new", &bad).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    for id in ["email-error", "phone-error", "attributes-department-error"] {
        assert!(
            refused.html.contains(&format!("id=\"{id}\"")),
            "{id}: {}",
            refused.html
        );
    }
    assert!(refused.html.contains("aria-invalid=\"true\""));
    assert!(
        refused.html.contains("value=\"not an email\""),
        "what was typed is kept"
    );
    assert_eq!(total(&app).await, before, "nothing was created");

    let good = [
        ("csrf", csrf.as_str()),
        ("email", "grace@x.example"),
        ("first_name", "Grace"),
        ("language", "de"),
        ("attributes.department", "Research"),
        ("start", "invite"),
    ];
    let made = b.post("/console/default/users/new", &good).await;
    assert_eq!(made.status, 303, "{}", made.html);
    let found = body(
        app.get("/api/v1/tenants/default/users?search=grace@x")
            .await,
    )
    .await;
    let user = &found["items"][0];
    assert_eq!(
        (
            user["state"].as_str(),
            user["language"].as_str(),
            user["attributes"]["department"].as_str()
        ),
        (Some("pending_invitation"), Some("de"), Some("Research")),
        "{user}"
    );
    let actor = last_actor(&app, "user.create").await;
    assert_eq!(actor["email"], "ada@x.example", "{actor}");
}

#[tokio::test]
async fn an_edit_keeps_the_version_it_was_shown_at_and_names_a_taken_email_on_its_field() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, "ada@x.example", "user_admin").await;
    let grace = app
        .create_user(
            "default",
            json!({"email": "grace@x.example", "first_name": "Grace", "phone": "+441234567890"}),
        )
        .await;
    let id = grace["id"].as_str().expect("id");
    app.create_user("default", json!({"email": "alan@x.example"}))
        .await;
    let path = format!("/console/default/users/{id}/edit");
    let form = b.get(&path).await;
    assert_eq!(form.status, 200, "{}", form.html);
    assert!(form.html.contains("value=\"Grace\""), "{}", form.html);
    let (csrf, version) = (form.input("csrf"), form.input("version"));

    let taken = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("email", "alan@x.example"),
    ];
    let refused = b.post(&path, &taken).await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert!(
        refused.html.contains("id=\"email-error\""),
        "{}",
        refused.html
    );

    let res = app
        .patch(
            &format!("/api/v1/tenants/default/users/{id}"),
            &json!({"last_name": "Hopper"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let stale = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("email", "grace@x.example"),
        ("first_name", "G."),
    ];
    let refused = b.post(&path, &stale).await;
    assert_eq!(refused.status, 412, "{}", refused.html);
    assert!(
        refused.html.contains("value=\"Hopper\""),
        "the stored values are shown again"
    );

    let fresh = b.get(&path).await;
    let edit = [
        ("csrf", csrf.as_str()),
        ("version", &fresh.input("version")),
        ("email", "grace@x.example"),
        ("first_name", "Grace"),
        ("last_name", "Hopper"),
        ("phone", ""),
    ];
    let done = b.post(&path, &edit).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let now = body(
        app.get(&format!("/api/v1/tenants/default/users/{id}"))
            .await,
    )
    .await;
    assert_eq!(now["last_name"], "Hopper");
    assert!(now["phone"].is_null(), "an emptied field is unset: {now}");
}

#[tokio::test]
async fn a_helpdesk_admin_can_neither_create_nor_edit() {
    let app = TestApp::spawn().await;
    let grace = app
        .create_user("default", json!({"email": "grace@x.example"}))
        .await;
    let id = grace["id"].as_str().expect("id");
    let mut b = signed_in(&app, "hal@x.example", "helpdesk").await;
    let list = b.get("/console/default/users").await;
    assert!(
        !list.html.contains("/users/new"),
        "no create button for helpdesk"
    );
    assert_eq!(b.get("/console/default/users/new").await.status, 403);
    assert_eq!(
        b.get(&format!("/console/default/users/{id}/edit"))
            .await
            .status,
        403
    );
    let page = b.get(&format!("/console/default/users/{id}")).await;
    assert!(
        !page.html.contains("/edit\""),
        "no edit button for helpdesk"
    );
}

#[tokio::test]
async fn delete_is_not_offered_while_the_tenant_requires_a_disable_first() {
    let app = TestApp::spawn().await;
    let res = app
        .patch(
            "/api/v1/tenants/default/settings",
            &json!({"require_disable_before_delete": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let grace = app
        .create_user(
            "default",
            json!({"email": "grace@x.example", "activate": true}),
        )
        .await;
    let id = grace["id"].as_str().expect("id");
    let mut b = signed_in(&app, "ada@x.example", "user_admin").await;
    let page = b.get(&format!("/console/default/users/{id}")).await;
    assert!(!page.html.contains("/actions/delete\""), "{}", page.html);
    assert!(page.html.contains("/actions/disable\""), "{}", page.html);
    let confirm = b
        .get(&format!("/console/default/users/{id}/actions/delete"))
        .await;
    assert_eq!(confirm.status, 409, "{}", confirm.html);
}
