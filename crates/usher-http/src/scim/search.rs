//! `POST /scim/v2/{tenant}/.search`: users and groups in one search.

use super::error::ScimResult;
use super::reply::{list_response, scim_json};
use super::request::accept_search;
use crate::AppState;
use crate::extract::{JsonBody, ScimClient};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use usher_core::audit::AuditAction;
use usher_core::scim::resource::group_resource;
use usher_core::scim::schemas;
use usher_core::service::ScimQuery;

/// `POST /.search` at the root: users and groups together (RFC 7644
/// §3.4.3), users first; the window (`startIndex`, `count`) runs over the
/// users and then the groups. A filter that names attributes of only one
/// of them selects nothing of the other.
pub(super) async fn search_resources(
    State(state): State<AppState>,
    client: ScimClient,
    body: JsonBody,
) -> ScimResult<Response> {
    let (q, proj) = accept_search(&state, &client, AuditAction::UserSearch, body).await?;
    let start = q.start_index.unwrap_or(1).max(1);
    let count = q
        .count
        .unwrap_or(i64::from(schemas::MAX_RESULTS))
        .clamp(0, i64::from(schemas::MAX_RESULTS));
    let mut refused = None;
    let users = match state
        .services
        .scim_list_users(&client.tenant, &client.ctx, &q)
        .await
    {
        Ok(p) => Some(p),
        Err(e) if e.code() == "invalid_filter" => {
            refused = Some(e);
            None
        }
        Err(e) => return Err(e.into()),
    };
    let mut resources = Vec::new();
    let mut total = 0u64;
    if let Some(users) = &users {
        total += users.total;
        let shown = state
            .services
            .scim_resources(&client.tenant, &client.base, &users.users)
            .await?;
        resources.extend(shown.into_iter().map(|r| proj.apply(r)));
    }
    // The groups' part of the window starts where the users ran out.
    let users_total = users
        .as_ref()
        .map_or(0, |u| i64::try_from(u.total).unwrap_or(i64::MAX));
    let room = count - i64::try_from(resources.len()).unwrap_or(0);
    let gq = ScimQuery {
        start_index: Some((start - users_total).max(1)),
        count: Some(if start + count - 1 > users_total {
            room.max(0)
        } else {
            0
        }),
        ..q.clone()
    };
    match state
        .services
        .list_groups(&client.tenant, &client.ctx, &gq)
        .await
    {
        Ok(groups) => {
            total += groups.total;
            for g in &groups.groups {
                resources.push(proj.apply(group_resource(g, &client.base)));
            }
        }
        Err(e) if e.code() == "invalid_filter" => {
            if users.is_none() {
                return Err(refused.unwrap_or(e).into());
            }
        }
        Err(e) => return Err(e.into()),
    }
    // `start` is at least 1.
    let body = list_response(total, start.unsigned_abs(), resources);
    Ok(scim_json(StatusCode::OK, &body))
}
