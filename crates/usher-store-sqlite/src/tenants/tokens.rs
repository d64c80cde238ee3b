//! API tokens: stored by the hash of their secret.

use crate::conn::{DbExt, DbResult, audited, constraint, uuid};
use crate::role_scopes::{scope_at, scope_columns};
use crate::tenants::key_of;
use crate::users::rows::user_key;
use rusqlite::{Connection, OptionalExtension, params};
use usher_core::access::AdminRole;
use usher_core::audit::AuditDraft;
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::{Error, ErrorCode, Missing};
use usher_core::token::{ApiToken, SecretHash, TokenScope};
use usher_core::{TenantId, TokenId};

fn tenant_key_or_null(c: &Connection, id: Option<TenantId>) -> Result<Option<i64>, Error> {
    match id {
        None => Ok(None),
        Some(id) => key_of(c, id)
            .db()?
            .map(Some)
            .ok_or(Error::NotFound(Missing::Tenant)),
    }
}

fn insert_token(c: &Connection, token: &ApiToken) -> Result<(), Error> {
    let tk = tenant_key_or_null(c, token.tenant_id)?;
    let owner = match (tk, token.owner_id) {
        (Some(tk), Some(owner)) => Some(user_key(c, tk, owner)?),
        _ => None,
    };
    let (group, attribute, value) = match (tk, token.admin_scope.as_ref()) {
        (Some(tk), scope) => scope_columns(c, tk, scope)?,
        (None, None) => (None, None, None),
        // A scope is part of one tenant's directory.
        (None, Some(_)) => {
            return Err(Error::bad_request(
                ErrorCode::TenantRequired,
                "a scoped token belongs to one tenant",
            ));
        }
    };
    c.prepare_cached(
        "INSERT INTO api_tokens (id, tenant_key, scope, name, hash, created_at, expires_at, created_by, role, owner_key, \
           scope_group_key, scope_attribute, scope_value) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )
    .db()?
    .execute(params![
        token.id.as_bytes().as_slice(),
        tk,
        token.scope.as_str(),
        token.name,
        token.hash.0.as_slice(),
        to_micros(token.created_at),
        token.expires_at.map(to_micros),
        token.created_by,
        token.admin_role.map(AdminRole::as_str),
        owner,
        group,
        attribute,
        value,
    ])
        .map_err(constraint)?;
    Ok(())
}

pub(crate) fn create_token(
    c: &Connection,
    token: ApiToken,
    audit: AuditDraft,
) -> Result<(), Error> {
    audited(c, audit, |c, _| insert_token(c, &token))
}

pub(crate) fn replace_named_super_token(
    c: &Connection,
    token: ApiToken,
    audit: AuditDraft,
) -> Result<(), Error> {
    audited(c, audit, |c, draft| {
        let same: Option<Vec<u8>> = c
            .prepare_cached(
                "SELECT id FROM api_tokens WHERE tenant_key IS NULL AND name = ?1 AND hash = ?2",
            )
            .db()?
            .query_row(params![token.name, token.hash.0.as_slice()], |r| r.get(0))
            .optional()
            .db()?;
        if same.is_some() {
            draft.details = serde_json::json!({"changed": false});
            return Ok(());
        }
        // Refuse a secret another token uses before changing anything.
        let taken = c
            .prepare_cached("SELECT 1 FROM api_tokens WHERE hash = ?1")
            .db()?
            .exists([token.hash.0.as_slice()])
            .db()?;
        if taken {
            return Err(Error::Conflict {
                code: ErrorCode::TokenExists,
                field: None,
                message: "a token with this secret already exists".into(),
            });
        }
        c.prepare_cached("DELETE FROM api_tokens WHERE tenant_key IS NULL AND name = ?1")
            .db()?
            .execute([&token.name])
            .db()?;
        draft.details = serde_json::json!({"changed": true});
        insert_token(c, &token)
    })
}

/// The columns [`read_token`] reads, in its order, of the token `k`, its
/// tenant `t`, owner `o` and scope's group `g` ([`TOKEN_JOINS`]).
const TOKEN_COLUMNS: &str = "k.id, t.id, k.scope, k.name, k.hash, k.created_at, k.expires_at, k.created_by, k.last_used_at, \
     k.role, o.id, g.id, g.display_name, k.scope_attribute, k.scope_value";

/// The tables [`TOKEN_COLUMNS`] reads besides the token's own.
const TOKEN_JOINS: &str = "LEFT JOIN tenants t ON t.key = k.tenant_key LEFT JOIN users o ON o.key = k.owner_key \
     LEFT JOIN groups g ON g.key = k.scope_group_key";

fn read_token(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    let tenant: Option<Vec<u8>> = r.get(1)?;
    let scope: String = r.get(2)?;
    let hash: Vec<u8> = r.get(4)?;
    Ok(ApiToken {
        id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
        tenant_id: tenant.as_deref().map(uuid).transpose()?,
        scope: TokenScope::parse(&scope).ok_or(rusqlite::Error::InvalidQuery)?,
        admin_role: match r.get::<_, Option<String>>(9)? {
            None => None,
            Some(role) => Some(AdminRole::parse(&role).ok_or(rusqlite::Error::InvalidQuery)?),
        },
        name: r.get(3)?,
        hash: SecretHash::from_slice(&hash).ok_or(rusqlite::Error::InvalidQuery)?,
        created_at: from_micros(r.get(5)?),
        expires_at: r.get::<_, Option<i64>>(6)?.map(from_micros),
        created_by: r.get(7)?,
        last_used_at: r.get::<_, Option<i64>>(8)?.map(from_micros),
        owner_id: r
            .get::<_, Option<Vec<u8>>>(10)?
            .as_deref()
            .map(uuid)
            .transpose()?,
        admin_scope: scope_at(r, 11)?,
    })
}

pub(crate) fn token_by_hash(c: &Connection, hash: &SecretHash) -> DbResult<Option<ApiToken>> {
    c.prepare_cached(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens k {TOKEN_JOINS} WHERE k.hash = ?1"
    ))?
    .query_row([hash.0.as_slice()], read_token)
    .optional()
}

pub(crate) fn list_tokens(c: &Connection, tenant: Option<TenantId>) -> DbResult<Vec<ApiToken>> {
    let tk = match tenant {
        None => None,
        Some(id) => match key_of(c, id)? {
            Some(k) => Some(k),
            None => return Ok(Vec::new()),
        },
    };
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens k {TOKEN_JOINS} \
         WHERE k.tenant_key IS ?1 ORDER BY k.created_at, k.id"
    ))?;
    let rows = stmt.query_map([tk], read_token)?;
    rows.collect()
}

pub(crate) fn delete_token(
    c: &Connection,
    tenant: Option<TenantId>,
    id: TokenId,
    audit: AuditDraft,
) -> Result<(), Error> {
    audited(c, audit, |c, draft| {
        let tk = match tenant {
            None => None,
            Some(t) => Some(key_of(c, t).db()?.ok_or(Error::NotFound(Missing::Tenant))?),
        };
        let name: Option<String> = c
            .prepare_cached("SELECT name FROM api_tokens WHERE id = ?1 AND tenant_key IS ?2")
            .db()?
            .query_row(params![id.as_bytes().as_slice(), tk], |r| r.get(0))
            .optional()
            .db()?;
        let name = name.ok_or(Error::NotFound(Missing::Token))?;
        c.prepare_cached("DELETE FROM api_tokens WHERE id = ?1")
            .db()?
            .execute([id.as_bytes().as_slice()])
            .db()?;
        draft.details = serde_json::json!({"name": name});
        Ok(())
    })
}

pub(crate) fn delete_named_super_token(
    c: &Connection,
    name: &str,
    audit: AuditDraft,
) -> Result<bool, Error> {
    let id: Option<Vec<u8>> = c
        .prepare_cached("SELECT id FROM api_tokens WHERE tenant_key IS NULL AND name = ?1")
        .db()?
        .query_row([name], |r| r.get(0))
        .optional()
        .db()?;
    let Some(id) = id else { return Ok(false) };
    let id: TokenId = uuid(&id).db()?;
    audited(c, audit.target("token", id), |c, _| {
        c.prepare_cached("DELETE FROM api_tokens WHERE tenant_key IS NULL AND name = ?1")
            .db()?
            .execute([name])
            .db()?;
        Ok(true)
    })
}

pub(crate) fn touch_token(c: &Connection, id: TokenId, at: i64) -> Result<(), Error> {
    c.prepare_cached("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1")
        .db()?
        .execute(params![id.as_bytes().as_slice(), at])
        .db()?;
    Ok(())
}
