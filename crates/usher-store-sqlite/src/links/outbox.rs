//! The outbox: mails written with the action that causes them, claimed by
//! the deliverer with a lease, and kept (without their links) once sent.

use crate::conn::{DbExt, DbResult, uuid};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use serde_json::json;
use usher_core::audit::AuditDraft;
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::Error;
use usher_core::job::{JobKind, NewJob};
use usher_core::listing::Page;
use usher_core::mail::{MailKind, MailState, OutboxEntry, OutgoingMail};
use usher_core::store::{LinkKind, MailOutcome, OutboxQuery};
use usher_core::{MailId, UserId};
use uuid::Uuid;

const COLUMNS: &str = "o.id, t.id, o.user_id, o.kind, o.recipient, o.subject, o.text_body, o.html_body, o.link, \
     o.state, o.attempts, o.next_attempt_at, o.last_error, o.created_at, o.sent_at";

/// What replaces a delivered link in the stored mail.
pub(crate) const LINK_REMOVED: &str = "[link removed after delivery]";

fn entry(r: &Row<'_>) -> DbResult<OutboxEntry> {
    let bad = || rusqlite::Error::InvalidQuery;
    let kind: String = r.get(3)?;
    let state: String = r.get(9)?;
    let user: Option<Vec<u8>> = r.get(2)?;
    Ok(OutboxEntry {
        mail: OutgoingMail {
            id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
            tenant_id: uuid(&r.get::<_, Vec<u8>>(1)?)?,
            user_id: user.as_deref().map(uuid).transpose()?,
            kind: MailKind::parse(&kind).ok_or_else(bad)?,
            recipient: r.get(4)?,
            subject: r.get(5)?,
            text: r.get(6)?,
            html: r.get(7)?,
            link: r.get(8)?,
            created_at: from_micros(r.get(13)?),
        },
        state: MailState::parse(&state).ok_or_else(bad)?,
        attempts: r.get(10)?,
        next_attempt_at: r.get::<_, Option<i64>>(11)?.map(from_micros),
        last_error: r.get(12)?,
        sent_at: r.get::<_, Option<i64>>(14)?.map(from_micros),
    })
}

pub(crate) fn enqueue(c: &Connection, tk: i64, m: &OutgoingMail) -> DbResult<()> {
    c.prepare_cached(
        "INSERT INTO outbox (id, tenant_key, user_id, kind, recipient, subject, text_body, html_body, link, state, \
         attempts, next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'queued', 0, ?10, ?10)",
    )?
    .execute(params![
        m.id.as_bytes().as_slice(),
        tk,
        m.user_id.map(|u| u.as_bytes().to_vec()),
        m.kind.as_str(),
        m.recipient,
        m.subject,
        m.text,
        m.html,
        m.link,
        to_micros(m.created_at),
    ])?;
    // Each mail is delivered by a job of its own, queued with it.
    let job = NewJob::new(
        JobKind::MailDelivery,
        Some(m.tenant_id),
        json!({ "mail_id": m.id }),
        m.created_at,
    );
    crate::jobs::queue::insert(c, Some(tk), &job, None)?;
    Ok(())
}

/// Stops a user's queued mails (of one kind, or all) from going out.
pub(crate) fn cancel_queued(
    c: &Connection,
    user_id: UserId,
    kind: Option<LinkKind>,
    why: &str,
) -> DbResult<()> {
    // Invitation and reset mails are the only ones with links; without a
    // kind, one statement cancels both.
    let kind = match kind {
        Some(LinkKind::Invitation) => Some("invitation"),
        Some(LinkKind::PasswordReset) => Some("password_reset"),
        None => None,
    };
    c.prepare_cached(
        "UPDATE outbox SET state = 'cancelled', last_error = ?3, next_attempt_at = NULL, link = NULL \
         WHERE user_id = ?1 AND kind IN ('invitation', 'password_reset') \
         AND (?2 IS NULL OR kind = ?2) AND state = 'queued'",
    )?
    .execute(params![user_id.as_bytes().as_slice(), kind, why])?;
    Ok(())
}

pub(crate) fn list(c: &Connection, tk: i64, q: &OutboxQuery) -> DbResult<Page<OutboxEntry>> {
    let mut filter = String::from("o.tenant_key = ?");
    let mut args = vec![Value::Integer(tk)];
    if let Some(s) = q.state {
        filter.push_str(" AND o.state = ?");
        args.push(Value::Text(s.as_str().to_owned()));
    }
    c.execute_batch("BEGIN")?;
    let total: i64 = c
        .prepare_cached(&format!("SELECT COUNT(*) FROM outbox o WHERE {filter}"))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    let key = |k: &str| {
        Value::Blob(
            Uuid::parse_str(k)
                .map(|u| u.as_bytes().to_vec())
                .unwrap_or_default(),
        )
    };
    let read = q.cursor.newest_first();
    let mut page_args = args.clone();
    let bound = read.bound.map_or(String::new(), |(op, k)| {
        page_args.push(key(k));
        format!(" AND o.id {op} ?")
    });
    page_args.push(Value::Integer(i64::from(q.limit) + 1));
    let sql = format!(
        "SELECT {COLUMNS} FROM outbox o JOIN tenants t ON t.key = o.tenant_key WHERE {filter}{bound} ORDER BY o.id {} LIMIT ?",
        if read.descending { "DESC" } else { "ASC" }
    );
    let items: Vec<OutboxEntry> = c
        .prepare_cached(&sql)?
        .query_map(params_from_iter(page_args.iter()), entry)?
        .collect::<DbResult<_>>()?;
    c.execute_batch("COMMIT")?;
    Ok(Page::from_window(
        items,
        q.limit as usize,
        total as u64,
        &q.cursor,
        |e| e.mail.id.to_string(),
    ))
}

pub(crate) fn get(c: &Connection, id: MailId) -> DbResult<Option<OutboxEntry>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbox o JOIN tenants t ON t.key = o.tenant_key WHERE o.id = ?1"
    ))?
    .query_row([id.as_bytes().as_slice()], entry)
    .optional()
}

pub(crate) fn finish(
    c: &Connection,
    id: MailId,
    outcome: MailOutcome,
    audit: AuditDraft,
) -> Result<(), Error> {
    let id_bytes = id.as_bytes().as_slice();
    match &outcome {
        MailOutcome::Sent { at } => {
            let (link, text, html): (Option<String>, String, String) = c
                .prepare_cached("SELECT link, text_body, html_body FROM outbox WHERE id = ?1")
                .db()?
                .query_row([id_bytes], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .db()?;
            let (text, html) = match &link {
                Some(l) => (
                    text.replace(l.as_str(), LINK_REMOVED),
                    html.replace(&usher_core::mail::escape_html(l), LINK_REMOVED),
                ),
                None => (text, html),
            };
            c.prepare_cached(
                "UPDATE outbox SET state = 'sent', sent_at = ?2, attempts = attempts + 1, link = NULL, \
                 text_body = ?3, html_body = ?4, lease_until = NULL, next_attempt_at = NULL, last_error = NULL WHERE id = ?1",
            )
            .db()?
            .execute(params![id_bytes, to_micros(*at), text, html])
            .db()?;
        }
        MailOutcome::Retry { error, at } => {
            c.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3, lease_until = NULL WHERE id = ?1",
            )
            .db()?
            .execute(params![id_bytes, error, to_micros(*at)])
            .db()?;
        }
        MailOutcome::Failed { error } => {
            c.prepare_cached(
                "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?2, next_attempt_at = NULL, \
                 lease_until = NULL, link = NULL WHERE id = ?1",
            )
            .db()?
            .execute(params![id_bytes, error])
            .db()?;
        }
        MailOutcome::Cancelled { reason } => {
            c.prepare_cached(
                "UPDATE outbox SET state = 'cancelled', last_error = ?2, next_attempt_at = NULL, \
                 lease_until = NULL, link = NULL WHERE id = ?1 AND state = 'queued'",
            )
            .db()?
            .execute(params![id_bytes, reason])
            .db()?;
        }
    }
    crate::audit::append(c, audit).db()?;
    Ok(())
}
