//! SCIM Groups: names unique ignoring case, members that are users (added
//! and removed with PATCH as Entra ID does), and a deleted user leaving
//! its groups.

use super::{GROUP, Scim, id};
use reqwest::Method;
use serde_json::json;
use usher_testkit::app::json as body;

#[tokio::test]
async fn groups_hold_users_and_follow_their_deletion() {
    let s = Scim::new().await;
    let a = s.user(json!({"userName": "a@example.com"})).await;
    let b = s.user(json!({"userName": "b@example.com"})).await;
    let res = s
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "Engineering", "externalId": "G1", "members": [{"value": id(&a)}, {"value": "fake-member-id"}]}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
    let g = body(res).await;
    assert_eq!(g["members"].as_array().unwrap().len(), 1);
    assert_eq!(g["members"][0]["type"], "User");
    let path = format!("/Groups/{}", id(&g));
    // The name is unique ignoring case.
    let res = s
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "ENGINEERING"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(body(res).await["scimType"], "uniqueness");
    // Entra ID adds and removes members with PATCH, in both removal forms.
    let v = body(
        s.patch(
            &path,
            json!([{"op": "Add", "path": "members", "value": [{"value": id(&b)}]}]),
        )
        .await,
    )
    .await;
    assert_eq!(v["members"].as_array().unwrap().len(), 2);
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("filter", &format!("members[value eq \"{}\"]", id(&b)))
        .finish();
    assert_eq!(
        body(s.get(&format!("/Groups?{q}")).await).await["totalResults"],
        1
    );
    let v = body(
        s.patch(
            &path,
            json!([{"op": "Remove", "path": "members", "value": [{"value": id(&a)}]}]),
        )
        .await,
    )
    .await;
    assert_eq!(
        v["members"],
        json!([{"value": id(&b), "$ref": format!("{}/Users/{}", s.app.services.options().public_url.clone() + "/scim/v2/default", id(&b)), "type": "User"}])
    );
    let v = body(
        s.patch(
            &path,
            json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", id(&b))}]),
        )
        .await,
    )
    .await;
    assert!(v.get("members").is_none());
    s.patch(
        &path,
        json!([{"op": "add", "path": "members", "value": [{"value": id(&a)}, {"value": id(&b)}]}]),
    )
    .await;
    // The admin API shows them.
    let groups = body(
        s.app
            .get(&format!("/api/v1/tenants/default/users/{}/groups", id(&a)))
            .await,
    )
    .await;
    assert_eq!(groups["items"][0]["display_name"], "Engineering");
    let list = body(s.app.get("/api/v1/tenants/default/groups").await).await;
    assert_eq!(list["total"], 1);
    // Deleting a user removes the membership.
    s.send(Method::DELETE, &format!("/Users/{}", id(&a)), None)
        .await;
    let v = body(s.get(&path).await).await;
    assert_eq!(v["members"].as_array().unwrap().len(), 1);
    let res = s.send(Method::DELETE, &path, None).await;
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(s.get(&path).await.status().as_u16(), 404);
}
