//! The user list's `fields=` (which properties a search looks at) and its
//! last-login filters, over HTTP, at a tenant's `min_search_length` of 7.

use serde_json::{Value, json};
use time::Duration;
use time::format_description::well_known::Rfc3339;
use usher_testkit::app::{TestApp, json as body};

const USERS: &str = "/api/v1/tenants/default/users";

fn emails(page: &Value) -> Vec<&str> {
    let items = page["items"].as_array().expect("items");
    items
        .iter()
        .map(|u| u["email"].as_str().expect("email"))
        .collect()
}

async fn list(app: &TestApp, query: &str) -> (u16, Value) {
    let res = app.get(&format!("{USERS}?{query}")).await;
    let status = res.status().as_u16();
    (status, body(res).await)
}

/// Three users whose properties share the prefix "jonathan" in different
/// places, at `min_search_length` 7.
async fn directory(app: &TestApp) -> Vec<Value> {
    let res = app
        .patch(
            "/api/v1/tenants/default/settings",
            &json!({"min_search_length": 7}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let mut users = Vec::new();
    for body in [
        json!({"email": "jonathan.a@x.example", "first_name": "Ann", "last_name": "Lee", "activate": true}),
        json!({"email": "ann.b@x.example", "first_name": "Jonathan", "last_name": "Berg", "username": "aberg", "activate": true}),
        json!({"email": "c.c@x.example", "username": "jonathanc", "external_id": "Jonathan-AAD-1", "activate": true}),
    ] {
        users.push(app.create_user("default", body).await);
    }
    users
}

#[tokio::test]
async fn a_search_looks_only_at_the_properties_fields_names() {
    let app = TestApp::spawn().await;
    let users = directory(&app).await;
    let cases = [
        (
            "search=jonathan",
            vec!["ann.b@x.example", "c.c@x.example", "jonathan.a@x.example"],
        ),
        ("search=jonathan&fields=email", vec!["jonathan.a@x.example"]),
        ("search=JONATHAN&fields=name", vec!["ann.b@x.example"]),
        (
            "search=jonathan%20berg&fields=name",
            vec!["ann.b@x.example"],
        ),
        ("search=jonathan&fields=username", vec!["c.c@x.example"]),
        // The external id compares exactly, case included.
        (
            "search=Jonathan-AAD&fields=external_id",
            vec!["c.c@x.example"],
        ),
        ("search=jonathan-aad&fields=external_id", vec![]),
        (
            "search=jonathan&fields=email,name",
            vec!["ann.b@x.example", "jonathan.a@x.example"],
        ),
    ];
    for (query, want) in cases {
        let (status, page) = list(&app, query).await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(emails(&page), want, "{query}");
        assert_eq!(page["total"], want.len(), "{query}");
    }
    // `id` matches the whole id only.
    let id = users[1]["id"].as_str().expect("id");
    let (_, page) = list(&app, &format!("search={id}&fields=id")).await;
    assert_eq!(emails(&page), ["ann.b@x.example"]);
    let (_, page) = list(&app, &format!("search={}&fields=id", &id[..12])).await;
    assert_eq!(page["total"], 0, "{page}");
    // The links keep the fields.
    let (_, page) = list(&app, "search=jonathan&fields=email,name&limit=1").await;
    let next = page["links"]["next"].as_str().expect("a next link");
    assert!(next.contains("fields=email%2Cname"), "{next}");
    let next_page = body(app.get(next).await).await;
    assert_eq!(emails(&next_page), ["jonathan.a@x.example"]);
}

#[tokio::test]
async fn an_unknown_field_or_a_bad_login_filter_is_a_400_naming_it_and_is_audited() {
    let app = TestApp::spawn().await;
    directory(&app).await;
    for (query, code, named) in [
        (
            "search=jonathan&fields=email,upn",
            "invalid_parameter",
            "upn",
        ),
        ("fields=mail", "invalid_parameter", "mail"),
        (
            "last_login_before=yesterday",
            "invalid_parameter",
            "last_login_before",
        ),
        (
            "last_login_after=2026-13-01",
            "invalid_parameter",
            "last_login_after",
        ),
        (
            "never_logged_in=yes",
            "invalid_parameter",
            "never_logged_in",
        ),
    ] {
        let (status, problem) = list(&app, query).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (400, Some(code)),
            "{query}: {problem}"
        );
        let detail = problem["detail"].as_str().expect("detail");
        assert!(detail.contains(named), "{query}: {detail}");
    }
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=user.list&limit=1")
            .await,
    )
    .await;
    let event = &audit["items"][0];
    assert_eq!(event["outcome"], "refused", "{event}");
    assert_eq!(event["details"]["never_logged_in"], "yes", "{event}");
}

#[tokio::test]
async fn last_login_filters_never_count_users_who_never_logged_in_as_before() {
    let app = TestApp::spawn().await;
    let password = "correct horse battery";
    for email in ["early@x.example", "late@x.example"] {
        app.user_with_password("default", email, password).await;
    }
    app.create_user(
        "default",
        json!({"email": "never@x.example", "activate": true}),
    )
    .await;
    let early = app.clock_now();
    let res = app.login("default", "early@x.example", password, "t").await;
    assert_eq!(res.status(), 200);
    app.clock.advance(Duration::days(10));
    let res = app.login("default", "late@x.example", password, "t").await;
    assert_eq!(res.status(), 200);
    let cut = (early + Duration::days(5))
        .format(&Rfc3339)
        .expect("a time");
    let cut = cut.replace('+', "%2B");
    let cases = [
        (format!("last_login_before={cut}"), vec!["early@x.example"]),
        (format!("last_login_after={cut}"), vec!["late@x.example"]),
        ("never_logged_in=true".to_owned(), vec!["never@x.example"]),
        (
            "never_logged_in=false".to_owned(),
            vec!["early@x.example", "late@x.example"],
        ),
        (
            format!("never_logged_in=true&last_login_before={cut}"),
            vec![],
        ),
        (
            format!("never_logged_in=false&state=active&last_login_after={cut}"),
            vec!["late@x.example"],
        ),
    ];
    for (query, want) in cases {
        let (status, page) = list(&app, &query).await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(emails(&page), want, "{query}");
        assert_eq!(page["total"], want.len(), "{query}");
    }
    // The export takes the same filters.
    let csv = app
        .get(&format!("{USERS}/export?format=csv&never_logged_in=true"))
        .await
        .text()
        .await
        .expect("csv");
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("never@x.example"), "{csv}");
}
