//! Every admin action, reads included, leaves an audit event.

use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::{TestApp, json as body};

async fn events(app: &TestApp, query: &str) -> Value {
    body(
        app.get(&format!("/api/v1/tenants/default/audit?{query}"))
            .await,
    )
    .await
}

#[tokio::test]
async fn views_searches_lists_and_changes_are_audited_with_actor_ip_and_request_id() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user("default", json!({"email": "a@x.example", "activate": true}))
        .await;
    let id = u["id"].as_str().unwrap();
    app.get(&format!("/api/v1/tenants/default/users/{id}"))
        .await;
    app.get("/api/v1/tenants/default/users?search=a%40x").await;
    app.get("/api/v1/tenants/default/users").await;
    app.request(
        Method::POST,
        &format!("/api/v1/tenants/default/users/{id}/block"),
    )
    .header("x-request-id", "req-123")
    .send()
    .await
    .unwrap();
    let page = events(&app, "limit=10").await;
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "user.block",
            "user.list",
            "user.search",
            "user.view",
            "user.create"
        ]
    );
    let block = &page["items"][0];
    assert_eq!(block["outcome"], "success");
    assert_eq!(block["request_id"], "req-123");
    assert_eq!(block["client_ip"], "127.0.0.1");
    assert_eq!(block["actor"]["kind"], "token");
    assert_eq!(block["target"]["id"], id);
    assert_eq!(
        block["details"]["changes"]["state"],
        json!({"from": "active", "to": "blocked"})
    );
    let search = &page["items"][2];
    assert_eq!(search["details"]["search"], "a@x");
    assert_eq!(search["details"]["total"], 1);
    assert_eq!(page["items"][1]["prev_hash"], page["items"][2]["hash"]);
}

#[tokio::test]
async fn refused_attempts_are_audited_with_their_reason() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user("default", json!({"email": "a@x.example"}))
        .await;
    app.post(
        &format!(
            "/api/v1/tenants/default/users/{}/block",
            u["id"].as_str().unwrap()
        ),
        &json!({}),
    )
    .await;
    app.post("/api/v1/tenants/default/users", &json!({"email": "bad"}))
        .await;
    app.get("/api/v1/tenants/default/users?search=x").await;
    let page = events(&app, "limit=3").await;
    let got: Vec<(&str, &str, &str)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
                e["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("user.search", "refused", "search_too_short"),
            ("user.create", "refused", "validation_failed"),
            ("user.block", "refused", "invalid_state"),
        ]
    );
}

#[tokio::test]
async fn the_audit_log_filters_by_target_action_actor_and_time_and_pages() {
    let app = TestApp::spawn().await;
    let a = app
        .create_user("default", json!({"email": "a@x.example", "activate": true}))
        .await;
    let b = app
        .create_user("default", json!({"email": "b@x.example", "activate": true}))
        .await;
    for _ in 0..3 {
        app.get(&format!(
            "/api/v1/tenants/default/users/{}",
            a["id"].as_str().unwrap()
        ))
        .await;
    }
    app.get(&format!(
        "/api/v1/tenants/default/users/{}",
        b["id"].as_str().unwrap()
    ))
    .await;
    let by_target = events(&app, &format!("target={}", a["id"].as_str().unwrap())).await;
    assert_eq!(by_target["total"], 4);
    let views = events(&app, "action=user.view&limit=2").await;
    assert_eq!(views["total"], 4);
    assert_eq!(views["items"].as_array().unwrap().len(), 2);
    let next = views["links"]["next"].as_str().unwrap().to_owned();
    let rest = body(app.get(&next).await).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 2);
    assert!(rest["links"]["next"].is_null());
    let actor = views["items"][0]["actor"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        events(&app, &format!("actor={actor}")).await["total"]
            .as_u64()
            .unwrap()
            >= 6
    );
    let future = (app.services.clock.now() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert_eq!(events(&app, &format!("from={future}")).await["total"], 0);
    let res = app
        .get("/api/v1/tenants/default/audit?from=yesterday")
        .await;
    assert_eq!(res.status().as_u16(), 400);
}

#[tokio::test]
async fn the_audit_chain_verifies_after_a_busy_session() {
    let app = TestApp::spawn().await;
    for i in 0..20 {
        let u = app
            .create_user(
                "default",
                json!({"email": format!("u{i}@x.example"), "activate": true}),
            )
            .await;
        app.post(
            &format!(
                "/api/v1/tenants/default/users/{}/block",
                u["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    }
    let report = app.services.verify_audit(|_| {}).await.unwrap();
    assert!(report.ok(), "{report:?}");
    assert!(report.chains.iter().map(|c| c.events).sum::<u64>() >= 40);
}
