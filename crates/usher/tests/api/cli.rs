//! The `usher` binary itself: token creation, user commands, audit verify.

use std::process::Command;
use usher_testkit::app::TestApp;

fn usher(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_usher"))
        .args(args)
        .env("USHER_DATABASE_URL", db)
        .env_remove("USHER_BOOTSTRAP_TOKEN")
        .output()
        .expect("usher runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_token_made_by_the_cli_works_for_its_tenant_only() {
    let app = TestApp::spawn().await;
    let (ok, out, err) = usher(
        &app.database_url,
        &["token", "create", "--tenant", "default", "--name", "ci"],
    );
    assert!(ok, "{err}");
    let secret = out.lines().last().unwrap().trim().to_owned();
    assert!(secret.starts_with("usher_at_"));
    let res = app
        .client
        .get(app.url("/api/v1/tenants/default/users"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let res = app
        .client
        .get(app.url("/api/v1/tenants"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn a_cli_token_with_a_role_may_only_do_what_the_role_allows() {
    let app = TestApp::spawn().await;
    let (ok, out, err) = usher(
        &app.database_url,
        &[
            "token", "create", "--tenant", "default", "--role", "auditor",
        ],
    );
    assert!(ok, "{err}");
    assert!(err.contains("created auditor token"), "{err}");
    let secret = out.lines().last().unwrap().trim().to_owned();
    let audit = app
        .client
        .get(app.url("/api/v1/tenants/default/audit"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(
        audit.status().as_u16(),
        200,
        "an auditor reads the audit log"
    );
    let create = app
        .client
        .post(app.url("/api/v1/tenants/default/users"))
        .bearer_auth(&secret)
        .json(&serde_json::json!({"email": "no@x.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status().as_u16(), 403, "but changes nothing");
    let (ok, _, err) = usher(
        &app.database_url,
        &["token", "create", "--tenant", "default", "--role", "owner"],
    );
    assert!(!ok && err.contains("tenant_admin"), "{err}");
}

#[tokio::test]
async fn user_commands_act_through_the_same_services_and_are_audited() {
    let app = TestApp::spawn().await;
    let db = app.database_url.clone();
    let (ok, out, err) = usher(
        &db,
        &[
            "user",
            "create",
            "--email",
            "cli@x.example",
            "--first-name",
            "Cli",
            "--activate",
            "--json",
        ],
    );
    assert!(ok, "{err}");
    let u: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = u["id"].as_str().unwrap().to_owned();
    let (ok, out, _) = usher(&db, &["user", "block", &id, "--json"]);
    assert!(ok);
    assert!(out.contains("\"blocked\""));
    let (ok, _, err) = usher(&db, &["user", "block", &id]);
    assert!(!ok);
    assert!(err.contains("already_blocked"), "{err}");
    // A user can be named by email too, in any case.
    let (ok, out, err) = usher(&db, &["user", "unblock", "CLI@x.example", "--json"]);
    assert!(
        ok && out.contains(&id) && out.contains("\"active\""),
        "{err}"
    );
    let (ok, _, err) = usher(&db, &["user", "get", "nobody@x.example"]);
    assert!(
        !ok && err.contains("no user with the email nobody@x.example"),
        "{err}"
    );
    let (ok, out, err) = usher(&db, &["user", "block", "cli@x.example"]);
    assert!(ok && out.contains("blocked"), "{err}");
    let (ok, out, _) = usher(&db, &["user", "list", "--search", "cli"]);
    assert!(ok);
    assert!(
        out.contains("cli@x.example") && out.contains("1 of 1 user\n"),
        "{out}"
    );
    let (ok, _, err) = usher(&db, &["user", "create", "--email", "nope"]);
    assert!(!ok && err.contains("email"), "{err}");
    let (ok, out, _) = usher(&db, &["audit", "verify"]);
    assert!(ok, "{out}");
    assert!(out.contains("intact"));
    // Chains are named by their tenant's slug, with counts in words.
    assert!(out.contains("ok      tenant default: "), "{out}");
    assert!(!out.contains(" 1 events"), "{out}");
    let (ok, out, _) = usher(&db, &["tenant", "list"]);
    let rows: Vec<&str> = out.lines().collect();
    assert!(ok && rows.len() >= 2, "{out}");
    // Every row's id starts where the ID heading does.
    let at = rows[0].find("ID").expect("an ID heading");
    for row in &rows[1..] {
        let id = row.get(at..at + 36).unwrap_or_default();
        assert!(id.parse::<uuid::Uuid>().is_ok(), "columns line up: {out}");
    }
    let audit = usher_testkit::app::json(
        app.get("/api/v1/tenants/default/audit?action=user.block")
            .await,
    )
    .await;
    // Two blocks and the refused one between them.
    assert_eq!(audit["total"], 3);
    assert_eq!(audit["items"][0]["actor"]["kind"], "cli");
}

#[tokio::test]
async fn the_outbox_command_shows_queued_links() {
    let app = TestApp::spawn().await;
    app.create_user("default", serde_json::json!({"email": "mailme@x.example"}))
        .await;
    let (ok, out, err) = usher(&app.database_url, &["outbox", "list"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("mailme@x.example") && out.contains("/t/default/invite/usher_inv_"),
        "{out}"
    );
    assert!(out.contains("queued"));
}

#[tokio::test]
async fn the_jobs_command_lists_jobs_and_refuses_to_retry_a_live_one() {
    let app = TestApp::spawn().await;
    app.create_user("default", serde_json::json!({"email": "job@x.example"}))
        .await;
    let (ok, out, err) = usher(&app.database_url, &["jobs", "list", "--json"]);
    assert!(ok, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list["total"], 1, "{out}");
    assert_eq!(list["items"][0]["kind"], "mail_delivery");
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (ok, out, _) = usher(&app.database_url, &["jobs", "list", "--all"]);
    assert!(
        ok && out.contains("invitation_sweep") && out.contains("jobs"),
        "{out}"
    );
    let (ok, _, err) = usher(&app.database_url, &["jobs", "retry", &id]);
    assert!(!ok);
    assert!(err.contains("only a failed job can be retried"), "{err}");
    let (ok, _, err) = usher(&app.database_url, &["jobs", "list", "--state", "done"]);
    assert!(!ok && err.contains("state must be"), "{err}");
}

#[tokio::test]
async fn the_import_command_runs_its_import_as_a_job_and_detach_leaves_it_to_the_server() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.csv");
    std::fs::write(
        &file,
        "email,first_name\nann@cli.example,Ann\nbob@cli.example,Bob\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let (ok, out, err) = usher(&app.database_url, &["import", path, "--json"]);
    assert!(ok, "{err}");
    let done: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (done["state"].as_str(), done["created"].as_u64()),
        (Some("completed"), Some(2))
    );
    let id = done["id"].as_str().unwrap();
    let stored = usher_testkit::app::json(
        app.get(&format!("/api/v1/tenants/default/imports/{id}"))
            .await,
    )
    .await;
    assert_eq!(stored["state"], "completed");
    let job = stored["job_id"].as_str().expect("it ran as a job");
    let jobs = usher_testkit::app::json(
        app.get("/api/v1/tenants/default/jobs?kind=import_run")
            .await,
    )
    .await;
    assert_eq!(
        (
            jobs["items"][0]["id"].as_str(),
            jobs["items"][0]["state"].as_str()
        ),
        (Some(job), Some("completed"))
    );

    std::fs::write(&file, "email\ncid@cli.example\n").unwrap();
    let (ok, out, err) = usher(&app.database_url, &["import", path, "--detach"]);
    assert!(ok, "{err}");
    let id = out.lines().last().unwrap().trim().to_owned();
    // The CLI queued it by the wall clock, the server runs on the test's
    // own clock: bring the server's up to the wall.
    app.clock
        .set(time::OffsetDateTime::now_utc() + time::Duration::seconds(1));
    let location = format!("/api/v1/tenants/default/imports/{id}");
    let mut state = String::new();
    for _ in 0..200 {
        let now = usher_testkit::app::json(app.get(&location).await).await;
        state = now["state"].as_str().unwrap().to_owned();
        if state == "completed" {
            assert_eq!(now["created"], 1);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        state, "completed",
        "the server's runner ran the detached import"
    );

    let (ok, _, err) = usher(&app.database_url, &["import", "/nonexistent.csv"]);
    assert!(!ok && err.contains("cannot read"), "{err}");

    // --on-error: fail_file writes nothing of a file with a bad row.
    std::fs::write(
        &file,
        "email
dee@cli.example
not-an-email
",
    )
    .unwrap();
    let (ok, out, err) = usher(
        &app.database_url,
        &["import", path, "--on-error", "fail_file", "--json"],
    );
    assert!(!ok && err.contains("nothing was written"), "{err}");
    let done: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            done["on_error"].as_str(),
            done["created"].as_u64(),
            done["skipped_rows"].as_u64()
        ),
        (Some("fail_file"), Some(0), Some(1)),
        "{done}"
    );
    let (ok, _, err) = usher(&app.database_url, &["import", path, "--on-error", "skip"]);
    assert!(!ok && err.contains("fail_batch"), "{err}");
    let (ok, help, _) = usher(&app.database_url, &["import", "--help"]);
    assert!(
        ok && help.contains("password_hash") && help.contains("--on-error"),
        "{help}"
    );
}

#[test]
fn config_example_prints_a_valid_file_and_help_is_helpful() {
    let (ok, out, _) = usher("sqlite://unused", &["config", "example"]);
    assert!(ok && out.contains("database_url"));
    let (ok, out, _) = usher("sqlite://unused", &["user", "--help"]);
    assert!(ok && out.contains("block") && out.contains("Disable a user"));
    // Shell completions, for every command.
    for (shell, mark) in [
        ("bash", "complete -F _usher"),
        ("zsh", "#compdef usher"),
        ("fish", "complete -c usher"),
    ] {
        let (ok, out, err) = usher("sqlite://unused", &["completions", shell]);
        assert!(
            ok && out.contains(mark) && out.contains("reset-password"),
            "{shell}: {err}"
        );
    }
    // Output to a pipe carries no colour codes, the log lines included.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let fresh = format!("sqlite://{}", dir.path().join("u.db").display());
    let (ok, out, err) = usher(&fresh, &["tenant", "list"]);
    assert!(ok && err.contains("applied SQLite migration"), "{err}");
    assert!(!out.contains('\u{1b}') && !err.contains('\u{1b}'), "{err}");
    // Variables are named without a stray `=` (nor the values they hold).
    let (ok, out, _) = usher("sqlite://unused", &["serve", "--help"]);
    assert!(ok && out.contains("[env: USHER_LISTEN]"), "{out}");
    assert!(!out.contains("=]"), "{out}");
}

#[tokio::test]
async fn an_anchored_head_must_still_be_in_the_chain_that_verify_walks() {
    let app = TestApp::spawn().await;
    app.create_user("default", serde_json::json!({"email": "an@x.example"}))
        .await;
    let db = app.database_url.clone();
    let (ok, anchors, err) = usher(&db, &["audit", "anchor"]);
    assert!(ok, "{err}");
    let default = anchors
        .lines()
        .find(|l| l.starts_with("default "))
        .expect("a line for the default tenant")
        .to_owned();
    assert!(
        anchors.lines().any(|l| l.starts_with("global ")),
        "{anchors}"
    );
    // More events after the anchor change nothing: the anchored one stays.
    app.create_user("default", serde_json::json!({"email": "later@x.example"}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("anchors");
    std::fs::write(&file, &anchors).unwrap();
    let (ok, out, err) = usher(
        &db,
        &["audit", "verify", "--anchor", file.to_str().unwrap()],
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("reaches every anchored head"), "{out}");
    // A chain rebuilt by someone who can write the database no longer holds
    // the anchored event: here, the anchor remembers another hash.
    let [name, seq, _] = default.split_whitespace().collect::<Vec<_>>()[..] else {
        panic!("{default}")
    };
    std::fs::write(&file, format!("{name} {seq} {}\n", "0".repeat(64))).unwrap();
    let (ok, out, _) = usher(
        &db,
        &["audit", "verify", "--anchor", file.to_str().unwrap()],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("BROKEN  tenant default") && out.contains("rewritten"),
        "{out}"
    );
    // Nor may the chain end before its anchor.
    std::fs::write(&file, format!("{name} 999999 {}\n", "0".repeat(64))).unwrap();
    let (ok, out, _) = usher(
        &db,
        &["audit", "verify", "--anchor", file.to_str().unwrap()],
    );
    assert!(!ok && out.contains("before its anchored event"), "{out}");
}

#[tokio::test]
async fn attributes_are_managed_and_users_exported_from_the_cli() {
    let app = TestApp::spawn().await;
    let db = app.database_url.clone();
    let (ok, out, err) = usher(
        &db,
        &[
            "attribute",
            "create",
            "department",
            "--label",
            "Department",
            "--max-length",
            "40",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("created attribute department"), "{out}");
    let (ok, out, _) = usher(&db, &["attribute", "list"]);
    assert!(
        ok && out.contains("department") && out.contains("1 attribute"),
        "{out}"
    );
    let (ok, _, err) = usher(&db, &["attribute", "create", "bad name", "--label", "x"]);
    assert!(!ok && err.contains("name"), "{err}");
    for i in 0..3 {
        app.create_user(
            "default",
            serde_json::json!({"email": format!("ex{i}@cli.example"), "attributes": {"department": "Sales"}}),
        )
        .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.csv");
    let path = file.to_str().unwrap();
    let (ok, out, err) = usher(&db, &["user", "export", "--output", path]);
    assert!(ok, "{err}");
    assert!(out.contains("exported 3 users"), "{out}");
    let csv = std::fs::read_to_string(&file).unwrap();
    assert!(
        csv.starts_with("id,email,") && csv.contains("attributes.department"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4, "{csv}");
    let (ok, _, err) = usher(&db, &["user", "export", "--output", path]);
    assert!(
        !ok && err.contains("cannot create"),
        "an existing file is kept: {err}"
    );
    let (ok, jsonl, err) = usher(
        &db,
        &["user", "export", "--format", "jsonl", "--search", "ex1"],
    );
    assert!(ok, "{err}");
    let line: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(line["email"], "ex1@cli.example");

    let (ok, _, err) = usher(&db, &["attribute", "delete", "department"]);
    assert!(!ok && err.contains("purge"), "held values refuse: {err}");
    let (ok, out, err) = usher(&db, &["attribute", "delete", "department", "--purge"]);
    assert!(ok, "{err}");
    assert!(out.contains("3 values removed"), "{out}");
}

#[tokio::test]
async fn roles_are_defined_and_given_from_the_cli_by_email() {
    let app = TestApp::spawn().await;
    let db = app.database_url.clone();
    app.create_user("default", serde_json::json!({"email": "ro@cli.example"}))
        .await;
    let (ok, out, err) = usher(
        &db,
        &["role", "create", "approver", "--description", "Approves"],
    );
    assert!(ok && out.contains("created role approver"), "{out}{err}");
    let (ok, out, err) = usher(&db, &["role", "assign", "ro@cli.example", "approver"]);
    assert!(ok && out.contains("gave approver"), "{out}{err}");
    let (ok, out, _) = usher(&db, &["role", "assign", "ro@cli.example", "APPROVER"]);
    assert!(ok && out.contains("already"), "{out}");
    let (ok, out, _) = usher(&db, &["role", "list"]);
    assert!(
        ok && out.contains("approver") && out.contains("1 role"),
        "{out}"
    );
    let (ok, out, err) = usher(&db, &["user", "roles", "ro@cli.example"]);
    assert!(
        ok && out.contains("approver") && out.contains("1 role"),
        "{out}{err}"
    );
    let (ok, _, err) = usher(&db, &["role", "delete", "approver"]);
    assert!(!ok && err.contains("force"), "{err}");
    let (ok, out, err) = usher(&db, &["role", "remove", "ro@cli.example", "approver"]);
    assert!(ok && out.contains("took approver"), "{out}{err}");
    let (ok, out, err) = usher(&db, &["role", "delete", "approver"]);
    assert!(ok && out.contains("taken from 0 users"), "{out}{err}");
}

#[tokio::test]
async fn second_factors_are_reset_from_the_cli_with_a_reason() {
    let app = TestApp::spawn().await;
    let db = app.database_url.clone();
    app.login_as("default", "mr@cli.example", "correct horse battery")
        .await;
    let (ok, _, err) = usher(&db, &["user", "reset-mfa", "mr@cli.example"]);
    assert!(
        !ok && err.contains("--reason"),
        "a reason is required: {err}"
    );
    let (ok, out, err) = usher(
        &db,
        &[
            "user",
            "reset-mfa",
            "mr@cli.example",
            "--reason",
            "lost phone",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("removed 0 second factors") && out.contains("sessions ended"),
        "{out}"
    );
    let audit = usher_testkit::app::json(
        app.get("/api/v1/tenants/default/audit?action=user.mfa_reset")
            .await,
    )
    .await;
    assert_eq!(
        audit["items"][0]["details"]["reason"], "lost phone",
        "{audit}"
    );
    assert_eq!(audit["items"][0]["details"]["ended_sessions"], 1, "{audit}");
}
