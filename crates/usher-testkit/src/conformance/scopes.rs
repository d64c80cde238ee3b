//! Cases for admin scopes: a scoped list counts and pages only the users
//! of its group or attribute value, a user who leaves the scope drops out
//! with that write, and a person's admin roles share one scope, which a
//! grant sets and a group delete takes away.

use super::fixtures::*;
use super::paging::{walk_backward, walk_forward, walked_ids};
use std::sync::Arc;
use usher_core::Store;
use usher_core::error::ErrorCode;
use usher_core::group::{Group, GroupWrite};
use usher_core::listing::{Cursor, UserQuery};
use usher_core::role::{RoleName, ScopeGrant};
use usher_core::scope::AdminScope;
use usher_core::store::{Effects, UserWrite};
use usher_core::user::{User, UserState};

/// 24 users of acme: the first ten in group Support, every third with
/// department Sales (in several cases), every fourth blocked; and one user
/// of another tenant in nothing.
pub async fn directory(store: &dyn Store) -> (usher_core::TenantId, Vec<User>, Group) {
    let acme = tenant(store, "acme").await;
    let other = tenant(store, "other").await;
    define_attribute(store, acme.id, "department").await;
    define_attribute(store, other.id, "department").await;
    let mut users = Vec::new();
    for i in 0..24 {
        let mut b = UserBuilder::new(acme.id, &format!("u{i:02}@x.example")).active();
        if i % 3 == 0 {
            b = b.attr(
                "department",
                ["Sales", "SALES", "sales"][i % 2 + (i / 3) % 2],
            );
        } else {
            b = b.attr("department", "Marketing");
        }
        if i % 4 == 0 {
            b = b.blocked();
        }
        users.push(create(store, b.build()).await);
    }
    let stranger = UserBuilder::new(other.id, "s@x.example").attr("department", "Sales");
    let stranger = create(store, stranger.build()).await;
    let members = users[..10]
        .iter()
        .map(|u| u.id)
        .chain([stranger.id])
        .collect();
    let support = store
        .create_group(
            group(acme.id, "Support", members),
            draft(Some(acme.id), "group.create", T0),
        )
        .await
        .expect("create_group");
    (acme.id, users, support)
}

/// The scopes of [`directory`]: group Support, and department Sales
/// (written in another case: values compare ignoring it).
fn scopes(support: &Group) -> (AdminScope, AdminScope) {
    let by_group = AdminScope::Group {
        id: support.id,
        name: "Support".into(),
    };
    let by_value = AdminScope::Attribute {
        name: "department".into(),
        equals: "sAlEs".into(),
    };
    (by_group, by_value)
}

fn scoped(scope: &AdminScope, limit: u32) -> UserQuery {
    UserQuery {
        scope: Some(scope.clone()),
        limit,
        ..query(T0)
    }
}

fn ids<'a>(users: impl IntoIterator<Item = &'a User>) -> Vec<usher_core::UserId> {
    users.into_iter().map(|u| u.id).collect()
}

/// That the attribute scope "department is Sales" of [`directory`] holds
/// its eight users, by list and by test (after a migration, say).
pub async fn assert_sales_scope(store: &dyn Store, acme: usher_core::TenantId, users: &[User]) {
    let sales = AdminScope::Attribute {
        name: "department".into(),
        equals: "sales".into(),
    };
    let page = store
        .list_users(acme, &scoped(&sales, 50))
        .await
        .expect("list");
    assert_eq!(ids(&page.items), ids(users.iter().step_by(3)));
    assert_eq!(page.total, 8);
    let in_scope = store.user_in_scope(acme, users[3].id, &sales).await;
    assert!(in_scope.expect("user_in_scope"));
}

pub async fn a_scoped_list_counts_and_pages_only_the_users_of_its_group_or_attribute_value(
    store: Arc<dyn Store>,
) {
    let (acme, users, support) = directory(&*store).await;
    let (by_group, by_value) = scopes(&support);
    let in_group: Vec<&User> = users[..10].iter().collect();
    let in_sales: Vec<&User> = users.iter().step_by(3).collect();
    for (scope, members) in [(&by_group, &in_group), (&by_value, &in_sales)] {
        let q = scoped(scope, 3);
        let forward = walk_forward(&*store, acme, &q).await;
        assert!(forward.iter().all(|p| p.total == members.len() as u64));
        assert_eq!(
            walked_ids(&forward),
            ids(members.iter().copied()),
            "{scope:?}"
        );
        let backward = walk_backward(&*store, acme, &q).await;
        assert_eq!(walked_ids(&backward), ids(members.iter().copied()));
        let blocked = UserQuery {
            state: Some(UserState::Blocked),
            ..scoped(scope, 50)
        };
        let page = store.list_users(acme, &blocked).await.expect("list");
        let want: Vec<&User> = members
            .iter()
            .copied()
            .filter(|u| u.stored_state == UserState::Blocked)
            .collect();
        assert_eq!(page.total, want.len() as u64);
        assert_eq!(ids(&page.items), ids(want));
        let search = UserQuery {
            search: Some(prefix("u0")),
            ..scoped(scope, 50)
        };
        let page = store.list_users(acme, &search).await.expect("search");
        let want: Vec<&User> = members
            .iter()
            .copied()
            .filter(|u| u.email.as_str().starts_with("u0"))
            .collect();
        assert_eq!(page.total, want.len() as u64);
        assert_eq!(ids(&page.items), ids(want));
        let last = UserQuery {
            cursor: Cursor::Last,
            ..scoped(scope, 2)
        };
        let page = store.list_users(acme, &last).await.expect("last page");
        assert_eq!(
            ids(&page.items),
            ids(members[members.len() - 2..].iter().copied())
        );
    }
    for (i, u) in users.iter().enumerate() {
        let in_scope = store.user_in_scope(acme, u.id, &by_group).await;
        assert_eq!(
            in_scope.expect("user_in_scope"),
            i < 10,
            "{}",
            u.email.as_str()
        );
        let in_scope = store.user_in_scope(acme, u.id, &by_value).await;
        assert_eq!(
            in_scope.expect("user_in_scope"),
            i % 3 == 0,
            "{}",
            u.email.as_str()
        );
    }
    let unknown = usher_core::UserId::generate();
    assert!(
        !store
            .user_in_scope(acme, unknown, &by_group)
            .await
            .expect("unknown")
    );
}

pub async fn a_user_who_leaves_the_group_or_the_value_drops_out_of_the_scope_at_once(
    store: Arc<dyn Store>,
) {
    let (acme, users, support) = directory(&*store).await;
    let (by_group, by_value) = scopes(&support);
    let leaver = users[0].id;
    store
        .modify_group(GroupWrite {
            tenant_id: acme,
            group_id: support.id,
            if_match: None,
            now: at(2),
            mutation: Box::new(move |g: &mut Group| {
                g.members.retain(|m| *m != leaver);
                Ok(())
            }),
            audit: draft(Some(acme), "group.update", at(2)),
        })
        .await
        .expect("modify_group");
    assert_left(&*store, acme, &by_group, leaver, 9).await;
    store
        .modify_user(UserWrite {
            tenant_id: acme,
            user_id: leaver,
            if_match: None,
            now: at(3),
            mutation: Box::new(|u: &mut User| {
                u.attributes.insert("department".into(), "Finance".into());
                Ok(Effects::default())
            }),
            audit: user_draft(acme, leaver, "user.update", at(3)),
        })
        .await
        .expect("modify_user");
    assert_left(&*store, acme, &by_value, leaver, 7).await;
}

/// That `leaver` is out of `scope`, which now lists `total` users.
async fn assert_left(
    store: &dyn Store,
    tenant: usher_core::TenantId,
    scope: &AdminScope,
    leaver: usher_core::UserId,
    total: u64,
) {
    let page = store
        .list_users(tenant, &scoped(scope, 50))
        .await
        .expect("list");
    assert_eq!(page.total, total);
    assert!(!ids(&page.items).contains(&leaver));
    let in_scope = store.user_in_scope(tenant, leaver, scope).await;
    assert!(!in_scope.expect("user_in_scope"));
}

async fn grant(
    store: &dyn Store,
    user: &User,
    role: &str,
    scope: ScopeGrant,
) -> Result<bool, usher_core::Error> {
    let name = RoleName::parse("role", role).expect("a role name");
    let audit = user_draft(user.tenant_id, user.id, "user.role_assign", T0);
    store
        .assign_role(user.tenant_id, user.id, &name, scope, T0, audit)
        .await
}

pub async fn a_persons_admin_roles_share_one_scope_which_a_grant_sets_and_a_group_delete_takes_away(
    store: Arc<dyn Store>,
) {
    let (acme, users, support) = directory(&*store).await;
    let (by_group, by_value) = scopes(&support);
    let ann = &users[1];
    let set = |s: &AdminScope| ScopeGrant::Set(Some(s.clone()));
    assert!(
        grant(&*store, ann, "user_admin", set(&by_group))
            .await
            .expect("grant")
    );
    let held = store.user_roles(acme, ann.id).await.expect("user_roles");
    assert_eq!(held[0].scope, Some(by_group.clone()));
    // Another admin role under another scope, or none, is refused.
    for other in [ScopeGrant::Keep, ScopeGrant::Set(None), set(&by_value)] {
        let refused = grant(&*store, ann, "helpdesk", other)
            .await
            .expect_err("conflict");
        assert_eq!(refused.code(), ErrorCode::ScopeConflict);
    }
    assert!(
        grant(&*store, ann, "helpdesk", set(&by_group))
            .await
            .expect("same scope")
    );
    assert!(
        !grant(&*store, ann, "helpdesk", set(&by_group))
            .await
            .expect("again")
    );
    assert!(
        !grant(&*store, ann, "helpdesk", ScopeGrant::Keep)
            .await
            .expect("kept")
    );
    let admins = store.list_admins(acme).await.expect("list_admins");
    assert_eq!(admins.len(), 2);
    assert!(admins.iter().all(|a| a.scope == Some(by_group.clone())));
    // A person's one admin role may move to another scope or to none.
    let bob = &users[2];
    assert!(
        grant(&*store, bob, "auditor", set(&by_value))
            .await
            .expect("grant")
    );
    assert!(
        grant(&*store, bob, "auditor", ScopeGrant::Set(None))
            .await
            .expect("widened")
    );
    let held = store.user_roles(acme, bob.id).await.expect("user_roles");
    assert_eq!(held[0].scope, None);
    // Deleting the group takes the roles held under it away.
    store
        .delete_group(
            acme,
            support.id,
            None,
            draft(Some(acme), "group.delete", at(4)),
        )
        .await
        .expect("delete_group");
    assert!(
        store
            .user_roles(acme, ann.id)
            .await
            .expect("roles")
            .is_empty()
    );
    let gone = grant(&*store, ann, "helpdesk", set(&by_group))
        .await
        .expect_err("no group");
    assert_eq!(gone.code(), ErrorCode::ValidationFailed);
}

pub async fn a_role_filter_lists_and_counts_the_holders_of_the_role_alone_and_within_a_scope(
    store: Arc<dyn Store>,
) {
    let (acme, users, support) = directory(&*store).await;
    let role = usher_core::role::Role {
        name: RoleName::parse("name", "oncall").expect("a role name"),
        description: None,
        created_at: T0,
    };
    let audit = draft(Some(acme), "role.create", T0);
    store
        .create_role(acme, role, audit)
        .await
        .expect("create_role");
    for u in users.iter().step_by(2) {
        assert!(
            grant(&*store, u, "OnCall", ScopeGrant::Keep)
                .await
                .expect("assign")
        );
    }
    grant(&*store, &users[1], "tenant_admin", ScopeGrant::Keep)
        .await
        .expect("admin");
    let holders = |q: &UserQuery| -> Vec<usher_core::UserId> {
        users
            .iter()
            .enumerate()
            .filter(|(i, u)| i % 2 == 0 && matches(u, q))
            .map(|(_, u)| u.id)
            .collect()
    };
    let by_role = |limit: u32| UserQuery {
        role: Some(RoleName::parse("role", "ONCALL").expect("a role name")),
        limit,
        ..query(T0)
    };
    let q = by_role(5);
    let forward = walk_forward(&*store, acme, &q).await;
    assert!(forward.iter().all(|p| p.total == 12));
    assert_eq!(walked_ids(&forward), holders(&q));
    assert_eq!(
        walked_ids(&walk_backward(&*store, acme, &q).await),
        holders(&q)
    );
    let (by_group, by_value) = scopes(&support);
    let narrowed = [
        (
            UserQuery {
                state: Some(UserState::Blocked),
                ..by_role(50)
            },
            6,
        ),
        (
            UserQuery {
                search: Some(prefix("u1")),
                ..by_role(50)
            },
            5,
        ),
        (
            UserQuery {
                scope: Some(by_group),
                ..by_role(50)
            },
            5,
        ),
        (
            UserQuery {
                scope: Some(by_value),
                ..by_role(50)
            },
            4,
        ),
    ];
    for (q, total) in narrowed {
        let page = store.list_users(acme, &q).await.expect("list");
        let in_scope = |u: &usher_core::UserId| {
            let i = users.iter().position(|x| x.id == *u).expect("a user");
            match &q.scope {
                Some(AdminScope::Group { .. }) => i < 10,
                Some(AdminScope::Attribute { .. }) => i % 3 == 0,
                None => true,
            }
        };
        let want: Vec<_> = holders(&q).into_iter().filter(in_scope).collect();
        assert_eq!((page.total, ids(&page.items)), (total, want), "{q:?}");
    }
    let nobody = UserQuery {
        role: Some(RoleName::parse("role", "nobody").expect("a role name")),
        ..query(T0)
    };
    assert_eq!(
        store.list_users(acme, &nobody).await.expect("list").total,
        0
    );
    let admins = UserQuery {
        role: Some(RoleName::parse("role", "tenant_admin").expect("a role name")),
        ..query(T0)
    };
    let page = store.list_users(acme, &admins).await.expect("list");
    assert_eq!((page.total, ids(&page.items)), (1, vec![users[1].id]));
}
