//! SCIM's user operations, on the same validation and writes as the admin
//! API: a SCIM body is read into the admin API's fields
//! ([`crate::scim::resource::read_user`]) and then checked by the same
//! parsers, custom attribute rules included. Each write is one store
//! operation with its audit event, in the SCIM token's name.

use super::Services;
use crate::audit::{AuditAction, AuditContext, AuditDraft};
use crate::error::{Error, ErrorCode, Missing};
use crate::ids::{Id, UserId};
use crate::role::RoleName;
use crate::scim::query::{Attributes, Cond, SortKey, UserSearch, lower_user_filter, user_sort_key};
use crate::scim::resource::{ExtensionNames, UserInput, read_user, user_resource};
use crate::scim::schemas::{MAX_RESULTS, UserPatchSchema};
use crate::scim::{AttrPath, Filter, apply_patch, parse_patch};
use crate::store::{Effects, RoleWrites, UserWrite};
use crate::tenant::Tenant;
use crate::user::state::{Action, transition};
use crate::user::{NewUser, User, UserPatch, UserState};
use serde_json::{Value, json};
use uuid::Uuid;

/// The query of a SCIM list or search, as it arrives.
#[derive(Debug, Clone, Default)]
pub struct ScimQuery {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    /// 1-based; values below 1 are read as 1 (RFC 7644 §3.4.2.4).
    pub start_index: Option<i64>,
    /// Negative values are read as 0; more than [`MAX_RESULTS`] as that.
    pub count: Option<i64>,
}

impl ScimQuery {
    /// The query with its condition and sort key: `sortOrder` read, and the
    /// window (`startIndex`, `count`) bounded as RFC 7644 §3.4.2.4 says.
    pub(crate) fn search(&self, cond: Cond, sort: SortKey) -> Result<UserSearch, Error> {
        let order = self.sort_order.as_deref().map(str::to_ascii_lowercase);
        let descending = match order.as_deref() {
            None | Some("") | Some("ascending") => false,
            Some("descending") => true,
            Some(_) => {
                return Err(Error::bad_request(
                    ErrorCode::InvalidSort,
                    "sortOrder must be ascending or descending",
                ));
            }
        };
        let start = self.start_index.unwrap_or(1).max(1);
        let max = i64::from(MAX_RESULTS);
        let count = self.count.unwrap_or(max).clamp(0, max);
        Ok(UserSearch {
            cond,
            sort,
            descending,
            offset: u64::try_from(start - 1).unwrap_or(0),
            limit: u32::try_from(count).unwrap_or(0),
        })
    }
}

/// One page of a SCIM query.
#[derive(Debug, Clone)]
pub struct ScimPage {
    pub total: u64,
    pub start_index: u64,
    pub users: Vec<User>,
}

/// How many times a PATCH is retried when another write changed the user
/// between reading it and writing the result.
const PATCH_ATTEMPTS: usize = 3;

fn invalid_filter(message: impl Into<String>) -> Error {
    Error::bad_request(ErrorCode::InvalidFilter, message)
}

impl Services {
    /// How the tenant's custom attributes show in SCIM.
    pub async fn scim_extensions(&self, tenant: &Tenant) -> Result<ExtensionNames, Error> {
        Ok(ExtensionNames::new(&self.attribute_names(tenant).await?))
    }

    async fn attribute_names(&self, tenant: &Tenant) -> Result<Vec<String>, Error> {
        Ok(self
            .attribute_set(tenant)
            .await?
            .definitions()
            .map(|d| d.name.as_str().to_owned())
            .collect())
    }

    /// The id a SCIM request names, with `draft` targeting that `kind` of
    /// record; an id that is no UUID names nothing, and is refused (and
    /// audited, with the id) as not found.
    pub(crate) async fn scim_target<K>(
        &self,
        draft: AuditDraft,
        kind: &'static str,
        missing: Missing,
        id: &str,
    ) -> Result<(Id<K>, AuditDraft), Error> {
        match id.parse::<Id<K>>() {
            Ok(uid) => Ok((uid, draft.target(kind, uid))),
            Err(_) => {
                let mut draft = draft;
                draft.details["id"] = json!(id);
                Err(self.refuse(draft, Error::NotFound(missing)).await)
            }
        }
    }

    /// The resource of a user as this tenant's SCIM endpoint shows it.
    pub async fn scim_resource(
        &self,
        tenant: &Tenant,
        base: &str,
        user: &User,
    ) -> Result<Value, Error> {
        Ok(self
            .scim_resources(tenant, base, std::slice::from_ref(user))
            .await?
            .pop()
            .unwrap_or_default())
    }

    /// The resources of `users`, the tenant's extensions and the users'
    /// roles read once.
    pub async fn scim_resources(
        &self,
        tenant: &Tenant,
        base: &str,
        users: &[User],
    ) -> Result<Vec<Value>, Error> {
        let ext = self.scim_extensions(tenant).await?;
        let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
        let roles = self.scim_roles_of(tenant, &ids).await?;
        let now = self.clock.now();
        Ok(users
            .iter()
            .map(|u| {
                let held = roles.get(&u.id).map_or(&[][..], Vec::as_slice);
                user_resource(u, held, now, base, &ext)
            })
            .collect())
    }

    fn parse_query(q: &ScimQuery, names: &[String]) -> Result<UserSearch, Error> {
        let attrs = Attributes { names };
        let cond = match q.filter.as_deref().map(str::trim) {
            None | Some("") => Cond::Const(true),
            Some(text) => {
                let filter = Filter::parse(text).map_err(|e| invalid_filter(e.to_string()))?;
                lower_user_filter(&filter, attrs).map_err(|e| invalid_filter(e.0))?
            }
        };
        // userName order by default: it is indexed, so a page of a filter
        // on userName reads only its rows however many users match.
        let sort = match q.sort_by.as_deref().map(str::trim) {
            None | Some("") => SortKey::Text(crate::scim::query::Text::Column(
                crate::scim::query::TextColumn::UserName,
            )),
            Some(text) => {
                let path = parse_attr_path(text)?;
                user_sort_key(&path, attrs)
                    .map_err(|e| Error::bad_request(ErrorCode::InvalidSort, e.0))?
            }
        };
        q.search(cond, sort)
    }

    /// A SCIM list or search of users, audited like the admin API's.
    pub async fn scim_list_users(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        q: &ScimQuery,
    ) -> Result<ScimPage, Error> {
        let action = if q.filter.as_deref().is_some_and(|f| !f.trim().is_empty()) {
            AuditAction::UserSearch
        } else {
            AuditAction::UserList
        };
        let mut details = json!({
            "via": "scim",
            "filter": q.filter,
            "sort_by": q.sort_by,
            "sort_order": q.sort_order,
            "start_index": q.start_index,
            "count": q.count,
        });
        let draft = self.draft(ctx, Some(tenant), action);
        let names = self.attribute_names(tenant).await?;
        let search = match Self::parse_query(q, &names) {
            Ok(s) => s,
            Err(e) => return Err(self.refuse(draft.details(details), e).await),
        };
        let (total, users) = self.store.search_users(tenant.id, &search).await?;
        details["returned"] = json!(users.len());
        details["total"] = json!(total);
        self.store.append_audit(draft.details(details)).await?;
        Ok(ScimPage {
            total,
            start_index: search.offset + 1,
            users,
        })
    }

    /// One user by id, audited as a view. Anything that is not the id of
    /// a user of the tenant is not found.
    pub async fn scim_get_user(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
    ) -> Result<User, Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::UserView)
            .details(json!({"via": "scim"}));
        let (uid, draft) = self.scim_target(draft, "user", Missing::User, id).await?;
        match self.store.get_user(tenant.id, uid).await? {
            Some(user) => {
                self.store.append_audit(draft).await?;
                Ok(user)
            }
            None => Err(self.refuse(draft, Error::NotFound(Missing::User)).await),
        }
    }

    /// Creates a user from a SCIM User resource: `active` (the default)
    /// or, with `active: false`, disabled. No invitation is sent: the
    /// provisioning client owns the account, and the user signs in through
    /// it or sets a password through a reset link.
    pub async fn scim_create_user(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        body: &Value,
    ) -> Result<User, Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::UserCreate)
            .details(json!({"via": "scim"}));
        let ext = self.scim_extensions(tenant).await?;
        let attrs = self.attribute_set(tenant).await?;
        let parsed = read_user(body, &ext).and_then(|input| {
            let mut fields = input.fields;
            // A create leaves unset what the body does not give.
            fields.retain(|_, v| !v.is_null());
            if let Some(Value::Object(a)) = fields.get_mut("attributes") {
                a.retain(|_, v| !v.is_null());
            }
            fields.insert("activate".into(), json!(true));
            NewUser::from_json(Value::Object(fields), &attrs)
                .map(|n| (n, input.active, input.roles))
        });
        let (new, active, roles) = self.accept(&draft, parsed).await?;
        let roles = self
            .accept(&draft, self.scim_wanted_roles(tenant, &roles).await)
            .await?;
        let state = if active == Some(false) {
            UserState::Disabled
        } else {
            UserState::Active
        };
        self.create_user_in_state(tenant, ctx, new, state, json!({"via": "scim"}), roles)
            .await
    }

    /// Replaces a user with a SCIM User resource (PUT).
    pub async fn scim_replace_user(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
        if_match: Option<i64>,
        body: &Value,
    ) -> Result<User, Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::UserUpdate)
            .details(json!({"via": "scim", "method": "PUT"}));
        let (uid, draft) = self.scim_target(draft, "user", Missing::User, id).await?;
        let ext = self.scim_extensions(tenant).await?;
        let input = self.accept(&draft, read_user(body, &ext)).await?;
        let held = self.held_roles(tenant, uid).await?;
        let write = self
            .accept(
                &draft,
                self.replacement(tenant, uid, if_match, input, &held, draft.clone())
                    .await,
            )
            .await?;
        self.store.modify_user(write).await
    }

    /// The tenant's own roles user `uid` holds now.
    async fn held_roles(&self, tenant: &Tenant, uid: UserId) -> Result<Vec<RoleName>, Error> {
        Ok(self
            .scim_roles_of(tenant, &[uid])
            .await?
            .remove(&uid)
            .unwrap_or_default())
    }

    /// Applies a SCIM PATCH to a user: the operations are applied to the
    /// resource as stored, and the result replaces the user in one write
    /// under the version they were applied to.
    pub async fn scim_patch_user(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
        if_match: Option<i64>,
        body: &Value,
    ) -> Result<User, Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::UserUpdate)
            .details(json!({"via": "scim", "method": "PATCH"}));
        let (uid, draft) = self.scim_target(draft, "user", Missing::User, id).await?;
        let ops = self.accept(&draft, parse_patch(body)).await?;
        let ext = self.scim_extensions(tenant).await?;
        let schema = UserPatchSchema { ext: &ext };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(current) = self.store.get_user(tenant.id, uid).await? else {
                return Err(self.refuse(draft, Error::NotFound(Missing::User)).await);
            };
            if let Err(e) = Error::check_version(if_match, current.version) {
                return Err(self.refuse(draft, e).await);
            }
            // Roles are no field of the user (they make no new version):
            // the operations apply to the roles held now, and the write
            // gives and takes only what they changed.
            let held = self.held_roles(tenant, uid).await?;
            let mut resource = user_resource(&current, &held, self.clock.now(), "", &ext);
            let prepared =
                apply_patch(&mut resource, &ops, &schema).and_then(|()| read_user(&resource, &ext));
            let input = self.accept(&draft, prepared).await?;
            let version = Some(current.version);
            let write = self
                .accept(
                    &draft,
                    self.replacement(tenant, uid, version, input, &held, draft.clone())
                        .await,
                )
                .await?;
            match self.store.modify_user(write).await {
                // Someone else wrote in between: apply the operations again
                // to what they left, unless the client named a version.
                Err(Error::VersionMismatch { .. })
                    if if_match.is_none() && attempt < PATCH_ATTEMPTS => {}
                other => return other,
            }
        }
    }

    /// The write that makes user `uid` what `input` describes: its fields
    /// replaced, its roles (it holds `held`) made exactly those `input`
    /// names, and, when `active` says so, disabled or enabled with it.
    async fn replacement(
        &self,
        tenant: &Tenant,
        uid: UserId,
        if_match: Option<i64>,
        input: UserInput,
        held: &[RoleName],
        draft: AuditDraft,
    ) -> Result<UserWrite, Error> {
        let attrs = self.attribute_set(tenant).await?;
        let patch = UserPatch::from_json(Value::Object(input.fields), &attrs);
        let wanted = self.scim_wanted_roles(tenant, &input.roles).await;
        // Every bad attribute is named at once, the roles' with the rest.
        let (patch, wanted) = match (patch, wanted) {
            (Ok(p), Ok(w)) => (p, w),
            (Err(Error::Validation(mut a)), Err(Error::Validation(b))) => {
                a.0.extend(b.0);
                return Err(Error::Validation(a));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        // Each change is its own event, as the roles API records it.
        let each = draft.clone().details(json!({"via": "scim"}));
        let roles = RoleWrites::to_hold(held, &wanted, each);
        let now = self.clock.now();
        let active = input.active;
        Ok(UserWrite {
            tenant_id: tenant.id,
            user_id: uid,
            if_match,
            now,
            mutation: Box::new(move |user: &mut User| {
                let email_before = user.email.clone();
                patch.apply(user);
                let mut effects = Effects::of_edit(&email_before, user);
                effects.roles = roles;
                let disabled = user.state(now) == UserState::Disabled;
                let action = match active {
                    Some(false) if !disabled => Some(Action::Disable),
                    Some(true) if disabled => Some(Action::Enable),
                    _ => None,
                };
                if let Some(action) = action {
                    let next = transition(
                        action,
                        user.state(now),
                        user.archived,
                        user.signup_completed_at.is_some(),
                    )?;
                    user.invitation_expires_at = None;
                    if action == Action::Disable {
                        effects.revoke_access = true;
                    }
                    user.stored_state = next;
                }
                Ok(effects)
            }),
            audit: draft,
        })
    }

    /// Deletes a user (SCIM DELETE); an id that is not a UUID is not found.
    pub async fn scim_delete_user(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
        if_match: Option<i64>,
    ) -> Result<User, Error> {
        if Uuid::parse_str(id).is_err() {
            let draft = self
                .draft(ctx, Some(tenant), AuditAction::UserDelete)
                .details(json!({"via": "scim", "id": id}));
            return Err(self.refuse(draft, Error::NotFound(Missing::User)).await);
        }
        self.delete_user(tenant, ctx, id, if_match).await
    }
}

/// A `sortBy` value: an attribute path, possibly URN-qualified.
fn parse_attr_path(text: &str) -> Result<AttrPath, Error> {
    match crate::scim::PatchPath::parse(text) {
        Ok(crate::scim::PatchPath::Attr(p)) => Ok(p),
        _ => Err(Error::bad_request(
            ErrorCode::InvalidSort,
            format!("sortBy must name an attribute such as userName or meta.created, not {text:?}"),
        )),
    }
}
