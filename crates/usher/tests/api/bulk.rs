//! Bulk processes over HTTP: uploads (text/csv and multipart) checked and
//! stored, every action, every row outcome, cancel, and the refusals.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use usher_testkit::app::{SUPER_TOKEN, TestApp, json as body};
use usher_testkit::conformance::fixtures::UserBuilder;

const BASE: &str = "/api/v1/tenants/default/bulk-processes";
const PASSWORD: &str = "correct horse battery";

async fn upload_csv(app: &TestApp, query: &str, csv: &str) -> (u16, Value) {
    let res = app
        .request(Method::POST, &format!("{BASE}?{query}"))
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), body(res).await)
}

async fn upload_form(app: &TestApp, fields: &[(&str, &str)], csv: Option<&str>) -> (u16, Value) {
    let boundary = "usher-test-boundary-7f3a";
    let mut text = String::new();
    for (k, v) in fields {
        text.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    if let Some(csv) = csv {
        text.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"users.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n"
        ));
    }
    text.push_str(&format!("--{boundary}--\r\n"));
    let res = app
        .request(Method::POST, BASE)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(text)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), body(res).await)
}

async fn start(app: &TestApp, id: &str, body_: Value) -> (u16, Value) {
    let res = app.post(&format!("{BASE}/{id}/start"), &body_).await;
    (res.status().as_u16(), body(res).await)
}

/// Polls the process until it is no longer running.
async fn finished(app: &TestApp, id: &str) -> Value {
    for _ in 0..1500 {
        let p = body(app.get(&format!("{BASE}/{id}")).await).await;
        if p["state"] != "running" {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the bulk process did not finish");
}

async fn rows(app: &TestApp, id: &str) -> Vec<Value> {
    body(app.get(&format!("{BASE}/{id}/rows?limit=1000")).await).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn user(app: &TestApp, email: &str, extra: Value) -> Value {
    let mut b = json!({"email": email, "activate": true});
    if let (Some(o), Some(e)) = (b.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    app.create_user("default", b).await
}

async fn act(app: &TestApp, id: &str, what: &str) {
    let res = app
        .post(
            &format!("/api/v1/tenants/default/users/{id}/{what}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200, "{what}");
}

async fn get_user(app: &TestApp, id: &str) -> (u16, Value) {
    let res = app
        .get(&format!("/api/v1/tenants/default/users/{id}"))
        .await;
    (res.status().as_u16(), body(res).await)
}

#[tokio::test]
async fn an_upload_is_checked_and_stored_and_its_run_gives_every_row_an_outcome() {
    let app = TestApp::spawn().await;
    let ann = user(&app, "ann@x.example", json!({"first_name": "Ann"})).await;
    let bob = user(&app, "bob@x.example", json!({"first_name": "Bob"})).await;
    let cid = user(&app, "cid@x.example", json!({"first_name": "Cid"})).await;
    let dan = user(&app, "dan@x.example", json!({"first_name": "Dan"})).await;
    user(&app, "eve@x.example", json!({"first_name": "Eve"})).await;
    act(&app, bob["id"].as_str().unwrap(), "block").await;
    let id = |u: &Value| u["id"].as_str().unwrap().to_owned();
    // A BOM, a report's extra column, a quoted field with a newline, and
    // rows naming users by id or by email.
    let csv = format!(
        "\u{feff}id,email,first_name,department\n\
         {ann},ann@x.example,ann,\"Sales\nNorth\"\n\
         {bob},,Bob,\n\
         {cid},,Cid,\n\
         {dan},,Daniel,\n\
         ,EVE@x.example,,\n\
         0190f000-0000-7000-8000-00000000beef,,,\n\
         not-a-uuid,,,\n\
         {ann},,,\n",
        ann = id(&ann),
        bob = id(&bob),
        cid = id(&cid),
        dan = id(&dan),
    );
    let (status, up) = upload_csv(&app, "action=block&validate=true&note=offboarding", &csv).await;
    assert_eq!(status, 201, "{up}");
    assert_eq!(up["state"], "uploaded");
    assert_eq!(up["action"], "block");
    assert_eq!(up["note"], "offboarding");
    assert_eq!(
        (up["total"].as_u64(), up["malformed"].as_u64()),
        (Some(8), Some(2))
    );
    assert_eq!(up["created_by"]["kind"], "token");
    let malformed: Vec<(u64, &str)> = up["malformed_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(malformed, vec![(9, "invalid_id"), (10, "duplicate_user")]);
    let pid = up["id"].as_str().unwrap().to_owned();
    // Nothing has run yet.
    assert_eq!(get_user(&app, &id(&ann)).await.1["state"], "active");
    let waiting = rows(&app, &pid).await;
    assert_eq!(waiting.len(), 8);
    assert!(waiting[0]["outcome"].is_null());
    assert_eq!(waiting[0]["first_name"], "ann");

    // Someone edits cid after the upload.
    let res = app
        .patch(
            &format!("/api/v1/tenants/default/users/{}", id(&cid)),
            &json!({"last_name": "Changed"}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let (status, started) = start(&app, &pid, json!({})).await;
    assert_eq!(status, 202, "{started}");
    assert_eq!(started["state"], "running");
    let done = finished(&app, &pid).await;
    assert_eq!(done["state"], "completed", "{done}");
    assert_eq!(
        (
            done["processed"].as_u64(),
            done["skipped"].as_u64(),
            done["pending"].as_u64(),
            done["progress_percent"].as_u64()
        ),
        (Some(2), Some(4), Some(0), Some(100))
    );
    assert!(done["finished_at"].is_string());
    let outcomes: Vec<(u64, bool, String)> = rows(&app, &pid)
        .await
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["processed"].as_bool().unwrap(),
                r["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect = |line, processed, outcome: &str| (line, processed, outcome.to_owned());
    assert_eq!(
        outcomes,
        vec![
            expect(2, true, "processed"),
            expect(4, false, "already_blocked"),
            expect(5, false, "data_changed"),
            expect(6, false, "data_mismatch"),
            expect(7, true, "processed"),
            expect(8, false, "unknown_user"),
            expect(9, false, "invalid_id"),
            expect(10, false, "duplicate_user"),
        ]
    );
    assert_eq!(get_user(&app, &id(&ann)).await.1["state"], "blocked");
    assert_eq!(get_user(&app, &id(&cid)).await.1["state"], "active");
    assert_eq!(get_user(&app, &id(&dan)).await.1["state"], "active");
    // Each row is audited like the single action, refusals included.
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=user.block&limit=50")
            .await,
    )
    .await;
    let from_bulk: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["details"]["bulk_process_id"] == pid.as_str())
        .collect();
    assert_eq!(from_bulk.len(), 6, "{audit}");
    assert_eq!(
        from_bulk
            .iter()
            .filter(|e| e["outcome"] == "success")
            .count(),
        2
    );
    // A finished process does not start again, nor cancel.
    let (status, problem) = start(&app, &pid, json!({})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("invalid_bulk_state"))
    );
    let res = app.post(&format!("{BASE}/{pid}/cancel"), &json!({})).await;
    assert_eq!(res.status(), 409);
}

/// What a user must look like after an action.
type Check = Box<dyn Fn(&Value) -> bool>;

#[tokio::test]
async fn every_action_runs_like_the_single_action() {
    let app = TestApp::spawn().await;
    let id = |u: &Value| u["id"].as_str().unwrap().to_owned();
    let active = |e: &'static str| {
        let app = &app;
        async move { user(app, e, json!({})).await }
    };
    let blocked = active("blocked@x.example").await;
    act(&app, &id(&blocked), "block").await;
    let disabled = active("disabled@x.example").await;
    act(&app, &id(&disabled), "disable").await;
    let fresh = app
        .create_user(
            "default",
            json!({"email": "fresh@x.example", "send_invitation": false}),
        )
        .await;
    let signed_in = app.login_as("default", "signed@x.example", PASSWORD).await;
    let signed_user = body(
        app.get("/api/v1/tenants/default/users?search=signed@x")
            .await,
    )
    .await["items"][0]
        .clone();
    let doomed = active("doomed@x.example").await;

    let cases: Vec<(&str, String, Check)> = vec![
        (
            "block",
            id(&active("a1@x.example").await),
            Box::new(|u| u["state"] == "blocked"),
        ),
        (
            "unblock",
            id(&blocked),
            Box::new(|u| u["state"] == "active"),
        ),
        (
            "disable",
            id(&active("a2@x.example").await),
            Box::new(|u| u["state"] == "disabled"),
        ),
        (
            "enable",
            id(&disabled),
            Box::new(|u| u["state"] == "active"),
        ),
        (
            "archive",
            id(&active("a3@x.example").await),
            Box::new(|u| u["archived"] == true),
        ),
        (
            "send_invitation",
            id(&fresh),
            Box::new(|u| u["state"] == "pending_invitation"),
        ),
        (
            "password_reset",
            id(&active("a4@x.example").await),
            Box::new(|u| u["state"] == "active"),
        ),
        (
            "revoke_sessions",
            id(&signed_user),
            Box::new(|u| u["state"] == "active"),
        ),
    ];
    for (action, uid, check) in cases {
        let csv = format!("id\n{uid}\n");
        let fields = [("action", action), ("validate", "false"), ("note", "")];
        let (status, up) = upload_form(&app, &fields, Some(&csv)).await;
        assert_eq!(status, 201, "{action}: {up}");
        let pid = up["id"].as_str().unwrap().to_owned();
        let (status, _) = start(&app, &pid, json!({})).await;
        assert_eq!(status, 202, "{action}");
        let done = finished(&app, &pid).await;
        assert_eq!(
            done["processed"],
            1,
            "{action}: {:?}",
            rows(&app, &pid).await
        );
        let (_, u) = get_user(&app, &uid).await;
        assert!(check(&u), "{action}: {u}");
    }
    // The invitation and the reset went out as mail.
    let outbox = body(app.get("/api/v1/tenants/default/outbox?limit=200").await).await;
    let kinds: Vec<(&str, &str)> = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["recipient"].as_str().unwrap(),
                m["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("fresh@x.example", "invitation")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("a4@x.example", "password_reset")),
        "{kinds:?}"
    );
    // Revoking sessions ended the user's session at once.
    let token = signed_in["access_token"].as_str().unwrap();
    let me = app
        .as_user(Method::GET, "/api/v1/tenants/default/auth/me", token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);

    // Deleting needs an explicit confirmation at start.
    let csv = format!("email\n{}\n", doomed["email"].as_str().unwrap());
    let (_, up) = upload_csv(&app, "action=delete", &csv).await;
    let pid = up["id"].as_str().unwrap().to_owned();
    let (status, problem) = start(&app, &pid, json!({})).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "confirm_delete");
    assert_eq!(problem["errors"][0]["code"], "confirmation_required");
    let (status, _) = start(&app, &pid, json!({"confirm_delete": true})).await;
    assert_eq!(status, 202);
    assert_eq!(finished(&app, &pid).await["processed"], 1);
    assert_eq!(get_user(&app, &id(&doomed)).await.0, 404);
}

#[tokio::test]
async fn bad_uploads_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (status, problem) = upload_csv(&app, "action=explode&note=x", "id\nx\n").await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "action");
    assert_eq!(problem["errors"][0]["code"], "invalid_action");
    let (status, problem) = upload_csv(&app, "", "id\nx\n").await;
    assert_eq!(
        (status, problem["errors"][0]["code"].as_str()),
        (422, Some("required"))
    );
    let (status, problem) = upload_csv(&app, "action=block", "first_name\nAnn\n").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_csv"))
    );
    let (status, problem) = upload_csv(&app, "action=block", "id\n").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_csv"))
    );
    let (status, problem) = upload_csv(&app, "action=block&validate=maybe", "id\nx\n").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_parameter"))
    );
    let (status, problem) = upload_form(&app, &[("action", "block")], None).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("missing_file"))
    );
    let res = app
        .request(Method::POST, BASE)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let res = app
        .request(Method::POST, &format!("{BASE}?action=block"))
        .header("content-type", "text/csv")
        .body(vec![b'x'; 17 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let listed = body(app.get(BASE).await).await;
    assert_eq!(listed["items"], json!([]), "nothing was stored");
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=bulk.create")
            .await,
    )
    .await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["outcome"] == "refused")
    );

    // Unknown and other tenants' processes are not found.
    let (_, up) = upload_csv(&app, "action=block", "email\nnobody@x.example\n").await;
    let pid = up["id"].as_str().unwrap().to_owned();
    let res = app
        .get(&format!("{BASE}/0190f000-0000-7000-8000-000000000000"))
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(body(res).await["code"], "bulk_process_not_found");
    assert_eq!(
        app.get(&format!("{BASE}/not-a-uuid/rows")).await.status(),
        404
    );
    app.create_tenant("other").await;
    let res = app
        .client
        .get(app.url(&format!("/api/v1/tenants/other/bulk-processes/{pid}")))
        .bearer_auth(SUPER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // An uploaded process can be cancelled; then it never starts.
    let res = app.post(&format!("{BASE}/{pid}/cancel"), &json!({})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["state"], "cancelled");
    let (status, _) = start(&app, &pid, json!({})).await;
    assert_eq!(status, 409);
    let listed = body(app.get(&format!("{BASE}?limit=1")).await).await;
    assert_eq!(listed["items"][0]["id"], pid.as_str());
}

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
    let pg = if usher_testkit::app::postgres_selected() {
        usher_testkit::pg::fresh_database().await
    } else {
        None
    };
    let db = match &pg {
        Some(p) => p.url().to_owned(),
        None => format!("sqlite://{}/usher.db", dir.path().display()),
    };
    // A first start creates the schema and the default tenant; the users
    // go in through the store's batch path while no server runs.
    Server::start(&db).kill();
    {
        let store = usher::app::open_store(&db).await.unwrap();
        let tenant = store.tenant_by_slug("default").await.unwrap().unwrap();
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
                ctx.draft(Some(tenant.id), "user.import", now),
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
            ctx.draft(Some(tenant.id), "user.import", app.clock_now()),
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
    // Whatever chunk was running finishes; nothing runs after it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = body(app.get(&format!("{BASE}/{pid}")).await).await;
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
