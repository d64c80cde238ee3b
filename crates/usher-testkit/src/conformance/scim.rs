//! Cases for what SCIM needs of a store: searches by column condition
//! (totals, windows, orders, NULL rules), and groups with their members.

use super::fixtures::*;
use std::sync::Arc;
use usher_core::error::Missing;
use usher_core::group::{Group, GroupWrite};
use usher_core::scim::query::{Cond, SortKey, Text, TextColumn, TextOp, TimeColumn, UserSearch};
use usher_core::{Error, Store, TenantId, UserId, user::User};

fn search(cond: Cond) -> UserSearch {
    UserSearch {
        cond,
        sort: SortKey::Id,
        descending: false,
        offset: 0,
        limit: 200,
    }
}

fn text(column: TextColumn, op: TextOp, value: &str, fold: bool) -> Cond {
    Cond::Text {
        text: Text::Column(column),
        op,
        value: value.into(),
        fold,
    }
}

async fn emails(store: &dyn Store, tenant: TenantId, q: &UserSearch) -> (u64, Vec<String>) {
    let (total, users) = store.search_users(tenant, q).await.expect("search");
    (
        total,
        users.iter().map(|u| u.email.as_str().to_owned()).collect(),
    )
}

pub async fn user_searches_test_columns_in_the_database(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    define_attribute(&*store, t.id, "department").await;
    let mut made: Vec<User> = Vec::new();
    for (i, u) in [
        UserBuilder::new(t.id, "ann@example.com")
            .first("Ann")
            .last("Ärger")
            .attr("department", "Sales"),
        UserBuilder::new(t.id, "bob@example.com")
            .username("Bobby")
            .first("Bob"),
        UserBuilder::new(t.id, "cat@example.org")
            .disabled()
            .external("local", "X-1"),
        UserBuilder::new(t.id, "dan@example.com").last("Zed"),
    ]
    .into_iter()
    .enumerate()
    {
        made.push(create(&*store, u.created_at(at(i as i64)).build()).await);
    }
    create(
        &*store,
        UserBuilder::new(other.id, "ann@other.example").build(),
    )
    .await;
    let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

    // userName: the username where set, else the email, folded.
    let (total, got) = emails(
        &*store,
        t.id,
        &search(text(TextColumn::UserName, TextOp::Sw, "b", true)),
    )
    .await;
    assert_eq!((total, got), (1, names(&["bob@example.com"])));
    let (_, got) = emails(
        &*store,
        t.id,
        &search(text(
            TextColumn::UserName,
            TextOp::Eq,
            "bob@example.com",
            true,
        )),
    )
    .await;
    assert!(got.is_empty(), "bob's userName is his username");
    let (_, got) = emails(
        &*store,
        t.id,
        &search(text(TextColumn::UserName, TextOp::Ew, ".org", true)),
    )
    .await;
    assert_eq!(got, names(&["cat@example.org"]));
    // Folding of columns not stored folded.
    let (_, got) = emails(
        &*store,
        t.id,
        &search(text(TextColumn::LastName, TextOp::Eq, "ärger", true)),
    )
    .await;
    assert_eq!(got, names(&["ann@example.com"]));
    // An unset value matches no comparison, ne included; under not it is false.
    let (_, got) = emails(
        &*store,
        t.id,
        &search(text(TextColumn::LastName, TextOp::Ne, "zed", true)),
    )
    .await;
    assert_eq!(got, names(&["ann@example.com"]));
    let not_zed = Cond::Not(Box::new(text(
        TextColumn::LastName,
        TextOp::Eq,
        "zed",
        true,
    )));
    let (_, got) = emails(&*store, t.id, &search(not_zed)).await;
    assert_eq!(
        got,
        names(&["ann@example.com", "bob@example.com", "cat@example.org"])
    );
    // Exact external ids, custom attributes, activity, times, ids.
    let (_, got) = emails(
        &*store,
        t.id,
        &search(text(TextColumn::ExternalId, TextOp::Eq, "x-1", false)),
    )
    .await;
    assert!(got.is_empty());
    let dept = Cond::Text {
        text: Text::Attribute("department".into()),
        op: TextOp::Co,
        value: "ale".into(),
        fold: true,
    };
    let (_, got) = emails(&*store, t.id, &search(dept)).await;
    assert_eq!(got, names(&["ann@example.com"]));
    let (_, got) = emails(&*store, t.id, &search(Cond::Active(false))).await;
    assert_eq!(got, names(&["cat@example.org"]));
    let later = Cond::Time {
        column: TimeColumn::CreatedAt,
        op: usher_core::scim::query::OrderOp::Ge,
        value: at(2),
    };
    let (_, got) = emails(&*store, t.id, &search(later)).await;
    assert_eq!(got, names(&["cat@example.org", "dan@example.com"]));
    let (_, got) = emails(&*store, t.id, &search(Cond::Id(made[3].id.uuid()))).await;
    assert_eq!(got, names(&["dan@example.com"]));
    // Windows, orders, and the total alone.
    let mut q = search(Cond::Const(true));
    q.sort = SortKey::Text(Text::Column(TextColumn::LastName));
    q.offset = 1;
    q.limit = 2;
    let (total, got) = emails(&*store, t.id, &q).await;
    // Code point order ("zed" before "ärger"), unset values last, then ids.
    assert_eq!(
        (total, got),
        (4, names(&["ann@example.com", "bob@example.com"]))
    );
    q.descending = true;
    q.offset = 0;
    q.limit = 1;
    assert_eq!(
        emails(&*store, t.id, &q).await.1,
        names(&["cat@example.org"])
    );
    q.limit = 0;
    assert_eq!(emails(&*store, t.id, &q).await, (4, vec![]));
}

pub async fn groups_keep_members_of_their_tenant_and_lose_deleted_users(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let a = create(&*store, UserBuilder::new(t.id, "a@example.com").build()).await;
    let b = create(&*store, UserBuilder::new(t.id, "b@example.com").build()).await;
    let stranger = create(&*store, UserBuilder::new(other.id, "s@example.com").build()).await;
    let before = chain_len(&*store, t.id).await;
    let g = store
        .create_group(
            group(t.id, "Sales", vec![a.id, stranger.id, UserId::generate()]),
            draft(Some(t.id), "group.create", at(1)),
        )
        .await
        .expect("create");
    assert_eq!(g.members, vec![a.id], "only the tenant's users are members");
    assert_eq!(chain_len(&*store, t.id).await, before + 1);
    // Names are unique ignoring case; the refusal is audited.
    let e = store
        .create_group(
            group(t.id, "SALES", vec![]),
            draft(Some(t.id), "group.create", at(1)),
        )
        .await
        .expect_err("refused");
    assert_eq!(e.code(), "group_name_taken");
    assert_eq!(chain_len(&*store, t.id).await, before + 2);
    store
        .create_group(
            group(other.id, "Sales", vec![]),
            draft(Some(other.id), "group.create", at(1)),
        )
        .await
        .expect("the same name in another tenant");

    // An edit changes members and bumps the version; a stale one is refused.
    let write = |if_match: Option<i64>, members: Vec<UserId>| GroupWrite {
        tenant_id: t.id,
        group_id: g.id,
        if_match,
        now: at(5),
        mutation: Box::new(move |g: &mut Group| {
            g.members = members;
            Ok(())
        }),
        audit: draft(Some(t.id), "group.update", at(5)),
    };
    let g2 = store
        .modify_group(write(Some(1), vec![a.id, b.id]))
        .await
        .expect("edit");
    let mut want = vec![a.id, b.id];
    want.sort();
    assert_eq!(
        (g2.members.clone(), g2.version, g2.updated_at),
        (want, 2, at(5))
    );
    let e = store
        .modify_group(write(Some(1), vec![]))
        .await
        .expect_err("refused");
    assert!(matches!(e, Error::VersionMismatch { current: 2 }));
    let same = store
        .modify_group(write(None, g2.members.clone()))
        .await
        .expect("no change");
    assert_eq!(
        same.version, 2,
        "an edit that changes nothing keeps the version"
    );

    // Searches by member; a user's groups.
    let (total, found) = store
        .search_groups(t.id, &search(Cond::Member(Some(b.id.uuid()))))
        .await
        .expect("search");
    assert_eq!((total, found[0].id), (1, g.id));
    let (total, _) = store
        .search_groups(
            t.id,
            &search(text(TextColumn::GroupName, TextOp::Eq, "sales", true)),
        )
        .await
        .expect("search");
    assert_eq!(total, 1);
    let of_b = store.user_groups(t.id, b.id).await.expect("groups of b");
    assert_eq!(of_b.iter().map(|g| g.id).collect::<Vec<_>>(), vec![g.id]);

    // Deleting a user removes the membership; deleting the group, the group.
    store
        .delete_user(
            t.id,
            b.id,
            None,
            Box::new(|_| Ok(())),
            user_draft(t.id, b.id, "user.delete", at(6)),
        )
        .await
        .expect("delete user");
    let g3 = store
        .get_group(t.id, g.id)
        .await
        .expect("get")
        .expect("there");
    assert_eq!(g3.members, vec![a.id]);
    let e = store
        .delete_group(
            t.id,
            g.id,
            Some(1),
            draft(Some(t.id), "group.delete", at(7)),
        )
        .await
        .expect_err("refused");
    assert!(matches!(e, Error::VersionMismatch { .. }));
    store
        .delete_group(t.id, g.id, None, draft(Some(t.id), "group.delete", at(7)))
        .await
        .expect("delete group");
    assert!(store.get_group(t.id, g.id).await.expect("get").is_none());
    let e = store
        .delete_group(t.id, g.id, None, draft(Some(t.id), "group.delete", at(7)))
        .await
        .expect_err("refused");
    assert!(matches!(e, Error::NotFound(Missing::Group)));
    assert!(
        store
            .get_group(other.id, g.id)
            .await
            .expect("get")
            .is_none()
    );
}
