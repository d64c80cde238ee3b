//! What a change to a user entails besides its own fields: links, mails,
//! sessions and password hashes, written in the same transaction.

use sqlx::PgConnection;
use time::OffsetDateTime;
use usher_core::UserId;
use usher_core::audit::AuditDraft;
use usher_core::store::{Effects, NewLink, RoleChange};
use uuid::Uuid;

/// Stores a link, replacing any older link of its kind.
pub(crate) async fn insert_link(
    c: &mut PgConnection,
    tk: i64,
    user_key: i64,
    link: &NewLink,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM links WHERE user_key = $1 AND kind = $2")
        .bind(user_key)
        .bind(link.kind.as_str())
        .execute(&mut *c)
        .await?;
    sqlx::query(
        "INSERT INTO links (id, tenant_key, user_key, kind, hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(tk)
    .bind(user_key)
    .bind(link.kind.as_str())
    .bind(&link.hash.0[..])
    .bind(now)
    .bind(link.expires_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Ends everything that grants access: links, the mails carrying them, and
/// (once they exist) sessions and refresh tokens.
pub(crate) async fn revoke_access(
    c: &mut PgConnection,
    user_key: i64,
    user_id: UserId,
) -> Result<(), sqlx::Error> {
    revoke_access_of(c, &[user_key], &[user_id]).await
}

/// [`revoke_access`] for many users (their keys and ids) at once.
pub(crate) async fn revoke_access_of(
    c: &mut PgConnection,
    user_keys: &[i64],
    user_ids: &[UserId],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM links WHERE user_key = ANY($1)")
        .bind(user_keys)
        .execute(&mut *c)
        .await?;
    crate::sessions::session::end_all_of(c, user_keys).await?;
    crate::links::outbox::cancel_queued(
        c,
        user_ids,
        None,
        usher_core::mail::cancelled::ACCESS_REVOKED,
    )
    .await
}

/// Carries out what the domain asked for besides the user's own fields,
/// noting a password write in the audit event.
pub(crate) async fn apply_effects(
    c: &mut PgConnection,
    tk: i64,
    user_key: i64,
    user_id: UserId,
    effects: &Effects,
    now: OffsetDateTime,
    draft: &mut AuditDraft,
) -> Result<(), sqlx::Error> {
    if effects.revoke_access {
        revoke_access(c, user_key, user_id).await?;
    } else if effects.end_sessions {
        crate::sessions::session::end_all(c, user_key).await?;
    } else if let Some(keep) = effects.end_sessions_but {
        crate::sessions::session::end_others(c, user_key, keep).await?;
    }
    if effects.revoke_links && !effects.revoke_access {
        sqlx::query("DELETE FROM links WHERE user_key = $1")
            .bind(user_key)
            .execute(&mut *c)
            .await?;
        crate::links::outbox::cancel_queued(
            c,
            &[user_id],
            None,
            usher_core::mail::cancelled::EMAIL_CHANGED,
        )
        .await?;
    }
    if let Some(link) = &effects.new_link {
        // The older link dies with its mail, if that is still waiting.
        crate::links::outbox::cancel_queued(
            c,
            &[user_id],
            Some(link.kind),
            usher_core::mail::cancelled::NEWER_LINK,
        )
        .await?;
        insert_link(c, tk, user_key, link, now).await?;
    }
    if let Some(mail) = &effects.mail {
        crate::links::outbox::enqueue(c, tk, mail).await?;
    }
    if let Some(session) = &effects.new_session {
        crate::sessions::session::insert(c, tk, user_key, session).await?;
    }
    if let Some(write) = &effects.password {
        let outcome = crate::links::link::write_password(c, user_key, write, now).await?;
        draft.details["password_hash"] = serde_json::json!(outcome);
    }
    if !effects.roles.is_empty() {
        let mut made = Vec::with_capacity(effects.roles.changes.len());
        for change in &effects.roles.changes {
            made.push(change_role(c, tk, user_key, change, now).await? > 0);
        }
        // Each change's own event commits with the write, before its event.
        let events = effects.roles.record(&made, draft);
        crate::audit::append_all(c, events).await?;
    }
    Ok(())
}

/// Gives or takes one of the tenant's own roles (never a built-in admin
/// role); answers how many assignments changed (0: already so, or the role
/// is gone).
async fn change_role(
    c: &mut PgConnection,
    tk: i64,
    user_key: i64,
    change: &RoleChange,
    now: OffsetDateTime,
) -> Result<u64, sqlx::Error> {
    let done = match change {
        RoleChange::Assign(name) => {
            sqlx::query(
                "INSERT INTO user_roles (tenant_key, role_key, user_key, assigned_at) \
                 SELECT tenant_key, name_key, $3, $4 FROM roles \
                 WHERE tenant_key = $1 AND name_key = $2 AND NOT built_in \
                 ON CONFLICT DO NOTHING",
            )
            .bind(tk)
            .bind(name.key())
            .bind(user_key)
            .bind(now)
            .execute(c)
            .await?
        }
        RoleChange::Remove(name) => {
            sqlx::query(
                "DELETE FROM user_roles WHERE user_key = $1 AND role_key = $2 AND role_key IN \
                 (SELECT name_key FROM roles WHERE tenant_key = $3 AND NOT built_in)",
            )
            .bind(user_key)
            .bind(name.key())
            .bind(tk)
            .execute(c)
            .await?
        }
    };
    Ok(done.rows_affected())
}
