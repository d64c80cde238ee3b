//! Bulk processes over HTTP: uploads (text/csv and multipart) checked and
//! stored, every action, every row outcome, cancel, resuming after a
//! crash, and the refusals. Here the helpers they share.

mod actions;
mod runs;
mod uploads;

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use usher_testkit::app::{TestApp, json as body, multipart_body};

const BASE: &str = "/api/v1/tenants/default/bulk-processes";

async fn upload_csv(app: &TestApp, query: &str, csv: &str) -> (u16, Value) {
    let res = app
        .request(Method::POST, &format!("{BASE}?{query}"))
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), body(res).await)
}

async fn upload_form(app: &TestApp, fields: &[(&str, &str)], csv: Option<&str>) -> (u16, Value) {
    let (content_type, text) = multipart_body(fields, csv.map(|c| ("file", "users.csv", c)));
    let res = app
        .request(Method::POST, BASE)
        .header("content-type", content_type)
        .body(text)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), body(res).await)
}

async fn start(app: &TestApp, id: &str, body_: Value) -> (u16, Value) {
    let res = app.post(&format!("{BASE}/{id}/start"), &body_).await;
    (res.status().as_u16(), body(res).await)
}

/// Polls the process until it is no longer running.
async fn finished(app: &TestApp, id: &str) -> Value {
    for _ in 0..1500 {
        let p = body(app.get(&format!("{BASE}/{id}")).await).await;
        if p["state"] != "running" {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the bulk process did not finish");
}

async fn rows(app: &TestApp, id: &str) -> Vec<Value> {
    body(app.get(&format!("{BASE}/{id}/rows?limit=1000")).await).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn user(app: &TestApp, email: &str, extra: Value) -> Value {
    let mut b = json!({"email": email, "activate": true});
    if let (Some(o), Some(e)) = (b.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    app.create_user("default", b).await
}

async fn act(app: &TestApp, id: &str, what: &str) {
    let res = app
        .post(
            &format!("/api/v1/tenants/default/users/{id}/{what}"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200, "{what}");
}

async fn get_user(app: &TestApp, id: &str) -> (u16, Value) {
    let res = app
        .get(&format!("/api/v1/tenants/default/users/{id}"))
        .await;
    (res.status().as_u16(), body(res).await)
}
