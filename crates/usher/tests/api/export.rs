//! Exports: every user a list shows, as CSV (formulas neutralised, quoting
//! right) or JSON Lines, across page boundaries, filtered like the list.

use serde_json::{Value, json};
use usher_core::audit::{Actor, AuditAction, AuditContext};
use usher_testkit::app::{TestApp, json as body};
use usher_testkit::conformance::fixtures::UserBuilder;

const EXPORT: &str = "/api/v1/tenants/default/users/export";

async fn export(app: &TestApp, query: &str) -> (u16, String, String) {
    let res = app.get(&format!("{EXPORT}?{query}")).await;
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, res.text().await.unwrap())
}

#[tokio::test]
async fn an_export_streams_every_user_as_csv_or_json_lines() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "/api/v1/tenants/default/attributes",
            &json!({"name": "department", "label": "Department"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    // More users than one page of the walk, through the store's batch path.
    let tenant = app.services.find_tenant("default").await.unwrap();
    let now = app.clock_now();
    let users = (0..1100)
        .map(|i| {
            UserBuilder::new(tenant.id, &format!("bulk{i:04}@x.example"))
                .active()
                .build()
        })
        .collect();
    let ctx = AuditContext::new(Actor::system());
    app.services
        .store
        .insert_users(
            tenant.id,
            users,
            ctx.draft(Some(tenant.id), AuditAction::UserImport, now),
        )
        .await
        .unwrap();
    let tricky = app
        .create_user(
            "default",
            json!({
                "email": "aaa@x.example",
                "first_name": "=HYPERLINK(\"http://evil\")",
                "last_name": "O'Hara, \"Junior\"",
                "phone": "+4915112345678",
                "attributes": {"department": "@SUM(A1)"},
                "activate": true
            }),
        )
        .await;
    let blocked = app
        .create_user(
            "default",
            json!({"email": "zzz@x.example", "activate": true}),
        )
        .await;
    let res = app
        .post(
            &format!(
                "/api/v1/tenants/default/users/{}/block",
                blocked["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let (status, kind, text) = export(&app, "").await;
    assert_eq!(status, 200);
    assert_eq!(kind, "text/csv; charset=utf-8");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[0], "id");
    assert_eq!(header[1], "email");
    assert_eq!(header.last().unwrap(), "attributes.department");
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 1102, "every user, across pages");
    let emails: Vec<&str> = records.iter().map(|r| &r[1]).collect();
    let mut sorted = emails.clone();
    sorted.sort();
    assert_eq!(emails, sorted, "in the list's order");
    let first = &records[0];
    assert_eq!(&first[0], tricky["id"].as_str().unwrap());
    assert_eq!(
        &first[2], "'=HYPERLINK(\"http://evil\")",
        "a formula becomes text"
    );
    assert_eq!(&first[3], "O'Hara, \"Junior\"", "quotes and commas survive");
    assert_eq!(&first[4], "'+4915112345678");
    assert_eq!(first.get(header.len() - 1), Some("'@SUM(A1)"));
    assert_eq!(&records[1101][9], "blocked");

    // Filters as in the list.
    let (status, _, text) = export(&app, "state=blocked").await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][1], "zzz@x.example");

    let (status, _, text) = export(&app, "mfa=true").await;
    assert_eq!(status, 200);
    assert_eq!(
        csv::Reader::from_reader(text.as_bytes()).records().count(),
        0,
        "no one enrolled"
    );

    // JSON Lines: the users as the API shows them, values untouched.
    let (status, kind, text) = export(&app, "format=jsonl&search=aaa").await;
    assert_eq!(status, 200);
    assert_eq!(kind, "application/x-ndjson");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["first_name"], "=HYPERLINK(\"http://evil\")");
    assert_eq!(lines[0]["attributes"]["department"], "@SUM(A1)");
    let (_, _, all) = export(&app, "format=jsonl").await;
    assert_eq!(all.lines().count(), 1102);

    // Bad parameters are refused; each export is audited with its filters.
    let (status, _, text) = export(&app, "format=xml").await;
    assert_eq!(status, 400, "{text}");
    let (status, _, _) = export(&app, "state=sleeping").await;
    assert_eq!(status, 400);
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=user.export")
            .await,
    )
    .await;
    let events = audit["items"].as_array().unwrap();
    assert_eq!(events.len(), 7, "{audit}");
    assert!(
        events
            .iter()
            .any(|e| e["details"]["state"] == "blocked" && e["outcome"] == "success")
    );
    assert_eq!(
        events.iter().filter(|e| e["outcome"] == "refused").count(),
        2
    );
}
