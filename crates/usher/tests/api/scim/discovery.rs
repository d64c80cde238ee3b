//! SCIM discovery: ServiceProviderConfig, ResourceTypes and Schemas
//! advertise what the tenant stores, and refuse writes.

use super::{ENTERPRISE, ERROR, Scim, USER, attribute};
use reqwest::Method;
use serde_json::json;
use usher_testkit::app::json as body;

const USHER: &str = "urn:usher:params:scim:schemas:extension:2.0:User";

#[tokio::test]
async fn discovery_advertises_what_is_stored_and_refuses_writes() {
    let s = Scim::new().await;
    let res = s.get("/ServiceProviderConfig").await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/scim+json")
    );
    let spc = body(res).await;
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["bulk"]["maxOperations"], 1000);
    assert_eq!(spc["etag"]["supported"], true);
    // No custom attributes: no extension.
    let types = body(s.get("/ResourceTypes").await).await;
    assert_eq!(types["totalResults"], 2);
    assert_eq!(types["Resources"][0]["schemaExtensions"], json!([]));
    attribute(&s.app, "department").await;
    attribute(&s.app, "badge").await;
    let types = body(s.get("/ResourceTypes/User").await).await;
    assert_eq!(
        types["schemaExtensions"],
        json!([{"schema": ENTERPRISE, "required": false}, {"schema": USHER, "required": false}])
    );
    let ent = body(s.get(&format!("/Schemas/{ENTERPRISE}")).await).await;
    let names: Vec<&str> = ent["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["department"]);
    let user = body(s.get(&format!("/Schemas/{USER}")).await).await;
    let names: Vec<&str> = user["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "externalId",
            "userName",
            "name",
            "displayName",
            "emails",
            "active"
        ]
    );
    for m in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        for p in ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"] {
            let res = s.send(m.clone(), p, Some(&json!({}))).await;
            assert_eq!(res.status().as_u16(), 405, "{m} {p}");
            assert_eq!(body(res).await["schemas"], json!([ERROR]));
        }
    }
    let res = s.get("/Schemas/urn:nope").await;
    assert_eq!(res.status().as_u16(), 404);
    let res = s.get("/Nope").await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(body(res).await["status"], "404");
}
