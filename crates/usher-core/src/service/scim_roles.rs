//! SCIM `roles`: the tenant's own roles users hold, read for their
//! resources (a page in one read), the roles a SCIM body names checked
//! against the tenant's, and `/Schemas`, which offers them.
//!
//! A SCIM write sets the roles a user holds to exactly those its result
//! names, in the same store write as the user's other attributes (see
//! [`crate::store::RoleWrites::to_hold`]): a name the tenant has no role
//! for refuses the whole request before anything is written.

use super::Services;
use crate::error::{Error, ValidationErrors};
use crate::ids::UserId;
use crate::role::{BuiltInNames, KnownRoles, RoleName, own_roles};
use crate::scim::resource::ROLES;
use crate::tenant::Tenant;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Up to this many distinct names a body's roles are looked up one by
/// one; beyond, the tenant's roles are read at once.
const LOOKUPS: usize = 16;

impl Services {
    /// The tenant's own roles each of `users` holds (built-in admin roles
    /// left out: SCIM does not show them), in one read.
    pub(crate) async fn scim_roles_of(
        &self,
        tenant: &Tenant,
        users: &[UserId],
    ) -> Result<BTreeMap<UserId, Vec<RoleName>>, Error> {
        let held = self.store.role_names_of(tenant.id, users).await?;
        Ok(held
            .into_iter()
            .map(|(id, names)| (id, own_roles(&names)))
            .filter(|(_, names)| !names.is_empty())
            .collect())
    }

    /// The roles `names` (a SCIM body's `roles` values) name, each one of
    /// the tenant's own, found ignoring case. Every other name is refused
    /// at once, as an invalid value of `roles`; so is a built-in admin role.
    pub(crate) async fn scim_wanted_roles(
        &self,
        tenant: &Tenant,
        names: &[String],
    ) -> Result<Vec<RoleName>, Error> {
        let asked: BTreeSet<RoleName> = names
            .iter()
            .filter_map(|n| RoleName::parse(ROLES, n.trim()).ok())
            .filter(|n| !n.is_built_in())
            .collect();
        let known = if asked.len() <= LOOKUPS {
            let mut found = Vec::with_capacity(asked.len());
            for name in &asked {
                if let Some(role) = self.store.find_role(tenant.id, name).await? {
                    found.push(role.name);
                }
            }
            KnownRoles::new(found)
        } else {
            let all = self.store.list_roles(tenant.id).await?;
            KnownRoles::new(all.into_iter().map(|(r, _)| r.name))
        };
        known
            .resolve(ROLES, names, BuiltInNames::Refuse)
            .map_err(|e| Error::Validation(ValidationErrors(e)))
    }

    /// `/Schemas` of the tenant: its custom attributes in the extensions,
    /// its roles as the values `roles` takes.
    pub async fn scim_schemas(&self, tenant: &Tenant, base: &str) -> Result<Vec<Value>, Error> {
        let ext = self.scim_extensions(tenant).await?;
        let roles: Vec<String> = self
            .store
            .list_roles(tenant.id)
            .await?
            .into_iter()
            .map(|(r, _)| r.name.as_str().to_owned())
            .collect();
        Ok(crate::scim::schemas::schemas(base, &ext, &roles))
    }
}
