//! Users imported with a password hash from another system (bcrypt, a
//! Django PBKDF2): the right password logs them in over HTTP and replaces
//! the hash with argon2id in the login's write; a wrong one changes
//! nothing.

use serde_json::{Value, json};
use usher_core::UserId;
use usher_core::audit::{Actor, AuditAction, AuditContext};
use usher_core::password::check_importable;
use usher_core::store::{Effects, PasswordWrite};
use usher_testkit::app::{TestApp, json as body};
use usher_testkit::conformance::fixtures::UserBuilder;

const PASSWORD: &str = "correct horse battery staple";
/// pyca bcrypt 5.0.0: bcrypt.hashpw(PASSWORD, bcrypt.gensalt(rounds=4)).
const BCRYPT: &str = "$2b$04$cUDtUtBqYCV5gRYUnfuS8OwuP1yM/AFy6/dhL.HKCUtqQ/b7nmiqe";
/// Django 5.2.19: PBKDF2PasswordHasher().encode(PASSWORD, salt, iterations=1000).
const DJANGO: &str =
    "pbkdf2_sha256$1000$Xb7sPq0aZk3LmNoP9RtUvW$VvUzSlUmC/DCAUupg+0kUolbRfBbDcCFIqe+IUcCrqE=";
/// The argon2id parameters of the test server (`test_hashing`).
const NEW_HASH: &str = "$argon2id$v=19$m=64,t=1,p=1$";

/// Puts an active user with `hash` in place through the store, as an
/// import does; answers the user's id.
async fn imported_user(app: &TestApp, email: &str, hash: &str) -> UserId {
    check_importable(hash).unwrap();
    let tenant = app.services.find_tenant("default").await.unwrap();
    let user = UserBuilder::new(tenant.id, email).active().build();
    let id = user.id;
    let effects = Effects {
        password: Some(PasswordWrite::Set(hash.to_owned())),
        ..Effects::default()
    };
    let draft = AuditContext::new(Actor::system()).draft(
        Some(tenant.id),
        AuditAction::UserImport,
        app.clock_now(),
    );
    app.services
        .store
        .create_user(user, effects, draft)
        .await
        .unwrap();
    id
}

async fn stored_hash(app: &TestApp, user: UserId) -> String {
    let tenant = app.services.find_tenant("default").await.unwrap();
    app.services
        .store
        .password_hash(tenant.id, user)
        .await
        .unwrap()
        .unwrap()
}

async fn login(app: &TestApp, email: &str, password: &str) -> (u16, Value) {
    let res = app.login("default", email, password, "usher-tests").await;
    (res.status().as_u16(), body(res).await)
}

async fn login_events(app: &TestApp) -> Vec<Value> {
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=user.login&limit=50")
            .await,
    )
    .await;
    audit["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn bcrypt_and_django_users_log_in_and_their_hashes_become_argon2id() {
    let app = TestApp::spawn().await;
    for (email, old, scheme) in [
        ("bcrypt@x.example", BCRYPT, "bcrypt"),
        ("django@x.example", DJANGO, "pbkdf2-sha256"),
    ] {
        let id = imported_user(&app, email, old).await;

        let (status, problem) = login(&app, email, "correct horse battery stapler").await;
        assert_eq!(status, 401, "{problem}");
        assert_eq!(problem["code"], "invalid_credentials");
        assert_eq!(
            stored_hash(&app, id).await,
            old,
            "a wrong password changes nothing"
        );

        let (status, tokens) = login(&app, email, PASSWORD).await;
        assert_eq!(status, 200, "{scheme}: {tokens}");
        let new = stored_hash(&app, id).await;
        assert!(new.starts_with(NEW_HASH), "{scheme}: {new}");
        assert_ne!(new, old);

        let events = login_events(&app).await;
        let event = events
            .iter()
            .find(|e| e["target"]["id"] == id.to_string() && e["outcome"] == "success")
            .unwrap();
        assert_eq!(event["details"]["rehashed_from"], scheme, "{event}");
        assert_eq!(event["details"]["password_hash"], "rehashed");
        assert!(
            !event.to_string().contains(old),
            "the event never holds a hash"
        );

        // The new hash is Usher's own: the next login verifies it and keeps it.
        let (status, _) = login(&app, email, PASSWORD).await;
        assert_eq!(status, 200);
        assert_eq!(stored_hash(&app, id).await, new);
        let (status, _) = login(&app, email, "wrong password entirely").await;
        assert_eq!(status, 401);
    }
    // Nothing anywhere still holds an imported hash.
    let audit = body(app.get("/api/v1/tenants/default/audit?limit=200").await).await;
    let text = audit.to_string();
    assert!(!text.contains(BCRYPT) && !text.contains(DJANGO));
}

#[tokio::test]
async fn a_password_typed_unlike_its_nfkc_form_logs_in_and_is_rehashed_in_that_form() {
    // pyca bcrypt of "Grüße µ" (U+00B5, the micro sign), which NFKC turns
    // into "Grüße μ" (U+03BC): the other system hashed what was typed.
    let app = TestApp::spawn().await;
    let old = "$2b$04$ANDXxSulQi8RagUHGSlXMePv4rIolq/ePLJ.WFjxrkUMU0OXWtG1W";
    let id = imported_user(&app, "mu@x.example", old).await;
    let (status, _) = login(&app, "mu@x.example", "Grüße µ").await;
    assert_eq!(status, 200);
    assert!(stored_hash(&app, id).await.starts_with(NEW_HASH));
    // From now on the password is Usher's: either form is the same password.
    for typed in ["Grüße µ", "Grüße μ"] {
        let (status, _) = login(&app, "mu@x.example", typed).await;
        assert_eq!(status, 200, "{typed}");
    }
}

#[tokio::test]
async fn the_password_step_rehashes_even_when_a_second_factor_follows() {
    let app = TestApp::spawn().await;
    let res = app
        .patch(
            "/api/v1/tenants/default/settings",
            &json!({"mfa": "required"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let id = imported_user(&app, "mfa@x.example", BCRYPT).await;
    let (status, _) = login(&app, "mfa@x.example", "not the password").await;
    assert_eq!(status, 401);
    assert_eq!(stored_hash(&app, id).await, BCRYPT);
    let (status, step) = login(&app, "mfa@x.example", PASSWORD).await;
    assert_eq!(status, 200, "{step}");
    assert!(step["mfa_token"].is_string(), "{step}");
    assert!(stored_hash(&app, id).await.starts_with(NEW_HASH));
    let events = login_events(&app).await;
    let event = events
        .iter()
        .find(|e| e["details"]["step"] == "second_factor_enrolment_required")
        .unwrap();
    assert_eq!(event["details"]["rehashed_from"], "bcrypt", "{event}");
}

#[tokio::test]
async fn a_blocked_imported_user_gets_403_and_keeps_the_old_hash() {
    let app = TestApp::spawn().await;
    let id = imported_user(&app, "blocked@x.example", DJANGO).await;
    let res = app
        .post(
            &format!("/api/v1/tenants/default/users/{id}/block"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let (status, problem) = login(&app, "blocked@x.example", PASSWORD).await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(
        stored_hash(&app, id).await,
        DJANGO,
        "a refused login writes nothing"
    );
}
