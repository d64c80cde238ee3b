//! Cases for the password hash a user holds, written with a user's write
//! through `Effects::password`: set verbatim with a new user (an import) or
//! with an edit, and rehashed at login only while the stored hash is still
//! the one the login verified.

use super::changes::write;
use super::fixtures::*;
use serde_json::json;
use std::sync::Arc;
use usher_core::error::{Error, ErrorCode};
use usher_core::store::{Effects, PasswordWrite};
use usher_core::user::User;
use usher_core::{Store, TenantId, UserId};

/// A bcrypt hash as another system exported it (crypt_blowfish's published
/// vector for "U*U"); the store keeps any string verbatim.
const IMPORTED: &str = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
const ARGON2: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const OTHER: &str = "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0b3RoZXJzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

fn set(hash: &str) -> Effects {
    Effects {
        password: Some(PasswordWrite::Set(hash.to_owned())),
        ..Effects::default()
    }
}

fn rehash(old: &str, new: &str) -> Effects {
    Effects {
        password: Some(PasswordWrite::Rehash {
            old: old.to_owned(),
            new: new.to_owned(),
        }),
        ..Effects::default()
    }
}

async fn create_with_hash(store: &dyn Store, user: User, hash: &str) -> User {
    let d = user_draft(user.tenant_id, user.id, "user.import", T0);
    store
        .create_user(user, set(hash), d)
        .await
        .expect("creating a user with a password hash")
}

async fn stored(store: &dyn Store, tenant: TenantId, user: UserId) -> Option<String> {
    store.password_hash(tenant, user).await.expect("read hash")
}

pub async fn a_user_created_with_a_password_hash_holds_it_verbatim(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let imported = create_with_hash(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
        IMPORTED,
    )
    .await;
    let plain = create(&*store, UserBuilder::new(t.id, "bob@example.com").build()).await;
    assert_eq!(
        stored(&*store, t.id, imported.id).await.as_deref(),
        Some(IMPORTED)
    );
    assert_eq!(stored(&*store, t.id, plain.id).await, None);
    let other = tenant(&*store, "other").await;
    assert_eq!(
        stored(&*store, other.id, imported.id).await,
        None,
        "a hash is read within its user's tenant only"
    );
    let events = chain_events(&*store, t.id).await;
    let created = events
        .iter()
        .find(|e| e["action"] == "user.import")
        .expect("the import's event");
    assert_success_event(created, "user.import");
    assert_eq!(created["details"]["password_hash"], json!("set"));
    assert!(
        !created.to_string().contains(IMPORTED),
        "the event never holds the hash"
    );
}

pub async fn a_password_write_with_an_edit_replaces_the_hash_and_not_the_version(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let u = create_with_hash(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
        IMPORTED,
    )
    .await;
    let w = write(t.id, u.id, None, at(1), "user.import", |_| Ok(set(ARGON2)));
    let after = store.modify_user(w).await.expect("write");
    assert_eq!(
        after.version, u.version,
        "a password write alone is no edit"
    );
    assert_eq!(stored(&*store, t.id, u.id).await.as_deref(), Some(ARGON2));
    let e = last_event(&*store, t.id).await;
    assert_eq!(e["details"]["password_hash"], json!("set"));
}

pub async fn a_rehash_replaces_the_hash_only_while_it_is_still_the_one_verified(
    store: Arc<dyn Store>,
) {
    let t = tenant(&*store, "acme").await;
    let u = create_with_hash(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
        IMPORTED,
    )
    .await;
    // A login verified IMPORTED, then a password reset stored OTHER: the
    // login's rehash must not bring the old password back.
    let reset = write(t.id, u.id, None, at(1), "user.password", |_| Ok(set(OTHER)));
    store.modify_user(reset).await.expect("reset");
    let login = write(t.id, u.id, None, at(2), "user.login", move |u| {
        u.last_login_at = Some(at(2));
        Ok(rehash(IMPORTED, ARGON2))
    });
    let after = store.modify_user(login).await.expect("login");
    assert_eq!(
        after.last_login_at,
        Some(at(2)),
        "the login itself is stored"
    );
    assert_eq!(stored(&*store, t.id, u.id).await.as_deref(), Some(OTHER));
    assert_eq!(
        last_event(&*store, t.id).await["details"]["password_hash"],
        json!("rehash_skipped")
    );

    let login = write(t.id, u.id, None, at(3), "user.login", |_| {
        Ok(rehash(OTHER, ARGON2))
    });
    store.modify_user(login).await.expect("login");
    assert_eq!(stored(&*store, t.id, u.id).await.as_deref(), Some(ARGON2));
    let e = last_event(&*store, t.id).await;
    assert_success_event(&e, "user.login");
    assert_eq!(e["details"]["password_hash"], json!("rehashed"));
}

pub async fn a_refused_write_leaves_the_password_hash_alone(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = create_with_hash(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
        IMPORTED,
    )
    .await;
    let refused_write = write(t.id, u.id, None, at(1), "user.login", |_| {
        Err(Error::conflict(ErrorCode::InvalidState, "refused"))
    });
    refused(store.modify_user(refused_write).await, "invalid_state");
    let stale = write(t.id, u.id, Some(u.version + 1), at(1), "user.login", |_| {
        Ok(rehash(IMPORTED, ARGON2))
    });
    assert!(matches!(
        store.modify_user(stale).await,
        Err(Error::VersionMismatch { .. })
    ));
    assert_eq!(stored(&*store, t.id, u.id).await.as_deref(), Some(IMPORTED));

    // A user refused at creation stores no hash either.
    let clash = UserBuilder::new(t.id, "ANN@example.com").build();
    let id = clash.id;
    refused(
        store
            .create_user(
                clash,
                set(ARGON2),
                user_draft(t.id, id, "user.import", at(2)),
            )
            .await,
        "email_taken",
    );
    assert_eq!(stored(&*store, t.id, id).await, None);
    assert_eq!(stored(&*store, t.id, u.id).await.as_deref(), Some(IMPORTED));
}

pub async fn concurrent_rehashes_of_one_hash_replace_it_exactly_once(store: Arc<dyn Store>) {
    let t = tenant(&*store, "acme").await;
    let u = create_with_hash(
        &*store,
        UserBuilder::new(t.id, "ann@example.com").active().build(),
        IMPORTED,
    )
    .await;
    let mut tasks = Vec::new();
    for new in [ARGON2, OTHER] {
        let store = store.clone();
        let (tid, uid) = (t.id, u.id);
        tasks.push(tokio::spawn(async move {
            let w = write(tid, uid, None, at(1), "user.login", move |_| {
                Ok(rehash(IMPORTED, new))
            });
            store.modify_user(w).await.expect("login");
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let now = stored(&*store, t.id, u.id).await.expect("a hash");
    assert!(now == ARGON2 || now == OTHER, "{now}");
    let outcomes: Vec<String> = chain_events(&*store, t.id)
        .await
        .iter()
        .filter(|e| e["action"] == "user.login")
        .map(|e| {
            e["details"]["password_hash"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let mut sorted = outcomes.clone();
    sorted.sort();
    assert_eq!(sorted, ["rehash_skipped", "rehashed"], "{outcomes:?}");
}
