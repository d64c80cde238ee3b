//! What a bad row does to the rest of an import: skipped by default, or
//! failing its batch or the whole file when asked.

use super::{IMPORTS, follow, import, total};
use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::{TestApp, json as body};

/// Five rows, the third of them bad (the file a new user tried first).
const FIVE_ROWS: &str = "email,first_name\n\
                         a@rows.example,Ann\n\
                         b@rows.example,Bob\n\
                         not-an-email,Cy\n\
                         d@rows.example,Dee\n\
                         e@rows.example,Eve\n";

fn counts(report: &Value) -> (u64, u64, u64, u64) {
    let n = |k: &str| report[k].as_u64().unwrap_or(u64::MAX);
    (
        n("created"),
        n("failed_rows"),
        n("skipped_rows"),
        n("failed_batches"),
    )
}

#[tokio::test]
async fn by_default_the_good_rows_are_written_and_the_bad_ones_listed() {
    let app = TestApp::spawn().await;
    let before = total(&app).await;
    let (status, report) = import(&app, "", "text/csv", FIVE_ROWS).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["on_error"], "skip_row");
    assert_eq!(counts(&report), (4, 1, 0, 0), "{report}");
    assert_eq!(report["errors"][0]["line"], 4);
    assert_eq!(report["errors"][0]["field"], "email");
    assert_eq!(total(&app).await, before + 4);
}

#[tokio::test]
async fn a_row_only_the_store_refuses_is_skipped_and_its_batch_written_without_it() {
    let app = TestApp::spawn().await;
    app.create_user(
        "default",
        json!({"email": "owner@rows.example", "username": "taken"}),
    )
    .await;
    let before = total(&app).await;
    let file = "email,username\n\
                ok@rows.example,free\n\
                clash@rows.example,taken\n\
                also@rows.example,\n";
    let (_, report) = import(&app, "", "text/csv", file).await;
    assert_eq!(counts(&report), (2, 1, 0, 0), "{report}");
    assert_eq!(report["errors"][0]["line"], 3);
    assert_eq!(report["errors"][0]["code"], "username_taken");
    assert_eq!(total(&app).await, before + 2);
}

#[tokio::test]
async fn fail_batch_keeps_a_batch_with_a_bad_row_out_whole() {
    let app = TestApp::spawn().await;
    let before = total(&app).await;
    let (_, report) = import(&app, "on_error=fail_batch", "text/csv", FIVE_ROWS).await;
    assert_eq!(counts(&report), (0, 1, 4, 1), "{report}");
    assert_eq!(total(&app).await, before);
}

/// Posts a queued import and follows it to its end.
async fn queued(app: &TestApp, query: &str, file: String) -> Value {
    let res = app
        .request(Method::POST, &format!("{IMPORTS}?{query}"))
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    follow(app, &location).await
}

/// Two batches' worth of rows, one bad in the second batch when `bad`.
fn two_batches(bad: bool) -> String {
    let mut file = String::from("email\n");
    for i in 0..6000 {
        if bad && i == 5300 {
            file.push_str("broken\n");
        } else {
            file.push_str(&format!("u{i:04}@file.example\n"));
        }
    }
    file
}

#[tokio::test]
async fn fail_file_writes_nothing_when_any_row_of_any_batch_is_bad() {
    let app = TestApp::spawn().await;
    let before = total(&app).await;
    let report = queued(&app, "on_error=fail_file", two_batches(true)).await;
    assert_eq!(report["state"], "completed", "{report}");
    assert_eq!(report["on_error"], "fail_file");
    assert_eq!(counts(&report), (0, 1, 5999, 0), "{report}");
    assert_eq!(report["errors"][0]["line"], 5302);
    assert_eq!(report["rows"], 6000);
    assert_eq!(total(&app).await, before, "not one row was written");

    // The same file without its bad row is written whole.
    let report = queued(&app, "on_error=fail_file", two_batches(false)).await;
    assert_eq!(counts(&report), (6000, 0, 0, 0), "{report}");
    assert_eq!(total(&app).await, before + 6000);
}

#[tokio::test]
async fn an_unknown_on_error_is_refused_and_imports_nothing() {
    let app = TestApp::spawn().await;
    let before = total(&app).await;
    let (status, problem) = import(&app, "on_error=skip", "text/csv", FIVE_ROWS).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["code"], "invalid_parameter");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("skip_row, fail_batch or fail_file"),
        "{problem}"
    );
    assert_eq!(total(&app).await, before);
    let list = body(app.get(IMPORTS).await).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
}

#[tokio::test]
async fn an_import_changes_no_person_who_holds_an_admin_role() {
    let app = TestApp::spawn().await;
    let boss = app
        .create_user(
            "default",
            json!({"email": "boss@rows.example", "first_name": "Boss", "activate": true}),
        )
        .await;
    app.create_user(
        "default",
        json!({"email": "plain@rows.example", "first_name": "Plain", "activate": true}),
    )
    .await;
    let id = boss["id"].as_str().unwrap();
    app.grant_admin("default", id, "tenant_admin").await;
    let file = "email,first_name\n\
                boss@rows.example,Mallory\n\
                plain@rows.example,Changed\n";
    let (status, report) = import(&app, "", "text/csv", file).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(report["errors"][0]["line"], 2);
    assert_eq!(report["errors"][0]["code"], "admin_user");
    let boss_now = body(
        app.get(&format!("/api/v1/tenants/default/users/{id}"))
            .await,
    )
    .await;
    assert_eq!(boss_now["first_name"], "Boss");
    // Named only to stay as they are, an admin is no error.
    let (_, again) = import(
        &app,
        "",
        "text/csv",
        "email,first_name\nboss@rows.example,Boss\n",
    )
    .await;
    assert_eq!(again["unchanged"], 1, "{again}");
    assert_eq!(again["errors"].as_array().map(Vec::len), Some(0));
}
