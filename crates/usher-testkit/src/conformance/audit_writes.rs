//! Every write records exactly one audit event of its outcome, and chains
//! stay gapless under concurrent writers.

use super::audit::audit_query;
use super::changes::{edit, write};
use super::fixtures::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use usher_core::attribute::{AttributeDefinition, AttributeName};
use usher_core::error::{Error, ErrorCode};
use usher_core::store::Effects;
use usher_core::tenant::{NewTenant, TenantSettings, TenantSlug};
use usher_core::token::{ApiToken, Secret, TokenScope};
use usher_core::user::UserState;
use usher_core::{Id, Store, TenantId};

pub async fn every_write_records_exactly_one_event_of_its_outcome(store: Arc<dyn Store>) {
    let global_before = chain_len(&*store, Id::nil()).await;
    let new = |slug: &str| NewTenant {
        slug: TenantSlug::parse(slug).expect("slug"),
        name: slug.to_owned(),
    };
    let t = store
        .create_tenant(new("acme"), T0, draft(None, "w.create_tenant", T0))
        .await
        .expect("create tenant");
    let _ = store
        .create_tenant(new("acme"), T0, draft(None, "w.create_tenant_again", T0))
        .await;
    let tk = |name: &str, tenant: Option<TenantId>, secret: &str| ApiToken {
        id: Id::generate(),
        tenant_id: tenant,
        scope: TokenScope::Admin,
        admin_role: None,
        name: name.to_owned(),
        hash: Secret::from_string(secret.to_owned()).hash(),
        created_at: T0,
        expires_at: None,
        created_by: None,
        last_used_at: None,
        owner_id: None,
        admin_scope: None,
    };
    store
        .create_token(
            tk("root", None, "s-root"),
            draft(None, "w.create_super_token", T0),
        )
        .await
        .expect("token");
    store
        .replace_named_super_token(
            tk("bootstrap", None, "s-boot"),
            draft(None, "w.bootstrap", T0),
        )
        .await
        .expect("bootstrap");
    store
        .create_token(
            tk("ops", Some(t.id), "s-ops"),
            draft(Some(t.id), "w.create_tenant_token", T0),
        )
        .await
        .expect("token");
    store
        .update_tenant_settings(
            t.id,
            TenantSettings::default(),
            draft(Some(t.id), "w.settings", T0),
        )
        .await
        .expect("settings");
    let def = AttributeDefinition {
        name: AttributeName::parse("name", "dept").expect("name"),
        label: "Dept".into(),
        max_length: 10,
        regex: None,
        created_at: T0,
    };
    store
        .create_attribute(
            t.id,
            def.clone(),
            draft(Some(t.id), "w.create_attribute", T0),
        )
        .await
        .expect("attribute");
    let _ = store
        .create_attribute(t.id, def, draft(Some(t.id), "w.create_attribute_again", T0))
        .await;
    let u = UserBuilder::new(t.id, "ann@example.com")
        .attr("dept", "IT")
        .pending_until(at(60))
        .build();
    let u = store
        .create_user(
            u.clone(),
            Effects {
                new_link: Some(invitation(at(60))),
                ..Effects::default()
            },
            draft(Some(t.id), "w.create_user", T0),
        )
        .await
        .expect("user");
    let batch = vec![
        UserBuilder::new(t.id, "b1@example.com").build(),
        UserBuilder::new(t.id, "b2@example.com").active().build(),
    ];
    store
        .insert_users(t.id, batch, draft(Some(t.id), "w.insert_users", T0))
        .await
        .expect("batch");
    let clash = vec![
        UserBuilder::new(t.id, "b3@example.com").build(),
        UserBuilder::new(t.id, "B1@example.com").build(),
    ];
    let _ = store
        .insert_users(t.id, clash, draft(Some(t.id), "w.insert_users_again", T0))
        .await;
    let mut w = edit(&u, Some(1), at(1), "x", |u| u.first_name = None);
    w.audit = draft(Some(t.id), "w.modify_noop", at(1));
    store.modify_user(w).await.expect("no-op");
    let mut w = write(t.id, u.id, Some(1), at(2), "x", |u| {
        u.stored_state = UserState::Disabled;
        u.invitation_expires_at = None;
        Ok(Effects {
            revoke_access: true,
            new_link: None,
            ..Effects::default()
        })
    });
    w.audit = draft(Some(t.id), "w.modify_disable", at(2));
    store.modify_user(w).await.expect("disable");
    let mut w = edit(&u, Some(1), at(3), "x", |u| u.first_name = None);
    w.audit = draft(Some(t.id), "w.modify_stale", at(3));
    let _ = store.modify_user(w).await;
    let refuse =
        |_: &mut usher_core::user::User| Err(Error::conflict(ErrorCode::AlreadyDisabled, "no"));
    let mut w = write(t.id, u.id, None, at(3), "x", refuse);
    w.audit = draft(Some(t.id), "w.modify_refused", at(3));
    let _ = store.modify_user(w).await;
    let _ = store
        .delete_user(
            t.id,
            u.id,
            None,
            Box::new(|_| Err(Error::conflict(ErrorCode::NotDisabled, "no"))),
            draft(Some(t.id), "w.delete_guarded", at(4)),
        )
        .await;
    let _ = store
        .delete_attribute(
            t.id,
            &parse_attribute("dept"),
            false,
            at(4),
            draft(Some(t.id), "w.delete_attribute_in_use", at(4)),
        )
        .await;
    store
        .delete_attribute(
            t.id,
            &parse_attribute("dept"),
            true,
            at(4),
            draft(Some(t.id), "w.delete_attribute_purge", at(4)),
        )
        .await
        .expect("purge");
    store
        .delete_user(
            t.id,
            u.id,
            None,
            Box::new(|_| Ok(())),
            draft(Some(t.id), "w.delete_user", at(5)),
        )
        .await
        .expect("delete");
    store
        .append_audit(draft(Some(t.id), "w.append", at(6)))
        .await
        .expect("append");
    // Reads record nothing of their own.
    store.get_user(t.id, u.id).await.expect("read");
    store
        .user_by_email(t.id, &parse_email("b1@example.com"))
        .await
        .expect("read");
    store.list_users(t.id, &query(at(6))).await.expect("read");
    store.list_attributes(t.id).await.expect("read");
    store.list_tenants().await.expect("read");
    store
        .tenant_by_slug(&parse_slug("acme"))
        .await
        .expect("read");
    store
        .token_by_hash(&Secret::from_string("s-root".into()).hash())
        .await
        .expect("read");
    store.list_audit(t.id, &audit_query(5)).await.expect("read");
    store.audit_heads().await.expect("read");

    let outcome = |e: &serde_json::Value| (summary(e).0, summary(e).1, summary(e).2);
    let s = |a: &str| (a.to_owned(), "success".to_owned(), None);
    let r = |a: &str, why: &str| (a.to_owned(), "refused".to_owned(), Some(why.to_owned()));
    let global: Vec<_> = events_since(&*store, Id::nil(), global_before)
        .await
        .iter()
        .map(outcome)
        .collect();
    assert_eq!(
        global,
        vec![
            s("w.create_tenant"),
            r("w.create_tenant_again", "slug_taken"),
            s("w.create_super_token"),
            s("w.bootstrap"),
        ]
    );
    let local: Vec<_> = chain_events(&*store, t.id)
        .await
        .iter()
        .map(outcome)
        .collect();
    assert_eq!(
        local,
        vec![
            s("w.create_tenant_token"),
            s("w.settings"),
            s("w.create_attribute"),
            r("w.create_attribute_again", "attribute_exists"),
            s("w.create_user"),
            s("w.insert_users"),
            r("w.insert_users_again", "email_taken"),
            s("w.modify_noop"),
            s("w.modify_disable"),
            r("w.modify_stale", "version_mismatch"),
            r("w.modify_refused", "already_disabled"),
            r("w.delete_guarded", "not_disabled"),
            r("w.delete_attribute_in_use", "attribute_in_use"),
            s("w.delete_attribute_purge"),
            s("w.delete_user"),
            s("w.append"),
        ]
    );
    verify_all_chains(&*store).await;
}

pub async fn concurrent_writes_keep_every_chain_gapless_and_verifiable(store: Arc<dyn Store>) {
    let a = tenant(&*store, "acme").await;
    let b = tenant(&*store, "bravo").await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = store.clone();
        let tenant = if i % 2 == 0 { a.id } else { b.id };
        tasks.push(tokio::spawn(async move {
            if i % 4 < 2 {
                let u = UserBuilder::new(tenant, &format!("c{i}@example.com")).build();
                let d = user_draft(tenant, u.id, "user.create", T0);
                store
                    .create_user(u, Effects::default(), d)
                    .await
                    .map(|_| ())
            } else {
                store
                    .append_audit(draft(Some(tenant), "test.concurrent", T0))
                    .await
                    .map_err(Error::from)
            }
        }));
    }
    for task in tasks {
        task.await
            .expect("the task ran")
            .expect("the write succeeded");
    }
    for t in [a.id, b.id] {
        let events = chain_events(&*store, t).await;
        assert_eq!(events.len(), 20);
        let seqs: Vec<i64> = events
            .iter()
            .map(|e| e["seq"].as_i64().unwrap_or(0))
            .collect();
        assert_eq!(seqs, (1..=20).collect::<Vec<i64>>());
        let mut by_action: BTreeMap<String, usize> = BTreeMap::new();
        for e in &events {
            *by_action.entry(summary(e).0).or_default() += 1;
        }
        assert_eq!(by_action.get("user.create"), Some(&10));
        assert_eq!(by_action.get("test.concurrent"), Some(&10));
    }
    verify_all_chains(&*store).await;
}

pub async fn sealing_while_writers_write_puts_each_event_in_its_chain_once(store: Arc<dyn Store>) {
    let a = tenant(&*store, "acme").await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            if i % 10 == 0 {
                // A sealer among the writers (the job, or a reader).
                store.seal_audit().await.map(|_| ()).map_err(Error::from)
            } else {
                store
                    .append_audit(draft(Some(a.id), "test.sealed", T0))
                    .await
                    .map_err(Error::from)
            }
        }));
    }
    for task in tasks {
        task.await
            .expect("the task ran")
            .expect("the write or seal succeeded");
    }
    store.seal_audit().await.expect("sealing succeeded");
    assert_eq!(
        store.seal_audit().await.expect("sealing succeeded"),
        0,
        "a second seal finds nothing left"
    );
    let head = store
        .audit_heads()
        .await
        .expect("heads")
        .into_iter()
        .find(|h| h.chain == a.id)
        .expect("the tenant's chain has a head");
    let events = chain_events(&*store, a.id).await;
    assert_eq!(head.seq, events.len() as i64);
    let sealed = events
        .iter()
        .filter(|e| summary(e).0 == "test.sealed")
        .count();
    assert_eq!(sealed, 54);
    verify_all_chains(&*store).await;
}
