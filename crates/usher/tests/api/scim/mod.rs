//! The SCIM 2.0 service provider (`/scim/v2/{tenant}`), as provisioning
//! clients (Entra ID, Okta) use it: one module per part of the protocol,
//! and here the client of one tenant they all speak through.

mod bulk;
mod discovery;
mod filters;
mod groups;
mod pages;
mod patch;
mod roles;
mod tokens;
mod users;

use reqwest::{Method, Response};
use serde_json::{Value, json};
use usher_core::token::TokenScope;
use usher_testkit::app::{TestApp, json as body};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A SCIM client of one tenant.
struct Scim {
    app: TestApp,
    token: String,
    base: String,
}

impl Scim {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        let token = app.tenant_token("default", TokenScope::Scim).await;
        Self {
            app,
            token,
            base: "/scim/v2/default".into(),
        }
    }

    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(&format!("{}{path}", self.base)))
            .bearer_auth(&self.token)
    }

    async fn send(&self, method: Method, path: &str, b: Option<&Value>) -> Response {
        let mut r = self.req(method, path);
        if let Some(b) = b {
            r = r
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        r.send().await.unwrap()
    }

    async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, b: &Value) -> Response {
        self.send(Method::POST, path, Some(b)).await
    }

    async fn patch(&self, path: &str, ops: Value) -> Response {
        self.send(
            Method::PATCH,
            path,
            Some(&json!({"schemas": [PATCH], "Operations": ops})),
        )
        .await
    }

    /// Creates a user; answers its resource.
    async fn user(&self, b: Value) -> Value {
        let mut b = b;
        b["schemas"] = json!([USER]);
        let res = self.post("/Users", &b).await;
        let status = res.status().as_u16();
        let v = body(res).await;
        assert_eq!(status, 201, "create failed: {v}");
        v
    }

    /// The `id`s a filter selects, in the server's order.
    async fn ids(&self, filter: &str) -> Vec<String> {
        let q: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", filter)
            .append_pair("count", "200")
            .finish();
        let res = self.get(&format!("/Users?{q}")).await;
        let status = res.status().as_u16();
        let v = body(res).await;
        assert_eq!(status, 200, "filter {filter:?}: {v}");
        v["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

async fn attribute(app: &TestApp, name: &str) {
    let res = app
        .post(
            "/api/v1/tenants/default/attributes",
            &json!({"name": name, "label": name}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 201);
}
