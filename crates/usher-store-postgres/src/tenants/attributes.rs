//! Custom attribute definitions, and removing one with its values.

use crate::error::{DbExt, constraint, unavailable};
use crate::users::counts::Counts;
use crate::users::rows::{stored_user, user_columns};
use crate::users::write;
use crate::write::Write;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use usher_core::attribute::{AttributeDefinition, AttributeName};
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, ErrorCode, Missing};
use usher_core::{StoreError, TenantId};

pub(crate) async fn list_attributes(
    pool: &PgPool,
    tk: i64,
) -> Result<Vec<AttributeDefinition>, StoreError> {
    let rows: Vec<(String, String, i32, Option<String>, OffsetDateTime)> = sqlx::query_as(
        "SELECT name, label, max_length, regex, created_at FROM attribute_definitions \
         WHERE tenant_key = $1 ORDER BY name_key",
    )
    .bind(tk)
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    rows.into_iter()
        .map(|(name, label, max_length, regex, created_at)| {
            Ok(AttributeDefinition {
                name: AttributeName::from_stored(name),
                label,
                max_length: u16::try_from(max_length).map_err(|_| {
                    StoreError::Corrupt(format!("attribute max_length {max_length}"))
                })?,
                regex,
                created_at,
            })
        })
        .collect()
}

pub(crate) async fn create_attribute(
    pool: &PgPool,
    tk: i64,
    def: AttributeDefinition,
    audit: AuditDraft,
) -> Result<(), Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = sqlx::query(
        "INSERT INTO attribute_definitions (tenant_key, name_key, name, label, max_length, regex, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tk)
    .bind(def.name.key())
    .bind(def.name.as_str())
    .bind(&def.label)
    .bind(i32::from(def.max_length))
    .bind(&def.regex)
    .bind(def.created_at)
    .execute(&mut *w.tx)
    .await
    .map(|_| ())
    .map_err(constraint);
    w.finish(result).await
}

pub(crate) async fn delete_attribute(
    pool: &PgPool,
    tk: i64,
    tenant_id: TenantId,
    name: &str,
    purge: bool,
    now: OffsetDateTime,
    audit: AuditDraft,
) -> Result<u64, Error> {
    let key = name.to_ascii_lowercase();
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        // Locked first: a write adding a value of this attribute waits for
        // the removal (and then finds the definition gone), so no new
        // holder can appear while the holders are counted and purged.
        let exists: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM attribute_definitions WHERE tenant_key = $1 AND name_key = $2 FOR UPDATE")
                .bind(tk)
                .bind(&key)
                .fetch_optional(&mut *w.tx)
                .await
                .db()?;
        if exists.is_none() {
            return Err(Error::NotFound(Missing::Attribute));
        }
        let holders: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM user_attribute_index WHERE tenant_key = $1 AND name_key = $2")
                .bind(tk)
                .bind(&key)
                .fetch_one(&mut *w.tx)
                .await
                .db()?;
        if holders > 0 && !purge {
            return Err(Error::conflict(
                ErrorCode::AttributeInUse,
                format!("{holders} users hold a value of this attribute; delete with purge=true to remove the values too"),
            ));
        }
        let purged = if holders > 0 {
            purge_values(&mut w.tx, &mut w.counts, tk, tenant_id, &key, now).await?
        } else {
            0
        };
        sqlx::query("DELETE FROM attribute_definitions WHERE tenant_key = $1 AND name_key = $2")
            .bind(tk)
            .bind(&key)
            .execute(&mut *w.tx)
            .await
            .db()?;
        w.draft.details["purged_values"] = json!(purged);
        Ok(purged)
    }
    .await;
    w.finish(result).await
}

/// Removes the values of attribute `key` from every user holding one,
/// bumping their versions. The holders are locked in key order, the order
/// any other multi-user write would take them in.
async fn purge_values(
    c: &mut PgConnection,
    counts: &mut Counts,
    tk: i64,
    tenant_id: TenantId,
    key: &str,
    now: OffsetDateTime,
) -> Result<u64, Error> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE key IN \
         (SELECT user_key FROM user_attribute_index WHERE tenant_key = $1 AND name_key = $2) \
         ORDER BY key FOR UPDATE"
    ))
    .bind(tk)
    .bind(key)
    .fetch_all(&mut *c)
    .await
    .db()?;
    let mut purged = 0;
    for r in &rows {
        let before = stored_user(r, tenant_id)?;
        let mut user = before.user.clone();
        user.attributes.retain(|k, _| k.to_ascii_lowercase() != key);
        // A holder may have dropped the value while this write waited for
        // its lock; it is then left alone.
        if user.attributes.len() == before.user.attributes.len() {
            continue;
        }
        user.version += 1;
        user.updated_at = now;
        // The definition goes afterwards; the row's other names stay valid.
        write::update(c, counts, tk, &before, &user).await?;
        purged += 1;
    }
    Ok(purged)
}
