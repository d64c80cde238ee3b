//! Imports over HTTP: CSV and JSON Lines, every field, states, password
//! hashes that log in, TOTP secrets, upserts by email and external id, dry
//! runs, bad rows by line (skipped, or failing their batch or the file).

mod again;
mod on_error;
mod roles;

use reqwest::Method;
use serde_json::{Value, json};
use usher_core::password::NormalizedPassword;
use usher_testkit::app::{TestApp, json as body};

pub(super) const IMPORTS: &str = "/api/v1/tenants/default/imports";
const PASSWORD: &str = "imported password 42";
const TOTP: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

pub(super) async fn import(app: &TestApp, query: &str, kind: &str, file: &str) -> (u16, Value) {
    let res = app
        .request(Method::POST, &format!("{IMPORTS}?{query}"))
        .header("content-type", kind)
        .body(file.to_owned())
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), body(res).await)
}

pub(super) async fn total(app: &TestApp) -> u64 {
    body(app.get("/api/v1/tenants/default/users?limit=1").await).await["total"]
        .as_u64()
        .unwrap()
}

async fn find(app: &TestApp, email: &str) -> Value {
    let q = form_urlencoded_email(email);
    body(
        app.get(&format!("/api/v1/tenants/default/users?search={q}"))
            .await,
    )
    .await["items"][0]
        .clone()
}

fn form_urlencoded_email(e: &str) -> String {
    e.replace('@', "%40").replace('+', "%2B")
}

async fn setup() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "/api/v1/tenants/default/attributes",
            &json!({"name": "department", "label": "Department", "max_length": 40}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let hash = app
        .services
        .hasher
        .hash(NormalizedPassword::normalize(PASSWORD))
        .await
        .unwrap();
    (app, hash)
}

#[tokio::test]
async fn a_csv_import_creates_and_updates_users_with_every_field() {
    let (app, hash) = setup().await;
    let old = app
        .create_user(
            "default",
            json!({"email": "old@x.example", "first_name": "Old", "send_invitation": false}),
        )
        .await;
    let ext = app
        .create_user(
            "default",
            json!({"email": "ext@x.example", "external_id": "hr-7", "activate": true}),
        )
        .await;
    let file = format!(
        "\u{feff}email,first_name,last_name,phone,language,username,external_id,state,password_hash,totp_secret,attributes.department\n\
         ann@x.example,Ann,\"O'Hara, \"\"Jr\"\"\",'+4915112345678,de,ann,hr-1,active,\"{hash}\",,'=Sales\n\
         mfa@x.example,Mo,,,,,,active,\"{hash}\",{TOTP},\n\
         inv@x.example,Ivy,,,,,,invite,,,\n\
         old@x.example,Renamed,,,,,,,,,Ops\n\
         moved@x.example,,,,,,hr-7,,,,\n\
         plain@x.example,,,,,,,,,,\n"
    );
    let before = total(&app).await;
    let (status, report) = import(&app, "", "text/csv", &file).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["failed_rows"], 0, "{report}");
    assert_eq!(
        (
            report["rows"].as_u64(),
            report["created"].as_u64(),
            report["updated"].as_u64()
        ),
        (Some(6), Some(4), Some(2))
    );
    assert_eq!(total(&app).await, before + 4);

    let ann = find(&app, "ann@x.example").await;
    assert_eq!(ann["state"], "active");
    assert_eq!(ann["last_name"], "O'Hara, \"Jr\"");
    assert_eq!(
        ann["phone"], "+4915112345678",
        "a neutralised cell reads back"
    );
    assert_eq!(ann["language"], "de");
    assert_eq!(ann["username"], "ann");
    assert_eq!(ann["external_id"], "hr-1");
    assert_eq!(ann["attributes"]["department"], "=Sales");
    // The imported hash opens a session.
    let res = app.login("default", "ann@x.example", PASSWORD, "t").await;
    assert_eq!(res.status(), 200);
    assert!(body(res).await["access_token"].is_string());
    // The TOTP secret makes a second factor.
    let mfa = find(&app, "mfa@x.example").await;
    assert_eq!(mfa["mfa_enrolled"], true);
    let step = body(app.login("default", "mfa@x.example", PASSWORD, "t").await).await;
    assert_eq!(step["mfa_required"], true, "{step}");
    // An invitation went out.
    assert_eq!(
        find(&app, "inv@x.example").await["state"],
        "pending_invitation"
    );
    let outbox = body(app.get("/api/v1/tenants/default/outbox").await).await;
    assert!(outbox.to_string().contains("inv@x.example"));
    // Updates: merged by email, or by external id (here changing the email).
    let renamed = find(&app, "old@x.example").await;
    assert_eq!(renamed["id"], old["id"]);
    assert_eq!(renamed["first_name"], "Renamed");
    assert_eq!(renamed["attributes"]["department"], "Ops");
    assert_eq!(renamed["version"], 2);
    assert_eq!(renamed["state"], "not_invited");
    let moved = find(&app, "moved@x.example").await;
    assert_eq!(moved["id"], ext["id"]);
    assert_eq!(find(&app, "plain@x.example").await["state"], "not_invited");
    // Each batch is audited.
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=user.import")
            .await,
    )
    .await;
    assert_eq!(audit["items"][0]["outcome"], "success");
    assert_eq!(audit["items"][0]["details"]["created"], 4);
}

#[tokio::test]
async fn json_lines_a_dry_run_and_bad_rows() {
    let (app, hash) = setup().await;
    let file = format!(
        "{{\"email\":\"a@x.example\",\"first_name\":\"A\",\"attributes\":{{\"department\":\"Sales\"}},\"state\":\"active\",\"password_hash\":\"{hash}\"}}\n\
         {{\"email\":\"b@x.example\"}}\n"
    );
    let before = total(&app).await;
    let (status, report) = import(&app, "dry_run=true", "application/x-ndjson", &file).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["dry_run"].as_bool(), report["created"].as_u64()),
        (Some(true), Some(2))
    );
    assert_eq!(total(&app).await, before, "a dry run writes nothing");
    let (_, report) = import(&app, "", "application/x-ndjson", &file).await;
    assert_eq!(report["created"], 2);
    assert_eq!(total(&app).await, before + 2);
    // A null clears a field on update (merge-patch rules).
    let (_, report) = import(
        &app,
        "",
        "application/x-ndjson",
        "{\"email\":\"a@x.example\",\"first_name\":null}\n",
    )
    .await;
    assert_eq!(report["updated"], 1);
    assert!(find(&app, "a@x.example").await["first_name"].is_null());

    // Bad rows are named by line; their batch writes nothing.
    let taken = app
        .create_user(
            "default",
            json!({"email": "t@x.example", "username": "taken", "send_invitation": false}),
        )
        .await;
    assert!(taken["id"].is_string());
    let file = "email,username,state,password_hash,totp_secret,attributes.department,attributes.nope\n\
                good@x.example,,,,,,\n\
                not-an-email,,,,,,\n\
                c@x.example,,sleeping,,,,\n\
                d@x.example,,,$2y$99$garbage,,,\n\
                e@x.example,,,,notbase32!,,\n\
                f@x.example,,,,,this department name is far too long for the definition,\n\
                g@x.example,,,,,,x\n\
                good@x.example,,,,,,\n";
    let before = total(&app).await;
    let (status, report) = import(&app, "on_error=fail_batch", "text/csv", file).await;
    assert_eq!(status, 200);
    assert_eq!(report["on_error"], "fail_batch");
    let errors: Vec<(u64, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let lines: Vec<u64> = errors.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7, 8, 9], "{errors:?}");
    assert_eq!(errors[1].1, "invalid_state");
    assert_eq!(errors[2].1, "malformed_hash");
    assert_eq!(errors[3].1, "invalid_totp_secret");
    assert_eq!(errors[6].1, "duplicate_in_file");
    assert_eq!(report["failed_rows"], 7);
    assert_eq!(
        (
            report["failed_batches"].as_u64(),
            report["skipped_rows"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(total(&app).await, before, "the batch was not written");

    // A refusal only the store sees (a username already taken) is named too.
    let (_, report) = import(
        &app,
        "on_error=fail_batch",
        "text/csv",
        "email,username\nok@x.example,\nclash@x.example,taken\n",
    )
    .await;
    assert_eq!(report["failed_rows"], 1, "{report}");
    assert_eq!(report["errors"][0]["line"], 3);
    assert_eq!(report["errors"][0]["code"], "username_taken");
    assert_eq!(report["created"], 0);
    assert_eq!(total(&app).await, before);
}

/// Reads an import until it has finished.
pub(super) async fn follow(app: &TestApp, location: &str) -> Value {
    for _ in 0..600 {
        let import = body(app.get(location).await).await;
        if import["state"] == "completed" || import["state"] == "failed" {
            return import;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import at {location} did not finish in 30 s");
}

/// Posts a file with `Prefer: respond-async`: (status, Location, body).
async fn queue(app: &TestApp, file: &str) -> (u16, String, Value) {
    let res = app
        .request(Method::POST, IMPORTS)
        .header("content-type", "text/csv")
        .header("prefer", "respond-async")
        .body(file.to_owned())
        .send()
        .await
        .unwrap();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (res.status().as_u16(), location, body(res).await)
}

#[tokio::test]
async fn a_file_of_several_batches_is_queued_and_written_whole_batch_by_batch() {
    let (app, _) = setup().await;
    let mut file = String::from("email\n");
    for i in 0..6000 {
        if i == 5300 {
            file.push_str("broken\n");
        } else {
            file.push_str(&format!("u{i:04}@batch.example\n"));
        }
    }
    let before = total(&app).await;
    let res = app
        .request(Method::POST, &format!("{IMPORTS}?on_error=fail_batch"))
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        202,
        "a large file is not imported within its request"
    );
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let queued = body(res).await;
    assert_eq!(
        location,
        format!("{IMPORTS}/{}", queued["id"].as_str().unwrap())
    );
    assert_eq!(queued["state"], "queued");
    assert_eq!(queued["total"], 6000);
    assert!(queued["job_id"].is_string());

    let report = follow(&app, &location).await;
    assert_eq!(report["state"], "completed", "{report}");
    assert_eq!(report["batches"], 2);
    assert_eq!(
        (report["rows"].as_u64(), report["percent"].as_u64()),
        (Some(6000), Some(100))
    );
    assert_eq!(report["created"], 5000, "{report}");
    assert_eq!(report["failed_batches"], 1);
    assert_eq!(report["failed"], 1);
    assert_eq!(report["skipped_rows"], 999);
    assert_eq!(report["errors"][0]["line"], 5302);
    assert!(report["finished_at"].is_string());
    assert_eq!(total(&app).await, before + 5000);

    // It ran as a job, and the queueing is audited beside each batch.
    let jobs = body(
        app.get("/api/v1/tenants/default/jobs?kind=import_run")
            .await,
    )
    .await;
    assert_eq!(jobs["items"][0]["id"], report["job_id"]);
    assert_eq!(jobs["items"][0]["state"], "completed");
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=import.create")
            .await,
    )
    .await;
    assert_eq!(audit["items"][0]["target"]["id"], report["id"], "{audit}");
    let batches = body(
        app.get("/api/v1/tenants/default/audit?action=user.import")
            .await,
    )
    .await;
    assert_eq!(
        batches["items"].as_array().unwrap().len(),
        1,
        "the refused batch wrote no event of success"
    );

    // Whole-file problems are refused outright.
    let (status, problem) = import(&app, "", "text/csv", "first_name\nAnn\n").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_import_file"))
    );
    let (status, _) = import(&app, "", "application/json", "{}").await;
    assert_eq!(status, 415);
    let (status, _) = import(&app, "format=xml", "text/csv", "email\n").await;
    assert_eq!(status, 400);
    let (status, _) = import(&app, "dry_run=perhaps", "text/csv", "email\na@x.example\n").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_imported_bcrypt_hash_logs_in_and_becomes_argon2id() {
    let (app, _) = setup().await;
    // pyca/bcrypt, cost 4, of "correct horse battery staple".
    let bcrypt = "$2b$04$cUDtUtBqYCV5gRYUnfuS8OwuP1yM/AFy6/dhL.HKCUtqQ/b7nmiqe";
    let line = json!({"email": "bc@x.example", "state": "active", "password_hash": bcrypt});
    let (status, report) = import(&app, "", "application/x-ndjson", &format!("{line}\n")).await;
    assert_eq!(
        (status, report["created"].as_u64()),
        (200, Some(1)),
        "{report}"
    );
    let tenant = app.services.find_tenant("default").await.unwrap();
    let id: usher_core::UserId = find(&app, "bc@x.example").await["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let stored = app
        .services
        .store
        .password_hash(tenant.id, id)
        .await
        .unwrap();
    assert_eq!(stored.as_deref(), Some(bcrypt), "stored as given");
    let res = app
        .login("default", "bc@x.example", "wrong password here", "t")
        .await;
    assert_eq!(res.status(), 401);
    let res = app
        .login(
            "default",
            "bc@x.example",
            "correct horse battery staple",
            "t",
        )
        .await;
    assert_eq!(res.status(), 200);
    let stored = app
        .services
        .store
        .password_hash(tenant.id, id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$"),
        "rehashed at login: {stored}"
    );
}

#[tokio::test]
async fn a_small_file_answers_at_once_unless_the_client_prefers_to_follow_it() {
    let (app, _) = setup().await;
    let (status, now) = import(&app, "", "text/csv", "email\nnow@x.example\n").await;
    assert_eq!(status, 200, "{now}");
    assert_eq!(
        (now["state"].as_str(), now["created"].as_u64()),
        (Some("completed"), Some(1))
    );
    assert!(now["job_id"].is_null(), "it ran within its request");
    let id = now["id"].as_str().unwrap();
    let stored = body(app.get(&format!("{IMPORTS}/{id}")).await).await;
    assert_eq!(
        (stored["state"].as_str(), stored["created"].as_u64()),
        (Some("completed"), Some(1))
    );

    let (status, location, queued) = queue(&app, "email\nlater@x.example\nbad\n").await;
    assert_eq!(status, 202, "{queued}");
    let done = follow(&app, &location).await;
    assert_eq!(done["state"], "completed");
    assert_eq!(done["failed"], 1);
    assert_eq!(done["errors"][0]["line"], 3);
    assert_eq!(
        done["created"], 1,
        "the good row was written, the bad one skipped"
    );

    // Newest first, a page at a time.
    let list = body(app.get(&format!("{IMPORTS}?limit=1")).await).await;
    assert_eq!(list["items"][0]["id"], queued["id"]);
    let next = list["next"].as_str().unwrap().to_owned();
    let older = body(app.get(&next).await).await;
    assert_eq!(older["items"][0]["id"], now["id"]);

    for bad in ["not-an-id", "0190b7a4-0000-7000-8000-000000000000"] {
        let res = app.get(&format!("{IMPORTS}/{bad}")).await;
        assert_eq!(res.status(), 404);
        assert_eq!(body(res).await["code"], "import_not_found");
    }
    let res = app.get(&format!("{IMPORTS}?limit=0")).await;
    assert_eq!(res.status(), 400);
    let views = body(
        app.get("/api/v1/tenants/default/audit?action=import.view")
            .await,
    )
    .await;
    assert!(
        views["items"].as_array().unwrap().len() >= 2,
        "reads are audited"
    );
}

#[tokio::test]
async fn another_tenant_cannot_see_an_import() {
    let (app, _) = setup().await;
    let (_, location, _) = queue(&app, "email\nmine@x.example\n").await;
    follow(&app, &location).await;
    app.create_tenant("other").await;
    let token = app
        .tenant_token("other", usher_core::token::TokenScope::Admin)
        .await;
    let id = location.rsplit('/').next().unwrap();
    for path in [
        format!("/api/v1/tenants/other/imports/{id}"),
        location.clone(),
    ] {
        let res = app
            .as_user(Method::GET, &path, &token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn a_tenant_may_have_only_a_few_imports_queued_or_running_at_once() {
    use usher_core::audit::{Actor, AuditAction, AuditContext};
    use usher_core::import::{ImportFormat, ImportRecord};
    use usher_core::job::{JobKind, NewJob};
    let app = TestApp::spawn().await;
    let tenant = app.services.find_tenant("default").await.unwrap();
    let ctx = AuditContext::new(Actor::system());
    let now = app.clock_now();
    // Imports waiting for a runner (due tomorrow, so none runs meanwhile).
    for _ in 0..usher_core::service::MAX_UNFINISHED_IMPORTS {
        let mut record =
            ImportRecord::new(tenant.id, ImportFormat::Csv, false, 1, "{}".into(), now);
        let job = NewJob::new(
            JobKind::ImportRun,
            Some(tenant.id),
            json!({"import_id": record.id.to_string()}),
            now + time::Duration::days(1),
        );
        record.job_id = Some(job.id);
        let draft = ctx.draft(Some(tenant.id), AuditAction::ImportCreate, now);
        app.services
            .store
            .create_import(record, b"email\nq@x.example\n".to_vec(), job, draft)
            .await
            .unwrap();
    }
    let (status, _, problem) = queue(&app, "email\none-more@x.example\n").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("too_many_imports")),
        "{problem}"
    );
    assert_eq!(total(&app).await, 0, "nothing was imported");
}
