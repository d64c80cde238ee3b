//! Cases for `list_users` without a search: order, limits, exact totals,
//! cursors in both directions, the state and archived filters (with
//! `expired_invitation` derived from the query's `now`), the sweep that
//! materialises it, and pages that stay right while users come and go.

use super::changes::edit;
use super::fixtures::*;
use super::paging::*;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use usher_core::Store;
use usher_core::listing::{Cursor, UserQuery};
use usher_core::store::Effects;
use usher_core::user::fields::Email;
use usher_core::user::{User, UserState};
use uuid::Uuid;

/// `n` active users `u000@x.example` … with alternating case.
fn numbered(tenant: Uuid, n: usize) -> Vec<User> {
    (0..n)
        .map(|i| {
            let local = if i % 2 == 0 {
                format!("u{i:03}")
            } else {
                format!("U{i:03}")
            };
            UserBuilder::new(tenant, &format!("{local}@x.example"))
                .active()
                .build()
        })
        .collect()
}

pub async fn users_are_listed_in_order_of_their_case_folded_email(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    // Punctuation, digits, accents and case: a byte-wise (code point) order
    // of the folded addresses, not a locale's.
    let emails = [
        "bob@example.com",
        "Alice@example.com",
        "alan@Example.com",
        "ÁNGEL@example.com",
        "zoë@example.com",
        "Zed@example.com",
        "a.b@example.com",
        "a_b@example.com",
        "a-b@example.com",
        "ab@example.com",
        "A1@example.com",
        "Straße@example.com",
        "strasse2@example.com",
        "émile@example.com",
        "Emile@example.com",
        "0day@example.com",
        "~tilde@example.com",
    ];
    let mut users = Vec::new();
    for e in emails {
        users.push(create(&*store, UserBuilder::new(t.id, e).build()).await);
    }
    let mut q = query(T0);
    q.limit = 200;
    let p = page(&*store, t.id, &q).await;
    let mut expected: Vec<&User> = users.iter().collect();
    expected.sort_by(|a, b| a.email.normalized().cmp(b.email.normalized()));
    let expected: Vec<&str> = expected.iter().map(|u| u.email.as_str()).collect();
    let got: Vec<&str> = p.items.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(got, expected);
    assert_eq!(p.total, emails.len() as u64);
    assert!(
        p.prev.is_none() && p.next.is_none(),
        "one page holds them all"
    );
}

pub async fn a_page_holds_at_most_limit_users_and_the_exact_total(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let users = numbered(t.id, 45);
    insert_all(&*store, t.id, &users).await;
    let expected = expected_ids(&users, &query(T0));
    for (limit, len, more) in [
        (1, 1, true),
        (20, 20, true),
        (44, 44, true),
        (45, 45, false),
        (200, 45, false),
    ] {
        let mut q = query(T0);
        q.limit = limit;
        let p = page(&*store, t.id, &q).await;
        assert_eq!(p.total, 45, "limit {limit}");
        assert_eq!(ids(&p.items), expected[..len], "limit {limit}");
        assert!(
            p.prev.is_none(),
            "limit {limit}: the first page has no prev"
        );
        assert_eq!(p.next.is_some(), more, "limit {limit}: next");
    }
}

pub async fn following_next_and_prev_visits_every_user_once_in_both_directions(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let users = numbered(t.id, 53);
    insert_all(&*store, t.id, &users).await;
    for limit in [1, 7, 52, 53, 200] {
        let mut q = query(T0);
        q.limit = limit;
        assert_query_answers(&*store, t.id, &users, &q, &format!("limit {limit}")).await;
    }
}

pub async fn going_back_from_a_page_and_forward_again_returns_the_same_page(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let users = numbered(t.id, 30);
    insert_all(&*store, t.id, &users).await;
    let mut q = query(T0);
    q.limit = 6;
    let first = page(&*store, t.id, &q).await;
    q.cursor = first.next.clone().expect("a second page");
    let second = page(&*store, t.id, &q).await;
    q.cursor = second.next.clone().expect("a third page");
    let third = page(&*store, t.id, &q).await;
    q.cursor = third.prev.clone().expect("prev of the third page");
    let back = page(&*store, t.id, &q).await;
    assert_eq!(ids(&back.items), ids(&second.items));
    q.cursor = back.prev.clone().expect("prev of the second page");
    let back = page(&*store, t.id, &q).await;
    assert_eq!(ids(&back.items), ids(&first.items));
    assert!(
        back.prev.is_none(),
        "prev leads back to a first page without prev"
    );
    q.cursor = back.next.clone().expect("next again");
    assert_eq!(
        ids(&page(&*store, t.id, &q).await.items),
        ids(&second.items)
    );
}

pub async fn an_empty_list_has_a_total_of_zero_and_no_links(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    insert_all(&*store, other.id, &numbered(other.id, 5)).await;
    for cursor in [Cursor::First, Cursor::Last] {
        let mut q = query(T0);
        q.cursor = cursor;
        let p = page(&*store, t.id, &q).await;
        assert!(
            p.items.is_empty() && p.total == 0 && p.prev.is_none() && p.next.is_none(),
            "{p:?}"
        );
        q.state = Some(UserState::Active);
        q.search = Some(prefix("u0"));
        let p = page(&*store, t.id, &q).await;
        assert!(
            p.items.is_empty() && p.total == 0 && p.prev.is_none() && p.next.is_none(),
            "{p:?}"
        );
    }
}

pub async fn a_cursor_past_either_end_answers_an_empty_page_with_a_way_back(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    insert_all(&*store, t.id, &numbered(t.id, 5)).await;
    let mut q = query(T0);
    q.cursor = Cursor::After("\u{10ffff}".into());
    let p = page(&*store, t.id, &q).await;
    assert!(p.items.is_empty());
    assert_eq!(p.total, 5);
    assert_eq!((p.prev, p.next), (Some(Cursor::Last), None));
    q.cursor = Cursor::Before(String::new());
    let p = page(&*store, t.id, &q).await;
    assert!(p.items.is_empty());
    assert_eq!(p.total, 5);
    assert_eq!((p.prev, p.next), (None, Some(Cursor::First)));
}

/// Users in every state, archived or not, with invitations expiring around
/// `T0 + 1 day` (one exactly then).
fn population(tenant: Uuid) -> Vec<User> {
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
async fn assert_every_filter(
    store: &dyn Store,
    tenant: Uuid,
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
            let want: Vec<Uuid> = if s == state { vec![u.id] } else { vec![] };
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
    let due = |us: &[User]| -> Vec<Uuid> {
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

/// An edit to apply to a user.
type Change = Box<dyn FnOnce(&mut User) + Send>;

pub async fn totals_stay_exact_through_edits_actions_and_deletes(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let users = population(t.id);
    insert_all(&*store, t.id, &users).await;
    let mut model: HashMap<Uuid, User> = users.iter().map(|u| (u.id, u.clone())).collect();
    let now = T0 + Duration::days(1);
    let pick = |prefix: &str| -> Vec<User> {
        let mut v: Vec<User> = users
            .iter()
            .filter(|u| u.email.normalized().starts_with(prefix))
            .cloned()
            .collect();
        v.sort_by_key(|u| u.id);
        v
    };
    // Block an active user, archive another, disable a pending one,
    // enable a disabled one, re-address one, delete two.
    let steps: Vec<(User, Change)> = vec![
        (
            pick("active")[0].clone(),
            Box::new(|u: &mut User| u.stored_state = UserState::Blocked),
        ),
        (
            pick("active")[1].clone(),
            Box::new(|u: &mut User| u.archived = true),
        ),
        (
            pick("live")[0].clone(),
            Box::new(|u: &mut User| {
                u.stored_state = UserState::Disabled;
                u.invitation_expires_at = None;
            }),
        ),
        (
            pick("gone")[0].clone(),
            Box::new(|u: &mut User| u.stored_state = UserState::NotInvited),
        ),
        (
            pick("fresh")[0].clone(),
            Box::new(|u: &mut User| {
                u.email = Email::parse("email", "Renamed@pop.example").expect("valid")
            }),
        ),
        (
            pick("stopped")[0].clone(),
            Box::new(|u: &mut User| u.stored_state = UserState::Active),
        ),
    ];
    for (u, f) in steps {
        let changed = store
            .modify_user(edit(&u, None, now, "user.update", f))
            .await
            .expect("modify");
        model.insert(changed.id, changed);
        let universe: Vec<User> = model.values().cloned().collect();
        assert_every_filter(&*store, t.id, &universe, now, 200).await;
    }
    for u in [pick("lapsed")[0].clone(), pick("shelved")[0].clone()] {
        store
            .delete_user(
                t.id,
                u.id,
                None,
                Box::new(|_| Ok(())),
                user_draft(t.id, u.id, "user.delete", now),
            )
            .await
            .expect("delete");
        model.remove(&u.id);
    }
    let universe: Vec<User> = model.values().cloned().collect();
    assert_every_filter(&*store, t.id, &universe, now, 200).await;
    assert_every_filter(&*store, t.id, &universe, now, 4).await;
}

/// Walks forwards (or backwards) while the list changes after every page:
/// the user the cursor was taken from is deleted, so is one further ahead,
/// and one user is created on each side of the cursor. Checks the order,
/// that nobody is listed twice or after deletion, and that every match
/// present the whole time, or created ahead of the cursor, was seen.
async fn walk_while_changing(
    store: &dyn Store,
    tenant: Uuid,
    q: &UserQuery,
    backwards: bool,
    tag: &str,
    live: &mut HashMap<Uuid, User>,
) {
    let mut q = q.clone();
    q.cursor = if backwards {
        Cursor::Last
    } else {
        Cursor::First
    };
    let start: HashSet<Uuid> = live.keys().copied().collect();
    let mut removed: HashSet<Uuid> = HashSet::new();
    let mut created_ahead: Vec<Uuid> = Vec::new();
    let mut seen: Vec<User> = Vec::new();
    let mut step = 0usize;
    loop {
        let p = page(store, tenant, &q).await;
        let expected_total = live.values().filter(|u| matches(u, &q)).count() as u64;
        assert_eq!(
            p.total, expected_total,
            "{tag}: the total of page {step} counts the users at that moment"
        );
        for u in &p.items {
            assert!(
                live.contains_key(&u.id),
                "{tag}: page {step} lists a deleted user {:?}",
                u.email
            );
            assert!(
                matches(u, &q),
                "{tag}: page {step} lists a user that does not match"
            );
        }
        let mut items = p.items.clone();
        if backwards {
            items.reverse();
        }
        seen.extend(items);
        let next = if backwards {
            p.prev.clone()
        } else {
            p.next.clone()
        };
        let Some(c) = next else { break };
        q.cursor = c;
        step += 1;
        assert!(step < 1000, "{tag}: the walk does not end");
        let anchor = seen
            .last()
            .expect("a page with a next link had items")
            .clone();
        let boundary = anchor.email.normalized().to_owned();
        let is_ahead = |u: &User| {
            if backwards {
                u.email.normalized() < boundary.as_str()
            } else {
                u.email.normalized() > boundary.as_str()
            }
        };
        let mut candidates: Vec<&User> = live
            .values()
            .filter(|u| is_ahead(u) && matches(u, &q))
            .collect();
        candidates.sort_by_key(|u| u.email.normalized().to_owned());
        let victims: Vec<Uuid> = [
            Some(anchor.id),
            candidates.get(candidates.len() / 2).map(|u| u.id),
        ]
        .into_iter()
        .flatten()
        .collect();
        for id in victims {
            store
                .delete_user(
                    tenant,
                    id,
                    None,
                    Box::new(|_| Ok(())),
                    user_draft(tenant, id, "user.delete", T0),
                )
                .await
                .expect("delete between pages");
            live.remove(&id);
            removed.insert(id);
        }
        // Just after the anchor in email order, and before every other user.
        let stem = boundary.split('@').next().unwrap_or("u").to_owned();
        for email in [
            format!("{stem}z{tag}{step}@x.example"),
            format!("a{tag}{step}@x.example"),
        ] {
            let u = create(store, UserBuilder::new(tenant, &email).active().build()).await;
            if is_ahead(&u) {
                created_ahead.push(u.id);
            }
            live.insert(u.id, u);
        }
    }
    let keys: Vec<(String, Uuid)> = seen
        .iter()
        .map(|u| (u.email.normalized().to_owned(), u.id))
        .collect();
    let mut sorted = keys.clone();
    if backwards {
        sorted.sort_by(|a, b| b.cmp(a));
    } else {
        sorted.sort();
    }
    assert_eq!(keys, sorted, "{tag}: the walk kept its order");
    let distinct: HashSet<Uuid> = seen.iter().map(|u| u.id).collect();
    assert_eq!(
        distinct.len(),
        seen.len(),
        "{tag}: no user was listed twice"
    );
    let must_see = start
        .iter()
        .filter(|id| !removed.contains(id))
        .chain(created_ahead.iter().filter(|id| live.contains_key(id)));
    for id in must_see {
        if live.get(id).is_some_and(|u| matches(u, &q)) {
            assert!(
                distinct.contains(id),
                "{tag}: {:?} was missed",
                live[id].email
            );
        }
    }
}

pub async fn pages_stay_correct_while_users_are_created_and_deleted_between_requests(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let users = numbered(t.id, 40);
    insert_all(&*store, t.id, &users).await;
    let mut live: HashMap<Uuid, User> = users.iter().map(|u| (u.id, u.clone())).collect();
    let mut q = query(T0);
    q.limit = 5;
    walk_while_changing(&*store, t.id, &q, false, "f", &mut live).await;
    walk_while_changing(&*store, t.id, &q, true, "b", &mut live).await;
    q.state = Some(UserState::Active);
    q.search = Some(prefix("u0"));
    q.limit = 3;
    walk_while_changing(&*store, t.id, &q, false, "sf", &mut live).await;
    walk_while_changing(&*store, t.id, &q, true, "sb", &mut live).await;
}
