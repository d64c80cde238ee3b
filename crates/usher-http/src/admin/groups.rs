//! `/api/v1/tenants/{tenant}/groups` and `/users/{id}/groups`: the groups
//! provisioning clients keep over SCIM, read-only in the admin API.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, QueryParams, TenantAdmin, int_param};
use crate::paging::{links, single_page};
use crate::schema::{CommonErrors, Links};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use usher_core::Error;
use usher_core::audit::AuditAction;
use usher_core::error::ErrorCode;
use usher_core::group::Group;
use usher_core::listing::{Cursor, Page, parse_limit};
use usher_core::service::ScimQuery;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A group.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupResponse {
    pub id: Uuid,
    pub display_name: String,
    pub external_id: Option<String>,
    /// The ids of the member users.
    pub members: Vec<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

impl From<&Group> for GroupResponse {
    fn from(g: &Group) -> Self {
        Self {
            id: g.id.uuid(),
            display_name: g.display_name.as_str().to_owned(),
            external_id: g.external_id.as_ref().map(|x| x.as_str().to_owned()),
            members: g.members.clone().iter().map(|i| i.uuid()).collect(),
            created_at: g.created_at,
            updated_at: g.updated_at,
            version: g.version,
        }
    }
}

/// A page of groups.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    pub items: Vec<GroupResponse>,
    pub total: u64,
    pub links: Links,
}

/// Query of `GET /groups`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListGroupsQuery {
    /// Page size, 1 to 200 (default 20).
    pub limit: Option<String>,
    /// Opaque cursor from a previous page's links.
    pub cursor: Option<String>,
}

fn bad_cursor() -> Error {
    Error::bad_request(
        ErrorCode::InvalidCursor,
        "the cursor is not valid; start again from the first page",
    )
}

/// List groups.
///
/// Ordered by name ignoring case. `total` is exact.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/groups", tag = "groups",
    params(("tenant" = String, Path, description = "Tenant slug"), ListGroupsQuery),
    responses((status = 200, description = "A page of groups", body = GroupList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_groups(
    State(state): State<AppState>,
    admin: TenantAdmin,
    QueryParams(q): QueryParams<ListGroupsQuery>,
) -> ApiResult<Json<GroupList>> {
    let parsed = q.and_then(|q| {
        let limit = parse_limit(int_param("limit", q.limit.as_ref())?)?;
        let cursor = Cursor::decode(q.cursor.as_deref())?;
        Ok((limit, cursor))
    });
    let (limit, cursor) = admin.accept(&state, AuditAction::GroupList, parsed).await?;
    let offset = match &cursor {
        Cursor::First => Ok(0),
        Cursor::After(k) => k.parse::<u64>().map_err(|_| bad_cursor()),
        Cursor::Last => {
            let total = state.services.count_groups(&admin.tenant).await?;
            Ok(total.saturating_sub(1) / u64::from(limit) * u64::from(limit))
        }
        Cursor::Before(_) => Err(bad_cursor()),
    };
    let offset = admin.accept(&state, AuditAction::GroupList, offset).await?;
    let query = ScimQuery {
        sort_by: Some("displayName".into()),
        start_index: Some(i64::try_from(offset).unwrap_or(i64::MAX).saturating_add(1)),
        count: Some(i64::from(limit)),
        ..ScimQuery::default()
    };
    let page = state
        .services
        .list_groups(&admin.tenant, &admin.ctx, &query)
        .await?;
    let shown = page.groups.len() as u64;
    let step = u64::from(limit);
    let p = Page {
        items: Vec::<()>::new(),
        total: page.total,
        prev: (offset > 0).then(|| {
            let o = offset.saturating_sub(step);
            if o == 0 {
                Cursor::First
            } else {
                Cursor::After(o.to_string())
            }
        }),
        next: (offset + shown < page.total).then(|| Cursor::After((offset + step).to_string())),
    };
    let base = format!("/api/v1/tenants/{}/groups", admin.tenant.slug);
    let limit_s = limit.to_string();
    Ok(Json(GroupList {
        items: page.groups.iter().map(GroupResponse::from).collect(),
        total: page.total,
        links: links(&base, &[("limit", Some(limit_s.as_str()))], &p),
    }))
}

/// The groups of a user.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/users/{id}/groups", tag = "groups",
    params(("tenant" = String, Path, description = "Tenant slug"), ("id" = String, Path, description = "User id (UUID)")),
    responses((status = 200, description = "The user's groups, by name", body = GroupList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_user_groups(
    State(state): State<AppState>,
    admin: TenantAdmin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<GroupList>> {
    let groups = state
        .services
        .user_groups(&admin.tenant, &admin.ctx, &id)
        .await?;
    let base = format!("/api/v1/tenants/{}/users/{id}/groups", admin.tenant.slug);
    Ok(Json(GroupList {
        total: groups.len() as u64,
        items: groups.iter().map(GroupResponse::from).collect(),
        links: single_page(&base),
    }))
}
