//! Listing and searching through links, with exact totals.

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
