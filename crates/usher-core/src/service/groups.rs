//! Groups: SCIM's `/Groups` and the admin API's read-only views of them.
//! Every read and write is audited like a user's, as `group.*`.

use super::Services;
use super::scim::ScimQuery;
use crate::audit::{AuditAction, AuditContext};
use crate::error::{Error, ErrorCode, Missing};
use crate::group::{Group, GroupWrite};
use crate::ids::GroupId;
use crate::scim::query::{Cond, SortKey, UserSearch, group_sort_key, lower_group_filter};
use crate::scim::resource::{group_resource, read_group};
use crate::scim::schemas::GroupPatchSchema;
use crate::scim::{Filter, PatchPath, apply_patch, parse_patch};
use crate::tenant::Tenant;
use serde_json::{Value, json};

/// One page of groups.
#[derive(Debug, Clone)]
pub struct GroupPage {
    pub total: u64,
    pub start_index: u64,
    pub groups: Vec<Group>,
}

const PATCH_ATTEMPTS: usize = 3;

fn group_query(q: &ScimQuery) -> Result<UserSearch, Error> {
    let cond = match q.filter.as_deref().map(str::trim) {
        None | Some("") => Cond::Const(true),
        Some(text) => {
            let f = Filter::parse(text)
                .map_err(|e| Error::bad_request(ErrorCode::InvalidFilter, e.to_string()))?;
            lower_group_filter(&f).map_err(|e| Error::bad_request(ErrorCode::InvalidFilter, e.0))?
        }
    };
    let sort = match q.sort_by.as_deref().map(str::trim) {
        None | Some("") => SortKey::Id,
        Some(text) => match PatchPath::parse(text) {
            Ok(PatchPath::Attr(p)) => {
                group_sort_key(&p).map_err(|e| Error::bad_request(ErrorCode::InvalidSort, e.0))?
            }
            _ => {
                return Err(Error::bad_request(
                    ErrorCode::InvalidSort,
                    format!("sortBy must name an attribute such as displayName, not {text:?}"),
                ));
            }
        },
    };
    q.search(cond, sort)
}

impl Services {
    /// A SCIM list or search of groups (also the admin API's `GET /groups`).
    pub async fn list_groups(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        q: &ScimQuery,
    ) -> Result<GroupPage, Error> {
        let action = if q.filter.as_deref().is_some_and(|f| !f.trim().is_empty()) {
            AuditAction::GroupSearch
        } else {
            AuditAction::GroupList
        };
        let mut details = json!({
            "filter": q.filter,
            "sort_by": q.sort_by,
            "start_index": q.start_index,
            "count": q.count,
        });
        let draft = self.draft(ctx, Some(tenant), action);
        let search = match group_query(q) {
            Ok(s) => s,
            Err(e) => return Err(self.refuse(draft.details(details), e).await),
        };
        let (total, groups) = self.store.search_groups(tenant.id, &search).await?;
        details["returned"] = json!(groups.len());
        details["total"] = json!(total);
        self.store.append_audit(draft.details(details)).await?;
        Ok(GroupPage {
            total,
            start_index: search.offset + 1,
            groups,
        })
    }

    /// How many groups the tenant has (for the last page's position).
    pub async fn count_groups(&self, tenant: &Tenant) -> Result<u64, Error> {
        let search = UserSearch {
            cond: Cond::Const(true),
            sort: SortKey::Id,
            descending: false,
            offset: 0,
            limit: 0,
        };
        Ok(self.store.search_groups(tenant.id, &search).await?.0)
    }

    /// One group, audited as a view; anything but a group's id is not found.
    pub async fn get_group(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
    ) -> Result<Group, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::GroupView);
        let (gid, draft) = self.scim_target(draft, "group", Missing::Group, id).await?;
        match self.store.get_group(tenant.id, gid).await? {
            Some(g) => {
                self.store.append_audit(draft).await?;
                Ok(g)
            }
            None => Err(self.refuse(draft, Error::NotFound(Missing::Group)).await),
        }
    }

    /// The groups a user is a member of (`GET /users/{id}/groups`).
    pub async fn user_groups(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        user_id: &str,
    ) -> Result<Vec<Group>, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::UserGroups);
        let uid = match Self::parse_user_id(user_id) {
            Ok(id) => id,
            Err(e) => return Err(self.refuse(draft.details(json!({"id": user_id})), e).await),
        };
        let draft = draft.target("user", uid);
        if self.store.get_user(tenant.id, uid).await?.is_none() {
            return Err(self.refuse(draft, Error::NotFound(Missing::User)).await);
        }
        let groups = self.store.user_groups(tenant.id, uid).await?;
        self.store
            .append_audit(draft.details(json!({"returned": groups.len()})))
            .await?;
        Ok(groups)
    }

    /// Creates a group from a SCIM Group resource.
    pub async fn create_group(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        body: &Value,
    ) -> Result<Group, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::GroupCreate);
        let input = self.accept(&draft, read_group(body)).await?;
        let now = self.clock.now();
        let id = GroupId::generate();
        let mut group = Group {
            id,
            tenant_id: tenant.id,
            display_name: input.display_name.clone(),
            external_id: None,
            members: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        input.apply(&mut group);
        self.store
            .create_group(group, draft.target("group", id))
            .await
    }

    /// Replaces a group with a SCIM Group resource (PUT).
    pub async fn replace_group(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
        if_match: Option<i64>,
        body: &Value,
    ) -> Result<Group, Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::GroupUpdate)
            .details(json!({"method": "PUT"}));
        let (gid, draft) = self.scim_target(draft, "group", Missing::Group, id).await?;
        let input = self.accept(&draft, read_group(body)).await?;
        self.store
            .modify_group(GroupWrite {
                tenant_id: tenant.id,
                group_id: gid,
                if_match,
                now: self.clock.now(),
                mutation: Box::new(move |g| {
                    input.apply(g);
                    Ok(())
                }),
                audit: draft,
            })
            .await
    }

    /// Applies a SCIM PATCH to a group, atomically (see
    /// [`Services::scim_patch_user`]).
    pub async fn patch_group(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
        if_match: Option<i64>,
        body: &Value,
    ) -> Result<Group, Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::GroupUpdate)
            .details(json!({"method": "PATCH"}));
        let (gid, draft) = self.scim_target(draft, "group", Missing::Group, id).await?;
        let ops = self.accept(&draft, parse_patch(body)).await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(current) = self.store.get_group(tenant.id, gid).await? else {
                return Err(self.refuse(draft, Error::NotFound(Missing::Group)).await);
            };
            if let Err(e) = Error::check_version(if_match, current.version) {
                return Err(self.refuse(draft, e).await);
            }
            let mut resource = group_resource(&current, "");
            let input = self
                .accept(
                    &draft,
                    apply_patch(&mut resource, &ops, &GroupPatchSchema)
                        .and_then(|()| read_group(&resource)),
                )
                .await?;
            let write = GroupWrite {
                tenant_id: tenant.id,
                group_id: gid,
                if_match: Some(current.version),
                now: self.clock.now(),
                mutation: Box::new(move |g| {
                    input.apply(g);
                    Ok(())
                }),
                audit: draft.clone(),
            };
            match self.store.modify_group(write).await {
                Err(Error::VersionMismatch { .. })
                    if if_match.is_none() && attempt < PATCH_ATTEMPTS => {}
                other => return other,
            }
        }
    }

    pub async fn delete_group(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
        if_match: Option<i64>,
    ) -> Result<Group, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::GroupDelete);
        let (gid, draft) = self.scim_target(draft, "group", Missing::Group, id).await?;
        let deleted = self
            .store
            .delete_group(tenant.id, gid, if_match, draft)
            .await;
        // The tokens scoped to the group went with it (ON DELETE CASCADE):
        // whatever this process still holds of them goes now too.
        if deleted.is_ok() {
            self.caches.tokens.clear();
        }
        deleted
    }

    /// The Group resource of `group` under `base`.
    pub fn group_resource(&self, group: &Group, base: &str) -> Value {
        group_resource(group, base)
    }
}
