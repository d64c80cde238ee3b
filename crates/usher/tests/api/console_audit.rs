//! The console's audit log: who may read it (the API's rule), filters,
//! and the check of the tenant's chain, itself audited.

use crate::console::signed_in;
use serde_json::json;
use usher_testkit::app::{TestApp, json as body};

#[tokio::test]
async fn an_auditor_reads_and_filters_the_log_and_checks_the_chain() {
    let app = TestApp::spawn().await;
    app.create_user("default", json!({"email": "grace@x.example"}))
        .await;
    let mut b = signed_in(&app, "ada@x.example", "auditor").await;
    let users = b.get("/console/default/users").await;
    assert!(
        users.html.contains("href=\"/console/default/audit\""),
        "{}",
        users.html
    );

    let log = b.get("/console/default/audit").await;
    assert_eq!(log.status, 200, "{}", log.html);
    assert!(log.html.contains("admin.login"), "{}", log.html);
    let created = b.get("/console/default/audit?action=user.create").await;
    assert!(created.html.contains("user.create"), "{}", created.html);
    assert!(!created.html.contains("admin.login"), "{}", created.html);
    let bad = b.get("/console/default/audit?from=yesterday").await;
    assert_eq!(bad.status, 400, "{}", bad.html);

    let csrf = log.input("csrf");
    let forged = b
        .post("/console/default/audit/verify", &[("csrf", "forged")])
        .await;
    assert_eq!(forged.status, 403);
    let checked = b
        .post("/console/default/audit/verify", &[("csrf", &csrf)])
        .await;
    assert_eq!(checked.status, 200, "{}", checked.html);
    assert!(checked.html.contains("is intact"), "{}", checked.html);
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=audit.verify&limit=1")
            .await,
    )
    .await;
    let event = &audit["items"][0];
    assert_eq!(
        (
            event["details"]["intact"].as_bool(),
            event["actor"]["email"].as_str()
        ),
        (Some(true), Some("ada@x.example")),
        "{event}"
    );
}

#[tokio::test]
async fn a_helpdesk_admin_neither_sees_nor_opens_the_log() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, "hal@x.example", "helpdesk").await;
    let users = b.get("/console/default/users").await;
    assert!(
        !users.html.contains("/console/default/audit"),
        "{}",
        users.html
    );
    assert_eq!(b.get("/console/default/audit").await.status, 403);
    let csrf = users.input("csrf");
    assert_eq!(
        b.post("/console/default/audit/verify", &[("csrf", &csrf)])
            .await
            .status,
        403
    );
}
