//! Cases for storing and reading users: `create_user`, `insert_users`,
//! `get_user`, `user_by_email`, and what must stay unique per tenant.

use super::fixtures::*;
use std::sync::Arc;
use time::Duration;
use usher_core::store::Effects;
use usher_core::user::UserState;
use usher_core::{Id, Store, TenantId};

pub async fn creating_a_user_stores_every_field_and_reads_it_back_unchanged(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    define_attribute(&*store, t.id, "department").await;
    let before = chain_len(&*store, t.id).await;
    let user = UserBuilder::new(t.id, "Ann.Lee@Example.COM")
        .with_everything()
        .attr("department", "Sales")
        .build();
    let created = store
        .create_user(
            user.clone(),
            Effects::default(),
            user_draft(t.id, user.id, "user.create", T0),
        )
        .await
        .expect("create");
    assert_eq!(created, user, "create_user answers the stored user");
    assert_eq!(
        store.get_user(t.id, user.id).await.expect("get"),
        Some(user.clone())
    );
    let by_email = store
        .user_by_email(t.id, &parse_email("ANN.LEE@example.com"))
        .await
        .expect("by email");
    assert_eq!(by_email, Some(user.clone()));
    assert_eq!(
        by_email.map(|u| u.email.as_str().to_owned()).as_deref(),
        Some("Ann.Lee@Example.COM")
    );

    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_success_event(&events[0], "user.create");
    assert_eq!(events[0]["target"]["id"], serde_json::json!(user.id));
}

pub async fn creating_a_user_with_an_invitation_link_keeps_it_pending_until_the_link_expires(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let expires = T0 + Duration::days(7);
    let invited = UserBuilder::new(t.id, "invited@example.com")
        .pending_until(expires)
        .build();
    let plain = UserBuilder::new(t.id, "plain@example.com").build();
    store
        .create_user(
            invited.clone(),
            Effects {
                new_link: Some(invitation(expires)),
                ..Effects::default()
            },
            user_draft(t.id, invited.id, "user.create", T0),
        )
        .await
        .expect("create with a link");
    store
        .create_user(
            plain.clone(),
            Effects::default(),
            user_draft(t.id, plain.id, "user.create", T0),
        )
        .await
        .expect("create without a link");

    let got = store
        .get_user(t.id, invited.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(got, invited);
    assert_eq!(got.state(at(1)), UserState::PendingInvitation);
    assert_eq!(got.state(expires), UserState::ExpiredInvitation);
    let got = store
        .get_user(t.id, plain.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(got.stored_state, UserState::NotInvited);
    assert_eq!(got.invitation_expires_at, None);
}

pub async fn creating_a_user_with_a_taken_email_in_another_case_is_refused_and_audited(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let first = create(
        &*store,
        UserBuilder::new(t.id, "Ann.Lee@Example.com").build(),
    )
    .await;
    let before = chain_len(&*store, t.id).await;
    let clash = UserBuilder::new(t.id, "ann.lee@EXAMPLE.COM")
        .first("Other")
        .build();
    let e = refused(
        store
            .create_user(
                clash.clone(),
                Effects::default(),
                user_draft(t.id, clash.id, "user.create", at(1)),
            )
            .await,
        "email_taken",
    );
    assert!(
        matches!(
            e,
            usher_core::Error::Conflict {
                field: Some("email"),
                ..
            }
        ),
        "the conflict names the email field: {e:?}"
    );
    assert_eq!(
        store.get_user(t.id, clash.id).await.expect("get"),
        None,
        "nothing was written"
    );
    assert_eq!(
        store.get_user(t.id, first.id).await.expect("get"),
        Some(first)
    );
    assert_eq!(
        store
            .list_users(t.id, &query(T0))
            .await
            .expect("list")
            .total,
        1
    );
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(
        events.len(),
        1,
        "exactly the refusal is recorded: {events:?}"
    );
    assert_refused_event(&events[0], "user.create", "email_taken");
    assert_eq!(events[0]["target"]["id"], serde_json::json!(clash.id));
}

pub async fn emails_equal_under_unicode_case_folding_are_the_same_login(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let strasse = create(&*store, UserBuilder::new(t.id, "Straße@Example.de").build()).await;
    let elodie = create(&*store, UserBuilder::new(t.id, "élodie@exemple.fr").build()).await;
    for clash in [
        "STRASSE@example.de",
        "strasse@EXAMPLE.DE",
        "ÉLODIE@exemple.fr",
        "e\u{301}lodie@exemple.fr",
    ] {
        let u = UserBuilder::new(t.id, clash).build();
        refused(
            store
                .create_user(
                    u.clone(),
                    Effects::default(),
                    user_draft(t.id, u.id, "user.create", T0),
                )
                .await,
            "email_taken",
        );
    }
    let found = store
        .user_by_email(t.id, &parse_email("strasse@example.de"))
        .await
        .expect("by email");
    assert_eq!(found, Some(strasse));
    let found = store
        .user_by_email(t.id, &parse_email("ÉLODIE@EXEMPLE.FR"))
        .await
        .expect("by email");
    assert_eq!(found, Some(elodie));
    // Close but different addresses are different logins.
    create(&*store, UserBuilder::new(t.id, "strase@example.de").build()).await;
    create(&*store, UserBuilder::new(t.id, "elodie@exemple.fr").build()).await;
    assert_eq!(
        store
            .list_users(t.id, &query(T0))
            .await
            .expect("list")
            .total,
        4
    );
}

pub async fn the_same_email_in_another_tenant_is_another_user(store: Arc<dyn Store>) {
    let a = tenant(&*store, "acme").await;
    let b = tenant(&*store, "bravo").await;
    let in_a = create(
        &*store,
        UserBuilder::new(a.id, "ann@example.com")
            .username("ann")
            .build(),
    )
    .await;
    let in_b = create(
        &*store,
        UserBuilder::new(b.id, "ANN@example.com")
            .username("ANN")
            .build(),
    )
    .await;
    assert_eq!(
        store
            .user_by_email(a.id, &parse_email("ann@example.com"))
            .await
            .expect("get"),
        Some(in_a.clone())
    );
    assert_eq!(
        store
            .user_by_email(b.id, &parse_email("ann@example.com"))
            .await
            .expect("get"),
        Some(in_b.clone())
    );
    assert_eq!(
        store.get_user(b.id, in_a.id).await.expect("get"),
        None,
        "a user is invisible to another tenant"
    );
    assert_eq!(store.get_user(a.id, in_b.id).await.expect("get"), None);
    let listed = store.list_users(a.id, &query(T0)).await.expect("list");
    assert_eq!((listed.total, listed.items), (1, vec![in_a]));
}

pub async fn creating_a_user_with_a_taken_username_ignoring_case_is_refused(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    create(
        &*store,
        UserBuilder::new(t.id, "alex@example.com")
            .username("MSP-Alex")
            .build(),
    )
    .await;
    // Users without a username never collide.
    create(&*store, UserBuilder::new(t.id, "one@example.com").build()).await;
    create(&*store, UserBuilder::new(t.id, "two@example.com").build()).await;
    let before = chain_len(&*store, t.id).await;
    let clash = UserBuilder::new(t.id, "other@example.com")
        .username("msp-alex")
        .build();
    let e = refused(
        store
            .create_user(
                clash.clone(),
                Effects::default(),
                user_draft(t.id, clash.id, "user.create", T0),
            )
            .await,
        "username_taken",
    );
    assert!(
        matches!(
            e,
            usher_core::Error::Conflict {
                field: Some("username"),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(store.get_user(t.id, clash.id).await.expect("get"), None);
    assert_refused_event(
        &last_event(&*store, t.id).await,
        "user.create",
        "username_taken",
    );
    assert_eq!(chain_len(&*store, t.id).await, before + 1);
}

pub async fn external_ids_are_unique_within_their_source(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    create(
        &*store,
        UserBuilder::new(t.id, "a@example.com")
            .external("entra", "obj-1")
            .build(),
    )
    .await;
    let clash = UserBuilder::new(t.id, "b@example.com")
        .external("entra", "obj-1")
        .build();
    let e = refused(
        store
            .create_user(
                clash.clone(),
                Effects::default(),
                user_draft(t.id, clash.id, "user.create", T0),
            )
            .await,
        "external_id_taken",
    );
    assert!(
        matches!(
            e,
            usher_core::Error::Conflict {
                field: Some("external_id"),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(store.get_user(t.id, clash.id).await.expect("get"), None);
    assert_refused_event(
        &last_event(&*store, t.id).await,
        "user.create",
        "external_id_taken",
    );
    // The same id in another source, and users without one, are fine.
    create(
        &*store,
        UserBuilder::new(t.id, "c@example.com")
            .external("ldap", "obj-1")
            .build(),
    )
    .await;
    create(&*store, UserBuilder::new(t.id, "d@example.com").build()).await;
    create(&*store, UserBuilder::new(t.id, "e@example.com").build()).await;
    assert_eq!(
        store
            .list_users(t.id, &query(T0))
            .await
            .expect("list")
            .total,
        4
    );
}

pub async fn creating_a_user_with_a_value_of_an_undefined_attribute_is_refused(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    define_attribute(&*store, t.id, "department").await;
    let other = tenant(&*store, "other").await;
    define_attribute(&*store, other.id, "cost_center").await;
    let before = chain_len(&*store, t.id).await;
    // Defined in another tenant only: unknown here.
    let ghost = UserBuilder::new(t.id, "ghost@example.com")
        .attr("department", "Sales")
        .attr("cost_center", "42")
        .build();
    let e = refused(
        store
            .create_user(
                ghost.clone(),
                Effects::default(),
                user_draft(t.id, ghost.id, "user.create", T0),
            )
            .await,
        "unknown_attribute",
    );
    assert_eq!(
        store.get_user(t.id, ghost.id).await.expect("get"),
        None,
        "nothing was written"
    );
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_refused_event(&events[0], "user.create", e.code().as_str());
    let fine = UserBuilder::new(t.id, "fine@example.com")
        .attr("department", "Sales")
        .build();
    let fine = create(&*store, fine).await;
    assert_eq!(
        store.get_user(t.id, fine.id).await.expect("get"),
        Some(fine)
    );
}

pub async fn an_unknown_id_or_email_finds_no_user(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    create(&*store, UserBuilder::new(t.id, "ann@example.com").build()).await;
    assert_eq!(
        store.get_user(t.id, Id::generate()).await.expect("get"),
        None
    );
    assert_eq!(
        store
            .user_by_email(t.id, &parse_email("bob@example.com"))
            .await
            .expect("get"),
        None
    );
    assert_eq!(
        store
            .user_by_email(t.id, &parse_email("ann@example.co"))
            .await
            .expect("get"),
        None
    );
}

fn batch(tenant: TenantId, n: usize, domain: &str) -> Vec<usher_core::user::User> {
    (0..n)
        .map(|i| {
            let b = UserBuilder::new(tenant, &format!("Member{i:03}@{domain}"))
                .last(&format!("Batch{i}"));
            match i % 3 {
                0 => b.active(),
                1 => b.pending_until(T0 + Duration::days(7)),
                _ => b,
            }
            .build()
        })
        .collect()
}

pub async fn inserting_a_batch_stores_every_user_with_one_audit_event(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let users = batch(t.id, 50, "example.com");
    let before = chain_len(&*store, t.id).await;
    let n = store
        .insert_users(t.id, users.clone(), draft(Some(t.id), "user.import", T0))
        .await
        .expect("insert");
    assert_eq!(n, 50);
    for u in &users {
        assert_eq!(
            store.get_user(t.id, u.id).await.expect("get").as_ref(),
            Some(u)
        );
    }
    let mut q = query(T0);
    q.limit = 200;
    assert_eq!(store.list_users(t.id, &q).await.expect("list").total, 50);
    q.state = Some(UserState::Active);
    assert_eq!(store.list_users(t.id, &q).await.expect("list").total, 17);
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1, "one event summarises the batch");
    assert_success_event(&events[0], "user.import");
}

pub async fn a_batch_with_an_email_already_taken_inserts_nothing(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let existing = create(
        &*store,
        UserBuilder::new(t.id, "member006@example.com").build(),
    )
    .await;
    let users = batch(t.id, 10, "example.com");
    let before = chain_len(&*store, t.id).await;
    refused(
        store
            .insert_users(t.id, users.clone(), draft(Some(t.id), "user.import", T0))
            .await,
        "email_taken",
    );
    for u in &users {
        assert_eq!(
            store.get_user(t.id, u.id).await.expect("get"),
            None,
            "no user of the batch was kept"
        );
    }
    let page = store.list_users(t.id, &query(T0)).await.expect("list");
    assert_eq!((page.total, page.items), (1, vec![existing]));
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_refused_event(&events[0], "user.import", "email_taken");
}

pub async fn a_batch_that_repeats_an_email_inside_itself_inserts_nothing(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let mut users = batch(t.id, 10, "example.com");
    users.push(UserBuilder::new(t.id, "MEMBER003@EXAMPLE.COM").build());
    refused(
        store
            .insert_users(t.id, users.clone(), draft(Some(t.id), "user.import", T0))
            .await,
        "email_taken",
    );
    for u in &users {
        assert_eq!(store.get_user(t.id, u.id).await.expect("get"), None);
    }
    assert_eq!(
        store
            .list_users(t.id, &query(T0))
            .await
            .expect("list")
            .total,
        0
    );
    let mut q = query(T0);
    q.state = Some(UserState::Active);
    assert_eq!(
        store.list_users(t.id, &q).await.expect("list").total,
        0,
        "no counter moved"
    );
}

pub async fn concurrent_creates_of_one_email_let_exactly_one_win(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let spellings = [
        "race@example.com",
        "RACE@example.com",
        "Race@Example.com",
        "race@EXAMPLE.com",
    ];
    let mut tasks = Vec::new();
    for i in 0..12 {
        let store = store.clone();
        let u = UserBuilder::new(t.id, spellings[i % spellings.len()]).build();
        tasks.push(tokio::spawn(async move {
            let d = user_draft(u.tenant_id, u.id, "user.create", T0);
            store.create_user(u, Effects::default(), d).await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.expect("the task ran") {
            Ok(_) => won += 1,
            Err(e) => assert_eq!(
                codes(&e),
                vec!["email_taken"],
                "a loser is refused, not failed: {e:?}"
            ),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(
        store
            .list_users(t.id, &query(T0))
            .await
            .expect("list")
            .total,
        1
    );
    let events = chain_events(&*store, t.id).await;
    let outcomes: Vec<_> = events.iter().map(summary).collect();
    assert_eq!(outcomes.iter().filter(|s| s.1 == "success").count(), 1);
    assert_eq!(
        outcomes
            .iter()
            .filter(|s| s.2.as_deref() == Some("email_taken"))
            .count(),
        11
    );
}
