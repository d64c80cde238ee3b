//! Jobs over HTTP: the tenant's list and the super-admin's, their filters
//! and refusals, the retry of a failed job, and the work that arrives as
//! jobs (a mail with its outbox row).

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use usher_core::job::{JobKind, NewJob};
use usher_core::token::TokenScope;
use usher_testkit::app::{TestApp, json as body};

const JOBS: &str = "/api/v1/tenants/default/jobs";

async fn jobs(app: &TestApp, query: &str) -> Value {
    body(app.get(&format!("{JOBS}{query}")).await).await
}

/// Waits until the job reaches `state` (the runner polls every 100 ms).
async fn job_in(app: &TestApp, id: &str, state: &str) -> Value {
    for _ in 0..200 {
        let list = jobs(app, "?limit=200").await;
        if let Some(j) = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["id"] == id && j["state"] == state)
        {
            return j.clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "job {id} never became {state}: {}",
        jobs(app, "?limit=200").await
    );
}

#[tokio::test]
async fn a_queued_mail_is_a_job_of_its_tenant_listed_with_its_filters() {
    let app = TestApp::spawn().await;
    app.create_user("default", json!({"email": "grace@example.com"}))
        .await;
    let list = jobs(&app, "?kind=mail_delivery").await;
    assert_eq!(list["total"], 1, "{list}");
    let job = &list["items"][0];
    assert_eq!(job["kind"], "mail_delivery");
    assert_eq!(job["tenant"], "default");
    // Without SMTP nothing delivers it: it stays queued for when SMTP comes.
    assert_eq!(job["state"], "queued");
    assert_eq!(job["attempts"], 0);
    let outbox = body(app.get("/api/v1/tenants/default/outbox").await).await;
    assert_eq!(job["payload"]["mail_id"], outbox["items"][0]["id"]);
    for key in [
        "run_at",
        "lease_owner",
        "lease_expires_at",
        "last_error",
        "created_at",
    ] {
        assert!(job.get(key).is_some(), "{key} is in the job's JSON: {job}");
    }
    assert_eq!(jobs(&app, "?state=completed").await["total"], 0);
    assert_eq!(list["links"]["next"], Value::Null);

    for (query, code) in [
        ("?state=done", "invalid_state_filter"),
        ("?kind=cleanup", "invalid_kind_filter"),
        ("?limit=0", "invalid_limit"),
        ("?limit=201", "invalid_limit"),
        ("?cursor=a.bm90LWFuLWlk", "invalid_cursor"),
    ] {
        let res = app.get(&format!("{JOBS}{query}")).await;
        assert_eq!(res.status().as_u16(), 400, "{query}");
        assert_eq!(body(res).await["code"], code, "{query}");
    }

    // The installation-wide jobs are the super-admin's to see.
    let all = body(app.get("/api/v1/jobs?limit=200").await).await;
    let kinds: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["kind"].as_str().unwrap())
        .collect();
    for kind in ["mail_delivery", "invitation_sweep", "job_purge"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let sweep = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["kind"] == "invitation_sweep")
        .unwrap();
    assert_eq!(
        (&sweep["tenant"], &sweep["every_seconds"]),
        (&Value::Null, &json!(60))
    );

    // A tenant admin sees only its own tenant's jobs, and not the global list.
    app.create_tenant("acme").await;
    let acme = app.tenant_token("acme", TokenScope::Admin).await;
    let theirs = app
        .as_user(Method::GET, "/api/v1/tenants/acme/jobs", &acme)
        .send()
        .await
        .unwrap();
    assert_eq!(body(theirs).await["total"], 0);
    let denied = app
        .as_user(Method::GET, "/api/v1/jobs", &acme)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status().as_u16(), 403);
    let hidden = app.as_user(Method::GET, JOBS, &acme).send().await.unwrap();
    assert_eq!(hidden.status().as_u16(), 404);
}

#[tokio::test]
async fn a_failed_job_can_be_retried_once_and_only_while_failed() {
    let app = TestApp::spawn().await;
    let tenant = app.services.find_tenant("default").await.unwrap();
    // A bulk run naming no process fails at once, for good.
    let broken = NewJob::new(
        JobKind::BulkRun,
        Some(tenant.id),
        json!({}),
        app.clock_now(),
    );
    app.services
        .store
        .enqueue_job(broken.clone())
        .await
        .unwrap();
    let id = broken.id.to_string();
    let failed = job_in(&app, &id, "failed").await;
    assert_eq!(failed["attempts"], 1);
    assert_eq!(failed["last_error"], "the job names no bulk process");
    assert!(failed["finished_at"].is_string());

    let res = app.post(&format!("{JOBS}/{id}/retry"), &json!({})).await;
    assert_eq!(res.status().as_u16(), 200);
    let again = body(res).await;
    assert_eq!(
        (&again["state"], &again["attempts"]),
        (&json!("queued"), &json!(0))
    );
    assert_eq!(again["finished_at"], Value::Null);
    job_in(&app, &id, "failed").await;

    // Completed and unknown jobs are not retried.
    let mail = app
        .create_user("default", json!({"email": "ann@example.com"}))
        .await;
    assert!(mail["id"].is_string());
    let queued = jobs(&app, "?kind=mail_delivery").await["items"][0]["id"].clone();
    let res = app
        .post(
            &format!("{JOBS}/{}/retry", queued.as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(body(res).await["code"], "job_not_failed");
    for unknown in ["not-a-uuid", "0190f6b1-0000-7000-8000-000000000000"] {
        let res = app
            .post(&format!("{JOBS}/{unknown}/retry"), &json!({}))
            .await;
        assert_eq!(res.status().as_u16(), 404, "{unknown}");
        assert_eq!(body(res).await["code"], "job_not_found");
    }
    // Every call is audited, refusals too.
    let events = body(
        app.get("/api/v1/tenants/default/audit?action=job.retry&limit=10")
            .await,
    )
    .await;
    let outcomes: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["refused", "refused", "refused", "success"]);
}
