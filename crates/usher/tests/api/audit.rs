//! Every admin action, reads included, leaves an audit event.

use reqwest::Method;
use serde_json::{Value, json};
use usher_core::TenantId;
use usher_core::audit::{Actor, AuditContext};
use usher_core::sealing::SecretKeys;
use usher_core::service::ChainReport;
use usher_testkit::app::{TestApp, TestOptions, json as body};
use usher_testkit::forge;

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

/// The verification of every chain, with the app's own keys.
async fn verified(app: &TestApp) -> usher_core::service::VerifyReport {
    app.services.verify_audit(|_| {}).await.unwrap()
}

fn chain_of(report: &usher_core::service::VerifyReport, chain: TenantId) -> ChainReport {
    report
        .chains
        .iter()
        .find(|c| c.chain == chain)
        .expect("the chain is verified")
        .clone()
}

async fn default_tenant(app: &TestApp) -> TenantId {
    let t = app.get("/api/v1/tenants/default").await;
    body(t).await["id"].as_str().unwrap().parse().unwrap()
}

fn keyed_options(key: &str) -> TestOptions {
    TestOptions {
        secret_key: Some(key.to_owned()),
        ..TestOptions::default()
    }
}

#[tokio::test]
async fn a_chain_rebuilt_without_the_secret_key_no_longer_verifies() {
    let app = TestApp::spawn_with(keyed_options(&SecretKeys::generate())).await;
    for i in 0..3 {
        app.create_user("default", json!({"email": format!("k{i}@x.example")}))
            .await;
    }
    let tenant = default_tenant(&app).await;
    let report = verified(&app).await;
    assert!(report.ok(), "{report:?}");
    let chain = chain_of(&report, tenant);
    assert!(
        chain.events >= 4 && chain.keyed == chain.events,
        "{chain:?}"
    );

    // A forger changes the second event and rebuilds every hash after it:
    // without the key, the rebuilt events cannot be keyed.
    forge::rebuild_chain_from(&app.database_url, tenant, 2, |v| {
        v["actor"]["name"] = json!("someone else");
    })
    .await
    .unwrap();
    let broken = chain_of(&verified(&app).await, tenant).result.unwrap_err();
    assert_eq!(broken.seq, 2, "{broken:?}");
    assert!(
        broken.problem.contains("unkeyed event follows"),
        "{broken:?}"
    );

    // Rebuilt from the very first event, the chain is consistent but its
    // newest event is not keyed.
    forge::rebuild_chain_from(&app.database_url, tenant, 1, |v| {
        v["actor"]["name"] = json!("someone else");
    })
    .await
    .unwrap();
    let broken = chain_of(&verified(&app).await, tenant).result.unwrap_err();
    assert!(
        broken.problem.contains("newest event is not keyed"),
        "{broken:?}"
    );
}

#[tokio::test]
async fn a_rotated_key_verifies_events_keyed_before_while_it_stays_listed() {
    let (old, new) = (SecretKeys::generate(), SecretKeys::generate());
    let app = TestApp::spawn_with(keyed_options(&old)).await;
    app.create_user("default", json!({"email": "r@x.example"}))
        .await;
    // On PostgreSQL whoever seals an event keys it: seal under the old key.
    app.services.store.audit_heads().await.unwrap();
    let rotated = TestApp::spawn_on(&app, keyed_options(&format!("{},{}", *new, *old))).await;
    rotated
        .create_user("default", json!({"email": "r2@x.example"}))
        .await;
    let report = verified(&rotated).await;
    assert!(report.ok(), "{report:?}");
    // Dropping the old key leaves its events unverifiable.
    let dropped = TestApp::spawn_on(&app, keyed_options(&new)).await;
    let report = verified(&dropped).await;
    let broken = chain_of(&report, default_tenant(&app).await)
        .result
        .unwrap_err();
    assert!(broken.problem.contains("does not hold"), "{broken:?}");
}

#[tokio::test]
async fn a_server_given_a_key_keys_chains_written_before_it() {
    // An installation that ran without a key: its events are unkeyed.
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = usher_testkit::app::fresh_database_url(dir.path(), "usher.db").await;
    {
        let store = usher::app::open_store(&url, None).await.unwrap();
        let clock = std::sync::Arc::new(usher_core::SystemClock);
        let services = usher_core::service::Services::new(store, clock).unwrap();
        let system = AuditContext::new(Actor::system());
        services.ensure_default_tenant(&system).await.unwrap();
        // Sealed unkeyed (PostgreSQL seals when read).
        services.store.audit_heads().await.unwrap();
    }
    let app = TestApp::spawn_at_with(&url, keyed_options(&SecretKeys::generate())).await;
    let report = verified(&app).await;
    assert!(report.ok(), "{report:?}");
    // The global chain held the default tenant's creation, unkeyed; the
    // server keyed it from the next event on, which says so.
    let global = chain_of(&report, TenantId::nil());
    let before = global.events - global.keyed;
    assert!(before >= 1 && global.keyed >= 1, "{global:?}");
    let first_keyed = app
        .services
        .store
        .audit_links(TenantId::nil(), before as i64, 1)
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&first_keyed[0].payload).unwrap();
    assert_eq!(v["action"], "audit.chain_keyed", "{v}");
    assert_eq!(v["details"]["unkeyed_events"], before, "{v}");
}
