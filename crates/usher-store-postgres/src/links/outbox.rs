//! The outbox: mails written with the action that causes them, claimed by
//! deliverers with a lease (`FOR UPDATE SKIP LOCKED`, so several processes
//! never claim one mail), and kept without their links once sent.

use crate::audit;
use crate::error::{DbExt, unavailable};
use crate::ids::{id, opt_id};
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, QueryBuilder, Row};
use usher_core::audit::AuditDraft;
use usher_core::error::Error;
use usher_core::job::{JobKind, NewJob};
use usher_core::listing::Page;
use usher_core::mail::{MailKind, MailState, OutboxEntry, OutgoingMail, escape_html};
use usher_core::store::{LinkKind, MailOutcome, OutboxQuery};
use usher_core::{Id, MailId, StoreError, UserId};
use uuid::Uuid;

/// The columns [`entry`] reads, as a literal so that queries stay static.
macro_rules! outbox_columns {
    () => {
        "o.id, t.id AS tenant_id, o.user_id, o.kind, o.recipient, o.subject, o.text_body, o.html_body, \
         o.link, o.state, o.attempts, o.next_attempt_at, o.last_error, o.created_at, o.sent_at"
    };
}

/// What replaces a delivered link in the stored mail.
const LINK_REMOVED: &str = "[link removed after delivery]";

fn entry(r: &PgRow) -> Result<OutboxEntry, sqlx::Error> {
    let bad = |what: &str| sqlx::Error::Decode(format!("outbox {what} is unknown").into());
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    let attempts: i32 = r.try_get("attempts")?;
    Ok(OutboxEntry {
        mail: OutgoingMail {
            id: id(r, "id")?,
            tenant_id: id(r, "tenant_id")?,
            user_id: opt_id(r, "user_id")?,
            kind: MailKind::parse(&kind).ok_or_else(|| bad("kind"))?,
            recipient: r.try_get("recipient")?,
            subject: r.try_get("subject")?,
            text: r.try_get("text_body")?,
            html: r.try_get("html_body")?,
            link: r.try_get("link")?,
            created_at: r.try_get("created_at")?,
        },
        state: MailState::parse(&state).ok_or_else(|| bad("state"))?,
        attempts: attempts.max(0) as u32,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_error: r.try_get("last_error")?,
        sent_at: r.try_get("sent_at")?,
    })
}

pub(crate) async fn enqueue(
    c: &mut PgConnection,
    tk: i64,
    m: &OutgoingMail,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (id, tenant_key, user_id, kind, recipient, subject, text_body, html_body, link, state, \
         attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', 0, $10, $10)",
    )
    .bind(m.id.uuid())
    .bind(tk)
    .bind(m.user_id.map(Id::uuid))
    .bind(m.kind.as_str())
    .bind(&m.recipient)
    .bind(&m.subject)
    .bind(&m.text)
    .bind(&m.html)
    .bind(&m.link)
    .bind(m.created_at)
    .execute(&mut *c)
    .await?;
    // Each mail is delivered by a job of its own, queued with it.
    let job = NewJob::new(
        JobKind::MailDelivery,
        Some(m.tenant_id),
        json!({ "mail_id": m.id }),
        m.created_at,
    );
    crate::jobs::queue::insert(c, Some(tk), &job, None).await?;
    Ok(())
}

/// Stops a user's queued mails (of one kind, or all) from going out.
pub(crate) async fn cancel_queued(
    c: &mut PgConnection,
    user_ids: &[UserId],
    kind: Option<LinkKind>,
    why: &str,
) -> Result<(), sqlx::Error> {
    let kinds: Vec<&str> = match kind {
        Some(LinkKind::Invitation) => vec!["invitation"],
        Some(LinkKind::PasswordReset) => vec!["password_reset"],
        None => vec!["invitation", "password_reset"],
    };
    sqlx::query(
        "UPDATE outbox SET state = 'cancelled', last_error = $3, next_attempt_at = NULL, link = NULL \
         WHERE user_id = ANY($1) AND kind = ANY($2) AND state = 'queued'",
    )
    .bind(user_ids.iter().map(|u| u.uuid()).collect::<Vec<_>>())
    .bind(kinds)
    .bind(why)
    .execute(c)
    .await?;
    Ok(())
}

fn push_filter(q: &mut QueryBuilder<sqlx::Postgres>, tk: i64, state: Option<MailState>) {
    q.push(" WHERE o.tenant_key = ").push_bind(tk);
    if let Some(s) = state {
        q.push(" AND o.state = ").push_bind(s.as_str());
    }
}

pub(crate) async fn list(
    pool: &PgPool,
    tk: i64,
    query: &OutboxQuery,
) -> Result<Page<OutboxEntry>, StoreError> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
        .map_err(unavailable)?;
    let mut count = QueryBuilder::new("SELECT COUNT(*) FROM outbox o");
    push_filter(&mut count, tk, query.state);
    let total: i64 = count
        .build_query_scalar()
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable)?;
    let key = |k: &str| Uuid::parse_str(k).unwrap_or_default();
    let read = query.cursor.newest_first();
    let mut page = QueryBuilder::new(concat!(
        "SELECT ",
        outbox_columns!(),
        " FROM outbox o JOIN tenants t ON t.key = o.tenant_key"
    ));
    push_filter(&mut page, tk, query.state);
    if let Some((op, k)) = read.bound {
        page.push(format!(" AND o.id {op} ")).push_bind(key(k));
    }
    page.push(if read.descending {
        " ORDER BY o.id DESC"
    } else {
        " ORDER BY o.id ASC"
    });
    page.push(" LIMIT ").push_bind(i64::from(query.limit) + 1);
    let rows = page
        .build()
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    let items = rows
        .iter()
        .map(entry)
        .collect::<Result<Vec<_>, _>>()
        .map_err(unavailable)?;
    Ok(Page::from_window(
        items,
        query.limit as usize,
        total as u64,
        &query.cursor,
        |e| e.mail.id.to_string(),
    ))
}

pub(crate) async fn get(pool: &PgPool, id: MailId) -> Result<Option<OutboxEntry>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        outbox_columns!(),
        " FROM outbox o JOIN tenants t ON t.key = o.tenant_key WHERE o.id = $1"
    ))
    .bind(id.uuid())
    .fetch_optional(pool)
    .await
    .map_err(unavailable)?;
    row.as_ref().map(entry).transpose().map_err(unavailable)
}

pub(crate) async fn finish(
    pool: &PgPool,
    id: MailId,
    outcome: MailOutcome,
    draft: AuditDraft,
) -> Result<(), Error> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
        .await
        .db()?;
    match &outcome {
        MailOutcome::Sent { at } => {
            let (link, text, html): (Option<String>, String, String) = sqlx::query_as(
                "SELECT link, text_body, html_body FROM outbox WHERE id = $1 FOR UPDATE",
            )
            .bind(id.uuid())
            .fetch_one(&mut *tx)
            .await
            .db()?;
            let (text, html) = match &link {
                Some(l) => (
                    text.replace(l.as_str(), LINK_REMOVED),
                    html.replace(&escape_html(l), LINK_REMOVED),
                ),
                None => (text, html),
            };
            sqlx::query(
                "UPDATE outbox SET state = 'sent', sent_at = $2, attempts = attempts + 1, link = NULL, text_body = $3, \
                 html_body = $4, lease_until = NULL, next_attempt_at = NULL, last_error = NULL WHERE id = $1",
            )
            .bind(id.uuid())
            .bind(*at)
            .bind(text)
            .bind(html)
            .execute(&mut *tx)
            .await
            .db()?;
        }
        MailOutcome::Retry { error, at } => {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, lease_until = NULL WHERE id = $1",
            )
            .bind(id.uuid())
            .bind(error)
            .bind(*at)
            .execute(&mut *tx)
            .await
            .db()?;
        }
        MailOutcome::Failed { error } => {
            sqlx::query(
                "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $2, next_attempt_at = NULL, \
                 lease_until = NULL, link = NULL WHERE id = $1",
            )
            .bind(id.uuid())
            .bind(error)
            .execute(&mut *tx)
            .await
            .db()?;
        }
        MailOutcome::Cancelled { reason } => {
            sqlx::query(
                "UPDATE outbox SET state = 'cancelled', last_error = $2, next_attempt_at = NULL, \
                 lease_until = NULL, link = NULL WHERE id = $1 AND state = 'queued'",
            )
            .bind(id.uuid())
            .bind(reason)
            .execute(&mut *tx)
            .await
            .db()?;
        }
    }
    audit::append(&mut tx, draft).await.db()?;
    tx.commit().await.db()?;
    Ok(())
}
