//! Custom attribute definitions, and removing one with its values.

use crate::conn::{DbExt, DbResult, audited, constraint};
use crate::users::ops::load;
use crate::users::write::update_row;
use rusqlite::{Connection, params};
use serde_json::json;
use time::OffsetDateTime;
use usher_core::TenantId;
use usher_core::attribute::{AttributeDefinition, AttributeName};
use usher_core::audit::AuditDraft;
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::{Error, ErrorCode, Missing};

pub(crate) fn list_attributes(c: &Connection, tk: i64) -> DbResult<Vec<AttributeDefinition>> {
    c.prepare_cached(
        "SELECT name, label, max_length, regex, created_at FROM attribute_definitions WHERE tenant_key = ?1 ORDER BY name_key",
    )?
    .query_map([tk], |r| {
        Ok(AttributeDefinition {
            name: AttributeName::from_stored(r.get(0)?),
            label: r.get(1)?,
            max_length: r.get(2)?,
            regex: r.get(3)?,
            created_at: from_micros(r.get(4)?),
        })
    })?
    .collect()
}

pub(crate) fn create_attribute(
    c: &Connection,
    tk: i64,
    def: AttributeDefinition,
    audit: AuditDraft,
) -> Result<(), Error> {
    audited(c, audit, |c, _| {
        c.prepare_cached(
            "INSERT INTO attribute_definitions (tenant_key, name_key, name, label, max_length, regex, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .db()?
        .execute(params![
            tk,
            def.name.key(),
            def.name.as_str(),
            def.label,
            def.max_length,
            def.regex,
            to_micros(def.created_at)
        ])
        .map_err(constraint)?;
        Ok(())
    })
}

pub(crate) fn delete_attribute(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    name: &str,
    purge: bool,
    now: OffsetDateTime,
    audit: AuditDraft,
) -> Result<u64, Error> {
    let key = name.to_ascii_lowercase();
    audited(c, audit, |c, draft| {
        let exists = c
            .prepare_cached(
                "SELECT 1 FROM attribute_definitions WHERE tenant_key = ?1 AND name_key = ?2",
            )
            .db()?
            .exists(params![tk, key])
            .db()?;
        if !exists {
            return Err(Error::NotFound(Missing::Attribute));
        }
        let holders: Vec<i64> = c
            .prepare_cached(
                "SELECT user_key FROM user_attribute_index WHERE tenant_key = ?1 AND name_key = ?2",
            )
            .db()?
            .query_map(params![tk, key], |r| r.get(0))
            .db()?
            .collect::<DbResult<_>>()
            .db()?;
        if !holders.is_empty() && !purge {
            return Err(Error::conflict(
                ErrorCode::AttributeInUse,
                format!(
                    "{} users hold a value of this attribute; delete with purge=true to remove the values too",
                    holders.len()
                ),
            ));
        }
        for user_key in &holders {
            let id: Vec<u8> = c
                .prepare_cached("SELECT id FROM users WHERE key = ?1")
                .db()?
                .query_row([user_key], |r| r.get(0))
                .db()?;
            let before = load(c, tk, tenant_id, crate::conn::uuid(&id).db()?, None)?;
            let mut user = before.user.clone();
            user.attributes.retain(|k, _| k.to_ascii_lowercase() != key);
            user.version += 1;
            user.updated_at = now;
            // The definition goes below; the row's other names stay valid.
            update_row(c, tk, &before, &user)?;
        }
        c.prepare_cached(
            "DELETE FROM attribute_definitions WHERE tenant_key = ?1 AND name_key = ?2",
        )
        .db()?
        .execute(params![tk, key])
        .db()?;
        draft.details["purged_values"] = json!(holders.len());
        Ok(holders.len() as u64)
    })
}
