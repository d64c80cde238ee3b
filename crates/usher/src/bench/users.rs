//! The admin API's user pages under load: list and search pages (first,
//! middle, last, filtered, prefix searches, the mfa filter), each total
//! checked against the seeded data, then single-user creates from
//! concurrent clients.

use super::load::{Scenario, creates, get, page};
use super::report;
use super::seed::{Expected, PREFIXES};
use serde_json::json;
use usher::cli::BenchArgs;
use usher_core::listing::Cursor;

/// Measures the pages of the tenant at `base` (an admin API URL) and prints
/// their tables.
pub(super) async fn run(
    client: &reqwest::Client,
    base: &str,
    auth: &str,
    expected: &Expected,
    args: &BenchArgs,
) -> anyhow::Result<()> {
    let n = expected.total;
    let mut emails = expected.emails.clone();
    emails.sort();
    let middle = Cursor::After(emails[emails.len() / 2].clone())
        .encode()
        .unwrap_or_default();
    let mut scenarios: Vec<(String, String, Option<u64>)> = vec![
        ("first page".into(), "limit=20".into(), Some(n)),
        (
            "middle page".into(),
            format!("limit=20&cursor={middle}"),
            Some(n),
        ),
        ("last page".into(), "limit=20&cursor=last".into(), Some(n)),
        (
            "state=active, first page".into(),
            "state=active".into(),
            Some(expected.active),
        ),
        (
            "state=expired_invitation".into(),
            "state=expired_invitation".into(),
            Some(expected.expired),
        ),
        ("archived=true".into(), "archived=true".into(), None),
        ("mfa=true".into(), "mfa=true".into(), Some(expected.mfa)),
        (
            "mfa=true, last page".into(),
            "mfa=true&cursor=last".into(),
            Some(expected.mfa),
        ),
        (
            "mfa=false".into(),
            "mfa=false".into(),
            Some(n - expected.mfa),
        ),
        (
            "mfa=false, last page".into(),
            "mfa=false&cursor=last".into(),
            Some(n - expected.mfa),
        ),
        (
            "mfa=true&state=active".into(),
            "mfa=true&state=active".into(),
            Some(expected.mfa_active),
        ),
        (
            "mfa=false&state=active".into(),
            "mfa=false&state=active".into(),
            Some(expected.active - expected.mfa_active),
        ),
        (
            "mfa=false&state=blocked (rare)".into(),
            "mfa=false&state=blocked".into(),
            Some(expected.blocked_without_mfa),
        ),
    ];
    for p in PREFIXES {
        let q = form_urlencoded::byte_serialize(p.as_bytes()).collect::<String>();
        scenarios.push((
            format!("search {p:?}"),
            format!("search={q}"),
            expected.prefix.get(*p).copied(),
        ));
        scenarios.push((
            format!("search {p:?}, last page"),
            format!("search={q}&cursor=last"),
            expected.prefix.get(*p).copied(),
        ));
    }
    for p in ["ma", "jo", "sakura.tanaka"] {
        let q = form_urlencoded::byte_serialize(p.as_bytes()).collect::<String>();
        let all = expected.prefix.get(p).copied();
        let with = expected.prefix_mfa.get(p).copied();
        scenarios.push((
            format!("search {p:?}, mfa=true"),
            format!("search={q}&mfa=true"),
            with,
        ));
        scenarios.push((
            format!("search {p:?}, mfa=false"),
            format!("search={q}&mfa=false"),
            all.zip(with).map(|(a, w)| a - w),
        ));
    }
    // The second page of the commonest prefix, through its own next link.
    let (_, first) = get(client, &format!("{base}/users?search=ma"), auth).await?;
    if let Some(next) = first["links"]["next"]
        .as_str()
        .and_then(|l| l.split_once('?'))
        .map(|(_, q)| q.to_owned())
    {
        scenarios.push((
            "search \"ma\", next page".into(),
            next,
            expected.prefix.get("ma").copied(),
        ));
    }
    let mut rows = Vec::new();
    for (name, query, want) in scenarios {
        let url = format!("{base}/users?{query}");
        let scenario = Scenario { name, url, want };
        let (total, h) = page(client, auth, &scenario, "total", args.samples).await?;
        rows.push((scenario.name, total, h));
    }
    report::pages(
        "| list/search page (limit 20) | total | p50 ms | p99 ms | max ms |",
        &rows,
    );

    let user = |i: usize, run: &str| json!({"email": format!("load.{i}.{run}@bench.example"), "first_name": "Load", "last_name": format!("Test{i}"), "send_invitation": false});
    let url = format!("{base}/users");
    let (rate, h) = creates(client, &url, auth, args.creates, args.concurrency, user).await?;
    report::rates(
        "| single-user creates over HTTP | clients | creates/s | p50 ms | p99 ms |",
        args.concurrency,
        &[("POST /users (durable, audited)", rate, &h)],
    );
    Ok(())
}
