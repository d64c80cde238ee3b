//! Who may call what. Each admin route needs one [`Permission`]; each
//! built-in [`AdminRole`] holds a fixed set of them. [`ROUTES`] is the one
//! table that says which permission a route needs: the HTTP layer looks a
//! request up in it before any handler runs, and the matrix in
//! `docs/admin-roles.md` is made from it (a test fails when they differ).
//! A route missing from the table is refused to everyone but a super-admin,
//! so that a new route is closed until someone decides who may call it.

use std::fmt;

/// The built-in admin roles, from the most to the least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminRole {
    /// Everything in the tenant.
    TenantAdmin,
    /// Users, invitations, resets, blocks, sessions and factors; no
    /// settings, tokens, attributes or role definitions.
    UserAdmin,
    /// Views users and sessions, sends invitations and resets, unblocks.
    Helpdesk,
    /// Reads everything that holds no secret, the audit log included.
    Auditor,
    /// Runs bulk processes and imports.
    BulkOperator,
}

impl AdminRole {
    pub const ALL: [AdminRole; 5] = [
        AdminRole::TenantAdmin,
        AdminRole::UserAdmin,
        AdminRole::Helpdesk,
        AdminRole::Auditor,
        AdminRole::BulkOperator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::TenantAdmin => "tenant_admin",
            AdminRole::UserAdmin => "user_admin",
            AdminRole::Helpdesk => "helpdesk",
            AdminRole::Auditor => "auditor",
            AdminRole::BulkOperator => "bulk_operator",
        }
    }

    /// Reads a role name, ignoring case (as role names are compared).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether holding this role lets a person own a token acting as
    /// `other`: the same role, or `tenant_admin`, which may do everything.
    pub fn covers(self, other: AdminRole) -> bool {
        self == AdminRole::TenantAdmin || self == other
    }

    /// Whether this role may do what `permission` covers.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            AdminRole::TenantAdmin => true,
            AdminRole::UserAdmin => matches!(
                permission,
                P::OwnSession | P::ViewUsers | P::SupportUsers | P::ManageUsers | P::ExportUsers
            ),
            AdminRole::Helpdesk => {
                matches!(permission, P::OwnSession | P::ViewUsers | P::SupportUsers)
            }
            AdminRole::Auditor => matches!(
                permission,
                P::OwnSession
                    | P::ViewUsers
                    | P::ExportUsers
                    | P::ViewAudit
                    | P::ViewConfiguration
                    | P::ViewBulk
            ),
            AdminRole::BulkOperator => {
                matches!(
                    permission,
                    P::OwnSession | P::ViewUsers | P::ViewBulk | P::RunBulk
                )
            }
        }
    }
}

impl fmt::Display for AdminRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an admin route does, as far as who may call it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See who one is and end one's own admin session: every admin.
    OwnSession,
    /// Read users, their sessions, factors, groups and roles, and the
    /// tenant's own description: its settings, attributes and roles.
    ViewUsers,
    /// Invite, send password resets, unblock.
    SupportUsers,
    /// Create, edit, block, disable, archive and delete users; end their
    /// sessions; remove their factors; assign them roles.
    ManageUsers,
    /// Download every user at once.
    ExportUsers,
    /// Read the audit log.
    ViewAudit,
    /// Read who the admins are, API tokens and background jobs.
    ViewConfiguration,
    /// Read the outbox, which holds undelivered links: whoever reads it can
    /// take over the accounts they open.
    ReadOutbox,
    /// Read bulk processes and imports.
    ViewBulk,
    /// Upload, start and cancel bulk processes; import users.
    RunBulk,
    /// Change settings, tokens, attributes and role definitions; grant
    /// admin roles; retry jobs.
    Configure,
}

/// Every admin route of a tenant (by method and path as the OpenAPI
/// document writes them) and the permission it needs.
pub const ROUTES: &[(&str, &str, Permission)] = {
    use Permission as P;
    &[
        ("GET", "/api/v1/tenants/{tenant}", P::ViewUsers),
        ("GET", "/api/v1/tenants/{tenant}/settings", P::ViewUsers),
        ("GET", "/api/v1/tenants/{tenant}/admin/me", P::OwnSession),
        (
            "POST",
            "/api/v1/tenants/{tenant}/admin/logout",
            P::OwnSession,
        ),
        ("PATCH", "/api/v1/tenants/{tenant}/settings", P::Configure),
        ("GET", "/api/v1/tenants/{tenant}/users", P::ViewUsers),
        ("POST", "/api/v1/tenants/{tenant}/users", P::ManageUsers),
        (
            "GET",
            "/api/v1/tenants/{tenant}/users/export",
            P::ExportUsers,
        ),
        ("GET", "/api/v1/tenants/{tenant}/users/{id}", P::ViewUsers),
        (
            "PATCH",
            "/api/v1/tenants/{tenant}/users/{id}",
            P::ManageUsers,
        ),
        (
            "DELETE",
            "/api/v1/tenants/{tenant}/users/{id}",
            P::ManageUsers,
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/users/{id}/block",
            P::ManageUsers,
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/users/{id}/unblock",
            P::SupportUsers,
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/users/{id}/disable",
            P::ManageUsers,
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/users/{id}/enable",
            P::ManageUsers,
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/users/{id}/archive",
            P::ManageUsers,
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/users/{id}/invitation",
            P::SupportUsers,
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/users/{id}/password-reset",
            P::SupportUsers,
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/users/{id}/sessions",
            P::ViewUsers,
        ),
        (
            "DELETE",
            "/api/v1/tenants/{tenant}/users/{id}/sessions",
            P::ManageUsers,
        ),
        (
            "DELETE",
            "/api/v1/tenants/{tenant}/users/{id}/sessions/{sid}",
            P::ManageUsers,
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/users/{id}/factors",
            P::ViewUsers,
        ),
        (
            "DELETE",
            "/api/v1/tenants/{tenant}/users/{id}/factors/{fid}",
            P::ManageUsers,
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/users/{id}/recovery-codes/revoke",
            P::ManageUsers,
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/users/{id}/mfa-reset",
            P::ManageUsers,
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/users/{id}/groups",
            P::ViewUsers,
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/users/{id}/roles",
            P::ViewUsers,
        ),
        (
            "PUT",
            "/api/v1/tenants/{tenant}/users/{id}/roles/{role}",
            P::ManageUsers,
        ),
        (
            "DELETE",
            "/api/v1/tenants/{tenant}/users/{id}/roles/{role}",
            P::ManageUsers,
        ),
        ("GET", "/api/v1/tenants/{tenant}/groups", P::ViewUsers),
        ("GET", "/api/v1/tenants/{tenant}/attributes", P::ViewUsers),
        ("POST", "/api/v1/tenants/{tenant}/attributes", P::Configure),
        (
            "DELETE",
            "/api/v1/tenants/{tenant}/attributes/{name}",
            P::Configure,
        ),
        ("GET", "/api/v1/tenants/{tenant}/roles", P::ViewUsers),
        ("POST", "/api/v1/tenants/{tenant}/roles", P::Configure),
        (
            "DELETE",
            "/api/v1/tenants/{tenant}/roles/{name}",
            P::Configure,
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/admins",
            P::ViewConfiguration,
        ),
        (
            "PUT",
            "/api/v1/tenants/{tenant}/users/{id}/admin-roles/{role}",
            P::Configure,
        ),
        (
            "DELETE",
            "/api/v1/tenants/{tenant}/users/{id}/admin-roles/{role}",
            P::Configure,
        ),
        ("GET", "/api/v1/tenants/{tenant}/audit", P::ViewAudit),
        ("GET", "/api/v1/tenants/{tenant}/outbox", P::ReadOutbox),
        ("GET", "/api/v1/tenants/{tenant}/jobs", P::ViewConfiguration),
        (
            "POST",
            "/api/v1/tenants/{tenant}/jobs/{id}/retry",
            P::Configure,
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/tokens",
            P::ViewConfiguration,
        ),
        ("POST", "/api/v1/tenants/{tenant}/tokens", P::Configure),
        (
            "DELETE",
            "/api/v1/tenants/{tenant}/tokens/{id}",
            P::Configure,
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/bulk-processes",
            P::ViewBulk,
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/bulk-processes",
            P::RunBulk,
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/bulk-processes/{id}",
            P::ViewBulk,
        ),
        (
            "GET",
            "/api/v1/tenants/{tenant}/bulk-processes/{id}/rows",
            P::ViewBulk,
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/bulk-processes/{id}/start",
            P::RunBulk,
        ),
        (
            "POST",
            "/api/v1/tenants/{tenant}/bulk-processes/{id}/cancel",
            P::RunBulk,
        ),
        ("GET", "/api/v1/tenants/{tenant}/imports", P::ViewBulk),
        ("POST", "/api/v1/tenants/{tenant}/imports", P::RunBulk),
        ("GET", "/api/v1/tenants/{tenant}/imports/{id}", P::ViewBulk),
    ]
};

/// Whether an admin whose roles are held for a scope may call route
/// `method path` (which their roles must allow as well). They work on
/// users: the user routes (each user's answered only when in the scope,
/// lists and exports counting the scope alone), reads of the tenant's
/// settings and attributes, and the API tokens of their scope (a token
/// they make acts on their scope, and they see and revoke only such
/// tokens). Everything tenant-wide is closed to them: the audit log, bulk
/// processes, imports, jobs, the admins and their grants, groups (they
/// list members), the role list (it counts holders), and every change of
/// settings, attributes or roles, since each would show or touch users
/// outside the scope.
pub fn open_to_scoped(method: &str, path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/api/v1/tenants/{tenant}") else {
        return false;
    };
    // Groups list their members, and the role list counts every holder:
    // both would show what lies outside the scope.
    if rest.starts_with("/users") {
        return !rest.contains("/admin-roles/") && !rest.ends_with("/groups");
    }
    match rest {
        "/admin/me" | "/admin/logout" | "/tokens" | "/tokens/{id}" => true,
        "" | "/settings" | "/attributes" => method == "GET",
        _ => false,
    }
}

/// The permission route `method path` needs; `None` for a route not in
/// [`ROUTES`], which no tenant role may call.
pub fn permission_for(method: &str, path: &str) -> Option<Permission> {
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, permission)| *permission)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrix in `docs/admin-roles.md`: one row a route, one column a
    /// role, `yes` where the role may call it.
    fn matrix() -> String {
        let mut out = String::from("| method | route |");
        for role in AdminRole::ALL {
            out.push_str(&format!(" {role} |"));
        }
        out.push_str(" scoped |");
        out.push_str("\n|---|---|");
        out.push_str(&"---|".repeat(AdminRole::ALL.len() + 1));
        out.push('\n');
        for (method, path, permission) in ROUTES {
            let short = path.trim_start_matches("/api/v1/tenants/{tenant}");
            let short = if short.is_empty() { "/" } else { short };
            out.push_str(&format!("| {method} | `{short}` |"));
            for role in AdminRole::ALL {
                out.push_str(if role.allows(*permission) {
                    " yes |"
                } else {
                    " no |"
                });
            }
            out.push_str(if open_to_scoped(method, path) {
                " yes |"
            } else {
                " no |"
            });
            out.push('\n');
        }
        out
    }

    #[test]
    fn the_matrix_in_the_docs_is_the_one_enforced() {
        crate::doc_tables::check("docs/admin-roles.md", "route-matrix", &matrix());
    }

    #[test]
    fn each_route_is_listed_once_and_tenant_admin_may_call_all_of_them() {
        let mut seen = std::collections::HashSet::new();
        for (method, path, permission) in ROUTES {
            assert!(seen.insert((method, path)), "{method} {path} twice");
            assert!(path.starts_with("/api/v1/tenants/{tenant}"), "{path}");
            assert!(AdminRole::TenantAdmin.allows(*permission));
        }
    }

    #[test]
    fn nothing_destructive_is_open_to_helpdesk_auditor_or_bulk_operator() {
        for (method, path, permission) in ROUTES {
            if *method == "DELETE" {
                for role in [AdminRole::Helpdesk, AdminRole::Auditor] {
                    assert!(!role.allows(*permission), "{role} {method} {path}");
                }
            }
            // Logging out is the one thing an auditor does that is no read.
            if *method != "GET" && *permission != Permission::OwnSession {
                assert!(!AdminRole::Auditor.allows(*permission), "{method} {path}");
            }
        }
        assert!(!AdminRole::UserAdmin.allows(Permission::RunBulk));
        assert!(!AdminRole::UserAdmin.allows(Permission::Configure));
    }

    #[test]
    fn role_names_read_in_any_case_and_unknown_routes_need_no_tenant_role() {
        assert_eq!(AdminRole::parse("User_Admin"), Some(AdminRole::UserAdmin));
        assert_eq!(AdminRole::parse("admin"), None);
        assert_eq!(permission_for("GET", "/api/v1/tenants"), None);
        assert_eq!(
            permission_for("GET", "/api/v1/tenants/{tenant}/audit"),
            Some(Permission::ViewAudit)
        );
    }
}
