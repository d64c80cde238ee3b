//! The bulk-process part of `usher bench`: a fresh tenant with users who
//! each hold a session, then a bulk block and a bulk disable (which ends
//! the sessions) over all of them, timed from start to completed over HTTP.

use anyhow::{Context, bail};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use usher::cli::BenchArgs;
use usher_core::audit::{Actor, AuditAction, AuditContext};
use usher_core::service::Services;
use usher_core::session::{NewSession, SESSION_TTL, Session};
use usher_core::store::{Effects, UserWrite};
use usher_core::tenant::Tenant;
use usher_core::user::fields::Email;
use usher_core::user::{User, UserState};
use usher_core::{Id, UserId, useragent};
use uuid::Uuid;

async fn seed(services: &Services, n: usize) -> anyhow::Result<(Tenant, Vec<UserId>)> {
    let ctx = AuditContext::new(Actor::system());
    let slug = format!("bench-bulk-{}", &Uuid::now_v7().simple().to_string()[20..]);
    let tenant = services
        .create_tenant(&ctx, json!({"slug": slug, "name": "Bulk benchmark"}))
        .await
        .map_err(|e| anyhow::anyhow!("creating the tenant {slug}: {e:?}"))?;
    let now = services.clock.now();
    let mut rng = StdRng::seed_from_u64(7);
    let users: Vec<User> = (0..n)
        .map(|i| {
            let mut u = super::seed::seeded_user(i, tenant.id, &mut rng, now);
            u.email = Email::from_stored(format!("bulk.{i}@bench.example"));
            u.stored_state = UserState::Active;
            u.invitation_expires_at = None;
            u.archived = false;
            u.attributes.clear();
            u.signup_completed_at = Some(now);
            u
        })
        .collect();
    let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
    for chunk in users.chunks(5000) {
        services
            .store
            .insert_users(
                tenant.id,
                chunk.to_vec(),
                ctx.draft(Some(tenant.id), AuditAction::UserImport, now),
            )
            .await?;
    }
    // One session each, opened the way a login opens it.
    let mut tasks = Vec::new();
    for part in ids.chunks(ids.len().div_ceil(8).max(1)) {
        let services = services.clone();
        let part = part.to_vec();
        let tenant = tenant.clone();
        let ctx = ctx.clone();
        tasks.push(tokio::spawn(async move {
            for id in part {
                let session = Session {
                    id: Id::generate(),
                    tenant_id: tenant.id,
                    user_id: id,
                    created_at: now,
                    last_seen_at: now,
                    expires_at: now + SESSION_TTL,
                    ip: Some("192.0.2.1".into()),
                    user_agent: None,
                    client: useragent::parse(""),
                    location: None,
                };
                let (new, _) = NewSession::open(session, now);
                services
                    .store
                    .modify_user(UserWrite {
                        tenant_id: tenant.id,
                        user_id: id,
                        if_match: None,
                        now,
                        mutation: Box::new(move |_| {
                            Ok(Effects {
                                new_session: Some(new),
                                ..Effects::default()
                            })
                        }),
                        audit: ctx.draft(Some(tenant.id), AuditAction::UserLogin, now),
                    })
                    .await?;
            }
            Ok::<_, usher_core::Error>(())
        }));
    }
    for t in tasks {
        t.await?
            .map_err(|e| anyhow::anyhow!("opening sessions: {e}"))?;
    }
    Ok((tenant, ids))
}

/// Uploads a CSV of `ids` for `action`, starts it, and answers the time
/// from start to completed.
async fn timed(
    client: &reqwest::Client,
    base: &str,
    auth: &str,
    action: &str,
    ids: &[UserId],
) -> anyhow::Result<(Duration, Duration, Value)> {
    let mut csv = String::with_capacity(ids.len() * 40);
    csv.push_str("id\n");
    for id in ids {
        csv.push_str(&id.to_string());
        csv.push('\n');
    }
    let t = Instant::now();
    let res = client
        .post(format!("{base}/bulk-processes?action={action}"))
        .header("authorization", auth)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await?;
    let status = res.status();
    let up: Value = res.json().await?;
    if status.as_u16() != 201 {
        bail!("uploading the {action} file answered {status}: {up}");
    }
    let upload = t.elapsed();
    let id = up["id"].as_str().context("the upload's id")?.to_owned();
    let t = Instant::now();
    let res = client
        .post(format!("{base}/bulk-processes/{id}/start"))
        .header("authorization", auth)
        .send()
        .await?;
    if res.status().as_u16() != 202 {
        bail!("starting the {action} process answered {}", res.status());
    }
    loop {
        let p: Value = client
            .get(format!("{base}/bulk-processes/{id}"))
            .header("authorization", auth)
            .send()
            .await?
            .json()
            .await?;
        if p["state"] != "running" {
            return Ok((upload, t.elapsed(), p));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

pub(super) async fn run(
    services: &Services,
    client: &reqwest::Client,
    port: u16,
    auth: &str,
    args: &BenchArgs,
) -> anyhow::Result<()> {
    let n = args.bulk_users;
    let t = Instant::now();
    let (tenant, ids) = seed(services, n).await?;
    println!();
    println!(
        "seeded {n} users with a session each in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let base = format!("http://127.0.0.1:{port}/api/v1/tenants/{}", tenant.slug);
    println!();
    println!("| bulk process over {n} users | upload ms | start → completed ms | rows/s |");
    println!("|---|---:|---:|---:|");
    for (action, label) in [
        ("block", "block"),
        ("disable", "disable (ends each user's session)"),
    ] {
        let (upload, run, p) = timed(client, &base, auth, action, &ids).await?;
        if p["state"] != "completed" || p["processed"].as_u64() != Some(n as u64) {
            bail!("the {action} process ended as {p}");
        }
        println!(
            "| {label} | {:.0} | {:.0} | {:.0} |",
            upload.as_secs_f64() * 1000.0,
            run.as_secs_f64() * 1000.0,
            n as f64 / run.as_secs_f64()
        );
    }
    // The sessions really ended.
    for id in ids.iter().step_by((n / 10).max(1)) {
        if !services
            .store
            .list_sessions(tenant.id, *id, services.clock.now())
            .await?
            .is_empty()
        {
            bail!("user {id} still has a session after the bulk disable");
        }
    }
    Ok(())
}
