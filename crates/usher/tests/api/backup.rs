//! Backup and restore: a backup taken while users are being created holds
//! every write acknowledged before it began, restores, and passes the
//! store's invariants and the audit chain check.

use serde_json::{Value, json};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use usher_testkit::app::{TestApp, json as body, postgres_selected};

fn usher(db: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_usher"))
        .args(args)
        .env("USHER_DATABASE_URL", db)
        .env("USHER_ARGON2_MEMORY_KIB", "64")
        .env("USHER_ARGON2_ITERATIONS", "1")
        .env_remove("USHER_BOOTSTRAP_TOKEN")
        .output()
        .expect("usher runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn pg_tools() -> bool {
    Command::new("pg_dump")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_write_load_restores_every_write_acknowledged_before_it() {
    if postgres_selected() && !pg_tools() {
        panic!("the PostgreSQL backup test needs pg_dump and pg_restore");
    }
    let app = TestApp::spawn().await;
    let acked: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, url, acked, stop) = (
            app.client.clone(),
            app.url("/api/v1/tenants/default/users"),
            acked.clone(),
            stop.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let email = format!("b{w}.{i}@backup.example");
                let res = client
                    .post(&url)
                    .bearer_auth(usher_testkit::app::SUPER_TOKEN)
                    .json(&json!({"email": email, "activate": true}))
                    .send()
                    .await
                    .unwrap();
                if res.status().as_u16() == 201 {
                    acked.lock().unwrap().push((Instant::now(), email));
                }
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("usher.backup");
    let began = Instant::now();
    let (ok, out) = usher(&app.database_url, &["backup", file.to_str().unwrap()]);
    assert!(ok, "backup failed: {out}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let before: Vec<String> = acked
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| *t < began)
        .map(|(_, e)| e.clone())
        .collect();
    assert!(
        before.len() >= 20,
        "too few writes before the backup ({})",
        before.len()
    );

    let (target, _pg) = usher_testkit::app::fresh_database_url(dir.path(), "restored.db").await;
    let (ok, out) = usher(&target, &["restore", file.to_str().unwrap(), "--force"]);
    assert!(ok, "restore failed: {out}");
    // The secret key is kept apart from backups: restored elsewhere without
    // it, a SQLite installation would make itself a new key, and refuses to
    // start under it; the operator puts the key beside the database.
    if let (Some(from), Some(to)) = (
        usher::secret_key::key_file(&app.database_url),
        usher::secret_key::key_file(&target),
    ) {
        let (ok, out) = usher(&target, &["tenant", "list"]);
        assert!(!ok && out.contains("copy it back there"), "{out}");
        std::fs::copy(from, to).unwrap();
    }
    let restored = TestApp::spawn_at(&target).await;
    let mut seen = std::collections::BTreeSet::new();
    let mut page: Value = body(
        restored
            .get("/api/v1/tenants/default/users?limit=200")
            .await,
    )
    .await;
    let total = page["total"].as_u64().unwrap();
    loop {
        for u in page["items"].as_array().unwrap() {
            assert!(seen.insert(u["email"].as_str().unwrap().to_owned()));
        }
        match page["links"]["next"].as_str() {
            Some(next) => page = body(restored.get(next).await).await,
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, total, "the list and its total agree");
    for email in &before {
        assert!(
            seen.contains(email),
            "{email} was acknowledged before the backup began but is missing"
        );
    }
    drop(restored);
    let (ok, out) = usher(&target, &["audit", "verify"]);
    assert!(ok && out.contains("intact"), "{out}");
}
