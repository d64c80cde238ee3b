//! Cases for searching users: a case-insensitive prefix of any search
//! field, each user counted once however many of its terms match, combined
//! with the filters, and correct whether matches are many or rare.

use super::changes::edit;
use super::fixtures::*;
use super::paging::*;
use std::sync::Arc;
use time::Duration;
use usher_core::listing::Cursor;
use usher_core::user::fields::PersonName;
use usher_core::user::{User, UserState};
use usher_core::{Store, TenantId, UserId};

/// Answers the ids a search (limit 200, no filter) lists, and checks its total.
async fn search_ids(store: &dyn Store, tenant: TenantId, s: &str) -> Vec<UserId> {
    let mut q = query(T0);
    q.search = Some(prefix(s));
    q.limit = 200;
    let p = page(store, tenant, &q).await;
    assert_eq!(
        p.total,
        p.items.len() as u64,
        "search {s:?}: the total counts what was found"
    );
    ids(&p.items)
}

pub async fn search_finds_a_prefix_of_any_search_field_ignoring_case(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    define_attribute(&*store, t.id, "department").await;
    define_attribute(&*store, t.id, "cost_center").await;
    let a = UserBuilder::new(t.id, "elodie.martin@example.fr")
        .first("Élodie")
        .last("Martin")
        .username("emartin")
        .phone("+33612345678")
        .attr("department", "Engineering")
        .build();
    let b = UserBuilder::new(t.id, "bob@example.com")
        .first("Bob")
        .last("Ünal")
        .username("BOBBY")
        .phone("+4915112345678")
        .attr("department", "Sales")
        .attr("cost_center", "CC-042")
        .build();
    let c = UserBuilder::new(t.id, "Straße@example.de").build();
    let d = UserBuilder::new(t.id, "zed@example.org")
        .personal_email("elodie.private@example.net")
        .build();
    let universe = vec![a.clone(), b.clone(), c.clone(), d.clone()];
    for u in &universe {
        create(&*store, u.clone()).await;
    }
    let cases: Vec<(&str, Vec<&User>)> = vec![
        ("élo", vec![&a]),
        ("ÉLO", vec![&a]),
        ("elodie.m", vec![&a]),
        ("mart", vec![&a]),
        ("MARTIN", vec![&a]),
        ("élodie mar", vec![&a]),
        ("emar", vec![&a]),
        ("ünal", vec![&b]),
        ("ÜNAL", vec![&b]),
        ("bobby", vec![&b]),
        ("Bob", vec![&b]),
        ("+33", vec![&a]),
        ("3361", vec![&a]),
        ("4915", vec![&b]),
        ("engin", vec![&a]),
        ("ENGIN", vec![&a]),
        ("cc-0", vec![&b]),
        ("sales", vec![&b]),
        ("strasse", vec![&c]),
        ("STRASSE@", vec![&c]),
        ("straße", vec![&c]),
        ("zed", vec![&d]),
        // Prefixes only: not inside a term, and not the personal email.
        ("example", vec![]),
        ("odie", vec![]),
        ("artin", vec![]),
        ("elodie.p", vec![]),
        ("unal", vec![]),
        ("xx", vec![]),
    ];
    for (s, want) in cases {
        let mut want: Vec<&User> = want;
        want.sort_by(|x, y| x.email.normalized().cmp(y.email.normalized()));
        let want: Vec<UserId> = want.iter().map(|u| u.id).collect();
        let mut q = query(T0);
        q.search = Some(prefix(s));
        assert_eq!(
            expected_ids(&universe, &q),
            want,
            "the case {s:?} itself agrees with usher_core::search"
        );
        assert_eq!(search_ids(&*store, t.id, s).await, want, "search {s:?}");
    }
}

pub async fn a_user_matching_several_terms_is_counted_and_listed_once(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    define_attribute(&*store, t.id, "team").await;
    let mark = UserBuilder::new(t.id, "mark.markus@example.com")
        .first("Mark")
        .last("Markus")
        .username("markm")
        .attr("team", "Marketing")
        .build();
    let maria = UserBuilder::new(t.id, "ms@example.com")
        .first("Maria")
        .last("Smith")
        .build();
    let bob = UserBuilder::new(t.id, "bob@example.com")
        .first("Bob")
        .last("Marley")
        .build();
    let mut universe = vec![mark.clone(), maria.clone(), bob.clone()];
    for u in &universe {
        create(&*store, u.clone()).await;
    }
    // Users matching none of the searches: rare matches among many.
    let fillers: Vec<User> = (0..40)
        .map(|i| {
            UserBuilder::new(t.id, &format!("filler{i}@other.example"))
                .first("Quinn")
                .build()
        })
        .collect();
    insert_all(&*store, t.id, &fillers).await;
    universe.extend(fillers);
    for (s, n) in [
        ("ma", 3),
        ("mar", 3),
        ("mark", 1),
        ("marku", 1),
        ("marke", 1),
        ("marl", 1),
        ("m", 3),
        ("smi", 1),
    ] {
        let got = search_ids(&*store, t.id, s).await;
        let mut q = query(T0);
        q.search = Some(prefix(s));
        assert_eq!(got, expected_ids(&universe, &q), "search {s:?}");
        assert_eq!(got.len(), n, "search {s:?}");
        for limit in [1, 2] {
            q.limit = limit;
            assert_query_answers(
                &*store,
                t.id,
                &universe,
                &q,
                &format!("{s}, {limit} a page"),
            )
            .await;
        }
    }
}

/// People named Pat in every state, some archived, some invitations lapsed.
fn pats(tenant: TenantId) -> Vec<User> {
    (0..36)
        .map(|i| {
            let b = UserBuilder::new(tenant, &format!("person{i:02}@pats.example"))
                .first(if i % 4 == 3 { "Chris" } else { "Pat" })
                .last(&format!("Number{i}"));
            match i % 6 {
                0 => b,
                1 => b.pending_until(T0 + Duration::days(3)),
                2 => b.pending_until(T0 + Duration::hours(1)),
                3 => b.active(),
                4 if i % 12 == 4 => b.active().archived(),
                4 => b.blocked(),
                _ => b.disabled(),
            }
            .build()
        })
        .collect()
}

pub async fn a_search_combined_with_state_and_archived_filters_counts_only_those_users(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let users = pats(t.id);
    insert_all(&*store, t.id, &users).await;
    let now = T0 + Duration::hours(2);
    for s in ["pat", "number1", "person0", "chris"] {
        for state in std::iter::once(None).chain(UserState::ALL.into_iter().map(Some)) {
            for archived in [None, Some(false), Some(true)] {
                let mut q = query(now);
                q.search = Some(prefix(s));
                q.state = state;
                q.archived = archived;
                q.limit = 3;
                let what = format!("search {s:?}, state {state:?}, archived {archived:?}");
                assert_query_answers(&*store, t.id, &users, &q, &what).await;
            }
        }
    }
}

/// 3000 users; most match `user` (several by two terms), and a handful
/// carry rare terms.
fn bulk(tenant: TenantId) -> Vec<User> {
    (0..3000usize)
        .map(|i| {
            let email = if i % 10 < 7 {
                format!("user{i:04}@bulk.example")
            } else {
                format!("member{i:04}@bulk.example")
            };
            let mut b = UserBuilder::new(tenant, &email)
                .first(if i % 10 == 7 { "Userin" } else { "Kim" })
                .last(&if i % 20 == 7 {
                    "Userman".to_owned()
                } else {
                    format!("Lee{}", i % 50)
                });
            if i % 10 == 8 || i % 10 == 0 {
                b = b.username(&format!("user-{i}"));
            }
            if i % 600 == 13 {
                b = b.first(&format!("Zq{}", i / 600));
            }
            match i % 5 {
                0 => b.active(),
                1 => b.blocked(),
                2 if i % 7 == 0 => b.disabled(),
                3 => b.pending_until(T0 + Duration::hours((i % 48) as i64)),
                _ => b,
            }
            .build()
        })
        .collect()
}

pub async fn a_search_with_thousands_of_matches_counts_and_pages_exactly(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let users = bulk(t.id);
    insert_all(&*store, t.id, &users).await;
    let now = T0 + Duration::hours(24);
    let mut q = query(now);
    q.search = Some(prefix("user"));
    q.limit = 200;
    let expected = expected_ids(&users, &q);
    assert!(
        expected.len() > 2500,
        "the search matches most users ({})",
        expected.len()
    );
    assert_query_answers(&*store, t.id, &users, &q, "user, 200 a page").await;

    for s in ["kim", "lee4", "user0", "user-", "member", "userin", "userm"] {
        let mut q = query(now);
        q.search = Some(prefix(s));
        q.limit = 200;
        let expected = expected_ids(&users, &q);
        let first = page(&*store, t.id, &q).await;
        assert_eq!(first.total, expected.len() as u64, "total of {s:?}");
        assert_eq!(
            ids(&first.items),
            expected[..expected.len().min(200)],
            "first page of {s:?}"
        );
        q.cursor = Cursor::Last;
        let last = page(&*store, t.id, &q).await;
        assert_eq!(
            last.total,
            expected.len() as u64,
            "total of {s:?} on its last page"
        );
        assert_eq!(
            ids(&last.items),
            expected[expected.len().saturating_sub(200)..],
            "last page of {s:?}"
        );
    }
    for state in [
        UserState::Active,
        UserState::ExpiredInvitation,
        UserState::PendingInvitation,
    ] {
        let mut q = query(now);
        q.search = Some(prefix("user"));
        q.state = Some(state);
        q.limit = 150;
        assert_query_answers(
            &*store,
            t.id,
            &users,
            &q,
            &format!("user in state {state:?}"),
        )
        .await;
    }
}

pub async fn a_search_with_few_matches_among_thousands_finds_exactly_them(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let users = bulk(t.id);
    insert_all(&*store, t.id, &users).await;
    let now = T0 + Duration::hours(24);
    for (s, n) in [
        ("zq", 5),
        ("zq3", 1),
        ("user2999", 0),
        ("member2997", 1),
        ("lee49", 60),
        ("user-29", 22),
        ("nobody", 0),
    ] {
        let mut q = query(now);
        q.search = Some(prefix(s));
        q.limit = 2;
        let expected = expected_ids(&users, &q);
        assert_eq!(expected.len(), n, "the dataset gives {s:?} {n} matches");
        assert_query_answers(&*store, t.id, &users, &q, &format!("{s}, two a page")).await;
        for state in [
            UserState::Active,
            UserState::NotInvited,
            UserState::ExpiredInvitation,
        ] {
            q.state = Some(state);
            assert_query_answers(
                &*store,
                t.id,
                &users,
                &q,
                &format!("{s} in state {state:?}"),
            )
            .await;
        }
    }
}

pub async fn a_search_follows_edits_deletes_and_attribute_purges(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    define_attribute(&*store, t.id, "project").await;
    let z = create(
        &*store,
        UserBuilder::new(t.id, "zelda@example.com")
            .first("Zelda")
            .attr("project", "Quokka")
            .build(),
    )
    .await;
    let other = create(
        &*store,
        UserBuilder::new(t.id, "yan@example.com")
            .first("Yan")
            .build(),
    )
    .await;
    assert_eq!(search_ids(&*store, t.id, "quo").await, vec![z.id]);
    assert_eq!(search_ids(&*store, t.id, "zel").await, vec![z.id]);

    let z = store
        .modify_user(edit(&z, None, at(1), "user.update", |u| {
            u.first_name = Some(PersonName::parse("first_name", "Yara", 50).expect("valid"));
        }))
        .await
        .expect("rename");
    assert_eq!(search_ids(&*store, t.id, "yar").await, vec![z.id]);
    assert_eq!(
        search_ids(&*store, t.id, "zel").await,
        vec![z.id],
        "the email still starts with zel"
    );
    // yan@… sorts before zelda@…
    assert_eq!(search_ids(&*store, t.id, "ya").await, vec![other.id, z.id]);

    let purged = store
        .delete_attribute(
            t.id,
            &parse_attribute("project"),
            true,
            at(2),
            draft(Some(t.id), "attribute.delete", at(2)),
        )
        .await
        .expect("purge");
    assert_eq!(purged, 1);
    assert_eq!(
        search_ids(&*store, t.id, "quo").await,
        Vec::<UserId>::new(),
        "a purged value is no longer found"
    );

    store
        .delete_user(
            t.id,
            z.id,
            None,
            Box::new(|_| Ok(())),
            user_draft(t.id, z.id, "user.delete", at(3)),
        )
        .await
        .expect("delete");
    assert_eq!(search_ids(&*store, t.id, "yar").await, Vec::<UserId>::new());
    assert_eq!(search_ids(&*store, t.id, "ya").await, vec![other.id]);
}
