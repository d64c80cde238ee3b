//! The login and refresh part of `usher bench`: users with a password are
//! made through the store (an invitation redeemed with one precomputed
//! argon2id hash), then measured over HTTP with concurrent clients.

use super::report;
use super::seed::seeded_user;
use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use usher::cli::BenchArgs;
use usher_core::audit::{Actor, AuditAction, AuditContext};
use usher_core::password::NormalizedPassword;
use usher_core::service::Services;
use usher_core::store::{Effects, LinkKind, NewLink, Redemption};
use usher_core::tenant::Tenant;
use usher_core::token::Secret;
use usher_core::user::UserState;
use usher_core::user::fields::Email;

const PASSWORD: &str = "bench password 0123";
const TENANT: &str = "bench-auth";

fn email(i: usize) -> String {
    format!("login.{i}@bench.example")
}

/// Makes `n` users with [`PASSWORD`] in the benchmark tenant, unless an
/// earlier run on the same database did.
async fn seed(services: &Services, n: usize) -> anyhow::Result<Tenant> {
    let ctx = AuditContext::new(Actor::system());
    let tenant = match services.find_tenant(TENANT).await {
        Ok(t) => t,
        Err(_) => services
            .create_tenant(&ctx, json!({"slug": TENANT, "name": "Login benchmark"}))
            .await
            .map_err(|e| anyhow::anyhow!("creating the tenant {TENANT}: {e:?}"))?,
    };
    let last =
        Email::parse("email", &email(n - 1)).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    if services
        .store
        .user_by_email(tenant.id, &last)
        .await?
        .is_some()
    {
        return Ok(tenant);
    }
    let phc = services
        .hasher
        .hash(NormalizedPassword::normalize(PASSWORD))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bar = ProgressBar::new(n as u64);
    bar.set_style(ProgressStyle::with_template(
        "users with passwords {bar:40} {pos}/{len} ({per_sec})",
    )?);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (services, tenant, phc, next, bar, ctx) = (
            services.clone(),
            tenant.clone(),
            phc.clone(),
            next.clone(),
            bar.clone(),
            ctx.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(7);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(());
                }
                let now = services.clock.now();
                let mut user = seeded_user(i, tenant.id, &mut rng, now);
                user.email =
                    Email::parse("email", &email(i)).map_err(|e| anyhow::anyhow!("{e:?}"))?;
                user.stored_state = UserState::PendingInvitation;
                user.invitation_expires_at = Some(now + time::Duration::days(7));
                user.signup_completed_at = None;
                user.archived = false;
                user.attributes.clear();
                let secret = Secret::generate("bench_inv_");
                let effects = Effects {
                    new_link: Some(NewLink {
                        kind: LinkKind::Invitation,
                        hash: secret.hash(),
                        expires_at: now + time::Duration::days(7),
                    }),
                    ..Effects::default()
                };
                let draft = ctx.draft(Some(tenant.id), AuditAction::UserCreate, now);
                services
                    .store
                    .create_user(user, effects, draft)
                    .await
                    .map_err(|e| anyhow::anyhow!("creating a user: {e:?}"))?;
                services
                    .store
                    .redeem_link(Redemption {
                        tenant_id: tenant.id,
                        kind: LinkKind::Invitation,
                        hash: secret.hash(),
                        now,
                        password_hash: phc.clone(),
                        audit: ctx.draft(Some(tenant.id), AuditAction::LinkRedeem, now),
                    })
                    .await
                    .map_err(|e| anyhow::anyhow!("setting a password: {e:?}"))?;
                bar.inc(1);
            }
        }));
    }
    for t in tasks {
        t.await.context("a seeding task failed")??;
    }
    bar.finish_and_clear();
    Ok(tenant)
}

/// Runs `total` operations over `clients` concurrent tasks; `op(operation
/// index, state)` answers the client's next state. Answers the rate
/// and the latency histogram.
async fn measure<S, F, Fut>(
    clients: usize,
    total: usize,
    init: Vec<S>,
    op: F,
) -> anyhow::Result<(f64, Histogram<u64>)>
where
    S: Send + 'static,
    F: Fn(usize, S) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<S>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for state in init.into_iter().take(clients) {
        let (next, op) = (next.clone(), op.clone());
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new(3)?;
            let mut state = state;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, anyhow::Error>(h);
                }
                let t = Instant::now();
                state = op(i, state).await?;
                h.record(t.elapsed().as_micros() as u64)?;
            }
        }));
    }
    let mut all = Histogram::<u64>::new(3)?;
    for t in tasks {
        all.add(t.await.context("a client task failed")??)?;
    }
    Ok((total as f64 / started.elapsed().as_secs_f64(), all))
}

async fn post(client: &reqwest::Client, url: &str, body: Value) -> anyhow::Result<Value> {
    let res = client.post(url).json(&body).send().await?;
    let status = res.status();
    let body: Value = res.json().await?;
    if status.as_u16() != 200 {
        bail!("POST {url} answered {status}: {body}");
    }
    Ok(body)
}

pub(super) async fn run(
    services: &Services,
    client: &reqwest::Client,
    port: u16,
    args: &BenchArgs,
) -> anyhow::Result<()> {
    let n = args.login_users;
    seed(services, n).await?;
    let base = format!("http://127.0.0.1:{port}/api/v1/tenants/{TENANT}/auth");
    let clients = args.auth_clients.max(1);

    let login_url = format!("{base}/login");
    let (login_rate, login_h) = measure(clients, args.logins, vec![(); clients], {
        let (client, url) = (client.clone(), login_url.clone());
        move |i, ()| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                post(
                    &client,
                    &url,
                    json!({"email": email(i % n), "password": PASSWORD}),
                )
                .await?;
                Ok(())
            }
        }
    })
    .await?;

    // Each client refreshes its own session's chain of tokens.
    let mut chains = Vec::new();
    for c in 0..clients {
        let t = post(
            client,
            &login_url,
            json!({"email": email(c % n), "password": PASSWORD}),
        )
        .await?;
        chains.push(t["refresh_token"].as_str().unwrap_or_default().to_owned());
    }
    let token_url = format!("{base}/token");
    let (refresh_rate, refresh_h) = measure(clients, args.refreshes, chains, {
        let (client, url) = (client.clone(), token_url);
        move |_, refresh: String| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let t = post(&client, &url, json!({"refresh_token": refresh})).await?;
                Ok(t["refresh_token"].as_str().unwrap_or_default().to_owned())
            }
        }
    })
    .await?;

    let p = services.hasher.params();
    report::rates(
        &format!(
            "| auth over HTTP ({n} users, argon2id m={} KiB t={} p={}) | clients | per second | p50 ms | p99 ms |",
            p.m_kib, p.t, p.p
        ),
        clients,
        &[
            ("POST /auth/login (password)", login_rate, &login_h),
            (
                "POST /auth/token (refresh rotation)",
                refresh_rate,
                &refresh_h,
            ),
        ],
    );
    Ok(())
}
