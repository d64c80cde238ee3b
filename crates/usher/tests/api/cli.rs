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
    let (ok, out, _) = usher(&db, &["user", "list", "--search", "cli"]);
    assert!(ok);
    assert!(
        out.contains("cli@x.example") && out.contains("1 of 1 users"),
        "{out}"
    );
    let (ok, _, err) = usher(&db, &["user", "create", "--email", "nope"]);
    assert!(!ok && err.contains("email"), "{err}");
    let (ok, out, _) = usher(&db, &["audit", "verify"]);
    assert!(ok, "{out}");
    assert!(out.contains("intact"));
    let audit = usher_testkit::app::json(
        app.get("/api/v1/tenants/default/audit?action=user.block")
            .await,
    )
    .await;
    assert_eq!(audit["total"], 2);
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

#[test]
fn config_example_prints_a_valid_file_and_help_is_helpful() {
    let (ok, out, _) = usher("sqlite://unused", &["config", "example"]);
    assert!(ok && out.contains("database_url"));
    let (ok, out, _) = usher("sqlite://unused", &["user", "--help"]);
    assert!(ok && out.contains("block") && out.contains("Disable a user"));
}
