//! Listing and searching through links, with exact totals.

use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use time::Duration;
use usher_testkit::app::{TestApp, json as body};

const USERS: &str = "/api/v1/tenants/default/users";

async fn seed(app: &TestApp, n: usize) {
    for i in 0..n {
        let first = ["Maria", "Mark", "John", "Anna", "Zoé"][i % 5];
        app.create_user(
            "default",
            json!({"email": format!("{}.{i:03}@x.example", first.to_lowercase()), "first_name": first, "last_name": format!("Tester{i}"), "activate": i % 3 == 0}),
        )
        .await;
    }
}

fn emails(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect()
}

fn link(page: &Value, which: &str) -> Option<String> {
    page["links"][which].as_str().map(str::to_owned)
}

#[tokio::test]
async fn following_next_from_first_visits_every_user_once_in_email_order() {
    let app = TestApp::spawn().await;
    seed(&app, 47).await;
    let mut seen = Vec::new();
    let mut page = body(app.get(&format!("{USERS}?limit=10")).await).await;
    assert_eq!(page["total"], 47);
    assert!(page["links"]["prev"].is_null());
    loop {
        seen.extend(emails(&page));
        match link(&page, "next") {
            Some(next) => page = body(app.get(&next).await).await,
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort_by_key(|e| e.to_lowercase());
    assert_eq!(seen, sorted);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 47);
    // And back again with prev from the last page.
    let mut back = Vec::new();
    let mut page = body(app.get(&link(&page, "last").unwrap()).await).await;
    loop {
        let mut e = emails(&page);
        e.reverse();
        back.extend(e);
        match link(&page, "prev") {
            Some(prev) => page = body(app.get(&prev).await).await,
            None => break,
        }
    }
    back.reverse();
    let unique: BTreeSet<_> = back.iter().collect();
    assert_eq!(unique.len(), 47);
}

#[tokio::test]
async fn the_last_link_answers_the_final_page_in_one_request() {
    let app = TestApp::spawn().await;
    seed(&app, 25).await;
    let page = body(app.get(&format!("{USERS}?limit=10&cursor=last")).await).await;
    let e = emails(&page);
    assert_eq!(e.len(), 10);
    assert_eq!(e.last().unwrap(), "zoé.024@x.example");
    assert!(page["links"]["next"].is_null());
    assert!(page["links"]["prev"].is_string());
}

#[tokio::test]
async fn search_is_a_case_insensitive_prefix_over_several_fields_with_exact_total() {
    let app = TestApp::spawn().await;
    seed(&app, 30).await;
    app.create_user("default", json!({"email": "zed@x.example", "last_name": "Markowitz", "phone": "+4917099887766", "username": "mk-zed"})).await;
    let p = body(app.get(&format!("{USERS}?search=MAR")).await).await;
    // Six Marias, six Marks, and Zed Markowitz.
    assert_eq!(p["total"], 13);
    assert_eq!(
        body(app.get(&format!("{USERS}?search=%2B49170")).await).await["total"],
        1
    );
    assert_eq!(
        body(app.get(&format!("{USERS}?search=mk-")).await).await["total"],
        1
    );
    assert_eq!(
        body(app.get(&format!("{USERS}?search=tester1")).await).await["total"],
        11
    );
    assert_eq!(
        body(app.get(&format!("{USERS}?search=zo")).await).await["total"],
        6
    );
    assert_eq!(
        body(app.get(&format!("{USERS}?search=ZOÉ")).await).await["total"],
        6
    );
    // Search and filter together, with links that keep both.
    let p = body(
        app.get(&format!("{USERS}?search=mar&state=active&limit=2"))
            .await,
    )
    .await;
    let next = link(&p, "next").unwrap();
    assert!(
        next.contains("search=mar") && next.contains("state=active") && next.contains("limit=2"),
        "{next}"
    );
    let expected = body(
        app.get(&format!("{USERS}?search=mar&state=active&limit=200"))
            .await,
    )
    .await;
    assert_eq!(p["total"], expected["total"]);
}

#[tokio::test]
async fn the_expired_invitation_filter_follows_the_clock() {
    let app = TestApp::spawn().await;
    app.create_user("default", json!({"email": "early@x.example"}))
        .await;
    app.clock.advance(Duration::days(3));
    app.create_user("default", json!({"email": "late@x.example"}))
        .await;
    app.clock.advance(Duration::days(4) + Duration::seconds(1));
    let expired = body(app.get(&format!("{USERS}?state=expired_invitation")).await).await;
    assert_eq!(emails(&expired), vec!["early@x.example"]);
    assert_eq!(expired["total"], 1);
    let pending = body(app.get(&format!("{USERS}?state=pending_invitation")).await).await;
    assert_eq!(emails(&pending), vec!["late@x.example"]);
    assert_eq!(pending["total"], 1);
    // The sweep materialises it; answers do not change.
    app.services
        .store
        .sweep_expired_invitations(app.services.clock.now(), 100)
        .await
        .unwrap();
    let again = body(app.get(&format!("{USERS}?state=expired_invitation")).await).await;
    assert_eq!(emails(&again), vec!["early@x.example"]);
}

#[tokio::test]
async fn archived_filter_counts_exactly() {
    let app = TestApp::spawn().await;
    seed(&app, 9).await;
    let active = body(app.get(&format!("{USERS}?state=active")).await).await;
    let first = &active["items"][0];
    app.post(
        &format!("{USERS}/{}/archive", first["id"].as_str().unwrap()),
        &json!({}),
    )
    .await;
    assert_eq!(
        body(app.get(&format!("{USERS}?archived=true")).await).await["total"],
        1
    );
    assert_eq!(
        body(app.get(&format!("{USERS}?archived=false")).await).await["total"],
        8
    );
    assert_eq!(
        body(
            app.get(&format!("{USERS}?state=active&archived=false"))
                .await
        )
        .await["total"],
        2
    );
}

#[tokio::test]
async fn pages_stay_correct_while_users_come_and_go() {
    let app = TestApp::spawn().await;
    seed(&app, 20).await;
    let page1 = body(app.get(&format!("{USERS}?limit=5")).await).await;
    // Someone deletes the next user and adds one before the cursor.
    let all = body(app.get(&format!("{USERS}?limit=200")).await).await;
    let sixth = &all["items"][5];
    app.delete(&format!("{USERS}/{}", sixth["id"].as_str().unwrap()))
        .await;
    app.create_user("default", json!({"email": "aaa@x.example"}))
        .await;
    let page2 = body(app.get(&link(&page1, "next").unwrap()).await).await;
    let e2 = emails(&page2);
    assert_eq!(
        e2.first().map(String::as_str),
        all["items"][6]["email"].as_str()
    );
    assert!(!e2.contains(&sixth["email"].as_str().unwrap().to_owned()));
}

/// Logs `email` in (creating the user with a password) and enrols a TOTP
/// app through the end-user API, as a person would. Answers the user's id.
async fn enrolled_user(app: &TestApp, email: &str) -> String {
    let tokens = app
        .login_as("default", email, "correct horse battery")
        .await;
    let access = tokens["access_token"].as_str().unwrap();
    let auth = |path: &str| format!("/api/v1/tenants/default/auth/{path}");
    let res = app
        .as_user(Method::POST, &auth("totp"), access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let secret = body(res).await["secret"].as_str().unwrap().to_owned();
    let secret = usher_core::mfa::TotpSecret::from_base32(&secret).unwrap();
    let step = usher_core::mfa::totp_step(app.clock_now().unix_timestamp());
    let res = app
        .as_user(Method::POST, &auth("totp/confirm"), access)
        .json(&json!({"code": usher_core::mfa::totp_code(&secret, step)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let found = body(app.get(&format!("{USERS}?search={email}")).await).await;
    assert_eq!(found["items"][0]["mfa_enrolled"], true);
    found["items"][0]["id"].as_str().unwrap().to_owned()
}

fn total(page: &Value) -> u64 {
    page["total"].as_u64().unwrap()
}

#[tokio::test]
async fn the_mfa_filter_lists_users_with_or_without_a_second_factor_with_links_that_keep_it() {
    let app = TestApp::spawn().await;
    // Twelve without a factor (four active, two of them Annas), three with.
    seed(&app, 12).await;
    let mut enrolled = Vec::new();
    for i in 0..3 {
        enrolled.push(enrolled_user(&app, &format!("ann.mfa{i}@x.example")).await);
    }
    let with = body(app.get(&format!("{USERS}?mfa=true")).await).await;
    assert_eq!(total(&with), 3);
    assert_eq!(
        emails(&with),
        [
            "ann.mfa0@x.example",
            "ann.mfa1@x.example",
            "ann.mfa2@x.example"
        ]
    );
    let without = body(app.get(&format!("{USERS}?mfa=false&limit=200")).await).await;
    assert_eq!(total(&without), 12);
    assert!(
        without["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["mfa_enrolled"] == false)
    );

    // Pages of two: every link keeps the filter, and they lead through
    // exactly the enrolled users.
    let first = body(app.get(&format!("{USERS}?mfa=true&limit=2")).await).await;
    for which in ["first", "next", "last"] {
        let l = link(&first, which).unwrap();
        assert!(
            l.contains("mfa=true") && l.contains("limit=2"),
            "{which}: {l}"
        );
    }
    assert!(first["links"]["prev"].is_null());
    let second = body(app.get(&link(&first, "next").unwrap()).await).await;
    assert_eq!(emails(&second), ["ann.mfa2@x.example"]);
    assert_eq!(total(&second), 3);
    assert!(second["links"]["next"].is_null());
    assert_eq!(
        emails(&body(app.get(&link(&second, "prev").unwrap()).await).await),
        ["ann.mfa0@x.example", "ann.mfa1@x.example"]
    );
    let last = body(app.get(&link(&first, "last").unwrap()).await).await;
    assert_eq!(emails(&last), ["ann.mfa1@x.example", "ann.mfa2@x.example"]);

    // With the state, archived and search filters.
    let count = |q: &'static str| {
        let app = &app;
        async move { total(&body(app.get(&format!("{USERS}?{q}")).await).await) }
    };
    assert_eq!(count("mfa=true&state=active").await, 3);
    assert_eq!(count("mfa=false&state=active").await, 4);
    assert_eq!(count("mfa=true&state=not_invited").await, 0);
    assert_eq!(count("mfa=true&search=ann").await, 3);
    assert_eq!(count("mfa=false&search=ann").await, 2);
    assert_eq!(count("mfa=true&search=ann.mfa1").await, 1);
    let empty = body(app.get(&format!("{USERS}?mfa=true&state=blocked")).await).await;
    assert_eq!((total(&empty), emails(&empty).len()), (0, 0));
    assert!(empty["links"]["prev"].is_null() && empty["links"]["next"].is_null());
    app.post(&format!("{USERS}/{}/archive", enrolled[1]), &json!({}))
        .await;
    assert_eq!(count("mfa=true&archived=true").await, 1);
    assert_eq!(count("mfa=true&archived=false").await, 2);
    assert_eq!(count("mfa=false&archived=true").await, 0);
    let archived = body(
        app.get(&format!(
            "{USERS}?mfa=true&archived=true&state=active&search=ann"
        ))
        .await,
    )
    .await;
    assert_eq!(emails(&archived), ["ann.mfa1@x.example"]);
    // Deleting an enrolled user takes it out of the count.
    app.delete(&format!("{USERS}/{}", enrolled[0])).await;
    assert_eq!(count("mfa=true").await, 2);
    assert_eq!(count("mfa=false").await, 12);
}

#[tokio::test]
async fn a_tenant_that_requires_a_search_lists_nobody_without_one() {
    let app = TestApp::spawn().await;
    for email in ["adalovelace@x.example", "alan.turing@x.example"] {
        app.create_user("default", json!({"email": email})).await;
    }
    let res = app
        .patch(
            "/api/v1/tenants/default/settings",
            &json!({"list_requires_search": true, "min_search_length": 7}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let settings = body(res).await;
    assert_eq!(settings["list_requires_search"], true);

    let page = body(app.get("/api/v1/tenants/default/users").await).await;
    assert_eq!(
        (
            page["items"].as_array().map(Vec::len),
            page["total"].as_u64()
        ),
        (Some(0), Some(0)),
        "{page}"
    );
    let short = app.get("/api/v1/tenants/default/users?search=adalov").await;
    assert_eq!(short.status(), 400);
    let problem = body(short).await;
    assert_eq!(problem["code"], "search_too_short");
    assert!(
        problem["detail"].as_str().unwrap().contains("7"),
        "{problem}"
    );
    let found = body(
        app.get("/api/v1/tenants/default/users?search=adalove")
            .await,
    )
    .await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["email"], "adalovelace@x.example");

    let res = app
        .patch(
            "/api/v1/tenants/default/settings",
            &json!({"list_requires_search": null}),
        )
        .await;
    assert_eq!(res.status(), 422, "the setting cannot be unset");
    let res = app
        .patch(
            "/api/v1/tenants/default/settings",
            &json!({"list_requires_search": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let all = body(app.get("/api/v1/tenants/default/users").await).await;
    assert_eq!(all["total"], 2);
}
