//! Cases for an admin's reset of a user's second factors.

use super::fixtures::*;
use super::mfa::totp;
use std::sync::Arc;
use usher_core::Store;
use usher_core::error::Missing;

pub async fn a_factor_reset_removes_every_factor_and_requires_enrolment_until_one_is_confirmed(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    let ann = create(
        &*store,
        UserBuilder::new(acme.id, "ann@x.example").active().build(),
    )
    .await;
    let bob = create(
        &*store,
        UserBuilder::new(acme.id, "bob@x.example").active().build(),
    )
    .await;
    totp(&*store, acme.id, ann.id, true).await;
    totp(&*store, acme.id, ann.id, false).await;
    totp(&*store, acme.id, bob.id, true).await;
    let removed = store
        .reset_factors(
            acme.id,
            ann.id,
            T0,
            user_draft(acme.id, ann.id, "user.mfa_reset", T0),
        )
        .await
        .expect("reset_factors");
    assert_eq!(removed, 2, "the confirmed and the pending authenticator");
    assert!(
        store
            .list_factors(acme.id, ann.id)
            .await
            .expect("list")
            .is_empty()
    );
    let stored = store
        .get_user(acme.id, ann.id)
        .await
        .expect("get")
        .expect("ann");
    assert!(!stored.mfa_enrolled, "no longer counted as enrolled");
    assert!(
        store
            .enrolment_required(acme.id, ann.id)
            .await
            .expect("pending")
    );
    assert!(
        !store
            .enrolment_required(acme.id, bob.id)
            .await
            .expect("pending")
    );
    assert_eq!(
        store
            .list_factors(acme.id, bob.id)
            .await
            .expect("list")
            .len(),
        1,
        "others keep theirs"
    );
    let event = last_event(&*store, acme.id).await;
    assert_eq!(event["details"]["removed_factors"], 2);

    totp(&*store, acme.id, ann.id, false).await;
    assert!(
        store
            .enrolment_required(acme.id, ann.id)
            .await
            .expect("pending"),
        "pending is not enough"
    );
    totp(&*store, acme.id, ann.id, true).await;
    assert!(
        !store
            .enrolment_required(acme.id, ann.id)
            .await
            .expect("settled")
    );

    let other = tenant(&*store, "other").await;
    let refused = store
        .reset_factors(
            other.id,
            ann.id,
            T0,
            user_draft(other.id, ann.id, "user.mfa_reset", T0),
        )
        .await
        .expect_err("another tenant's user");
    assert_eq!(refused.code(), Missing::User.code());
}
