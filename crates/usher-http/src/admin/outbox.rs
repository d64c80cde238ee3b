//! `/api/v1/tenants/{tenant}/outbox`: mails queued or sent, with their
//! links while undelivered — how an operator without SMTP hands them over.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{AuditedCaller, QueryParams, TenantAdmin, int_param};
use crate::paging::links;
use crate::schema::{CommonErrors, Links};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use usher_core::audit::AuditAction;
use usher_core::mail::OutboxEntry;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Query of `GET /outbox`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListOutboxQuery {
    /// `queued`, `sent`, `failed` or `cancelled`.
    pub state: Option<String>,
    /// Page size, 1 to 200 (default 20).
    pub limit: Option<String>,
    /// Opaque cursor from a previous page's links.
    pub cursor: Option<String>,
}

/// One mail.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailResponse {
    pub id: Uuid,
    /// `invitation` or `password_reset`.
    pub kind: String,
    pub user_id: Option<Uuid>,
    pub recipient: String,
    pub subject: String,
    /// The link the mail carries; removed once the mail was delivered.
    pub link: Option<String>,
    /// `queued`, `sent`, `failed` or `cancelled` (with the reason in `last_error`).
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
}

impl From<&OutboxEntry> for MailResponse {
    fn from(e: &OutboxEntry) -> Self {
        Self {
            id: e.mail.id.uuid(),
            kind: e.mail.kind.as_str().to_owned(),
            user_id: e.mail.user_id.map(usher_core::Id::uuid),
            recipient: e.mail.recipient.clone(),
            subject: e.mail.subject.clone(),
            link: e.mail.link.clone(),
            state: e.state.as_str().to_owned(),
            attempts: e.attempts,
            last_error: e.last_error.clone(),
            created_at: e.mail.created_at,
            next_attempt_at: e.next_attempt_at,
            sent_at: e.sent_at,
        }
    }
}

/// A page of the outbox, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailList {
    pub items: Vec<MailResponse>,
    pub total: u64,
    pub links: Links,
}

/// Read the outbox.
///
/// Mails are written here with the action that causes them. Without SMTP
/// configured they stay `queued`, and their links can be handed over from
/// here.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/outbox", tag = "mail",
    params(("tenant" = String, Path, description = "Tenant slug"), ListOutboxQuery),
    responses((status = 200, description = "A page of mails, newest first", body = MailList), CommonErrors),
    security(("bearer" = [])))]
pub async fn list_outbox_mails(
    State(state): State<AppState>,
    admin: TenantAdmin,
    QueryParams(q): QueryParams<ListOutboxQuery>,
) -> ApiResult<Json<MailList>> {
    let parsed = q.and_then(|q| int_param("limit", q.limit.as_ref()).map(|l| (q, l)));
    let (q, limit) = admin
        .accept(&state, AuditAction::OutboxList, parsed)
        .await?;
    let page = state
        .services
        .list_outbox(
            &admin.tenant,
            &admin.ctx,
            q.state.as_deref(),
            limit,
            q.cursor.as_deref(),
        )
        .await?;
    let limit_s = limit.map(|l| l.to_string());
    let links = links(
        &format!("/api/v1/tenants/{}/outbox", admin.tenant.slug),
        &[("state", q.state.as_deref()), ("limit", limit_s.as_deref())],
        &page,
    );
    Ok(Json(MailList {
        items: page.items.iter().map(MailResponse::from).collect(),
        total: page.total,
        links,
    }))
}
