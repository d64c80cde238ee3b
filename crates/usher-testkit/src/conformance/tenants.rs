//! Cases for tenants, their settings, and API tokens.

use super::fixtures::*;
use std::sync::Arc;
use usher_core::access::AdminRole;
use usher_core::tenant::{MfaPolicy, NewTenant, TenantSettings, TenantSlug};
use usher_core::token::{ApiToken, BOOTSTRAP_TOKEN_NAME, Secret, TokenScope};
use usher_core::{Id, Store, TenantId};

pub async fn a_store_answers_ping(store: Arc<dyn Store>) {
    store.ping().await.expect("ping");
}

pub async fn a_created_tenant_is_found_by_slug_and_listed_with_default_settings(
    store: Arc<dyn Store>,
) {
    let before = store.list_tenants().await.expect("list");
    let global = chain_len(&*store, Id::nil()).await;
    let new = NewTenant {
        slug: TenantSlug::parse("acme").expect("slug"),
        name: "Acme Ltd".into(),
    };
    let t = store
        .create_tenant(new, T0, draft(None, "tenant.create", T0))
        .await
        .expect("create");
    assert_eq!(t.slug.as_str(), "acme");
    assert_eq!(t.name, "Acme Ltd");
    assert_eq!(t.settings, TenantSettings::default());
    assert_eq!(t.created_at, T0);

    assert_eq!(
        store
            .tenant_by_slug(&parse_slug("acme"))
            .await
            .expect("by slug"),
        Some(t.clone())
    );
    assert_eq!(
        store
            .tenant_by_slug(&parse_slug("acme-2"))
            .await
            .expect("by slug"),
        None
    );
    // An upper-case slug cannot even be asked for: the type refuses it.
    assert!(
        usher_core::tenant::TenantSlug::parse("ACME").is_err(),
        "slugs are lower case"
    );

    let after = store.list_tenants().await.expect("list");
    assert_eq!(after.len(), before.len() + 1);
    assert!(after.contains(&t));

    let events = events_since(&*store, Id::nil(), global).await;
    assert_eq!(events.len(), 1, "one event in the global chain: {events:?}");
    assert_success_event(&events[0], "tenant.create");
    assert_eq!(
        events[0]["target"],
        serde_json::json!({"type": "tenant", "id": t.id}),
        "the event names the tenant the store created"
    );
}

pub async fn creating_a_tenant_with_a_taken_slug_is_refused_and_audited(store: Arc<dyn Store>) {
    let first = tenant(&*store, "acme").await;
    let count = store.list_tenants().await.expect("list").len();
    let global = chain_len(&*store, Id::nil()).await;
    let again = NewTenant {
        slug: TenantSlug::parse("acme").expect("slug"),
        name: "Another Acme".into(),
    };
    refused(
        store
            .create_tenant(again, at(1), draft(None, "tenant.create", at(1)))
            .await,
        "slug_taken",
    );
    assert_eq!(store.list_tenants().await.expect("list").len(), count);
    assert_eq!(
        store
            .tenant_by_slug(&parse_slug("acme"))
            .await
            .expect("by slug"),
        Some(first)
    );
    let events = events_since(&*store, Id::nil(), global).await;
    assert_eq!(
        events.len(),
        1,
        "exactly the refusal is recorded: {events:?}"
    );
    assert_refused_event(&events[0], "tenant.create", "slug_taken");
}

pub async fn tenants_are_listed_with_every_one_created(store: Arc<dyn Store>) {
    let before = store.list_tenants().await.expect("list");
    let mut made = Vec::new();
    for slug in ["zeta", "alpha", "m-1", "0day"] {
        made.push(tenant(&*store, slug).await);
    }
    let after = store.list_tenants().await.expect("list");
    assert_eq!(after.len(), before.len() + made.len());
    for t in &made {
        assert!(after.contains(t), "{} is listed", t.slug);
    }
}

pub async fn updating_tenant_settings_stores_them_and_audits_the_change(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let settings = TenantSettings {
        invitation_ttl_hours: 24,
        reset_ttl_hours: 2,
        password_min_length: 12,
        mfa: MfaPolicy::Required,
        require_disable_before_delete: true,
        min_search_length: 3,
        list_requires_search: true,
        session_idle_timeout_hours: 2,
        admin_idle_timeout_minutes: 15,
        admin_session_hours: 8,
    };
    let before = chain_len(&*store, t.id).await;
    let updated = store
        .update_tenant_settings(
            t.id,
            settings.clone(),
            draft(Some(t.id), "tenant.settings.update", at(1)),
        )
        .await
        .expect("update");
    assert_eq!(updated.id, t.id);
    assert_eq!(updated.slug, t.slug);
    assert_eq!(updated.name, t.name);
    assert_eq!(updated.created_at, t.created_at);
    assert_eq!(updated.settings, settings);
    assert_eq!(
        store
            .tenant_by_slug(&parse_slug("acme"))
            .await
            .expect("by slug"),
        Some(updated.clone())
    );
    assert!(store.list_tenants().await.expect("list").contains(&updated));
    assert_eq!(
        store
            .tenant_by_slug(&parse_slug("other"))
            .await
            .expect("by slug"),
        Some(other),
        "another tenant keeps its settings"
    );
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 1);
    assert_success_event(&events[0], "tenant.settings.update");
}

pub async fn updating_the_settings_of_an_unknown_tenant_is_refused_with_tenant_not_found(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let ghost = TenantId::generate();
    let settings = TenantSettings {
        mfa: MfaPolicy::Required,
        ..TenantSettings::default()
    };
    refused(
        store
            .update_tenant_settings(
                ghost,
                settings,
                draft(Some(ghost), "tenant.settings.update", at(1)),
            )
            .await,
        "tenant_not_found",
    );
    assert_eq!(
        store
            .tenant_by_slug(&parse_slug("acme"))
            .await
            .expect("by slug"),
        Some(t)
    );
}

pub(super) fn token(
    tenant: Option<TenantId>,
    scope: TokenScope,
    name: &str,
    secret: &str,
) -> ApiToken {
    ApiToken {
        id: Id::generate(),
        tenant_id: tenant,
        scope,
        admin_role: None,
        name: name.to_owned(),
        hash: Secret::from_string(secret.to_owned()).hash(),
        created_at: T0,
        expires_at: Some(T0 + time::Duration::days(30)),
        created_by: Some(r#"{"kind":"cli","id":"root","name":"usher CLI (root)"}"#.into()),
        last_used_at: None,
        owner_id: None,
        admin_scope: None,
    }
}

pub(super) fn token_draft(t: &ApiToken, action: &str) -> usher_core::audit::AuditDraft {
    draft(t.tenant_id, action, T0).target("token", t.id)
}

pub async fn a_tenant_token_is_found_by_its_hash_with_every_field(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let before = chain_len(&*store, t.id).await;
    let scim = token(
        Some(t.id),
        TokenScope::Scim,
        "hr-sync",
        "usher_scim_secret-one",
    );
    // The admin token acts with a chosen role, which must come back.
    let admin = ApiToken {
        admin_role: Some(AdminRole::Helpdesk),
        ..token(Some(t.id), TokenScope::Admin, "ops", "usher_at_secret-two")
    };
    store
        .create_token(scim.clone(), token_draft(&scim, "token.create"))
        .await
        .expect("create");
    store
        .create_token(admin.clone(), token_draft(&admin, "token.create"))
        .await
        .expect("create");
    let found = store.token_by_hash(&scim.hash).await.expect("lookup");
    assert_eq!(found, Some(scim.clone()));
    assert!(!scim.is_super_admin());
    assert_eq!(
        store.token_by_hash(&admin.hash).await.expect("lookup"),
        Some(admin.clone())
    );
    assert!(
        !admin.is_super_admin(),
        "a tenant's admin token is no super-admin token"
    );
    assert_eq!(admin.role(), "helpdesk");
    let events = events_since(&*store, t.id, before).await;
    assert_eq!(events.len(), 2);
    for e in &events {
        assert_success_event(e, "token.create");
    }
}

pub async fn a_super_admin_token_belongs_to_no_tenant(store: Arc<dyn Store>) {
    let global = chain_len(&*store, Id::nil()).await;
    let root = token(None, TokenScope::Admin, "root", "usher_at_root-secret");
    store
        .create_token(root.clone(), token_draft(&root, "token.create"))
        .await
        .expect("create");
    let found = store
        .token_by_hash(&root.hash)
        .await
        .expect("lookup")
        .expect("the token is found");
    assert_eq!(found, root);
    assert!(found.is_super_admin());
    let events = events_since(&*store, Id::nil(), global).await;
    assert_eq!(events.len(), 1);
    assert_success_event(&events[0], "token.create");
}

pub async fn an_unknown_hash_finds_no_token(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let known = token(Some(t.id), TokenScope::Admin, "ops", "usher_at_known");
    store
        .create_token(known.clone(), token_draft(&known, "token.create"))
        .await
        .expect("create");
    let other = Secret::from_string("usher_at_unknown".into()).hash();
    assert_eq!(store.token_by_hash(&other).await.expect("lookup"), None);
}

pub async fn creating_a_token_whose_secret_is_in_use_is_refused(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let first = token(Some(t.id), TokenScope::Admin, "first", "usher_at_same");
    store
        .create_token(first.clone(), token_draft(&first, "token.create"))
        .await
        .expect("create");
    let before = chain_len(&*store, Id::nil()).await;
    let second = token(None, TokenScope::Admin, "second", "usher_at_same");
    refused(
        store
            .create_token(second.clone(), token_draft(&second, "token.create"))
            .await,
        "token_exists",
    );
    assert_eq!(
        store.token_by_hash(&first.hash).await.expect("lookup"),
        Some(first)
    );
    let events = events_since(&*store, Id::nil(), before).await;
    assert_eq!(events.len(), 1);
    assert_refused_event(&events[0], "token.create", "token_exists");
}

pub async fn replacing_the_named_super_token_leaves_only_the_new_one(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let other_super = token(None, TokenScope::Admin, "ops", "usher_at_ops");
    let tenant_named_alike = token(
        Some(t.id),
        TokenScope::Admin,
        BOOTSTRAP_TOKEN_NAME,
        "usher_at_tenant",
    );
    store
        .create_token(
            other_super.clone(),
            token_draft(&other_super, "token.create"),
        )
        .await
        .expect("create");
    store
        .create_token(
            tenant_named_alike.clone(),
            token_draft(&tenant_named_alike, "token.create"),
        )
        .await
        .expect("create");
    let global = chain_len(&*store, Id::nil()).await;

    let a = token(
        None,
        TokenScope::Admin,
        BOOTSTRAP_TOKEN_NAME,
        "bootstrap-secret-one",
    );
    store
        .replace_named_super_token(a.clone(), token_draft(&a, "token.bootstrap"))
        .await
        .expect("first install");
    assert_eq!(
        store.token_by_hash(&a.hash).await.expect("lookup"),
        Some(a.clone())
    );

    let mut b = token(
        None,
        TokenScope::Admin,
        BOOTSTRAP_TOKEN_NAME,
        "bootstrap-secret-two",
    );
    b.created_at = at(60);
    store
        .replace_named_super_token(b.clone(), token_draft(&b, "token.bootstrap"))
        .await
        .expect("replacement");
    assert_eq!(
        store.token_by_hash(&a.hash).await.expect("lookup"),
        None,
        "the older token is gone"
    );
    assert_eq!(store.token_by_hash(&b.hash).await.expect("lookup"), Some(b));
    assert_eq!(
        store
            .token_by_hash(&other_super.hash)
            .await
            .expect("lookup"),
        Some(other_super),
        "a super token of another name stays"
    );
    assert_eq!(
        store
            .token_by_hash(&tenant_named_alike.hash)
            .await
            .expect("lookup"),
        Some(tenant_named_alike),
        "a tenant token of the same name stays"
    );
    let events = events_since(&*store, Id::nil(), global).await;
    assert_eq!(events.len(), 2);
    for e in &events {
        assert_success_event(e, "token.bootstrap");
    }
}

pub async fn replacing_the_named_super_token_with_the_same_secret_keeps_the_stored_one(
    store: Arc<dyn Store>,
) {
    let a = token(
        None,
        TokenScope::Admin,
        BOOTSTRAP_TOKEN_NAME,
        "bootstrap-secret-one",
    );
    store
        .replace_named_super_token(a.clone(), token_draft(&a, "token.bootstrap"))
        .await
        .expect("first install");
    let global = chain_len(&*store, Id::nil()).await;
    // A restart with the same USHER_BOOTSTRAP_TOKEN: a new id, the same secret.
    let mut again = token(
        None,
        TokenScope::Admin,
        BOOTSTRAP_TOKEN_NAME,
        "bootstrap-secret-one",
    );
    again.created_at = at(60);
    store
        .replace_named_super_token(again.clone(), token_draft(&again, "token.bootstrap"))
        .await
        .expect("second install");
    assert_eq!(
        store.token_by_hash(&a.hash).await.expect("lookup"),
        Some(a),
        "the token first stored is kept unchanged"
    );
    let events = events_since(&*store, Id::nil(), global).await;
    assert_eq!(events.len(), 1);
    assert_success_event(&events[0], "token.bootstrap");
}
