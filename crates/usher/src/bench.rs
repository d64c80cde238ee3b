//! `usher bench`: seeds a tenant with many users through the store's batch
//! path (and enrols some in a second factor through the factor writes, see
//! `bench_mfa`), then measures over real HTTP on loopback what an
//! administrator feels: list and search pages (first, middle, last,
//! filtered, prefix searches, the mfa filter) with exact totals, and
//! single-user creates with concurrent clients.

use crate::Application;
use crate::config::{Config, SecretString};
use anyhow::{Context, bail};
use clap::Args;
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use usher_core::audit::{Actor, AuditContext};
use usher_core::listing::Cursor;
use usher_core::search::user_terms;
use usher_core::token::Secret;
use usher_core::user::fields::{Email, Language, PersonName, Phone, Username, fold_case};
use usher_core::user::{LOCAL_SOURCE, User, UserState};
use uuid::Uuid;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Users seeded before measuring.
    #[arg(long, default_value_t = 1_000_000)]
    users: usize,
    /// Single-user creates measured over HTTP.
    #[arg(long, default_value_t = 20_000)]
    pub(crate) creates: usize,
    /// Concurrent HTTP clients creating users.
    #[arg(long, default_value_t = 8)]
    pub(crate) concurrency: usize,
    /// Requests measured per list or search scenario.
    #[arg(long, default_value_t = 300)]
    pub(crate) samples: usize,
    /// SQLite file to use; kept afterwards and reused when it already holds
    /// the seeded users. Default: a fresh file in a temporary directory.
    #[arg(long)]
    db: Option<PathBuf>,
    /// Use this database URL instead (e.g. a PostgreSQL database to fill).
    #[arg(long)]
    url: Option<String>,
    /// Users with a password for the login and refresh measurements (0
    /// skips them).
    #[arg(long, default_value_t = 10_000)]
    pub(crate) login_users: usize,
    /// Logins measured (password only, production argon2 parameters).
    #[arg(long, default_value_t = 1_000)]
    pub(crate) logins: usize,
    /// Refreshes measured.
    #[arg(long, default_value_t = 20_000)]
    pub(crate) refreshes: usize,
    /// Concurrent clients logging in and refreshing.
    #[arg(long, default_value_t = 16)]
    pub(crate) auth_clients: usize,
    /// Users in each timed bulk process (block, then disable); 0 skips them.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) bulk_users: usize,
    /// Users in the timed import; 0 skips it.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) import_users: usize,
    /// Also measure SCIM: filtered lists of /Users and `--creates` SCIM
    /// creates.
    #[arg(long)]
    pub(crate) scim: bool,
}

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Nancy",
    "Daniel",
    "Lisa",
    "Matthew",
    "Betty",
    "Anthony",
    "Margaret",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Dorothy",
    "Kevin",
    "Carol",
    "Brian",
    "Amanda",
    "George",
    "Melissa",
    "Edward",
    "Deborah",
    "Ronald",
    "Stephanie",
    "Timothy",
    "Rebecca",
    "Jason",
    "Sharon",
    "Jeffrey",
    "Laura",
    "Ryan",
    "Cynthia",
    "Jacob",
    "Kathleen",
    "Gary",
    "Amy",
    "Nicholas",
    "Shirley",
    "Eric",
    "Angela",
    "Jonathan",
    "Helen",
    "Stephen",
    "Anna",
    "Larry",
    "Brenda",
    "Justin",
    "Pamela",
    "Scott",
    "Nicole",
    "Brandon",
    "Emma",
    "Benjamin",
    "Samantha",
    "Samuel",
    "Katherine",
    "Gregory",
    "Christine",
    "Frank",
    "Debra",
    "Alexander",
    "Rachel",
    "Raymond",
    "Catherine",
    "Patrick",
    "Carolyn",
    "Jack",
    "Janet",
    "Dennis",
    "Ruth",
    "Jerry",
    "Maria",
    "Lukas",
    "Leonie",
    "Finn",
    "Hannah",
    "Jonas",
    "Lea",
    "Elias",
    "Lena",
    "Noah",
    "Mia",
    "Luis",
    "Sofia",
    "Camille",
    "Louis",
    "Chloé",
    "Hugo",
    "Inès",
    "Léo",
    "Manon",
    "Gabriel",
    "Jade",
    "Raphaël",
    "Zoé",
    "Jürgen",
    "Müge",
    "Søren",
    "Åsa",
    "Øystein",
    "Ľubica",
    "Zoltán",
    "Mateo",
    "Valentina",
    "Santiago",
    "Isabella",
    "Aarav",
    "Diya",
    "Wei",
    "Yuki",
    "Haruto",
    "Sakura",
    "Kwame",
    "Amara",
    "Olumide",
    "Zainab",
    "Omar",
    "Layla",
    "Dmitri",
    "Olga",
    "Ivan",
    "Anastasia",
    "Piotr",
    "Zofia",
    "Tomás",
    "Aoife",
    "Siobhan",
    "Cian",
    "Eoin",
    "Niamh",
];

const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Meier",
    "Lehmann",
    "Bernard",
    "Dubois",
    "Durand",
    "Lefebvre",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Michel",
    "Girard",
    "André",
    "Lefèvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopes",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Sanchez",
    "Gérard",
    "Nguyen",
    "Boyer",
    "Denis",
    "Lemaire",
    "Duval",
    "Joly",
    "Gautier",
    "Roger",
    "Roche",
    "Roy",
    "Noel",
    "Meyer",
    "Lucas",
    "Meunier",
    "Jean",
    "Perez",
    "Marchand",
    "Dufour",
    "Blanchard",
    "Kowalski",
    "Nowak",
    "Wiśniewski",
    "Novák",
    "Svoboda",
    "Horváth",
    "Nagy",
    "Tóth",
    "Jensen",
    "Nielsen",
    "Hansen",
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsen",
    "Olsen",
    "Virtanen",
    "Korhonen",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Byrne",
    "Ryan",
    "Walsh",
    "Tanaka",
    "Suzuki",
    "Takahashi",
    "Watanabe",
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Kumar",
    "Singh",
    "Patel",
    "Sharma",
    "Okafor",
    "Mensah",
    "Ivanov",
    "Petrov",
    "Silva",
    "Santos",
    "Costa",
    "Oliveira",
    "Pereira",
    "Ferreira",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
];

const DOMAINS: &[&str] = &[
    "example.com",
    "corp.example",
    "mail.example.org",
    "acme.example",
    "contoso.example",
];
const DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Legal",
    "Support",
    "Operations",
    "Research",
    "Design",
    "People",
    "Security",
    "Procurement",
];

fn ascii_fold(s: &str) -> String {
    fold_case(s)
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '\'')
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// The `i`-th seeded user, deterministic for a seed.
pub(crate) fn seeded_user(
    i: usize,
    tenant_id: Uuid,
    rng: &mut StdRng,
    now: OffsetDateTime,
) -> User {
    let first = FIRST[rng.random_range(0..FIRST.len())];
    let last = LAST[rng.random_range(0..LAST.len())];
    let domain = DOMAINS[i % DOMAINS.len()];
    let email = format!("{}.{}.{i}@{domain}", ascii_fold(first), ascii_fold(last));
    let roll: u32 = rng.random_range(0..100);
    let (state, exp) = match roll {
        0..70 => (UserState::Active, None),
        70..80 => (
            UserState::PendingInvitation,
            Some(now + time::Duration::days(5)),
        ),
        80..85 => (
            UserState::PendingInvitation,
            Some(now - time::Duration::days(1)),
        ),
        85..95 => (UserState::NotInvited, None),
        95..98 => (UserState::Blocked, None),
        _ => (UserState::Disabled, None),
    };
    let archived = state == UserState::Active && rng.random_range(0..20) == 0;
    let phone = (rng.random_range(0..2) == 0)
        .then(|| {
            Phone::parse(
                "phone",
                &format!("+49151{:08}", rng.random_range(0..100_000_000u32)),
            )
            .ok()
        })
        .flatten();
    let username = (rng.random_range(0..10) < 3)
        .then(|| {
            Username::parse(
                "username",
                &format!("{}{}{i}", ascii_fold(first), ascii_fold(last)),
            )
            .ok()
        })
        .flatten();
    let mut attributes = BTreeMap::new();
    attributes.insert(
        "department".to_owned(),
        DEPARTMENTS[rng.random_range(0..DEPARTMENTS.len())].to_owned(),
    );
    let signup = matches!(state, UserState::Active | UserState::Blocked).then_some(now);
    User {
        id: Uuid::now_v7(),
        tenant_id,
        email: Email::from_stored(email),
        first_name: PersonName::parse("f", first, 50).ok(),
        last_name: PersonName::parse("l", last, 100).ok(),
        display_name: None,
        phone,
        personal_email: None,
        username,
        language: Language::ALL[i % 3],
        stored_state: state,
        invitation_expires_at: exp,
        archived,
        source: LOCAL_SOURCE.to_owned(),
        external_id: None,
        attributes,
        created_at: now,
        updated_at: now,
        signup_completed_at: signup,
        last_login_at: None,
        last_failed_login_at: None,
        mfa_enrolled: false,
        version: 1,
    }
}

/// What the seeded users let the benchmark check: totals per query.
#[derive(Default)]
struct Expected {
    /// Users in the tenant: the seeded ones plus those an earlier run on
    /// the same file created over HTTP (they match none of the filters).
    total: u64,
    emails: Vec<String>,
    /// SCIM `userName`s (the username where set, else the email), folded.
    user_names: Vec<String>,
    active: u64,
    expired: u64,
    prefix: BTreeMap<String, u64>,
    /// Users with a second factor: all, active, and blocked ones without.
    mfa: u64,
    mfa_active: u64,
    blocked_without_mfa: u64,
    /// Users with a second factor matching each prefix.
    prefix_mfa: BTreeMap<String, u64>,
}

const PREFIXES: &[&str] = &[
    "ma",
    "jo",
    "mar",
    "schm",
    "müller",
    "+4915",
    "engi",
    "sakura.tanaka",
];

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
        services
            .create_attribute(
                &tenant,
                &ctx,
                json!({"name": "department", "label": "Department", "max_length": 100}),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }

    let expected = seed(&services, &tenant, &args).await?;
    // Let the sweep mark the invitations seeded as expired.
    while services
        .store
        .sweep_expired_invitations(services.clock.now(), 5000)
        .await?
        > 0
    {}

    let mut report = Vec::new();
    let get = |query: String| {
        let client = client.clone();
        let auth = auth.clone();
        let url = format!("{base}/users?{query}");
        async move {
            let t = Instant::now();
            let res = client
                .get(&url)
                .header("authorization", auth)
                .send()
                .await?;
            let status = res.status();
            let body: Value = res.json().await?;
            let took = t.elapsed();
            if !status.is_success() {
                bail!("GET {url} answered {status}: {body}");
            }
            Ok::<_, anyhow::Error>((took, body))
        }
    };
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
    let (_, first) = get("search=ma".into()).await?;
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
    for (name, query, want_total) in scenarios {
        let mut h = Histogram::<u64>::new(3)?;
        let mut total = 0;
        for i in 0..args.samples + 5 {
            let (took, body) = get(query.clone()).await?;
            total = body["total"].as_u64().unwrap_or(u64::MAX);
            if let Some(w) = want_total
                && total != w
            {
                bail!("{name}: total {total}, expected {w}");
            }
            if i >= 5 {
                h.record(took.as_micros() as u64)?;
            }
        }
        report.push((name, total, h));
    }

    println!();
    println!("| list/search page (limit 20) | total | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    for (name, total, h) in &report {
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "| {name} | {total} | {:.2} | {:.2} | {:.2} |",
            ms(0.5),
            ms(0.99),
            h.max() as f64 / 1000.0
        );
    }

    let user = |i: usize, run: &str| json!({"email": format!("load.{i}.{run}@bench.example"), "first_name": "Load", "last_name": format!("Test{i}"), "send_invitation": false});
    let url = format!("{base}/users");
    let (rate, h) = creates(&client, &url, &auth, args.creates, args.concurrency, user).await?;
    println!();
    println!("| single-user creates over HTTP | clients | creates/s | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| POST /users (durable, audited) | {} | {rate:.0} | {:.2} | {:.2} |",
        args.concurrency,
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0
    );
    if args.scim {
        crate::bench_scim::run(
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
    if args.login_users > 0 {
        crate::bench_auth::run(&services, &client, port, &args).await?;
    }
    if args.bulk_users > 0 {
        crate::bench_bulk::run(&services, &client, port, &auth, &args).await?;
    }
    if args.import_users > 0 {
        crate::bench_import::run(&services, &args).await?;
    }
    server.abort();
    if let Some(dir) = cleanup {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(())
}

async fn seed(
    services: &usher_core::service::Services,
    tenant: &usher_core::tenant::Tenant,
    args: &BenchArgs,
) -> anyhow::Result<Expected> {
    let now = services.clock.now();
    let mut rng = StdRng::seed_from_u64(42);
    let mut expected = Expected::default();
    let existing = services
        .store
        .list_users(
            tenant.id,
            &usher_core::listing::UserQuery {
                search: None,
                state: None,
                archived: None,
                mfa: None,
                limit: 1,
                cursor: Cursor::First,
                now,
            },
        )
        .await?
        .total as usize;
    let insert = existing == 0;
    expected.total = existing.max(args.users) as u64;
    if !insert && existing < args.users {
        bail!(
            "the database holds {existing} bench users, fewer than {}; use a fresh --db",
            args.users
        );
    }
    let bar = ProgressBar::new(args.users as u64);
    bar.set_style(ProgressStyle::with_template(if insert {
        "seeding {bar:40} {pos}/{len} users ({per_sec}, eta {eta})"
    } else {
        "recomputing {bar:40} {pos}/{len}"
    })?);
    let started = Instant::now();
    let ctx = AuditContext::new(Actor::system());
    let prefixes: Vec<String> = PREFIXES.iter().map(|p| fold_case(p)).collect();
    let mut counts = vec![0u64; prefixes.len()];
    let mut counts_mfa = vec![0u64; prefixes.len()];
    let mut to_enrol = Vec::new();
    let mut i = 0;
    while i < args.users {
        let batch: Vec<User> = (i..(i + 10_000).min(args.users))
            .map(|j| seeded_user(j, tenant.id, &mut rng, now))
            .collect();
        for (k, u) in batch.iter().enumerate() {
            let enrols = crate::bench_mfa::enrols(i + k, u);
            if enrols {
                to_enrol.push(u.email.normalized().to_owned());
                expected.mfa += 1;
                expected.mfa_active += u64::from(u.stored_state == UserState::Active);
            }
            if u.stored_state == UserState::Blocked && !enrols {
                expected.blocked_without_mfa += 1;
            }
            expected.emails.push(u.email.normalized().to_owned());
            expected.user_names.push(
                u.username
                    .as_ref()
                    .map_or_else(|| u.email.normalized().to_owned(), |n| n.normalized()),
            );
            if u.stored_state == UserState::Active {
                expected.active += 1;
            }
            if u.state(now) == UserState::ExpiredInvitation {
                expected.expired += 1;
            }
            let terms = user_terms(u);
            for (k, p) in prefixes.iter().enumerate() {
                if terms.iter().any(|t| t.starts_with(p.as_str())) {
                    counts[k] += 1;
                    counts_mfa[k] += u64::from(enrols);
                }
            }
        }
        let n = batch.len();
        if insert {
            let draft = ctx.draft(Some(tenant.id), "user.import", now);
            services
                .store
                .insert_users(tenant.id, batch, draft)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        i += n;
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    if insert {
        let secs = started.elapsed().as_secs_f64();
        println!(
            "seeded {} users in {secs:.1} s ({:.0} users/s)",
            args.users,
            args.users as f64 / secs
        );
    }
    // Also a database seeded before the mfa filter existed: its users enrol now.
    let mfa_query = usher_core::listing::UserQuery {
        search: None,
        state: None,
        archived: None,
        mfa: Some(true),
        limit: 1,
        cursor: Cursor::First,
        now,
    };
    let enrolled = services
        .store
        .list_users(tenant.id, &mfa_query)
        .await?
        .total;
    if enrolled == 0 && expected.mfa > 0 {
        let mut ids = Vec::with_capacity(to_enrol.len());
        for email in &to_enrol {
            let user = services.store.user_by_email(tenant.id, email).await?;
            ids.push(user.context("a seeded user is missing")?.id);
        }
        let secs = crate::bench_mfa::enrol(
            services.store.clone(),
            tenant.id,
            ids,
            args.concurrency,
            now,
        )
        .await?;
        println!(
            "enrolled {} of them in a second factor through the factor writes in {secs:.1} s ({:.0} users/s)",
            expected.mfa,
            expected.mfa as f64 / secs
        );
    }
    for ((p, c), m) in PREFIXES.iter().zip(counts).zip(counts_mfa) {
        expected.prefix.insert((*p).to_owned(), c);
        expected.prefix_mfa.insert((*p).to_owned(), m);
    }
    Ok(expected)
}

/// `total` creates from `concurrency` clients POSTing `body(i, run)` to
/// `url`: the rate, and the latencies.
pub(crate) async fn creates(
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
