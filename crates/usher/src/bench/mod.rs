//! `usher bench`: seeds a tenant with many users through the store's batch
//! path (`seed`; some enrol in a second factor through the factor writes,
//! `mfa`), then measures over real HTTP on loopback what an administrator
//! feels: list and search pages with exact totals and single-user creates
//! (`users`); then SCIM with `--scim`, scoped admins' pages with
//! `--scoped`, the console's users list with `--console`, and logins and refreshes, bulk
//! processes and an import unless their counts are 0. It is the binary's
//! own module tree, so the library the server and the tests link holds no
//! benchmark.

mod auth;
mod bulk;
mod console;
mod import;
mod jobs;
mod load;
mod mfa;
mod names;
mod raw;
mod report;
mod scim;
mod scoped;
mod seed;
mod users;

use serde_json::json;
use usher::Application;
use usher::cli::BenchArgs;
use usher::config::{Config, SecretString};
use usher_core::audit::{Actor, AuditContext};
use usher_core::token::Secret;
use uuid::Uuid;

/// Runs `usher bench` and prints its report.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("usher-bench-{}", Uuid::now_v7().simple()));
    let (url, cleanup) = match (&args.url, &args.db) {
        (Some(u), _) => (u.clone(), None),
        (None, Some(p)) => (format!("sqlite://{}", p.display()), None),
        (None, None) => (
            format!("sqlite://{}/usher.db", tmp.display()),
            Some(tmp.clone()),
        ),
    };
    let token = Secret::generate("bench_");
    let mut config = Config::new("127.0.0.1:0", &url);
    config.bootstrap_token = Some(SecretString::new(token.expose().to_owned()));
    let application = Application::build(&config).await?;
    let services = application.services().clone();
    let port = application.port();
    let server = tokio::spawn(application.run_until(std::future::pending()));
    let base = format!("http://127.0.0.1:{port}/api/v1/tenants/bench");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let auth = format!("Bearer {}", token.expose());

    println!(
        "# usher bench: {} users, database {}",
        args.users,
        if url.starts_with("sqlite") {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    );
    let ctx = AuditContext::new(Actor::system());
    let tenant = match services.find_tenant("bench").await {
        Ok(t) => t,
        Err(_) => services
            .create_tenant(&ctx, json!({"slug": "bench", "name": "Benchmark"}))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    if services.store.list_attributes(tenant.id).await?.is_empty() {
        seed::department_attribute(&services, &tenant, &ctx).await?;
    }

    let expected = seed::seed(&services, &tenant, &args).await?;
    // Let the sweep mark the invitations seeded as expired.
    while services
        .store
        .sweep_expired_invitations(services.clock.now(), 5000)
        .await?
        > 0
    {}

    if !url.starts_with("sqlite") && args.creates > 0 {
        raw::run(&url, args.creates, args.concurrency).await?;
    }
    users::run(&client, &base, &auth, &expected, &args).await?;
    if args.scim {
        scim::run(
            &services,
            &tenant,
            &client,
            port,
            &expected.emails,
            &expected.user_names,
            &args,
        )
        .await?;
    }
    if args.scoped {
        scoped::run(&services, &tenant, &client, &base, &auth, &args).await?;
    }
    if args.console {
        console::run(&client, port, &base, &auth, &args).await?;
    }
    if args.login_users > 0 {
        auth::run(&services, &client, port, &args).await?;
    }
    if args.bulk_users > 0 {
        bulk::run(&services, &client, port, &auth, &args).await?;
    }
    if args.import_users > 0 {
        import::run(&services, &args).await?;
    }
    if args.jobs > 0 {
        jobs::run(&services, &url, args.jobs).await?;
    }
    server.abort();
    if let Some(dir) = cleanup {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(())
}
