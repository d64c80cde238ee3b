//! TOTP secrets at rest are sealed with the secret key: the database holds
//! no secret in clear, codes still verify after a restart and after the
//! key is rotated, and a SQLite installation gets its key generated once,
//! readable by its owner only.

use super::mfa::{enrolled, totp_now};
use super::{CHROME_WINDOWS, PASSWORD, auth, login};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use usher_core::sealing::SecretKeys;
use usher_testkit::app::{TestApp, TestOptions, json as body};

/// Enrols an authenticator for a new user; answers the secret (base32)
/// and the user's id.
async fn enrolled_user(app: &TestApp, email: &str) -> (String, usher_core::UserId) {
    let secret = enrolled(app, email).await;
    let id = body(
        app.get(&format!("/api/v1/tenants/default/users?search={email}"))
            .await,
    )
    .await["items"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    (secret, id)
}

async fn second_step_ok(app: &TestApp, email: &str, secret: &str) -> bool {
    let (_, step) = login(app, email, PASSWORD, CHROME_WINDOWS).await;
    let res = app
        .client
        .post(app.url(&auth("login/mfa")))
        .json(&json!({"mfa_token": step["mfa_token"], "code": totp_now(app, secret, 0)}))
        .send()
        .await
        .unwrap();
    res.status() == 200
}

#[tokio::test]
async fn a_totp_secret_is_stored_sealed_and_still_verifies_after_a_key_rotation() {
    let old = SecretKeys::generate().to_string();
    let app = TestApp::spawn_with(TestOptions {
        secret_key: Some(old.clone()),
        ..TestOptions::default()
    })
    .await;
    let (secret, user) = enrolled_user(&app, "se@x.example").await;
    let tenant = app.services.find_tenant("default").await.unwrap();
    let stored = app
        .services
        .store
        .list_factors(tenant.id, user)
        .await
        .unwrap();
    let raw = usher_core::mfa::TotpSecret::from_base32(&secret).unwrap();
    assert!(SecretKeys::is_sealed(&stored[0].secret), "sealed at rest");
    assert!(
        !stored[0]
            .secret
            .windows(raw.bytes().len())
            .any(|w| w == raw.bytes()),
        "the clear secret is nowhere in the stored value"
    );
    // Another process with the key rotated: the new key first, the old one
    // still opening what it sealed.
    let new = SecretKeys::generate().to_string();
    let rotated = TestApp::spawn_on(
        &app,
        TestOptions {
            secret_key: Some(format!("{new},{old}")),
            ..TestOptions::default()
        },
    )
    .await;
    rotated.clock.advance(time::Duration::seconds(30));
    assert!(second_step_ok(&rotated, "se@x.example", &secret).await);
    // A process without the old key cannot read it. Either it refuses to
    // start, when the newest audit event of a chain was keyed with the old
    // key (on PostgreSQL whichever process seals an event keys it, so which
    // key that is depends on timing), or it starts and refuses the code.
    let lost = TestApp::try_spawn_on(
        &app,
        TestOptions {
            secret_key: Some(new),
            ..TestOptions::default()
        },
    )
    .await;
    match lost {
        Ok(lost) => {
            lost.clock.advance(time::Duration::seconds(30));
            assert!(!second_step_ok(&lost, "se@x.example", &secret).await);
        }
        Err(e) => assert!(e.to_string().contains("does not hold"), "{e:#}"),
    }
}

#[tokio::test]
async fn a_sqlite_installation_generates_its_key_once_beside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/usher.db", dir.path().display());
    let app = TestApp::spawn_at(&url).await;
    let key = dir.path().join("secret.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let first = std::fs::read_to_string(&key).unwrap();
    assert!(SecretKeys::parse(&first).is_ok());
    let (secret, _) = enrolled_user(&app, "kf@x.example").await;
    let again = TestApp::spawn_on(&app, TestOptions::default()).await;
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        first,
        "read, not replaced"
    );
    again.clock.advance(time::Duration::seconds(30));
    assert!(second_step_ok(&again, "kf@x.example", &secret).await);
}
