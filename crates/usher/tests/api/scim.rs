//! The SCIM 2.0 service provider (`/scim/v2/{tenant}`): discovery, users,
//! groups, filters, paging, PATCH, ETags, Bulk and errors, as provisioning
//! clients (Entra ID, Okta) use them.

use reqwest::{Method, Response};
use serde_json::{Value, json};
use usher_core::scim::{AttrPath, Filter, matches};
use usher_core::token::TokenScope;
use usher_testkit::app::{TestApp, json as body};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const USHER: &str = "urn:usher:params:scim:schemas:extension:2.0:User";
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

/// Users whose attributes exercise every operator.
async fn population(s: &Scim) -> Vec<Value> {
    attribute(&s.app, "department").await;
    let specs = [
        json!({"userName": "alice@example.com", "name": {"givenName": "Alice", "familyName": "Ärger"}, "externalId": "X-1", ENTERPRISE: {"department": "Sales"}}),
        json!({"userName": "bob", "emails": [{"value": "bob@corp.example", "type": "work"}, {"value": "bob@home.example", "type": "home"}], "name": {"givenName": "Bob"}, "externalId": "x-2"}),
        json!({"userName": "carol@example.org", "displayName": "Carol C", "active": false, ENTERPRISE: {"department": "sales"}}),
        json!({"userName": "dave@corp.example", "name": {"familyName": "Zed"}, "externalId": "X-10"}),
        json!({"userName": "ÉMILE@example.com", "name": {"givenName": "Émile"}}),
    ];
    let mut out = Vec::new();
    for spec in specs {
        out.push(s.user(spec).await);
        // Each user a second later than the one before.
        s.app.clock.advance(time::Duration::seconds(1));
    }
    out
}

fn case_exact(p: &AttrPath) -> bool {
    matches!(p.key().as_str(), "id" | "externalid" | "meta.version")
}

#[tokio::test]
async fn filters_select_what_the_reference_evaluator_selects() {
    let s = Scim::new().await;
    let users = population(&s).await;
    // Every resource as the server shows it, for the evaluator.
    let all = body(s.get("/Users?count=200").await).await["Resources"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(all.len(), users.len());
    let filters = [
        "userName eq \"BOB\"",
        "userName ne \"bob\"",
        "userName co \"EXAMPLE\"",
        "userName sw \"a\"",
        "userName sw \"émi\"",
        "userName ew \".org\"",
        "userName gt \"c\"",
        "userName ge \"carol@example.org\"",
        "userName lt \"c\"",
        "userName le \"bob\"",
        "name.familyName pr",
        "not (name.familyName pr)",
        "name.givenName eq \"alice\" or name.familyName eq \"ärger\"",
        "externalId eq \"x-1\"",
        "externalId eq \"X-1\"",
        "externalId sw \"X-1\"",
        "emails co \"corp\"",
        "emails[type eq \"home\"]",
        "emails[type eq \"work\" and value co \"@corp\"]",
        "emails[type eq \"work\"].value ew \"example.com\"",
        "emails.value eq \"bob@home.example\"",
        "active eq false",
        "active eq true and userName sw \"d\"",
        "displayName pr",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"SALES\"",
        "userName sw \"a\" or userName sw \"b\" and active eq true",
        "(userName sw \"a\" or userName sw \"b\") and externalId pr",
        "not (userName sw \"a\" or active eq false)",
        "meta.resourceType eq \"User\"",
        "USERNAME SW \"C\"",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"bob\"",
    ];
    for f in filters {
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
    // A few answers spelled out, so that the evaluator is checked too.
    assert_eq!(s.ids("userName eq \"BOB\"").await, vec![id(&users[1])]);
    assert_eq!(s.ids("externalId eq \"x-1\"").await, Vec::<String>::new());
    assert_eq!(s.ids("active eq false").await, vec![id(&users[2])]);
    // Entra ID sends booleans as strings; the reference evaluator, strict
    // about JSON types, would match nothing.
    assert_eq!(s.ids("active eq \"False\"").await, vec![id(&users[2])]);
    assert_eq!(s.ids("userName sw \"émi\"").await, vec![id(&users[4])]);
    let created = users[2]["meta"]["created"].as_str().unwrap();
    assert_eq!(
        s.ids(&format!("meta.created gt \"{created}\"")).await,
        vec![id(&users[3]), id(&users[4])]
    );
}

#[tokio::test]
async fn bad_filters_are_invalid_filter_errors() {
    let s = Scim::new().await;
    for f in [
        "userName eq",
        "userName zz \"x\"",
        "nickName eq \"x\"",
        "meta.created gt \"yesterday\"",
        "active gt true",
        "emails[value eq \"x\"",
        "urn:example:User:userName eq \"x\"",
    ] {
        let q: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", f)
            .finish();
        let res = s.get(&format!("/Users?{q}")).await;
        assert_eq!(res.status().as_u16(), 400, "{f}");
        assert_eq!(body(res).await["scimType"], "invalidFilter", "{f}");
    }
    // No match is 200 with no resources (Okta's expectation).
    let v = body(s.get("/Users?filter=userName%20eq%20%22nobody%22").await).await;
    assert_eq!(
        (v["totalResults"].as_u64(), v["Resources"].clone()),
        (Some(0), json!([]))
    );
}

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

#[tokio::test]
async fn patch_applies_every_operation_or_none() {
    let s = Scim::new().await;
    attribute(&s.app, "department").await;
    let u = s
        .user(json!({"userName": "pat@example.com", "name": {"givenName": "Pat"}}))
        .await;
    let path = format!("/Users/{}", id(&u));
    // Entra ID's habits: capitalised ops, string booleans, dotted and
    // URN-qualified keys in a path-less replace, a value filter on emails.
    let res = s
        .patch(
            &path,
            json!([
                {"op": "Replace", "value": {"name.familyName": "Smith", "displayName": "Pat S", format!("{ENTERPRISE}:department"): "Ops"}},
                {"op": "Add", "path": "emails[type eq \"home\"].value", "value": "pat@home.example"},
                {"op": "replace", "path": "externalId", "value": "E-9"},
            ]),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let v = body(res).await;
    assert_eq!(
        v["name"],
        json!({"givenName": "Pat", "familyName": "Smith"})
    );
    assert_eq!(v["displayName"], "Pat S");
    assert_eq!(v[ENTERPRISE]["department"], "Ops");
    assert_eq!(
        v["emails"],
        json!([{"value": "pat@example.com", "type": "work"}, {"value": "pat@home.example", "type": "home"}])
    );
    assert_eq!(v["meta"]["version"], "W/\"2\"");
    // Remove by path and by value filter.
    let v = body(
        s.patch(
            &path,
            json!([
                {"op": "remove", "path": "emails[type eq \"home\"]"},
                {"op": "remove", "path": "name.givenName"},
                {"op": "remove", "path": ENTERPRISE},
            ]),
        )
        .await,
    )
    .await;
    assert_eq!(
        v["emails"],
        json!([{"value": "pat@example.com", "type": "work"}])
    );
    assert_eq!(v["name"], json!({"familyName": "Smith"}));
    assert!(v.get(ENTERPRISE).is_none());
    // One bad operation among good ones: nothing changes.
    let before = body(s.get(&path).await).await;
    for ops in [
        json!([{"op": "replace", "path": "displayName", "value": "New"}, {"op": "replace", "path": "shoeSize", "value": "x"}]),
        json!([{"op": "replace", "path": "displayName", "value": "New"}, {"op": "remove"}]),
        json!([{"op": "replace", "path": "displayName", "value": "New"}, {"op": "replace", "path": "name.givenName", "value": "x".repeat(51)}]),
        json!([{"op": "replace", "path": "displayName", "value": "New"}, {"op": "replace", "path": "id", "value": "x"}]),
        json!([{"op": "jump", "path": "displayName", "value": "New"}]),
    ] {
        let res = s.patch(&path, ops.clone()).await;
        assert_eq!(res.status().as_u16(), 400, "{ops}");
        let e = body(res).await;
        assert!(e["scimType"].is_string(), "{ops}: {e}");
    }
    assert_eq!(body(s.get(&path).await).await, before);
    let codes: Vec<String> = {
        let mut out = Vec::new();
        for ops in [
            json!([{"op": "replace", "path": "shoeSize", "value": "x"}]),
            json!([{"op": "remove"}]),
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            json!([{"op": "add", "path": "emails[type eq ", "value": "x"}]),
        ] {
            out.push(
                body(s.patch(&path, ops).await).await["scimType"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        out
    };
    assert_eq!(
        codes,
        vec!["invalidPath", "noTarget", "mutability", "invalidFilter"]
    );
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
async fn etags_guard_writes_and_answer_not_modified() {
    let s = Scim::new().await;
    let u = s.user(json!({"userName": "e@example.com"})).await;
    let path = format!("/Users/{}", id(&u));
    let v1 = u["meta"]["version"].as_str().unwrap().to_owned();
    let res = s
        .req(Method::GET, &path)
        .header("if-none-match", &v1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 304);
    s.patch(
        &path,
        json!([{"op": "replace", "path": "displayName", "value": "E"}]),
    )
    .await;
    let res = s
        .req(Method::GET, &path)
        .header("if-none-match", &v1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let res = s
        .req(Method::PATCH, &path)
        .header("if-match", &v1)
        .header("content-type", "application/scim+json")
        .body(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "F"}]}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 412);
    let res = s
        .req(Method::PUT, &path)
        .header("if-match", &v1)
        .header("content-type", "application/json")
        .body(json!({"schemas": [USER], "userName": "e@example.com"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 412);
    let res = s
        .req(Method::DELETE, &path)
        .header("if-match", &v1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 412);
    let res = s
        .req(Method::DELETE, &path)
        .header("if-match", "W/\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
}

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
