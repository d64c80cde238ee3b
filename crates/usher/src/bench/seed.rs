//! The benchmark's seeded tenant: the users (deterministic for a seed),
//! written through the store's batch path, and what they let the benchmark
//! check, the exact total each list and search scenario must answer.

use super::mfa;
use super::names::{DEPARTMENTS, DOMAINS, FIRST, LAST};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Instant;
use time::OffsetDateTime;
use usher::cli::BenchArgs;
use usher_core::audit::{Actor, AuditAction, AuditContext};
use usher_core::listing::Cursor;
use usher_core::search::user_terms;
use usher_core::service::Services;
use usher_core::tenant::Tenant;
use usher_core::user::fields::{Email, Language, PersonName, Phone, Username, fold_case};
use usher_core::user::{LOCAL_SOURCE, User, UserState};
use usher_core::{Id, TenantId};

fn ascii_fold(s: &str) -> String {
    fold_case(s)
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '\'')
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// The `i`-th seeded user, deterministic for a seed.
pub(super) fn seeded_user(
    i: usize,
    tenant_id: TenantId,
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
        id: Id::generate(),
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
        blocked_by: None,
    }
}

/// Creates the custom attribute the seeded users carry in `tenant`.
pub(super) async fn department_attribute(
    services: &Services,
    tenant: &Tenant,
    ctx: &AuditContext,
) -> anyhow::Result<()> {
    services
        .create_attribute(
            tenant,
            ctx,
            json!({"name": "department", "label": "Department", "max_length": 100}),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// What the seeded users let the benchmark check: totals per query.
#[derive(Default)]
pub(super) struct Expected {
    /// Users in the tenant: the seeded ones plus those an earlier run on
    /// the same file created over HTTP (they match none of the filters).
    pub(super) total: u64,
    pub(super) emails: Vec<String>,
    /// SCIM `userName`s (the username where set, else the email), folded.
    pub(super) user_names: Vec<String>,
    pub(super) active: u64,
    pub(super) expired: u64,
    pub(super) prefix: BTreeMap<String, u64>,
    /// Users with a second factor: all, active, and blocked ones without.
    pub(super) mfa: u64,
    pub(super) mfa_active: u64,
    pub(super) blocked_without_mfa: u64,
    /// Users with a second factor matching each prefix.
    pub(super) prefix_mfa: BTreeMap<String, u64>,
}

pub(super) const PREFIXES: &[&str] = &[
    "ma",
    "jo",
    "mar",
    "schm",
    "müller",
    "+4915",
    "engi",
    "sakura.tanaka",
];

pub(super) async fn seed(
    services: &Services,
    tenant: &Tenant,
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
                scope: None,
                role: None,
                fields: None,
                last_login: Default::default(),
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
            let enrols = mfa::enrols(i + k, u);
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
            let draft = ctx.draft(Some(tenant.id), AuditAction::UserImport, now);
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
        scope: None,
        role: None,
        fields: None,
        last_login: Default::default(),
    };
    let enrolled = services
        .store
        .list_users(tenant.id, &mfa_query)
        .await?
        .total;
    if enrolled == 0 && expected.mfa > 0 {
        let mut ids = Vec::with_capacity(to_enrol.len());
        for email in &to_enrol {
            let email =
                Email::parse("email", email).map_err(|e| anyhow::anyhow!("{}", e.message))?;
            let user = services.store.user_by_email(tenant.id, &email).await?;
            ids.push(user.context("a seeded user is missing")?.id);
        }
        let secs = mfa::enrol(
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
