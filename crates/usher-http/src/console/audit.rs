//! The audit log, `/console/{tenant}/audit`: the tenant's events newest
//! first, 50 a page, filtered by actor, target, action and time as the
//! API's `GET /audit` is (the same service, so the read is itself audited
//! and the same admins may make it), and a button that walks the tenant's
//! hash chain from its first event and says whether it is intact.

use super::page::{ConsolePage, error_page};
use super::user_words::user_words;
use super::words::console_words;
use crate::AppState;
use crate::pages::kit::{csrf_field, error_box, esc};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::Value;
use usher_core::Error;
use usher_core::listing::{Cursor, Page};
use usher_core::service::AuditParams;

const ROUTE: &str = "/api/v1/tenants/{tenant}/audit";
const FILTERS: [&str; 5] = ["actor", "target", "action", "from", "to"];

/// The page's URL with its filters and `cursor`.
fn url(page: &ConsolePage, cursor: Option<&Cursor>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for f in FILTERS {
        if let Some(v) = page.param(f).filter(|v| !v.is_empty()) {
            q.append_pair(f, &v);
        }
    }
    if let Some(c) = cursor.and_then(Cursor::encode) {
        q.append_pair("cursor", &c);
    }
    format!("/console/{}/audit?{}", page.tenant.slug, q.finish())
}

fn filter_form(page: &ConsolePage) -> String {
    let c = console_words(page.lang);
    let labels = [
        c.label_actor,
        c.label_target,
        c.label_action,
        c.label_from,
        c.label_to,
    ];
    let inputs: String = FILTERS
        .iter()
        .zip(labels)
        .map(|(f, l)| {
            let hint = if matches!(*f, "from" | "to") {
                format!(" placeholder=\"{}\"", esc(c.time_hint))
            } else {
                String::new()
            };
            format!(
                "<div><label for=\"{f}\">{}</label><input id=\"{f}\" name=\"{f}\" value=\"{}\"{hint}></div>",
                esc(l),
                esc(&page.param(f).unwrap_or_default())
            )
        })
        .collect();
    format!(
        "<form method=\"get\" action=\"/console/{}/audit\" class=\"filters\" role=\"search\">{inputs}\
         <button type=\"submit\">{}</button></form>",
        esc(page.tenant.slug.as_str()),
        esc(c.apply)
    )
}

fn events(page: &ConsolePage, found: &Page<usher_core::audit::StoredLink>) -> String {
    let c = console_words(page.lang);
    let w = user_words(page.lang);
    if found.items.is_empty() {
        return format!("<p>{}</p>", esc(c.no_events));
    }
    let text = |v: &Value| esc(v.as_str().unwrap_or(""));
    let rows: String = found
        .items
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(&l.payload).ok())
        .map(|e| {
            let actor = &e["actor"];
            let by = ["email", "name", "id"]
                .iter()
                .find_map(|k| actor[*k].as_str())
                .unwrap_or("");
            let target = &e["target"];
            let on = format!(
                "{} {}",
                target["kind"].as_str().unwrap_or(""),
                target["id"].as_str().unwrap_or("")
            );
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(&e["occurred_at"]),
                text(&e["action"]),
                esc(by),
                esc(on.trim()),
                text(&e["outcome"]),
                text(&e["reason"]),
            )
        })
        .collect();
    let heads = [
        w.col_time,
        w.col_action,
        w.col_actor,
        c.col_target,
        w.col_outcome,
        c.col_reason,
    ];
    let head: String = heads
        .iter()
        .map(|h| format!("<th scope=\"col\">{}</th>", esc(h)))
        .collect();
    let link = |label: &str, cursor: Option<Cursor>| match cursor {
        Some(cur) => format!(
            "<li><a href=\"{}\">{}</a></li>",
            esc(&url(page, Some(&cur))),
            esc(label)
        ),
        None => format!("<li><span class=\"muted\">{}</span></li>", esc(label)),
    };
    format!(
        "<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>\
         <nav aria-label=\"{}\"><ul class=\"pager\">{}{}{}</ul></nav>",
        esc(c.pages),
        link(c.first, found.prev.as_ref().map(|_| Cursor::First)),
        link(c.previous, found.prev.clone()),
        link(c.next, found.next.clone()),
    )
}

fn verify_form(page: &ConsolePage) -> String {
    let c = console_words(page.lang);
    format!(
        "<form method=\"post\" action=\"/console/{}/audit/verify\">{}\
         <div class=\"buttons\"><button type=\"submit\">{}</button></div></form>",
        esc(page.tenant.slug.as_str()),
        csrf_field(&page.csrf),
        esc(c.verify)
    )
}

pub(super) async fn show_audit(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let page = match ConsolePage::open(&state, &mut parts).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let c = console_words(page.lang);
    if let Err(e) = page.check(&state, &Method::GET, ROUTE, None).await {
        return error_page(&state, &page, e);
    }
    let mut params = AuditParams {
        limit: Some(50),
        cursor: page.param("cursor"),
        ..AuditParams::default()
    };
    for (slot, f) in [
        (&mut params.actor, "actor"),
        (&mut params.target, "target"),
        (&mut params.action, "action"),
        (&mut params.from, "from"),
        (&mut params.to, "to"),
    ] {
        *slot = page.param(f).filter(|v| !v.is_empty());
    }
    let (status, listed) = match state
        .services
        .list_audit(&page.tenant, &page.admin.ctx, &params)
        .await
    {
        Ok(found) => (StatusCode::OK, events(&page, &found)),
        Err(Error::Store(e)) => return crate::pages::busy(page.lang, &e),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            error_box(Some(&e.to_string()), "audit-error"),
        ),
    };
    let body = format!("{}{}{listed}", verify_form(&page), filter_form(&page));
    page.render(&state, status, c.title_audit, "audit", &body)
}

pub(super) async fn verify(State(state): State<AppState>, request: Request) -> Response {
    let (page, fields, _) = match ConsolePage::open_form(&state, request).await {
        Ok(opened) => opened,
        Err(res) => return res,
    };
    let c = console_words(page.lang);
    if let Some(res) = page
        .post_refusal(&state, &fields, &Method::GET, ROUTE, None)
        .await
    {
        return res;
    }
    let report = match state
        .services
        .verify_tenant_audit(&page.tenant, &page.admin.ctx)
        .await
    {
        Ok(r) => r,
        Err(e) => return error_page(&state, &page, e),
    };
    let (class, text) = match &report.result {
        Ok(()) => (
            "status",
            c.verify_ok.replace("{n}", &report.events.to_string()),
        ),
        Err(b) => (
            "alert",
            c.verify_broken
                .replace("{seq}", &b.seq.to_string())
                .replace("{problem}", &b.problem),
        ),
    };
    let body = format!(
        "<p role=\"{class}\">{}</p><p><a href=\"/console/{}/audit\">{}</a></p>",
        esc(&text),
        esc(page.tenant.slug.as_str()),
        esc(c.title_audit)
    );
    page.render(&state, StatusCode::OK, c.title_audit, "audit", &body)
}
