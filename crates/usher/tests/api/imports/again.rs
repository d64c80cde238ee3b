//! Imports run again, and exports imported back: nothing changes twice.

use super::{find, form_urlencoded_email, import, setup};
use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::{TestApp, json as body};

#[tokio::test]
async fn running_an_import_again_changes_nothing_and_invites_no_one_twice() {
    let (app, _) = setup().await;
    let file = "email,first_name,state,attributes.department\n\
                ann@again.example,Ann,invite,Sales\n\
                bob@again.example,Bob,active,Ops\n\
                cy@again.example,Cy,not_invited,\n";
    let (status, first) = import(&app, "", "text/csv", file).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (&first["created"], &first["unchanged"]),
        (&json!(3), &json!(0))
    );
    let before: Vec<Value> = stored_again_users(&app).await;
    let invitations = || async {
        let page = body(app.get("/api/v1/tenants/default/outbox?limit=200").await).await;
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["recipient"] == "ann@again.example" && m["kind"] == "invitation")
            .count()
    };
    assert_eq!(invitations().await, 1);
    let imports_audited = || async {
        body(
            app.get("/api/v1/tenants/default/audit?action=user.import")
                .await,
        )
        .await["total"]
            .as_u64()
            .unwrap()
    };
    let audited = imports_audited().await;

    let (status, again) = import(&app, "", "text/csv", file).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (&again["created"], &again["updated"], &again["unchanged"]),
        (&json!(0), &json!(0), &json!(3)),
        "{again}"
    );
    assert_eq!(stored_again_users(&app).await, before, "no new versions");
    assert_eq!(invitations().await, 1, "Ann is not invited again");
    assert_eq!(imports_audited().await, audited, "no change was audited");

    // A row that does change its user is an update, and only that one.
    let changed = file.replace("Bob,active,Ops", "Bob,active,Legal");
    let (_, third) = import(&app, "", "text/csv", &changed).await;
    assert_eq!(
        (&third["updated"], &third["unchanged"]),
        (&json!(1), &json!(2)),
        "{third}"
    );
}

/// The three users of the test above as stored, in email order.
async fn stored_again_users(app: &TestApp) -> Vec<Value> {
    let mut users = Vec::new();
    for email in ["ann@again.example", "bob@again.example", "cy@again.example"] {
        users.push(find(app, email).await);
    }
    users
}

#[tokio::test]
async fn an_export_imports_back_into_another_tenant_with_every_state() {
    let app = TestApp::spawn().await;
    let users = "/api/v1/tenants/default/users";
    let act = |id: String, action: &'static str| {
        let app = &app;
        async move {
            let res = app
                .post(&format!("{users}/{id}/{action}"), &json!({}))
                .await;
            assert_eq!(res.status().as_u16(), 200, "{action}");
        }
    };
    let make = |email: &'static str, extra: Value| {
        let app = &app;
        async move {
            let mut b = json!({"email": email, "first_name": "Moved", "language": "de"});
            for (k, v) in extra.as_object().unwrap() {
                b[k] = v.clone();
            }
            app.create_user("default", b).await["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    make("active@move.example", json!({"activate": true})).await;
    let blocked = make("blocked@move.example", json!({"activate": true})).await;
    act(blocked, "block").await;
    let disabled = make("disabled@move.example", json!({"activate": true})).await;
    act(disabled, "disable").await;
    let archived = make("archived@move.example", json!({"activate": true})).await;
    act(archived, "archive").await;
    make("invited@move.example", json!({})).await;
    make("later@move.example", json!({"send_invitation": false})).await;
    let export = app
        .get(&format!("{users}/export?format=csv"))
        .await
        .text()
        .await
        .unwrap();

    // Into another tenant (as into another installation).
    app.create_tenant("moved").await;
    let res = app
        .request(Method::POST, "/api/v1/tenants/moved/imports")
        .header("content-type", "text/csv")
        .body(export.clone())
        .send()
        .await
        .unwrap();
    let report = body(res).await;
    assert_eq!(
        (&report["created"], &report["failed_rows"]),
        (&json!(6), &json!(0)),
        "{report}"
    );
    let state_of = |tenant: &'static str, email: &'static str| {
        let app = &app;
        async move {
            let q = form_urlencoded_email(email);
            let page = body(
                app.get(&format!("/api/v1/tenants/{tenant}/users?search={q}"))
                    .await,
            )
            .await;
            let u = page["items"][0].clone();
            (
                u["state"].clone(),
                u["archived"].clone(),
                u["first_name"].clone(),
                u["language"].clone(),
            )
        }
    };
    for email in [
        "active@move.example",
        "blocked@move.example",
        "disabled@move.example",
        "archived@move.example",
        "invited@move.example",
        "later@move.example",
    ] {
        assert_eq!(
            state_of("moved", email).await,
            state_of("default", email).await,
            "{email}"
        );
    }
    // And back into the tenant it came from: nothing changes.
    let (_, again) = import(&app, "", "text/csv", &export).await;
    assert_eq!(
        (&again["unchanged"], &again["failed_rows"]),
        (&json!(6), &json!(0)),
        "{again}"
    );
}
