//! Cases for custom attribute definitions: creating them (names unique
//! ignoring case), and deleting them, refused while values exist unless
//! the values are purged too.

use super::changes::edit;
use super::fixtures::*;
use std::sync::Arc;
use usher_core::attribute::{AttributeDefinition, AttributeName};
use usher_core::store::Effects;
use usher_core::{Store, TenantId};

fn definition(name: &str, max_length: u16, regex: Option<&str>) -> AttributeDefinition {
    AttributeDefinition {
        name: AttributeName::parse("name", name).expect("a valid name"),
        label: format!("The {name}"),
        max_length,
        regex: regex.map(str::to_owned),
        created_at: at(1),
    }
}

async fn listed(store: &dyn Store, tenant: TenantId) -> Vec<AttributeDefinition> {
    let mut defs = store
        .list_attributes(tenant)
        .await
        .expect("list attributes");
    defs.sort_by_key(|d| d.name.key());
    defs
}

pub async fn a_created_attribute_is_listed_with_every_field(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    assert_eq!(listed(&*store, t.id).await, vec![]);
    let before = chain_len(&*store, t.id).await;
    let dept = definition("Department", 40, Some("[A-Z][a-z]+"));
    let cost = definition("cost_center", 1000, None);
    for d in [&dept, &cost] {
        store
            .create_attribute(
                t.id,
                d.clone(),
                draft(Some(t.id), "attribute.create", at(1)),
            )
            .await
            .expect("create");
    }
    assert_eq!(listed(&*store, t.id).await, vec![cost, dept]);
    assert_eq!(
        listed(&*store, other.id).await,
        vec![],
        "another tenant has none"
    );
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 2);
    for e in &events {
        assert_success_event(e, "attribute.create");
    }
}

pub async fn an_attribute_name_differing_only_in_case_is_refused_with_attribute_exists(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let dept = definition("Department", 40, None);
    store
        .create_attribute(
            t.id,
            dept.clone(),
            draft(Some(t.id), "attribute.create", at(1)),
        )
        .await
        .expect("create");
    let before = chain_len(&*store, t.id).await;
    refused(
        store
            .create_attribute(
                t.id,
                definition("DEPARTMENT", 10, None),
                draft(Some(t.id), "attribute.create", at(2)),
            )
            .await,
        "attribute_exists",
    );
    assert_eq!(listed(&*store, t.id).await, vec![dept]);
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_refused_event(&events[0], "attribute.create", "attribute_exists");

    let other = tenant(&*store, "other").await;
    store
        .create_attribute(
            other.id,
            definition("department", 10, None),
            draft(Some(other.id), "attribute.create", at(2)),
        )
        .await
        .expect("the same name in another tenant is fine");
}

pub async fn deleting_an_attribute_in_use_is_refused_with_attribute_in_use(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let dept = define_attribute(&*store, t.id, "department").await;
    let holder = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com")
            .attr("department", "Sales")
            .build(),
    )
    .await;
    let before = chain_len(&*store, t.id).await;
    refused(
        store
            .delete_attribute(
                t.id,
                &parse_attribute("department"),
                false,
                at(5),
                draft(Some(t.id), "attribute.delete", at(5)),
            )
            .await,
        "attribute_in_use",
    );
    assert_eq!(listed(&*store, t.id).await, vec![dept]);
    assert_eq!(
        store.get_user(t.id, holder.id).await.expect("get"),
        Some(holder)
    );
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_refused_event(&events[0], "attribute.delete", "attribute_in_use");
}

pub async fn deleting_an_unused_attribute_removes_only_its_definition(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    define_attribute(&*store, t.id, "department").await;
    let kept = define_attribute(&*store, t.id, "cost_center").await;
    let holder = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com")
            .attr("cost_center", "42")
            .build(),
    )
    .await;
    let before = chain_len(&*store, t.id).await;
    let n = store
        .delete_attribute(
            t.id,
            &parse_attribute("department"),
            false,
            at(5),
            draft(Some(t.id), "attribute.delete", at(5)),
        )
        .await
        .expect("delete");
    assert_eq!(n, 0);
    assert_eq!(listed(&*store, t.id).await, vec![kept]);
    assert_eq!(
        store.get_user(t.id, holder.id).await.expect("get"),
        Some(holder)
    );
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_success_event(&events[0], "attribute.delete");
}

pub async fn purging_an_attribute_removes_its_values_and_bumps_only_the_holders_versions(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    define_attribute(&*store, t.id, "department").await;
    let cost = define_attribute(&*store, t.id, "cost_center").await;
    let mut holders = Vec::new();
    for (i, email) in ["a@example.com", "b@example.com", "c@example.com"]
        .into_iter()
        .enumerate()
    {
        let mut b = UserBuilder::new(t.id, email).attr("department", &format!("Dept{i}"));
        if i == 0 {
            b = b.attr("cost_center", "42");
        }
        holders.push(create(&*store, b.build()).await);
    }
    let bystanders = [
        create(
            &*store,
            UserBuilder::new(t.id, "d@example.com")
                .attr("cost_center", "7")
                .build(),
        )
        .await,
        create(&*store, UserBuilder::new(t.id, "e@example.com").build()).await,
    ];
    let before = chain_len(&*store, t.id).await;
    let n = store
        .delete_attribute(
            t.id,
            &parse_attribute("department"),
            true,
            at(30),
            draft(Some(t.id), "attribute.delete", at(30)),
        )
        .await
        .expect("purge");
    assert_eq!(n, 3, "three values purged");
    for h in &holders {
        let mut want = h.clone();
        want.attributes.remove("department");
        want.version = h.version + 1;
        want.updated_at = at(30);
        assert_eq!(store.get_user(t.id, h.id).await.expect("get"), Some(want));
    }
    for b in &bystanders {
        assert_eq!(
            store.get_user(t.id, b.id).await.expect("get").as_ref(),
            Some(b),
            "a bystander is untouched"
        );
    }
    assert_eq!(listed(&*store, t.id).await, vec![cost]);
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1, "one event records the purge");
    assert_success_event(&events[0], "attribute.delete");

    let late = UserBuilder::new(t.id, "late@example.com")
        .attr("department", "X")
        .build();
    refused(
        store
            .create_user(
                late.clone(),
                Effects::default(),
                user_draft(t.id, late.id, "user.create", at(31)),
            )
            .await,
        "unknown_attribute",
    );
    // Defining the name again brings no value back.
    define_attribute(&*store, t.id, "department").await;
    for h in &holders {
        let u = store
            .get_user(t.id, h.id)
            .await
            .expect("get")
            .expect("found");
        assert!(!u.attributes.contains_key("department"));
    }
    let n = store
        .delete_attribute(
            t.id,
            &parse_attribute("department"),
            false,
            at(32),
            draft(Some(t.id), "attribute.delete", at(32)),
        )
        .await
        .expect("nothing holds the new definition");
    assert_eq!(n, 0);
}

pub async fn deleting_an_unknown_attribute_is_refused_with_attribute_not_found(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    define_attribute(&*store, other.id, "department").await;
    let before = chain_len(&*store, t.id).await;
    refused(
        store
            .delete_attribute(
                t.id,
                &parse_attribute("department"),
                true,
                at(5),
                draft(Some(t.id), "attribute.delete", at(5)),
            )
            .await,
        "attribute_not_found",
    );
    assert_eq!(
        listed(&*store, other.id).await.len(),
        1,
        "another tenant's definition stays"
    );
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_refused_event(&events[0], "attribute.delete", "attribute_not_found");
}

pub async fn an_edit_adding_a_value_of_an_undefined_attribute_is_refused(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    define_attribute(&*store, t.id, "department").await;
    let u = create(
        &*store,
        UserBuilder::new(t.id, "ann@example.com")
            .attr("department", "Sales")
            .build(),
    )
    .await;
    refused(
        store
            .modify_user(edit(&u, None, at(1), "user.update", |u| {
                u.attributes.insert("ghost".into(), "boo".into());
            }))
            .await,
        "unknown_attribute",
    );
    assert_eq!(
        store.get_user(t.id, u.id).await.expect("get"),
        Some(u.clone())
    );
    let changed = store
        .modify_user(edit(&u, None, at(2), "user.update", |u| {
            u.attributes.insert("department".into(), "Marketing".into());
        }))
        .await
        .expect("a defined attribute may change");
    assert_eq!(
        changed.attributes.get("department").map(String::as_str),
        Some("Marketing")
    );
}
