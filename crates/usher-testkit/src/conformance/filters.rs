//! List filters (state, archived, expired invitations) and the sweep that
//! materialises expired invitations.

use super::fixtures::*;
use super::paging::*;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use usher_core::store::Effects;
use usher_core::user::{User, UserState};
use usher_core::{Store, TenantId, UserId};

/// Users in every state, archived or not, with invitations expiring around
/// `T0 + 1 day` (one exactly then).
pub(crate) fn population(tenant: TenantId) -> Vec<User> {
    let day = T0 + Duration::days(1);
    let mut out = Vec::new();
    let mut add = |n: usize, label: &str, f: &dyn Fn(UserBuilder) -> UserBuilder| {
        for i in 0..n {
            let email = if i % 2 == 0 {
                format!("{label}{i}@pop.example")
            } else {
                format!("{}{i}@POP.example", label.to_uppercase())
            };
            out.push(f(UserBuilder::new(tenant, &email)).build());
        }
    };
    add(3, "fresh", &|b| b);
    add(3, "live", &|b| b.pending_until(T0 + Duration::days(3)));
    add(1, "nolink", &|b| b.pending_until(T0 + Duration::days(30)));
    add(3, "lapsed", &|b| b.pending_until(T0 + Duration::hours(2)));
    add(1, "edge", &|b| b.pending_until(day));
    add(2, "swept", &|b| b.expired_at(T0 - Duration::days(1)));
    add(4, "active", &|b| b.active());
    add(2, "shelved", &|b| b.active().archived());
    add(2, "stopped", &|b| b.blocked());
    add(1, "frozen", &|b| b.blocked().archived());
    add(2, "gone", &|b| b.disabled());
    out
}

fn filter_combinations() -> Vec<(Option<UserState>, Option<bool>)> {
    let states = std::iter::once(None).chain(UserState::ALL.into_iter().map(Some));
    states
        .flat_map(|s| {
            [None, Some(false), Some(true)]
                .into_iter()
                .map(move |a| (s, a))
        })
        .collect()
}

/// Every state and archived filter at `now`, checked by walking in both directions.
pub(crate) async fn assert_every_filter(
    store: &dyn Store,
    tenant: TenantId,
    universe: &[User],
    now: OffsetDateTime,
    limit: u32,
) {
    for (state, archived) in filter_combinations() {
        let mut q = query(now);
        q.state = state;
        q.archived = archived;
        q.limit = limit;
        let what = format!("state {state:?}, archived {archived:?}, now {now}, limit {limit}");
        assert_query_answers(store, tenant, universe, &q, &what).await;
    }
}

pub async fn filtering_by_state_and_archived_lists_exactly_the_matching_users(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let users = population(t.id);
    insert_all(&*store, t.id, &users).await;
    let day = T0 + Duration::days(1);
    for now in [
        T0,
        day - Duration::microseconds(1),
        day,
        T0 + Duration::days(60),
    ] {
        assert_every_filter(&*store, t.id, &users, now, 200).await;
    }
    assert_every_filter(&*store, t.id, &users, day, 2).await;
}

pub async fn an_invitation_counts_as_expired_from_its_deadline_on(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let deadline = T0 + Duration::days(7);
    let u = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com")
            .pending_until(deadline)
            .build(),
    )
    .await;
    for (now, state) in [
        (
            deadline - Duration::microseconds(1),
            UserState::PendingInvitation,
        ),
        (deadline, UserState::ExpiredInvitation),
        (deadline + Duration::days(1), UserState::ExpiredInvitation),
    ] {
        for s in [UserState::PendingInvitation, UserState::ExpiredInvitation] {
            let mut q = query(now);
            q.state = Some(s);
            let p = page(&*store, t.id, &q).await;
            let want: Vec<UserId> = if s == state { vec![u.id] } else { vec![] };
            assert_eq!(ids(&p.items), want, "filter {s:?} at {now}");
            assert_eq!(p.total, want.len() as u64, "total of {s:?} at {now}");
        }
    }
}

pub async fn the_sweep_marks_expired_invitations_and_every_filter_answers_the_same(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let users = population(t.id);
    let others = population(other.id);
    insert_all(&*store, t.id, &users).await;
    insert_all(&*store, other.id, &others).await;
    let now = T0 + Duration::days(1);
    let due = |us: &[User]| -> Vec<UserId> {
        us.iter()
            .filter(|u| {
                u.stored_state == UserState::PendingInvitation
                    && u.invitation_expires_at.is_some_and(|e| e <= now)
            })
            .map(|u| u.id)
            .collect()
    };
    let due_here = due(&users);
    assert_eq!(due_here.len(), 4, "the population has four invitations due");

    assert_every_filter(&*store, t.id, &users, now, 200).await;
    let swept = store
        .sweep_expired_invitations(now, 1000)
        .await
        .expect("sweep");
    assert_eq!(swept, 8, "the sweep covers every tenant");
    assert_eq!(
        store
            .sweep_expired_invitations(now, 1000)
            .await
            .expect("sweep"),
        0,
        "nothing left"
    );
    for id in &due_here {
        let u = store
            .get_user(t.id, *id)
            .await
            .expect("get")
            .expect("found");
        assert_eq!(
            u.stored_state,
            UserState::ExpiredInvitation,
            "the sweep materialised the state"
        );
        assert_eq!(u.state(now), UserState::ExpiredInvitation);
    }
    let live = users
        .iter()
        .find(|u| u.email.as_str().starts_with("live"))
        .expect("a live invitation");
    let live_now = store
        .get_user(t.id, live.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(
        live_now.stored_state,
        UserState::PendingInvitation,
        "a live invitation stays pending"
    );
    assert_every_filter(&*store, t.id, &users, now, 200).await;
    assert_every_filter(&*store, t.id, &users, now, 3).await;
    for s in ["lapsed", "edge", "live", "swept", "fresh"] {
        for state in [
            None,
            Some(UserState::PendingInvitation),
            Some(UserState::ExpiredInvitation),
        ] {
            let mut q = query(now);
            q.search = Some(prefix(s));
            q.state = state;
            q.limit = 2;
            assert_query_answers(
                &*store,
                t.id,
                &users,
                &q,
                &format!("search {s:?}, state {state:?} after the sweep"),
            )
            .await;
        }
    }

    // Re-inviting a swept user makes it pending again, and the counts follow.
    let swept_user = store
        .get_user(t.id, due_here[0])
        .await
        .expect("get")
        .expect("found");
    let new_expiry = now + Duration::days(7);
    let reinvited = store
        .modify_user(super::changes::write(
            t.id,
            swept_user.id,
            None,
            now,
            "user.invite",
            move |u| {
                u.stored_state = UserState::PendingInvitation;
                u.invitation_expires_at = Some(new_expiry);
                Ok(Effects {
                    revoke_access: false,
                    new_link: Some(invitation(new_expiry)),
                    ..Effects::default()
                })
            },
        ))
        .await
        .expect("re-invite");
    let universe: Vec<User> = users
        .iter()
        .map(|u| {
            if u.id == reinvited.id {
                reinvited.clone()
            } else {
                u.clone()
            }
        })
        .collect();
    assert_every_filter(&*store, t.id, &universe, now, 200).await;
}

pub async fn the_sweep_changes_at_most_limit_users_per_call(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let users: Vec<User> = (0..5)
        .map(|i| {
            UserBuilder::new(t.id, &format!("p{i}@example.com"))
                .pending_until(T0 + Duration::hours(1))
                .build()
        })
        .collect();
    insert_all(&*store, t.id, &users).await;
    let now = T0 + Duration::hours(2);
    let mut counts = Vec::new();
    for _ in 0..4 {
        counts.push(
            store
                .sweep_expired_invitations(now, 2)
                .await
                .expect("sweep"),
        );
    }
    assert_eq!(counts, vec![2, 2, 1, 0]);
    assert_eq!(
        store
            .sweep_expired_invitations(T0, 10)
            .await
            .expect("sweep"),
        0,
        "nothing is due before the deadline"
    );
    let mut q = query(now);
    q.state = Some(UserState::ExpiredInvitation);
    assert_eq!(store.list_users(t.id, &q).await.expect("list").total, 5);
}
