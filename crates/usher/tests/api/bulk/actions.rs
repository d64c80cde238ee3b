//! Every bulk action does what the single action does.

use super::{act, finished, get_user, rows, start, upload_csv, upload_form, user};
use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::{TestApp, json as body};

const PASSWORD: &str = "correct horse battery";

/// What a user must look like after an action.
type Check = Box<dyn Fn(&Value) -> bool>;

#[tokio::test]
async fn every_action_runs_like_the_single_action() {
    let app = TestApp::spawn().await;
    let id = |u: &Value| u["id"].as_str().unwrap().to_owned();
    let active = |e: &'static str| {
        let app = &app;
        async move { user(app, e, json!({})).await }
    };
    let blocked = active("blocked@x.example").await;
    act(&app, &id(&blocked), "block").await;
    let disabled = active("disabled@x.example").await;
    act(&app, &id(&disabled), "disable").await;
    let fresh = app
        .create_user(
            "default",
            json!({"email": "fresh@x.example", "send_invitation": false}),
        )
        .await;
    let signed_in = app.login_as("default", "signed@x.example", PASSWORD).await;
    let signed_user = body(
        app.get("/api/v1/tenants/default/users?search=signed@x")
            .await,
    )
    .await["items"][0]
        .clone();
    let doomed = active("doomed@x.example").await;

    let cases: Vec<(&str, String, Check)> = vec![
        (
            "block",
            id(&active("a1@x.example").await),
            Box::new(|u| u["state"] == "blocked"),
        ),
        (
            "unblock",
            id(&blocked),
            Box::new(|u| u["state"] == "active"),
        ),
        (
            "disable",
            id(&active("a2@x.example").await),
            Box::new(|u| u["state"] == "disabled"),
        ),
        (
            "enable",
            id(&disabled),
            Box::new(|u| u["state"] == "active"),
        ),
        (
            "archive",
            id(&active("a3@x.example").await),
            Box::new(|u| u["archived"] == true),
        ),
        (
            "send_invitation",
            id(&fresh),
            Box::new(|u| u["state"] == "pending_invitation"),
        ),
        (
            "password_reset",
            id(&active("a4@x.example").await),
            Box::new(|u| u["state"] == "active"),
        ),
        (
            "revoke_sessions",
            id(&signed_user),
            Box::new(|u| u["state"] == "active"),
        ),
    ];
    for (action, uid, check) in cases {
        let csv = format!("id\n{uid}\n");
        let fields = [("action", action), ("validate", "false"), ("note", "")];
        let (status, up) = upload_form(&app, &fields, Some(&csv)).await;
        assert_eq!(status, 201, "{action}: {up}");
        let pid = up["id"].as_str().unwrap().to_owned();
        let (status, _) = start(&app, &pid, json!({})).await;
        assert_eq!(status, 202, "{action}");
        let done = finished(&app, &pid).await;
        assert_eq!(
            done["processed"],
            1,
            "{action}: {:?}",
            rows(&app, &pid).await
        );
        let (_, u) = get_user(&app, &uid).await;
        assert!(check(&u), "{action}: {u}");
    }
    // The invitation and the reset went out as mail.
    let outbox = body(app.get("/api/v1/tenants/default/outbox?limit=200").await).await;
    let kinds: Vec<(&str, &str)> = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["recipient"].as_str().unwrap(),
                m["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("fresh@x.example", "invitation")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("a4@x.example", "password_reset")),
        "{kinds:?}"
    );
    // Revoking sessions ended the user's session at once.
    let token = signed_in["access_token"].as_str().unwrap();
    let me = app
        .as_user(Method::GET, "/api/v1/tenants/default/auth/me", token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);

    // Deleting needs an explicit confirmation at start.
    let csv = format!("email\n{}\n", doomed["email"].as_str().unwrap());
    let (_, up) = upload_csv(&app, "action=delete", &csv).await;
    let pid = up["id"].as_str().unwrap().to_owned();
    let (status, problem) = start(&app, &pid, json!({})).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "confirm_delete");
    assert_eq!(problem["errors"][0]["code"], "confirmation_required");
    let (status, _) = start(&app, &pid, json!({"confirm_delete": true})).await;
    assert_eq!(status, 202);
    assert_eq!(finished(&app, &pid).await["processed"], 1);
    assert_eq!(get_user(&app, &id(&doomed)).await.0, 404);
}

#[tokio::test]
async fn assign_role_and_remove_role_give_and_take_one_of_the_tenants_roles() {
    let app = TestApp::spawn().await;
    app.post("/api/v1/tenants/default/roles", &json!({"name": "sales"}))
        .await;
    let ann = user(&app, "ann@x.example", json!({})).await;
    let bob = user(&app, "bob@x.example", json!({})).await;
    let csv = "email\nann@x.example\nbob@x.example\n";
    // The role is required, must be the tenant's own, and only role actions take one.
    for (query, field_code) in [
        ("action=assign_role", "required"),
        ("action=assign_role&role=nobody", "invalid_value"),
        ("action=assign_role&role=tenant_admin", "invalid_value"),
        ("action=block&role=sales", "invalid_value"),
    ] {
        let (status, problem) = upload_csv(&app, query, csv).await;
        assert_eq!(status, 422, "{query}: {problem}");
        assert_eq!(problem["errors"][0]["field"], "role", "{query}");
        assert_eq!(problem["errors"][0]["code"], field_code, "{query}");
    }
    let listed = body(app.get("/api/v1/tenants/default/bulk-processes").await).await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        0,
        "nothing stored"
    );

    let roles_of = |u: &Value| {
        let id = u["id"].as_str().unwrap().to_owned();
        let app = &app;
        async move { get_user(app, &id).await.1["roles"].clone() }
    };
    let (status, up) = upload_csv(&app, "action=assign_role&role=Sales", csv).await;
    assert_eq!(status, 201, "{up}");
    assert_eq!(up["role"], "sales", "the role as the tenant spells it");
    let pid = up["id"].as_str().unwrap().to_owned();
    assert_eq!(start(&app, &pid, json!({})).await.0, 202);
    assert_eq!(finished(&app, &pid).await["processed"], 2);
    assert_eq!(roles_of(&ann).await, json!(["sales"]));
    assert_eq!(roles_of(&bob).await, json!(["sales"]));
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=user.role_assign&limit=5")
            .await,
    )
    .await;
    assert_eq!(audit["items"][0]["details"]["role"], "sales");
    assert_eq!(audit["items"][0]["details"]["role_changed"], true);

    let (_, up) = upload_form(
        &app,
        &[("action", "remove_role"), ("role", "sales")],
        Some("email\nbob@x.example\n"),
    )
    .await;
    let pid = up["id"].as_str().unwrap().to_owned();
    assert_eq!(start(&app, &pid, json!({})).await.0, 202);
    assert_eq!(finished(&app, &pid).await["processed"], 1);
    assert_eq!(roles_of(&ann).await, json!(["sales"]));
    assert_eq!(roles_of(&bob).await, json!([]));
}

#[tokio::test]
async fn a_person_who_holds_an_admin_role_is_left_alone_by_every_bulk_action() {
    let app = TestApp::spawn().await;
    let admin = user(&app, "admin@x.example", json!({})).await;
    let plain = user(&app, "plain@x.example", json!({})).await;
    let admin_id = admin["id"].as_str().unwrap().to_owned();
    app.grant_admin("default", &admin_id, "tenant_admin").await;
    let (_, up) = upload_csv(
        &app,
        "action=block",
        "email\nadmin@x.example\nplain@x.example\n",
    )
    .await;
    let pid = up["id"].as_str().unwrap().to_owned();
    assert_eq!(start(&app, &pid, json!({})).await.0, 202);
    let done = finished(&app, &pid).await;
    assert_eq!(
        (done["processed"].as_i64(), done["skipped"].as_i64()),
        (Some(1), Some(1))
    );
    let outcomes: Vec<Value> = rows(&app, &pid)
        .await
        .iter()
        .map(|r| r["outcome"].clone())
        .collect();
    assert_eq!(outcomes, [json!("admin_user"), json!("processed")]);
    assert_eq!(get_user(&app, &admin_id).await.1["state"], "active");
    let plain_id = plain["id"].as_str().unwrap();
    assert_eq!(get_user(&app, plain_id).await.1["state"], "blocked");
}
