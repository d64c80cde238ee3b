//! `usher bench --console`: the admin console's users list beside the
//! API's. A tenant-wide `user_admin` person signs in to the admin side
//! (their admin token is also what the console's cookie holds), and the
//! console's first and last page are timed, each right after the API's
//! `GET /users?limit=20` at the same cursor, read by the same person, so
//! that the two are compared in the same minutes. The totals the console
//! shows are checked against the API's.

use super::load::{Scenario, page};
use super::report;
use super::scoped::{remove, scoped_admin};
use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use serde_json::Value;
use std::time::Instant;
use usher::cli::BenchArgs;

/// Reads the console page at `url` `samples` times after five warm-up
/// reads, with the session cookie; answers the total it shows and the
/// latencies.
async fn console_page(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    samples: usize,
) -> anyhow::Result<(u64, Histogram<u64>)> {
    let mut h = Histogram::<u64>::new(3)?;
    let mut total = 0;
    for i in 0..samples + 5 {
        let t = Instant::now();
        let res = client.get(url).header("cookie", cookie).send().await?;
        let status = res.status();
        let html = res.text().await?;
        let took = t.elapsed();
        if !status.is_success() {
            bail!("GET {url} answered {status}");
        }
        // "<p role=\"status\">1,000 users</p>": the first number in it.
        let shown = html
            .split("role=\"status\">")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .context("the page's total")?;
        total = shown.parse().context("a total")?;
        if i >= 5 {
            h.record(took.as_micros() as u64)?;
        }
    }
    Ok((total, h))
}

pub(super) async fn run(
    client: &reqwest::Client,
    port: u16,
    base: &str,
    auth: &str,
    args: &BenchArgs,
) -> anyhow::Result<()> {
    let run = uuid::Uuid::now_v7().simple().to_string();
    let email = format!("console.admin.{run}@bench.example");
    let (id, bearer) = scoped_admin(client, base, auth, &email, Value::Null).await?;
    let secret = bearer.trim_start_matches("Bearer ");
    let cookie = format!("usher_console={secret}");
    let console = format!("http://127.0.0.1:{port}/console/bench/users");
    let mut rows = Vec::new();
    for (name, query) in [("first page", ""), ("last page", "cursor=last")] {
        let api = Scenario {
            name: format!("API GET /users?limit=20: {name}"),
            url: format!("{base}/users?limit=20&{query}"),
            want: None,
        };
        let (total, h) = page(client, &bearer, &api, "total", args.samples).await?;
        rows.push((api.name, total, h));
        let url = format!("{console}?{query}");
        let (shown, h) = console_page(client, &url, &cookie, args.samples).await?;
        if shown != total {
            bail!("the console shows {shown} users where the API counts {total}");
        }
        rows.push((format!("console /users: {name}"), shown, h));
    }
    remove(client, base, auth, &id).await?;
    report::pages(
        "| users list, console beside API (limit 20, over HTTP) | total | p50 ms | p99 ms | max ms |",
        &rows,
    );
    Ok(())
}
