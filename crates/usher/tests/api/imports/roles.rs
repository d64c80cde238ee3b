//! Roles in imports: a `roles` column (names separated by spaces, as the
//! export writes them) or a JSON Lines `roles` array sets exactly the
//! tenant roles a user holds; without it the roles stay. A name the tenant
//! has no role for fails its row (`unknown_role`), dry run or not.

use super::{find, import};
use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::{TestApp, json as body};

async fn define(app: &TestApp, tenant: &str, names: &[&str]) {
    for n in names {
        let res = app
            .post(
                &format!("/api/v1/tenants/{tenant}/roles"),
                &json!({"name": n}),
            )
            .await;
        assert_eq!(res.status().as_u16(), 201, "{n}");
    }
}

async fn give(app: &TestApp, user: &Value, role: &str) {
    let path = format!(
        "/api/v1/tenants/default/users/{}/roles/{role}",
        user["id"].as_str().unwrap()
    );
    let res = app.request(Method::PUT, &path).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 204, "{role}");
}

async fn roles_of(app: &TestApp, email: &str) -> Value {
    find(app, email).await["roles"].clone()
}

#[tokio::test]
async fn csv_and_json_lines_set_exactly_the_roles_they_list() {
    let app = TestApp::spawn().await;
    define(&app, "default", &["sales", "ops", "eu"]).await;
    let bob = app
        .create_user(
            "default",
            json!({"email": "bob@r.example", "first_name": "Bob"}),
        )
        .await;
    give(&app, &bob, "ops").await;
    let cy = app
        .create_user(
            "default",
            json!({"email": "cy@r.example", "first_name": "Cy"}),
        )
        .await;
    give(&app, &cy, "sales").await;
    let csv = "email,first_name,roles\n\
               ann@r.example,Ann,sales ops\n\
               bob@r.example,Bob,EU;sales\n\
               cy@r.example,Cy,\n\
               dan@r.example,Dan,sales nope\n";
    // A dry run reports the bad row and writes nothing.
    let (status, dry) = import(&app, "dry_run=true", "text/csv", csv).await;
    assert_eq!(status, 200, "{dry}");
    let unknown = json!([{"line": 5, "field": "roles", "code": "unknown_role",
                          "message": "the tenant has no role named \"nope\""}]);
    assert_eq!(dry["errors"], unknown, "{dry}");
    assert_eq!(roles_of(&app, "bob@r.example").await, json!(["ops"]));

    let (status, report) = import(&app, "", "text/csv", csv).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["errors"], unknown, "{report}");
    assert_eq!(
        (
            &report["created"],
            &report["updated"],
            &report["unchanged"],
            &report["failed_rows"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1)),
        "{report}"
    );
    assert_eq!(
        roles_of(&app, "ann@r.example").await,
        json!(["ops", "sales"])
    );
    assert_eq!(
        roles_of(&app, "bob@r.example").await,
        json!(["eu", "sales"])
    );
    assert_eq!(
        roles_of(&app, "cy@r.example").await,
        json!(["sales"]),
        "an empty cell leaves the roles"
    );
    assert_eq!(find(&app, "dan@r.example").await, Value::Null);
    // A role is no field of the user: no new version, as with the roles API.
    let bob_now = find(&app, "bob@r.example").await;
    assert_eq!(
        (&bob_now["version"], &bob_now["updated_at"]),
        (&bob["version"], &bob["updated_at"])
    );
    let events = body(
        app.get("/api/v1/tenants/default/audit?action=user.import&limit=1")
            .await,
    )
    .await;
    let details = &events["items"][0]["details"];
    assert_eq!(
        (&details["roles_assigned"], &details["roles_removed"]),
        (&json!(4), &json!(1)),
        "{details}"
    );

    // JSON Lines: an array or a string of names; [] and null take them all.
    let jsonl = [
        json!({"email": "ann@r.example", "roles": ["EU"]}),
        json!({"email": "bob@r.example", "roles": []}),
        json!({"email": "cy@r.example", "roles": null}),
        json!({"email": "eve@r.example", "roles": "sales ops"}),
        json!({"email": "fay@r.example", "roles": [1]}),
        json!({"email": "gus@r.example", "roles": ["sales", "tenant_admin"]}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n");
    let (status, report) = import(&app, "format=jsonl", "application/x-ndjson", &jsonl).await;
    assert_eq!(status, 200, "{report}");
    let errors: Vec<(&Value, &Value, &Value)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (&e["line"], &e["field"], &e["code"]))
        .collect();
    assert_eq!(
        errors,
        [(&json!(5), &json!("roles"), &json!("invalid_type"))],
        "{report}"
    );
    assert_eq!(roles_of(&app, "ann@r.example").await, json!(["eu"]));
    assert_eq!(roles_of(&app, "bob@r.example").await, json!([]));
    assert_eq!(roles_of(&app, "cy@r.example").await, json!([]));
    assert_eq!(
        roles_of(&app, "eve@r.example").await,
        json!(["ops", "sales"])
    );
    // An import never gives an admin role: the name is left out.
    assert_eq!(roles_of(&app, "gus@r.example").await, json!(["sales"]));
}

#[tokio::test]
async fn an_export_with_roles_imports_back_unchanged_and_into_a_tenant_with_those_roles() {
    let app = TestApp::spawn().await;
    define(&app, "default", &["sales", "ops"]).await;
    let ann = app
        .create_user("default", json!({"email": "ann@move.example"}))
        .await;
    give(&app, &ann, "sales").await;
    give(&app, &ann, "ops").await;
    app.create_user("default", json!({"email": "bob@move.example"}))
        .await;
    let adm = app
        .create_user(
            "default",
            json!({"email": "adm@move.example", "activate": true}),
        )
        .await;
    give(&app, &adm, "sales").await;
    give(&app, &adm, "helpdesk").await;
    let export = app
        .get("/api/v1/tenants/default/users/export?format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(export.contains("helpdesk sales"), "{export}");

    // Back into the tenant it came from: nothing changes, the admin included.
    let (_, again) = import(&app, "", "text/csv", &export).await;
    assert_eq!(
        (&again["unchanged"], &again["failed_rows"]),
        (&json!(3), &json!(0)),
        "{again}"
    );

    let into = |tenant: &'static str| {
        let app = &app;
        let export = export.clone();
        async move {
            let res = app
                .request(Method::POST, &format!("/api/v1/tenants/{tenant}/imports"))
                .header("content-type", "text/csv")
                .body(export)
                .send()
                .await
                .unwrap();
            body(res).await
        }
    };
    // A tenant without the roles refuses the rows that name them.
    app.create_tenant("bare").await;
    let report = into("bare").await;
    let failed: Vec<(&Value, &Value)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (&e["field"], &e["code"]))
        .collect();
    assert_eq!(
        failed,
        [(&json!("roles"), &json!("unknown_role")); 3],
        "{report}"
    );
    // Once it defines them, the users move with their roles; the admin role
    // does not move (admins are made one at a time).
    app.create_tenant("moved").await;
    define(&app, "moved", &["ops", "sales"]).await;
    let report = into("moved").await;
    assert_eq!(
        (&report["created"], &report["failed_rows"]),
        (&json!(3), &json!(0)),
        "{report}"
    );
    let moved = body(app.get("/api/v1/tenants/moved/users?limit=10").await).await;
    let roles: Vec<(&Value, &Value)> = moved["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (&u["email"], &u["roles"]))
        .collect();
    assert_eq!(
        roles,
        [
            (&json!("adm@move.example"), &json!(["sales"])),
            (&json!("ann@move.example"), &json!(["ops", "sales"])),
            (&json!("bob@move.example"), &json!([])),
        ]
    );
}
