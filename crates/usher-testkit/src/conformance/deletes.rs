//! Deleting users: what goes with them, guards, stale versions.

use super::changes::{edit, name};
use super::fixtures::*;
use std::sync::{Arc, Mutex};
use usher_core::error::{Error, ErrorCode};
use usher_core::user::{User, UserState};
use usher_core::{Store, UserId};

pub async fn deleting_a_user_removes_it_and_frees_its_email_username_and_external_id(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let u = create(
        &*store,
        UserBuilder::new(t.id, "Ann@example.com")
            .username("ann")
            .external("entra", "obj-1")
            .active()
            .build(),
    )
    .await;
    let keep = create(
        &*store,
        UserBuilder::new(t.id, "keep@example.com").active().build(),
    )
    .await;
    let before = chain_len(&*store, t.id).await;
    let deleted = store
        .delete_user(
            t.id,
            u.id,
            Some(1),
            Box::new(|_| Ok(())),
            user_draft(t.id, u.id, "user.delete", at(1)),
        )
        .await
        .expect("delete");
    assert_eq!(deleted, u, "delete answers the user as it was");
    assert_eq!(store.get_user(t.id, u.id).await.expect("get"), None);
    assert_eq!(
        store
            .user_by_email(t.id, &parse_email("ann@example.com"))
            .await
            .expect("get"),
        None
    );
    let mut q = query(at(1));
    assert_eq!(
        store.list_users(t.id, &q).await.expect("list").items,
        vec![keep.clone()]
    );
    q.state = Some(UserState::Active);
    assert_eq!(store.list_users(t.id, &q).await.expect("list").total, 1);
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_success_event(&events[0], "user.delete");

    let again = UserBuilder::new(t.id, "ANN@example.com")
        .username("ANN")
        .external("entra", "obj-1")
        .build();
    let again = create(&*store, again).await;
    assert_eq!(
        store
            .user_by_email(t.id, &parse_email("ann@example.com"))
            .await
            .expect("get"),
        Some(again)
    );
}

pub async fn a_refusing_delete_guard_keeps_the_user_and_records_a_refused_event(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let u = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
    )
    .await;
    let before = chain_len(&*store, t.id).await;
    let seen: Arc<Mutex<Option<User>>> = Arc::default();
    let seen_in_guard = seen.clone();
    let guard = Box::new(move |user: &User| {
        *seen_in_guard.lock().expect("lock") = Some(user.clone());
        Err(Error::conflict(
            ErrorCode::NotDisabled,
            "disable the user first",
        ))
    });
    refused(
        store
            .delete_user(
                t.id,
                u.id,
                None,
                guard,
                user_draft(t.id, u.id, "user.delete", at(1)),
            )
            .await,
        "not_disabled",
    );
    assert_eq!(
        seen.lock().expect("lock").clone(),
        Some(u.clone()),
        "the guard saw the current user"
    );
    assert_eq!(store.get_user(t.id, u.id).await.expect("get"), Some(u));
    assert_eq!(
        store
            .list_users(t.id, &query(at(1)))
            .await
            .expect("list")
            .total,
        1
    );
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_refused_event(&events[0], "user.delete", "not_disabled");
}

pub async fn deleting_with_a_stale_if_match_is_refused_with_version_mismatch(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let u = create(&*store, UserBuilder::new(t.id, "ann@example.com").build()).await;
    let v2 = store
        .modify_user(edit(&u, None, at(1), "user.update", |u| {
            u.first_name = name("Two")
        }))
        .await
        .expect("edit");
    let e = store
        .delete_user(
            t.id,
            u.id,
            Some(1),
            Box::new(|_| Ok(())),
            user_draft(t.id, u.id, "user.delete", at(2)),
        )
        .await
        .expect_err("a stale delete is refused");
    assert!(matches!(e, Error::VersionMismatch { current: 2 }), "{e:?}");
    assert_eq!(store.get_user(t.id, u.id).await.expect("get"), Some(v2));
    assert_refused_event(
        &last_event(&*store, t.id).await,
        "user.delete",
        "version_mismatch",
    );
    store
        .delete_user(
            t.id,
            u.id,
            Some(2),
            Box::new(|_| Ok(())),
            user_draft(t.id, u.id, "user.delete", at(3)),
        )
        .await
        .expect("deleting at the current version");
    assert_eq!(store.get_user(t.id, u.id).await.expect("get"), None);
}

pub async fn deleting_an_unknown_user_is_refused_with_user_not_found(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let elsewhere = create(
        &*store,
        UserBuilder::new(other.id, "ann@example.com").build(),
    )
    .await;
    for id in [UserId::generate(), elsewhere.id] {
        refused(
            store
                .delete_user(
                    t.id,
                    id,
                    None,
                    Box::new(|_| Ok(())),
                    user_draft(t.id, id, "user.delete", at(1)),
                )
                .await,
            "user_not_found",
        );
        assert_refused_event(
            &last_event(&*store, t.id).await,
            "user.delete",
            "user_not_found",
        );
    }
    assert_eq!(
        store.get_user(other.id, elsewhere.id).await.expect("get"),
        Some(elsewhere)
    );
}
