//! Creating, reading, listing, editing, acting on and deleting users.

use super::Services;
use crate::attribute::AttributeSet;
use crate::audit::{AuditAction, AuditContext, AuditDraft};
use crate::error::{Error, ErrorCode, Missing};
use crate::ids::UserId;
use crate::list_filters::{LoginFilter, SearchFields};
use crate::listing::{Cursor, Page, UserQuery, parse_limit};
use crate::role::RoleName;
use crate::scope::AdminScope;
use crate::search::SearchPrefix;
use crate::store::{DeleteGuard, Effects, LinkKind, RoleWrites, UserWrite};
use crate::tenant::Tenant;
use crate::user::state::{Action, transition};
use crate::user::{BlockedBy, LOCAL_SOURCE, NewUser, User, UserPatch, UserState};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// The raw parameters of a list request, as they arrive.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub search: Option<String>,
    pub state: Option<String>,
    pub archived: Option<String>,
    pub mfa: Option<String>,
    /// Only holders of this role.
    pub role: Option<String>,
    /// The properties a search looks at (`email,name,…`).
    pub fields: Option<String>,
    pub last_login_before: Option<String>,
    pub last_login_after: Option<String>,
    pub never_logged_in: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl ListParams {
    fn parse(&self, tenant: &Tenant, now: OffsetDateTime) -> Result<UserQuery, Error> {
        let search = match self.search.as_deref() {
            Some(s) if !s.trim().is_empty() => Some(SearchPrefix::parse(
                s,
                tenant.settings.min_search_length as usize,
            )?),
            Some(s) if !s.is_empty() => {
                return Err(Error::bad_request(
                    ErrorCode::SearchTooShort,
                    format!(
                        "search needs at least {} characters",
                        tenant.settings.min_search_length
                    ),
                ));
            }
            _ => None,
        };
        let state = match self.state.as_deref() {
            None | Some("") => None,
            Some(s) => Some(UserState::parse(s).ok_or_else(|| {
                Error::bad_request(
                    ErrorCode::InvalidStateFilter,
                    "state must be one of not_invited, pending_invitation, expired_invitation, active, blocked, disabled",
                )
            })?),
        };
        let archived = match self.archived.as_deref() {
            None | Some("") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => {
                return Err(Error::bad_request(
                    ErrorCode::InvalidArchivedFilter,
                    "archived must be true or false",
                ));
            }
        };
        let mfa = match self.mfa.as_deref() {
            None | Some("") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => {
                return Err(Error::bad_request(
                    ErrorCode::InvalidMfaFilter,
                    "mfa must be true or false",
                ));
            }
        };
        let role = match self.role.as_deref() {
            None | Some("") => None,
            Some(r) => Some(RoleName::parse("role", r).map_err(|_| {
                Error::bad_request(
                    ErrorCode::InvalidParameter,
                    "role must be a role name: 1 to 64 letters, digits, _, . and -",
                )
            })?),
        };
        let fields = match self.fields.as_deref() {
            None | Some("") => None,
            Some(f) => Some(SearchFields::parse(f)?),
        };
        let last_login = LoginFilter::parse(
            self.last_login_before.as_deref(),
            self.last_login_after.as_deref(),
            self.never_logged_in.as_deref(),
        )?;
        Ok(UserQuery {
            // Fields matter only to a search.
            fields: fields.filter(|_| search.is_some()),
            search,
            state,
            archived,
            mfa,
            limit: parse_limit(self.limit)?,
            cursor: Cursor::decode(self.cursor.as_deref())?,
            now,
            scope: None,
            role,
            last_login,
        })
    }

    /// The query as the audit event records it, with the admin scope it
    /// was answered within, if any.
    fn audit_details(&self, ctx: &AuditContext) -> Value {
        json!({
            "search": self.search,
            "state": self.state,
            "archived": self.archived,
            "mfa": self.mfa,
            "role": self.role,
            "fields": self.fields,
            "last_login_before": self.last_login_before,
            "last_login_after": self.last_login_after,
            "never_logged_in": self.never_logged_in,
            "limit": self.limit,
            "cursor": self.cursor,
            "scope": ctx.scope.as_ref().map(AdminScope::to_json),
        })
    }
}

/// How a new user starts: its state, the invitation sent with it, whether
/// its signup counts as completed, and the tenant roles it holds.
struct Created {
    state: UserState,
    pending: Option<super::links::PendingLink>,
    signed_up: bool,
    roles: Vec<RoleName>,
}

impl Services {
    /// The tenant's attribute definitions, compiled for validating values.
    /// The store checks again that every name still exists when it writes.
    pub async fn attribute_set(&self, tenant: &Tenant) -> Result<AttributeSet, Error> {
        if let Some(defs) = self.caches.attributes.get(&tenant.id) {
            return Ok(AttributeSet::new(defs));
        }
        let defs = self.store.list_attributes(tenant.id).await?;
        self.caches.attributes.put(tenant.id, defs.clone());
        Ok(AttributeSet::new(defs))
    }

    /// Creates a user from a JSON body (`POST /users`).
    pub async fn create_user(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        body: Value,
    ) -> Result<User, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::UserCreate);
        let attrs = self.attribute_set(tenant).await?;
        let new = self
            .accept(&draft, NewUser::from_json(body, &attrs))
            .await?;
        self.accept(&draft, within_scope(ctx, &new)).await?;
        self.create_validated_user(tenant, ctx, new).await
    }

    /// Creates a user from input already validated (CLI, imports).
    pub async fn create_validated_user(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        new: NewUser,
    ) -> Result<User, Error> {
        let now = self.clock.now();
        let (state, pending) = if new.activate {
            (UserState::Active, None)
        } else if new.send_invitation {
            let pending = self.new_link(tenant, LinkKind::Invitation, now);
            (UserState::PendingInvitation, Some(pending))
        } else {
            (UserState::NotInvited, None)
        };
        let created = Created {
            state,
            pending,
            signed_up: new.activate,
            roles: Vec::new(),
        };
        self.insert_user(tenant, ctx, new, created, json!({})).await
    }

    /// Creates a user directly in `state` (SCIM: `active`, or `disabled`
    /// for `active: false`), its signup counted as completed so that an
    /// enable makes it active, holding the tenant roles `roles` from the
    /// start. `details` go to the audit events.
    pub(crate) async fn create_user_in_state(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        new: NewUser,
        state: UserState,
        details: Value,
        roles: Vec<RoleName>,
    ) -> Result<User, Error> {
        let created = Created {
            state,
            pending: None,
            signed_up: true,
            roles,
        };
        self.insert_user(tenant, ctx, new, created, details).await
    }

    async fn insert_user(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        new: NewUser,
        created: Created,
        mut details: Value,
    ) -> Result<User, Error> {
        let Created {
            state,
            pending,
            signed_up,
            roles,
        } = created;
        let now = self.clock.now();
        let id = UserId::generate();
        let user = User {
            id,
            tenant_id: tenant.id,
            email: new.email,
            first_name: new.first_name,
            last_name: new.last_name,
            display_name: new.display_name,
            phone: new.phone,
            personal_email: new.personal_email,
            username: new.username,
            language: new.language,
            stored_state: state,
            invitation_expires_at: pending.as_ref().map(|p| p.expires_at()),
            archived: false,
            source: LOCAL_SOURCE.to_owned(),
            external_id: new.external_id,
            attributes: new.attributes,
            created_at: now,
            updated_at: now,
            signup_completed_at: signed_up.then_some(now),
            last_login_at: None,
            last_failed_login_at: None,
            mfa_enrolled: false,
            version: 1,
            blocked_by: None,
        };
        // Each role given is recorded as the roles API records it.
        let each = self
            .draft(ctx, Some(tenant), AuditAction::UserRoleAssign)
            .target("user", id)
            .details(details.clone());
        let roles = RoleWrites::to_hold(&[], &roles, each);
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::UserCreate)
            .target("user", id)
            .details({
                details["email"] = json!(user.email);
                details["state"] = json!(state);
                details["invitation_sent"] = json!(pending.is_some());
                details
            });
        let mut effects = pending.map(|p| p.into_effects(&user)).unwrap_or_default();
        effects.roles = roles;
        self.store.create_user(user, effects, draft).await
    }

    /// One user, audited as a view.
    pub async fn get_user(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
    ) -> Result<User, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::UserView);
        let id = match Self::parse_user_id(id) {
            Ok(id) => id,
            Err(e) => return Err(self.refuse(draft.details(json!({"id": id})), e).await),
        };
        let draft = draft.target("user", id);
        match self.store.get_user(tenant.id, id).await? {
            Some(user) => {
                self.store.append_audit(draft).await?;
                Ok(user)
            }
            None => Err(self.refuse(draft, Error::NotFound(Missing::User)).await),
        }
    }

    /// A page of the user list or of a search, audited with its query.
    pub async fn list_users(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        params: &ListParams,
    ) -> Result<Page<User>, Error> {
        let action = if params.search.as_deref().is_some_and(|s| !s.is_empty()) {
            AuditAction::UserSearch
        } else {
            AuditAction::UserList
        };
        let mut details = params.audit_details(ctx);
        let draft = self.draft(ctx, Some(tenant), action);
        let query = match params.parse(tenant, self.clock.now()) {
            Ok(q) => UserQuery {
                scope: ctx.scope.clone(),
                ..q
            },
            Err(e) => return Err(self.refuse(draft.details(details), e).await),
        };
        // A tenant that lists nobody until a search is given.
        if query.search.is_none() && tenant.settings.list_requires_search {
            details["search_required"] = json!(true);
            self.store.append_audit(draft.details(details)).await?;
            return Ok(Page {
                items: Vec::new(),
                total: 0,
                prev: None,
                next: None,
            });
        }
        let page = self.store.list_users(tenant.id, &query).await?;
        details["returned"] = json!(page.items.len());
        details["total"] = json!(page.total);
        self.store.append_audit(draft.details(details)).await?;
        Ok(page)
    }

    /// Starts an export of the users a list with `params` would show
    /// (`cursor` and `limit` ignored): validates the filters and audits the
    /// export. Answers the query of the first page and the tenant's
    /// attribute names (the CSV columns after the fixed ones); the caller
    /// walks the pages with [`Services::export_page`].
    pub async fn start_export(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        params: &ListParams,
        format: &str,
    ) -> Result<(UserQuery, Vec<String>), Error> {
        let mut details = params.audit_details(ctx);
        details["format"] = json!(format);
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::UserExport)
            .details(details);
        let params = ListParams {
            limit: None,
            cursor: None,
            ..params.clone()
        };
        let mut query = self
            .accept(&draft, params.parse(tenant, self.clock.now()))
            .await?;
        query.limit = crate::export::EXPORT_PAGE;
        query.scope = ctx.scope.clone();
        let mut attributes: Vec<String> = self
            .attribute_set(tenant)
            .await?
            .definitions()
            .map(|d| d.name.as_str().to_owned())
            .collect();
        attributes.sort();
        self.store.append_audit(draft).await?;
        Ok((query, attributes))
    }

    /// One page of an export started with [`Services::start_export`].
    pub async fn export_page(
        &self,
        tenant: &Tenant,
        query: &UserQuery,
    ) -> Result<Page<User>, Error> {
        Ok(self.store.list_users(tenant.id, query).await?)
    }

    /// Applies a JSON merge patch to a user's profile.
    pub async fn edit_user(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
        if_match: Option<i64>,
        body: Value,
    ) -> Result<User, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::UserUpdate);
        let uid = match Self::parse_user_id(id) {
            Ok(id) => id,
            Err(e) => return Err(self.refuse(draft.details(json!({"id": id})), e).await),
        };
        let draft = draft.target("user", uid);
        let attrs = self.attribute_set(tenant).await?;
        let patch = self
            .accept(&draft, UserPatch::from_json(body, &attrs))
            .await?;
        let write = UserWrite {
            tenant_id: tenant.id,
            user_id: uid,
            if_match,
            now: self.clock.now(),
            mutation: Box::new(move |user: &mut User| {
                let email_before = user.email.clone();
                patch.apply(user);
                Ok(Effects::of_edit(&email_before, user))
            }),
            audit: draft,
        };
        self.store.modify_user(write).await
    }

    /// A lifecycle action: block, unblock, disable, enable, archive, or
    /// (re)sending the invitation.
    pub async fn act_on_user(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
        if_match: Option<i64>,
        action: Action,
    ) -> Result<User, Error> {
        let draft = self.draft(ctx, Some(tenant), action.audit_name());
        let uid = match Self::parse_user_id(id) {
            Ok(id) => id,
            Err(e) => return Err(self.refuse(draft.details(json!({"id": id})), e).await),
        };
        let caller = BlockedBy {
            admin_id: ctx.actor.person(),
            scope: ctx.scope.clone(),
        };
        let draft = draft.target("user", uid);
        let write = self.action_write(tenant, uid, if_match, action, caller, draft);
        self.store.modify_user(write).await
    }

    /// The write of a lifecycle action on one user (also run by bulk
    /// processes). `caller` is who acts and under which scope: a block
    /// records it, an unblock must be allowed by the block's record.
    pub(crate) fn action_write(
        &self,
        tenant: &Tenant,
        uid: UserId,
        if_match: Option<i64>,
        action: Action,
        caller: BlockedBy,
        audit: AuditDraft,
    ) -> UserWrite {
        let now = self.clock.now();
        let invitation = (action == Action::SendInvitation)
            .then(|| self.new_link(tenant, LinkKind::Invitation, now));
        UserWrite {
            tenant_id: tenant.id,
            user_id: uid,
            if_match,
            now,
            mutation: Box::new(move |user: &mut User| {
                let current = user.state(now);
                let next = transition(
                    action,
                    current,
                    user.archived,
                    user.signup_completed_at.is_some(),
                )?;
                // Whatever takes a user out of a block (an unblock, or a
                // disable that an enable would follow) lifts it.
                if next != UserState::Blocked
                    && let Some(made) = user.block_record()
                {
                    made.check_lift(caller.scope.as_ref())?;
                }
                let mut effects = Effects::default();
                match action {
                    Action::Archive => user.archived = true,
                    Action::Disable => {
                        user.invitation_expires_at = None;
                        effects.revoke_access = true;
                    }
                    Action::SendInvitation => {
                        if let Some(pending) = invitation {
                            user.invitation_expires_at = Some(pending.expires_at());
                            effects = pending.into_effects(user);
                        }
                    }
                    Action::Enable => user.invitation_expires_at = None,
                    Action::Block | Action::Unblock => {}
                }
                user.blocked_by = match next {
                    UserState::Blocked if action == Action::Block => Some(caller),
                    UserState::Blocked => user.blocked_by.take(),
                    _ => None,
                };
                user.stored_state = next;
                Ok(effects)
            }),
            audit,
        }
    }

    /// The check a deletion makes on the user first: the tenant may require
    /// a disabled user, and a quarantined one is deleted only from the
    /// scope that blocked them or tenant-wide (`scope`: the caller's).
    pub(crate) fn delete_guard(&self, tenant: &Tenant, scope: Option<AdminScope>) -> DeleteGuard {
        let require_disabled = tenant.settings.require_disable_before_delete;
        let now = self.clock.now();
        Box::new(move |user: &User| {
            if let Some(made) = user.block_record() {
                made.check_lift(scope.as_ref())?;
            }
            if require_disabled && user.state(now) != UserState::Disabled {
                return Err(Error::conflict(
                    ErrorCode::NotDisabled,
                    "this tenant requires a user to be disabled before it is deleted",
                ));
            }
            Ok(())
        })
    }

    /// Deletes a user for good; the email becomes free again.
    pub async fn delete_user(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
        if_match: Option<i64>,
    ) -> Result<User, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::UserDelete);
        let uid = match Self::parse_user_id(id) {
            Ok(id) => id,
            Err(e) => return Err(self.refuse(draft.details(json!({"id": id})), e).await),
        };
        let guard = self.delete_guard(tenant, ctx.scope.clone());
        self.store
            .delete_user(tenant.id, uid, if_match, guard, draft.target("user", uid))
            .await
    }
}

/// A scoped admin creates only users of their scope: an attribute scope's
/// value must be given; a group scope's admin creates nobody, since a new
/// user is in no group.
fn within_scope(ctx: &AuditContext, new: &NewUser) -> Result<(), Error> {
    match ctx.scope.as_ref().map(|s| s.holds_for(&new.attributes)) {
        None | Some(Some(true)) => Ok(()),
        Some(Some(false)) => Err(Error::Forbidden(
            "a scoped admin creates users of their scope only: give the scope's attribute its value"
                .into(),
        )),
        Some(None) => Err(Error::Forbidden(
            "an admin scoped to a group cannot create users: a new user is in no group".into(),
        )),
    }
}
