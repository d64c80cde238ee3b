//! Totals and pages that stay exact while users change between requests.

use super::changes::edit;
use super::filters::{assert_every_filter, population};
use super::fixtures::*;
use super::listing::numbered;
use super::paging::*;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use time::Duration;
use usher_core::listing::{Cursor, UserQuery};
use usher_core::user::fields::Email;
use usher_core::user::{User, UserState};
use usher_core::{Store, TenantId, UserId};

/// An edit to apply to a user.
type Change = Box<dyn FnOnce(&mut User) + Send>;

pub async fn totals_stay_exact_through_edits_actions_and_deletes(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let users = population(t.id);
    insert_all(&*store, t.id, &users).await;
    let mut model: HashMap<UserId, User> = users.iter().map(|u| (u.id, u.clone())).collect();
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
    tenant: TenantId,
    q: &UserQuery,
    backwards: bool,
    tag: &str,
    live: &mut HashMap<UserId, User>,
) {
    let mut q = q.clone();
    q.cursor = if backwards {
        Cursor::Last
    } else {
        Cursor::First
    };
    let start: HashSet<UserId> = live.keys().copied().collect();
    let mut removed: HashSet<UserId> = HashSet::new();
    let mut created_ahead: Vec<UserId> = Vec::new();
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
        let victims: Vec<UserId> = [
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
    let keys: Vec<(String, UserId)> = seen
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
    let distinct: HashSet<UserId> = seen.iter().map(|u| u.id).collect();
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
    let mut live: HashMap<UserId, User> = users.iter().map(|u| (u.id, u.clone())).collect();
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
