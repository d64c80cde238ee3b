//! Cases for the list's last-login filters and for a search limited to
//! some properties (`fields=`): each counts exactly and pages both ways
//! through the users that `usher_core::list_filters` says match, alone,
//! under the other filters, and within a scope.

use super::fixtures::*;
use super::paging::{walk_backward, walk_forward, walked_ids};
use std::sync::Arc;
use time::Duration;
use usher_core::Store;
use usher_core::list_filters::{LoginFilter, SearchFields};
use usher_core::listing::UserQuery;
use usher_core::scope::AdminScope;
use usher_core::user::{User, UserState};

/// 30 users of acme with names, usernames and external ids that overlap
/// in their prefixes (so that the search index finds more than a field
/// does), every third blocked, logged in at one of three times or never;
/// and a user of another tenant who matches everything.
async fn directory(store: &dyn Store) -> (usher_core::TenantId, Vec<User>) {
    let acme = tenant(store, "acme").await;
    let other = tenant(store, "other").await;
    define_attribute(store, acme.id, "department").await;
    let mut users = Vec::new();
    for i in 0..30 {
        let first = ["Mara", "Jonas", "Marek", "Ann"][i % 4];
        let last = ["Jones", "Marsh", "Smith"][i % 3];
        let email = format!("{}{i:02}@x.example", ["mar", "jo", "ann"][i % 3]);
        let mut b = UserBuilder::new(acme.id, &email)
            .first(first)
            .last(last)
            .active()
            .attr("department", ["Marketing", "Jobs"][i % 2]);
        if i % 5 != 0 {
            b = b.username(&format!("{}{i}", ["ma.u", "jo.u"][i % 2]));
        }
        if i % 2 == 0 {
            b = b.external("entra", &format!("{}-{i}", ["MA", "ma", "Jo"][i % 3]));
        }
        if i % 3 == 0 {
            b = b.blocked();
        }
        let mut u = b.build();
        u.last_login_at = match i % 4 {
            0 => None,
            k => Some(T0 + Duration::days(k as i64)),
        };
        users.push(create(store, u).await);
    }
    let mut stranger = UserBuilder::new(other.id, "mar@x.example")
        .first("Mara")
        .external("entra", "MA-x")
        .build();
    stranger.last_login_at = Some(T0);
    create(store, stranger).await;
    (acme.id, users)
}

/// That `q` (walked at `limit` a page) counts and lists exactly the users
/// that match it.
async fn assert_lists(store: &dyn Store, acme: usher_core::TenantId, users: &[User], q: UserQuery) {
    let want = expected_ids(users, &q);
    let forward = walk_forward(store, acme, &q).await;
    assert!(
        forward.iter().all(|p| p.total == want.len() as u64),
        "{q:?}: totals {:?}, want {}",
        forward.iter().map(|p| p.total).collect::<Vec<_>>(),
        want.len()
    );
    assert_eq!(walked_ids(&forward), want, "{q:?}");
    assert_eq!(
        walked_ids(&walk_backward(store, acme, &q).await),
        want,
        "{q:?}"
    );
}

fn limited(search: &str, fields: &str) -> UserQuery {
    UserQuery {
        search: Some(prefix(search)),
        fields: Some(SearchFields::parse(fields).expect("fields")),
        limit: 3,
        ..query(T0)
    }
}

pub async fn a_search_limited_to_some_properties_counts_and_pages_only_their_matches(
    store: Arc<dyn Store>,
) {
    let (acme, users) = directory(&*store).await;
    let cases = [
        ("mar", "email"),
        ("mar", "name"),
        ("MARA JO", "name"),
        ("ma.u", "username"),
        ("ma", "email,username"),
        ("MA", "external_id"),
        ("ma", "external_id"),
        ("jo", "name,external_id"),
        ("marketing", "email,name,username,external_id"),
    ];
    for (search, fields) in cases {
        let q = limited(search, fields);
        assert!(
            !expected_ids(&users, &q).is_empty() || search == "marketing",
            "{q:?} should match someone"
        );
        assert_lists(&*store, acme, &users, q.clone()).await;
        let blocked = UserQuery {
            state: Some(UserState::Blocked),
            ..q
        };
        assert_lists(&*store, acme, &users, blocked).await;
    }
    // The id matches whole only, in any case, and an id of another
    // tenant's user matches nothing.
    let id = users[7].id.to_string();
    let whole = limited(&id.to_uppercase(), "id,email");
    let page = store.list_users(acme, &whole).await.expect("list");
    assert_eq!((page.total, page.items[0].id), (1, users[7].id));
    let part = limited(&id[..8], "id");
    assert_eq!(store.list_users(acme, &part).await.expect("list").total, 0);
    // Limited searches inside a scope.
    let marketing = AdminScope::Attribute {
        name: "department".into(),
        equals: "marketing".into(),
    };
    let scoped = UserQuery {
        scope: Some(marketing),
        ..limited("ma", "name,external_id")
    };
    let want: Vec<_> = expected_ids(&users, &scoped)
        .into_iter()
        .filter(|id| users.iter().position(|u| u.id == *id).expect("a user") % 2 == 0)
        .collect();
    let forward = walk_forward(&*store, acme, &scoped).await;
    assert_eq!(walked_ids(&forward), want);
    assert!(forward.iter().all(|p| p.total == want.len() as u64));
}

pub async fn the_last_login_filters_count_and_page_exactly_and_never_match_users_who_never_logged_in(
    store: Arc<dyn Store>,
) {
    let (acme, users) = directory(&*store).await;
    let day = |k: i64| Some(T0 + Duration::days(k));
    let filters = [
        LoginFilter {
            never: Some(true),
            ..LoginFilter::default()
        },
        LoginFilter {
            never: Some(false),
            ..LoginFilter::default()
        },
        LoginFilter {
            before: day(3),
            ..LoginFilter::default()
        },
        LoginFilter {
            after: day(2),
            ..LoginFilter::default()
        },
        LoginFilter {
            after: day(2),
            before: day(3),
            ..LoginFilter::default()
        },
        LoginFilter {
            before: day(3),
            never: Some(true),
            ..LoginFilter::default()
        },
    ];
    for last_login in filters {
        let q = UserQuery {
            last_login,
            limit: 4,
            ..query(T0)
        };
        assert_lists(&*store, acme, &users, q.clone()).await;
        let narrowed = [
            UserQuery {
                state: Some(UserState::Blocked),
                ..q.clone()
            },
            UserQuery {
                search: Some(prefix("jo")),
                ..q.clone()
            },
            UserQuery {
                search: Some(prefix("jo")),
                fields: Some(SearchFields::parse("name").expect("fields")),
                ..q.clone()
            },
        ];
        for q in narrowed {
            assert_lists(&*store, acme, &users, q).await;
        }
    }
    // Before day 3: days 1 and 2 only, never the users who never logged in.
    let before = UserQuery {
        last_login: filters[2],
        ..query(T0)
    };
    let page = store.list_users(acme, &before).await.expect("list");
    assert!(page.items.iter().all(|u| u.last_login_at.is_some()));
    assert_eq!(page.total, 15);
}
