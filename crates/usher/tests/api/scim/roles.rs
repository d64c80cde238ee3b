//! SCIM `roles`: the tenant's own roles a user holds, shown on the User
//! resource, written by POST, PUT and PATCH (Entra ID's and Okta's forms),
//! refused whole when a value names no role, audited like the roles API,
//! advertised in `/Schemas` and filterable by name.

use super::{Scim, USER, id};
use reqwest::Method;
use serde_json::{Value, json};
use usher_core::scim::{AttrPath, Filter, matches};
use usher_testkit::app::json as body;

async fn define(s: &Scim, names: &[&str]) {
    for n in names {
        let res = s
            .app
            .post("/api/v1/tenants/default/roles", &json!({"name": n}))
            .await;
        assert_eq!(res.status().as_u16(), 201, "{n}");
    }
}

/// The `value`s of a resource's roles, as shown.
fn values(r: &Value) -> Vec<&str> {
    r.get("roles")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|e| e["value"].as_str().unwrap()).collect())
        .unwrap_or_default()
}

/// The roles the admin API says the user holds (built-in ones included).
async fn admin_roles(s: &Scim, user: &str) -> Vec<String> {
    let u = body(
        s.app
            .get(&format!("/api/v1/tenants/default/users/{user}"))
            .await,
    )
    .await;
    u["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

async fn patched(s: &Scim, path: &str, ops: Value) -> Value {
    let res = s.patch(path, ops.clone()).await;
    let status = res.status().as_u16();
    let v = body(res).await;
    assert_eq!(status, 200, "{ops}: {v}");
    v
}

#[tokio::test]
async fn roles_are_shown_and_set_by_post_put_and_every_patch_form() {
    let s = Scim::new().await;
    define(&s, &["sales", "ops", "eu"]).await;
    let res = s
        .post(
            "/Users",
            &json!({
                "schemas": [USER],
                "userName": "rita@example.com",
                // Entra ID's complex roles: type and primary are ignored.
                "roles": [
                    {"value": "SALES", "primary": "True", "type": "WindowsAzureActiveDirectoryRole", "display": "x"},
                    {"value": "ops"},
                ],
            }),
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let u = body(res).await;
    // What a client wrote reads back as written: `display` and `primary`
    // are derived, shown when asked for.
    assert_eq!(u["roles"], json!([{"value": "ops"}, {"value": "sales"}]));
    let path = format!("/Users/{}", id(&u));
    // An admin role given through the roles API is not SCIM's to show or take.
    let res = s
        .app
        .request(
            Method::PUT,
            &format!("/api/v1/tenants/default/users/{}/roles/helpdesk", id(&u)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(admin_roles(&s, id(&u)).await, ["helpdesk", "ops", "sales"]);
    let got = body(s.get(&path).await).await;
    assert_eq!(values(&got), ["ops", "sales"]);

    // attributes= and excludedAttributes= apply to roles.
    let only = body(s.get(&format!("{path}?attributes=roles.value")).await).await;
    assert_eq!(only["roles"], json!([{"value": "ops"}, {"value": "sales"}]));
    assert!(only.get("userName").is_none());
    let asked = "attributes=roles.value,roles.display,ROLES.PRIMARY";
    let derived = body(s.get(&format!("{path}?{asked}")).await).await;
    assert_eq!(
        derived["roles"],
        json!([
            {"value": "ops", "display": "ops", "primary": false},
            {"value": "sales", "display": "sales", "primary": false},
        ])
    );
    let without = body(s.get(&format!("{path}?excludedAttributes=roles")).await).await;
    assert!(without.get("roles").is_none() && without["userName"].is_string());

    // Entra ID adds by listing values; a role is no field of the user, so
    // the version (and lastModified) stay, as with the roles API.
    let v = patched(
        &s,
        &path,
        json!([{"op": "Add", "path": "roles", "value": [{"value": "eu"}]}]),
    )
    .await;
    assert_eq!(values(&v), ["eu", "ops", "sales"]);
    assert_eq!(v["meta"]["version"], u["meta"]["version"]);
    assert_eq!(v["meta"]["lastModified"], u["meta"]["lastModified"]);
    // Removal by value filter (ignoring case), and Entra ID's by listing.
    let v = patched(
        &s,
        &path,
        json!([{"op": "remove", "path": "roles[value eq \"OPS\"]"}]),
    )
    .await;
    assert_eq!(values(&v), ["eu", "sales"]);
    let v = patched(
        &s,
        &path,
        json!([{"op": "Remove", "path": "roles", "value": [{"value": "eu"}]}]),
    )
    .await;
    assert_eq!(values(&v), ["sales"]);
    let sole = body(s.get(&format!("{path}?attributes=roles.primary")).await).await;
    assert_eq!(sole["roles"], json!([{"primary": true}]));
    // Entra ID's single app role replaces the primary (the only) one.
    let v = patched(
        &s,
        &path,
        json!([{"op": "Replace", "path": "roles[primary eq \"True\"].value", "value": "ops"}]),
    )
    .await;
    assert_eq!(values(&v), ["ops"]);
    let v = patched(
        &s,
        &path,
        json!([{"op": "replace", "path": "roles", "value": [{"value": "eu"}, {"value": "Sales"}]}]),
    )
    .await;
    assert_eq!(values(&v), ["eu", "sales"]);
    let v = patched(
        &s,
        &path,
        json!([{"op": "replace", "value": {"roles": [{"value": "ops"}]}}]),
    )
    .await;
    assert_eq!(values(&v), ["ops"]);

    // PUT replaces: roles it leaves out are taken, the admin role stays.
    let put =
        |roles: Value| json!({"schemas": [USER], "userName": "rita@example.com", "roles": roles});
    let res = s
        .send(Method::PUT, &path, Some(&put(json!([{"value": "eu"}]))))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(values(&body(res).await), ["eu"]);
    let res = s.send(Method::PUT, &path, Some(&put(Value::Null))).await;
    let v = body(res).await;
    assert!(v.get("roles").is_none(), "{v}");
    assert_eq!(admin_roles(&s, id(&u)).await, ["helpdesk"]);

    // Every change is audited as the roles API audits it, in the token's name.
    let events = body(
        s.app
            .get(&format!(
                "/api/v1/tenants/default/audit?target={}&limit=100",
                id(&u)
            ))
            .await,
    )
    .await;
    let changes: Vec<(String, String)> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("user.role_"))
        .filter(|e| e["details"]["via"] == "scim")
        .map(|e| {
            assert_eq!(
                (&e["actor"]["kind"], &e["outcome"]),
                (&json!("token"), &json!("success")),
                "{e}"
            );
            let action = e["action"]
                .as_str()
                .unwrap()
                .trim_start_matches("user.role_");
            (
                action.to_owned(),
                e["details"]["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // POST, the PATCHes and the PUTs above, in order.
    let mut want: Vec<(&str, &str)> = vec![
        ("assign", "sales"),
        ("assign", "ops"),
        ("assign", "eu"),
        ("remove", "ops"),
        ("remove", "eu"),
        ("remove", "sales"),
        ("assign", "ops"),
        ("remove", "ops"),
        ("assign", "eu"),
        ("assign", "sales"),
        ("remove", "eu"),
        ("remove", "sales"),
        ("assign", "ops"),
        ("remove", "ops"),
        ("assign", "eu"),
        ("remove", "eu"),
    ];
    let mut got: Vec<(&str, &str)> = changes
        .iter()
        .map(|(a, r)| (a.as_str(), r.as_str()))
        .collect();
    // Compared as sets: within one write the order is the store's.
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test]
async fn a_value_naming_no_role_refuses_the_whole_request_and_changes_nothing() {
    let s = Scim::new().await;
    define(&s, &["sales"]).await;
    let res = s
        .post(
            "/Users",
            &json!({"schemas": [USER], "userName": "nora@example.com", "roles": [{"value": "sales"}, {"value": "nope"}]}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 400);
    let e = body(res).await;
    assert_eq!(e["scimType"], "invalidValue", "{e}");
    assert!(e["detail"].as_str().unwrap().contains("\"nope\""), "{e}");
    assert!(s.ids("userName eq \"nora@example.com\"").await.is_empty());

    let u = s
        .user(json!({"userName": "nora@example.com", "roles": [{"value": "sales"}]}))
        .await;
    let path = format!("/Users/{}", id(&u));
    let before = body(s.get(&path).await).await;
    let refused = [
        json!([
            {"op": "replace", "path": "displayName", "value": "Changed"},
            {"op": "add", "path": "roles", "value": [{"value": "nope"}]},
        ]),
        json!([{"op": "remove", "path": "roles"}, {"op": "add", "path": "roles", "value": [{"value": "tenant_admin"}]}]),
        json!([{"op": "add", "path": "roles", "value": [{"display": "no value"}]}]),
    ];
    for ops in refused {
        let res = s.patch(&path, ops.clone()).await;
        assert_eq!(res.status().as_u16(), 400, "{ops}");
        assert_eq!(body(res).await["scimType"], "invalidValue", "{ops}");
    }
    let res = s
        .send(
            Method::PUT,
            &path,
            Some(&json!({"schemas": [USER], "userName": "nora@example.com", "displayName": "Changed", "roles": [{"value": "nope"}, {"value": "other"}]})),
        )
        .await;
    assert_eq!(res.status().as_u16(), 400);
    let detail = body(res).await["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.contains("\"nope\"") && detail.contains("\"other\""),
        "{detail}"
    );
    assert_eq!(body(s.get(&path).await).await, before);
    assert_eq!(admin_roles(&s, id(&u)).await, ["sales"]);
    let refusals = body(
        s.app
            .get(&format!(
                "/api/v1/tenants/default/audit?target={}&action=user.update",
                id(&u)
            ))
            .await,
    )
    .await;
    assert!(
        refusals["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["outcome"] == "refused"),
        "{refusals}"
    );
}

#[tokio::test]
async fn schemas_offer_the_tenants_roles_and_filters_find_their_holders() {
    let s = Scim::new().await;
    let user_schema = "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User";
    let schema = body(s.get(user_schema).await).await;
    let roles_attr = |schema: &Value| {
        schema["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "roles")
            .cloned()
    };
    assert_eq!(roles_attr(&schema), None, "no roles, nothing to offer");
    define(&s, &["sales", "ops"]).await;
    let attr = roles_attr(&body(s.get(user_schema).await).await).expect("roles advertised");
    assert_eq!(
        (&attr["type"], &attr["multiValued"], &attr["mutability"]),
        (&json!("complex"), &json!(true), &json!("readWrite"))
    );
    let subs: Vec<(&str, &str, &str)> = attr["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap(),
                a["mutability"].as_str().unwrap(),
                a["returned"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        subs,
        [
            ("value", "readWrite", "default"),
            ("display", "readOnly", "request"),
            ("primary", "readOnly", "request")
        ]
    );
    assert_eq!(
        attr["subAttributes"][0]["canonicalValues"],
        json!(["ops", "sales"])
    );

    let a = s
        .user(json!({"userName": "a@example.com", "roles": [{"value": "sales"}]}))
        .await;
    let b = s
        .user(json!({"userName": "b@example.com", "roles": [{"value": "sales"}, {"value": "ops"}]}))
        .await;
    s.user(json!({"userName": "c@example.com"})).await;
    // The resources with the derived sub-attributes too, for the evaluator.
    let shown = "/Users?count=200&attributes=roles.value,roles.display,roles.primary";
    let all = body(s.get(shown).await).await["Resources"]
        .as_array()
        .unwrap()
        .clone();
    let case_exact = |p: &AttrPath| matches!(p.key().as_str(), "id" | "externalid");
    for f in [
        "roles.value eq \"SALES\"",
        "roles eq \"ops\"",
        "roles[value eq \"Ops\"]",
        "roles.display eq \"sales\"",
        "roles pr",
        "not (roles pr)",
        "roles eq \"nobody\"",
        "roles.value eq \"sales\" and not (roles.value eq \"ops\")",
    ] {
        let parsed = Filter::parse(f).unwrap();
        let mut want: Vec<String> = all
            .iter()
            .filter(|r| matches(&parsed, r, &case_exact))
            .map(|r| id(r).to_owned())
            .collect();
        let mut got = s.ids(f).await;
        want.sort();
        got.sort();
        assert_eq!(got, want, "filter {f}");
    }
    assert_eq!(s.ids("roles eq \"ops\"").await, vec![id(&b)]);
    assert_eq!(
        s.ids("roles.value eq \"sales\" and not (roles.value eq \"ops\")")
            .await,
        vec![id(&a)]
    );
    for f in [
        "roles.value co \"sal\"",
        "roles ne \"ops\"",
        "roles.primary eq true",
    ] {
        let q: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", f)
            .finish();
        let res = s.get(&format!("/Users?{q}")).await;
        assert_eq!(res.status().as_u16(), 400, "{f}");
        assert_eq!(body(res).await["scimType"], "invalidFilter", "{f}");
    }
}
