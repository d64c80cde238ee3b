//! Groups and their members. Writes lock the group's row (`FOR UPDATE`);
//! a name taken meanwhile by another writer is the unique index's refusal.

use crate::error::{DbExt, constraint, unavailable};
use crate::ids::{id, uuids};
use crate::users::search::{snapshot, window};
use crate::write::Write;
use crate::{PostgresStore, detached};
use async_trait::async_trait;
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use time::OffsetDateTime;
use usher_core::audit::AuditDraft;
use usher_core::error::Missing;
use usher_core::group::{Group, GroupName, GroupWrite, group_diff};
use usher_core::scim::query::UserSearch;
use usher_core::store::GroupStore;
use usher_core::user::fields::ExternalId;
use usher_core::{Error, GroupId, StoreError, TenantId, UserId};
use uuid::Uuid;

const GROUP_COLUMNS: &str = "key, id, display_name, external_id, created_at, updated_at, version";

fn read_row(r: &PgRow, tenant_id: TenantId) -> Result<(i64, Group), sqlx::Error> {
    Ok((
        r.try_get(0)?,
        Group {
            id: id(r, 1)?,
            tenant_id,
            display_name: GroupName::from_stored(r.try_get(2)?),
            external_id: r
                .try_get::<Option<String>, _>(3)?
                .map(ExternalId::from_stored),
            members: Vec::new(),
            created_at: r.try_get::<OffsetDateTime, _>(4)?,
            updated_at: r.try_get::<OffsetDateTime, _>(5)?,
            version: r.try_get(6)?,
        },
    ))
}

async fn members(c: &mut PgConnection, group_key: i64) -> Result<Vec<UserId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT u.id FROM group_members m JOIN users u ON u.key = m.user_key WHERE m.group_key = $1 ORDER BY u.id",
    )
    .bind(group_key)
    .fetch_all(&mut *c)
    .await?;
    Ok(ids.into_iter().map(UserId::from).collect())
}

async fn load(
    c: &mut PgConnection,
    tk: i64,
    tenant_id: TenantId,
    id: GroupId,
    lock: bool,
) -> Result<Option<(i64, Group)>, sqlx::Error> {
    let sql = if lock {
        "SELECT key, id, display_name, external_id, created_at, updated_at, version \
         FROM groups WHERE tenant_key = $1 AND id = $2 FOR UPDATE"
    } else {
        "SELECT key, id, display_name, external_id, created_at, updated_at, version \
         FROM groups WHERE tenant_key = $1 AND id = $2"
    };
    let row = sqlx::query(sql)
        .bind(tk)
        .bind(id.uuid())
        .fetch_optional(&mut *c)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let (key, mut g) = read_row(&row, tenant_id)?;
    g.members = members(c, key).await?;
    Ok(Some((key, g)))
}

pub(crate) async fn get(
    pool: &PgPool,
    tk: i64,
    tenant_id: TenantId,
    id: GroupId,
) -> Result<Option<Group>, StoreError> {
    let mut c = pool.acquire().await.map_err(unavailable)?;
    Ok(load(&mut c, tk, tenant_id, id, false)
        .await
        .map_err(unavailable)?
        .map(|(_, g)| g))
}

/// The keys of the tenant's users among `ids` (the others left out).
async fn user_keys(c: &mut PgConnection, tk: i64, ids: &[UserId]) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT key FROM users WHERE tenant_key = $1 AND id = ANY($2) ORDER BY key")
        .bind(tk)
        .bind(uuids(ids))
        .fetch_all(&mut *c)
        .await
}

async fn add_members(
    c: &mut PgConnection,
    group_key: i64,
    keys: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO group_members (group_key, user_key) SELECT $1, k FROM UNNEST($2::bigint[]) AS k \
         ON CONFLICT DO NOTHING",
    )
    .bind(group_key)
    .bind(keys)
    .execute(&mut *c)
    .await
    .map(|_| ())
}

pub(crate) async fn create(
    pool: &PgPool,
    tk: i64,
    group: Group,
    audit: AuditDraft,
) -> Result<Group, Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = create_in(&mut w.tx, &mut w.draft, tk, group).await;
    w.finish(result).await
}

async fn create_in(
    c: &mut PgConnection,
    draft: &mut AuditDraft,
    tk: i64,
    group: Group,
) -> Result<Group, Error> {
    let key: i64 = sqlx::query_scalar(
        "INSERT INTO groups (id, tenant_key, display_name, name_norm, external_id, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING key",
    )
    .bind(group.id.uuid())
    .bind(tk)
    .bind(group.display_name.as_str())
    .bind(group.display_name.normalized())
    .bind(group.external_id.as_ref().map(|x| x.as_str()))
    .bind(group.created_at)
    .bind(group.updated_at)
    .bind(group.version)
    .fetch_one(&mut *c)
    .await
    .map_err(constraint)?;
    let keys = user_keys(c, tk, &group.members).await.db()?;
    add_members(c, key, &keys).await.db()?;
    let mut stored = group;
    stored.members = members(c, key).await.db()?;
    draft.details["display_name"] = json!(stored.display_name.as_str());
    draft.details["members"] = json!(stored.members.len());
    Ok(stored)
}

pub(crate) async fn modify(pool: &PgPool, tk: i64, write: GroupWrite) -> Result<Group, Error> {
    let GroupWrite {
        tenant_id,
        group_id,
        if_match,
        now,
        mutation,
        audit,
    } = write;
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let c = &mut *w.tx;
        let (key, before) = load(c, tk, tenant_id, group_id, true)
            .await
            .db()?
            .ok_or(Error::NotFound(Missing::Group))?;
        Error::check_version(if_match, before.version)?;
        let mut after = before.clone();
        mutation(&mut after)?;
        let wanted = user_keys(c, tk, &after.members).await.db()?;
        sqlx::query("DELETE FROM group_members WHERE group_key = $1 AND NOT (user_key = ANY($2))")
            .bind(key)
            .bind(&wanted)
            .execute(&mut *c)
            .await
            .db()?;
        add_members(c, key, &wanted).await.db()?;
        after.members = members(c, key).await.db()?;
        let changes = group_diff(&before, &after);
        w.draft.details["changes"] = serde_json::Value::Object(changes.clone());
        if !changes.is_empty() {
            after.version = before.version + 1;
            after.updated_at = now;
            sqlx::query(
                "UPDATE groups SET display_name = $2, name_norm = $3, external_id = $4, updated_at = $5, version = $6 WHERE key = $1",
            )
            .bind(key)
            .bind(after.display_name.as_str())
            .bind(after.display_name.normalized())
            .bind(after.external_id.as_ref().map(|x| x.as_str()))
            .bind(after.updated_at)
            .bind(after.version)
            .execute(&mut *c)
            .await
            .map_err(constraint)?;
        }
        Ok(after)
    }
    .await;
    w.finish(result).await
}

pub(crate) async fn delete(
    pool: &PgPool,
    tk: i64,
    tenant_id: TenantId,
    group_id: GroupId,
    if_match: Option<i64>,
    audit: AuditDraft,
) -> Result<Group, Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let c = &mut *w.tx;
        let (key, group) = load(c, tk, tenant_id, group_id, true)
            .await
            .db()?
            .ok_or(Error::NotFound(Missing::Group))?;
        Error::check_version(if_match, group.version)?;
        w.draft.details["display_name"] = json!(group.display_name.as_str());
        w.draft.details["members"] = json!(group.members.len());
        sqlx::query("DELETE FROM groups WHERE key = $1")
            .bind(key)
            .execute(&mut *c)
            .await
            .db()?;
        Ok(group)
    }
    .await;
    w.finish(result).await
}

/// The total of matching groups and one window of them, in one snapshot.
pub(crate) async fn search(
    pool: &PgPool,
    tk: i64,
    tenant_id: TenantId,
    q: &UserSearch,
) -> Result<(u64, Vec<Group>), StoreError> {
    let mut tx = snapshot(pool).await?;
    let (total, rows) = window(&mut tx, "groups", GROUP_COLUMNS, tk, q).await?;
    let groups = with_members(&mut tx, &rows, tenant_id).await?;
    tx.commit().await.map_err(unavailable)?;
    Ok((total, groups))
}

/// The groups of `rows`, with their members.
async fn with_members(
    c: &mut PgConnection,
    rows: &[PgRow],
    tenant_id: TenantId,
) -> Result<Vec<Group>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let (key, mut g) = read_row(r, tenant_id).map_err(unavailable)?;
        g.members = members(c, key).await.map_err(unavailable)?;
        out.push(g);
    }
    Ok(out)
}

pub(crate) async fn of_user(
    pool: &PgPool,
    tk: i64,
    tenant_id: TenantId,
    user_id: UserId,
) -> Result<Vec<Group>, StoreError> {
    let mut c = pool.acquire().await.map_err(unavailable)?;
    let rows = sqlx::query(
        "SELECT g.key, g.id, g.display_name, g.external_id, g.created_at, g.updated_at, g.version \
         FROM users u JOIN group_members m ON m.user_key = u.key JOIN groups g ON g.key = m.group_key \
         WHERE u.tenant_key = $1 AND u.id = $2 ORDER BY g.name_norm",
    )
    .bind(tk)
    .bind(user_id.uuid())
    .fetch_all(&mut *c)
    .await
    .map_err(unavailable)?;
    with_members(&mut c, &rows, tenant_id).await
}

#[async_trait]
impl GroupStore for PostgresStore {
    async fn create_group(
        &self,
        group: usher_core::group::Group,
        audit: AuditDraft,
    ) -> Result<usher_core::group::Group, Error> {
        let tk = self.tenant_key(group.tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { create(&pool, tk, group, audit).await }).await
    }

    async fn get_group(
        &self,
        tenant_id: TenantId,
        group_id: GroupId,
    ) -> Result<Option<usher_core::group::Group>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        get(self.pool(), tk, tenant_id, group_id).await
    }

    async fn search_groups(
        &self,
        tenant_id: TenantId,
        search: &usher_core::scim::query::UserSearch,
    ) -> Result<(u64, Vec<usher_core::group::Group>), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        crate::groups::search(self.pool(), tk, tenant_id, search).await
    }

    async fn modify_group(
        &self,
        write: usher_core::group::GroupWrite,
    ) -> Result<usher_core::group::Group, Error> {
        let tk = self.tenant_key(write.tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { modify(&pool, tk, write).await }).await
    }

    async fn delete_group(
        &self,
        tenant_id: TenantId,
        group_id: GroupId,
        if_match: Option<i64>,
        audit: AuditDraft,
    ) -> Result<usher_core::group::Group, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        let pool = self.pool().clone();
        detached(async move { delete(&pool, tk, tenant_id, group_id, if_match, audit).await }).await
    }

    async fn user_groups(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<usher_core::group::Group>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        of_user(self.pool(), tk, tenant_id, user_id).await
    }
}
