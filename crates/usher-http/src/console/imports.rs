//! Imports, `/console/{tenant}/imports`: upload a CSV or JSON Lines file
//! of users, as a dry run first (the default: everything checked, nothing
//! written), then for real; see the counts and every bad row by line and
//! field on the import's page `/console/{tenant}/imports/{id}`, which
//! refreshes itself while a queued import runs. It is the API's
//! `POST /imports` through the same service (`on_error` included).

use super::bulk::bulk_nav;
use super::bulk_words::{BulkWords, bulk_words};
use super::forms::{data_table, select_input, table_row};
use super::page::{ConsolePage, error_page};
use crate::AppState;
use crate::extract::text_field;
use crate::pages::kit::{csrf_field, esc};
use crate::pages::sessions::when;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use usher_core::Error;
use usher_core::error::ErrorCode;
use usher_core::import::{ImportFormat, ImportRecord, MAX_FILE_BYTES, OnError};
use usher_core::service::ImportRequest;

const LIST: &str = "/api/v1/tenants/{tenant}/imports";
const ONE: &str = "/api/v1/tenants/{tenant}/imports/{id}";

fn too_large() -> Error {
    Error::TooLarge(format!(
        "the file may be at most {} MiB",
        MAX_FILE_BYTES / (1024 * 1024)
    ))
}

fn upload_form(page: &ConsolePage, w: &BulkWords) -> String {
    let formats = [("csv", "CSV"), ("jsonl", "JSON Lines")];
    let on_error = [
        ("skip_row", w.skip_row),
        ("fail_batch", w.fail_batch),
        ("fail_file", w.fail_file),
    ];
    format!(
        "<form method=\"post\" action=\"/console/{}/imports\" enctype=\"multipart/form-data\" novalidate>{}\
         <div class=\"field\"><label for=\"file\">{}</label><input id=\"file\" name=\"file\" type=\"file\" accept=\".csv,.jsonl,text/csv\" required></div>\
         {}{}<div class=\"field\"><input type=\"checkbox\" id=\"dry_run\" name=\"dry_run\" value=\"true\" checked> \
         <label class=\"inline\" for=\"dry_run\">{}</label></div>\
         <div class=\"buttons\"><button type=\"submit\">{}</button></div></form>",
        esc(page.tenant.slug.as_str()),
        csrf_field(&page.csrf),
        esc(w.file),
        select_input("format", w.format, &formats, "csv"),
        select_input("on_error", w.on_error, &on_error, "skip_row"),
        esc(w.dry_run),
        esc(w.import),
    )
}

/// The request a form describes; a bad format or policy is named.
fn request_of(form: &[(String, Vec<u8>)]) -> Result<ImportRequest, Error> {
    let bad = |name: &str| {
        Error::bad_request(
            ErrorCode::InvalidParameter,
            format!("{name} is not one Usher knows"),
        )
    };
    let format = ImportFormat::parse(&text_field(form, "format").unwrap_or_else(|| "csv".into()))
        .ok_or_else(|| bad("format"))?;
    let on_error =
        OnError::parse(&text_field(form, "on_error").unwrap_or_else(|| "skip_row".into()))
            .ok_or_else(|| bad("on_error"))?;
    let file = form
        .iter()
        .find(|(n, _)| n == "file")
        .map(|(_, b)| b.clone())
        .ok_or_else(|| Error::bad_request(ErrorCode::MissingFile, "choose the file to import"))?;
    Ok(ImportRequest {
        format,
        dry_run: text_field(form, "dry_run").as_deref() == Some("true"),
        on_error,
        file,
    })
}

fn import_row(slug: &str, r: &ImportRecord, w: &BulkWords) -> String {
    table_row(vec![
        when(r.created_at),
        esc(r.state.as_str()),
        r.total.to_string(),
        r.created.to_string(),
        r.updated.to_string(),
        r.failed_rows.to_string(),
        format!(
            "<a href=\"/console/{}/imports/{}\">{}</a>",
            esc(slug),
            r.id,
            esc(w.open)
        ),
    ])
}

/// An import's counts and errors.
fn record_page(
    state: &AppState,
    page: &ConsolePage,
    r: &ImportRecord,
    status: StatusCode,
) -> Response {
    let w = bulk_words(page.lang);
    let counts = [
        (w.col_total, r.total),
        (w.created, r.created),
        (w.updated, r.updated),
        (w.unchanged, r.unchanged),
        (w.errors, r.failed_rows),
    ];
    let dl: String = counts
        .iter()
        .map(|(l, n)| format!("<dt>{}</dt><dd>{n}</dd>", esc(l)))
        .collect();
    let dry = if r.dry_run {
        format!("<p role=\"status\">{}</p>", esc(w.checked_only))
    } else {
        String::new()
    };
    let rows = r
        .errors
        .iter()
        .map(|e| {
            table_row(vec![
                e.line.to_string(),
                esc(e.field.as_deref().unwrap_or("")),
                esc(e.code.as_str()),
                esc(&e.message),
            ])
        })
        .collect();
    let heads = [w.col_line, "Field", w.col_outcome, w.col_message];
    let running = !r.state.is_finished();
    let live = if running {
        format!("<p class=\"muted\">{}</p>", esc(w.live))
    } else {
        String::new()
    };
    let body = format!(
        "{}<p><span class=\"badge\">{}</span></p>{dry}{live}<dl class=\"profile\">{dl}</dl><h2>{}</h2>{}",
        bulk_nav(page, "imports"),
        esc(r.state.as_str()),
        esc(w.errors),
        data_table(&heads, rows, w.none_yet),
    );
    let mut res = page.render(state, status, w.tab_imports, "bulk", &body);
    if running {
        res.headers_mut()
            .insert("refresh", HeaderValue::from_static("2"));
    }
    res
}

pub(super) async fn imports(State(state): State<AppState>, request: Request) -> Response {
    let limit = MAX_FILE_BYTES as u64 + 64 * 1024;
    let (page, upload) =
        match ConsolePage::open_upload(&state, request, (LIST, limit), too_large).await {
            Ok(opened) => opened,
            Err(res) => return res,
        };
    let w = bulk_words(page.lang);
    let (services, tenant, ctx) = (&state.services, &page.tenant, &page.admin.ctx);
    if let Some(form) = upload {
        let started = match request_of(&form) {
            Ok(request) => services.start_import(tenant, ctx, request, false).await,
            Err(e) => Err(e),
        };
        return match started {
            Ok(record) => record_page(&state, &page, &record, StatusCode::CREATED),
            Err(e) => error_page(&state, &page, e),
        };
    }
    let listed = match services.list_imports(tenant, ctx, None, 50).await {
        Ok(l) => l,
        Err(e) => return error_page(&state, &page, e),
    };
    let slug = tenant.slug.as_str();
    let rows = listed.iter().map(|r| import_row(slug, r, w)).collect();
    let heads = [
        w.col_created,
        w.col_state,
        w.col_total,
        w.created,
        w.updated,
        w.errors,
        w.open,
    ];
    let form = if page.admin.may("POST", LIST) {
        upload_form(&page, w)
    } else {
        String::new()
    };
    let body = format!(
        "{}{form}{}",
        bulk_nav(&page, "imports"),
        data_table(&heads, rows, w.none_yet)
    );
    page.render(&state, StatusCode::OK, w.tab_imports, "bulk", &body)
}

pub(super) async fn import(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let page = match ConsolePage::open(&state, &mut parts).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    if let Err(e) = page.check(&state, &Method::GET, ONE, None).await {
        return error_page(&state, &page, e);
    }
    let id = page.path_id.clone().unwrap_or_default();
    match state
        .services
        .get_import(&page.tenant, &page.admin.ctx, &id)
        .await
    {
        Ok(r) => record_page(&state, &page, &r, StatusCode::OK),
        Err(e) => error_page(&state, &page, e),
    }
}
