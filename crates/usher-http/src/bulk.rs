//! `/api/v1/tenants/{tenant}/bulk-processes`: upload a CSV file naming
//! users, start the action over them, follow it row by row, cancel it.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::AuditedCaller;
use crate::extract::TenantAdmin;
use crate::extract::{QueryParams, int_param, media_type};
use crate::schema::{BodyErrors, CommonErrors};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use usher_core::Error;
use usher_core::audit::Actor;
use usher_core::bulk::{BulkProcess, BulkRow, LineError, MAX_FILE_BYTES};
use usher_core::service::BulkUpload;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The form of a multipart upload (the same fields go in the query string
/// of a `text/csv` upload).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct BulkUploadForm {
    /// The CSV file: a header row with `id` or `email`, optionally
    /// `first_name`, `last_name` and `email` to check.
    #[schema(format = Binary)]
    pub file: String,
    /// block, unblock, disable, enable, archive, delete, send_invitation,
    /// password_reset or revoke_sessions.
    pub action: String,
    /// `true` to check the file's names and email against the users.
    pub validate: Option<bool>,
    /// A note kept with the process (at most 1,000 characters).
    pub note: Option<String>,
}

/// Query of a `text/csv` upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The action (required for a `text/csv` upload).
    pub action: Option<String>,
    /// `true` to check the file's names and email against the users.
    pub validate: Option<String>,
    /// A note kept with the process.
    pub note: Option<String>,
}

/// Query of `GET /bulk-processes`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Processes older than this one (from the previous page's `next`).
    pub before: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<String>,
}

/// Query of `GET /bulk-processes/{id}/rows`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RowsQuery {
    /// Rows after this line (from the previous page's `next`).
    pub after: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<String>,
}

/// Who uploaded or started a process.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorResponse {
    /// `token`, `cli`, `user` or `system`.
    pub kind: String,
    pub id: String,
    pub name: String,
}

impl ActorResponse {
    fn of(stored: &str) -> Self {
        let a = Actor::from_stored(stored);
        Self {
            kind: a.kind.to_owned(),
            id: a.id,
            name: a.name,
        }
    }
}

/// One bulk process.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkProcessResponse {
    pub id: Uuid,
    pub action: &'static str,
    /// uploaded, running, completed, cancelled or failed.
    pub state: &'static str,
    pub validate: bool,
    pub note: Option<String>,
    pub created_by: ActorResponse,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub started_by: Option<ActorResponse>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<OffsetDateTime>,
    /// Rows in the file.
    pub total: u32,
    /// Rows that could not be read (never run).
    pub malformed: u32,
    /// Rows whose action was carried out.
    pub processed: u32,
    /// Rows left alone, each with its reason.
    pub skipped: u32,
    /// Rows still waiting.
    pub pending: u32,
    /// Share of rows with an outcome, 0 to 100.
    pub progress_percent: u32,
    /// Why Usher stopped the process (`failed`).
    pub error: Option<String>,
}

impl From<&BulkProcess> for BulkProcessResponse {
    fn from(p: &BulkProcess) -> Self {
        let done = p.total - p.pending();
        Self {
            id: p.id,
            action: p.action.as_str(),
            state: p.state.as_str(),
            validate: p.validate,
            note: p.note.clone(),
            created_by: ActorResponse::of(&p.created_by),
            created_at: p.created_at,
            started_by: p.started_by.as_deref().map(ActorResponse::of),
            started_at: p.started_at,
            finished_at: p.finished_at,
            total: p.total,
            malformed: p.malformed,
            processed: p.processed,
            skipped: p.skipped,
            pending: p.pending(),
            progress_percent: if p.total == 0 {
                100
            } else {
                (u64::from(done) * 100 / u64::from(p.total)) as u32
            },
            error: p.error.clone(),
        }
    }
}

/// A row of the file that could not be read.
#[derive(Debug, Serialize, ToSchema)]
pub struct MalformedRow {
    pub line: u32,
    pub code: &'static str,
    pub message: String,
}

/// The answer to an upload: the stored process and the rows it will skip.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadResponse {
    #[serde(flatten)]
    pub process: BulkProcessResponse,
    pub malformed_rows: Vec<MalformedRow>,
}

/// A page of processes, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkProcessList {
    pub items: Vec<BulkProcessResponse>,
    /// The next (older) page, if there is one.
    pub next: Option<String>,
}

/// One row as the file gave it, and how it ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkRowResponse {
    pub line: u32,
    /// The id or email the row names the user by.
    pub reference: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// The user the row named at upload.
    pub user_id: Option<Uuid>,
    /// True when the action was carried out.
    pub processed: bool,
    /// `processed`, or why not (`already_blocked`, `data_changed`,
    /// `data_mismatch`, `unknown_user`, a malformed-row code, …); null
    /// while the row waits.
    pub outcome: Option<String>,
    pub message: Option<String>,
}

impl From<BulkRow> for BulkRowResponse {
    fn from(r: BulkRow) -> Self {
        Self {
            line: r.line,
            reference: r.data.reference,
            first_name: r.data.first_name,
            last_name: r.data.last_name,
            email: r.data.email,
            user_id: r.user_id,
            processed: r.processed,
            outcome: r.outcome,
            message: r.message,
        }
    }
}

/// A page of rows in line order.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkRowList {
    pub items: Vec<BulkRowResponse>,
    /// The next page, if there is one.
    pub next: Option<String>,
}

/// The body of a start (optional).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct StartRequest {
    /// Required (true) for a process that deletes users.
    pub confirm_delete: Option<bool>,
}

fn too_large() -> Error {
    Error::TooLarge(format!(
        "the file may be at most {} MiB",
        MAX_FILE_BYTES / (1024 * 1024)
    ))
}

fn flag(name: &str, v: Option<&str>) -> Result<bool, Error> {
    match v.map(str::trim) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(Error::bad_request(
            "invalid_parameter",
            format!("{name} must be true or false"),
        )),
    }
}

/// Reads the upload from a `text/csv` body or a multipart form.
async fn read_upload(headers: &HeaderMap, req: Request) -> Result<BulkUpload, Error> {
    match media_type(headers).as_str() {
        "text/csv" | "application/csv" => {
            let q: UploadQuery = crate::extract::parse_query(req.uri().query().unwrap_or(""))?;
            let file: Bytes = axum::body::to_bytes(req.into_body(), MAX_FILE_BYTES + 1)
                .await
                .map_err(|_| too_large())?;
            Ok(BulkUpload {
                action: q.action,
                validate: flag("validate", q.validate.as_deref())?,
                note: q.note,
                file: file.to_vec(),
            })
        }
        "multipart/form-data" => {
            let boundary = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| multer::parse_boundary(v).ok())
                .ok_or_else(|| {
                    Error::bad_request("invalid_multipart", "the multipart body has no boundary")
                })?;
            let limits = multer::Constraints::new().size_limit(
                multer::SizeLimit::new().whole_stream(MAX_FILE_BYTES as u64 + 64 * 1024),
            );
            let stream = req.into_body().into_data_stream();
            let mut form = multer::Multipart::with_constraints(stream, boundary, limits);
            let mut upload = BulkUpload::default();
            let mut file = None;
            let bad = |e: multer::Error| match e {
                multer::Error::StreamSizeExceeded { .. }
                | multer::Error::FieldSizeExceeded { .. } => too_large(),
                e => {
                    Error::bad_request("invalid_multipart", format!("the form cannot be read: {e}"))
                }
            };
            while let Some(field) = form.next_field().await.map_err(bad)? {
                let name = field.name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(bad)?;
                let text = || String::from_utf8_lossy(&bytes).into_owned();
                match name.as_str() {
                    "file" => file = Some(bytes.to_vec()),
                    "action" => upload.action = Some(text()),
                    "validate" => upload.validate = flag("validate", Some(&text()))?,
                    "note" => upload.note = Some(text()),
                    _ => {}
                }
            }
            upload.file = file.ok_or_else(|| {
                Error::bad_request("missing_file", "the form needs a file field with the CSV")
            })?;
            Ok(upload)
        }
        _ => Err(Error::UnsupportedMediaType(
            "send the CSV as text/csv (action in the query string) or as multipart/form-data"
                .into(),
        )),
    }
}

/// Upload a CSV file for a bulk process.
///
/// The file is checked and stored; nothing runs until `…/start`. Rows that
/// cannot be read are listed with their line numbers and will be skipped.
/// Each row is matched to its user now, and that user's version noted: a
/// user changed by anyone after the upload is left alone when the process
/// runs.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/bulk-processes", tag = "bulk",
    params(("tenant" = String, Path, description = "Tenant slug"), UploadQuery),
    request_body(content((String = "text/csv"), (BulkUploadForm = "multipart/form-data"))),
    responses(
        (status = 201, description = "Stored, waiting to be started", body = UploadResponse,
         headers(("Location" = String, description = "URL of the process"))),
        (status = 400, description = "Not a usable CSV file (invalid_csv), a bad form or parameter", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    admin: TenantAdmin,
    req: Request,
) -> ApiResult<Response> {
    let headers = req.headers().clone();
    let upload = admin
        .accept(&state, "bulk.create", read_upload(&headers, req).await)
        .await?;
    let done = state
        .services
        .upload_bulk(&admin.tenant, &admin.ctx, upload)
        .await?;
    let location = format!(
        "/api/v1/tenants/{}/bulk-processes/{}",
        admin.tenant.slug, done.process.id
    );
    let body = UploadResponse {
        process: (&done.process).into(),
        malformed_rows: done
            .malformed
            .into_iter()
            .map(
                |LineError {
                     line,
                     code,
                     message,
                     ..
                 }| MalformedRow {
                    line,
                    code,
                    message,
                },
            )
            .collect(),
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

fn bounded(
    name: &'static str,
    v: Option<&String>,
    min: i64,
    max: i64,
    default: i64,
) -> Result<i64, Error> {
    match int_param(name, v)? {
        None => Ok(default),
        Some(n) if (min..=max).contains(&n) => Ok(n),
        Some(_) => Err(Error::bad_request(
            "invalid_parameter",
            format!("{name} must be between {min} and {max}"),
        )),
    }
}

/// List bulk processes, newest first.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/bulk-processes", tag = "bulk",
    params(("tenant" = String, Path, description = "Tenant slug"), ListQuery),
    responses((status = 200, description = "A page of processes", body = BulkProcessList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    admin: TenantAdmin,
    QueryParams(q): QueryParams<ListQuery>,
) -> ApiResult<Json<BulkProcessList>> {
    let parsed = q.and_then(|q| Ok((bounded("limit", q.limit.as_ref(), 1, 100, 20)?, q.before)));
    let (limit, before) = admin.accept(&state, "bulk.list", parsed).await?;
    let items = state
        .services
        .list_bulk(&admin.tenant, &admin.ctx, before.as_deref(), limit as u32)
        .await?;
    let next = (items.len() as i64 == limit).then(|| {
        format!(
            "/api/v1/tenants/{}/bulk-processes?limit={limit}&before={}",
            admin.tenant.slug,
            items.last().map(|p| p.id).unwrap_or_default()
        )
    });
    Ok(Json(BulkProcessList {
        items: items.iter().map(Into::into).collect(),
        next,
    }))
}

/// A bulk process: its state, counts and progress.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/bulk-processes/{id}", tag = "bulk",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "Bulk process id (UUID)")),
    responses((status = 200, description = "The process", body = BulkProcessResponse), CommonErrors),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<BulkProcessResponse>> {
    let p = state
        .services
        .get_bulk(&admin.tenant, &admin.ctx, &id)
        .await?;
    Ok(Json((&p).into()))
}

/// A bulk process's rows, in line order, each with its outcome.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/bulk-processes/{id}/rows", tag = "bulk",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "Bulk process id (UUID)"), RowsQuery),
    responses((status = 200, description = "A page of rows", body = BulkRowList), CommonErrors),
    security(("bearer" = [])))]
pub async fn rows(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
    QueryParams(q): QueryParams<RowsQuery>,
) -> ApiResult<Json<BulkRowList>> {
    let parsed = q.and_then(|q| {
        Ok((
            bounded("after", q.after.as_ref(), 0, i64::from(u32::MAX), 0)?,
            bounded("limit", q.limit.as_ref(), 1, 1000, 100)?,
        ))
    });
    let (after, limit) = admin.accept(&state, "bulk.rows", parsed).await?;
    let (p, rows) = state
        .services
        .bulk_rows(&admin.tenant, &admin.ctx, &id, after as u32, limit as u32)
        .await?;
    let next = (rows.len() as i64 == limit).then(|| {
        format!(
            "/api/v1/tenants/{}/bulk-processes/{}/rows?limit={limit}&after={}",
            admin.tenant.slug,
            p.id,
            rows.last().map(|r| r.line).unwrap_or_default()
        )
    });
    Ok(Json(BulkRowList {
        items: rows.into_iter().map(Into::into).collect(),
        next,
    }))
}

/// Start an uploaded bulk process; it runs in the background.
///
/// A process that deletes users needs `{"confirm_delete": true}`.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/bulk-processes/{id}/start", tag = "bulk",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "Bulk process id (UUID)")),
    request_body(content = Option<StartRequest>, content_type = "application/json"),
    responses((status = 202, description = "Running", body = BulkProcessResponse),
        (status = 409, description = "invalid_bulk_state: not waiting to start", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn start(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<BulkProcessResponse>)> {
    let confirm = admin
        .accept(&state, "bulk.start", confirm_delete(&body))
        .await?;
    let p = state
        .services
        .start_bulk(&admin.tenant, &admin.ctx, &id, confirm)
        .await?;
    Ok((StatusCode::ACCEPTED, Json((&p).into())))
}

/// An empty body, or a JSON object with an optional boolean `confirm_delete`.
fn confirm_delete(body: &Bytes) -> Result<bool, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    let v = crate::extract::parse_json(body)?;
    let mut r = usher_core::input::ObjectReader::new(v).map_err(Error::Validation)?;
    let confirm = r.bool("confirm_delete");
    let errors = r.finish();
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    Ok(matches!(confirm, usher_core::input::Patch::Value(true)))
}

/// Cancel a bulk process: rows already run stay run, the rest never run.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/bulk-processes/{id}/cancel", tag = "bulk",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "Bulk process id (UUID)")),
    responses((status = 200, description = "Cancelled", body = BulkProcessResponse),
        (status = 409, description = "invalid_bulk_state: already finished", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<BulkProcessResponse>> {
    let p = state
        .services
        .cancel_bulk(&admin.tenant, &admin.ctx, &id)
        .await?;
    Ok(Json((&p).into()))
}
