//! Bulk processes and imports in the console: an upload with its
//! unreadable lines shown, a start (a delete only when confirmed), the
//! rows with their outcomes, and an import as a dry run first; each the
//! admin API's call, refused to roles that may not run bulk work.

use crate::console::signed_in;
use usher_testkit::app::{TestApp, json as body};

async fn state_of(app: &TestApp, email: &str) -> Option<String> {
    let found = body(
        app.get(&format!("/api/v1/tenants/default/users?search={email}"))
            .await,
    )
    .await;
    found["items"][0]["state"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn a_bulk_block_is_uploaded_started_and_followed_row_by_row() {
    let app = TestApp::spawn().await;
    for email in ["a1@x.example", "a2@x.example"] {
        app.create_user(
            "default",
            serde_json::json!({"email": email, "activate": true}),
        )
        .await;
    }
    let mut b = signed_in(&app, "bo@x.example", "bulk_operator").await;
    let page = b.get("/console/default/bulk").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let csrf = page.input("csrf");
    let csv = "email\na1@x.example\na2@x.example\nnobody@x.example\n\"broken\n";
    let forged = b
        .post_multipart(
            "/console/default/bulk",
            &[("csrf", "x"), ("action", "block")],
            ("file", "u.csv", csv),
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.html);
    let uploaded = b
        .post_multipart(
            "/console/default/bulk",
            &[("csrf", &csrf), ("action", "block")],
            ("file", "u.csv", csv),
        )
        .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.html);
    assert!(
        uploaded.html.contains("cannot be read"),
        "the broken line is listed: {}",
        uploaded.html
    );
    assert_eq!(
        state_of(&app, "a1@x.example").await.as_deref(),
        Some("active"),
        "nothing runs yet"
    );
    let process = uploaded
        .html
        .split("action=\"/console/default/bulk/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the process's start form")
        .to_owned();
    let path = format!("/console/default/bulk/{process}");
    let started = b.post(&path, &[("csrf", &csrf), ("op", "start")]).await;
    assert_eq!(started.status, 303, "{}", started.html);
    for _ in 0..100 {
        if state_of(&app, "a2@x.example").await.as_deref() == Some("blocked") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        state_of(&app, "a1@x.example").await.as_deref(),
        Some("blocked")
    );
    let mut shown = b.get(&path).await;
    for _ in 0..100 {
        if !shown.html.contains("refreshes itself") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        shown = b.get(&path).await;
    }
    assert!(shown.html.contains("nobody@x.example"), "{}", shown.html);
    let skipped = b.get(&format!("{path}?outcome=not_done")).await;
    assert!(
        skipped.html.contains("nobody@x.example"),
        "{}",
        skipped.html
    );
    assert!(!skipped.html.contains("a1@x.example"), "{}", skipped.html);
}

#[tokio::test]
async fn a_bulk_delete_runs_only_when_confirmed() {
    let app = TestApp::spawn().await;
    app.create_user("default", serde_json::json!({"email": "d1@x.example"}))
        .await;
    let mut b = signed_in(&app, "ta@x.example", "tenant_admin").await;
    let csrf = b.get("/console/default/bulk").await.input("csrf");
    let uploaded = b
        .post_multipart(
            "/console/default/bulk",
            &[("csrf", &csrf), ("action", "delete")],
            ("file", "u.csv", "email\nd1@x.example\n"),
        )
        .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.html);
    assert!(
        uploaded.html.contains("id=\"confirm_delete\""),
        "{}",
        uploaded.html
    );
    let process = uploaded
        .html
        .split("action=\"/console/default/bulk/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the start form")
        .to_owned();
    let path = format!("/console/default/bulk/{process}");
    let unconfirmed = b.post(&path, &[("csrf", &csrf), ("op", "start")]).await;
    assert_ne!(unconfirmed.status, 303, "{}", unconfirmed.html);
    assert_eq!(
        state_of(&app, "d1@x.example").await.as_deref(),
        Some("pending_invitation")
    );
    let confirmed = b
        .post(
            &path,
            &[("csrf", &csrf), ("op", "start"), ("confirm_delete", "true")],
        )
        .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.html);
}

#[tokio::test]
async fn an_import_is_checked_first_then_written_and_a_helpdesk_admin_may_do_neither() {
    let app = TestApp::spawn().await;
    let mut b = signed_in(&app, "bo@x.example", "bulk_operator").await;
    let page = b.get("/console/default/imports").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html
            .contains("id=\"dry_run\" name=\"dry_run\" value=\"true\" checked"),
        "a dry run by default"
    );
    let csrf = page.input("csrf");
    let csv = "email,first_name\nnew1@x.example,Ann\nnot-an-email,Bob\n";
    let dry = b
        .post_multipart(
            "/console/default/imports",
            &[
                ("csrf", &csrf),
                ("format", "csv"),
                ("on_error", "skip_row"),
                ("dry_run", "true"),
            ],
            ("file", "u.csv", csv),
        )
        .await;
    assert_eq!(dry.status, 201, "{}", dry.html);
    assert!(dry.html.contains("A dry run"), "{}", dry.html);
    assert!(
        dry.html.contains("<td>3</td>"),
        "the bad row is named by its line: {}",
        dry.html
    );
    assert_eq!(
        state_of(&app, "new1@x.example").await,
        None,
        "a dry run writes nothing"
    );
    let real = b
        .post_multipart(
            "/console/default/imports",
            &[("csrf", &csrf), ("format", "csv"), ("on_error", "skip_row")],
            ("file", "u.csv", csv),
        )
        .await;
    assert_eq!(real.status, 201, "{}", real.html);
    assert!(state_of(&app, "new1@x.example").await.is_some());
    let list = b.get("/console/default/imports").await;
    assert!(
        list.html.contains("/console/default/imports/"),
        "{}",
        list.html
    );

    // An auditor sees the imports but sends no file: refused before it is read.
    let mut auditor = signed_in(&app, "aud@x.example", "auditor").await;
    let csrf = auditor.get("/console/default/imports").await.input("csrf");
    let refused = auditor
        .post_multipart(
            "/console/default/imports",
            &[("csrf", &csrf)],
            ("file", "u.csv", csv),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);

    let mut h = signed_in(&app, "hal@x.example", "helpdesk").await;
    assert_eq!(h.get("/console/default/imports").await.status, 403);
    assert_eq!(h.get("/console/default/bulk").await.status, 403);
}
