//! Cases for the list's `mfa` filter: users with or without a confirmed
//! second factor (the derived `mfa_enrolled`), alone and combined with the
//! state, archived and search filters, with exact totals and cursors, while
//! enrolment, edits, the sweep and deletes move users between the lists.

use super::changes::edit;
use super::fixtures::*;
use super::paging::*;
use std::collections::HashMap;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use usher_core::factor::{Factor, FactorKind, NewFactor};
use usher_core::listing::{Cursor, UserQuery};
use usher_core::user::fields::Email;
use usher_core::user::{User, UserState};
use usher_core::{FactorId, Store, TenantId, UserId};

/// An edit to apply to a user.
type Change = Box<dyn FnOnce(&mut User) + Send>;

/// Adds a TOTP factor to a user, confirmed unless `confirm` is false; how
/// the product enrols someone. Answers the factor's id.
pub(super) async fn totp(
    store: &dyn Store,
    tenant: TenantId,
    user: UserId,
    confirm: bool,
) -> FactorId {
    let id = FactorId::generate();
    let factor = Factor {
        id,
        user_id: user,
        kind: FactorKind::Totp,
        label: "phone".into(),
        created_at: T0,
        last_used_at: None,
        confirmed: false,
        remaining: None,
    };
    let new = NewFactor {
        factor,
        secret: vec![7; 20],
        codes: Vec::new(),
    };
    store
        .add_factor(
            tenant,
            user,
            new,
            user_draft(tenant, user, "factor.totp.enrol", T0),
        )
        .await
        .expect("add totp");
    if confirm {
        store
            .confirm_factor(
                tenant,
                user,
                id,
                1,
                user_draft(tenant, user, "factor.totp.confirm", T0),
            )
            .await
            .expect("confirm totp");
    }
    id
}

/// Enrols `ids` through their factors and marks them enrolled in `model`.
async fn enrol(
    store: &dyn Store,
    tenant: TenantId,
    ids: &[UserId],
    model: &mut HashMap<UserId, User>,
) {
    for id in ids {
        totp(store, tenant, *id, true).await;
        model.get_mut(id).expect("a known user").mfa_enrolled = true;
    }
}

/// Users in every state, archived or not, invitations expiring around
/// `T0 + 1 day`.
fn population(tenant: TenantId) -> Vec<User> {
    let mut out = Vec::new();
    let mut add = |n: usize, label: &str, f: &dyn Fn(UserBuilder) -> UserBuilder| {
        for i in 0..n {
            let email = format!("{label}{i}@mfa.example");
            out.push(f(UserBuilder::new(tenant, &email)).build());
        }
    };
    add(4, "fresh", &|b| b);
    add(4, "live", &|b| b.pending_until(T0 + Duration::days(3)));
    add(4, "lapsed", &|b| b.pending_until(T0 + Duration::hours(2)));
    add(2, "swept", &|b| b.expired_at(T0 - Duration::days(1)));
    add(6, "active", &|b| b.active());
    add(3, "shelved", &|b| b.active().archived());
    add(3, "stopped", &|b| b.blocked());
    add(2, "frozen", &|b| b.blocked().archived());
    add(3, "gone", &|b| b.disabled());
    out
}

/// Every state and archived filter (none included) with `mfa=true` and
/// `mfa=false`, checked by walking in both directions.
async fn assert_every_mfa_filter(
    store: &dyn Store,
    tenant: TenantId,
    model: &HashMap<UserId, User>,
    now: OffsetDateTime,
    limit: u32,
) {
    let universe: Vec<User> = model.values().cloned().collect();
    let states = std::iter::once(None).chain(UserState::ALL.into_iter().map(Some));
    for state in states {
        for archived in [None, Some(false), Some(true)] {
            for mfa in [Some(true), Some(false)] {
                let mut q = query(now);
                q.state = state;
                q.archived = archived;
                q.mfa = mfa;
                q.limit = limit;
                let what =
                    format!("state {state:?}, archived {archived:?}, mfa {mfa:?}, now {now}");
                assert_query_answers(store, tenant, &universe, &q, &what).await;
            }
        }
    }
}

pub async fn the_mfa_filter_combines_with_state_and_archived_and_follows_the_clock(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let users = population(t.id);
    insert_all(&*store, t.id, &users).await;
    let mut model: HashMap<UserId, User> = users.iter().map(|u| (u.id, u.clone())).collect();
    // Every other user of each kind, so that each state has some of both.
    let chosen: Vec<UserId> = users.iter().step_by(2).map(|u| u.id).collect();
    enrol(&*store, t.id, &chosen, &mut model).await;
    for id in &chosen {
        let stored = store.get_user(t.id, *id).await.expect("get").expect("user");
        assert!(stored.mfa_enrolled, "{:?} is enrolled", stored.email);
        assert_eq!(stored.version, 1, "enrolment is not an edit of the user");
    }
    assert_every_mfa_filter(&*store, t.id, &model, T0, 200).await;
    assert_every_mfa_filter(&*store, t.id, &model, T0 + Duration::days(60), 3).await;
    // The sweep moves lapsed invitations, enrolled or not, to expired.
    let later = T0 + Duration::days(2);
    store
        .sweep_expired_invitations(later, 100)
        .await
        .expect("sweep");
    for u in model.values_mut() {
        if u.stored_state == UserState::PendingInvitation
            && u.invitation_expires_at.is_some_and(|e| e <= later)
        {
            u.stored_state = UserState::ExpiredInvitation;
        }
    }
    assert_every_mfa_filter(&*store, t.id, &model, later, 200).await;
}

pub async fn edits_deletes_and_enrolment_keep_the_mfa_totals_exact(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let users = population(t.id);
    insert_all(&*store, t.id, &users).await;
    let mut model: HashMap<UserId, User> = users.iter().map(|u| (u.id, u.clone())).collect();
    let now = T0 + Duration::days(1);
    let by_email = |e: &str| {
        users
            .iter()
            .find(|u| u.email.as_str() == e)
            .expect("a user")
            .id
    };
    let (a0, a1, a2) = (
        by_email("active0@mfa.example"),
        by_email("active1@mfa.example"),
        by_email("active2@mfa.example"),
    );
    // An unconfirmed factor enrols nobody.
    totp(&*store, t.id, a0, false).await;
    assert_every_mfa_filter(&*store, t.id, &model, now, 200).await;
    enrol(&*store, t.id, &[a0, a1, a2], &mut model).await;
    // A second factor changes nothing; removing one of two leaves the user
    // enrolled.
    let second = totp(&*store, t.id, a1, true).await;
    store
        .delete_factor(
            t.id,
            a1,
            Some(second),
            user_draft(t.id, a1, "factor.delete", now),
        )
        .await
        .expect("not the last factor");
    assert_every_mfa_filter(&*store, t.id, &model, now, 200).await;
    // Edits of enrolled users: blocked, archived, re-addressed.
    let steps: Vec<(UserId, Change)> = vec![
        (a0, Box::new(|u| u.stored_state = UserState::Blocked)),
        (a1, Box::new(|u| u.archived = true)),
        (
            a2,
            Box::new(|u| u.email = Email::parse("email", "zed@mfa.example").expect("valid")),
        ),
    ];
    for (id, f) in steps {
        let changed = store
            .modify_user(edit(&model[&id], None, now, "user.update", f))
            .await
            .expect("modify");
        assert!(changed.mfa_enrolled, "an edit keeps the enrolment");
        model.insert(id, changed);
        assert_every_mfa_filter(&*store, t.id, &model, now, 200).await;
    }
    // The re-addressed user is found by its new email, among the enrolled.
    let mut q = query(now);
    q.search = Some(prefix("zed"));
    q.mfa = Some(true);
    let universe: Vec<User> = model.values().cloned().collect();
    assert_query_answers(&*store, t.id, &universe, &q, "zed, enrolled").await;
    store
        .delete_user(
            t.id,
            a0,
            None,
            Box::new(|_| Ok(())),
            user_draft(t.id, a0, "user.delete", now),
        )
        .await
        .expect("delete");
    model.remove(&a0);
    assert_every_mfa_filter(&*store, t.id, &model, now, 200).await;
    assert_every_mfa_filter(&*store, t.id, &model, now, 2).await;
}

/// 2400 users; a third are called Alexandria (a long first name many
/// share), the rest Kim. A sixth arrive enrolled through the batch path
/// and a few more enrol through their factors.
fn people(tenant: TenantId) -> Vec<User> {
    (0..2400usize)
        .map(|i| {
            let b = UserBuilder::new(tenant, &format!("person{i:04}@mfa.example"))
                .first(if i % 3 == 0 { "Alexandria" } else { "Kim" })
                .last(&format!("Lee{}", i % 50));
            let mut u = match i % 5 {
                0 => b.active(),
                1 => b.blocked(),
                2 if i % 7 == 0 => b.active().archived(),
                3 => b.pending_until(T0 + Duration::hours((i % 48) as i64)),
                _ => b,
            }
            .build();
            u.mfa_enrolled = i % 6 == 0;
            u
        })
        .collect()
}

pub async fn a_search_with_the_mfa_filter_counts_and_pages_exactly(store: Arc<dyn Store>) {
    let (t, universe) = seed_enrolled_people(&*store).await;
    let now = T0 + Duration::hours(24);
    // Short prefixes are counted from the heads, long ones from the search
    // rows; many matches are walked in email order, few read from the index.
    for s in [
        "ki",
        "alexandri",
        "lee4",
        "person00",
        "person0005",
        "nobody",
    ] {
        for mfa in [Some(true), Some(false)] {
            for (state, archived) in [
                (None, None),
                (Some(UserState::Active), None),
                (Some(UserState::ExpiredInvitation), None),
                (None, Some(true)),
            ] {
                let mut q: UserQuery = query(now);
                q.search = Some(prefix(s));
                q.mfa = mfa;
                q.state = state;
                q.archived = archived;
                q.limit = 150;
                let what =
                    format!("search {s:?}, mfa {mfa:?}, state {state:?}, archived {archived:?}");
                assert_query_answers(&*store, t, &universe, &q, &what).await;
            }
        }
    }
    // The plain lists over the same users, two pages deep from either end.
    for mfa in [Some(true), Some(false)] {
        let mut q = query(now);
        q.mfa = mfa;
        q.limit = 7;
        let expected = expected_ids(&universe, &q);
        let first = page(&*store, t, &q).await;
        assert_eq!(first.total, expected.len() as u64, "total, mfa {mfa:?}");
        assert_eq!(ids(&first.items), expected[..7], "first page, mfa {mfa:?}");
        q.cursor = first.next.expect("a second page");
        assert_eq!(
            ids(&page(&*store, t, &q).await.items),
            expected[7..14],
            "second page, mfa {mfa:?}"
        );
    }
}

/// Seeds a tenant for a migration check: [`people`], a sixth enrolled
/// through the batch path and a few more through their factors. Answers
/// the tenant and the users as stored.
pub async fn seed_enrolled_people(store: &dyn Store) -> (TenantId, Vec<User>) {
    let t = tenant(store, "acme").await;
    let users = people(t.id);
    insert_all(store, t.id, &users).await;
    let mut model: HashMap<UserId, User> = users.iter().map(|u| (u.id, u.clone())).collect();
    let late: Vec<UserId> = users.iter().skip(5).step_by(97).map(|u| u.id).collect();
    enrol(store, t.id, &late, &mut model).await;
    (t.id, model.into_values().collect())
}

/// The mfa filter alone and with a state, an archived flag and searches
/// (short and long prefixes) answers exactly for `users`; first and last
/// pages and totals only, which is what a migration could get wrong.
pub async fn assert_mfa_answers(store: &dyn Store, tenant: TenantId, users: &[User]) {
    let now = T0 + Duration::hours(24);
    for search in [None, Some("ki"), Some("alexandri"), Some("person00")] {
        for mfa in [Some(true), Some(false)] {
            for state in [None, Some(UserState::Active)] {
                let mut q = query(now);
                q.search = search.map(prefix);
                q.mfa = mfa;
                q.state = state;
                q.limit = 20;
                let expected = expected_ids(users, &q);
                let what = format!("search {search:?}, mfa {mfa:?}, state {state:?}");
                let first = page(store, tenant, &q).await;
                assert_eq!(first.total, expected.len() as u64, "{what}: total");
                assert_eq!(
                    ids(&first.items),
                    expected[..expected.len().min(20)],
                    "{what}: first page"
                );
                q.cursor = Cursor::Last;
                let last = page(store, tenant, &q).await;
                assert_eq!(
                    ids(&last.items),
                    expected[expected.len().saturating_sub(20)..],
                    "{what}: last page"
                );
            }
        }
    }
}
