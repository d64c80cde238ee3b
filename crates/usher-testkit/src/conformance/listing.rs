//! Cases for `list_users` without a search: order, limits, exact totals,
//! cursors in both directions, the state and archived filters (with
//! `expired_invitation` derived from the query's `now`), the sweep that
//! materialises it, and pages that stay right while users come and go.

use super::fixtures::*;
use super::paging::*;
use std::sync::Arc;
use usher_core::listing::Cursor;
use usher_core::user::{User, UserState};
use usher_core::{Store, TenantId};

/// `n` active users `u000@x.example` … with alternating case.
pub(crate) fn numbered(tenant: TenantId, n: usize) -> Vec<User> {
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
