//! Queued mails whose link died or whose user moved on: cancelled, never
//! sent.

use super::{ACCEPT, GOOD, USERS, outbox_links, redeem, restart_with_smtp, token};
use serde_json::{Value, json};
use usher_testkit::app::{TestApp, json as body};
use usher_testkit::smtp::SmtpServer;

/// The outbox entry of the mail to `email` once it is no longer queued.
async fn settled_mail(app: &TestApp, email: &str) -> Value {
    for _ in 0..200 {
        let page = body(app.get("/api/v1/tenants/default/outbox?limit=200").await).await;
        let mail = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["recipient"] == email)
            .cloned()
            .expect("the mail is in the outbox");
        if mail["state"] != "queued" {
            return mail;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the mail to {email} stayed queued");
}

#[tokio::test]
async fn an_invitation_accepted_before_smtp_came_is_cancelled_not_sent() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let app = TestApp::spawn().await;
    app.create_user("default", json!({"email": "grace@x.example"}))
        .await;
    let link = outbox_links(&app, "grace@x.example").await.pop().unwrap();
    assert_eq!(redeem(&app, ACCEPT, &token(&link), GOOD).await.0, 200);
    let mail = settled_mail(&app, "grace@x.example").await;
    assert_eq!(
        (&mail["state"], &mail["last_error"]),
        (&json!("cancelled"), &json!("cancelled: the link was used"))
    );
    assert_eq!(mail["link"], Value::Null, "the dead link is not kept");

    let restarted = restart_with_smtp(&app, &smtp).await;
    restarted
        .create_user("default", json!({"email": "henry@x.example"}))
        .await;
    smtp.wait_for("henry@x.example", 1).await;
    assert!(
        smtp.received().iter().all(|m| !m.to.contains("grace@")),
        "Grace's used invitation was not mailed"
    );
}

#[tokio::test]
async fn a_queued_invitation_to_an_address_the_user_left_is_cancelled_at_delivery() {
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let app = TestApp::spawn().await;
    let ivy = app
        .create_user("default", json!({"email": "ivy@x.example"}))
        .await;
    // The address changes by a write that does not end the links (as
    // writes of earlier versions did): the deliverer is the last guard.
    let id: usher_core::UserId = ivy["id"].as_str().unwrap().parse().unwrap();
    let tenant = app.services.find_tenant("default").await.unwrap();
    let ctx = usher_core::audit::AuditContext::new(usher_core::audit::Actor::system());
    app.services
        .store
        .modify_user(usher_core::store::UserWrite {
            tenant_id: tenant.id,
            user_id: id,
            if_match: None,
            now: app.clock_now(),
            mutation: Box::new(|u| {
                u.email = usher_core::user::fields::Email::parse("email", "ivy.new@x.example")
                    .expect("a valid email");
                Ok(usher_core::store::Effects::default())
            }),
            audit: ctx.draft_named(Some(tenant.id), "test.email", app.clock_now()),
        })
        .await
        .unwrap();
    let restarted = restart_with_smtp(&app, &smtp).await;
    let mail = settled_mail(&restarted, "ivy@x.example").await;
    assert_eq!(
        (&mail["state"], &mail["last_error"]),
        (
            &json!("cancelled"),
            &json!("cancelled: the user's email changed")
        )
    );
    assert!(
        smtp.received().iter().all(|m| !m.to.contains("ivy@")),
        "nothing went to the old address"
    );
    let events = body(
        restarted
            .get("/api/v1/tenants/default/audit?action=mail.cancel")
            .await,
    )
    .await;
    assert_eq!(events["total"], 1);
}

#[tokio::test]
async fn a_new_email_ends_the_links_sent_to_the_old_one() {
    let app = TestApp::spawn().await;
    let jo = app
        .create_user("default", json!({"email": "jo@x.example"}))
        .await;
    let old = outbox_links(&app, "jo@x.example").await.pop().unwrap();
    let res = app
        .patch(
            &format!("{USERS}/{}", jo["id"].as_str().unwrap()),
            &json!({"email": "jo.new@x.example"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    // Whoever reads the old mailbox can no longer use its link.
    assert_eq!(redeem(&app, ACCEPT, &token(&old), GOOD).await.0, 400);
    let mail = settled_mail(&app, "jo@x.example").await;
    assert_eq!(
        (&mail["state"], &mail["last_error"], &mail["link"]),
        (
            &json!("cancelled"),
            &json!("cancelled: the user's email changed"),
            &Value::Null
        )
    );
    // A fresh invitation goes to the new address.
    let res = app
        .post(
            &format!("{USERS}/{}/invitation", jo["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let new = outbox_links(&app, "jo.new@x.example").await.pop().unwrap();
    assert_eq!(redeem(&app, ACCEPT, &token(&new), GOOD).await.0, 200);
}
