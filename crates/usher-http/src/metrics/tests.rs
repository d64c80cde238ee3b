//! The registry's output in the text format, and the cost of counting a
//! request.

use super::*;
use axum::http::StatusCode;
use std::time::{Duration, Instant};

#[tokio::test]
async fn families_render_in_the_text_format_with_cumulative_buckets() {
    let r = Registry::default();
    let c = r.counter("t_requests_total", "Requests.\nBy route.", &["route"]);
    c.with(&["/b"], Counter::inc);
    c.with(&["/a \"x\" \\ y"], Counter::inc);
    c.with(&["/b"], Counter::inc);
    let h = r.histogram("t_seconds", "Durations.", &["route"], &[0.25, 1.0]);
    h.observe(&["/a"], 0.125);
    h.observe(&["/a"], 0.25);
    h.observe(&["/a"], 0.5);
    h.observe(&["/a"], 7.0);
    r.gauges("t_pool", "Pool.", &["state"], || async {
        vec![GaugeSample::new(["idle"], 2.0)]
    });
    r.gauges("t_absent", "Never answered.", &[], || async { Vec::new() });
    let text = r.render().await;
    let expected = "\
# HELP t_requests_total Requests.\\nBy route.
# TYPE t_requests_total counter
t_requests_total{route=\"/a \\\"x\\\" \\\\ y\"} 1
t_requests_total{route=\"/b\"} 2
# HELP t_seconds Durations.
# TYPE t_seconds histogram
t_seconds_bucket{route=\"/a\",le=\"0.25\"} 2
t_seconds_bucket{route=\"/a\",le=\"1\"} 3
t_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4
t_seconds_sum{route=\"/a\"} 7.875
t_seconds_count{route=\"/a\"} 4
# HELP t_pool Pool.
# TYPE t_pool gauge
t_pool{state=\"idle\"} 2
";
    assert_eq!(text, expected);
}

#[test]
#[should_panic(expected = "registered twice")]
fn a_family_cannot_be_registered_twice() {
    let r = Registry::default();
    r.counter("t_total", "x", &[]);
    r.counter("t_total", "y", &[]);
}

#[tokio::test]
async fn login_and_mail_outcomes_start_at_zero() {
    let m = Metrics::new(ApiAccess::Token);
    let text = m.render().await;
    for o in ["success", "mfa_required", "failure", "throttled"] {
        assert!(text.contains(&format!("usher_logins_total{{outcome=\"{o}\"}} 0\n")));
    }
    for o in ["delivered", "retry", "failed"] {
        let line = format!("usher_mail_deliveries_total{{outcome=\"{o}\"}} 0\n");
        assert!(text.contains(&line));
    }
    // No request yet: no request series, so no family lines either.
    assert!(!text.contains("usher_http_requests_total"));
}

/// The cost of counting one request (a counter and a histogram, a label
/// set already seen), single-threaded and with two threads at once.
/// `cargo test -p usher-http --release --lib -- --ignored --nocapture metrics::tests`
#[test]
#[ignore = "a measurement, not a check: run it in release"]
fn counting_a_request_costs_a_few_hundred_nanoseconds() {
    let m = Metrics::new(ApiAccess::Token);
    let routes = [
        "/api/v1/tenants/{tenant}/users",
        "/api/v1/tenants/{tenant}/users/{id}",
        "/api/v1/tenants/{tenant}/auth/login",
        "/scim/v2/{tenant}/Users",
    ];
    let n = 1_000_000u32;
    let run = |m: &Metrics| {
        for i in 0..n {
            let route = routes[i as usize % routes.len()];
            m.count_request("GET", route, StatusCode::OK, Duration::from_micros(700));
        }
    };
    run(&m);
    let one = (0..5)
        .map(|_| {
            let start = Instant::now();
            run(&m);
            start.elapsed() / n
        })
        .min()
        .unwrap_or_default();
    let start = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| run(&m));
        s.spawn(|| run(&m));
    });
    let two = start.elapsed() / n;
    println!("counting a request: {one:?} on one thread; {two:?} each on two threads at once");
}

/// The whole layer's cost (the boxed future, the clock, the counting):
/// a route answered through a router with and without it.
#[tokio::test(flavor = "current_thread")]
#[ignore = "a measurement, not a check: run it in release"]
async fn the_counting_layer_costs_a_few_hundred_nanoseconds_a_request() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let plain = axum::Router::new().route("/users/{id}", axum::routing::get(|| async { "ok" }));
    // Any layer on a router costs a boxed service per route; this one does
    // nothing else, to tell that apart from the counting.
    let noop = plain.clone().layer(tower::util::MapResponseLayer::new(
        |r: axum::response::Response| r,
    ));
    let counted = plain
        .clone()
        .layer(CountRequestsLayer::new(Metrics::new(ApiAccess::Token)));
    let n = 50_000u32;
    let time = |router: axum::Router| async move {
        let start = Instant::now();
        for _ in 0..n {
            let req = Request::get("/users/42").body(Body::empty()).unwrap();
            let res = router.clone().oneshot(req).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
        start.elapsed() / n
    };
    // The machine is shared: alternate the three, keep each one's best.
    let mut best = [Duration::MAX; 3];
    for _ in 0..7 {
        for (i, r) in [&plain, &noop, &counted].into_iter().enumerate() {
            best[i] = best[i].min(time(r.clone()).await);
        }
    }
    let [without, empty, with] = best;
    println!(
        "a request through the router: {without:?} without a layer, {empty:?} with a layer doing nothing, {with:?} with the counting layer"
    );
}
