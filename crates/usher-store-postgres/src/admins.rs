//! Admin sessions: `admin_sessions`, one row a login to the admin side,
//! found by the hash of its token. Opening one locks the user's row, as
//! every change of the user does, so that it cannot outlive a delete or a
//! disable running at the same moment; the rows go with the user (foreign
//! key) and with the user's other sessions (`sessions::session::end_all`).

use crate::error::{DbExt, unavailable};
use crate::ids::id;
use crate::sessions::factors::lock_user;
use crate::write::Write;
use crate::{PostgresStore, detached};
use async_trait::async_trait;
use sqlx::{PgPool, Row};
use time::OffsetDateTime;
use usher_core::SessionId;
use usher_core::admin_session::AdminSession;
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, StoreError};
use usher_core::store::AdminStore;
use usher_core::token::SecretHash;

async fn open(
    pool: &PgPool,
    tk: i64,
    s: AdminSession,
    hash: SecretHash,
    audit: AuditDraft,
) -> Result<(), Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let key = lock_user(&mut w.tx, tk, s.user_id).await?;
        sqlx::query(
            "INSERT INTO admin_sessions (hash, id, tenant_key, user_key, created_at, \
             last_seen_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&hash.0[..])
        .bind(s.id.uuid())
        .bind(tk)
        .bind(key)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.expires_at)
        .bind(&s.ip)
        .bind(&s.user_agent)
        .execute(&mut *w.tx)
        .await
        .db()?;
        Ok(())
    }
    .await;
    w.finish(result).await
}

async fn end(pool: &PgPool, id: SessionId, audit: AuditDraft) -> Result<bool, Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = sqlx::query("DELETE FROM admin_sessions WHERE id = $1")
        .bind(id.uuid())
        .execute(&mut *w.tx)
        .await
        .db()
        .map(|r| r.rows_affected() > 0);
    w.finish(result).await
}

#[async_trait]
impl AdminStore for PostgresStore {
    async fn open_admin_session(
        &self,
        session: AdminSession,
        hash: SecretHash,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(session.tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { open(&pool, tk, session, hash, audit).await }).await
    }

    async fn admin_session(&self, hash: &SecretHash) -> Result<Option<AdminSession>, StoreError> {
        let row = sqlx::query(
            "SELECT a.id, t.id, u.id, a.created_at, a.last_seen_at, a.expires_at, a.ip, \
             a.user_agent FROM admin_sessions a JOIN users u ON u.key = a.user_key \
             JOIN tenants t ON t.key = a.tenant_key WHERE a.hash = $1",
        )
        .bind(&hash.0[..])
        .fetch_optional(self.pool())
        .await
        .map_err(unavailable)?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(AdminSession {
            id: id(&r, 0).map_err(unavailable)?,
            tenant_id: id(&r, 1).map_err(unavailable)?,
            user_id: id(&r, 2).map_err(unavailable)?,
            created_at: r.try_get(3).map_err(unavailable)?,
            last_seen_at: r.try_get(4).map_err(unavailable)?,
            expires_at: r.try_get(5).map_err(unavailable)?,
            ip: r.try_get(6).map_err(unavailable)?,
            user_agent: r.try_get(7).map_err(unavailable)?,
        }))
    }

    async fn touch_admin_session(
        &self,
        session_id: SessionId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE admin_sessions SET last_seen_at = $2 WHERE id = $1")
            .bind(session_id.uuid())
            .bind(at)
            .execute(self.pool())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn end_admin_session(&self, id: SessionId, audit: AuditDraft) -> Result<bool, Error> {
        let pool = self.pool().clone();
        detached(async move { end(&pool, id, audit).await }).await
    }
}
