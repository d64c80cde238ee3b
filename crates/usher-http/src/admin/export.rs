//! `GET /api/v1/tenants/{tenant}/users/export`: every user a list with the
//! same filters would show, as CSV or JSON Lines, streamed page by page so
//! that a million users never sit in memory at once.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, QueryParams, TenantAdmin};
use crate::schema::{CommonErrors, UserResponse};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use usher_core::Error;
use usher_core::audit::AuditAction;
use usher_core::error::ErrorCode;
use usher_core::export::{csv_header, csv_lines, csv_row};
use usher_core::listing::{Cursor, UserQuery};
use usher_core::service::{ListParams, Services};
use usher_core::tenant::Tenant;
use utoipa::IntoParams;

/// Query of `GET /users/export`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `jsonl` (one user per line, as the API shows it).
    pub format: Option<String>,
    /// As in the user list.
    pub search: Option<String>,
    /// As in the user list.
    pub state: Option<String>,
    /// As in the user list.
    pub archived: Option<String>,
    /// As in the user list.
    pub mfa: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub narrowing: super::users::NarrowingQuery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    JsonLines,
}

/// Where an export's walk through the list stands.
struct Walk {
    services: Services,
    tenant: Tenant,
    query: Option<UserQuery>,
    attributes: Vec<String>,
    format: Format,
    header: bool,
}

impl Walk {
    /// The next page as bytes; `None` after the last one.
    async fn next(mut self) -> Option<(Result<Bytes, Error>, Walk)> {
        let query = self.query.take()?;
        let page = match self.services.export_page(&self.tenant, &query).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, tenant = %self.tenant.slug, "an export stopped half-way");
                return Some((Err(e), self));
            }
        };
        let now = self.services.clock.now();
        let ids: Vec<_> = page.items.iter().map(|u| u.id).collect();
        let roles = match self.services.role_names_of(&self.tenant, &ids).await {
            Ok(r) => r,
            Err(e) => return Some((Err(e), self)),
        };
        let mut out = Vec::new();
        match self.format {
            Format::Csv => {
                let mut rows = Vec::with_capacity(page.items.len() + 1);
                if std::mem::take(&mut self.header) {
                    rows.push(csv_header(&self.attributes));
                }
                rows.extend(page.items.iter().map(|u| {
                    let held = roles.get(&u.id).map_or(&[][..], Vec::as_slice);
                    csv_row(u, held, &self.attributes, now)
                }));
                out = csv_lines(&rows);
            }
            Format::JsonLines => {
                for u in &page.items {
                    let json = UserResponse::with_roles(u, now, &roles);
                    if serde_json::to_writer(&mut out, &json).is_ok() {
                        out.push(b'\n');
                    }
                }
            }
        }
        self.query = page.next.map(|c| UserQuery { cursor: c, ..query });
        Some((Ok(Bytes::from(out)), self))
    }
}

/// Export users as CSV or JSON Lines.
///
/// The same filters as the list; every user that matches, in the list's
/// order, streamed. In CSV a value that a spreadsheet would run as a
/// formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) is
/// written with a leading `'`.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/users/export", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ExportQuery, super::users::NarrowingQuery),
    responses((status = 200, description = "The users", content(
        (String = "text/csv"), (String = "application/x-ndjson"))), CommonErrors),
    security(("bearer" = [])))]
pub async fn export_users(
    State(state): State<AppState>,
    admin: TenantAdmin,
    QueryParams(q): QueryParams<ExportQuery>,
) -> ApiResult<Response> {
    let parsed = q.and_then(|q| {
        let format = match q.format.as_deref() {
            None | Some("") | Some("csv") => Format::Csv,
            Some("jsonl") => Format::JsonLines,
            Some(_) => {
                return Err(Error::bad_request(
                    ErrorCode::InvalidParameter,
                    "format must be csv or jsonl",
                ));
            }
        };
        Ok((format, q))
    });
    let (format, q) = admin
        .accept(&state, AuditAction::UserExport, parsed)
        .await?;
    let params = q.narrowing.apply(ListParams {
        search: q.search,
        state: q.state,
        archived: q.archived,
        mfa: q.mfa,
        ..ListParams::default()
    });
    let name = if format == Format::Csv {
        "csv"
    } else {
        "jsonl"
    };
    let (query, attributes) = state
        .services
        .start_export(&admin.tenant, &admin.ctx, &params, name)
        .await?;
    debug_assert!(matches!(query.cursor, Cursor::First));
    let walk = Walk {
        services: state.services.clone(),
        tenant: admin.tenant.clone(),
        query: Some(query),
        attributes,
        format,
        header: true,
    };
    let stream = futures::stream::unfold(walk, Walk::next);
    let (content_type, file) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "users.csv"),
        Format::JsonLines => ("application/x-ndjson", "users.jsonl"),
    };
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
