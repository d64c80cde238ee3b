//! A bulk run interrupted: killed mid-way and resumed after a restart,
//! or cancelled mid-run.

use super::{BASE, start, upload_csv};
use serde_json::{Value, json};
use std::time::Duration;
use usher_core::audit::AuditAction;
use usher_testkit::app::{SUPER_TOKEN, TestApp, json as body};
use usher_testkit::conformance::fixtures::UserBuilder;

/// The process as a fresh client sees it on `base`.
async fn remote(client: &reqwest::Client, base: &str, path: &str) -> Value {
    client
        .get(format!("{base}{path}"))
        .bearer_auth(SUPER_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_mid_way_resumes_after_a_restart_with_no_row_twice_or_skipped() {
    use crate::crash::Server;
    const USERS: usize = 4000;
    let dir = tempfile::tempdir().unwrap();
    let (db, _pg) = usher_testkit::app::fresh_database_url(dir.path(), "usher.db").await;
    // A first start creates the schema and the default tenant; the users
    // go in through the store's batch path while no server runs.
    Server::start(&db).kill();
    {
        let config = usher::config::Config::new("127.0.0.1:0", &db);
        let (store, _) = usher::app::open_configured_store(&config).await.unwrap();
        let tenant = store
            .tenant_by_slug(&usher_core::tenant::TenantSlug::parse("default").unwrap())
            .await
            .unwrap()
            .unwrap();
        let now = time::OffsetDateTime::now_utc();
        let users: Vec<usher_core::user::User> = (0..USERS)
            .map(|i| {
                let email = format!("k{i:05}@kill.example");
                UserBuilder::new(tenant.id, &email).active().build()
            })
            .collect();
        let ctx = usher_core::audit::AuditContext::new(usher_core::audit::Actor::system());
        store
            .insert_users(
                tenant.id,
                users,
                ctx.draft(Some(tenant.id), AuditAction::UserImport, now),
            )
            .await
            .unwrap();
    }
    let client = reqwest::Client::new();
    let server = Server::start(&db);
    let mut csv = String::from("email\n");
    for i in 0..USERS {
        csv.push_str(&format!("k{i:05}@kill.example\n"));
    }
    let up: Value = client
        .post(format!("{}{BASE}?action=block", server.base))
        .bearer_auth(SUPER_TOKEN)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid = up["id"].as_str().expect("uploaded").to_owned();
    let res = client
        .post(format!("{}{BASE}/{pid}/start", server.base))
        .bearer_auth(SUPER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    // Kill it as soon as some rows have run, well before all of them.
    let path = format!("{BASE}/{pid}");
    let mut at_kill = 0;
    for _ in 0..3000 {
        let p = remote(&client, &server.base, &path).await;
        at_kill = p["processed"].as_u64().unwrap();
        if at_kill > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill();
    assert!(
        at_kill > 0 && (at_kill as usize) < USERS,
        "killed mid-run ({at_kill} of {USERS} rows done)"
    );

    let server = Server::start(&db);
    let mut done = Value::Null;
    for _ in 0..3000 {
        done = remote(&client, &server.base, &path).await;
        if done["state"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(done["state"], "completed", "{done}");
    assert_eq!(done["processed"], USERS as u64, "{done}");
    assert_eq!(done["skipped"], 0, "{done}");
    // Every row has its outcome once; every user was blocked by exactly one
    // audited action of this process.
    let mut after = 0;
    let mut rows_seen = 0;
    loop {
        let page = remote(
            &client,
            &server.base,
            &format!("{BASE}/{pid}/rows?limit=1000&after={after}"),
        )
        .await;
        let items = page["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        for r in items {
            assert_eq!(r["outcome"], "processed", "{r}");
        }
        rows_seen += items.len();
        after = items.last().unwrap()["line"].as_u64().unwrap();
    }
    assert_eq!(rows_seen, USERS);
    let mut blocks = 0;
    let mut next = Some("/api/v1/tenants/default/audit?action=user.block&limit=200".to_owned());
    while let Some(p) = next {
        let page = remote(&client, &server.base, &p).await;
        blocks += page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["details"]["bulk_process_id"] == pid.as_str())
            .count();
        next = page["links"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(blocks, USERS, "one audited block per row");
    let blocked = remote(
        &client,
        &server.base,
        "/api/v1/tenants/default/users?state=blocked&limit=1",
    )
    .await;
    assert_eq!(blocked["total"], USERS as u64);
    server.kill();
}

#[tokio::test]
async fn a_cancel_mid_run_stops_before_the_next_chunk_and_shows_progress() {
    const USERS: usize = 6000;
    let app = TestApp::spawn().await;
    let tenant = app.services.find_tenant("default").await.unwrap();
    let users: Vec<usher_core::user::User> = (0..USERS)
        .map(|i| {
            UserBuilder::new(tenant.id, &format!("c{i:05}@cancel.example"))
                .active()
                .build()
        })
        .collect();
    let ctx = usher_core::audit::AuditContext::new(usher_core::audit::Actor::system());
    app.services
        .store
        .insert_users(
            tenant.id,
            users,
            ctx.draft(Some(tenant.id), AuditAction::UserImport, app.clock_now()),
        )
        .await
        .unwrap();
    let mut csv = String::from("email\n");
    for i in 0..USERS {
        csv.push_str(&format!("c{i:05}@cancel.example\n"));
    }
    let (_, up) = upload_csv(&app, "action=archive", &csv).await;
    let pid = up["id"].as_str().unwrap().to_owned();
    let (status, _) = start(&app, &pid, json!({})).await;
    assert_eq!(status, 202);
    // Progress shows while it runs.
    let mut seen = Value::Null;
    for _ in 0..5000 {
        seen = body(app.get(&format!("{BASE}/{pid}")).await).await;
        if seen["processed"].as_u64().unwrap() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let progress = seen["progress_percent"].as_u64().unwrap();
    assert!(progress > 0 && progress < 100, "mid-run progress: {seen}");
    assert_eq!(seen["state"], "running");
    let res = app.post(&format!("{BASE}/{pid}/cancel"), &json!({})).await;
    assert_eq!(res.status(), 200);
    let cancelled = body(res).await;
    assert_eq!(cancelled["state"], "cancelled");
    // Whatever chunk was running finishes (however long a loaded machine
    // takes for it); nothing runs after it.
    let mut after = body(app.get(&format!("{BASE}/{pid}")).await).await;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = body(app.get(&format!("{BASE}/{pid}")).await).await;
        if now["processed"] == after["processed"] {
            break;
        }
        after = now;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = body(app.get(&format!("{BASE}/{pid}")).await).await;
    assert_eq!(
        after["processed"], later["processed"],
        "no chunk after the cancel"
    );
    let processed = later["processed"].as_u64().unwrap();
    assert!(processed > 0 && processed < USERS as u64, "{later}");
    assert_eq!(later["pending"].as_u64().unwrap(), USERS as u64 - processed);
    // Rows with an outcome are exactly the processed ones.
    let archived = body(
        app.get("/api/v1/tenants/default/users?archived=true&limit=1")
            .await,
    )
    .await;
    assert_eq!(archived["total"].as_u64().unwrap(), processed);
}
