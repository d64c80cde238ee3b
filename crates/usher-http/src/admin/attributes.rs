//! `/api/v1/tenants/{tenant}/attributes`: custom attribute definitions.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::flag;
use crate::extract::{AuditedCaller, JsonBody, QueryParams, TenantAdmin};
use crate::paging::single_page;
use crate::schema::{BodyErrors, CommonErrors, Links};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use usher_core::attribute::AttributeDefinition;
use usher_core::audit::AuditAction;
use utoipa::{IntoParams, ToSchema};

/// A custom attribute definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeResponse {
    pub name: String,
    pub label: String,
    pub max_length: u16,
    pub regex: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&AttributeDefinition> for AttributeResponse {
    fn from(d: &AttributeDefinition) -> Self {
        Self {
            name: d.name.as_str().to_owned(),
            label: d.label.clone(),
            max_length: d.max_length,
            regex: d.regex.clone(),
            created_at: d.created_at,
        }
    }
}

/// The body of `POST /attributes`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CreateAttributeRequest {
    /// `^[A-Za-z0-9_]{1,30}$`, unique ignoring case.
    pub name: String,
    /// 1 to 120 characters.
    pub label: String,
    /// 1 to 1000 (default 1000).
    pub max_length: Option<u16>,
    /// A regular expression a value must match as a whole.
    pub regex: Option<String>,
}

/// The custom attribute definitions of a tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeList {
    pub items: Vec<AttributeResponse>,
    pub total: u64,
    pub links: Links,
}

/// List the custom attribute definitions.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/attributes", tag = "attributes",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses((status = 200, description = "Every definition", body = AttributeList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_attributes(
    State(state): State<AppState>,
    admin: TenantAdmin,
) -> ApiResult<Json<AttributeList>> {
    let defs = state
        .services
        .list_attributes(&admin.tenant, &admin.ctx)
        .await?;
    Ok(Json(AttributeList {
        total: defs.len() as u64,
        items: defs.iter().map(AttributeResponse::from).collect(),
        links: single_page(&format!("/api/v1/tenants/{}/attributes", admin.tenant.slug)),
    }))
}

/// Define a custom attribute.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/attributes", tag = "attributes",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = CreateAttributeRequest, content_type = "application/json"),
    responses((status = 201, description = "Created", body = AttributeResponse),
        (status = 409, description = "attribute_exists", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn create_attribute(
    State(state): State<AppState>,
    admin: TenantAdmin,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let body = admin
        .accept(&state, AuditAction::AttributeCreate, body)
        .await?;
    let def = state
        .services
        .create_attribute(&admin.tenant, &admin.ctx, body)
        .await?;
    Ok((StatusCode::CREATED, Json(AttributeResponse::from(&def))).into_response())
}

/// Query of `DELETE /attributes/{name}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteAttributeQuery {
    /// `true` to also remove every value users hold.
    pub purge: Option<String>,
}

/// Remove a custom attribute definition.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/attributes/{name}", tag = "attributes",
    params(("tenant" = String, Path, description = "Tenant slug"), ("name" = String, Path, description = "Attribute name"), DeleteAttributeQuery),
    responses((status = 204, description = "Removed"),
        (status = 409, description = "attribute_in_use: users hold values and purge was not requested", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn delete_attribute(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, name)): Path<(String, String)>,
    QueryParams(q): QueryParams<DeleteAttributeQuery>,
) -> ApiResult<StatusCode> {
    let purge = q.and_then(|q| flag("purge", q.purge.as_deref()));
    let purge = admin
        .accept(&state, AuditAction::AttributeDelete, purge)
        .await?;
    state
        .services
        .delete_attribute(&admin.tenant, &admin.ctx, &name, purge)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
