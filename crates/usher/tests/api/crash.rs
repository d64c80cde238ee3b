//! Crash consistency: a stream of acknowledged writes against a real
//! `usher serve` process that is killed with SIGKILL at random moments and
//! restarted on the same database. Afterwards every acknowledged write is
//! there, no write is half-applied, the audit chain verifies, and the
//! store's invariants hold.

use rand::RngExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use usher_testkit::app::SUPER_TOKEN;

/// A server process and its address.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
}

impl Server {
    pub(crate) fn start(db: &str) -> Server {
        Self::start_with(db, &[])
    }

    /// A server with more environment (`USHER_SMTP_URL`, …).
    pub(crate) fn start_with(db: &str, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_usher"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("USHER_DATABASE_URL", db)
            .env("USHER_BOOTSTRAP_TOKEN", SUPER_TOKEN)
            .env("USHER_ARGON2_MEMORY_KIB", "64")
            .env("USHER_ARGON2_ITERATIONS", "1")
            .env("USHER_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("usher starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("a first line");
        let addr = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("the listening address")
            .to_owned();
        Server { child, base: addr }
    }

    pub(crate) fn kill(mut self) {
        // SIGKILL: no shutdown, no flush, nothing but what was committed.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one user went through: each acknowledged operation raised the
/// version by one; `in_flight` is an operation whose answer never came.
#[derive(Debug, Clone, Default)]
struct History {
    acked: i64,
    in_flight: bool,
}

/// The state a user of this stream has at each version.
fn state_at(version: i64) -> &'static str {
    // v1 created active; then block, unblock, edit, block, unblock, edit, …
    match (version - 2).rem_euclid(3) {
        0 => "blocked",
        _ => "active",
    }
}

fn op_for(version: i64) -> (&'static str, Value) {
    match (version - 1) % 3 {
        0 => ("block", json!({})),
        1 => ("unblock", json!({})),
        _ => ("edit", json!({"first_name": format!("v{}", version + 1)})),
    }
}

async fn writer(
    base: Arc<Mutex<String>>,
    client: reqwest::Client,
    n: usize,
    log: Arc<Mutex<BTreeMap<String, History>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let mut mine: Vec<String> = Vec::new();
    let mut i = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        i += 1;
        let base = base.lock().unwrap().clone();
        let api = format!("{base}/api/v1/tenants/default/users");
        // Create a new user now and then; otherwise act on one of ours.
        if mine.is_empty() || i % 4 == 0 {
            let email = format!("w{n}.{i}@crash.example");
            let res = client
                .post(&api)
                .bearer_auth(SUPER_TOKEN)
                .json(&json!({"email": email, "activate": true}))
                .send()
                .await;
            match res {
                Ok(r) if r.status().as_u16() == 201 => {
                    let u: Value = r.json().await.unwrap_or_default();
                    if let Some(id) = u["id"].as_str() {
                        log.lock().unwrap().insert(
                            id.to_owned(),
                            History {
                                acked: 1,
                                in_flight: false,
                            },
                        );
                        mine.push(id.to_owned());
                    }
                }
                // Unacknowledged: the user may or may not exist; found by email later.
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
            continue;
        }
        let id = mine[i % mine.len()].clone();
        let version = {
            let mut l = log.lock().unwrap();
            let h = l.get_mut(&id).unwrap();
            if h.in_flight {
                continue;
            }
            h.in_flight = true;
            h.acked
        };
        let (op, body) = op_for(version);
        let req = if op == "edit" {
            client.patch(format!("{api}/{id}"))
        } else {
            client.post(format!("{api}/{id}/{op}"))
        };
        let res = req
            .bearer_auth(SUPER_TOKEN)
            .header("if-match", format!("W/\"{version}\""))
            .json(&body)
            .send()
            .await;
        if let Ok(r) = res {
            if r.status().as_u16() == 200 {
                let mut l = log.lock().unwrap();
                let h = l.get_mut(&id).unwrap();
                h.acked = version + 1;
                h.in_flight = false;
            }
            // Any other answer leaves the outcome unknown (in flight).
        } else {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn get(client: &reqwest::Client, url: &str) -> Value {
    client
        .get(url)
        .bearer_auth(SUPER_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill_and_the_store_stays_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _pg) = usher_testkit::app::fresh_database_url(dir.path(), "usher.db").await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let server = Server::start(&db);
    let base = Arc::new(Mutex::new(server.base.clone()));
    let mut server = Some(server);
    let log: Arc<Mutex<BTreeMap<String, History>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for n in 0..6 {
        writers.push(tokio::spawn(writer(
            base.clone(),
            client.clone(),
            n,
            log.clone(),
            stop.clone(),
        )));
    }
    let cycles = 5;
    for _ in 0..cycles {
        let wait = rand::rng().random_range(300..900);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.take().unwrap().kill();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let restarted = Server::start(&db);
        *base.lock().unwrap() = restarted.base.clone();
        server = Some(restarted);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let base = base.lock().unwrap().clone();
    let api = format!("{base}/api/v1/tenants/default");
    let log = log.lock().unwrap().clone();
    assert!(
        log.len() >= 20,
        "the stream made too few users ({})",
        log.len()
    );
    let acked_ops: i64 = log.values().map(|h| h.acked).sum();

    // Every acknowledged write is present, and nothing is half-applied: the
    // stored version is the acknowledged one or one more (an operation in
    // flight at the kill), and the state is the one of that version.
    for (id, h) in &log {
        let u = get(&client, &format!("{api}/users/{id}")).await;
        let v = u["version"]
            .as_i64()
            .unwrap_or_else(|| panic!("acknowledged user {id} is missing: {u}"));
        let allowed = if h.in_flight {
            vec![h.acked, h.acked + 1]
        } else {
            vec![h.acked]
        };
        assert!(
            allowed.contains(&v),
            "user {id}: version {v}, acknowledged {}, in flight {}",
            h.acked,
            h.in_flight
        );
        assert_eq!(u["state"], state_at(v), "user {id} at version {v}");
        // Every change has exactly its audit event.
        let events = get(&client, &format!("{api}/audit?target={id}&limit=200")).await;
        let successes = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["outcome"] == "success" && e["action"] != "user.view")
            .count();
        assert_eq!(
            successes as i64, v,
            "user {id}: {successes} change events for version {v}"
        );
    }

    // The list walks every user exactly once and agrees with its totals.
    let mut seen = std::collections::BTreeSet::new();
    let mut page = get(&client, &format!("{api}/users?limit=200")).await;
    let total = page["total"].as_u64().unwrap();
    loop {
        for u in page["items"].as_array().unwrap() {
            assert!(
                seen.insert(u["email"].as_str().unwrap().to_lowercase()),
                "an email twice"
            );
        }
        match page["links"]["next"].as_str() {
            Some(next) => page = get(&client, &format!("{base}{next}")).await,
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, total);
    let blocked = get(&client, &format!("{api}/users?state=blocked&limit=1")).await["total"]
        .as_u64()
        .unwrap();
    let active = get(&client, &format!("{api}/users?state=active&limit=1")).await["total"]
        .as_u64()
        .unwrap();
    assert_eq!(
        blocked + active,
        total,
        "per-state counts add up to the total"
    );
    server.take().unwrap().kill();

    // The audit chain verifies after all those kills.
    let out = Command::new(env!("CARGO_BIN_EXE_usher"))
        .args(["audit", "verify"])
        .env("USHER_DATABASE_URL", &db)
        .env("USHER_ARGON2_MEMORY_KIB", "64")
        .env("USHER_ARGON2_ITERATIONS", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "audit verify failed: {text}");
    println!(
        "crash test: {cycles} SIGKILL/restart cycles, {} users, {acked_ops} acknowledged writes",
        log.len()
    );
}
