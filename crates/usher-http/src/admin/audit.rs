//! `/api/v1/tenants/{tenant}/audit`: the audit log, newest first.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, QueryParams, TenantAdmin, int_param};
use crate::paging::links;
use crate::schema::{CommonErrors, Links};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use usher_core::audit::{AuditAction, StoredLink};
use usher_core::service::AuditParams;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// One audit event: the sealed payload plus its hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventResponse {
    pub id: Uuid,
    pub seq: i64,
    pub occurred_at: String,
    /// Who acted: `{kind, id, name}`; `kind` is `token`, `user` (a
    /// person: an admin or a user on their own account, with `email`),
    /// `cli`, `system` or `anonymous`.
    #[schema(value_type = Object)]
    pub actor: serde_json::Value,
    pub action: String,
    #[schema(value_type = Option<Object>)]
    pub target: serde_json::Value,
    /// `success`, `refused` or `failed`.
    pub outcome: String,
    pub reason: Option<String>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// A page of audit events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditEventResponse>,
    pub total: u64,
    pub links: Links,
}

/// Query of `GET /audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListAuditQuery {
    /// Actor id (a token id, a person's user id, or the operator of a CLI call).
    pub actor: Option<String>,
    /// Target id (e.g. a user id).
    pub target: Option<String>,
    /// Action, e.g. `user.block`.
    pub action: Option<String>,
    /// Earliest time, RFC 3339.
    pub from: Option<String>,
    /// Latest time, RFC 3339.
    pub to: Option<String>,
    /// Page size, 1 to 200 (default 20).
    pub limit: Option<String>,
    /// Opaque cursor from a previous page's links.
    pub cursor: Option<String>,
}

/// The actor as recorded, with `email` beside `name` for a person (whose
/// recorded name is their email) so that a reader need not know that.
fn actor(recorded: &Value) -> Value {
    let mut a = recorded.clone();
    if a["kind"] == "user"
        && let Some(obj) = a.as_object_mut()
        && let Some(name) = obj.get("name").cloned()
    {
        obj.insert("email".into(), name);
    }
    a
}

fn event(link: &StoredLink) -> AuditEventResponse {
    let v: Value = serde_json::from_str(&link.payload).unwrap_or(Value::Null);
    let s = |k: &str| v[k].as_str().map(str::to_owned);
    AuditEventResponse {
        id: s("id")
            .and_then(|i| Uuid::parse_str(&i).ok())
            .unwrap_or_default(),
        seq: link.seq,
        occurred_at: s("occurred_at").unwrap_or_default(),
        actor: actor(&v["actor"]),
        action: s("action").unwrap_or_default(),
        target: v["target"].clone(),
        outcome: s("outcome").unwrap_or_default(),
        reason: s("reason"),
        client_ip: s("client_ip"),
        request_id: s("request_id"),
        details: v["details"].clone(),
        prev_hash: s("prev_hash").unwrap_or_default(),
        hash: link.hash.clone(),
    }
}

/// Read the audit log.
///
/// Every admin action is here, reads included, with its outcome.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/audit", tag = "audit",
    params(("tenant" = String, Path, description = "Tenant slug"), ListAuditQuery),
    responses((status = 200, description = "A page of events, newest first", body = AuditList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_audit_events(
    State(state): State<AppState>,
    admin: TenantAdmin,
    QueryParams(q): QueryParams<ListAuditQuery>,
) -> ApiResult<Json<AuditList>> {
    let q = admin.accept(&state, AuditAction::AuditList, q).await?;
    let limit = admin
        .accept(
            &state,
            AuditAction::AuditList,
            int_param("limit", q.limit.as_ref()),
        )
        .await?;
    let params = AuditParams {
        actor: q.actor.clone(),
        target: q.target.clone(),
        action: q.action.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
        limit,
        cursor: q.cursor.clone(),
    };
    let page = state
        .services
        .list_audit(&admin.tenant, &admin.ctx, &params)
        .await?;
    let limit_s = limit.map(|l| l.to_string());
    let links = links(
        &format!("/api/v1/tenants/{}/audit", admin.tenant.slug),
        &[
            ("actor", q.actor.as_deref()),
            ("target", q.target.as_deref()),
            ("action", q.action.as_deref()),
            ("from", q.from.as_deref()),
            ("to", q.to.as_deref()),
            ("limit", limit_s.as_deref()),
        ],
        &page,
    );
    Ok(Json(AuditList {
        items: page.items.iter().map(event).collect(),
        total: page.total,
        links,
    }))
}
