//! Cases for the lifecycle of API tokens: listing, revoking, the bootstrap
//! token's removal, the record of last use, and the admin scope a token
//! acts on, which goes with its group.

use super::fixtures::*;
use super::tenants::{token, token_draft};
use std::sync::Arc;
use usher_core::error::{Error, ErrorCode, Missing};
use usher_core::group::{Group, GroupName, GroupWrite};
use usher_core::scope::AdminScope;
use usher_core::token::{ApiToken, BOOTSTRAP_TOKEN_NAME, Secret, TokenScope};
use usher_core::{Id, Store, TenantId};

async fn create_all(store: &dyn Store, tokens: &[&ApiToken]) {
    for t in tokens {
        store
            .create_token((*t).clone(), token_draft(t, "token.create"))
            .await
            .expect("create");
    }
}

pub async fn tokens_are_listed_per_tenant_oldest_first_and_super_admin_tokens_apart(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let mut first = token(Some(acme.id), TokenScope::Admin, "ops", "s-1");
    first.created_at = T0;
    let mut second = token(Some(acme.id), TokenScope::Scim, "hr", "s-2");
    second.created_at = T0 + time::Duration::seconds(1);
    second.expires_at = None;
    let foreign = token(Some(other.id), TokenScope::Admin, "theirs", "s-3");
    let root = token(None, TokenScope::Admin, "root", "s-4");
    create_all(&*store, &[&second, &first, &foreign, &root]).await;
    let listed = store.list_tokens(Some(acme.id)).await.expect("list");
    assert_eq!(
        listed,
        vec![first, second],
        "the tenant's own, oldest first, every field"
    );
    assert_eq!(
        store.list_tokens(Some(other.id)).await.expect("list"),
        vec![foreign]
    );
    assert_eq!(store.list_tokens(None).await.expect("list"), vec![root]);
}

pub async fn a_revoked_token_is_found_no_more_and_its_revoke_is_audited(store: Arc<dyn Store>) {
    let acme = tenant(&*store, "acme").await;
    let t = token(Some(acme.id), TokenScope::Admin, "ops", "s-1");
    create_all(&*store, &[&t]).await;
    let before = chain_len(&*store, acme.id).await;
    store
        .delete_token(Some(acme.id), t.id, token_draft(&t, "token.revoke"))
        .await
        .expect("revoke");
    assert_eq!(store.token_by_hash(&t.hash).await.expect("lookup"), None);
    assert!(
        store
            .list_tokens(Some(acme.id))
            .await
            .expect("list")
            .is_empty()
    );
    let events = events_since(&*store, acme.id, before).await;
    assert_eq!(events.len(), 1);
    assert_success_event(&events[0], "token.revoke");
    assert_eq!(events[0]["details"]["name"], "ops");
}

pub async fn revoking_another_tenants_token_is_refused_as_not_found_and_changes_nothing(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let theirs = token(Some(other.id), TokenScope::Admin, "theirs", "s-1");
    let root = token(None, TokenScope::Admin, "root", "s-2");
    create_all(&*store, &[&theirs, &root]).await;
    let before = chain_len(&*store, acme.id).await;
    for target in [&theirs, &root] {
        let mut d = token_draft(target, "token.revoke");
        d.tenant_id = Some(acme.id);
        let err = store
            .delete_token(Some(acme.id), target.id, d)
            .await
            .expect_err("not the tenant's token");
        assert!(matches!(err, Error::NotFound(Missing::Token)), "{err:?}");
    }
    let err = store
        .delete_token(None, theirs.id, token_draft(&theirs, "token.revoke"))
        .await
        .expect_err("a tenant's token is no super-admin token");
    assert!(matches!(err, Error::NotFound(Missing::Token)), "{err:?}");
    assert_eq!(
        store.token_by_hash(&theirs.hash).await.expect("lookup"),
        Some(theirs)
    );
    assert_eq!(
        store.token_by_hash(&root.hash).await.expect("lookup"),
        Some(root)
    );
    let events = events_since(&*store, acme.id, before).await;
    assert_eq!(events.len(), 2);
    for e in &events {
        assert_refused_event(e, "token.revoke", "token_not_found");
    }
}

pub async fn the_named_super_token_is_removed_alone_and_audited_only_when_it_existed(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    let boot = token(
        None,
        TokenScope::Admin,
        BOOTSTRAP_TOKEN_NAME,
        "s-boot-0000000000",
    );
    let other_root = token(None, TokenScope::Admin, "root", "s-root");
    let alike = token(
        Some(acme.id),
        TokenScope::Admin,
        BOOTSTRAP_TOKEN_NAME,
        "s-alike",
    );
    create_all(&*store, &[&boot, &other_root, &alike]).await;
    let global = chain_len(&*store, Id::nil()).await;
    let removed = store
        .delete_named_super_token(BOOTSTRAP_TOKEN_NAME, draft(None, "token.revoke", T0))
        .await
        .expect("remove");
    assert!(removed);
    assert_eq!(store.token_by_hash(&boot.hash).await.expect("lookup"), None);
    assert_eq!(
        store.token_by_hash(&other_root.hash).await.expect("lookup"),
        Some(other_root)
    );
    assert_eq!(
        store.token_by_hash(&alike.hash).await.expect("lookup"),
        Some(alike)
    );
    let again = store
        .delete_named_super_token(BOOTSTRAP_TOKEN_NAME, draft(None, "token.revoke", T0))
        .await
        .expect("remove again");
    assert!(!again, "nothing left to remove");
    let events = events_since(&*store, Id::nil(), global).await;
    assert_eq!(events.len(), 1, "only the removal that happened is audited");
    assert_success_event(&events[0], "token.revoke");
}

pub async fn a_tokens_last_use_is_recorded(store: Arc<dyn Store>) {
    let acme = tenant(&*store, "acme").await;
    let t = token(Some(acme.id), TokenScope::Admin, "ops", "s-1");
    create_all(&*store, &[&t]).await;
    let at = T0 + time::Duration::minutes(5);
    store.touch_token(t.id, at).await.expect("touch");
    let found = store
        .token_by_hash(&t.hash)
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(found.last_used_at, Some(at));
    let listed = store.list_tokens(Some(acme.id)).await.expect("list");
    assert_eq!(listed[0].last_used_at, Some(at));
}

/// Tenant acme with the attribute department and an empty group Support;
/// answers three admin tokens of acme made one second apart: scoped to
/// Support, scoped to department Sales, and of the whole tenant.
async fn scoped_tokens(store: &dyn Store) -> (TenantId, Group, [ApiToken; 3]) {
    let acme = tenant(store, "acme").await;
    define_attribute(store, acme.id, "department").await;
    let support = store
        .create_group(
            group(acme.id, "Support", Vec::new()),
            draft(Some(acme.id), "group.create", T0),
        )
        .await
        .expect("create_group");
    let scopes = [
        Some(AdminScope::Group {
            id: support.id,
            name: "Support".into(),
        }),
        Some(AdminScope::Attribute {
            name: "department".into(),
            equals: "Sales".into(),
        }),
        None,
    ];
    let tokens: Vec<ApiToken> = scopes
        .into_iter()
        .enumerate()
        .map(|(i, admin_scope)| ApiToken {
            admin_scope,
            created_at: T0 + time::Duration::seconds(i as i64),
            ..token(
                Some(acme.id),
                TokenScope::Admin,
                &format!("t{i}"),
                &format!("s-scoped-{i}"),
            )
        })
        .collect();
    create_all(store, &tokens.iter().collect::<Vec<_>>()).await;
    let tokens = tokens.try_into().expect("three tokens");
    (acme.id, support, tokens)
}

pub async fn a_tokens_scope_is_kept_and_read_back_with_its_groups_current_name(
    store: Arc<dyn Store>,
) {
    let (acme, support, [by_group, by_value, whole]) = scoped_tokens(&*store).await;
    for t in [&by_group, &by_value, &whole] {
        assert_eq!(
            store.token_by_hash(&t.hash).await.expect("lookup").as_ref(),
            Some(t),
            "every field, the scope included"
        );
    }
    assert_eq!(
        store.list_tokens(Some(acme)).await.expect("list"),
        vec![by_group.clone(), by_value, whole]
    );
    // The group is kept by id: a rename shows in the scope at once.
    store
        .modify_group(GroupWrite {
            tenant_id: acme,
            group_id: support.id,
            if_match: None,
            now: at(2),
            mutation: Box::new(|g: &mut Group| {
                g.display_name = GroupName::parse("displayName", "Helpdesk").expect("a name");
                Ok(())
            }),
            audit: draft(Some(acme), "group.update", at(2)),
        })
        .await
        .expect("modify_group");
    let renamed = store.token_by_hash(&by_group.hash).await.expect("lookup");
    assert_eq!(
        renamed.and_then(|t| t.admin_scope),
        Some(AdminScope::Group {
            id: support.id,
            name: "Helpdesk".into()
        })
    );
}

pub async fn deleting_a_group_deletes_the_tokens_scoped_to_it_and_no_other(store: Arc<dyn Store>) {
    let (acme, support, [by_group, by_value, whole]) = scoped_tokens(&*store).await;
    store
        .delete_group(
            acme,
            support.id,
            None,
            draft(Some(acme), "group.delete", at(3)),
        )
        .await
        .expect("delete_group");
    assert_eq!(
        store.token_by_hash(&by_group.hash).await.expect("lookup"),
        None,
        "a token never outlives its scope as one of the whole tenant"
    );
    assert_eq!(
        store.list_tokens(Some(acme)).await.expect("list"),
        vec![by_value, whole]
    );
    // A token scoped to the group, made after it went, is refused whole.
    let before = chain_len(&*store, acme).await;
    let late = ApiToken {
        hash: Secret::from_string("s-late".into()).hash(),
        ..by_group
    };
    let refused = store
        .create_token(late.clone(), token_draft(&late, "token.create"))
        .await
        .expect_err("the group is gone");
    assert_eq!(refused.code(), ErrorCode::ValidationFailed);
    let Error::Validation(errors) = &refused else {
        panic!("{refused:?}")
    };
    assert_eq!(
        (errors.0[0].field.as_str(), errors.0[0].code),
        ("scope.group", ErrorCode::UnknownGroup)
    );
    assert_eq!(store.token_by_hash(&late.hash).await.expect("lookup"), None);
    let events = events_since(&*store, acme, before).await;
    assert_eq!(events.len(), 1);
    assert_refused_event(&events[0], "token.create", "validation_failed");
}
