//! The SCIM part of `usher bench`: filtered lists over `/scim/v2/bench/Users`
//! at the seeded size (prefix, equality and value-path filters, with the
//! exact totals checked against the seeded data), then single-user SCIM
//! creates from concurrent clients, each durable and audited.

use super::load::{Scenario, creates, page};
use super::report;
use serde_json::json;
use usher::cli::BenchArgs;
use usher_core::audit::{Actor, AuditContext};
use usher_core::service::Services;
use usher_core::tenant::Tenant;
use usher_core::token::TokenScope;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

pub(super) async fn run(
    services: &Services,
    tenant: &Tenant,
    client: &reqwest::Client,
    port: u16,
    emails: &[String],
    user_names: &[String],
    args: &BenchArgs,
) -> anyhow::Result<()> {
    let ctx = AuditContext::new(Actor::system());
    let (_, secret) = services
        .create_token(&ctx, Some(tenant), TokenScope::Scim, "bench-scim")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let auth = format!("Bearer {}", secret.expose());
    let base = format!("http://127.0.0.1:{port}/scim/v2/{}", tenant.slug);
    let starting = |p: &str| user_names.iter().filter(|e| e.starts_with(p)).count() as u64;
    let emails_starting = |p: &str| emails.iter().filter(|e| e.starts_with(p)).count() as u64;
    let some = user_names
        .get(user_names.len() / 3)
        .cloned()
        .unwrap_or_else(|| "nobody@bench.example".into());
    let scenarios: Vec<(String, String, Option<u64>)> = vec![
        (
            "userName sw \"ab\"".into(),
            "userName sw \"ab\"".into(),
            Some(starting("ab")),
        ),
        (
            "userName sw \"jo\"".into(),
            "userName sw \"jo\"".into(),
            Some(starting("jo")),
        ),
        (
            "userName sw \"mary.\"".into(),
            "userName sw \"mary.\"".into(),
            Some(starting("mary.")),
        ),
        (
            "userName sw \"james.smith\"".into(),
            "userName sw \"james.smith\"".into(),
            Some(starting("james.smith")),
        ),
        (
            "userName eq (one user)".into(),
            format!("userName eq \"{some}\""),
            Some(1),
        ),
        (
            "emails[type eq \"work\" and value sw \"jo\"]".into(),
            "emails[type eq \"work\" and value sw \"jo\"]".into(),
            Some(emails_starting("jo")),
        ),
        (
            "externalId eq (none)".into(),
            "externalId eq \"nope\"".into(),
            Some(0),
        ),
    ];
    let mut rows = Vec::new();
    for (name, filter, want) in scenarios {
        let q: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", &filter)
            .append_pair("count", "20")
            .finish();
        let url = format!("{base}/Users?{q}");
        let scenario = Scenario { name, url, want };
        let (total, h) = page(client, &auth, &scenario, "totalResults", args.samples).await?;
        rows.push((scenario.name, total, h));
    }
    report::pages(
        "| SCIM filter (count 20) | totalResults | p50 ms | p99 ms | max ms |",
        &rows,
    );

    // Disabled: the same write as an active user, and a later run on the
    // same file still finds the seeded totals of active users.
    let user = |i: usize, run: &str| {
        let email = format!("scim.{i}.{run}@bench.example");
        json!({
            "schemas": [USER],
            "userName": email,
            "externalId": format!("ext-{i}-{run}"),
            "name": {"givenName": "Scim", "familyName": format!("Load{i}")},
            "emails": [{"value": email, "type": "work", "primary": true}],
            "active": false,
        })
    };
    let url = format!("{base}/Users");
    let (rate, h) = creates(client, &url, &auth, args.creates, args.concurrency, user).await?;
    report::rates(
        "| SCIM creates | clients | creates/s | p50 ms | p99 ms |",
        args.concurrency,
        &[("POST /scim/v2/{tenant}/Users (durable, audited)", rate, &h)],
    );
    Ok(())
}
