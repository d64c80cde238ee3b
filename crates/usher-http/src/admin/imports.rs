//! `POST /api/v1/tenants/{tenant}/imports`: users from a CSV or JSON Lines
//! body, upserted by external id or email in batches written whole or not
//! at all, with a report of every bad row by line.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, TenantAdmin, media_type, parse_query};
use crate::schema::{BodyErrors, CommonErrors};
use axum::Json;
use axum::extract::{Request, State};
use serde::{Deserialize, Serialize};
use usher_core::Error;
use usher_core::audit::AuditAction;
use usher_core::error::ErrorCode;
use usher_core::import::{ImportFormat, MAX_FILE_BYTES};
use usher_core::service::{ImportReport, ImportRequest};
use utoipa::{IntoParams, ToSchema};

/// The most errors an answer lists (the count is always exact).
const MAX_LISTED_ERRORS: usize = 1000;

/// Query of `POST /imports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `csv` or `jsonl`; by default from the Content-Type.
    pub format: Option<String>,
    /// `true` to check everything and write nothing.
    pub dry_run: Option<String>,
}

/// One bad row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportError {
    pub line: u32,
    pub field: Option<String>,
    pub code: String,
    pub message: String,
}

/// How an import went.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    pub dry_run: bool,
    /// Rows in the file.
    pub rows: u64,
    /// Users created (would be, in a dry run).
    pub created: u64,
    /// Stored users updated.
    pub updated: u64,
    /// Rows with an error.
    pub failed_rows: u64,
    /// Good rows not written because their batch had a bad row.
    pub skipped_rows: u64,
    pub batches: u64,
    pub failed_batches: u64,
    /// The first 1,000 errors, by line.
    pub errors: Vec<ImportError>,
    /// True when there were more errors than listed.
    pub errors_truncated: bool,
}

impl From<ImportReport> for ImportResponse {
    fn from(r: ImportReport) -> Self {
        let truncated = r.errors.len() > MAX_LISTED_ERRORS;
        Self {
            dry_run: r.dry_run,
            rows: r.rows,
            created: r.created,
            updated: r.updated,
            failed_rows: r.failed_rows,
            skipped_rows: r.skipped_rows,
            batches: r.batches,
            failed_batches: r.failed_batches,
            errors: r
                .errors
                .into_iter()
                .take(MAX_LISTED_ERRORS)
                .map(|e| ImportError {
                    line: e.line,
                    field: e.field,
                    code: e.code.as_str().to_owned(),
                    message: e.message,
                })
                .collect(),
            errors_truncated: truncated,
        }
    }
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
    let dry_run = match q.dry_run.as_deref().map(str::trim) {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(Error::bad_request(
                ErrorCode::InvalidParameter,
                "dry_run must be true or false",
            ));
        }
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
/// 5,000, each whole or not at all; the answer lists every bad row.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/imports", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ImportQuery),
    request_body(content((String = "text/csv"), (String = "application/x-ndjson"))),
    responses((status = 200, description = "The import's report (check failed_rows)", body = ImportResponse),
        (status = 400, description = "Not a usable file (invalid_import_file) or a bad parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn import_users(
    State(state): State<AppState>,
    admin: TenantAdmin,
    req: Request,
) -> ApiResult<Json<ImportResponse>> {
    let request = admin
        .accept(&state, AuditAction::UserImport, read_request(req).await)
        .await?;
    let report = state
        .services
        .import_users(&admin.tenant, &admin.ctx, request, &|_, _| {})
        .await?;
    Ok(Json(report.into()))
}
