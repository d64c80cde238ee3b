//! Invitations and password resets: links, mail, pages, the auth API.
//! Mails that must not go out any more are in `cancelled`.

mod cancelled;
mod flood;

use serde_json::{Value, json};
use time::Duration;
use usher_testkit::app::{TestApp, TestOptions, json as body};
use usher_testkit::smtp::SmtpServer;

const USERS: &str = "/api/v1/tenants/default/users";
const ACCEPT: &str = "/api/v1/tenants/default/auth/invitations/accept";
const COMPLETE: &str = "/api/v1/tenants/default/auth/password-reset/complete";
const GOOD: &str = "correct horse battery staple";

/// The token at the end of a link.
fn token(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

/// Links in the outbox for `email`, newest first.
async fn outbox_links(app: &TestApp, email: &str) -> Vec<String> {
    let page = body(app.get("/api/v1/tenants/default/outbox?limit=200").await).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["recipient"] == email)
        .filter_map(|m| m["link"].as_str().map(str::to_owned))
        .collect()
}

async fn redeem(app: &TestApp, path: &str, token: &str, password: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(path))
        .json(&json!({"token": token, "password": password}))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), body(res).await)
}

/// Fills in the page's form: GET for the cookie and CSRF field, then POST.
async fn submit_page(app: &TestApp, link: &str, password: &str, confirm: &str) -> (u16, String) {
    let path = link.trim_start_matches("http://usher.test");
    let page = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(
        page.status().as_u16(),
        200,
        "the link's page should show a form"
    );
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .post(app.url(path))
        .header("cookie", cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("password", password),
            ("password_confirmation", confirm),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn an_invitation_mail_arrives_and_its_link_sets_the_password_and_activates_the_user() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let app = TestApp::spawn_with(TestOptions {
        smtp_url: Some(smtp.url()),
        ..Default::default()
    })
    .await;
    let u = app
        .create_user(
            "default",
            json!({"email": "ada@x.example", "first_name": "Ada"}),
        )
        .await;
    let mails = smtp.wait_for("ada@x.example", 1).await;
    let mail = &mails[0];
    assert_eq!(mail.subject, "You are invited to Default");
    assert!(mail.text.starts_with("Hello Ada,"));
    assert!(
        mail.html
            .contains("<a href=\"http://usher.test/t/default/invite/")
    );
    assert_eq!(
        mail.message_id,
        format!("<{}@usher>", outbox_id(&app).await)
    );
    let link = mail.link("/invite/").expect("a link");
    assert!(link.starts_with("http://usher.test/t/default/invite/usher_inv_"));
    let (status, page) = submit_page(&app, &link, GOOD, GOOD).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Your account is ready"));
    let user = body(
        app.get(&format!("{USERS}/{}", u["id"].as_str().unwrap()))
            .await,
    )
    .await;
    assert_eq!(user["state"], "active");
    assert!(user["signup_completed_at"].is_string());
    assert!(
        app.services
            .store
            .password_hash(user_tenant(&app).await, uid(&u))
            .await
            .unwrap()
            .unwrap()
            .starts_with("$argon2id$")
    );
    // Used once: the page is now the neutral one.
    let again = app
        .client
        .get(app.url(link.trim_start_matches("http://usher.test")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 404);
    // Delivered mails no longer hold their link.
    assert!(outbox_links(&app, "ada@x.example").await.is_empty());
}

async fn outbox_id(app: &TestApp) -> String {
    let page = body(app.get("/api/v1/tenants/default/outbox").await).await;
    page["items"][0]["id"].as_str().unwrap().to_owned()
}

async fn user_tenant(app: &TestApp) -> usher_core::TenantId {
    app.services.find_tenant("default").await.unwrap().id
}

fn uid(u: &Value) -> usher_core::UserId {
    u["id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn mail_is_written_in_the_users_language() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let app = TestApp::spawn_with(TestOptions {
        smtp_url: Some(smtp.url()),
        ..Default::default()
    })
    .await;
    app.create_user(
        "default",
        json!({"email": "de@x.example", "language": "de"}),
    )
    .await;
    app.create_user(
        "default",
        json!({"email": "fr@x.example", "language": "fr", "first_name": "Zoé"}),
    )
    .await;
    assert_eq!(
        smtp.wait_for("de@x.example", 1).await[0].subject,
        "Einladung zu Default"
    );
    let fr = &smtp.wait_for("fr@x.example", 1).await[0];
    assert_eq!(fr.subject, "Invitation à rejoindre Default");
    assert!(fr.text.starts_with("Bonjour Zoé,"));
}

#[tokio::test]
async fn a_password_reset_mail_leads_to_a_new_password_and_the_link_dies() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let app = TestApp::spawn_with(TestOptions {
        smtp_url: Some(smtp.url()),
        ..Default::default()
    })
    .await;
    let u = app
        .create_user("default", json!({"email": "r@x.example", "activate": true}))
        .await;
    let res = app
        .post(
            &format!("{USERS}/{}/password-reset", u["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        body(res).await["version"],
        1,
        "a reset link changes nothing on the user"
    );
    let mail = &smtp.wait_for("r@x.example", 1).await[0];
    assert_eq!(mail.subject, "Reset your password for Default");
    let t = token(&mail.link("/reset/").unwrap());
    assert!(t.starts_with("usher_rst_"));
    assert_eq!(
        redeem(&app, COMPLETE, &t, GOOD).await,
        (200, json!({"status": "password_changed"}))
    );
    let (status, p) = redeem(&app, COMPLETE, &t, "another good password").await;
    assert_eq!((status, p["code"].as_str()), (400, Some("invalid_link")));
}

#[tokio::test]
async fn without_smtp_mail_waits_in_the_outbox_with_its_link() {
    let app = TestApp::spawn().await;
    app.create_user("default", json!({"email": "o@x.example"}))
        .await;
    let page = body(app.get("/api/v1/tenants/default/outbox").await).await;
    assert_eq!(page["total"], 1);
    let m = &page["items"][0];
    assert_eq!(
        (m["state"].as_str(), m["kind"].as_str()),
        (Some("queued"), Some("invitation"))
    );
    assert_eq!(m["subject"], "You are invited to Default");
    let link = m["link"].as_str().unwrap();
    assert_eq!(redeem(&app, ACCEPT, &token(link), GOOD).await.0, 200);
    let res = app.get("/api/v1/tenants/default/outbox?state=sent").await;
    assert_eq!(body(res).await["total"], 0);
}

#[tokio::test]
async fn queued_mail_is_delivered_after_a_restart_with_smtp() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let app = TestApp::spawn().await;
    app.create_user("default", json!({"email": "later@x.example"}))
        .await;
    let restarted = restart_with_smtp(&app, &smtp).await;
    let mail = &smtp.wait_for("later@x.example", 1).await[0];
    assert!(mail.link("/invite/").is_some());
    // The server received the mail a moment before the job records it sent.
    let mut page = Value::Null;
    for _ in 0..100 {
        page = body(
            restarted
                .get("/api/v1/tenants/default/outbox?state=sent")
                .await,
        )
        .await;
        if page["total"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["attempts"], 1);
}

#[tokio::test]
async fn a_resent_invitation_kills_the_older_link() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user("default", json!({"email": "re@x.example"}))
        .await;
    let old = outbox_links(&app, "re@x.example").await.pop().unwrap();
    let res = app
        .post(
            &format!("{USERS}/{}/invitation", u["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let links = outbox_links(&app, "re@x.example").await;
    assert_eq!(links.len(), 1, "the older mail was cancelled with its link");
    assert_ne!(links[0], old);
    assert_eq!(redeem(&app, ACCEPT, &token(&old), GOOD).await.0, 400);
    assert_eq!(redeem(&app, ACCEPT, &token(&links[0]), GOOD).await.0, 200);
}

#[tokio::test]
async fn an_invitation_expires_after_its_validity() {
    let app = TestApp::spawn().await;
    app.create_user("default", json!({"email": "ex@x.example"}))
        .await;
    let link = outbox_links(&app, "ex@x.example").await.pop().unwrap();
    app.clock.advance(Duration::days(7) + Duration::seconds(1));
    let page = app
        .client
        .get(app.url(link.trim_start_matches("http://usher.test")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 404);
    assert_eq!(redeem(&app, ACCEPT, &token(&link), GOOD).await.0, 400);
}

#[tokio::test]
async fn two_concurrent_redemptions_of_one_link_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    app.create_user("default", json!({"email": "race@x.example"}))
        .await;
    let t = token(&outbox_links(&app, "race@x.example").await.pop().unwrap());
    let mut tasks = Vec::new();
    for i in 0..6 {
        let req = app
            .client
            .post(app.url(ACCEPT))
            .json(&json!({"token": t, "password": format!("{GOOD} {i}")}));
        tasks.push(tokio::spawn(async move {
            req.send().await.unwrap().status().as_u16()
        }));
    }
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(task.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 400).count(), 5, "{codes:?}");
}

#[tokio::test]
async fn the_password_policy_follows_nist() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user(
            "default",
            json!({"email": "pol@x.example", "username": "polly"}),
        )
        .await;
    let t = token(&outbox_links(&app, "pol@x.example").await.pop().unwrap());
    for (pw, code) in [
        ("short", "too_short"),
        ("password", "common_password"),
        ("ｐａｓｓｗｏｒｄ", "common_password"),
        ("pol@x.example", "same_as_email"),
        ("POLLY", "too_short"),
        (&"x".repeat(257), "too_long"),
    ] {
        let (status, p) = redeem(&app, ACCEPT, &t, pw).await;
        assert_eq!(
            (status, p["errors"][0]["code"].as_str()),
            (422, Some(code)),
            "{pw}"
        );
    }
    // Refusals keep the link alive; 64 characters and Unicode are fine.
    let long: String = "é".repeat(64);
    assert_eq!(redeem(&app, ACCEPT, &t, &long).await.0, 200);
    let user = body(
        app.get(&format!("{USERS}/{}", u["id"].as_str().unwrap()))
            .await,
    )
    .await;
    assert_eq!(user["state"], "active");
}

#[tokio::test]
async fn unknown_used_and_expired_links_get_identical_answers() {
    let app = TestApp::spawn().await;
    app.create_user("default", json!({"email": "used@x.example"}))
        .await;
    app.create_user("default", json!({"email": "old@x.example"}))
        .await;
    let used = token(&outbox_links(&app, "used@x.example").await.pop().unwrap());
    let old = token(&outbox_links(&app, "old@x.example").await.pop().unwrap());
    assert_eq!(redeem(&app, ACCEPT, &used, GOOD).await.0, 200);
    app.clock.advance(Duration::days(8));
    let unknown = "usher_inv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned();
    let answers: Vec<(u16, Value)> = vec![
        redeem(&app, ACCEPT, &unknown, GOOD).await,
        redeem(&app, ACCEPT, &used, GOOD).await,
        redeem(&app, ACCEPT, &old, GOOD).await,
    ];
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].1["code"], "invalid_link");
    let mut pages = Vec::new();
    for t in [&unknown, &used, &old] {
        let res = app
            .client
            .get(app.url(&format!("/t/default/invite/{t}")))
            .send()
            .await
            .unwrap();
        pages.push((res.status().as_u16(), res.text().await.unwrap()));
    }
    let unknown_tenant = app
        .client
        .get(app.url(&format!("/t/nowhere/invite/{unknown}")))
        .send()
        .await
        .unwrap();
    pages.push((
        unknown_tenant.status().as_u16(),
        unknown_tenant.text().await.unwrap(),
    ));
    assert!(pages.iter().all(|p| p == &pages[0]));
    assert_eq!(pages[0].0, 404);
}

#[tokio::test]
async fn the_page_refuses_a_post_without_its_csrf_cookie_and_mismatched_passwords() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user("default", json!({"email": "csrf@x.example"}))
        .await;
    let link = outbox_links(&app, "csrf@x.example").await.pop().unwrap();
    let path = link.trim_start_matches("http://usher.test").to_owned();
    let res = app
        .client
        .post(app.url(&path))
        .form(&[
            ("csrf", "forged"),
            ("password", GOOD),
            ("password_confirmation", GOOD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let (status, page) = submit_page(&app, &link, GOOD, "something else").await;
    assert_eq!(status, 422);
    assert!(page.contains("role=\"alert\""));
    let user = body(
        app.get(&format!("{USERS}/{}", u["id"].as_str().unwrap()))
            .await,
    )
    .await;
    assert_eq!(user["state"], "pending_invitation");
    let (status, page) = submit_page(&app, &link, "password", "password").await;
    assert_eq!(status, 422);
    assert!(page.contains("most common"));
}

#[tokio::test]
async fn the_page_speaks_the_users_language_and_labels_its_fields() {
    let app = TestApp::spawn().await;
    app.create_user(
        "default",
        json!({"email": "de@x.example", "language": "de"}),
    )
    .await;
    let link = outbox_links(&app, "de@x.example").await.pop().unwrap();
    let html = app
        .client
        .get(app.url(link.trim_start_matches("http://usher.test")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"de\">"));
    assert!(html.contains("Passwort festlegen"));
    assert!(html.contains("<label for=\"password\">") && html.contains("id=\"password\""));
    assert!(html.contains("autocomplete=\"new-password\""));
}

#[tokio::test]
async fn resets_are_only_for_active_or_blocked_users_and_disable_kills_links() {
    let app = TestApp::spawn().await;
    let pending = app
        .create_user("default", json!({"email": "p@x.example"}))
        .await;
    let res = app
        .post(
            &format!("{USERS}/{}/password-reset", pending["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 409);
    let link = outbox_links(&app, "p@x.example").await.pop().unwrap();
    app.post(
        &format!("{USERS}/{}/disable", pending["id"].as_str().unwrap()),
        &json!({}),
    )
    .await;
    assert_eq!(redeem(&app, ACCEPT, &token(&link), GOOD).await.0, 400);
    let mails = body(app.get("/api/v1/tenants/default/outbox").await).await;
    assert_eq!(
        mails["items"][0]["state"], "cancelled",
        "the queued invitation was cancelled"
    );
    let blocked = app
        .create_user("default", json!({"email": "b@x.example", "activate": true}))
        .await;
    let id = blocked["id"].as_str().unwrap();
    app.post(&format!("{USERS}/{id}/block"), &json!({})).await;
    assert_eq!(
        app.post(&format!("{USERS}/{id}/password-reset"), &json!({}))
            .await
            .status()
            .as_u16(),
        200
    );
    let t = token(&outbox_links(&app, "b@x.example").await.pop().unwrap());
    assert_eq!(redeem(&app, COMPLETE, &t, GOOD).await.0, 200);
}

#[tokio::test]
async fn invitations_redemptions_and_deliveries_are_audited() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let app = TestApp::spawn_with(TestOptions {
        smtp_url: Some(smtp.url()),
        ..Default::default()
    })
    .await;
    let u = app
        .create_user("default", json!({"email": "au@x.example"}))
        .await;
    let link = smtp.wait_for("au@x.example", 1).await[0]
        .link("/invite/")
        .unwrap();
    redeem(&app, ACCEPT, "usher_inv_nope", GOOD).await;
    redeem(&app, ACCEPT, &token(&link), GOOD).await;
    let events = body(app.get("/api/v1/tenants/default/audit?limit=50").await).await;
    let seen: Vec<(String, String, String)> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
                e["actor"]["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for want in [
        ("link.redeem", "success", "user"),
        ("link.redeem", "refused", "anonymous"),
        ("mail.delivered", "success", "system"),
        ("user.create", "success", "token"),
    ] {
        assert!(
            seen.iter()
                .any(|s| (s.0.as_str(), s.1.as_str(), s.2.as_str()) == want),
            "missing {want:?} in {seen:?}"
        );
    }
    let success = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "link.redeem" && e["outcome"] == "success")
        .unwrap();
    assert_eq!(success["target"]["id"], u["id"]);
}

/// `app` started again on its database, now with SMTP.
async fn restart_with_smtp(app: &TestApp, smtp: &SmtpServer) -> TestApp {
    TestApp::spawn_on(
        app,
        TestOptions {
            smtp_url: Some(smtp.url()),
            ..Default::default()
        },
    )
    .await
}
