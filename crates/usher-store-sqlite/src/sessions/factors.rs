//! Second factors and the challenges of logins waiting for one.

use crate::conn::{DbExt, DbResult, audited, uuid};
use crate::users::rows::user_key;
use rusqlite::{Connection, OptionalExtension, params};
use usher_core::audit::AuditDraft;
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::{Error, Missing};
use usher_core::factor::{
    Challenge, Factor, FactorKind, FactorSecret, NewFactor, last_second_factor,
};
use usher_core::token::SecretHash;
use usher_core::{FactorId, UserId};

/// Keeps `users.mfa_enrolled` true exactly while a confirmed TOTP factor
/// exists (a derived flag: no new version), and the list's aggregates of
/// enrolled users with it.
pub(super) fn sync_enrolled(c: &Connection, tk: i64, user_key: i64) -> DbResult<()> {
    let enrolled: bool = c
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM factors WHERE user_key = ?1 AND kind = 'totp' AND confirmed = 1)",
        )?
        .query_row([user_key], |r| r.get(0))?;
    crate::users::write::set_mfa_enrolled(c, tk, user_key, enrolled)
}

pub(crate) fn list(c: &Connection, tk: i64, user_id: UserId) -> DbResult<Vec<FactorSecret>> {
    c.prepare_cached(
        "SELECT f.id, f.kind, f.label, f.created_at, f.last_used_at, f.confirmed, f.secret, f.last_step, \
         (SELECT COUNT(*) FROM recovery_codes r WHERE r.factor_id = f.id AND r.used_at IS NULL) \
         FROM factors f JOIN users u ON u.key = f.user_key \
         WHERE u.id = ?1 AND f.tenant_key = ?2 ORDER BY f.created_at, f.id",
    )?
    .query_map(params![user_id.as_bytes().as_slice(), tk], |r| {
        let kind: String = r.get(1)?;
        let kind = FactorKind::parse(&kind).unwrap_or(FactorKind::Totp);
        let remaining: i64 = r.get(8)?;
        Ok(FactorSecret {
            factor: Factor {
                id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
                user_id,
                kind,
                label: r.get(2)?,
                created_at: from_micros(r.get(3)?),
                last_used_at: r.get::<_, Option<i64>>(4)?.map(from_micros),
                confirmed: r.get(5)?,
                remaining: (kind == FactorKind::RecoveryCodes).then_some(remaining as u32),
            },
            secret: r.get::<_, Option<Vec<u8>>>(6)?.unwrap_or_default(),
            last_step: r.get(7)?,
        })
    })?
    .collect()
}

pub(crate) fn add(
    c: &Connection,
    tk: i64,
    user_id: UserId,
    new: NewFactor,
    audit: AuditDraft,
) -> Result<(), Error> {
    audited(c, audit, |c, draft| {
        let key = user_key(c, tk, user_id)?;
        let f = &new.factor;
        let replaced = match f.kind {
            FactorKind::Totp => {
                "DELETE FROM factors WHERE user_key = ?1 AND kind = 'totp' AND confirmed = 0"
            }
            FactorKind::RecoveryCodes => {
                "DELETE FROM factors WHERE user_key = ?1 AND kind = 'recovery_codes'"
            }
        };
        c.prepare_cached(replaced).db()?.execute([key]).db()?;
        c.prepare_cached(
            "INSERT INTO factors (id, tenant_key, user_key, kind, label, secret, confirmed, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .db()?
        .execute(params![
            f.id.as_bytes().as_slice(),
            tk,
            key,
            f.kind.as_str(),
            f.label,
            (f.kind == FactorKind::Totp).then_some(new.secret.as_slice()),
            f.confirmed,
            to_micros(f.created_at),
        ])
        .db()?;
        let mut insert = c
            .prepare_cached("INSERT INTO recovery_codes (factor_id, hash) VALUES (?1, ?2)")
            .db()?;
        for h in &new.codes {
            insert
                .execute(params![f.id.as_bytes().as_slice(), h.0.as_slice()])
                .db()?;
        }
        sync_enrolled(c, tk, key).db()?;
        draft.details["factor_id"] = f.id.to_string().into();
        draft.details["kind"] = f.kind.as_str().into();
        Ok(())
    })
}

pub(crate) fn confirm(
    c: &Connection,
    tk: i64,
    user_id: UserId,
    factor_id: FactorId,
    step: i64,
    audit: AuditDraft,
) -> Result<(), Error> {
    audited(c, audit, |c, draft| {
        let key = user_key(c, tk, user_id)?;
        let n = c
            .prepare_cached(
                "UPDATE factors SET confirmed = 1, last_step = ?3 \
                 WHERE id = ?1 AND user_key = ?2 AND kind = 'totp' AND confirmed = 0",
            )
            .db()?
            .execute(params![factor_id.as_bytes().as_slice(), key, step])
            .db()?;
        if n == 0 {
            return Err(Error::NotFound(Missing::Factor));
        }
        sync_enrolled(c, tk, key).db()?;
        super::mfa_reset::settle(c, key).db()?;
        draft.details["factor_id"] = factor_id.to_string().into();
        Ok(())
    })
}

pub(crate) fn use_step(c: &Connection, factor_id: FactorId, step: i64, now: i64) -> DbResult<bool> {
    let n = c
        .prepare_cached(
            "UPDATE factors SET last_step = ?2, last_used_at = ?3 \
             WHERE id = ?1 AND confirmed = 1 AND (last_step IS NULL OR last_step < ?2)",
        )?
        .execute(params![factor_id.as_bytes().as_slice(), step, now])?;
    Ok(n == 1)
}

pub(crate) fn use_code(
    c: &Connection,
    tk: i64,
    user_id: UserId,
    hash: &SecretHash,
    now: i64,
) -> DbResult<bool> {
    // The guard on used_at makes the second use of a code change nothing.
    let factor: Option<Vec<u8>> = c
        .prepare_cached(
            "UPDATE recovery_codes SET used_at = ?4 WHERE hash = ?1 AND used_at IS NULL AND factor_id IN \
             (SELECT f.id FROM factors f JOIN users u ON u.key = f.user_key WHERE u.id = ?2 AND f.tenant_key = ?3) \
             RETURNING factor_id",
        )?
        .query_row(
            params![hash.0.as_slice(), user_id.as_bytes().as_slice(), tk, now],
            |r| r.get(0),
        )
        .optional()?;
    let Some(factor) = factor else {
        return Ok(false);
    };
    c.prepare_cached("UPDATE factors SET last_used_at = ?2 WHERE id = ?1")?
        .execute(params![factor, now])?;
    Ok(true)
}

pub(crate) fn delete(
    c: &Connection,
    tk: i64,
    user_id: UserId,
    factor_id: Option<FactorId>,
    audit: AuditDraft,
) -> Result<(), Error> {
    audited(c, audit, |c, draft| {
        let key = user_key(c, tk, user_id)?;
        let Some(id) = factor_id else {
            let n = c
                .prepare_cached(
                    "DELETE FROM factors WHERE user_key = ?1 AND kind = 'recovery_codes'",
                )
                .db()?
                .execute([key])
                .db()?;
            if n == 0 {
                return Err(Error::NotFound(Missing::Factor));
            }
            return Ok(());
        };
        let found: Option<(String, bool)> = c
            .prepare_cached("SELECT kind, confirmed FROM factors WHERE id = ?1 AND user_key = ?2")
            .db()?
            .query_row(params![id.as_bytes().as_slice(), key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .db()?;
        let Some((kind, confirmed)) = found else {
            return Err(Error::NotFound(Missing::Factor));
        };
        if kind == "totp" && confirmed {
            let others: i64 = c
                .prepare_cached(
                    "SELECT COUNT(*) FROM factors WHERE user_key = ?1 AND kind = 'totp' AND confirmed = 1 AND id <> ?2",
                )
                .db()?
                .query_row(params![key, id.as_bytes().as_slice()], |r| r.get(0))
                .db()?;
            if others == 0 {
                return Err(last_second_factor());
            }
        }
        c.prepare_cached("DELETE FROM factors WHERE id = ?1")
            .db()?
            .execute([id.as_bytes().as_slice()])
            .db()?;
        sync_enrolled(c, tk, key).db()?;
        draft.details["factor_id"] = id.to_string().into();
        Ok(())
    })
}

pub(crate) fn create_challenge(
    c: &Connection,
    tk: i64,
    hash: &SecretHash,
    ch: &Challenge,
) -> Result<(), Error> {
    let key = user_key(c, tk, ch.user_id)?;
    c.prepare_cached(
        "INSERT INTO mfa_challenges (hash, tenant_key, user_key, expires_at, attempts, user_agent, admin) \
         VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)",
    )
    .db()?
    .execute(params![
        hash.0.as_slice(),
        tk,
        key,
        to_micros(ch.expires_at),
        ch.user_agent,
        ch.admin
    ])
    .db()?;
    Ok(())
}

pub(crate) fn find_challenge(c: &Connection, hash: &SecretHash) -> DbResult<Option<Challenge>> {
    c.prepare_cached(
        "SELECT t.id, u.id, m.expires_at, m.attempts, m.user_agent, m.admin FROM mfa_challenges m \
         JOIN users u ON u.key = m.user_key JOIN tenants t ON t.key = m.tenant_key WHERE m.hash = ?1",
    )?
    .query_row([hash.0.as_slice()], |r| {
        Ok(Challenge {
            tenant_id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
            user_id: uuid(&r.get::<_, Vec<u8>>(1)?)?,
            expires_at: from_micros(r.get(2)?),
            attempts: r.get(3)?,
            user_agent: r.get(4)?,
            admin: r.get(5)?,
        })
    })
    .optional()
}

pub(crate) fn challenge_failed(c: &Connection, hash: &SecretHash) -> DbResult<u32> {
    c.prepare_cached(
        "UPDATE mfa_challenges SET attempts = attempts + 1 WHERE hash = ?1 RETURNING attempts",
    )?
    .query_row([hash.0.as_slice()], |r| r.get(0))
    .optional()
    .map(|a| a.unwrap_or(u32::MAX))
}

pub(crate) fn end_challenge(c: &Connection, hash: &SecretHash) -> DbResult<bool> {
    let n = c
        .prepare_cached("DELETE FROM mfa_challenges WHERE hash = ?1")?
        .execute([hash.0.as_slice()])?;
    Ok(n == 1)
}
