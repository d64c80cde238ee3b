//! Cases for changing and deleting one user: `modify_user` with its
//! version check, effects and refusals, and `delete_user` with its guard.

use super::fixtures::*;
use serde_json::json;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use usher_core::error::{Error, ErrorCode};
use usher_core::store::{Effects, UserWrite};
use usher_core::user::fields::{Email, PersonName, Username};
use usher_core::user::{User, UserState};
use usher_core::{Store, TenantId, UserId};

/// A write of `user` by a closure that edits it and has no effects.
pub fn edit(
    user: &User,
    if_match: Option<i64>,
    now: OffsetDateTime,
    action: &str,
    f: impl FnOnce(&mut User) + Send + 'static,
) -> UserWrite {
    write(user.tenant_id, user.id, if_match, now, action, move |u| {
        f(u);
        Ok(Effects::default())
    })
}

/// A write of any mutation.
pub fn write(
    tenant: TenantId,
    user: UserId,
    if_match: Option<i64>,
    now: OffsetDateTime,
    action: &str,
    f: impl FnOnce(&mut User) -> Result<Effects, Error> + Send + 'static,
) -> UserWrite {
    UserWrite {
        tenant_id: tenant,
        user_id: user,
        if_match,
        now,
        mutation: Box::new(f),
        audit: user_draft(tenant, user, action, now),
    }
}

pub(crate) fn name(s: &str) -> Option<PersonName> {
    Some(PersonName::parse("first_name", s, PersonName::FIRST_MAX).expect("valid"))
}

pub async fn an_edit_bumps_the_version_and_updated_at_and_records_the_changes(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    define_attribute(&*store, t.id, "department").await;
    let u = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com")
            .first("Ann")
            .active()
            .build(),
    )
    .await;
    let before = chain_len(&*store, t.id).await;
    let changed = store
        .modify_user(edit(&u, None, at(10), "user.update", |u| {
            u.first_name = name("Bo");
            u.attributes.insert("department".into(), "Sales".into());
        }))
        .await
        .expect("edit");
    let mut expected = u.clone();
    expected.first_name = name("Bo");
    expected
        .attributes
        .insert("department".into(), "Sales".into());
    expected.version = 2;
    expected.updated_at = at(10);
    assert_eq!(changed, expected);
    assert_eq!(
        store.get_user(t.id, u.id).await.expect("get"),
        Some(expected)
    );
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_success_event(&events[0], "user.update");
    assert_eq!(events[0]["target"]["id"], json!(u.id));
    let changes = &events[0]["details"]["changes"];
    assert_eq!(
        changes["first_name"],
        json!({"from": "Ann", "to": "Bo"}),
        "details: {}",
        events[0]["details"]
    );
    assert_eq!(
        changes["attributes.department"],
        json!({"from": null, "to": "Sales"})
    );
}

pub async fn an_edit_naming_the_current_version_in_if_match_succeeds(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = create(&*store, UserBuilder::new(t.id, "ann@example.com").build()).await;
    let v2 = store
        .modify_user(edit(&u, Some(1), at(1), "user.update", |u| {
            u.first_name = name("One")
        }))
        .await
        .expect("edit at version 1");
    assert_eq!(v2.version, 2);
    let v3 = store
        .modify_user(edit(&u, Some(2), at(2), "user.update", |u| {
            u.first_name = name("Two")
        }))
        .await
        .expect("edit at version 2");
    assert_eq!(v3.version, 3);
    assert_eq!(v3.first_name, name("Two"));
}

pub async fn an_edit_with_a_stale_if_match_is_refused_with_version_mismatch_and_changes_nothing(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let u = create(&*store, UserBuilder::new(t.id, "ann@example.com").build()).await;
    let current = store
        .modify_user(edit(&u, None, at(1), "user.update", |u| {
            u.first_name = name("Now")
        }))
        .await
        .expect("edit");
    let before = chain_len(&*store, t.id).await;
    let e = store
        .modify_user(edit(&u, Some(1), at(2), "user.update", |u| {
            u.first_name = name("Stale")
        }))
        .await
        .expect_err("a stale version is refused");
    assert!(matches!(e, Error::VersionMismatch { current: 2 }), "{e:?}");
    assert_eq!(
        store.get_user(t.id, u.id).await.expect("get"),
        Some(current)
    );
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_refused_event(&events[0], "user.update", "version_mismatch");
}

pub async fn an_edit_that_changes_nothing_keeps_the_version_and_updated_at(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com")
            .first("Ann")
            .build(),
    )
    .await;
    let before = chain_len(&*store, t.id).await;
    let same = store
        .modify_user(edit(&u, Some(1), at(5), "user.update", |u| {
            u.first_name = name("Ann")
        }))
        .await
        .expect("a no-op edit succeeds");
    assert_eq!(
        same, u,
        "nothing changed, so neither version nor updated_at moved"
    );
    assert_eq!(store.get_user(t.id, u.id).await.expect("get"), Some(u));
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_success_event(&events[0], "user.update");
}

pub async fn a_refused_mutation_writes_nothing_but_records_a_refused_event(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").blocked().build(),
    )
    .await;
    let before = chain_len(&*store, t.id).await;
    let w = write(t.id, u.id, None, at(3), "user.block", |u| {
        // Edits made before refusing must not survive.
        u.first_name = name("Changed");
        u.stored_state = UserState::Disabled;
        Err(Error::conflict(
            ErrorCode::AlreadyBlocked,
            "the user is already blocked",
        ))
    });
    refused(store.modify_user(w).await, "already_blocked");
    assert_eq!(store.get_user(t.id, u.id).await.expect("get"), Some(u));
    let mut q = query(T0);
    q.state = Some(UserState::Blocked);
    assert_eq!(store.list_users(t.id, &q).await.expect("list").total, 1);
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_refused_event(&events[0], "user.block", "already_blocked");
}

pub async fn modifying_an_unknown_user_is_refused_with_user_not_found(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let elsewhere = create(
        &*store,
        UserBuilder::new(other.id, "ann@example.com").build(),
    )
    .await;
    let before = chain_len(&*store, t.id).await;
    for id in [UserId::generate(), elsewhere.id] {
        let w = write(t.id, id, None, at(1), "user.update", |u| {
            u.first_name = name("X");
            Ok(Effects::default())
        });
        refused(store.modify_user(w).await, "user_not_found");
    }
    assert_eq!(
        store.get_user(other.id, elsewhere.id).await.expect("get"),
        Some(elsewhere)
    );
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 2);
    for e in &events {
        assert_refused_event(e, "user.update", "user_not_found");
    }
}

pub async fn an_edit_to_a_taken_email_or_username_is_refused_and_changes_nothing(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    create(
        &*store,
        UserBuilder::new(t.id, "Ann@Example.com")
            .username("ann")
            .build(),
    )
    .await;
    let b = create(
        &*store,
        UserBuilder::new(t.id, "bob@example.com")
            .username("bob")
            .build(),
    )
    .await;
    let w = edit(&b, None, at(1), "user.update", |u| {
        u.email = Email::parse("email", "ANN@example.COM").expect("valid");
    });
    refused(store.modify_user(w).await, "email_taken");
    let w = edit(&b, None, at(1), "user.update", |u| {
        u.username = Some(Username::parse("username", "ANN").expect("valid"));
    });
    refused(store.modify_user(w).await, "username_taken");
    assert_eq!(
        store.get_user(t.id, b.id).await.expect("get"),
        Some(b.clone())
    );
    assert_eq!(
        store
            .user_by_email(t.id, &parse_email("bob@example.com"))
            .await
            .expect("get"),
        Some(b)
    );
}

pub async fn an_email_freed_by_an_edit_can_be_taken_and_a_change_of_case_is_allowed(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let a = create(&*store, UserBuilder::new(t.id, "ann@example.com").build()).await;
    let b = create(&*store, UserBuilder::new(t.id, "bob@example.com").build()).await;
    let a2 = store
        .modify_user(edit(&a, None, at(1), "user.update", |u| {
            u.email = Email::parse("email", "ANN@Example.com").expect("valid");
        }))
        .await
        .expect("changing only the case of one's own email");
    assert_eq!(a2.email.as_str(), "ANN@Example.com");
    assert_eq!(a2.version, 2);
    assert_eq!(
        store
            .user_by_email(t.id, &parse_email("ann@example.com"))
            .await
            .expect("get"),
        Some(a2.clone())
    );

    store
        .modify_user(edit(&a2, None, at(2), "user.update", |u| {
            u.email = Email::parse("email", "ann.new@example.com").expect("valid");
        }))
        .await
        .expect("moving to a free email");
    let b2 = store
        .modify_user(edit(&b, None, at(3), "user.update", |u| {
            u.email = Email::parse("email", "Ann@example.com").expect("valid");
        }))
        .await
        .expect("taking the freed email");
    assert_eq!(
        store
            .user_by_email(t.id, &parse_email("ann@example.com"))
            .await
            .expect("get"),
        Some(b2)
    );
    assert_eq!(
        store
            .user_by_email(t.id, &parse_email("bob@example.com"))
            .await
            .expect("get"),
        None
    );
}

pub async fn disabling_with_revoke_access_ends_the_invitation(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let expires = T0 + Duration::days(7);
    let u = UserBuilder::new(t.id, "ann@example.com")
        .pending_until(expires)
        .build();
    store
        .create_user(
            u.clone(),
            Effects {
                new_link: Some(invitation(expires)),
                ..Effects::default()
            },
            user_draft(t.id, u.id, "user.create", T0),
        )
        .await
        .expect("create");
    let before = chain_len(&*store, t.id).await;
    let w = write(t.id, u.id, Some(1), at(5), "user.disable", |u| {
        u.stored_state = UserState::Disabled;
        u.invitation_expires_at = None;
        Ok(Effects {
            revoke_access: true,
            new_link: None,
            ..Effects::default()
        })
    });
    let disabled = store.modify_user(w).await.expect("disable");
    assert_eq!(disabled.stored_state, UserState::Disabled);
    assert_eq!(disabled.invitation_expires_at, None);
    assert_eq!(disabled.version, 2);
    assert_eq!(disabled.updated_at, at(5));
    assert_eq!(
        store.get_user(t.id, u.id).await.expect("get"),
        Some(disabled)
    );
    let mut q = query(at(5));
    q.state = Some(UserState::PendingInvitation);
    assert_eq!(store.list_users(t.id, &q).await.expect("list").total, 0);
    q.state = Some(UserState::Disabled);
    assert_eq!(store.list_users(t.id, &q).await.expect("list").total, 1);
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_success_event(&events[0], "user.disable");
}

pub async fn a_new_invitation_link_moves_the_expiry_the_list_judges_by(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let first_expiry = T0 + Duration::days(7);
    let u = UserBuilder::new(t.id, "ann@example.com")
        .first("Ann")
        .pending_until(first_expiry)
        .build();
    store
        .create_user(
            u.clone(),
            Effects {
                new_link: Some(invitation(first_expiry)),
                ..Effects::default()
            },
            user_draft(t.id, u.id, "user.create", T0),
        )
        .await
        .expect("create");
    let resent_at = T0 + Duration::days(6);
    let new_expiry = resent_at + Duration::days(7);
    let w = write(t.id, u.id, None, resent_at, "user.invite", move |u| {
        u.stored_state = UserState::PendingInvitation;
        u.invitation_expires_at = Some(new_expiry);
        Ok(Effects {
            revoke_access: false,
            new_link: Some(invitation(new_expiry)),
            ..Effects::default()
        })
    });
    let resent = store.modify_user(w).await.expect("resend");
    assert_eq!(resent.invitation_expires_at, Some(new_expiry));
    assert_eq!(resent.version, 2);
    // Past the first link's expiry, before the second's: still pending.
    let now = first_expiry + Duration::hours(1);
    for search in [None, Some(prefix("ann"))] {
        let mut q = query(now);
        q.search = search;
        q.state = Some(UserState::PendingInvitation);
        let p = store.list_users(t.id, &q).await.expect("list");
        assert_eq!(
            (p.total, p.items.len()),
            (1, 1),
            "pending with search {:?}",
            q.search
        );
        q.state = Some(UserState::ExpiredInvitation);
        let p = store.list_users(t.id, &q).await.expect("list");
        assert_eq!(
            (p.total, p.items.len()),
            (0, 0),
            "expired with search {:?}",
            q.search
        );
    }
}

pub async fn concurrent_edits_naming_the_same_version_let_exactly_one_win(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = create(&*store, UserBuilder::new(t.id, "ann@example.com").build()).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let w = edit(&u, Some(1), at(1), "user.update", move |u| {
            u.first_name = name(&format!("Writer{i}"));
        });
        tasks.push(tokio::spawn(async move { store.modify_user(w).await }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.expect("the task ran") {
            Ok(u) => {
                won += 1;
                assert_eq!(u.version, 2);
            }
            Err(e) => assert!(matches!(e, Error::VersionMismatch { current: 2 }), "{e:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(
        store
            .get_user(t.id, u.id)
            .await
            .expect("get")
            .map(|u| u.version),
        Some(2)
    );
}
