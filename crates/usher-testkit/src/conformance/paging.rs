//! Walking a user list page by page, forwards along `next` from the first
//! page or backwards along `prev` from the last, checking what every page
//! must hold on the way.

use super::fixtures::expected_ids;
use usher_core::listing::{Cursor, Page, UserQuery};
use usher_core::user::User;
use usher_core::{Store, TenantId, UserId};

/// More pages than this in one walk means a cursor that does not advance.
const MAX_PAGES: usize = 10_000;

/// One page, with the invariants every page keeps: at most `limit` items in
/// ascending list order.
pub async fn page(store: &dyn Store, tenant: TenantId, q: &UserQuery) -> Page<User> {
    let p = store.list_users(tenant, q).await.expect("listing users");
    assert!(
        p.items.len() <= q.limit as usize,
        "a page of limit {} held {} items",
        q.limit,
        p.items.len()
    );
    assert_ascending(&p.items);
    p
}

#[track_caller]
pub fn assert_ascending(items: &[User]) {
    for w in items.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert!(
            (a.email.normalized(), a.id) < (b.email.normalized(), b.id),
            "page out of order: {:?} before {:?}",
            a.email,
            b.email
        );
    }
}

pub fn ids(items: &[User]) -> Vec<UserId> {
    items.iter().map(|u| u.id).collect()
}

/// The pages from the first, following `next` until it is absent.
pub async fn walk_forward(store: &dyn Store, tenant: TenantId, q: &UserQuery) -> Vec<Page<User>> {
    let mut q = q.clone();
    q.cursor = Cursor::First;
    let mut pages = Vec::new();
    loop {
        let p = page(store, tenant, &q).await;
        let next = p.next.clone();
        pages.push(p);
        assert!(pages.len() < MAX_PAGES, "following next never ends");
        match next {
            Some(c) => q.cursor = c,
            None => return pages,
        }
    }
}

/// The pages from the last, following `prev` until it is absent; answered
/// in list order (the first page first).
pub async fn walk_backward(store: &dyn Store, tenant: TenantId, q: &UserQuery) -> Vec<Page<User>> {
    let mut q = q.clone();
    q.cursor = Cursor::Last;
    let mut pages = Vec::new();
    loop {
        let p = page(store, tenant, &q).await;
        let prev = p.prev.clone();
        pages.push(p);
        assert!(pages.len() < MAX_PAGES, "following prev never ends");
        match prev {
            Some(c) => q.cursor = c,
            None => {
                pages.reverse();
                return pages;
            }
        }
    }
}

/// The ids of pages in order.
pub fn walked_ids(pages: &[Page<User>]) -> Vec<UserId> {
    pages.iter().flat_map(|p| ids(&p.items)).collect()
}

/// Checks a query against the brute-force answer over `universe`: the
/// total on every page, one walk forwards and one backwards each visiting
/// every match exactly once, full pages wherever a further page exists,
/// and the first and last pages.
pub async fn assert_query_answers(
    store: &dyn Store,
    tenant: TenantId,
    universe: &[User],
    q: &UserQuery,
    what: &str,
) {
    let expected = expected_ids(universe, q);
    let n = expected.len() as u64;
    let limit = q.limit as usize;

    let forward = walk_forward(store, tenant, q).await;
    for p in &forward {
        assert_eq!(p.total, n, "{what}: total of a page while walking forwards");
    }
    for p in &forward[..forward.len() - 1] {
        assert_eq!(
            p.items.len(),
            limit,
            "{what}: a page followed by another is full"
        );
    }
    assert_eq!(
        walked_ids(&forward),
        expected,
        "{what}: walking next from the first page"
    );
    assert!(
        forward[0].prev.is_none(),
        "{what}: the first page has no prev"
    );

    let backward = walk_backward(store, tenant, q).await;
    for p in &backward {
        assert_eq!(
            p.total, n,
            "{what}: total of a page while walking backwards"
        );
    }
    for p in &backward[1..] {
        assert_eq!(
            p.items.len(),
            limit,
            "{what}: a page preceded by another is full"
        );
    }
    assert_eq!(
        walked_ids(&backward),
        expected,
        "{what}: walking prev from the last page"
    );
    let last = backward.last().expect("a walk has a page");
    assert!(last.next.is_none(), "{what}: the last page has no next");
    let tail = &expected[expected.len().saturating_sub(limit)..];
    assert_eq!(
        ids(&last.items),
        tail,
        "{what}: the last page holds the final matches"
    );

    if n == 0 {
        for p in forward.iter().chain(&backward) {
            assert!(
                p.items.is_empty() && p.prev.is_none() && p.next.is_none(),
                "{what}: an empty list has no links"
            );
        }
    }
}
