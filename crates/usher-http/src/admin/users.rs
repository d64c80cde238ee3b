//! `/api/v1/tenants/{tenant}/users`: create, list and search, read, edit,
//! delete, and the lifecycle actions.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, IfMatch, JsonBody, QueryParams, TenantAdmin, etag, int_param};
use crate::paging::links;
use crate::schema::{BodyErrors, CommonErrors, Links, UserResponse};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use usher_core::audit::AuditAction;
use usher_core::service::ListParams;
use usher_core::user::User;
use utoipa::{IntoParams, ToSchema};

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserResponse>,
    /// The exact number of users matching the query.
    pub total: u64,
    pub links: Links,
}

/// The body of `POST /users`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct CreateUserRequest {
    /// The login name; unique per tenant ignoring case.
    pub email: String,
    /// At most 50 characters.
    pub first_name: Option<String>,
    /// At most 100 characters.
    pub last_name: Option<String>,
    /// The name to show, at most 150 characters.
    pub display_name: Option<String>,
    /// E.164, e.g. `+4915112345678`.
    pub phone: Option<String>,
    pub personal_email: Option<String>,
    /// Unique per tenant ignoring case.
    pub username: Option<String>,
    /// `en` (default), `de` or `fr`.
    pub language: Option<String>,
    pub external_id: Option<String>,
    /// Values of the tenant's custom attributes.
    pub attributes: Option<BTreeMap<String, String>>,
    /// Send an invitation (default true).
    pub send_invitation: Option<bool>,
    /// Create the user directly `active` (SSO-only users, SCIM, imports).
    pub activate: Option<bool>,
}

/// The body of `PATCH /users/{id}`: a JSON merge patch (absent = keep, `null` = unset).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UpdateUserRequest {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub phone: Option<String>,
    pub personal_email: Option<String>,
    pub username: Option<String>,
    pub language: Option<String>,
    pub external_id: Option<String>,
    /// Attribute values to set; `null` removes one.
    pub attributes: Option<BTreeMap<String, Option<String>>>,
}

/// Query of `GET /users`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Case-insensitive prefix of email, first or last name, username, phone or a custom attribute value; at least 2 characters.
    pub search: Option<String>,
    /// One of not_invited, pending_invitation, expired_invitation, active, blocked, disabled.
    pub state: Option<String>,
    /// `true` or `false`.
    pub archived: Option<String>,
    /// `true`: only users with a confirmed second factor (`mfa_enrolled`); `false`: only users without one.
    pub mfa: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    pub narrowing: NarrowingQuery,
    /// Page size, 1 to 200 (default 20).
    pub limit: Option<String>,
    /// Opaque cursor from a previous page's links.
    pub cursor: Option<String>,
}

/// The filters of the user list and export beyond state and search.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NarrowingQuery {
    /// Only the users holding this role (the tenant's own or a built-in admin role); a name no role has lists nobody.
    pub role: Option<String>,
    /// The properties a search looks at, comma-separated: `email`, `name` (first, last, or both), `username`, `external_id` (exact case), `id` (the whole id only). Default: every searchable property.
    pub fields: Option<String>,
    /// Only users whose last login was before this RFC 3339 time (never excludes users who never logged in).
    pub last_login_before: Option<String>,
    /// Only users whose last login was at or after this RFC 3339 time.
    pub last_login_after: Option<String>,
    /// `true`: only users who never logged in; `false`: only users who did.
    pub never_logged_in: Option<String>,
}

impl NarrowingQuery {
    /// These filters on top of `params`.
    pub(super) fn apply(&self, params: ListParams) -> ListParams {
        ListParams {
            role: self.role.clone(),
            fields: self.fields.clone(),
            last_login_before: self.last_login_before.clone(),
            last_login_after: self.last_login_after.clone(),
            never_logged_in: self.never_logged_in.clone(),
            ..params
        }
    }

    /// The query parameters links carry.
    pub(super) fn link_params(&self) -> [(&'static str, Option<&str>); 5] {
        [
            ("role", self.role.as_deref()),
            ("fields", self.fields.as_deref()),
            ("last_login_before", self.last_login_before.as_deref()),
            ("last_login_after", self.last_login_after.as_deref()),
            ("never_logged_in", self.never_logged_in.as_deref()),
        ]
    }
}

/// A user's JSON, with the roles they hold, and its ETag.
pub(super) async fn user_reply(
    state: &AppState,
    admin: &TenantAdmin,
    status: StatusCode,
    user: &User,
) -> ApiResult<Response> {
    let roles = state
        .services
        .role_names_of(&admin.tenant, &[user.id])
        .await?;
    let body = UserResponse::with_roles(user, state.services.clock.now(), &roles);
    Ok((status, [(header::ETAG, etag(user.version))], Json(body)).into_response())
}

/// Create a user.
///
/// Creates the user `pending_invitation` (default), `not_invited`
/// (`send_invitation: false`) or `active` (`activate: true`).
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/users", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body(content = CreateUserRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = UserResponse,
         headers(("Location" = String, description = "URL of the new user"), ("ETag" = String, description = "W/\"<version>\""))),
        (status = 409, description = "The email, username or external id is taken", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    admin: TenantAdmin,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let body = admin.accept(&state, AuditAction::UserCreate, body).await?;
    let user = state
        .services
        .create_user(&admin.tenant, &admin.ctx, body)
        .await?;
    let mut res = user_reply(&state, &admin, StatusCode::CREATED, &user).await?;
    let location = format!("/api/v1/tenants/{}/users/{}", admin.tenant.slug, user.id);
    if let Ok(v) = location.parse() {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// List or search users.
///
/// Ordered by email ignoring case. `total` is exact; `links` lead to the
/// first, previous, next and last pages.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/users", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ListUsersQuery, NarrowingQuery),
    responses((status = 200, description = "A page of users", body = UserList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    admin: TenantAdmin,
    QueryParams(q): QueryParams<ListUsersQuery>,
) -> ApiResult<Json<UserList>> {
    let q = admin.accept(&state, AuditAction::UserList, q).await?;
    let limit = admin
        .accept(
            &state,
            AuditAction::UserList,
            int_param("limit", q.limit.as_ref()),
        )
        .await?;
    let params = q.narrowing.apply(ListParams {
        search: q.search.clone(),
        state: q.state.clone(),
        archived: q.archived.clone(),
        mfa: q.mfa.clone(),
        limit,
        cursor: q.cursor.clone(),
        ..ListParams::default()
    });
    let page = state
        .services
        .list_users(&admin.tenant, &admin.ctx, &params)
        .await?;
    let base = format!("/api/v1/tenants/{}/users", admin.tenant.slug);
    let limit_s = limit.map(|l| l.to_string());
    let mut params = vec![
        ("search", q.search.as_deref()),
        ("state", q.state.as_deref()),
        ("archived", q.archived.as_deref()),
        ("mfa", q.mfa.as_deref()),
    ];
    params.extend(q.narrowing.link_params());
    params.push(("limit", limit_s.as_deref()));
    let links = links(&base, &params, &page);
    Ok(Json(UserList {
        items: UserResponse::page(&state.services, &admin.tenant, &page.items).await?,
        total: page.total,
        links,
    }))
}

/// Read a user.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/users/{id}", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)")),
    responses((status = 200, description = "The user", body = UserResponse,
        headers(("ETag" = String, description = "W/\"<version>\""))), CommonErrors),
    security(("bearer" = [])))]
pub async fn get_user(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let user = state
        .services
        .get_user(&admin.tenant, &admin.ctx, &id)
        .await?;
    user_reply(&state, &admin, StatusCode::OK, &user).await
}

/// Edit a user (JSON merge patch).
#[utoipa::path(patch, path = "/api/v1/tenants/{tenant}/users/{id}", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being edited")),
    request_body(content = UpdateUserRequest, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The edited user", body = UserResponse,
            headers(("ETag" = String, description = "W/\"<version>\""))),
        (status = 409, description = "The email or username is taken", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older version", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors, BodyErrors),
    security(("bearer" = [])))]
pub async fn update_user(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
    IfMatch(if_match): IfMatch,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    // A bad body is named before a bad If-Match.
    let read = body.and_then(|b| if_match.map(|m| (b, m)));
    let (body, if_match) = admin.accept(&state, AuditAction::UserUpdate, read).await?;
    let user = state
        .services
        .edit_user(&admin.tenant, &admin.ctx, &id, if_match, body)
        .await?;
    user_reply(&state, &admin, StatusCode::OK, &user).await
}

/// Delete a user.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/users/{id}", tag = "users",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted")),
    responses((status = 204, description = "Deleted"),
        (status = 409, description = "The tenant requires disabling first", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older version", body = crate::error::Problem, content_type = "application/problem+json"),
        CommonErrors),
    security(("bearer" = [])))]
pub async fn delete_user(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
    IfMatch(if_match): IfMatch,
) -> ApiResult<StatusCode> {
    let if_match = admin
        .accept(&state, AuditAction::UserDelete, if_match)
        .await?;
    state
        .services
        .delete_user(&admin.tenant, &admin.ctx, &id, if_match)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
