//! The job queue part of `usher bench`: how many no-op jobs a runner claims,
//! runs and records per second (the queue's own cost, not any work), with
//! the server's runner alone and, on PostgreSQL, with a second runner on a
//! pool of its own beside it (another process, as far as the database can
//! tell); and what the idle server costs in CPU time.

use std::sync::Arc;
use std::time::{Duration, Instant};
use usher::config::Config;
use usher::jobs::Runner;
use usher_core::SystemClock;
use usher_core::job::{JobKind, JobState, NewJob};
use usher_core::service::Services;

/// Completed no-op jobs so far.
async fn completed(services: &Services) -> anyhow::Result<u64> {
    let stats = services.store.job_stats(services.clock.now()).await?;
    Ok(stats
        .counts
        .iter()
        .filter(|(k, s, _)| *k == JobKind::Noop && *s == JobState::Completed)
        .map(|(_, _, n)| n)
        .sum())
}

/// Queues `n` no-op jobs and waits until the runners completed them.
async fn drain(services: &Services, n: usize) -> anyhow::Result<Duration> {
    let before = completed(services).await?;
    let now = services.clock.now();
    for _ in 0..n {
        let job = NewJob::new(JobKind::Noop, None, serde_json::json!({}), now);
        services.store.enqueue_job(job).await?;
    }
    let started = Instant::now();
    while completed(services).await? < before + n as u64 {
        if started.elapsed() > Duration::from_secs(600) {
            anyhow::bail!("the runners did not finish {n} jobs in ten minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(started.elapsed())
}

/// This process's CPU time so far (user and system), from /proc.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at ")".
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports these in USER_HZ, 100 a second on every platform it runs on.
    Some(Duration::from_millis(ticks * 10))
}

pub(super) async fn run(services: &Services, url: &str, n: usize) -> anyhow::Result<()> {
    println!("\n| job queue ({n} no-op jobs) | runners | seconds | jobs/s |");
    println!("|---|---:|---:|---:|");
    let database = if url.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let one = drain(services, n).await?;
    println!(
        "| claimed, run and recorded, {database} | 1 | {:.2} | {:.0} |",
        one.as_secs_f64(),
        n as f64 / one.as_secs_f64()
    );
    if !url.starts_with("sqlite") {
        let config = Config::new("127.0.0.1:0", url);
        let second = usher::app::services(&config, Arc::new(SystemClock)).await?;
        let jobs = second.background_jobs(time::Duration::days(7));
        let runner = Runner::new(
            second,
            "bench-second-runner:0".into(),
            jobs,
            config.job_workers,
            config.job_poll,
        )
        .spawn();
        let two = drain(services, n).await?;
        runner.abort();
        println!(
            "| claimed, run and recorded, {database} | 2 | {:.2} | {:.0} |",
            two.as_secs_f64(),
            n as f64 / two.as_secs_f64()
        );
    }
    if let Some(start) = cpu_time() {
        // Nothing is due: what the idle server (its runner polling, its
        // sweeps) costs.
        let window = Duration::from_secs(20);
        tokio::time::sleep(window).await;
        if let Some(end) = cpu_time() {
            let per_minute = (end - start).as_secs_f64() * 60.0 / window.as_secs_f64();
            println!(
                "\nidle server: {:.0} ms of CPU time a minute (measured over {} s)",
                per_minute * 1000.0,
                window.as_secs()
            );
        }
    }
    Ok(())
}
