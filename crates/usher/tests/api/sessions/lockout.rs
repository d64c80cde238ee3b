//! The throttle cannot be raced past nor turned against an account's
//! owner: a failure slot is taken before the password is checked, and the
//! right password from a client that logged in to the account before (its
//! address, or its device cookie) passes a delay others caused.

use super::{CHROME_WINDOWS, PASSWORD, auth};
use serde_json::json;
use usher_testkit::app::{TestApp, TestOptions};

/// A login from `ip` (the app believes X-Forwarded-For from 127.0.0.1),
/// with a device cookie if given: `(status, device cookie set)`.
async fn login_from(
    app: &TestApp,
    ip: &str,
    password: &str,
    device: Option<&str>,
) -> (u16, Option<String>) {
    let mut req = app
        .client
        .post(app.url(&auth("login")))
        .header("x-forwarded-for", ip)
        .header("user-agent", CHROME_WINDOWS)
        .json(&json!({"email": "owner@x.example", "password": password}));
    if let Some(d) = device {
        req = req.header("cookie", format!("usher_device={d}"));
    }
    let res = req.send().await.unwrap();
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("usher_device="))
        .map(|v| v.split(';').next().unwrap().to_owned());
    (res.status().as_u16(), cookie)
}

async fn app_behind_proxy() -> TestApp {
    let app = TestApp::spawn_with(TestOptions {
        trusted_proxies: Some("127.0.0.1/32".into()),
        ..TestOptions::default()
    })
    .await;
    app.user_with_password("default", "owner@x.example", PASSWORD)
        .await;
    app
}

#[tokio::test]
async fn parallel_guesses_each_take_a_slot_and_none_slips_past_the_delay() {
    let app = app_behind_proxy().await;
    let guesses = (0..20).map(|i| {
        let app = &app;
        async move {
            login_from(app, "198.51.100.7", &format!("wrong guess {i}"), None)
                .await
                .0
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let delayed = statuses.iter().filter(|s| **s == 429).count();
    // Five free failures: never more checked, whatever the interleaving (a
    // guess that loses the race for a slot too often is told to come back).
    assert!((1..=5).contains(&checked), "{statuses:?}");
    assert_eq!(checked + delayed, 20, "{statuses:?}");
}

#[tokio::test]
async fn the_owner_passes_a_delay_others_caused_from_a_known_address_or_device() {
    let app = app_behind_proxy().await;
    let (status, device) = login_from(&app, "203.0.113.5", PASSWORD, None).await;
    assert_eq!(status, 200);
    let device = device.expect("a login sets the device cookie");
    // An attacker elsewhere makes the account wait the longest delay.
    for i in 0..10 {
        let (status, _) = login_from(&app, "198.51.100.7", "wrong guess", None).await;
        assert!(status == 401 || status == 429, "guess {i}: {status}");
        app.clock.advance(time::Duration::minutes(20));
    }
    assert_eq!(
        login_from(&app, "198.51.100.7", "wrong guess", None)
            .await
            .0,
        401
    );
    assert_eq!(
        login_from(&app, "198.51.100.7", PASSWORD, None).await.0,
        429,
        "a stranger waits, right password or not"
    );
    // The owner, from anywhere with the device cookie (a right password
    // starts the count again)...
    assert_eq!(login_from(&app, "192.0.2.44", PASSWORD, None).await.0, 429);
    assert_eq!(
        login_from(&app, "192.0.2.44", PASSWORD, Some(&device))
            .await
            .0,
        200
    );
    // ...or from the address they used before.
    for _ in 0..6 {
        login_from(&app, "198.51.100.7", "wrong guess", None).await;
    }
    assert_eq!(
        login_from(&app, "198.51.100.7", PASSWORD, None).await.0,
        429
    );
    assert_eq!(login_from(&app, "203.0.113.5", PASSWORD, None).await.0, 200);
}

#[tokio::test]
async fn an_ipv6_client_is_known_by_its_64() {
    let app = app_behind_proxy().await;
    assert_eq!(
        login_from(&app, "2001:db8:5:6::1", PASSWORD, None).await.0,
        200
    );
    for _ in 0..6 {
        login_from(&app, "198.51.100.7", "wrong guess", None).await;
    }
    assert_eq!(
        login_from(&app, "198.51.100.7", PASSWORD, None).await.0,
        429
    );
    assert_eq!(
        login_from(&app, "2001:db8:5:7::1", PASSWORD, None).await.0,
        429,
        "another /64 is another client"
    );
    assert_eq!(
        login_from(&app, "2001:db8:5:6:aaaa::9", PASSWORD, None)
            .await
            .0,
        200
    );
}
