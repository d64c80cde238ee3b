//! `/metrics`: counts after known traffic, labelled by route template, and
//! who may read it in each `USHER_METRICS` mode.

use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use usher::config::MetricsAccess;
use usher_core::token::TokenScope;
use usher_testkit::app::{SUPER_TOKEN, TestApp, TestOptions, postgres_selected};
use usher_testkit::smtp::SmtpServer;

const PASSWORD: &str = "correct horse battery";

/// A scrape's samples: the series (name and labels, as written) → value.
async fn scrape(app: &TestApp) -> BTreeMap<String, String> {
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    parse(&res.text().await.unwrap())
}

fn parse(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            (series.to_owned(), value.to_owned())
        })
        .collect()
}

fn value<'a>(samples: &'a BTreeMap<String, String>, series: &str) -> &'a str {
    samples
        .get(series)
        .unwrap_or_else(|| panic!("no {series} in {samples:#?}"))
}

async fn login(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.login("default", email, password, "usher-tests")
        .await
        .status()
}

#[tokio::test]
async fn known_traffic_is_counted_by_route_template_status_and_login_outcome() {
    let app = TestApp::spawn().await;
    app.user_with_password("default", "ada@x.example", PASSWORD)
        .await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/tenants/default/users").await.status(), 200);
    }
    for _ in 0..2 {
        assert_eq!(login(&app, "ada@x.example", "wrong password!").await, 401);
    }
    assert_eq!(login(&app, "ada@x.example", PASSWORD).await, 200);
    // Five failures delay the account; the sixth attempt is not checked.
    for _ in 0..5 {
        assert_eq!(login(&app, "eve@x.example", "guess guess guess").await, 401);
    }
    assert_eq!(login(&app, "eve@x.example", "guess guess guess").await, 429);
    assert_eq!(app.get("/no/such/path").await.status(), 404);
    // A link's secret is in the path; only the template may be counted.
    let page = app
        .client
        .get(app.url("/t/default/invite/usher_inv_not-a-real-secret"))
        .send()
        .await
        .unwrap();
    let invite_status = page.status().as_u16().to_string();

    let m = scrape(&app).await;
    let requests = |method: &str, route: &str, status: &str| {
        let series = format!(
            "usher_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
        );
        value(&m, &series).to_owned()
    };
    assert_eq!(
        requests("GET", "/api/v1/tenants/{tenant}/users", "200"),
        "3"
    );
    let login_route = "/api/v1/tenants/{tenant}/auth/login";
    assert_eq!(requests("POST", login_route, "401"), "7");
    assert_eq!(requests("POST", login_route, "200"), "1");
    assert_eq!(requests("POST", login_route, "429"), "1");
    assert_eq!(requests("GET", "<unmatched>", "404"), "1");
    assert_eq!(
        requests("GET", "/t/{tenant}/invite/{token}", &invite_status),
        "1"
    );
    for (outcome, n) in [
        ("success", "1"),
        ("mfa_required", "0"),
        ("failure", "7"),
        ("throttled", "1"),
    ] {
        let series = format!("usher_logins_total{{outcome=\"{outcome}\"}}");
        assert_eq!(value(&m, &series), n, "{outcome}");
    }
    let users = "method=\"GET\",route=\"/api/v1/tenants/{tenant}/users\"";
    let duration = "usher_http_request_duration_seconds";
    assert_eq!(value(&m, &format!("{duration}_count{{{users}}}")), "3");
    assert_eq!(
        value(&m, &format!("{duration}_bucket{{{users},le=\"+Inf\"}}")),
        "3"
    );
    assert!(m.contains_key(&format!("{duration}_sum{{{users}}}")));
    // No SMTP: nothing was delivered, but the outcomes are there.
    assert_eq!(
        value(&m, "usher_mail_deliveries_total{outcome=\"delivered\"}"),
        "0"
    );
    let idle: f64 = value(&m, "usher_store_pool_connections{state=\"idle\"}")
        .parse()
        .unwrap();
    let in_use: f64 = value(&m, "usher_store_pool_connections{state=\"in_use\"}")
        .parse()
        .unwrap();
    assert!(idle + in_use >= 1.0, "{idle} idle, {in_use} in use");
    assert_eq!(
        m.contains_key("usher_sqlite_wal_bytes"),
        !postgres_selected()
    );
    // The invitation above is a mail waiting for SMTP: one queued job.
    assert_eq!(
        value(&m, "usher_jobs{kind=\"mail_delivery\",state=\"queued\"}"),
        "1"
    );
    assert_eq!(
        value(&m, "usher_jobs{kind=\"bulk_run\",state=\"failed\"}"),
        "0"
    );
    let age: f64 = value(&m, "usher_job_queue_age_seconds").parse().unwrap();
    assert!(age >= 0.0, "{age}");
    for series in m.keys() {
        assert!(
            !series.contains("usher_inv_") && !series.contains("/tenants/default"),
            "a raw path in {series}"
        );
    }

    // The scrape itself is counted once it is answered.
    let again = scrape(&app).await;
    assert_eq!(
        value(
            &again,
            "usher_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"200\"}"
        ),
        "1"
    );
}

#[tokio::test]
async fn apps_in_one_process_count_apart() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn().await;
    a.get("/api/v1/tenants").await;
    let ours = "usher_http_requests_total{method=\"GET\",route=\"/api/v1/tenants\",status=\"200\"}";
    assert_eq!(value(&scrape(&a).await, ours), "1");
    assert!(!scrape(&b).await.contains_key(ours));
}

#[tokio::test]
async fn off_answers_404_like_any_unknown_path() {
    let app = TestApp::spawn_with(TestOptions {
        metrics: Some(MetricsAccess::Off),
        ..Default::default()
    })
    .await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 404);
    let unknown = app.get("/no-such-path").await.text().await.unwrap();
    assert_eq!(res.text().await.unwrap(), unknown);
}

#[tokio::test]
async fn token_mode_wants_a_super_admin_token() {
    let app = TestApp::spawn().await;
    let anonymous = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let tenant_admin = app.tenant_token("default", TokenScope::Admin).await;
    let res = app
        .as_user(reqwest::Method::GET, "/metrics", &tenant_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.get("/metrics").await.status(), 200);
}

#[tokio::test]
async fn listen_mode_serves_its_own_address_without_a_token_and_nothing_else_there() {
    let app = TestApp::spawn_with(TestOptions {
        metrics: Some(MetricsAccess::Listen("127.0.0.1:0".into())),
        ..Default::default()
    })
    .await;
    let port = app.metrics_port.expect("a metrics address");
    assert_ne!(port, app.port);
    let at = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let res = app.client.get(at("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("usher_logins_total"));
    for path in ["/healthz", "/api/v1/tenants", "/openapi.json"] {
        let res = app
            .client
            .get(at(path))
            .bearer_auth(SUPER_TOKEN)
            .send()
            .await;
        assert_eq!(res.unwrap().status(), 404, "{path}");
    }
    // The API address still wants the token.
    let anonymous = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(app.get("/metrics").await.status(), 200);
}

#[tokio::test]
async fn mail_deliveries_are_counted_by_outcome() {
    // Nothing listens on port 1: every attempt is a temporary failure.
    let unreachable = TestApp::spawn_with(TestOptions {
        smtp_url: Some("smtp://127.0.0.1:1".into()),
        ..Default::default()
    })
    .await;
    unreachable
        .create_user("default", json!({"email": "r@x.example"}))
        .await;
    wait_for(
        &unreachable,
        "usher_mail_deliveries_total{outcome=\"retry\"}",
        "1",
    )
    .await;

    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let app = TestApp::spawn_with(TestOptions {
        smtp_url: Some(smtp.url()),
        ..Default::default()
    })
    .await;
    app.create_user("default", json!({"email": "d@x.example"}))
        .await;
    smtp.wait_for("d@x.example", 1).await;
    wait_for(
        &app,
        "usher_mail_deliveries_total{outcome=\"delivered\"}",
        "1",
    )
    .await;
}

/// Scrapes until `series` has `expected` (the deliverer runs beside the test).
async fn wait_for(app: &TestApp, series: &str, expected: &str) {
    let start = Instant::now();
    loop {
        let m = scrape(app).await;
        if value(&m, series) == expected {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{series} stayed {}",
            value(&m, series)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
