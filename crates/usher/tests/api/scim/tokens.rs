//! Who gets into a tenant's SCIM service (its SCIM tokens only), and
//! that what they write is audited in the token's name.

use super::{Scim, id};
use serde_json::json;
use usher_core::token::TokenScope;
use usher_testkit::app::json as body;

#[tokio::test]
async fn only_the_tenants_scim_tokens_get_in() {
    let s = Scim::new().await;
    s.app.create_tenant("other").await;
    let other = s.app.tenant_token("other", TokenScope::Scim).await;
    let admin = s.app.tenant_token("default", TokenScope::Admin).await;
    let url = s.app.url("/scim/v2/default/Users");
    let status = |auth: Option<String>| {
        let mut r = s.app.client.get(&url);
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        async move { r.send().await.unwrap() }
    };
    let res = status(None).await;
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        status(Some("Bearer nope".into())).await.status().as_u16(),
        401
    );
    assert_eq!(
        status(Some(format!("Bearer {other}")))
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        status(Some(format!("Bearer {admin}")))
            .await
            .status()
            .as_u16(),
        403
    );
    let superadmin = format!("Bearer {}", usher_testkit::app::SUPER_TOKEN);
    assert_eq!(status(Some(superadmin)).await.status().as_u16(), 403);
    assert_eq!(
        status(Some(format!("Bearer {}", s.token)))
            .await
            .status()
            .as_u16(),
        200
    );
    // An unknown tenant is the same answer as another tenant's.
    let res = s
        .app
        .client
        .get(s.app.url("/scim/v2/nope/Users"))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn scim_writes_are_audited_in_the_tokens_name() {
    let s = Scim::new().await;
    let u = s.user(json!({"userName": "audit@example.com"})).await;
    s.patch(
        &format!("/Users/{}", id(&u)),
        json!([{"op": "replace", "path": "displayName", "value": "A"}]),
    )
    .await;
    s.get("/Users?filter=userName%20sw%20%22au%22").await;
    let events = body(s.app.get("/api/v1/tenants/default/audit?limit=10").await).await;
    let items = events["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[..3], ["user.search", "user.update", "user.create"]);
    for e in &items[..3] {
        assert_eq!(e["actor"]["kind"], "token", "{e}");
        assert_eq!(e["details"]["via"], "scim", "{e}");
    }
    assert_eq!(
        items[1]["details"]["changes"]["display_name"],
        json!({"from": null, "to": "A"})
    );
}
