//! Cases for roles and their assignments: names unique ignoring case,
//! built-in admin roles made on first assignment and never listed, deletes
//! that refuse while a role is held unless forced, and assignments that go
//! with their user.

use super::fixtures::*;
use std::sync::Arc;
use usher_core::Store;
use usher_core::error::{ErrorCode, Missing};
use usher_core::role::{Role, RoleName, ScopeGrant};
use usher_core::store::{Effects, RoleChange, RoleWrites, UserWrite};
use usher_core::user::User;

fn role(name: &str, description: Option<&str>) -> Role {
    Role {
        name: RoleName::parse("name", name).expect("a valid name"),
        description: description.map(str::to_owned),
        created_at: T0,
    }
}

fn user_in(tenant: usher_core::TenantId, email: &str) -> User {
    UserBuilder::new(tenant, email).active().build()
}

fn name(n: &str) -> RoleName {
    RoleName::parse("name", n).expect("a valid name")
}

async fn define(store: &dyn Store, tenant: usher_core::TenantId, r: &Role) {
    store
        .create_role(tenant, r.clone(), draft(Some(tenant), "role.create", T0))
        .await
        .expect("create_role");
}

async fn give(store: &dyn Store, user: &User, role: &str) -> bool {
    store
        .assign_role(
            user.tenant_id,
            user.id,
            &name(role),
            ScopeGrant::Keep,
            T0,
            user_draft(user.tenant_id, user.id, "user.role_assign", T0),
        )
        .await
        .expect("assign_role")
}

async fn held(store: &dyn Store, user: &User) -> Vec<String> {
    store
        .user_roles(user.tenant_id, user.id)
        .await
        .expect("user_roles")
        .into_iter()
        .map(|a| a.name.as_str().to_owned())
        .collect()
}

pub async fn roles_are_listed_by_name_with_their_holders_and_names_are_unique_ignoring_case(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    define(&*store, acme.id, &role("sales", Some("Sales team"))).await;
    define(&*store, acme.id, &role("Approver", None)).await;
    define(&*store, other.id, &role("sales", None)).await;
    let taken = store
        .create_role(
            acme.id,
            role("SALES", None),
            draft(Some(acme.id), "role.create", T0),
        )
        .await
        .expect_err("a taken name");
    assert_eq!(taken.code(), ErrorCode::RoleExists);
    assert_eq!(last_event(&*store, acme.id).await["outcome"], "refused");
    let ann = create(&*store, user_in(acme.id, "ann@x.example")).await;
    assert!(give(&*store, &ann, "sales").await);
    let listed = store.list_roles(acme.id).await.expect("list_roles");
    let summary: Vec<(&str, Option<&str>, u64)> = listed
        .iter()
        .map(|(r, n)| (r.name.as_str(), r.description.as_deref(), *n))
        .collect();
    assert_eq!(
        summary,
        vec![("Approver", None, 0), ("sales", Some("Sales team"), 1)]
    );
    assert_eq!(store.list_roles(other.id).await.expect("list").len(), 1);
}

pub async fn a_role_is_assigned_once_and_removed_and_unknown_ones_are_refused(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    define(&*store, acme.id, &role("sales", None)).await;
    define(&*store, other.id, &role("theirs", None)).await;
    let ann = create(&*store, user_in(acme.id, "ann@x.example")).await;
    assert!(
        give(&*store, &ann, "Sales").await,
        "names match ignoring case"
    );
    assert!(
        !give(&*store, &ann, "sales").await,
        "held already: no change"
    );
    assert_eq!(held(&*store, &ann).await, vec!["sales"]);
    let unknown = store
        .assign_role(
            acme.id,
            ann.id,
            &name("theirs"),
            ScopeGrant::Keep,
            T0,
            user_draft(acme.id, ann.id, "user.role_assign", T0),
        )
        .await
        .expect_err("another tenant's role");
    assert_eq!(unknown.code(), Missing::Role.code());
    let stranger = create(&*store, user_in(other.id, "bob@x.example")).await;
    let foreign = store
        .assign_role(
            acme.id,
            stranger.id,
            &name("sales"),
            ScopeGrant::Keep,
            T0,
            user_draft(acme.id, stranger.id, "user.role_assign", T0),
        )
        .await
        .expect_err("another tenant's user");
    assert_eq!(foreign.code(), Missing::User.code());
    store
        .remove_role(
            acme.id,
            ann.id,
            &name("SALES"),
            user_draft(acme.id, ann.id, "user.role_remove", T0),
        )
        .await
        .expect("remove_role");
    assert!(held(&*store, &ann).await.is_empty());
    let again = store
        .remove_role(
            acme.id,
            ann.id,
            &name("sales"),
            user_draft(acme.id, ann.id, "user.role_remove", T0),
        )
        .await
        .expect_err("not held");
    assert_eq!(again.code(), Missing::RoleAssignment.code());
}

pub async fn a_built_in_admin_role_is_made_on_first_assignment_and_never_listed_or_deleted(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    let ann = create(&*store, user_in(acme.id, "ann@x.example")).await;
    let bob = create(&*store, user_in(acme.id, "bob@x.example")).await;
    assert!(give(&*store, &ann, "helpdesk").await);
    assert!(
        give(&*store, &bob, "helpdesk").await,
        "the row exists already"
    );
    assert_eq!(held(&*store, &ann).await, vec!["helpdesk"]);
    assert!(store.list_roles(acme.id).await.expect("list").is_empty());
    let refused = store
        .delete_role(
            acme.id,
            &name("helpdesk"),
            true,
            draft(Some(acme.id), "role.delete", T0),
        )
        .await
        .expect_err("a built-in role");
    assert_eq!(refused.code(), Missing::Role.code());
    assert_eq!(held(&*store, &bob).await, vec!["helpdesk"]);
}

pub async fn a_held_role_is_deleted_only_when_forced_and_takes_its_assignments_along(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    define(&*store, acme.id, &role("sales", None)).await;
    define(&*store, acme.id, &role("ops", None)).await;
    let ann = create(&*store, user_in(acme.id, "ann@x.example")).await;
    give(&*store, &ann, "sales").await;
    give(&*store, &ann, "ops").await;
    let refused = store
        .delete_role(
            acme.id,
            &name("sales"),
            false,
            draft(Some(acme.id), "role.delete", T0),
        )
        .await
        .expect_err("held");
    assert_eq!(refused.code(), ErrorCode::RoleInUse);
    assert_eq!(held(&*store, &ann).await, vec!["ops", "sales"]);
    let removed = store
        .delete_role(
            acme.id,
            &name("Sales"),
            true,
            draft(Some(acme.id), "role.delete", T0),
        )
        .await
        .expect("forced");
    assert_eq!(removed, 1);
    assert_eq!(held(&*store, &ann).await, vec!["ops"]);
    assert_eq!(
        last_event(&*store, acme.id).await["details"]["removed_assignments"],
        1
    );
    let gone = store
        .delete_role(
            acme.id,
            &name("sales"),
            true,
            draft(Some(acme.id), "role.delete", T0),
        )
        .await
        .expect_err("deleted already");
    assert_eq!(gone.code(), Missing::Role.code());
}

pub async fn deleting_a_user_removes_their_assignments(store: Arc<dyn Store>) {
    let acme = tenant(&*store, "acme").await;
    define(&*store, acme.id, &role("sales", None)).await;
    let ann = create(&*store, user_in(acme.id, "ann@x.example")).await;
    give(&*store, &ann, "sales").await;
    delete(&*store, acme.id, ann.id).await;
    let listed = store.list_roles(acme.id).await.expect("list");
    assert_eq!(listed[0].1, 0, "nobody holds the role any more");
    let gone = store
        .user_roles(acme.id, ann.id)
        .await
        .expect_err("no such user");
    assert_eq!(gone.code(), Missing::User.code());
    store
        .delete_role(
            acme.id,
            &name("sales"),
            false,
            draft(Some(acme.id), "role.delete", T0),
        )
        .await
        .expect("no holder left: no force needed");
}

pub async fn the_roles_of_a_page_of_users_are_read_at_once_by_user_and_by_name(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let ann = create(&*store, user_in(acme.id, "ann@x.example")).await;
    let bob = create(&*store, user_in(acme.id, "bob@x.example")).await;
    let cid = create(&*store, user_in(acme.id, "cid@x.example")).await;
    let stranger = create(&*store, user_in(other.id, "s@x.example")).await;
    let none = store
        .role_names_of(acme.id, &[ann.id, bob.id])
        .await
        .expect("role_names_of");
    assert!(none.is_empty(), "nobody holds a role yet");
    for r in ["sales", "Audit"] {
        define(&*store, acme.id, &role(r, None)).await;
    }
    define(&*store, other.id, &role("sales", None)).await;
    give(&*store, &ann, "sales").await;
    give(&*store, &ann, "Audit").await;
    give(&*store, &ann, "helpdesk").await;
    give(&*store, &cid, "sales").await;
    give(&*store, &stranger, "sales").await;
    let names = store
        .role_names_of(acme.id, &[ann.id, bob.id, cid.id, stranger.id])
        .await
        .expect("role_names_of");
    let as_text = |id| -> Vec<&str> {
        names
            .get(&id)
            .map(|v| v.iter().map(RoleName::as_str).collect())
            .unwrap_or_default()
    };
    assert_eq!(as_text(ann.id), ["Audit", "helpdesk", "sales"]);
    assert_eq!(as_text(cid.id), ["sales"]);
    assert!(!names.contains_key(&bob.id), "bob holds none");
    assert!(
        !names.contains_key(&stranger.id),
        "another tenant's user is not read"
    );
    assert!(
        store
            .role_names_of(acme.id, &[])
            .await
            .expect("none asked")
            .is_empty()
    );
}

pub async fn a_user_write_gives_and_takes_a_tenant_role_as_its_effect_and_never_a_built_in_one(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    define(&*store, acme.id, &role("sales", None)).await;
    let ann = create(&*store, user_in(acme.id, "ann@x.example")).await;
    let change = |c: RoleChange, action: &'static str| UserWrite {
        tenant_id: acme.id,
        user_id: ann.id,
        if_match: None,
        now: T0,
        mutation: Box::new(move |_| {
            Ok(Effects {
                roles: RoleWrites::one(c),
                ..Effects::default()
            })
        }),
        audit: user_draft(acme.id, ann.id, action, T0),
    };
    let sales = || name("Sales");
    for (c, action, want, changed) in [
        (
            RoleChange::Assign(sales()),
            "user.role_assign",
            vec!["sales"],
            true,
        ),
        (
            RoleChange::Assign(sales()),
            "user.role_assign",
            vec!["sales"],
            false,
        ),
        (
            RoleChange::Assign(name("helpdesk")),
            "user.role_assign",
            vec!["sales"],
            false,
        ),
        (
            RoleChange::Remove(sales()),
            "user.role_remove",
            vec![],
            true,
        ),
        (
            RoleChange::Remove(sales()),
            "user.role_remove",
            vec![],
            false,
        ),
    ] {
        let before = ann_version(&*store, &ann).await;
        store
            .modify_user(change(c.clone(), action))
            .await
            .expect("modify_user");
        assert_eq!(held(&*store, &ann).await, want, "{c:?}");
        let event = last_event(&*store, acme.id).await;
        assert_eq!(event["details"]["role_changed"], changed, "{c:?}");
        assert_eq!(
            ann_version(&*store, &ann).await,
            before,
            "a role is no field of the user: no new version"
        );
    }
}

async fn ann_version(store: &dyn Store, u: &User) -> i64 {
    store
        .get_user(u.tenant_id, u.id)
        .await
        .expect("get_user")
        .expect("found")
        .version
}

pub async fn a_tenants_own_role_is_found_by_name_ignoring_case_and_a_built_in_one_is_not(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    define(&*store, acme.id, &role("Sales", Some("Sales team"))).await;
    define(&*store, other.id, &role("theirs", None)).await;
    let ann = create(&*store, user_in(acme.id, "ann@x.example")).await;
    give(&*store, &ann, "helpdesk").await;
    let found = store
        .find_role(acme.id, &name("sALES"))
        .await
        .expect("find_role");
    assert_eq!(
        found.map(|r| (r.name.as_str().to_owned(), r.description)),
        Some(("Sales".to_owned(), Some("Sales team".to_owned())))
    );
    for missing in ["helpdesk", "theirs", "nobody"] {
        let found = store
            .find_role(acme.id, &name(missing))
            .await
            .expect("find_role");
        assert_eq!(found, None, "{missing}");
    }
}
