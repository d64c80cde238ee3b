//! Cases for roles set with a user's other data (SCIM, imports): several
//! changes in one user write, each made one recorded as its own event when
//! asked, built-in admin roles and vanished roles left alone, no new
//! version; roles given with a new user and by import entries; and the
//! search condition on the roles a user holds.

use super::fixtures::*;
use serde_json::json;
use std::sync::Arc;
use usher_core::Store;
use usher_core::role::{Role, RoleName, ScopeGrant};
use usher_core::scim::query::{Cond, SortKey, UserSearch};
use usher_core::store::{Effects, ImportEntry, ImportMode, RoleChange, RoleWrites, UserWrite};
use usher_core::user::User;

fn name(n: &str) -> RoleName {
    RoleName::parse("name", n).expect("a valid name")
}

async fn define(store: &dyn Store, tenant: usher_core::TenantId, names: &[&str]) {
    for n in names {
        let role = Role {
            name: name(n),
            description: None,
            created_at: T0,
        };
        store
            .create_role(tenant, role, draft(Some(tenant), "role.create", T0))
            .await
            .expect("create_role");
    }
}

async fn give(store: &dyn Store, user: &User, role: &str) {
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
        .expect("assign_role");
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

/// The events of a tenant's chain after the first `skip`: `(action, role)`.
async fn role_events(
    store: &dyn Store,
    tenant: usher_core::TenantId,
    skip: usize,
) -> Vec<(String, Option<String>)> {
    events_since(store, tenant, skip)
        .await
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["details"]["role"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// The template of the events of each change made to `user`'s roles.
fn each_change_audited(user: &User) -> usher_core::audit::AuditDraft {
    user_draft(user.tenant_id, user.id, "user.role_assign", at(5)).details(json!({"via": "scim"}))
}

pub async fn a_user_write_sets_several_roles_and_records_each_change_made_as_its_own_event(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    define(&*store, acme.id, &["sales", "ops", "eu", "gone"]).await;
    let ann = create(&*store, UserBuilder::new(acme.id, "ann@x.example").build()).await;
    give(&*store, &ann, "ops").await;
    give(&*store, &ann, "helpdesk").await;
    // Deleted after the service checked it: the write leaves it alone.
    store
        .delete_role(
            acme.id,
            &name("gone"),
            false,
            draft(Some(acme.id), "role.delete", T0),
        )
        .await
        .expect("delete_role");
    let before = chain_len(&*store, acme.id).await;
    let roles = RoleWrites {
        changes: vec![
            RoleChange::Assign(name("Sales")),
            RoleChange::Remove(name("ops")),
            RoleChange::Assign(name("eu")),
            RoleChange::Remove(name("helpdesk")),
            RoleChange::Assign(name("gone")),
            RoleChange::Remove(name("sales.eu")),
        ],
        events: Some(each_change_audited(&ann)),
    };
    let write = UserWrite {
        tenant_id: acme.id,
        user_id: ann.id,
        if_match: Some(ann.version),
        now: at(5),
        mutation: Box::new(move |_| {
            Ok(Effects {
                roles,
                ..Effects::default()
            })
        }),
        audit: user_draft(acme.id, ann.id, "user.update", at(5)),
    };
    let after = store.modify_user(write).await.expect("modify_user");
    assert_eq!(held(&*store, &ann).await, ["eu", "helpdesk", "sales"]);
    assert_eq!(
        (after.version, after.updated_at),
        (ann.version, ann.updated_at),
        "a role is no field of the user: no new version"
    );
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        role_events(&*store, acme.id, before).await,
        [
            // Found ignoring case; the event names it as the write does.
            ("user.role_assign".to_owned(), some("Sales")),
            ("user.role_remove".to_owned(), some("ops")),
            ("user.role_assign".to_owned(), some("eu")),
            ("user.update".to_owned(), None),
        ]
    );
    let events = events_since(&*store, acme.id, before).await;
    assert_eq!(events[0]["details"]["via"], "scim");
    assert_eq!(events[0]["target"]["id"], ann.id.to_string());
    let update = &events[3]["details"];
    assert_eq!(
        (
            &update["role_changed"],
            &update["roles_assigned"],
            &update["roles_removed"]
        ),
        (&json!(true), &json!(2), &json!(1))
    );
}

pub async fn a_new_user_holds_the_roles_its_create_gives_from_the_start(store: Arc<dyn Store>) {
    let acme = tenant(&*store, "acme").await;
    define(&*store, acme.id, &["sales"]).await;
    let bob = UserBuilder::new(acme.id, "bob@x.example").build();
    let before = chain_len(&*store, acme.id).await;
    let effects = Effects {
        roles: RoleWrites {
            changes: vec![RoleChange::Assign(name("sales"))],
            events: Some(each_change_audited(&bob)),
        },
        ..Effects::default()
    };
    store
        .create_user(
            bob.clone(),
            effects,
            user_draft(acme.id, bob.id, "user.create", T0),
        )
        .await
        .expect("create_user");
    assert_eq!(held(&*store, &bob).await, ["sales"]);
    assert_eq!(
        role_events(&*store, acme.id, before).await,
        [
            ("user.role_assign".to_owned(), Some("sales".to_owned())),
            ("user.create".to_owned(), None),
        ]
    );
}

pub async fn import_entries_set_roles_and_their_batch_event_counts_the_changes(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    define(&*store, acme.id, &["sales", "ops"]).await;
    let cy = create(&*store, UserBuilder::new(acme.id, "cy@x.example").build()).await;
    give(&*store, &cy, "ops").await;
    let entries = || {
        let new = UserBuilder::new(acme.id, "dee@x.example")
            .created_at(at(3))
            .build();
        let made = Effects {
            roles: RoleWrites {
                changes: vec![
                    RoleChange::Assign(name("sales")),
                    RoleChange::Assign(name("ops")),
                ],
                events: None,
            },
            ..Effects::default()
        };
        // Cy's row changes only roles: the user is written as stored.
        let taken = Effects {
            roles: RoleWrites {
                changes: vec![RoleChange::Remove(name("ops"))],
                events: None,
            },
            ..Effects::default()
        };
        vec![
            ImportEntry::new(2, new, None, None, None, made, at(3)),
            ImportEntry::new(3, cy.clone(), Some(cy.version), None, None, taken, at(3)),
        ]
    };
    let dry = ImportMode {
        dry_run: true,
        skip_refused: false,
    };
    let batch = || draft(Some(acme.id), "user.import", at(3));
    let refused = store
        .import_users(acme.id, entries(), dry, batch(), None)
        .await
        .expect("a dry run");
    assert!(refused.is_empty());
    assert_eq!(
        held(&*store, &cy).await,
        ["ops"],
        "a dry run writes nothing"
    );
    let refused = store
        .import_users(acme.id, entries(), ImportMode::default(), batch(), None)
        .await
        .expect("the batch");
    assert!(refused.is_empty(), "{refused:?}");
    let dee = store
        .user_by_email(acme.id, &parse_email("dee@x.example"))
        .await
        .expect("user_by_email")
        .expect("created");
    assert_eq!(held(&*store, &dee).await, ["ops", "sales"]);
    assert!(held(&*store, &cy).await.is_empty());
    let stored = store
        .get_user(acme.id, cy.id)
        .await
        .expect("get_user")
        .expect("found");
    assert_eq!(stored.version, cy.version);
    let event = last_event(&*store, acme.id).await;
    assert_eq!(event["action"], "user.import");
    assert_eq!(
        (
            &event["details"]["roles_assigned"],
            &event["details"]["roles_removed"]
        ),
        (&json!(2), &json!(1))
    );
}

pub async fn a_role_condition_selects_the_holders_of_a_tenant_role_and_never_of_an_admin_role(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    define(&*store, acme.id, &["Sales", "ops"]).await;
    define(&*store, other.id, &["sales"]).await;
    let ann = create(&*store, UserBuilder::new(acme.id, "ann@x.example").build()).await;
    let bob = create(&*store, UserBuilder::new(acme.id, "bob@x.example").build()).await;
    let cy = create(&*store, UserBuilder::new(acme.id, "cy@x.example").build()).await;
    let theirs = create(&*store, UserBuilder::new(other.id, "ann@x.example").build()).await;
    give(&*store, &ann, "sales").await;
    give(&*store, &bob, "ops").await;
    give(&*store, &cy, "helpdesk").await;
    give(&*store, &theirs, "sales").await;
    let emails = |cond: Cond| {
        let store = store.clone();
        async move {
            let q = UserSearch {
                cond,
                sort: SortKey::Id,
                descending: false,
                offset: 0,
                limit: 200,
            };
            let (total, users) = store.search_users(acme.id, &q).await.expect("search");
            let emails: Vec<String> = users.iter().map(|u| u.email.as_str().to_owned()).collect();
            assert_eq!(total as usize, emails.len());
            emails
        }
    };
    assert_eq!(
        emails(Cond::Role(Some("sales".into()))).await,
        ["ann@x.example"]
    );
    assert_eq!(
        emails(Cond::Role(None)).await,
        ["ann@x.example", "bob@x.example"]
    );
    assert_eq!(
        emails(Cond::Not(Box::new(Cond::Role(None)))).await,
        ["cy@x.example"]
    );
    assert!(emails(Cond::Role(Some("helpdesk".into()))).await.is_empty());
}
