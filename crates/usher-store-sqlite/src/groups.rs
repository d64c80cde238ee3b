//! Groups and their members.

use crate::conn::{DbExt, DbResult, audited, uuid};
use crate::users::search::search_rows;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::json;
use usher_core::audit::AuditDraft;
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::Missing;
use usher_core::group::{Group, GroupName, GroupWrite, group_diff, group_name_taken};
use usher_core::scim::query::UserSearch;
use usher_core::user::fields::ExternalId;
use usher_core::{Error, GroupId, StoreError, TenantId, UserId};

use crate::SqliteStore;
use async_trait::async_trait;
use usher_core::store::GroupStore;

const GROUP_COLUMNS: &str = "key, id, display_name, external_id, created_at, updated_at, version";

fn read_row(r: &Row<'_>, tenant_id: TenantId) -> DbResult<(i64, Group)> {
    Ok((
        r.get(0)?,
        Group {
            id: uuid(&r.get::<_, Vec<u8>>(1)?)?,
            tenant_id,
            display_name: GroupName::from_stored(r.get(2)?),
            external_id: r.get::<_, Option<String>>(3)?.map(ExternalId::from_stored),
            members: Vec::new(),
            created_at: from_micros(r.get(4)?),
            updated_at: from_micros(r.get(5)?),
            version: r.get(6)?,
        },
    ))
}

fn members(c: &Connection, group_key: i64) -> DbResult<Vec<UserId>> {
    let mut stmt = c.prepare_cached(
        "SELECT u.id FROM group_members m JOIN users u ON u.key = m.user_key WHERE m.group_key = ?1 ORDER BY u.id",
    )?;
    let ids = stmt
        .query_map([group_key], |r| uuid(&r.get::<_, Vec<u8>>(0)?))?
        .collect::<DbResult<Vec<UserId>>>()?;
    Ok(ids)
}

fn load(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    id: GroupId,
) -> DbResult<Option<(i64, Group)>> {
    let found = c
        .prepare_cached(&format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE tenant_key = ?1 AND id = ?2"
        ))?
        .query_row(params![tk, id.as_bytes().as_slice()], |r| {
            read_row(r, tenant_id)
        })
        .optional()?;
    match found {
        Some((key, mut g)) => {
            g.members = members(c, key)?;
            Ok(Some((key, g)))
        }
        None => Ok(None),
    }
}

pub(crate) fn get(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    id: GroupId,
) -> DbResult<Option<Group>> {
    Ok(load(c, tk, tenant_id, id)?.map(|(_, g)| g))
}

fn name_taken(
    c: &Connection,
    tk: i64,
    name: &GroupName,
    other_than: Option<i64>,
) -> Result<bool, Error> {
    let key: Option<i64> = c
        .prepare_cached("SELECT key FROM groups WHERE tenant_key = ?1 AND name_norm = ?2")
        .db()?
        .query_row(params![tk, name.normalized()], |r| r.get(0))
        .optional()
        .db()?;
    Ok(key.is_some_and(|k| Some(k) != other_than))
}

/// The keys of the tenant's users among `ids` (the others left out).
fn user_keys(c: &Connection, tk: i64, ids: &[UserId]) -> Result<Vec<i64>, Error> {
    let mut stmt = c
        .prepare_cached("SELECT key FROM users WHERE tenant_key = ?1 AND id = ?2")
        .db()?;
    let mut keys = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(k) = stmt
            .query_row(params![tk, id.as_bytes().as_slice()], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
            .db()?
        {
            keys.push(k);
        }
    }
    keys.sort_unstable();
    keys.dedup();
    Ok(keys)
}

fn add_members(c: &Connection, group_key: i64, user_keys: &[i64]) -> Result<(), Error> {
    let mut stmt = c
        .prepare_cached("INSERT OR IGNORE INTO group_members (group_key, user_key) VALUES (?1, ?2)")
        .db()?;
    for k in user_keys {
        stmt.execute(params![group_key, k]).db()?;
    }
    Ok(())
}

pub(crate) fn create(
    c: &Connection,
    tk: i64,
    group: Group,
    audit: AuditDraft,
) -> Result<Group, Error> {
    audited(c, audit, |c, draft| {
        if name_taken(c, tk, &group.display_name, None)? {
            return Err(group_name_taken());
        }
        let keys = user_keys(c, tk, &group.members)?;
        c.prepare_cached(
            "INSERT INTO groups (id, tenant_key, display_name, name_norm, external_id, created_at, updated_at, version) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .db()?
        .execute(params![
            group.id.as_bytes().as_slice(),
            tk,
            group.display_name.as_str(),
            group.display_name.normalized(),
            group.external_id.as_ref().map(|x| x.as_str()),
            to_micros(group.created_at),
            to_micros(group.updated_at),
            group.version,
        ])
        .db()?;
        let key = c.last_insert_rowid();
        add_members(c, key, &keys)?;
        let mut stored = group;
        stored.members = members(c, key).db()?;
        draft.details["display_name"] = json!(stored.display_name.as_str());
        draft.details["members"] = json!(stored.members.len());
        Ok(stored)
    })
}

pub(crate) fn modify(c: &Connection, tk: i64, write: GroupWrite) -> Result<Group, Error> {
    let GroupWrite {
        tenant_id,
        group_id,
        if_match,
        now,
        mutation,
        audit,
    } = write;
    audited(c, audit, |c, draft| {
        let (key, before) = load(c, tk, tenant_id, group_id)
            .db()?
            .ok_or(Error::NotFound(Missing::Group))?;
        Error::check_version(if_match, before.version)?;
        let mut after = before.clone();
        mutation(&mut after)?;
        if after.display_name.normalized() != before.display_name.normalized()
            && name_taken(c, tk, &after.display_name, Some(key))?
        {
            return Err(group_name_taken());
        }
        // Members as the store can keep them: users of the tenant.
        let wanted = user_keys(c, tk, &after.members)?;
        let have = user_keys(c, tk, &before.members)?;
        let added: Vec<i64> = wanted
            .iter()
            .filter(|k| !have.contains(k))
            .copied()
            .collect();
        let removed: Vec<i64> = have
            .iter()
            .filter(|k| !wanted.contains(k))
            .copied()
            .collect();
        add_members(c, key, &added)?;
        let mut stmt = c
            .prepare_cached("DELETE FROM group_members WHERE group_key = ?1 AND user_key = ?2")
            .db()?;
        for k in &removed {
            stmt.execute(params![key, k]).db()?;
        }
        after.members = members(c, key).db()?;
        let changes = group_diff(&before, &after);
        draft.details["changes"] = serde_json::Value::Object(changes.clone());
        if !changes.is_empty() {
            after.version = before.version + 1;
            after.updated_at = now;
            c.prepare_cached(
                "UPDATE groups SET display_name = ?2, name_norm = ?3, external_id = ?4, updated_at = ?5, version = ?6 WHERE key = ?1",
            )
            .db()?
            .execute(params![
                key,
                after.display_name.as_str(),
                after.display_name.normalized(),
                after.external_id.as_ref().map(|x| x.as_str()),
                to_micros(after.updated_at),
                after.version,
            ])
            .db()?;
        }
        Ok(after)
    })
}

pub(crate) fn delete(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    group_id: GroupId,
    if_match: Option<i64>,
    audit: AuditDraft,
) -> Result<Group, Error> {
    audited(c, audit, |c, draft| {
        let (key, group) = load(c, tk, tenant_id, group_id)
            .db()?
            .ok_or(Error::NotFound(Missing::Group))?;
        Error::check_version(if_match, group.version)?;
        draft.details["display_name"] = json!(group.display_name.as_str());
        draft.details["members"] = json!(group.members.len());
        c.prepare_cached("DELETE FROM groups WHERE key = ?1")
            .db()?
            .execute([key])
            .db()?;
        Ok(group)
    })
}

/// The total of matching groups and one window of them, in one snapshot.
pub(crate) fn search(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    q: &UserSearch,
) -> DbResult<(u64, Vec<Group>)> {
    let (total, groups) = search_rows(
        c,
        "groups",
        GROUP_COLUMNS,
        tk,
        q,
        |r| read_row(r, tenant_id),
        with_members,
    )?;
    Ok((total, groups.into_iter().map(|(_, g)| g).collect()))
}

/// `rows` with their members read.
fn with_members(c: &Connection, rows: Vec<(i64, Group)>) -> DbResult<Vec<(i64, Group)>> {
    rows.into_iter()
        .map(|(key, mut g)| {
            g.members = members(c, key)?;
            Ok((key, g))
        })
        .collect()
}

pub(crate) fn of_user(
    c: &Connection,
    tk: i64,
    tenant_id: TenantId,
    user_id: UserId,
) -> DbResult<Vec<Group>> {
    let mut stmt = c.prepare_cached(
        "SELECT g.key, g.id, g.display_name, g.external_id, g.created_at, g.updated_at, g.version \
         FROM users u JOIN group_members m ON m.user_key = u.key JOIN groups g ON g.key = m.group_key \
         WHERE u.tenant_key = ?1 AND u.id = ?2 ORDER BY g.name_norm",
    )?;
    let rows = stmt
        .query_map(params![tk, user_id.as_bytes().as_slice()], |r| {
            read_row(r, tenant_id)
        })?
        .collect::<DbResult<Vec<(i64, Group)>>>()?;
    Ok(with_members(c, rows)?.into_iter().map(|(_, g)| g).collect())
}

#[async_trait]
impl GroupStore for SqliteStore {
    async fn create_group(&self, group: Group, audit: AuditDraft) -> Result<Group, Error> {
        let tk = self.tenant_key(group.tenant_id).await?;
        self.inner
            .writer
            .write(move |c| create(c, tk, group, audit))
            .await
    }

    async fn get_group(
        &self,
        tenant_id: TenantId,
        group_id: GroupId,
    ) -> Result<Option<Group>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| get(c, tk, tenant_id, group_id)).await
    }

    async fn search_groups(
        &self,
        tenant_id: TenantId,
        search: &usher_core::scim::query::UserSearch,
    ) -> Result<(u64, Vec<Group>), StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        let query = search.clone();
        self.read(move |c| crate::groups::search(c, tk, tenant_id, &query))
            .await
    }

    async fn modify_group(&self, write: GroupWrite) -> Result<Group, Error> {
        let tk = self.tenant_key(write.tenant_id).await?;
        self.inner.writer.write(move |c| modify(c, tk, write)).await
    }

    async fn delete_group(
        &self,
        tenant_id: TenantId,
        group_id: GroupId,
        if_match: Option<i64>,
        audit: AuditDraft,
    ) -> Result<Group, Error> {
        let tk = self.tenant_key(tenant_id).await?;
        self.inner
            .writer
            .write(move |c| delete(c, tk, tenant_id, group_id, if_match, audit))
            .await
    }

    async fn user_groups(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<Group>, StoreError> {
        let tk = self.tenant_key(tenant_id).await?;
        self.read(move |c| of_user(c, tk, tenant_id, user_id)).await
    }
}
