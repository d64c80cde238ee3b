//! `/openapi.json` describes exactly the routes that are served.

use serde_json::Value;
use usher_testkit::app::{TestApp, json as body};

#[tokio::test]
async fn every_documented_operation_is_served_and_secured() {
    let app = TestApp::spawn().await;
    let doc = body(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 12);
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let concrete = path
                .replace("{tenant}", "default")
                .replace("{id}", "0190a000-0000-7000-8000-000000000000")
                .replace("{name}", "nothing")
                .replace("{sid}", "0190a000-0000-7000-8000-000000000001")
                .replace("{fid}", "0190a000-0000-7000-8000-000000000002");
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            // Unauthenticated: a documented route is never a 404/405 route miss.
            let res = app
                .client
                .request(m, app.url(&concrete))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let public = path == "/healthz" || path == "/readyz";
            if public {
                assert_eq!(status, 200, "{method} {path}");
            } else if (path.contains("/auth/") || path.contains("/admin/login"))
                && op["security"].is_null()
            {
                // Login endpoints and end-user endpoints without a session
                // take no token; an empty body is refused.
                assert_eq!(status, 415, "{method} {path}");
            } else {
                assert_eq!(status, 401, "{method} {path}");
                assert!(
                    op["security"].is_array(),
                    "{method} {path} documents no security"
                );
            }
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
        }
    }
}

#[test]
fn the_document_lists_every_route_of_the_router() {
    let doc: Value = serde_json::to_value(usher_http::openapi()).unwrap();
    let ops: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    // healthz, readyz, metrics; tenants list+create, get, settings get+patch; users
    // create+list, get+patch+delete, six actions; attributes list+create,
    // delete; audit.
    // Then password reset, outbox, and the two link redemptions; login,
    // refresh, logout, me, own sessions list + delete; a user's sessions
    // list + delete all, delete one; the second login step, TOTP enrolment
    // during login, TOTP enrolment and confirmation, recovery codes; a
    // user's factors, removing one, revoking recovery codes. Bulk
    // processes: upload and list, get, rows, start, cancel. The export;
    // imports: start and list, get. Groups: the list, and a user's groups.
    // Jobs: a tenant's list and retry, every job's list and retry. API
    // tokens: a tenant's list, create, revoke; the super-admin's the same.
    // A user's own password change and re-authentication; asking for a
    // reset link. Roles: list and create, delete; a user's roles, giving
    // and taking one. A user's second-factor reset. Admins as people:
    // login, its second step, logout, who am I; the admins list, granting
    // and revoking an admin role.
    assert_eq!(
        ops,
        3 + 2
            + 1
            + 2
            + 2
            + 3
            + 6
            + 2
            + 1
            + 1
            + 4
            + 6
            + 3
            + 5
            + 3
            + 6
            + 1
            + 3
            + 2
            + 4
            + 6
            + 2
            + 1
            + 6
            + 1
            + 4
            + 3
    );
}

#[test]
fn documented_request_bodies_list_the_fields_the_domain_reads() {
    let doc: Value = serde_json::to_value(usher_http::openapi()).unwrap();
    let schema = &doc["components"]["schemas"]["CreateUserRequest"]["properties"];
    let mut documented: Vec<&str> = schema
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    documented.sort();
    // Every field the domain accepts is documented, and nothing else: read
    // the domain's answer to a body of exactly those fields.
    let body: serde_json::Map<String, Value> = documented
        .iter()
        .map(|k| ((*k).to_owned(), Value::Null))
        .collect();
    let e =
        usher_core::user::NewUser::from_json(Value::Object(body), &Default::default()).unwrap_err();
    let usher_core::Error::Validation(v) = e else {
        panic!()
    };
    let unknown: Vec<_> = v.0.iter().filter(|f| f.code == "unknown_field").collect();
    assert!(
        unknown.is_empty(),
        "documented but unknown to the domain: {unknown:?}"
    );
}

#[test]
fn the_user_list_documents_every_filter_it_reads() {
    let doc: Value = serde_json::to_value(usher_http::openapi()).unwrap();
    let params = doc["paths"]["/api/v1/tenants/{tenant}/users"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let query: Vec<&str> = params
        .iter()
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        query,
        [
            "search",
            "state",
            "archived",
            "mfa",
            "limit",
            "cursor",
            "role",
            "fields",
            "last_login_before",
            "last_login_after",
            "never_logged_in"
        ]
    );
    let mfa = params.iter().find(|p| p["name"] == "mfa").unwrap();
    assert_eq!(mfa["required"], false);
    assert!(
        mfa["description"]
            .as_str()
            .unwrap()
            .contains("second factor")
    );
}
