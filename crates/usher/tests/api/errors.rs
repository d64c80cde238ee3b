//! Bad input gets a clear 4xx problem and changes nothing.

use reqwest::Method;
use serde_json::json;
use usher_testkit::app::{TestApp, json as body};

const USERS: &str = "/api/v1/tenants/default/users";

async fn user_count(app: &TestApp) -> u64 {
    body(app.get(USERS).await).await["total"].as_u64().unwrap()
}

#[tokio::test]
async fn validation_names_every_bad_field_at_once_with_stable_codes() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            USERS,
            &json!({
                "email": "not-an-email",
                "first_name": "x".repeat(51),
                "last_name": "y".repeat(101),
                "phone": "0151 123",
                "language": "klingon",
                "username": "has space",
                "personal_email": "@@",
                "id": "0190a000-0000-7000-8000-000000000000",
                "favourite_colour": "blue",
                "activate": "yes"
            }),
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p = body(res).await;
    assert_eq!(p["code"], "validation_failed");
    assert_eq!(p["status"], 422);
    assert_eq!(p["type"], "urn:usher:problem:validation_failed");
    let mut got: Vec<(String, String)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("activate", "invalid_type"),
        ("email", "invalid_email"),
        ("favourite_colour", "unknown_field"),
        ("first_name", "too_long"),
        ("id", "read_only"),
        ("language", "invalid_language"),
        ("last_name", "too_long"),
        ("personal_email", "invalid_email"),
        ("phone", "invalid_phone"),
        ("username", "invalid_username"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(user_count(&app).await, 0);
}

#[tokio::test]
async fn malformed_json_wrong_content_type_and_oversized_bodies_are_4xx() {
    let app = TestApp::spawn().await;
    let send = |ct: &'static str, b: Vec<u8>| {
        app.request(Method::POST, USERS)
            .header("content-type", ct)
            .body(b)
            .send()
    };
    let res = send("application/json", b"{\"email\": ".to_vec())
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(body(res).await["code"], "malformed_json");
    let res = send("application/json", vec![0xff, 0xfe, b'{', b'}'])
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let res = send("text/plain", b"{\"email\": \"a@b.co\"}".to_vec())
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 415);
    assert_eq!(body(res).await["code"], "unsupported_media_type");
    let big = format!(
        "{{\"email\": \"a@b.co\", \"first_name\": \"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let res = send("application/json", big.into_bytes()).await.unwrap();
    assert_eq!(res.status().as_u16(), 413);
    assert_eq!(body(res).await["code"], "payload_too_large");
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let res = send("application/json", deep.into_bytes()).await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let res = send("application/json", b"[1,2,3]".to_vec()).await.unwrap();
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(user_count(&app).await, 0);
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

#[tokio::test]
async fn bad_query_parameters_are_400_with_their_own_codes() {
    let app = TestApp::spawn().await;
    for (q, code) in [
        ("limit=0", "invalid_limit"),
        ("limit=201", "invalid_limit"),
        ("limit=abc", "invalid_parameter"),
        ("search=a", "search_too_short"),
        ("state=sleeping", "invalid_state_filter"),
        ("archived=maybe", "invalid_archived_filter"),
        ("mfa=yes", "invalid_mfa_filter"),
        ("mfa=TRUE", "invalid_mfa_filter"),
        ("cursor=garbage", "invalid_cursor"),
    ] {
        let res = app.get(&format!("{USERS}?{q}")).await;
        assert_eq!(res.status().as_u16(), 400, "{q}");
        assert_eq!(body(res).await["code"], code, "{q}");
    }
    let long = "a".repeat(101);
    let res = app.get(&format!("{USERS}?search={long}")).await;
    assert_eq!(body(res).await["code"], "search_too_long");
    // A problem document that names the parameter.
    let res = app.get(&format!("{USERS}?state=active&mfa=yes")).await;
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let problem = body(res).await;
    assert_eq!(problem["status"], 400);
    assert!(
        problem["detail"].as_str().unwrap().starts_with("mfa "),
        "{problem}"
    );
}

#[tokio::test]
async fn a_malformed_if_match_is_400() {
    let app = TestApp::spawn().await;
    let u = app
        .create_user("default", json!({"email": "a@x.example", "activate": true}))
        .await;
    let res = app
        .request(
            Method::POST,
            &format!("{USERS}/{}/block", u["id"].as_str().unwrap()),
        )
        .header("if-match", "three")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(body(res).await["code"], "invalid_if_match");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_problems() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/nothing-here").await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(body(res).await["code"], "not_found");
    let res = app.request(Method::PUT, USERS).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(body(res).await["code"], "method_not_allowed");
}

#[tokio::test]
async fn control_characters_in_names_are_refused_but_kept_as_data_in_attributes() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            USERS,
            &json!({"email": "a@x.example", "first_name": "A\u{1b}[31mnsi"}),
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    app.post(
        "/api/v1/tenants/default/attributes",
        &json!({"name": "note", "label": "Note"}),
    )
    .await;
    let u = app
        .create_user("default", json!({"email": "b@x.example", "attributes": {"note": "line one\r\nline two \u{1b}[0m"}}))
        .await;
    assert_eq!(u["attributes"]["note"], "line one\r\nline two \u{1b}[0m");
}

/// Sends raw bytes on a new connection and answers what the server wrote
/// back before closing (or within `wait`).
async fn raw_exchange(app: &TestApp, request: &[u8], wait: std::time::Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn oversized_and_overly_many_headers_get_431_and_the_server_stays_healthy() {
    let app = TestApp::spawn().await;
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let answer = raw_exchange(&app, big.as_bytes(), std::time::Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.200}");

    let mut many = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for i in 0..200 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let answer = raw_exchange(&app, many.as_bytes(), std::time::Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.200}");

    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn a_client_too_slow_with_its_headers_or_body_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(usher_testkit::app::TestOptions {
        request_timeout: Some(std::time::Duration::from_secs(1)),
        header_timeout: Some(std::time::Duration::from_secs(1)),
        ..Default::default()
    })
    .await;

    // Headers that never end: the connection is closed after the deadline.
    let started = std::time::Instant::now();
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        slow.read_to_end(&mut out),
    )
    .await;
    assert!(
        read.is_ok(),
        "the server kept a header-less connection open"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    // A body announced but never sent: 408 once the request deadline passes.
    let head = format!(
        "POST {USERS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"email\":",
        usher_testkit::app::SUPER_TOKEN
    );
    let answer = raw_exchange(&app, head.as_bytes(), std::time::Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:.200}");

    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(user_count(&app).await, 0);
}
