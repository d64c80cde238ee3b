//! The benchmark's load over HTTP: timed reads of a list page, repeated
//! with its total checked, and creates from concurrent clients (each takes
//! the next index until the total is reached, so a slow request never
//! leaves the others idle).

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// One GET with the benchmark's token: how long the answer took and its
/// body; a failure status is an error.
pub(super) async fn get(
    client: &reqwest::Client,
    url: &str,
    auth: &str,
) -> anyhow::Result<(Duration, Value)> {
    let t = Instant::now();
    let res = client.get(url).header("authorization", auth).send().await?;
    let status = res.status();
    let body: Value = res.json().await?;
    let took = t.elapsed();
    if !status.is_success() {
        bail!("GET {url} answered {status}: {body}");
    }
    Ok((took, body))
}

/// A list scenario: its name in the report, the page it reads and the
/// total each answer must hold (`None` where the seeded data does not
/// say).
pub(super) struct Scenario {
    pub(super) name: String,
    pub(super) url: String,
    pub(super) want: Option<u64>,
}

/// Reads the scenario's page `samples` times after five warm-up reads that
/// are not measured, checking the total in each answer's `field`; answers
/// the total and the latencies.
pub(super) async fn page(
    client: &reqwest::Client,
    auth: &str,
    scenario: &Scenario,
    field: &str,
    samples: usize,
) -> anyhow::Result<(u64, Histogram<u64>)> {
    let mut h = Histogram::<u64>::new(3)?;
    let mut total = 0;
    for i in 0..samples + 5 {
        let (took, body) = get(client, &scenario.url, auth).await?;
        total = body[field].as_u64().unwrap_or(u64::MAX);
        if let Some(w) = scenario.want
            && total != w
        {
            bail!("{}: {field} {total}, expected {w}", scenario.name);
        }
        if i >= 5 {
            h.record(took.as_micros() as u64)?;
        }
    }
    Ok((total, h))
}

/// `total` creates from `concurrency` clients POSTing `body(i, run)` to
/// `url`: the rate, and the latencies.
pub(super) async fn creates(
    client: &reqwest::Client,
    url: &str,
    auth: &str,
    total: usize,
    concurrency: usize,
    body: fn(usize, &str) -> Value,
) -> anyhow::Result<(f64, Histogram<u64>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let run = Uuid::now_v7().simple().to_string();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, next, url, auth, run) = (
            client.clone(),
            next.clone(),
            url.to_owned(),
            auth.to_owned(),
            run.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new(3)?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let body = body(i, &run);
                let t = Instant::now();
                let res = client
                    .post(&url)
                    .header("authorization", &auth)
                    .json(&body)
                    .send()
                    .await?;
                let status = res.status();
                let _ = res.bytes().await?;
                if status.as_u16() != 201 {
                    bail!("create answered {status}");
                }
                h.record(t.elapsed().as_micros() as u64)?;
            }
            Ok::<_, anyhow::Error>(h)
        }));
    }
    let mut all = Histogram::<u64>::new(3)?;
    for t in tasks {
        all.add(t.await.context("a client task failed")??)?;
    }
    let secs = started
        .elapsed()
        .as_secs_f64()
        .max(Duration::from_micros(1).as_secs_f64());
    Ok((total as f64 / secs, all))
}
