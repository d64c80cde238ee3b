//! A stranger cannot grow the audit log without bound: unknown link
//! guesses from one address write 20 rows a minute, then one summary.

use super::COMPLETE;
use serde_json::json;
use usher_testkit::app::{TestApp, TestOptions, json as body};

async fn guess(app: &TestApp, ip: &str, i: usize) -> u16 {
    app.client
        .post(app.url(COMPLETE))
        .header("x-forwarded-for", ip)
        .json(&json!({"token": format!("usher_rst_guess{i}"), "password": "long enough password"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn audit(app: &TestApp, action: &str) -> serde_json::Value {
    body(
        app.get(&format!(
            "/api/v1/tenants/default/audit?action={action}&limit=200"
        ))
        .await,
    )
    .await
}

#[tokio::test]
async fn unknown_link_guesses_write_twenty_rows_a_minute_per_address_then_a_summary() {
    let app = TestApp::spawn_with(TestOptions {
        trusted_proxies: Some("127.0.0.1/32".into()),
        ..TestOptions::default()
    })
    .await;
    for i in 0..30 {
        assert_eq!(
            guess(&app, "198.51.100.9", i).await,
            400,
            "every guess is refused"
        );
    }
    for i in 0..3 {
        guess(&app, "203.0.113.3", i).await;
    }
    let rows = audit(&app, "link.redeem").await;
    assert_eq!(
        rows["total"], 23,
        "20 from the flooding address, 3 from the other"
    );
    // The minute ends: its summary says how many were only counted.
    app.clock.advance(time::Duration::minutes(1));
    app.services.flush_audit_summaries().await.unwrap();
    let summary = audit(&app, "audit.suppressed").await;
    assert_eq!(summary["total"], 1, "{summary}");
    let s = &summary["items"][0];
    assert_eq!(s["details"]["suppressed"], 10);
    assert_eq!(s["details"]["kind"], "unknown_link");
    assert_eq!(s["client_ip"], "198.51.100.9");
    // A new minute writes again.
    guess(&app, "198.51.100.9", 99).await;
    assert_eq!(audit(&app, "link.redeem").await["total"], 24);
}
