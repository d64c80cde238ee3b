//! Bulk uploads: a file checked and stored, its run giving every row an
//! outcome, and the uploads refused.

use super::{BASE, act, finished, get_user, rows, start, upload_csv, upload_form, user};
use reqwest::Method;
use serde_json::{Value, json};
use usher_testkit::app::{SUPER_TOKEN, TestApp, json as body};

#[tokio::test]
async fn an_upload_is_checked_and_stored_and_its_run_gives_every_row_an_outcome() {
    let app = TestApp::spawn().await;
    let ann = user(&app, "ann@x.example", json!({"first_name": "Ann"})).await;
    let bob = user(&app, "bob@x.example", json!({"first_name": "Bob"})).await;
    let cid = user(&app, "cid@x.example", json!({"first_name": "Cid"})).await;
    let dan = user(&app, "dan@x.example", json!({"first_name": "Dan"})).await;
    user(&app, "eve@x.example", json!({"first_name": "Eve"})).await;
    act(&app, bob["id"].as_str().unwrap(), "block").await;
    let id = |u: &Value| u["id"].as_str().unwrap().to_owned();
    // A BOM, a report's extra column, a quoted field with a newline, and
    // rows naming users by id or by email.
    let csv = format!(
        "\u{feff}id,email,first_name,department\n\
         {ann},ann@x.example,ann,\"Sales\nNorth\"\n\
         {bob},,Bob,\n\
         {cid},,Cid,\n\
         {dan},,Daniel,\n\
         ,EVE@x.example,,\n\
         0190f000-0000-7000-8000-00000000beef,,,\n\
         not-a-uuid,,,\n\
         {ann},,,\n",
        ann = id(&ann),
        bob = id(&bob),
        cid = id(&cid),
        dan = id(&dan),
    );
    let (status, up) = upload_csv(&app, "action=block&validate=true&note=offboarding", &csv).await;
    assert_eq!(status, 201, "{up}");
    assert_eq!(up["state"], "uploaded");
    assert_eq!(up["action"], "block");
    assert_eq!(up["note"], "offboarding");
    assert_eq!(
        (up["total"].as_u64(), up["malformed"].as_u64()),
        (Some(8), Some(2))
    );
    assert_eq!(up["created_by"]["kind"], "token");
    let malformed: Vec<(u64, &str)> = up["malformed_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(malformed, vec![(9, "invalid_id"), (10, "duplicate_user")]);
    let pid = up["id"].as_str().unwrap().to_owned();
    // Nothing has run yet.
    assert_eq!(get_user(&app, &id(&ann)).await.1["state"], "active");
    let waiting = rows(&app, &pid).await;
    assert_eq!(waiting.len(), 8);
    assert!(waiting[0]["outcome"].is_null());
    assert_eq!(waiting[0]["first_name"], "ann");

    // Someone edits cid after the upload.
    let res = app
        .patch(
            &format!("/api/v1/tenants/default/users/{}", id(&cid)),
            &json!({"last_name": "Changed"}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let (status, started) = start(&app, &pid, json!({})).await;
    assert_eq!(status, 202, "{started}");
    assert_eq!(started["state"], "running");
    let done = finished(&app, &pid).await;
    assert_eq!(done["state"], "completed", "{done}");
    assert_eq!(
        (
            done["processed"].as_u64(),
            done["skipped"].as_u64(),
            done["pending"].as_u64(),
            done["progress_percent"].as_u64()
        ),
        (Some(2), Some(4), Some(0), Some(100))
    );
    assert!(done["finished_at"].is_string());
    let outcomes: Vec<(u64, bool, String)> = rows(&app, &pid)
        .await
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["processed"].as_bool().unwrap(),
                r["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect = |line, processed, outcome: &str| (line, processed, outcome.to_owned());
    assert_eq!(
        outcomes,
        vec![
            expect(2, true, "processed"),
            expect(4, false, "already_blocked"),
            expect(5, false, "data_changed"),
            expect(6, false, "data_mismatch"),
            expect(7, true, "processed"),
            expect(8, false, "unknown_user"),
            expect(9, false, "invalid_id"),
            expect(10, false, "duplicate_user"),
        ]
    );
    assert_eq!(get_user(&app, &id(&ann)).await.1["state"], "blocked");
    assert_eq!(get_user(&app, &id(&cid)).await.1["state"], "active");
    assert_eq!(get_user(&app, &id(&dan)).await.1["state"], "active");
    // Each row is audited like the single action, refusals included.
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=user.block&limit=50")
            .await,
    )
    .await;
    let from_bulk: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["details"]["bulk_process_id"] == pid.as_str())
        .collect();
    assert_eq!(from_bulk.len(), 6, "{audit}");
    assert_eq!(
        from_bulk
            .iter()
            .filter(|e| e["outcome"] == "success")
            .count(),
        2
    );
    // A finished process does not start again, nor cancel.
    let (status, problem) = start(&app, &pid, json!({})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("invalid_bulk_state"))
    );
    let res = app.post(&format!("{BASE}/{pid}/cancel"), &json!({})).await;
    assert_eq!(res.status(), 409);
}

#[tokio::test]
async fn bad_uploads_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (status, problem) = upload_csv(&app, "action=explode&note=x", "id\nx\n").await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "action");
    assert_eq!(problem["errors"][0]["code"], "invalid_action");
    let (status, problem) = upload_csv(&app, "", "id\nx\n").await;
    assert_eq!(
        (status, problem["errors"][0]["code"].as_str()),
        (422, Some("required"))
    );
    let (status, problem) = upload_csv(&app, "action=block", "first_name\nAnn\n").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_csv"))
    );
    let (status, problem) = upload_csv(&app, "action=block", "id\n").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_csv"))
    );
    let (status, problem) = upload_csv(&app, "action=block&validate=maybe", "id\nx\n").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_parameter"))
    );
    let (status, problem) = upload_form(&app, &[("action", "block")], None).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("missing_file"))
    );
    let res = app
        .request(Method::POST, BASE)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let res = app
        .request(Method::POST, &format!("{BASE}?action=block"))
        .header("content-type", "text/csv")
        .body(vec![b'x'; 17 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let listed = body(app.get(BASE).await).await;
    assert_eq!(listed["items"], json!([]), "nothing was stored");
    let audit = body(
        app.get("/api/v1/tenants/default/audit?action=bulk.create")
            .await,
    )
    .await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["outcome"] == "refused")
    );

    // Unknown and other tenants' processes are not found.
    let (_, up) = upload_csv(&app, "action=block", "email\nnobody@x.example\n").await;
    let pid = up["id"].as_str().unwrap().to_owned();
    let res = app
        .get(&format!("{BASE}/0190f000-0000-7000-8000-000000000000"))
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(body(res).await["code"], "bulk_process_not_found");
    assert_eq!(
        app.get(&format!("{BASE}/not-a-uuid/rows")).await.status(),
        404
    );
    app.create_tenant("other").await;
    let res = app
        .client
        .get(app.url(&format!("/api/v1/tenants/other/bulk-processes/{pid}")))
        .bearer_auth(SUPER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // An uploaded process can be cancelled; then it never starts.
    let res = app.post(&format!("{BASE}/{pid}/cancel"), &json!({})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["state"], "cancelled");
    let (status, _) = start(&app, &pid, json!({})).await;
    assert_eq!(status, 409);
    let listed = body(app.get(&format!("{BASE}?limit=1")).await).await;
    assert_eq!(listed["items"][0]["id"], pid.as_str());
}
