//! SCIM Users as Usher users: create, read, replace, delete, bad
//! bodies, deactivation, and what Entra ID sends that Usher does not keep.

use super::{ENTERPRISE, ERROR, Scim, USER, attribute, id};
use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::json as body;

#[tokio::test]
async fn users_are_created_read_replaced_and_deleted_as_usher_users() {
    let s = Scim::new().await;
    attribute(&s.app, "department").await;
    let res = s
        .post(
            "/Users",
            &json!({
                "schemas": [USER, ENTERPRISE],
                "userName": "ada",
                "externalId": "E-1",
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                "displayName": "Ada L.",
                "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
                "active": true,
                ENTERPRISE: {"department": "R&D"},
            }),
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let u = body(res).await;
    assert_eq!(u["meta"]["location"], location.as_str());
    assert_eq!(u["meta"]["version"], etag.as_str());
    assert_eq!(u["userName"], "ada");
    assert_eq!(u[ENTERPRISE]["department"], "R&D");
    assert_eq!(u["schemas"], json!([USER, ENTERPRISE]));
    // The same user in the admin API.
    let admin = body(
        s.app
            .get(&format!("/api/v1/tenants/default/users/{}", id(&u)))
            .await,
    )
    .await;
    assert_eq!(
        (
            admin["email"].as_str(),
            admin["username"].as_str(),
            admin["display_name"].as_str(),
            admin["state"].as_str(),
            admin["external_id"].as_str()
        ),
        (
            Some("ada@example.com"),
            Some("ada"),
            Some("Ada L."),
            Some("active"),
            Some("E-1")
        )
    );
    assert_eq!(admin["attributes"], json!({"department": "R&D"}));

    // A retried POST (the first answer was lost) makes no second user.
    let retry = s
        .post(
            "/Users",
            &json!({"schemas": [USER], "userName": "ada", "emails": [{"value": "ada@example.com"}]}),
        )
        .await;
    assert_eq!(retry.status().as_u16(), 409);
    assert_eq!(body(retry).await["scimType"], "uniqueness");
    assert_eq!(s.ids("userName eq \"ada\"").await.len(), 1);

    // PUT replaces: what the body leaves out is unset.
    let res = s
        .send(
            Method::PUT,
            &format!("/Users/{}", id(&u)),
            Some(&json!({
                "schemas": [USER],
                "id": id(&u),
                "userName": "ada@example.com",
                "emails": [{"value": "ada@example.com"}],
                "active": false,
            })),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let r = body(res).await;
    assert_eq!(r["userName"], "ada@example.com");
    assert!(r.get("name").is_none() && r.get(ENTERPRISE).is_none());
    assert_eq!(r["active"], false);
    let admin = body(
        s.app
            .get(&format!("/api/v1/tenants/default/users/{}", id(&u)))
            .await,
    )
    .await;
    assert_eq!(admin["state"], "disabled");
    assert_eq!(admin["username"], Value::Null);

    let res = s
        .send(Method::DELETE, &format!("/Users/{}", id(&u)), None)
        .await;
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(res.text().await.unwrap(), "");
    assert_eq!(
        s.get(&format!("/Users/{}", id(&u))).await.status().as_u16(),
        404
    );
    assert_eq!(s.get("/Users/not-a-uuid").await.status().as_u16(), 404);
}

#[tokio::test]
async fn bad_bodies_name_every_problem_and_change_nothing() {
    let s = Scim::new().await;
    let res = s.post("/Users", &json!({"not": "a scim resource"})).await;
    assert_eq!(res.status().as_u16(), 400);
    let e = body(res).await;
    assert_eq!(e["schemas"], json!([ERROR]));
    assert_eq!(e["scimType"], "invalidValue");
    let detail = e["detail"].as_str().unwrap();
    assert!(
        detail.contains("schemas") && detail.contains("userName"),
        "{detail}"
    );
    let res = s
        .post(
            "/Users",
            &json!({"schemas": [USER], "userName": "x y", "emails": [{"value": "nope"}], "name": {"givenName": "x".repeat(51)}}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 400);
    let detail = body(res).await["detail"].as_str().unwrap().to_owned();
    for field in ["emails", "userName", "name.givenName"] {
        assert!(detail.contains(field), "{field} not named in {detail}");
    }
    let res = s
        .req(Method::POST, "/Users")
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 415);
    let res = s
        .req(Method::POST, "/Users")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(body(res).await["scimType"], "invalidSyntax");
    assert_eq!(body(s.get("/Users").await).await["totalResults"], 0);
}

#[tokio::test]
async fn deactivating_over_scim_ends_the_users_sessions() {
    let s = Scim::new().await;
    let u = s
        .app
        .login_as("default", "sam@example.com", "correct horse battery")
        .await;
    let access = u["access_token"].as_str().unwrap().to_owned();
    let me = s
        .app
        .as_user(Method::GET, "/api/v1/tenants/default/auth/me", &access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status().as_u16(), 200);
    let found = s.ids("userName eq \"sam@example.com\"").await;
    let path = format!("/Users/{}", found[0]);
    let v = body(
        s.patch(
            &path,
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await,
    )
    .await;
    assert_eq!(v["active"], false);
    let me = s
        .app
        .as_user(Method::GET, "/api/v1/tenants/default/auth/me", &access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status().as_u16(), 401);
    // And back.
    let v = body(
        s.patch(&path, json!([{"op": "replace", "value": {"active": true}}]))
            .await,
    )
    .await;
    assert_eq!(v["active"], true);
    let admin = body(
        s.app
            .get(&format!("/api/v1/tenants/default/users/{}", found[0]))
            .await,
    )
    .await;
    assert_eq!(admin["state"], "active");
}

#[tokio::test]
async fn what_entra_id_sends_for_attributes_usher_does_not_keep_is_skipped() {
    let s = Scim::new().await;
    // Entra ID's default attribute mapping, as it creates a user: title,
    // addresses, preferredLanguage, name.formatted, a work and a mobile
    // number, and an enterprise manager and department the tenant keeps
    // no custom attribute for.
    let u = s
        .user(json!({
            "schemas": [USER, ENTERPRISE],
            "externalId": "0a1b",
            "userName": "ria@contoso.example",
            "active": "True",
            "displayName": "Ria",
            "title": "Engineer",
            "preferredLanguage": "en-US",
            "name": {"formatted": "Ria K", "givenName": "Ria", "familyName": "K"},
            "emails": [{"primary": true, "type": "work", "value": "ria@contoso.example"}],
            "addresses": [{"type": "work", "locality": "Oslo"}],
            "phoneNumbers": [{"type": "work", "value": "+47 22 00 00 00"}, {"type": "mobile", "value": "+47 400 00 000"}],
            ENTERPRISE: {"department": "R&D", "manager": {"value": "ffff"}},
        }))
        .await;
    assert_eq!(u["phoneNumbers"], json!([{"value": "+4740000000"}]));
    assert_eq!(u["name"], json!({"givenName": "Ria", "familyName": "K"}));
    assert!(u.get("title").is_none() && u.get(ENTERPRISE).is_none());
    // And as it updates one: operations on those attributes are skipped,
    // the others applied.
    let path = format!("/Users/{}", id(&u));
    let res = s
        .patch(
            &path,
            json!([
                {"op": "Replace", "path": "title", "value": "Lead"},
                {"op": "Replace", "path": "name.formatted", "value": "Ria Kay"},
                {"op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Bergen"},
                {"op": "Replace", "path": format!("{ENTERPRISE}:manager"), "value": "abcd"},
                {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Ops"},
                {"op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+47 400 11 111"},
                {"op": "Replace", "path": "displayName", "value": "Ria Kay"},
            ]),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let v = body(res).await;
    assert_eq!(v["displayName"], "Ria Kay");
    assert_eq!(v["phoneNumbers"], json!([{"value": "+4740011111"}]));
    // An attribute RFC 7643 does not have is still an error.
    let res = s
        .patch(
            &path,
            json!([{"op": "replace", "path": "shoeSize", "value": "42"}]),
        )
        .await;
    assert_eq!(body(res).await["scimType"], "invalidPath");
}

#[tokio::test]
async fn a_schema_usher_does_not_know_and_the_resources_own_id_are_ignored() {
    let s = Scim::new().await;
    // Entra ID lists a schema of its own beside the core one.
    const ENTRA: &str = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";
    let res = s
        .post(
            "/Users",
            &json!({
                "schemas": [USER, ENTRA],
                "userName": "lea@contoso.example",
                "active": true,
                ENTRA: {"costCenter": "42"},
            }),
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let u = body(res).await;
    let path = format!("/Users/{}", id(&u));
    // Okta sends the resource's id back in a replace and in a PATCH value.
    let res = s
        .send(
            Method::PUT,
            &path,
            Some(&json!({
                "schemas": [USER],
                "id": id(&u),
                "userName": "lea@contoso.example",
                "displayName": "Lea",
                "active": true,
            })),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200, "{}", body(res).await);
    let res = s
        .patch(
            &path,
            json!([{"op": "replace", "value": {"id": id(&u), "displayName": "Lea M"}}]),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200, "{}", body(res).await);
    assert_eq!(body(res).await["displayName"], "Lea M");
    // Another resource's id is still refused, and changes nothing.
    let res = s
        .patch(
            &path,
            json!([{"op": "replace", "value": {"id": "00000000-0000-7000-8000-000000000000"}}]),
        )
        .await;
    assert_eq!(res.status().as_u16(), 400);
}
