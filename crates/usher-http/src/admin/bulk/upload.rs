//! `POST /api/v1/tenants/{tenant}/bulk-processes`: a CSV file (a `text/csv`
//! body with the fields in the query string, or a multipart form) read,
//! checked and stored as a process waiting to be started.

use super::responses::BulkProcessResponse;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, TenantAdmin, media_type, parse_query};
use crate::extract::{flag, multipart_fields, text_field};
use crate::schema::{BodyErrors, CommonErrors};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use usher_core::Error;
use usher_core::audit::AuditAction;
use usher_core::bulk::{LineError, MAX_FILE_BYTES};
use usher_core::error::ErrorCode;
use usher_core::service::BulkUpload;
use utoipa::{IntoParams, ToSchema};

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
    /// password_reset, revoke_sessions, assign_role or remove_role.
    pub action: String,
    /// The role `assign_role` and `remove_role` give or take: one of the
    /// tenant's own roles.
    pub role: Option<String>,
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
    /// The role of `assign_role` and `remove_role`.
    pub role: Option<String>,
    /// `true` to check the file's names and email against the users.
    pub validate: Option<String>,
    /// A note kept with the process.
    pub note: Option<String>,
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

pub(crate) fn too_large() -> Error {
    Error::TooLarge(format!(
        "the file may be at most {} MiB",
        MAX_FILE_BYTES / (1024 * 1024)
    ))
}

/// The upload a multipart form describes.
pub(crate) fn upload_of(fields: &[(String, Vec<u8>)]) -> Result<BulkUpload, Error> {
    let file = fields
        .iter()
        .find(|(n, _)| n == "file")
        .map(|(_, b)| b.clone());
    Ok(BulkUpload {
        action: text_field(fields, "action"),
        role: text_field(fields, "role"),
        validate: flag("validate", text_field(fields, "validate").as_deref())?,
        note: text_field(fields, "note"),
        file: file.ok_or_else(|| {
            Error::bad_request(
                ErrorCode::MissingFile,
                "the form needs a file field with the CSV",
            )
        })?,
    })
}

/// Reads the upload from a `text/csv` body or a multipart form.
async fn read_upload(headers: &HeaderMap, req: Request) -> Result<BulkUpload, Error> {
    match media_type(headers).as_str() {
        "text/csv" | "application/csv" => {
            let q: UploadQuery = parse_query(req.uri().query().unwrap_or(""))?;
            let file: Bytes = axum::body::to_bytes(req.into_body(), MAX_FILE_BYTES + 1)
                .await
                .map_err(|_| too_large())?;
            Ok(BulkUpload {
                action: q.action,
                role: q.role,
                validate: flag("validate", q.validate.as_deref())?,
                note: q.note,
                file: file.to_vec(),
            })
        }
        "multipart/form-data" => {
            let limit = MAX_FILE_BYTES as u64 + 64 * 1024;
            let fields = multipart_fields(headers, req.into_body(), limit, too_large).await?;
            upload_of(&fields)
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
pub async fn create_bulk_process(
    State(state): State<AppState>,
    admin: TenantAdmin,
    req: Request,
) -> ApiResult<Response> {
    let headers = req.headers().clone();
    let upload = admin
        .accept(
            &state,
            AuditAction::BulkCreate,
            read_upload(&headers, req).await,
        )
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
