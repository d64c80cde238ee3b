//! Cases for admin sessions.

use super::fixtures::*;
use std::sync::Arc;
use time::Duration;
use usher_core::admin_session::AdminSession;
use usher_core::error::{Error, Missing};
use usher_core::role::ScopeGrant;
use usher_core::token::{ApiToken, Secret, TokenScope};
use usher_core::{Id, Store, TenantId, UserId};

fn session(tenant: TenantId, user: UserId) -> AdminSession {
    AdminSession {
        id: Id::generate(),
        tenant_id: tenant,
        user_id: user,
        created_at: T0,
        last_seen_at: T0,
        expires_at: T0 + Duration::hours(12),
        ip: Some("192.0.2.7".into()),
        user_agent: Some("test".into()),
    }
}

async fn open(store: &dyn Store, s: &AdminSession) -> Secret {
    let token = Secret::generate("usher_adm_");
    store
        .open_admin_session(
            s.clone(),
            token.hash(),
            user_draft(s.tenant_id, s.user_id, "admin.login_second_factor", T0),
        )
        .await
        .expect("open_admin_session");
    token
}

pub async fn an_admin_session_is_found_by_its_hash_touched_and_ended_with_its_audit_event(
    store: Arc<dyn Store>,
) {
    let acme = tenant(&*store, "acme").await;
    let ann = create(
        &*store,
        UserBuilder::new(acme.id, "ann@x.example").active().build(),
    )
    .await;
    let before = chain_len(&*store, acme.id).await;
    let s = session(acme.id, ann.id);
    let token = open(&*store, &s).await;
    assert_eq!(
        store.admin_session(&token.hash()).await.expect("find"),
        Some(s.clone())
    );
    let unknown = Secret::generate("usher_adm_");
    assert_eq!(
        store.admin_session(&unknown.hash()).await.expect("find"),
        None
    );
    store
        .touch_admin_session(s.id, T0 + Duration::minutes(3))
        .await
        .expect("touch");
    let seen = store.admin_session(&token.hash()).await.expect("find");
    assert_eq!(
        seen.map(|s| s.last_seen_at),
        Some(T0 + Duration::minutes(3))
    );
    let ended = store
        .end_admin_session(s.id, user_draft(acme.id, ann.id, "admin.logout", T0))
        .await
        .expect("end");
    assert!(ended);
    assert_eq!(
        store.admin_session(&token.hash()).await.expect("find"),
        None
    );
    let again = store
        .end_admin_session(s.id, user_draft(acme.id, ann.id, "admin.logout", T0))
        .await
        .expect("end again");
    assert!(!again, "nothing left to end");
    let events = events_since(&*store, acme.id, before).await;
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().expect("an action"))
        .collect();
    assert_eq!(
        actions,
        ["admin.login_second_factor", "admin.logout", "admin.logout"]
    );
}

pub async fn admin_sessions_end_with_the_users_sessions_and_with_the_user(store: Arc<dyn Store>) {
    let acme = tenant(&*store, "acme").await;
    let ann = create(
        &*store,
        UserBuilder::new(acme.id, "ann@x.example").active().build(),
    )
    .await;
    let bob = create(
        &*store,
        UserBuilder::new(acme.id, "bob@x.example").active().build(),
    )
    .await;
    let ann_token = open(&*store, &session(acme.id, ann.id)).await;
    let bob_token = open(&*store, &session(acme.id, bob.id)).await;
    store
        .end_sessions(
            acme.id,
            ann.id,
            None,
            user_draft(acme.id, ann.id, "session.revoke_all", T0),
        )
        .await
        .expect("end_sessions");
    assert_eq!(
        store.admin_session(&ann_token.hash()).await.expect("find"),
        None
    );
    assert!(
        store
            .admin_session(&bob_token.hash())
            .await
            .expect("find")
            .is_some()
    );
    delete(&*store, acme.id, bob.id).await;
    assert_eq!(
        store.admin_session(&bob_token.hash()).await.expect("find"),
        None
    );
    let gone = store
        .open_admin_session(
            session(acme.id, bob.id),
            Secret::generate("usher_adm_").hash(),
            user_draft(acme.id, bob.id, "admin.login_second_factor", T0),
        )
        .await
        .expect_err("a deleted user");
    assert!(matches!(gone, Error::NotFound(Missing::User)), "{gone:?}");
}

pub async fn a_persons_token_names_its_owner_and_goes_with_them(store: Arc<dyn Store>) {
    let acme = tenant(&*store, "acme").await;
    let ann = create(
        &*store,
        UserBuilder::new(acme.id, "ann@x.example").active().build(),
    )
    .await;
    let token = ApiToken {
        owner_id: Some(ann.id),
        ..super::tenants::token(Some(acme.id), TokenScope::Admin, "ann's", "usher_at_owned")
    };
    store
        .create_token(
            token.clone(),
            super::tenants::token_draft(&token, "token.create"),
        )
        .await
        .expect("create_token");
    assert_eq!(
        store.token_by_hash(&token.hash).await.expect("lookup"),
        Some(token.clone())
    );
    let stranger = ApiToken {
        owner_id: Some(Id::generate()),
        ..super::tenants::token(Some(acme.id), TokenScope::Admin, "x", "usher_at_stranger")
    };
    let refused = store
        .create_token(
            stranger.clone(),
            super::tenants::token_draft(&stranger, "token.create"),
        )
        .await
        .expect_err("an owner who is no user of the tenant");
    assert!(
        matches!(refused, Error::NotFound(Missing::User)),
        "{refused:?}"
    );
    delete(&*store, acme.id, ann.id).await;
    assert_eq!(
        store.token_by_hash(&token.hash).await.expect("lookup"),
        None
    );
}

pub async fn the_admins_are_the_built_in_roles_held_in_the_tenant_by_email(store: Arc<dyn Store>) {
    let acme = tenant(&*store, "acme").await;
    let other = tenant(&*store, "other").await;
    let mut users = Vec::new();
    for (t, email) in [
        (acme.id, "zed@x.example"),
        (acme.id, "Ann@x.example"),
        (other.id, "ann@x.example"),
    ] {
        users.push(create(&*store, UserBuilder::new(t, email).active().build()).await);
    }
    store
        .create_role(
            acme.id,
            usher_core::role::Role::from_json(serde_json::json!({"name": "sales"}), T0)
                .expect("a role"),
            draft(Some(acme.id), "role.create", T0),
        )
        .await
        .expect("create_role");
    for (u, role) in [
        (&users[0], "helpdesk"),
        (&users[1], "tenant_admin"),
        (&users[1], "auditor"),
        (&users[1], "sales"),
        (&users[2], "tenant_admin"),
    ] {
        let name = usher_core::role::RoleName::parse("role", role).expect("a name");
        store
            .assign_role(
                u.tenant_id,
                u.id,
                &name,
                ScopeGrant::Keep,
                T0,
                user_draft(u.tenant_id, u.id, "user.role_assign", T0),
            )
            .await
            .expect("assign_role");
    }
    let admins = store.list_admins(acme.id).await.expect("list_admins");
    let seen: Vec<(&str, &str)> = admins
        .iter()
        .map(|a| (a.email.as_str(), a.role.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("Ann@x.example", "auditor"),
            ("Ann@x.example", "tenant_admin"),
            ("zed@x.example", "helpdesk"),
        ],
        "built-in roles only, by email, this tenant's only"
    );
    assert_eq!(admins[0].user_id, users[1].id);
    assert_eq!(admins[0].assigned_at, T0);
}
