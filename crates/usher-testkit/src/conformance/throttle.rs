//! Cases for the throttle's reservations (a compare-and-set on the record
//! a caller read) and for the clients an account knows.

use super::fixtures::*;
use super::sessions::active_user;
use std::sync::Arc;
use usher_core::Store;

pub async fn a_reservation_counts_only_over_the_record_its_caller_read(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let key = throttle_key("account:ann");
    let first = store
        .throttle_reserve(t.id, &key, None, at(1))
        .await
        .expect("reserve")
        .expect("no record yet: the first slot");
    assert_eq!((first.failures, first.last_failure_at), (1, at(1)));
    // A second caller that also saw no record loses the race.
    assert_eq!(
        store
            .throttle_reserve(t.id, &key, None, at(1))
            .await
            .expect("reserve"),
        None
    );
    let second = store
        .throttle_reserve(t.id, &key, Some(first), at(2))
        .await
        .expect("reserve")
        .expect("the record is as read");
    assert_eq!((second.failures, second.last_failure_at), (2, at(2)));
    // A stale read takes nothing.
    assert_eq!(
        store
            .throttle_reserve(t.id, &key, Some(first), at(3))
            .await
            .expect("reserve"),
        None
    );
    store.throttle_release(t.id, &key).await.expect("release");
    let read = store
        .throttle(t.id, &key)
        .await
        .expect("read")
        .expect("some");
    assert_eq!(read.failures, 1, "one slot given back");
    store.throttle_release(t.id, &key).await.expect("release");
    store
        .throttle_release(t.id, &key)
        .await
        .expect("release below zero");
    let read = store
        .throttle(t.id, &key)
        .await
        .expect("read")
        .expect("some");
    assert_eq!(read.failures, 0, "never below zero");
}

pub async fn concurrent_reservations_over_one_read_let_exactly_one_count(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let key = throttle_key("ip:203.0.113.9");
    let seen = store
        .throttle_reserve(t.id, &key, None, at(1))
        .await
        .expect("reserve")
        .expect("first");
    let tries = (0..8).map(|_| {
        let store = store.clone();
        let key = key.clone();
        tokio::spawn(async move { store.throttle_reserve(t.id, &key, Some(seen), at(2)).await })
    });
    let mut won = 0;
    for t in tries {
        if t.await.expect("task").expect("reserve").is_some() {
            won += 1;
        }
    }
    assert_eq!(won, 1);
    let read = store
        .throttle(t.id, &key)
        .await
        .expect("read")
        .expect("some");
    assert_eq!(read.failures, 2);
}

pub async fn a_client_is_known_to_the_user_it_logged_in_to_within_the_window(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let ann = active_user(&*store, t.id, "ann@example.com").await;
    let bob = active_user(&*store, t.id, "bob@example.com").await;
    let ip = "ip:203.0.113.9".to_owned();
    let device = "device:ab12".to_owned();
    assert!(
        !store
            .login_client_known(t.id, ann, std::slice::from_ref(&ip), at(0))
            .await
            .expect("read")
    );
    store
        .remember_login_clients(t.id, ann, std::slice::from_ref(&ip), at(10))
        .await
        .expect("remember");
    store
        .remember_login_clients(t.id, ann, &[ip.clone(), device.clone()], at(5))
        .await
        .expect("an older success");
    store
        .remember_login_clients(t.id, ann, std::slice::from_ref(&device), at(20))
        .await
        .expect("remember");
    assert!(
        store
            .login_client_known(t.id, ann, std::slice::from_ref(&ip), at(10))
            .await
            .expect("read")
    );
    assert!(
        !store
            .login_client_known(t.id, ann, std::slice::from_ref(&ip), at(11))
            .await
            .expect("read"),
        "the latest success counts, and it is older than the window"
    );
    assert!(
        store
            .login_client_known(t.id, ann, &[ip.clone(), device.clone()], at(15))
            .await
            .expect("read"),
        "any of the client's keys"
    );
    assert!(
        !store
            .login_client_known(t.id, bob, &[ip, device], at(0))
            .await
            .expect("read")
    );
}
