//! Admin sessions: `admin_sessions`, one row a login to the admin side,
//! found by the hash of its token. The rows go with their user (foreign
//! key) and with the user's other sessions (`sessions::session::end_all`).

use crate::SqliteStore;
use crate::conn::{DbExt, DbResult, audited, uuid};
use crate::users::rows::user_key;
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;
use usher_core::SessionId;
use usher_core::admin_session::AdminSession;
use usher_core::audit::AuditDraft;
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::{Error, StoreError};
use usher_core::store::AdminStore;
use usher_core::token::SecretHash;

fn insert(c: &Connection, tk: i64, s: &AdminSession, hash: &SecretHash) -> Result<(), Error> {
    let key = user_key(c, tk, s.user_id)?;
    c.prepare_cached(
        "INSERT INTO admin_sessions (hash, id, tenant_key, user_key, created_at, last_seen_at, \
         expires_at, ip, user_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .db()?
    .execute(params![
        hash.0.as_slice(),
        s.id.as_bytes().as_slice(),
        tk,
        key,
        to_micros(s.created_at),
        to_micros(s.last_seen_at),
        to_micros(s.expires_at),
        s.ip,
        s.user_agent,
    ])
    .db()?;
    Ok(())
}

fn find(c: &Connection, hash: &SecretHash) -> DbResult<Option<AdminSession>> {
    c.prepare_cached(
        "SELECT a.id, t.id, u.id, a.created_at, a.last_seen_at, a.expires_at, a.ip, a.user_agent \
         FROM admin_sessions a JOIN users u ON u.key = a.user_key \
         JOIN tenants t ON t.key = a.tenant_key WHERE a.hash = ?1",
    )?
    .query_row([hash.0.as_slice()], |r| {
        Ok(AdminSession {
            id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
            tenant_id: uuid(&r.get::<_, Vec<u8>>(1)?)?,
            user_id: uuid(&r.get::<_, Vec<u8>>(2)?)?,
            created_at: from_micros(r.get(3)?),
            last_seen_at: from_micros(r.get(4)?),
            expires_at: from_micros(r.get(5)?),
            ip: r.get(6)?,
            user_agent: r.get(7)?,
        })
    })
    .optional()
}

#[async_trait]
impl AdminStore for SqliteStore {
    async fn open_admin_session(
        &self,
        session: AdminSession,
        hash: SecretHash,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let tk = self.tenant_key(session.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| audited(c, audit, |c, _| insert(c, tk, &session, &hash)))
            .await
    }

    async fn admin_session(&self, hash: &SecretHash) -> Result<Option<AdminSession>, StoreError> {
        let hash = *hash;
        self.read(move |c| find(c, &hash)).await
    }

    async fn touch_admin_session(
        &self,
        id: SessionId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let at = to_micros(at);
        self.write(move |c| {
            c.prepare_cached("UPDATE admin_sessions SET last_seen_at = ?2 WHERE id = ?1")?
                .execute(params![id.as_bytes().as_slice(), at])?;
            Ok(())
        })
        .await
    }

    async fn end_admin_session(&self, id: SessionId, audit: AuditDraft) -> Result<bool, Error> {
        self.inner
            .writer
            .write(move |c| {
                audited(c, audit, |c, _| {
                    let n = c
                        .prepare_cached("DELETE FROM admin_sessions WHERE id = ?1")
                        .db()?
                        .execute([id.as_bytes().as_slice()])
                        .db()?;
                    Ok(n > 0)
                })
            })
            .await
    }
}
