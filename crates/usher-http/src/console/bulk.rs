//! Bulk processes, `/console/{tenant}/bulk`: upload a CSV file for one of
//! the actions, see the lines that cannot be read, start the run (a
//! delete must be confirmed) and watch it, row by row, on the process's
//! page `/console/{tenant}/bulk/{id}`. While a run goes on the page
//! refreshes itself (the `Refresh` header, so it works without
//! JavaScript); the rows can be narrowed to those not carried out
//! (skipped at the run, with the reason, or unreadable at the upload).
//! Every step is the admin API's call through the same service
//! (`POST /bulk-processes`, `…/start`, `…/cancel`, `…/rows`).

use super::bulk_words::{BulkWords, bulk_words};
use super::forms::{FieldErrors, data_table, select_input, sub_nav, table_row, text_input};
use super::page::{ConsolePage, error_page};
use crate::AppState;
use crate::admin::bulk::upload::{too_large, upload_of};
use crate::pages::kit::{csrf_field, esc, field, hidden_field, see_other};
use crate::pages::sessions::when;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use usher_core::Error;
use usher_core::bulk::{BulkAction, BulkProcess, BulkState, LineError, MAX_FILE_BYTES};

const LIST: &str = "/api/v1/tenants/{tenant}/bulk-processes";
const ONE: &str = "/api/v1/tenants/{tenant}/bulk-processes/{id}";
const START: &str = "/api/v1/tenants/{tenant}/bulk-processes/{id}/start";
const CANCEL: &str = "/api/v1/tenants/{tenant}/bulk-processes/{id}/cancel";
const ROWS: &str = "/api/v1/tenants/{tenant}/bulk-processes/{id}/rows";
const ROWS_PER_PAGE: u32 = 100;

/// The navigation between bulk processes and imports.
pub(super) fn bulk_nav(page: &ConsolePage, current: &str) -> String {
    let w = bulk_words(page.lang);
    let entries = [("bulk", w.tab_bulk), ("imports", w.tab_imports)];
    sub_nav(page.tenant.slug.as_str(), w.sections, &entries, current)
}

fn upload_form(page: &ConsolePage, w: &BulkWords, errors: &FieldErrors) -> String {
    let actions: Vec<(&str, &str)> = BulkAction::ALL
        .iter()
        .map(|a| (a.as_str(), a.as_str()))
        .collect();
    format!(
        "<form method=\"post\" action=\"/console/{}/bulk\" enctype=\"multipart/form-data\" novalidate>{}\
         <div class=\"field\"><label for=\"file\">{}</label><input id=\"file\" name=\"file\" type=\"file\" accept=\".csv,text/csv\" required aria-describedby=\"file-hint\">\
         <p class=\"muted\" id=\"file-hint\">{}</p></div>{}{}\
         <div class=\"field\"><input type=\"checkbox\" id=\"validate\" name=\"validate\" value=\"true\"> \
         <label class=\"inline\" for=\"validate\">{}</label></div>{}\
         <div class=\"buttons\"><button type=\"submit\">{}</button></div></form>",
        esc(page.tenant.slug.as_str()),
        csrf_field(&page.csrf),
        esc(w.file),
        esc(w.file_hint),
        select_input("action", w.action, &actions, "block"),
        text_input("role", w.role, "text", "", "", errors),
        esc(w.validate),
        text_input("note", w.note, "text", "", " maxlength=\"1000\"", errors),
        esc(w.upload),
    )
}

fn process_row(slug: &str, p: &BulkProcess, w: &BulkWords) -> String {
    table_row(vec![
        when(p.created_at),
        esc(p.action.as_str()),
        format!("<span class=\"badge\">{}</span>", esc(p.state.as_str())),
        p.total.to_string(),
        p.processed.to_string(),
        p.skipped.to_string(),
        p.malformed.to_string(),
        esc(p.note.as_deref().unwrap_or("")),
        format!(
            "<a href=\"/console/{}/bulk/{}\">{}</a>",
            esc(slug),
            p.id,
            esc(w.open)
        ),
    ])
}

/// The list of processes, with the upload form for an admin who may run one.
pub(super) async fn bulk(State(state): State<AppState>, request: Request) -> Response {
    let limit = MAX_FILE_BYTES as u64 + 64 * 1024;
    let (page, upload) =
        match ConsolePage::open_upload(&state, request, (LIST, limit), too_large).await {
            Ok(opened) => opened,
            Err(res) => return res,
        };
    let w = bulk_words(page.lang);
    let (services, tenant, ctx) = (&state.services, &page.tenant, &page.admin.ctx);
    let mut errors = FieldErrors::default();
    let mut status = StatusCode::OK;
    if let Some(form) = upload {
        let uploaded = match upload_of(&form) {
            Ok(upload) => services.upload_bulk(tenant, ctx, upload).await,
            Err(e) => Err(e),
        };
        match uploaded {
            Ok(up) => {
                return process_page(
                    &state,
                    &page,
                    &up.process,
                    &up.malformed,
                    StatusCode::CREATED,
                )
                .await;
            }
            Err(Error::Validation(e)) => {
                status = StatusCode::UNPROCESSABLE_ENTITY;
                errors = FieldErrors::of(&e);
            }
            Err(e) => return error_page(&state, &page, e),
        }
    }
    let processes = match services.list_bulk(tenant, ctx, None, 50).await {
        Ok(p) => p,
        Err(e) => return error_page(&state, &page, e),
    };
    let slug = tenant.slug.as_str();
    let rows = processes.iter().map(|p| process_row(slug, p, w)).collect();
    let heads = [
        w.col_created,
        w.col_action,
        w.col_state,
        w.col_total,
        w.col_done,
        w.col_skipped,
        w.col_failed,
        w.note,
        w.open,
    ];
    let form = if page.admin.may("POST", LIST) {
        let summary = super::forms::fix_summary(page.lang, &errors);
        format!("{summary}{}", upload_form(&page, w, &errors))
    } else {
        String::new()
    };
    let body = format!(
        "{}{form}{}",
        bulk_nav(&page, "bulk"),
        data_table(&heads, rows, w.none_yet)
    );
    page.render(&state, status, w.title, "bulk", &body)
}

/// A process: its counts and progress, the buttons its state allows, the
/// lines that could not be read (right after the upload) and its rows.
async fn process_page(
    state: &AppState,
    page: &ConsolePage,
    p: &BulkProcess,
    malformed: &[LineError],
    status: StatusCode,
) -> Response {
    let w = bulk_words(page.lang);
    let slug = esc(page.tenant.slug.as_str());
    let path = format!("/console/{slug}/bulk/{}", p.id);
    let done = p.processed + p.skipped + p.malformed;
    let mut html = format!(
        "<p>{} <span class=\"badge\">{}</span> {}</p>\
         <p><label for=\"progress\">{}</label> <progress id=\"progress\" max=\"{}\" value=\"{done}\">{done}/{}</progress> {done}/{}</p>",
        esc(p.action.as_str()),
        esc(p.state.as_str()),
        esc(p.note.as_deref().unwrap_or("")),
        esc(w.progress),
        p.total.max(1),
        p.total,
        p.total,
    );
    if !malformed.is_empty() {
        let lines: String = malformed
            .iter()
            .map(|m| {
                format!(
                    "<li>{} {}: {}</li>",
                    esc(w.col_line),
                    m.line,
                    esc(&m.message)
                )
            })
            .collect();
        html.push_str(&format!(
            "<div role=\"alert\"><p>{}</p><ul>{lines}</ul></div>",
            esc(w.malformed)
        ));
    }
    if p.state == BulkState::Running {
        html.push_str(&format!("<p class=\"muted\">{}</p>", esc(w.live)));
    }
    let button = |op: &str, label: &str, extra: &str| {
        format!(
            "<form method=\"post\" action=\"{path}\">{}{}{extra}<div class=\"buttons\"><button type=\"submit\">{}</button></div></form>",
            csrf_field(&page.csrf),
            hidden_field("op", op),
            esc(label)
        )
    };
    if p.state == BulkState::Uploaded && page.admin.may("POST", START) {
        let confirm = if p.action == BulkAction::Delete {
            format!(
                "<div class=\"field\"><input type=\"checkbox\" id=\"confirm_delete\" name=\"confirm_delete\" value=\"true\" required> \
                 <label class=\"inline\" for=\"confirm_delete\">{}</label></div>",
                esc(w.confirm_delete)
            )
        } else {
            String::new()
        };
        html.push_str(&button("start", w.start, &confirm));
    }
    if p.state == BulkState::Running && page.admin.may("POST", CANCEL) {
        html.push_str(&button("cancel", w.cancel, ""));
    }
    html.push_str(&rows_section(state, page, p, &path).await);
    let refresh = p.state == BulkState::Running;
    let mut res = page.render(
        state,
        status,
        w.title,
        "bulk",
        &format!("{}{html}", bulk_nav(page, "bulk")),
    );
    if refresh {
        // No script: the browser reloads the page while the run goes on.
        res.headers_mut()
            .insert("refresh", axum::http::HeaderValue::from_static("2"));
    }
    res
}

/// The process's rows (`?outcome=not_done` narrows them, `?after=`
/// pages on), read through the API's rows call.
async fn rows_section(state: &AppState, page: &ConsolePage, p: &BulkProcess, path: &str) -> String {
    let w = bulk_words(page.lang);
    if !page.admin.may("GET", ROWS) {
        return String::new();
    }
    let after = page
        .param("after")
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let outcome = page.param("outcome").unwrap_or_default();
    let id = p.id.to_string();
    let Ok((_, rows)) = state
        .services
        .bulk_rows(&page.tenant, &page.admin.ctx, &id, after, ROWS_PER_PAGE)
        .await
    else {
        return String::new();
    };
    let last = rows.last().map(|r| r.line);
    let full = rows.len() as u32 == ROWS_PER_PAGE;
    let shown: Vec<String> = rows
        .iter()
        // The rows that ended without their action: skipped at the run
        // (with the reason) or unreadable at the upload.
        .filter(|r| outcome != "not_done" || (r.outcome.is_some() && !r.processed))
        .map(|r| {
            table_row(vec![
                r.line.to_string(),
                esc(&r.data.reference),
                esc(r.outcome.as_deref().unwrap_or("")),
                esc(r.message.as_deref().unwrap_or("")),
            ])
        })
        .collect();
    let filters: String = [("", w.all_rows), ("not_done", w.failed_rows)]
        .iter()
        .map(|(o, l)| {
            let mark = if *o == outcome {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!(
                "<li><a href=\"{path}?outcome={o}\"{mark}>{}</a></li>",
                esc(l)
            )
        })
        .collect();
    let more = match (full, last) {
        (true, Some(line)) => format!(
            "<p><a href=\"{path}?outcome={}&amp;after={line}\">{}</a></p>",
            esc(&outcome),
            esc(w.more_rows)
        ),
        _ => String::new(),
    };
    let heads = [w.col_line, w.col_user, w.col_outcome, w.col_message];
    format!(
        "<h2>{}</h2><nav aria-label=\"{}\"><ul class=\"tabs\">{filters}</ul></nav>{}{more}",
        esc(w.rows),
        esc(w.rows),
        data_table(&heads, shown, w.none_yet)
    )
}

/// A process's page, and its start and cancel buttons.
pub(super) async fn process(State(state): State<AppState>, request: Request) -> Response {
    let (page, fields, posted) = match ConsolePage::open_form(&state, request).await {
        Ok(opened) => opened,
        Err(res) => return res,
    };
    let id = page.path_id.clone().unwrap_or_default();
    let (services, tenant, ctx) = (&state.services, &page.tenant, &page.admin.ctx);
    if posted {
        let op = field(&fields, "op");
        let route = match op {
            "cancel" => CANCEL,
            "start" => START,
            other => {
                let message = format!("{other:?} is not start or cancel");
                let e = Error::bad_request(usher_core::error::ErrorCode::InvalidParameter, message);
                return error_page(&state, &page, e);
            }
        };
        if let Some(res) = page
            .post_refusal(&state, &fields, &Method::POST, route, None)
            .await
        {
            return res;
        }
        let done = if op == "cancel" {
            services.cancel_bulk(tenant, ctx, &id).await
        } else {
            services
                .start_bulk(tenant, ctx, &id, field(&fields, "confirm_delete") == "true")
                .await
        };
        return match done {
            Ok(_) => see_other(&format!("/console/{}/bulk/{id}", tenant.slug)),
            Err(e) => error_page(&state, &page, e),
        };
    }
    if let Err(e) = page.check(&state, &Method::GET, ONE, None).await {
        return error_page(&state, &page, e);
    }
    match services.get_bulk(tenant, ctx, &id).await {
        Ok(p) => process_page(&state, &page, &p, &[], StatusCode::OK).await,
        Err(e) => error_page(&state, &page, e),
    }
}
