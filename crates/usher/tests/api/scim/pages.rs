//! What a SCIM list or read answers: pages as windows of a stable order,
//! shaped by `attributes` and `excludedAttributes`.

use super::{ENTERPRISE, Scim, USER, attribute, id};
use serde_json::json;
use usher_testkit::app::json as body;

#[tokio::test]
async fn pages_are_windows_of_a_stable_order() {
    let s = Scim::new().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            id(&s
                .user(json!({"userName": format!("u{i}@example.com")}))
                .await)
            .to_owned(),
        );
    }
    let page = |q: &'static str| {
        let s = &s;
        async move { body(s.get(&format!("/Users?{q}")).await).await }
    };
    let v = page("startIndex=3&count=2").await;
    assert_eq!(
        (
            v["totalResults"].as_u64(),
            v["startIndex"].as_u64(),
            v["itemsPerPage"].as_u64()
        ),
        (Some(7), Some(3), Some(2))
    );
    assert_eq!(id(&v["Resources"][0]), ids[2]);
    let v = page("count=0").await;
    assert_eq!(
        (v["totalResults"].as_u64(), v["Resources"].clone()),
        (Some(7), json!([]))
    );
    let v = page("startIndex=0&count=1").await;
    assert_eq!(
        (v["startIndex"].as_u64(), id(&v["Resources"][0])),
        (Some(1), ids[0].as_str())
    );
    let v = page("startIndex=-5&count=-1").await;
    assert_eq!(
        (v["startIndex"].as_u64(), v["itemsPerPage"].as_u64()),
        (Some(1), Some(0))
    );
    let v = page("startIndex=8").await;
    assert_eq!(
        (v["totalResults"].as_u64(), v["itemsPerPage"].as_u64()),
        (Some(7), Some(0))
    );
    let v = page("startIndex=7&count=5").await;
    assert_eq!(v["itemsPerPage"], 1);
    let res = s.get("/Users?count=ten").await;
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(body(res).await["scimType"], "invalidValue");
    // Sorting.
    let v = page("sortBy=userName&sortOrder=descending&count=2").await;
    assert_eq!(v["Resources"][0]["userName"], "u6@example.com");
    let v = page("sortBy=meta.created").await;
    assert_eq!(id(&v["Resources"][6]), ids[6]);
    let res = s.get("/Users?sortBy=nickName").await;
    assert_eq!(res.status().as_u16(), 400);
    let res = s.get("/Users?sortBy=userName&sortOrder=sideways").await;
    assert_eq!(res.status().as_u16(), 400);
    // A search posted as a body reads the same.
    let v = body(
        s.post(
            "/Users/.search",
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName sw \"u1\"", "startIndex": 1, "count": 5}),
        )
        .await,
    )
    .await;
    assert_eq!(v["totalResults"], 1);
}

#[tokio::test]
async fn attributes_and_excluded_attributes_shape_every_answer() {
    let s = Scim::new().await;
    attribute(&s.app, "department").await;
    let u = s
        .user(json!({"userName": "p@example.com", "externalId": "P", "name": {"givenName": "P", "familyName": "Q"}, ENTERPRISE: {"department": "D"}}))
        .await;
    let v = body(
        s.get(&format!(
            "/Users/{}?attributes=externalId,name.givenName",
            id(&u)
        ))
        .await,
    )
    .await;
    let mut keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, vec!["externalId", "id", "name", "schemas"]);
    assert_eq!(v["name"], json!({"givenName": "P"}));
    let v = body(
        s.get(&format!(
            "/Users/{}?excludedAttributes=name,emails,{ENTERPRISE}:department",
            id(&u)
        ))
        .await,
    )
    .await;
    assert!(v.get("name").is_none() && v.get("emails").is_none() && v.get(ENTERPRISE).is_none());
    assert_eq!(v["schemas"], json!([USER]));
    assert_eq!(v["userName"], "p@example.com");
    let v = body(
        s.get(&format!("/Users?attributes={ENTERPRISE}:department"))
            .await,
    )
    .await;
    assert_eq!(v["Resources"][0][ENTERPRISE], json!({"department": "D"}));
    assert!(v["Resources"][0].get("userName").is_none());
    let v = body(
        s.post(
            "/.search",
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "attributes": ["externalId"]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        v["Resources"][0],
        json!({"schemas": [USER], "id": id(&u), "externalId": "P"})
    );
}
