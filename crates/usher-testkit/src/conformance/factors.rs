//! Second factors and login challenges.

use super::fixtures::*;
use std::sync::Arc;
use time::Duration;
use usher_core::error::{Error, Missing};
use usher_core::factor::{Challenge, Factor, FactorKind, NewFactor};
use usher_core::token::Secret;
use usher_core::{FactorId, Id, Store, TenantId, UserId};

fn factor(user: UserId, kind: FactorKind, at: time::OffsetDateTime) -> Factor {
    Factor {
        id: Id::generate(),
        user_id: user,
        kind,
        label: kind.as_str().into(),
        created_at: at,
        last_used_at: None,
        confirmed: kind == FactorKind::RecoveryCodes,
        remaining: None,
    }
}

async fn totp(store: &dyn Store, tenant: TenantId, user: UserId, minute: i64) -> FactorId {
    let f = factor(user, FactorKind::Totp, at(minute));
    let id = f.id;
    store
        .add_factor(
            tenant,
            user,
            NewFactor {
                factor: f,
                secret: vec![7; 20],
                codes: Vec::new(),
            },
            user_draft(tenant, user, "factor.totp.enrol", at(minute)),
        )
        .await
        .expect("add totp");
    id
}

pub async fn a_totp_factor_counts_once_confirmed_and_spends_each_step_once(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
    )
    .await
    .id;
    let first = totp(&*store, t.id, u, 1).await;
    // A second enrolment replaces the unconfirmed first one.
    let id = totp(&*store, t.id, u, 2).await;
    let listed = store.list_factors(t.id, u).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].factor.id, id);
    assert_eq!(listed[0].secret, vec![7; 20]);
    assert!(!listed[0].factor.confirmed);
    assert!(
        !store
            .get_user(t.id, u)
            .await
            .expect("get")
            .expect("user")
            .mfa_enrolled
    );
    // Unconfirmed factors spend nothing.
    assert!(!store.use_totp_step(id, 100, at(3)).await.expect("use"));
    let err = store
        .confirm_factor(
            t.id,
            u,
            first,
            99,
            user_draft(t.id, u, "factor.totp.confirm", at(3)),
        )
        .await
        .expect_err("replaced");
    assert!(matches!(err, Error::NotFound(Missing::Factor)), "{err:?}");
    store
        .confirm_factor(
            t.id,
            u,
            id,
            99,
            user_draft(t.id, u, "factor.totp.confirm", at(3)),
        )
        .await
        .expect("confirm");
    assert!(
        store
            .get_user(t.id, u)
            .await
            .expect("get")
            .expect("user")
            .mfa_enrolled
    );
    assert!(
        !store.use_totp_step(id, 99, at(4)).await.expect("use"),
        "the confirming step is spent"
    );
    assert!(store.use_totp_step(id, 100, at(4)).await.expect("use"));
    assert!(
        !store.use_totp_step(id, 100, at(4)).await.expect("use"),
        "each step once"
    );
    assert!(
        !store.use_totp_step(id, 98, at(4)).await.expect("use"),
        "never backwards"
    );
    let listed = store.list_factors(t.id, u).await.expect("list");
    assert_eq!(
        (listed[0].last_step, listed[0].factor.last_used_at),
        (Some(100), Some(at(4)))
    );
}

pub async fn concurrent_uses_of_one_step_spend_it_exactly_once(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
    )
    .await
    .id;
    let id = totp(&*store, t.id, u, 1).await;
    store
        .confirm_factor(
            t.id,
            u,
            id,
            10,
            user_draft(t.id, u, "factor.totp.confirm", at(2)),
        )
        .await
        .expect("confirm");
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.use_totp_step(id, 11, at(3)).await.expect("use")
        }));
    }
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.expect("task"));
    }
    assert_eq!(won, 1);
}

pub async fn recovery_codes_are_single_use_and_replaced_as_a_set(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
    )
    .await
    .id;
    let v = create(
        &*store,
        UserBuilder::new(t.id, "bob@example.com").active().build(),
    )
    .await
    .id;
    let codes: Vec<Secret> = (0..3).map(|_| Secret::generate("rc")).collect();
    let add = |codes: &[Secret], minute: i64| NewFactor {
        factor: factor(u, FactorKind::RecoveryCodes, at(minute)),
        secret: Vec::new(),
        codes: codes.iter().map(Secret::hash).collect(),
    };
    store
        .add_factor(
            t.id,
            u,
            add(&codes, 1),
            user_draft(t.id, u, "factor.recovery_codes.generate", at(1)),
        )
        .await
        .expect("add");
    assert!(
        !store
            .use_recovery_code(t.id, v, &codes[0].hash(), at(2))
            .await
            .expect("use"),
        "another user's code"
    );
    assert!(
        store
            .use_recovery_code(t.id, u, &codes[0].hash(), at(2))
            .await
            .expect("use")
    );
    assert!(
        !store
            .use_recovery_code(t.id, u, &codes[0].hash(), at(3))
            .await
            .expect("use"),
        "once"
    );
    let listed = store.list_factors(t.id, u).await.expect("list");
    assert_eq!(listed[0].factor.remaining, Some(2));
    assert_eq!(listed[0].factor.last_used_at, Some(at(2)));
    // A new set replaces the old one.
    let fresh: Vec<Secret> = (0..3).map(|_| Secret::generate("rc")).collect();
    store
        .add_factor(
            t.id,
            u,
            add(&fresh, 4),
            user_draft(t.id, u, "factor.recovery_codes.generate", at(4)),
        )
        .await
        .expect("add");
    assert!(
        !store
            .use_recovery_code(t.id, u, &codes[1].hash(), at(5))
            .await
            .expect("use")
    );
    assert_eq!(store.list_factors(t.id, u).await.expect("list").len(), 1);
    store
        .delete_factor(
            t.id,
            u,
            None,
            user_draft(t.id, u, "factor.recovery_codes.revoke", at(6)),
        )
        .await
        .expect("revoke");
    assert!(
        !store
            .use_recovery_code(t.id, u, &fresh[0].hash(), at(7))
            .await
            .expect("use")
    );
    let err = store
        .delete_factor(
            t.id,
            u,
            None,
            user_draft(t.id, u, "factor.recovery_codes.revoke", at(8)),
        )
        .await
        .expect_err("nothing to revoke");
    assert!(matches!(err, Error::NotFound(Missing::Factor)), "{err:?}");
}

pub async fn the_last_confirmed_totp_factor_cannot_be_removed(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
    )
    .await
    .id;
    let a = totp(&*store, t.id, u, 1).await;
    store
        .confirm_factor(
            t.id,
            u,
            a,
            1,
            user_draft(t.id, u, "factor.totp.confirm", at(1)),
        )
        .await
        .expect("confirm");
    let before = chain_len(&*store, t.id).await;
    let err = store
        .delete_factor(
            t.id,
            u,
            Some(a),
            user_draft(t.id, u, "factor.delete", at(2)),
        )
        .await
        .expect_err("last");
    assert_eq!(err.code(), "last_second_factor");
    assert_eq!(
        chain_len(&*store, t.id).await,
        before + 1,
        "the refusal is audited"
    );
    let b = totp(&*store, t.id, u, 3).await;
    store
        .confirm_factor(
            t.id,
            u,
            b,
            1,
            user_draft(t.id, u, "factor.totp.confirm", at(3)),
        )
        .await
        .expect("confirm");
    store
        .delete_factor(
            t.id,
            u,
            Some(a),
            user_draft(t.id, u, "factor.delete", at(4)),
        )
        .await
        .expect("not the last any more");
    assert!(
        store
            .get_user(t.id, u)
            .await
            .expect("get")
            .expect("user")
            .mfa_enrolled
    );
    let err = store
        .delete_factor(
            t.id,
            u,
            Some(a),
            user_draft(t.id, u, "factor.delete", at(5)),
        )
        .await
        .expect_err("gone");
    assert!(matches!(err, Error::NotFound(Missing::Factor)), "{err:?}");
}

pub async fn a_challenge_counts_wrong_codes_and_ends_once(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
    )
    .await
    .id;
    let token = Secret::generate("usher_mfa_");
    let challenge = Challenge {
        tenant_id: t.id,
        user_id: u,
        expires_at: at(1) + Duration::minutes(5),
        attempts: 0,
        user_agent: Some("test".into()),
        admin: true,
    };
    store
        .create_challenge(&token.hash(), challenge.clone())
        .await
        .expect("create");
    assert_eq!(
        store.find_challenge(&token.hash()).await.expect("find"),
        Some(challenge)
    );
    assert_eq!(
        store.challenge_failed(&token.hash()).await.expect("fail"),
        1
    );
    assert_eq!(
        store.challenge_failed(&token.hash()).await.expect("fail"),
        2
    );
    assert_eq!(
        store
            .find_challenge(&token.hash())
            .await
            .expect("find")
            .expect("some")
            .attempts,
        2
    );
    assert!(store.end_challenge(&token.hash()).await.expect("end"));
    assert!(
        !store.end_challenge(&token.hash()).await.expect("end"),
        "once"
    );
    assert_eq!(
        store.find_challenge(&token.hash()).await.expect("find"),
        None
    );
}
