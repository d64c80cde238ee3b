//! Sessions as an administrator sees them: grouped by platform, revoked
//! at once, with the client's address (behind a trusted proxy, the
//! forwarded one).

use super::{CHROME_WINDOWS, IPHONE_SAFARI, PASSWORD, auth, login, me};
use reqwest::Method;
use serde_json::json;
use usher_testkit::app::{TestApp, TestOptions, json as body};

const ANDROID_APP: &str = "Dalvik/2.1.0 (Linux; U; Android 13; SM-G991B Build/TP1A.220624.014)";

#[tokio::test]
async fn admins_see_sessions_grouped_by_platform_and_revocation_is_immediate() {
    let app = TestApp::spawn().await;
    let user = app
        .user_with_password("default", "di@x.example", PASSWORD)
        .await;
    let id = user["id"].as_str().unwrap();
    let mut tokens = Vec::new();
    for ua in [CHROME_WINDOWS, IPHONE_SAFARI, ANDROID_APP] {
        let (status, t) = login(&app, "di@x.example", PASSWORD, ua).await;
        assert_eq!(status, 200);
        tokens.push(t);
    }
    let list = body(
        app.get(&format!("/api/v1/tenants/default/users/{id}/sessions"))
            .await,
    )
    .await;
    assert_eq!(list["total"], 3);
    let groups = list["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{list}");
    assert_eq!(groups[0]["platform"], "desktop");
    let desktop = &groups[0]["items"][0];
    assert_eq!(
        (
            desktop["os"].as_str(),
            desktop["os_version"].as_str(),
            desktop["browser"].as_str()
        ),
        (Some("Windows"), Some("10"), Some("Chrome"))
    );
    assert_eq!(desktop["browser_version"], "120.0");
    assert_eq!(desktop["ip"], "127.0.0.1");
    assert_eq!(groups[1]["platform"], "mobile");
    let mobile: Vec<(Option<&str>, Option<&str>, Option<&str>)> = groups[1]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["os"].as_str(),
                s["os_version"].as_str(),
                s["browser"].as_str(),
            )
        })
        .collect();
    assert!(
        mobile.contains(&(Some("iOS"), Some("17.1"), Some("Safari"))),
        "{mobile:?}"
    );
    assert!(
        mobile
            .iter()
            .any(|m| m.0 == Some("Android") && m.1 == Some("13")),
        "{mobile:?}"
    );

    // The user sees the same, with their own session marked.
    let own = body(
        app.as_user(
            Method::GET,
            &auth("sessions"),
            tokens[0]["access_token"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(own["total"], 3);
    assert_eq!(own["groups"][0]["items"][0]["current"], true);

    // One session revoked: its tokens die at once, the others live.
    let sid = tokens[1]["session_id"].as_str().unwrap();
    let res = app
        .delete(&format!(
            "/api/v1/tenants/default/users/{id}/sessions/{sid}"
        ))
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        me(&app, tokens[1]["access_token"].as_str().unwrap()).await,
        401
    );
    assert_eq!(
        me(&app, tokens[0]["access_token"].as_str().unwrap()).await,
        200
    );
    let res = app
        .delete(&format!(
            "/api/v1/tenants/default/users/{id}/sessions/{sid}"
        ))
        .await;
    assert_eq!(body(res).await["code"], "session_not_found");

    // All of them.
    let res = app
        .delete(&format!("/api/v1/tenants/default/users/{id}/sessions"))
        .await;
    assert_eq!(body(res).await["ended"], 2);
    for t in &tokens {
        assert_eq!(me(&app, t["access_token"].as_str().unwrap()).await, 401);
    }
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=session.revoke_all")
            .await,
    )
    .await;
    assert_eq!(audit["total"], 1);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client_and_otherwise_ignored() {
    for (trusted, expect) in [(Some("127.0.0.1"), "198.51.100.23"), (None, "127.0.0.1")] {
        let app = TestApp::spawn_with(TestOptions {
            trusted_proxies: trusted.map(str::to_owned),
            ..Default::default()
        })
        .await;
        let user = app
            .user_with_password("default", "px@x.example", PASSWORD)
            .await;
        let res = app
            .client
            .post(app.url(&auth("login")))
            .header("x-forwarded-for", "6.6.6.6, 198.51.100.23")
            .json(&json!({"email": "px@x.example", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let id = user["id"].as_str().unwrap();
        let sessions = body(
            app.get(&format!("/api/v1/tenants/default/users/{id}/sessions"))
                .await,
        )
        .await;
        assert_eq!(
            sessions["groups"][0]["items"][0]["ip"], expect,
            "{sessions}"
        );
        let audit = body(
            app.get("/api/v1/tenants/default/audit?action=user.login")
                .await,
        )
        .await;
        assert_eq!(audit["items"][0]["client_ip"], expect, "{audit}");
    }
}
