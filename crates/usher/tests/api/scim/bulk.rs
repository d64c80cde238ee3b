//! SCIM Bulk: operations with `bulkId` references, and its limits.

use super::{GROUP, PATCH, Scim, USER};
use serde_json::{Value, json};
use usher_testkit::app::json as body;

#[tokio::test]
async fn bulk_runs_operations_with_references_and_limits() {
    let s = Scim::new().await;
    let req = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            // The group refers to a user created later in the request.
            {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"schemas": [GROUP], "displayName": "Bulk", "members": [{"value": "bulkId:u"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"schemas": [USER], "userName": "bulk@example.com"}},
            {"method": "PATCH", "path": "/Users/bulkId:u", "data": {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "B"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "dup", "data": {"schemas": [USER], "userName": "bulk@example.com"}},
            {"method": "DELETE", "path": "/Users/bulkId:nowhere"},
        ],
    });
    let res = s.post("/Bulk", &req).await;
    assert_eq!(res.status().as_u16(), 200);
    let v = body(res).await;
    let statuses: Vec<(&str, &str)> = v["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["method"].as_str().unwrap(), o["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("POST", "201"),
            ("POST", "201"),
            ("PATCH", "200"),
            ("POST", "409"),
            ("DELETE", "409")
        ]
    );
    assert_eq!(v["Operations"][3]["response"]["scimType"], "uniqueness");
    let user_id = v["Operations"][1]["location"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let g = body(
        s.get(&format!(
            "/Groups/{}",
            v["Operations"][0]["location"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(g["members"][0]["value"], user_id.as_str());
    assert_eq!(
        body(s.get(&format!("/Users/{user_id}")).await).await["displayName"],
        "B"
    );

    // failOnErrors stops after that many errors.
    let req = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "failOnErrors": 1,
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"schemas": [USER], "userName": "bulk@example.com"}},
            {"method": "POST", "path": "/Users", "bulkId": "b", "data": {"schemas": [USER], "userName": "never@example.com"}},
        ],
    });
    let v = body(s.post("/Bulk", &req).await).await;
    assert_eq!(v["Operations"].as_array().unwrap().len(), 1);
    assert_eq!(s.ids("userName eq \"never@example.com\"").await.len(), 0);

    // More than maxOperations: 413, nothing runs.
    let ops: Vec<Value> = (0..1001)
        .map(|i| json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"), "data": {"schemas": [USER], "userName": format!("n{i}@example.com")}}))
        .collect();
    let res = s
        .post("/Bulk", &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops}))
        .await;
    assert_eq!(res.status().as_u16(), 413);
    assert_eq!(s.ids("userName sw \"n1\"").await.len(), 0);
}
