//! Roles over HTTP: defining and deleting them, giving them to users and
//! taking them away, every change audited.

use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::{TestApp, json as body};

const ROLES: &str = "/api/v1/tenants/default/roles";

async fn send(app: &TestApp, method: Method, path: &str, payload: Option<Value>) -> (u16, Value) {
    let mut req = app.request(method, path);
    if let Some(p) = payload {
        req = req.json(&p);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn user_roles(id: &str) -> String {
    format!("/api/v1/tenants/default/users/{id}/roles")
}

#[tokio::test]
async fn roles_are_defined_listed_and_refused_with_every_bad_field_named() {
    let app = TestApp::spawn().await;
    let (status, role) = send(
        &app,
        Method::POST,
        ROLES,
        Some(json!({"name": "sales.EU", "description": "Sales in Europe"})),
    )
    .await;
    assert_eq!(status, 201, "{role}");
    assert_eq!(role["name"], "sales.EU");
    assert!(role["created_at"].is_string());

    let (status, problem) =
        send(&app, Method::POST, ROLES, Some(json!({"name": "SALES.eu"}))).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("role_exists"))
    );
    let (status, problem) =
        send(&app, Method::POST, ROLES, Some(json!({"name": "Helpdesk"}))).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("built_in_role"))
    );
    let (status, problem) = send(
        &app,
        Method::POST,
        ROLES,
        Some(json!({"name": "no spaces", "description": "x".repeat(501), "colour": "red"})),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name", "description", "colour"], "{problem}");

    let list = body(app.get(ROLES).await).await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["users"], 0);
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=role.create")
            .await,
    )
    .await;
    let outcomes: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["refused", "refused", "refused", "success"]);
}

#[tokio::test]
async fn a_user_is_given_roles_and_loses_them_with_the_role_or_by_name() {
    let app = TestApp::spawn().await;
    send(&app, Method::POST, ROLES, Some(json!({"name": "sales"}))).await;
    let ann = app
        .create_user("default", json!({"email": "ann@roles.example"}))
        .await;
    let id = ann["id"].as_str().unwrap();
    for role in ["sales", "SALES", "helpdesk"] {
        let (status, problem) = send(
            &app,
            Method::PUT,
            &format!("{}/{role}", user_roles(id)),
            None,
        )
        .await;
        assert_eq!(status, 204, "{role}: {problem}");
    }
    let held = body(app.get(&user_roles(id)).await).await;
    let names: Vec<&str> = held["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["helpdesk", "sales"], "{held}");
    assert!(held["items"][0]["assigned_at"].is_string());
    let listed = body(app.get(ROLES).await).await;
    assert_eq!(
        listed["total"], 1,
        "built-in roles are not listed: {listed}"
    );
    assert_eq!(listed["items"][0]["users"], 1);

    let (status, problem) =
        send(&app, Method::PUT, &format!("{}/nope", user_roles(id)), None).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (404, Some("role_not_found"))
    );
    let (status, problem) = send(
        &app,
        Method::PUT,
        "/api/v1/tenants/default/users/018f0000-0000-7000-8000-000000000000/roles/sales",
        None,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (404, Some("user_not_found"))
    );

    let (status, problem) = send(&app, Method::DELETE, &format!("{ROLES}/sales"), None).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("role_in_use"))
    );
    let (status, problem) = send(&app, Method::DELETE, &format!("{ROLES}/helpdesk"), None).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("built_in_role"))
    );
    let (status, _) = send(
        &app,
        Method::DELETE,
        &format!("{ROLES}/sales?force=true"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = send(
        &app,
        Method::DELETE,
        &format!("{}/helpdesk", user_roles(id)),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, problem) = send(
        &app,
        Method::DELETE,
        &format!("{}/helpdesk", user_roles(id)),
        None,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (404, Some("role_not_assigned"))
    );
    let held = body(app.get(&user_roles(id)).await).await;
    assert_eq!(held["items"], json!([]));

    let audit = body(
        app.get(&format!(
            "/api/v1/tenants/default/audit?target={id}&action=user.role_assign"
        ))
        .await,
    )
    .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 4, "{audit}");
}

#[tokio::test]
async fn another_tenants_admin_sees_no_role_and_gives_none() {
    let app = TestApp::spawn().await;
    app.create_tenant("other").await;
    send(&app, Method::POST, ROLES, Some(json!({"name": "sales"}))).await;
    let ann = app
        .create_user("default", json!({"email": "ann@roles.example"}))
        .await;
    let other = app
        .tenant_token("other", usher_core::token::TokenScope::Admin)
        .await;
    let res = app
        .client
        .put(app.url(&format!(
            "{}/sales",
            user_roles(ann["id"].as_str().unwrap())
        )))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 403 | 404),
        "{}",
        res.status()
    );
    let list = body(
        app.client
            .get(app.url("/api/v1/tenants/other/roles"))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn a_users_roles_are_in_their_json_the_list_and_both_exports() {
    let app = TestApp::spawn().await;
    for name in ["sales", "audit.eu"] {
        send(&app, Method::POST, ROLES, Some(json!({"name": name}))).await;
    }
    let ann = app
        .create_user(
            "default",
            json!({"email": "ann@x.example", "activate": true}),
        )
        .await;
    let bob = app
        .create_user("default", json!({"email": "bob@x.example"}))
        .await;
    assert_eq!(ann["roles"], json!([]), "a new user holds none");
    let ann_id = ann["id"].as_str().unwrap();
    for role in ["sales", "audit.eu", "helpdesk"] {
        let (status, _) = send(
            &app,
            Method::PUT,
            &format!("{}/{role}", user_roles(ann_id)),
            None,
        )
        .await;
        assert_eq!(status, 204);
    }
    let want = json!(["audit.eu", "helpdesk", "sales"]);
    let one = body(
        app.get(&format!("/api/v1/tenants/default/users/{ann_id}"))
            .await,
    )
    .await;
    assert_eq!(one["roles"], want);
    // An action answers the user with their roles too.
    let (_, blocked) = send(
        &app,
        Method::POST,
        &format!("/api/v1/tenants/default/users/{ann_id}/block"),
        Some(json!({})),
    )
    .await;
    assert_eq!(blocked["state"], "blocked", "{blocked}");
    assert_eq!(blocked["roles"], want);
    let list = body(app.get("/api/v1/tenants/default/users?limit=200").await).await;
    let by_email = |email: &str| -> Value {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .unwrap()["roles"]
            .clone()
    };
    assert_eq!(by_email("ann@x.example"), want);
    assert_eq!(by_email("bob@x.example"), json!([]));
    assert_eq!(bob["roles"], json!([]));

    let csv = app
        .get("/api/v1/tenants/default/users/export?format=csv")
        .await
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header
        .iter()
        .position(|h| *h == "roles")
        .expect("a roles column");
    let ann_row = lines.find(|l| l.contains("ann@x.example")).unwrap();
    assert_eq!(ann_row.split(',').nth(at), Some("audit.eu helpdesk sales"));
    let jsonl = app
        .get("/api/v1/tenants/default/users/export?format=jsonl")
        .await
        .text()
        .await
        .unwrap();
    let ann_line: Value = jsonl
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|u| u["email"] == "ann@x.example")
        .unwrap();
    assert_eq!(ann_line["roles"], want);
}

#[tokio::test]
async fn the_list_and_the_export_filter_by_role_with_exact_totals_and_links_that_keep_it() {
    let app = TestApp::spawn().await;
    let (status, _) = send(&app, Method::POST, ROLES, Some(json!({"name": "oncall"}))).await;
    assert_eq!(status, 201);
    for i in 0..7 {
        let user = app
            .create_user("default", json!({"email": format!("u{i}@x.example")}))
            .await;
        if i % 2 == 0 {
            let path = format!("{}/oncall", user_roles(user["id"].as_str().unwrap()));
            assert_eq!(send(&app, Method::PUT, &path, None).await.0, 204);
        }
    }
    let users = "/api/v1/tenants/default/users";
    let (_, page) = send(
        &app,
        Method::GET,
        &format!("{users}?role=OnCall&limit=3"),
        None,
    )
    .await;
    assert_eq!(page["total"], 4);
    let emails: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["u0@x.example", "u2@x.example", "u4@x.example"]);
    let next = page["links"]["next"].as_str().unwrap();
    assert!(next.contains("role=OnCall"), "{next}");
    let (_, rest) = send(&app, Method::GET, next, None).await;
    assert_eq!(rest["items"][0]["email"], "u6@x.example");
    let (_, none) = send(&app, Method::GET, &format!("{users}?role=nobody"), None).await;
    assert_eq!(none["total"], 0);
    let (status, problem) = send(&app, Method::GET, &format!("{users}?role=no%20such"), None).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_parameter"))
    );
    let csv = app
        .get(&format!("{users}/export?format=csv&role=oncall"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 5, "a header and four users: {csv}");
    assert!(!csv.contains("u1@x.example"));
}
