//! Second factors for `usher bench`: which seeded users enrol, and their
//! enrolment through the store's factor writes (a TOTP factor added, then
//! confirmed), the path the end-user API takes, so that the `mfa` list
//! filter is measured over aggregates the product itself maintained.

use std::sync::Arc;
use std::time::Instant;
use time::OffsetDateTime;
use usher_core::audit::{Actor, AuditAction, AuditContext};
use usher_core::factor::{Factor, FactorKind, NewFactor};
use usher_core::user::{User, UserState};
use usher_core::{FactorId, Store, TenantId, UserId};

/// Whether the `i`-th seeded user enrols: one active user in ten (a
/// minority, as usual) and every blocked user but one in fifty, which
/// leaves `mfa=false&state=blocked` a rare set inside a larger state.
pub(super) fn enrols(i: usize, u: &User) -> bool {
    match u.stored_state {
        UserState::Active => i % 10 == 3,
        UserState::Blocked => i % 50 != 7,
        _ => false,
    }
}

/// Enrols `users` with `clients` concurrent writers; answers the seconds
/// it took.
pub(super) async fn enrol(
    store: Arc<dyn Store>,
    tenant: TenantId,
    users: Vec<UserId>,
    clients: usize,
    now: OffsetDateTime,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let chunk = users.len().div_ceil(clients.max(1)).max(1);
    let mut tasks = Vec::new();
    for part in users.chunks(chunk) {
        let (store, part) = (store.clone(), part.to_vec());
        tasks.push(tokio::spawn(async move {
            for user in part {
                enrol_one(&*store, tenant, user, now).await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(started.elapsed().as_secs_f64())
}

async fn enrol_one(
    store: &dyn Store,
    tenant: TenantId,
    user: UserId,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let ctx = AuditContext::new(Actor::system());
    let id = FactorId::generate();
    let factor = Factor {
        id,
        user_id: user,
        kind: FactorKind::Totp,
        label: "Authenticator app".into(),
        created_at: now,
        last_used_at: None,
        confirmed: false,
        remaining: None,
    };
    let new = NewFactor {
        factor,
        secret: vec![7; 20],
        codes: Vec::new(),
    };
    let draft = ctx
        .draft(Some(tenant), AuditAction::FactorTotpEnrol, now)
        .target("user", user);
    store
        .add_factor(tenant, user, new, draft)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let draft = ctx
        .draft(Some(tenant), AuditAction::FactorTotpConfirm, now)
        .target("user", user);
    let step = now.unix_timestamp() / 30;
    store
        .confirm_factor(tenant, user, id, step, draft)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}
