//! Two `usher serve` processes on one PostgreSQL database: a session made
//! through one works through the other and a logout through either ends it
//! for both; a thousand queued mails go out exactly once between them; and
//! when the process running a bulk process is killed, the other finishes
//! the run with every row done once.
//!
//! Ignored in the ordinary run (it needs PostgreSQL and aiosmtpd); `.ci/run`
//! runs it with `USHER_TEST_BACKEND=postgres … -- --ignored processes::`.

use crate::crash::Server;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use usher_testkit::app::SUPER_TOKEN;
use usher_testkit::smtp::SmtpServer;

const API: &str = "/api/v1/tenants/default";
const MAILS: usize = 1000;
const BULK_USERS: usize = 3000;

struct Client {
    http: reqwest::Client,
}

impl Client {
    async fn call(
        &self,
        method: reqwest::Method,
        url: String,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, url).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn admin(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let (status, v) = self
            .call(method, format!("{base}{API}{path}"), SUPER_TOKEN, body)
            .await;
        assert!(status < 300, "{path}: {status} {v}");
        v
    }
}

/// The token of an invitation link in a received mail.
fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "two usher serve processes on PostgreSQL with aiosmtpd; .ci/run runs it"]
async fn two_processes_on_one_postgresql_share_sessions_mail_and_bulk_runs() {
    let pg = usher_testkit::pg::fresh_database()
        .await
        .expect("PostgreSQL (USHER_TEST_POSTGRES_URL) for the two-process test");
    let smtp = SmtpServer::start().expect("aiosmtpd for the two-process test");
    let env = [("USHER_SMTP_URL", smtp.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // The first start creates the schema; the second finds it.
    let a = Server::start_with(pg.url(), &env);
    let b = Server::start_with(pg.url(), &env);
    let c = Client {
        http: reqwest::Client::new(),
    };
    let (a_base, b_base) = (a.base.clone(), b.base.clone());

    // --- A session made through A works through B; a logout through B ends it on A.
    c.admin(
        &a_base,
        reqwest::Method::POST,
        "/users",
        Some(json!({"email": "ada@two.example"})),
    )
    .await;
    let mail = smtp.wait_for("ada@two.example", 1).await;
    let link = mail[0].link("/invite/").expect("an invitation link");
    let (status, _) = c
        .call(
            reqwest::Method::POST,
            format!("{b_base}{API}/auth/invitations/accept"),
            "",
            Some(json!({"token": token_of(&link), "password": "a long passphrase of two"})),
        )
        .await;
    assert_eq!(status, 200, "accepted through B");
    let (status, login) = c
        .call(
            reqwest::Method::POST,
            format!("{a_base}{API}/auth/login"),
            "",
            Some(json!({"email": "ada@two.example", "password": "a long passphrase of two"})),
        )
        .await;
    assert_eq!(status, 200, "{login}");
    let access = login["access_token"].as_str().unwrap().to_owned();
    let (status, me) = c
        .call(
            reqwest::Method::GET,
            format!("{b_base}{API}/auth/me"),
            &access,
            None,
        )
        .await;
    assert_eq!(
        (status, me["user"]["email"].as_str()),
        (200, Some("ada@two.example"))
    );
    let (status, _) = c
        .call(
            reqwest::Method::POST,
            format!("{b_base}{API}/auth/logout"),
            &access,
            None,
        )
        .await;
    assert_eq!(status, 204);
    for base in [&a_base, &b_base] {
        let (status, _) = c
            .call(
                reqwest::Method::GET,
                format!("{base}{API}/auth/me"),
                &access,
                None,
            )
            .await;
        assert_eq!(status, 401, "logged out everywhere ({base})");
    }

    // --- A thousand mails, queued through both, go out once each.
    let mut pending = futures::stream::FuturesUnordered::new();
    for i in 0..MAILS {
        let base = if i % 2 == 0 {
            a_base.clone()
        } else {
            b_base.clone()
        };
        let c = &c;
        pending.push(async move {
            c.admin(
                &base,
                reqwest::Method::POST,
                "/users",
                Some(json!({"email": format!("m{i:04}@mass.example")})),
            )
            .await
        });
        if pending.len() >= 8 {
            futures::StreamExt::next(&mut pending).await;
        }
    }
    while futures::StreamExt::next(&mut pending).await.is_some() {}
    let started = Instant::now();
    let received = loop {
        let got: Vec<_> = smtp
            .received()
            .into_iter()
            .filter(|m| m.to.contains("@mass.example"))
            .collect();
        if got.len() >= MAILS {
            break got;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "{} of {MAILS} mails arrived",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Late duplicates would arrive within a couple of job polls.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let all: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.to.contains("@mass.example"))
        .collect();
    assert_eq!(all.len(), MAILS, "no mail went out twice");
    let ids: HashSet<&str> = received.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), MAILS);
    let sent = c
        .admin(
            &a_base,
            reqwest::Method::GET,
            "/outbox?state=sent&limit=1",
            None,
        )
        .await;
    assert_eq!(sent["total"], (MAILS + 1) as u64);
    let owners: HashSet<String> = c
        .admin(
            &a_base,
            reqwest::Method::GET,
            "/jobs?kind=mail_delivery&limit=200",
            None,
        )
        .await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["state"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(owners, HashSet::from(["completed".to_owned()]));

    // --- The process running a bulk process is killed; the other finishes it.
    let mut csv = String::from("email\n");
    for i in 0..BULK_USERS {
        let email = format!("k{i:04}@bulk.example");
        c.admin(
            &b_base,
            reqwest::Method::POST,
            "/users",
            Some(json!({"email": email, "activate": true})),
        )
        .await;
        csv.push_str(&email);
        csv.push('\n');
    }
    let up: Value = c
        .http
        .post(format!("{a_base}{API}/bulk-processes?action=block"))
        .bearer_auth(SUPER_TOKEN)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid = up["id"].as_str().unwrap().to_owned();
    c.admin(
        &a_base,
        reqwest::Method::POST,
        &format!("/bulk-processes/{pid}/start"),
        None,
    )
    .await;
    let holder = loop {
        let jobs = c
            .admin(
                &a_base,
                reqwest::Method::GET,
                "/jobs?kind=bulk_run&state=running",
                None,
            )
            .await;
        if let Some(owner) = jobs["items"][0]["lease_owner"].as_str() {
            let p = c
                .admin(
                    &a_base,
                    reqwest::Method::GET,
                    &format!("/bulk-processes/{pid}"),
                    None,
                )
                .await;
            if p["processed"].as_u64().unwrap() > 0 {
                break owner.to_owned();
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let a_port = a_base.rsplit(':').next().unwrap().to_owned();
    let (survivor, victim) = if holder.contains(&format!(":{a_port}#")) {
        (b, a)
    } else {
        (a, b)
    };
    victim.kill();
    let base = survivor.base.clone();
    let started = Instant::now();
    let done = loop {
        let p = c
            .admin(
                &base,
                reqwest::Method::GET,
                &format!("/bulk-processes/{pid}"),
                None,
            )
            .await;
        if p["state"] != "running" {
            break p;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the run was not taken over: {p}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done["state"], "completed", "{done}");
    assert_eq!(done["processed"], BULK_USERS as u64, "{done}");
    assert_eq!(done["skipped"], 0, "no row was found done twice: {done}");
    let blocked = c
        .admin(
            &base,
            reqwest::Method::GET,
            "/users?state=blocked&limit=1",
            None,
        )
        .await;
    assert_eq!(blocked["total"], BULK_USERS as u64);
    survivor.kill();
}
