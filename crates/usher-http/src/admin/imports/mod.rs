//! `/api/v1/tenants/{tenant}/imports`: users from a CSV or JSON Lines
//! body, upserted by external id or email in batches written whole or not
//! at all. A file of one batch (5,000 rows) is imported within the request;
//! a larger one, or any with `Prefer: respond-async`, is queued and
//! answered with `202` and the import's URL, to follow with `GET`.

mod responses;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::flag;
use crate::extract::{
    AuditedCaller, QueryParams, TenantAdmin, bounded_param, media_type, parse_query,
};
use crate::schema::{BodyErrors, CommonErrors};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use responses::{ImportList, ImportResponse};
use serde::Deserialize;
use usher_core::Error;
use usher_core::audit::AuditAction;
use usher_core::error::ErrorCode;
use usher_core::import::{ImportFormat, MAX_FILE_BYTES, OnError};
use usher_core::service::ImportRequest;
use utoipa::IntoParams;

/// Query of `POST /imports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `csv` or `jsonl`; by default from the Content-Type.
    pub format: Option<String>,
    /// `true` to check everything and write nothing.
    pub dry_run: Option<String>,
    /// What a bad row does: `skip_row` (default: the good rows are written,
    /// the bad ones reported), `fail_batch` (a batch with a bad row writes
    /// nothing) or `fail_file` (nothing is written unless every row is good).
    pub on_error: Option<String>,
}

/// Query of `GET /imports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Imports older than this one (from the previous page's `next`).
    pub before: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<String>,
}

/// The client asks not to wait (RFC 7240 `Prefer: respond-async`).
fn prefers_async(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("respond-async"))
}

async fn read_request(req: Request) -> Result<ImportRequest, Error> {
    let q: ImportQuery = parse_query(req.uri().query().unwrap_or(""))?;
    let media = media_type(req.headers());
    let format = match q.format.as_deref() {
        Some(f) => ImportFormat::parse(f).ok_or_else(|| {
            Error::bad_request(ErrorCode::InvalidParameter, "format must be csv or jsonl")
        })?,
        None => match media.as_str() {
            "text/csv" | "application/csv" => ImportFormat::Csv,
            "application/x-ndjson" | "application/jsonl" | "application/x-jsonlines" => {
                ImportFormat::JsonLines
            }
            _ => {
                return Err(Error::UnsupportedMediaType(
                    "send the file as text/csv or application/x-ndjson (or name it with format=)"
                        .into(),
                ));
            }
        },
    };
    let dry_run = flag("dry_run", q.dry_run.as_deref())?;
    let on_error = match q.on_error.as_deref().map(str::trim) {
        None | Some("") => OnError::default(),
        Some(m) => OnError::parse(m).ok_or_else(|| {
            Error::bad_request(
                ErrorCode::InvalidParameter,
                "on_error must be skip_row, fail_batch or fail_file",
            )
        })?,
    };
    let file = axum::body::to_bytes(req.into_body(), MAX_FILE_BYTES + 1)
        .await
        .map_err(|_| {
            Error::TooLarge(format!(
                "the file may be at most {} MiB",
                MAX_FILE_BYTES / (1024 * 1024)
            ))
        })?;
    Ok(ImportRequest {
        format,
        dry_run,
        on_error,
        file: file.to_vec(),
    })
}

/// Import users from CSV or JSON Lines.
///
/// Columns (CSV) or keys (JSON Lines): the user fields by name,
/// `attributes.<name>` (CSV) or `attributes` (JSON), `state` (`active`,
/// `not_invited` or `invite`), `password_hash` (argon2, bcrypt, PBKDF2,
/// scrypt; rehashed to argon2id at the first login) and
/// `totp_secret` (base32). A row whose external id or email names a stored
/// user updates it; others create users. Rows are written in batches of
/// 5,000, each in one transaction; the import lists every bad row (the
/// first 1,000). By default a bad row is skipped and the good ones are
/// written (`on_error=skip_row`); `fail_batch` keeps a batch with a bad row
/// out, `fail_file` writes nothing unless every row is good. A file of one batch is imported at once (200); a larger
/// one, or any sent with `Prefer: respond-async`, is queued (202, with
/// `Location`) and runs as a job that survives restarts.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/imports", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ImportQuery,
        ("Prefer" = Option<String>, Header, description = "`respond-async` queues even a small file")),
    request_body(content((String = "text/csv"), (String = "application/x-ndjson"))),
    responses((status = 200, description = "The finished import (check failed)", body = ImportResponse),
        (status = 202, description = "The queued import; follow its Location", body = ImportResponse,
         headers(("Location" = String, description = "URL of the import"))),
        (status = 400, description = "Not a usable file (invalid_import_file) or a bad parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn import_users(
    State(state): State<AppState>,
    admin: TenantAdmin,
    req: Request,
) -> ApiResult<Response> {
    let queue = prefers_async(req.headers());
    let request = admin
        .accept(&state, AuditAction::UserImport, read_request(req).await)
        .await?;
    let record = state
        .services
        .start_import(&admin.tenant, &admin.ctx, request, queue)
        .await?;
    let body = Json(ImportResponse::from(&record));
    if record.state.is_finished() {
        return Ok(body.into_response());
    }
    let location = format!(
        "/api/v1/tenants/{}/imports/{}",
        admin.tenant.slug, record.id
    );
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], body).into_response())
}

/// An import: its state, counts, progress and errors.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/imports/{id}", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "Import id (UUID)")),
    responses((status = 200, description = "The import", body = ImportResponse), CommonErrors),
    security(("bearer" = [])))]
pub async fn get_import(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<ImportResponse>> {
    let record = state
        .services
        .get_import(&admin.tenant, &admin.ctx, &id)
        .await?;
    Ok(Json((&record).into()))
}

/// List imports, newest first.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/imports", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ListQuery),
    responses((status = 200, description = "A page of imports", body = ImportList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_imports(
    State(state): State<AppState>,
    admin: TenantAdmin,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<ImportList>> {
    let parsed = q.and_then(|q| {
        Ok((
            bounded_param("limit", q.limit.as_ref(), 1, 100, 20)?,
            q.before,
        ))
    });
    let (limit, before) = admin
        .accept(&state, AuditAction::ImportList, parsed)
        .await?;
    let items = state
        .services
        .list_imports(&admin.tenant, &admin.ctx, before.as_deref(), limit as u32)
        .await?;
    let next = (items.len() as i64 == limit).then(|| {
        format!(
            "/api/v1/tenants/{}/imports?limit={limit}&before={}",
            admin.tenant.slug,
            items.last().map(|r| r.id.to_string()).unwrap_or_default()
        )
    });
    Ok(Json(ImportList {
        items: items.iter().map(Into::into).collect(),
        next,
    }))
}
