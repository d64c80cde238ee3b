//! Admins as people: a user holding a built-in admin role logs in to the
//! admin side with their password and, always, a second factor (enrolled
//! at that login when they have none), and gets an admin session whose
//! token is a bearer token for the admin API. The session acts as that
//! person, with the admin roles they hold at each request: taking the last
//! one away, blocking or disabling the person ends what the token can do
//! from the next request on.

use super::Services;
use super::login::{ClientContext, LoginOutcome, clip, invalid_credentials};
use crate::access::AdminRole;
use crate::admin_session::{ADMIN_SEEN_GRANULARITY, ADMIN_TOKEN_PREFIX, AdminRoles, AdminSession};
use crate::audit::{AuditAction, AuditContext};
use crate::error::{Error, ErrorCode, Missing, ValidationErrors};
use crate::ids::{Id, TenantId, UserId};
use crate::input::ObjectReader;
use crate::role::{AdminGrant, ScopeGrant};
use crate::scim::query::{Cond, SortKey, Text, TextColumn, TextOp, UserSearch};
use crate::scope::{AdminScope, ScopeRequest, same_scope, scope_member};
use crate::tenant::Tenant;
use crate::token::Secret;
use crate::user::fields::fold_case;
use crate::user::{User, UserState};
use serde_json::{Value, json};

/// An admin session just opened.
#[derive(Debug, Clone)]
pub struct AdminSignedIn {
    /// The bearer token, shown only now.
    pub token: Secret,
    pub session: AdminSession,
    /// How long the token works if it is not used again.
    pub expires_in: time::Duration,
}

/// The person behind a live admin session.
#[derive(Debug, Clone)]
pub struct AdminPerson {
    pub session: AdminSession,
    pub user: User,
    pub roles: AdminRoles,
    /// The part of the directory the roles are held for; `None`: all.
    pub scope: Option<AdminScope>,
}

/// What a person may administer: their admin roles, on their one scope.
#[derive(Debug, Clone, Default)]
pub(crate) struct AdminAccess {
    pub roles: AdminRoles,
    pub scope: Option<AdminScope>,
}

impl Services {
    /// The built-in admin roles the user holds and the one scope they are
    /// held for. Should the assignments ever name different scopes, the
    /// person holds none of them: access fails closed.
    pub(crate) async fn admin_roles(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<AdminAccess, Error> {
        let held = self.store.user_roles(tenant_id, user_id).await?;
        let admin: Vec<_> = held.iter().filter(|r| r.name.is_built_in()).collect();
        let scope = admin.first().and_then(|r| r.scope.clone());
        if admin
            .iter()
            .any(|r| !same_scope(r.scope.as_ref(), scope.as_ref()))
        {
            return Ok(AdminAccess::default());
        }
        Ok(AdminAccess {
            roles: AdminRoles::of(admin.iter().filter_map(|r| r.name.admin_role())),
            scope,
        })
    }

    /// Whether the tenant's user `user_id` holds a built-in admin role
    /// (`false` for a user that does not exist).
    pub async fn is_admin(&self, tenant: &Tenant, user_id: UserId) -> Result<bool, Error> {
        match self.admin_roles(tenant.id, user_id).await {
            Ok(access) => Ok(!access.roles.is_empty()),
            Err(Error::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The password step of an admin login (`POST /admin/login`). A
    /// wrong password, an unknown email and a user without an admin role
    /// get the same answer; a right one leads to the second factor.
    pub async fn admin_login(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        email: &str,
        password: &str,
        client: ClientContext,
    ) -> Result<LoginOutcome, Error> {
        self.check_password(tenant, ctx, email, password, client, true)
            .await
    }

    /// The second-factor step of an admin login: opens the admin session.
    pub async fn admin_login_second_factor(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        mfa_token: &str,
        code: &str,
        client: ClientContext,
    ) -> Result<AdminSignedIn, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::AdminLoginSecondFactor);
        let (user, challenge, draft) = self
            .pass_second_factor(tenant, ctx, draft, mfa_token, code, true)
            .await?;
        // The role may have been taken between the two steps.
        let roles = self.admin_roles(tenant.id, user.id).await?.roles;
        if roles.is_empty() {
            let draft = draft.details(json!({"reason": "not_an_admin"}));
            return Err(self.refuse(draft, invalid_credentials()).await);
        }
        let now = self.clock.now();
        let session = AdminSession {
            id: Id::generate(),
            tenant_id: tenant.id,
            user_id: user.id,
            created_at: now,
            last_seen_at: now,
            expires_at: now + tenant.settings.admin_session_length(),
            ip: ctx.client_ip.as_deref().map(|ip| clip(ip, 64)),
            user_agent: client
                .user_agent
                .or(challenge.user_agent)
                .map(|ua| clip(&ua, 512)),
        };
        let token = Secret::generate(ADMIN_TOKEN_PREFIX);
        let draft = draft.details(json!({
            "admin_session_id": session.id.to_string(),
            "roles": roles.names(),
        }));
        self.store
            .open_admin_session(session.clone(), token.hash(), draft)
            .await?;
        Ok(AdminSignedIn {
            token,
            expires_in: session.ends_at(tenant.settings.admin_idle_timeout()) - now,
            session,
        })
    }

    /// The person an admin token of `tenant` belongs to, while the session
    /// is live, the person active and an admin; `None` otherwise. A token
    /// of another tenant's session is `tenant_not_found`, as for API tokens.
    pub async fn authenticate_admin(
        &self,
        tenant: &Tenant,
        presented: &str,
    ) -> Result<Option<AdminPerson>, Error> {
        let hash = Secret::from_string(presented.to_owned()).hash();
        let Some(session) = self.store.admin_session(&hash).await? else {
            return Ok(None);
        };
        if session.tenant_id != tenant.id {
            return Err(Error::NotFound(Missing::Tenant));
        }
        let now = self.clock.now();
        if !session.is_live(now, tenant.settings.admin_idle_timeout()) {
            return Ok(None);
        }
        let admin = self.active_admin(tenant.id, session.user_id).await?;
        let Some((user, access)) = admin.filter(|(_, a)| !a.roles.is_empty()) else {
            return Ok(None);
        };
        if now - session.last_seen_at >= ADMIN_SEEN_GRANULARITY {
            self.store.touch_admin_session(session.id, now).await?;
        }
        Ok(Some(AdminPerson {
            session,
            user,
            roles: access.roles,
            scope: access.scope,
        }))
    }

    /// Whether the active admin `owner` of the tenant may still do what a
    /// token acting as `role` on `scope` (`None`: the whole tenant) does: a
    /// token is never more powerful than the person who made it. The owner
    /// must hold a role covering `role`, for the whole tenant or for the
    /// token's very scope; an owner moved to another scope, or narrowed to
    /// one while the token is the whole tenant's, no longer covers it.
    pub(crate) async fn owner_covers(
        &self,
        tenant_id: TenantId,
        owner: UserId,
        role: AdminRole,
        scope: Option<&AdminScope>,
    ) -> Result<bool, Error> {
        let admin = self.active_admin(tenant_id, owner).await?;
        Ok(admin.is_some_and(|(_, a)| {
            (a.scope.is_none() || same_scope(a.scope.as_ref(), scope))
                && a.roles.iter().any(|held| held.covers(role))
        }))
    }

    /// The user, while active, with the admin roles they hold (perhaps
    /// none); `None` for a user who is gone or not active.
    async fn active_admin(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Option<(User, AdminAccess)>, Error> {
        let now = self.clock.now();
        let user = self.store.get_user(tenant_id, user_id).await?;
        let Some(user) = user.filter(|u| u.state(now) == UserState::Active) else {
            return Ok(None);
        };
        let roles = self.admin_roles(tenant_id, user.id).await?;
        Ok(Some((user, roles)))
    }

    /// Whether the tenant's user `user_id` is in `scope` now (`false` for
    /// a user the tenant does not have).
    pub async fn user_in_scope(
        &self,
        tenant: &Tenant,
        user_id: UserId,
        scope: &AdminScope,
    ) -> Result<bool, Error> {
        Ok(self.store.user_in_scope(tenant.id, user_id, scope).await?)
    }

    /// Whether `presented` is the token of an admin session, live or not
    /// (to refuse it where no admin session may call with 403, not 401).
    pub async fn is_admin_token(&self, presented: &str) -> Result<bool, Error> {
        let hash = Secret::from_string(presented.to_owned()).hash();
        Ok(self.store.admin_session(&hash).await?.is_some())
    }

    /// Ends the person's admin session (`POST /admin/logout`).
    pub async fn admin_logout(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        person: &AdminPerson,
    ) -> Result<(), Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::AdminLogout)
            .target("user", person.user.id)
            .details(json!({"admin_session_id": person.session.id.to_string()}));
        self.store
            .end_admin_session(person.session.id, draft)
            .await?;
        Ok(())
    }

    /// Who administers the tenant (`GET /admins`): every built-in admin
    /// role held, by email.
    pub async fn list_admins(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
    ) -> Result<Vec<AdminGrant>, Error> {
        let admins = self.store.list_admins(tenant.id).await?;
        self.store
            .append_audit(
                self.draft(ctx, Some(tenant), AuditAction::AdminList)
                    .details(json!({"returned": admins.len()})),
            )
            .await?;
        Ok(admins)
    }

    /// Gives a user a built-in admin role (`PUT /users/{id}/admin-roles/
    /// {role}`), for the whole tenant (no body, `{}` or `{"scope": null}`)
    /// or for the scope the body names. Granting a role the user holds
    /// again sets its scope. A role that is not a built-in admin role is
    /// `role_not_found`.
    pub async fn grant_admin_role(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        user_id: &str,
        role: &str,
        body: Result<Option<Value>, Error>,
    ) -> Result<bool, Error> {
        let mut draft = self
            .draft(ctx, Some(tenant), AuditAction::UserRoleAssign)
            .details(json!({"role": role, "admin_role": true}));
        let request = self.accept(&draft, body.and_then(scope_in_body)).await?;
        self.accept(&draft, built_in(role)).await?;
        let scope = match request {
            None => None,
            Some(request) => Some(
                self.accept(&draft, self.resolve_scope(tenant, request).await)
                    .await?,
            ),
        };
        draft.details["scope"] = scope.as_ref().map_or(Value::Null, AdminScope::to_json);
        self.give_role(tenant, draft, user_id, role, true, ScopeGrant::Set(scope))
            .await
    }

    /// The scope a request names, looked up in the tenant: the group by its
    /// display name (ignoring case), the attribute among those defined.
    /// Grants and tokens both resolve their scope here.
    pub(super) async fn resolve_scope(
        &self,
        tenant: &Tenant,
        request: ScopeRequest,
    ) -> Result<AdminScope, Error> {
        match request {
            ScopeRequest::Group(name) => {
                let search = UserSearch {
                    cond: Cond::Text {
                        text: Text::Column(TextColumn::GroupName),
                        op: TextOp::Eq,
                        value: fold_case(&name),
                        fold: true,
                    },
                    sort: SortKey::Id,
                    descending: false,
                    offset: 0,
                    limit: 1,
                };
                let (_, found) = self.store.search_groups(tenant.id, &search).await?;
                match found.into_iter().next() {
                    Some(g) => Ok(AdminScope::Group {
                        id: g.id,
                        name: g.display_name.as_str().to_owned(),
                    }),
                    None => Err(Error::Validation(ValidationErrors::single(
                        "scope.group",
                        ErrorCode::UnknownGroup,
                        format!("the tenant has no group named {name:?}"),
                    ))),
                }
            }
            ScopeRequest::Attribute { name, equals } => {
                let attrs = self.attribute_set(tenant).await?;
                let defined = attrs
                    .definitions()
                    .find(|d| d.name.as_str().eq_ignore_ascii_case(&name));
                match defined {
                    Some(d) => Ok(AdminScope::Attribute {
                        name: d.name.as_str().to_owned(),
                        equals,
                    }),
                    None => Err(Error::Validation(ValidationErrors::single(
                        "scope.attribute",
                        ErrorCode::UnknownAttribute,
                        format!("the tenant defines no custom attribute {name:?}"),
                    ))),
                }
            }
        }
    }

    /// Takes a built-in admin role from a user.
    pub async fn revoke_admin_role(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        user_id: &str,
        role: &str,
    ) -> Result<(), Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::UserRoleRemove)
            .details(json!({"role": role, "admin_role": true}));
        self.accept(&draft, built_in(role)).await?;
        self.remove_role(tenant, ctx, user_id, role, true).await
    }
}

/// Only the built-in admin roles are granted as admin roles.
fn built_in(role: &str) -> Result<(), Error> {
    match AdminRole::parse(role) {
        Some(_) => Ok(()),
        None => Err(Error::NotFound(Missing::Role)),
    }
}

/// The scope an admin role grant's body asks for: nothing, `{}` or
/// `{"scope": null}` for the whole tenant.
fn scope_in_body(body: Option<Value>) -> Result<Option<ScopeRequest>, Error> {
    let Some(body) = body else { return Ok(None) };
    let mut r = ObjectReader::new(body).map_err(Error::Validation)?;
    let scope = scope_member(&mut r, "scope");
    let errors = r.finish();
    if errors.is_empty() {
        Ok(scope.into_option())
    } else {
        Err(Error::Validation(errors))
    }
}
