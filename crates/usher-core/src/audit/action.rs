//! The names of audit events: one enum, so that every event Usher records
//! names an action from this list, and the list in `docs/audit.md` is made
//! from it (a test fails when the two differ). The strings are stable: they
//! are what the audit log stores and what clients filter by (`?action=`).

use std::fmt;

/// What an audit event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    AdminForbidden,
    AdminList,
    AdminLogin,
    AdminLoginSecondFactor,
    AdminLogout,
    AttributeCreate,
    AttributeDelete,
    AttributeList,
    AuditChainKeyed,
    AuditList,
    AuditSuppressed,
    AuditVerify,
    BulkCancel,
    BulkComplete,
    BulkCreate,
    BulkFail,
    BulkList,
    BulkRows,
    BulkStart,
    BulkView,
    FactorDelete,
    FactorRecoveryCodesGenerate,
    FactorRecoveryCodesRevoke,
    FactorTotpConfirm,
    FactorTotpEnrol,
    GroupCreate,
    GroupDelete,
    GroupList,
    GroupSearch,
    GroupUpdate,
    GroupView,
    ImportCreate,
    ImportFail,
    ImportList,
    ImportView,
    JobList,
    JobRetry,
    LinkRedeem,
    LoginThrottled,
    MailDelivered,
    MailFailed,
    MailCancel,
    MailRetry,
    OutboxList,
    ScimBulk,
    SessionLogout,
    SessionRefresh,
    SessionRefreshReused,
    SessionRevoke,
    SessionRevokeAll,
    RoleCreate,
    RoleDelete,
    RoleList,
    TenantCreate,
    TenantList,
    TenantSettingsUpdate,
    TenantSettingsView,
    TenantView,
    TokenBootstrap,
    TokenCreate,
    TokenList,
    TokenRevoke,
    UserArchive,
    UserBlock,
    UserCreate,
    UserDelete,
    UserDisable,
    UserEnable,
    UserExport,
    UserFactorsList,
    UserGroups,
    UserImport,
    UserInvite,
    UserList,
    UserLogin,
    UserLoginSecondFactor,
    UserMfaReset,
    UserPasswordChange,
    UserPasswordReset,
    UserReauthenticate,
    UserRoleAssign,
    UserRoleRemove,
    UserRolesList,
    UserSearch,
    UserSessionsList,
    UserUnblock,
    UserUpdate,
    UserView,
}

impl AuditAction {
    /// Every action, in the order of the documented list.
    pub const ALL: &[AuditAction] = &[
        AuditAction::AdminForbidden,
        AuditAction::AdminList,
        AuditAction::AdminLogin,
        AuditAction::AdminLoginSecondFactor,
        AuditAction::AdminLogout,
        AuditAction::AttributeCreate,
        AuditAction::AttributeDelete,
        AuditAction::AttributeList,
        AuditAction::AuditChainKeyed,
        AuditAction::AuditList,
        AuditAction::AuditSuppressed,
        AuditAction::AuditVerify,
        AuditAction::BulkCancel,
        AuditAction::BulkComplete,
        AuditAction::BulkCreate,
        AuditAction::BulkFail,
        AuditAction::BulkList,
        AuditAction::BulkRows,
        AuditAction::BulkStart,
        AuditAction::BulkView,
        AuditAction::FactorDelete,
        AuditAction::FactorRecoveryCodesGenerate,
        AuditAction::FactorRecoveryCodesRevoke,
        AuditAction::FactorTotpConfirm,
        AuditAction::FactorTotpEnrol,
        AuditAction::GroupCreate,
        AuditAction::GroupDelete,
        AuditAction::GroupList,
        AuditAction::GroupSearch,
        AuditAction::GroupUpdate,
        AuditAction::GroupView,
        AuditAction::ImportCreate,
        AuditAction::ImportFail,
        AuditAction::ImportList,
        AuditAction::ImportView,
        AuditAction::JobList,
        AuditAction::JobRetry,
        AuditAction::LinkRedeem,
        AuditAction::LoginThrottled,
        AuditAction::MailDelivered,
        AuditAction::MailFailed,
        AuditAction::MailCancel,
        AuditAction::MailRetry,
        AuditAction::OutboxList,
        AuditAction::ScimBulk,
        AuditAction::SessionLogout,
        AuditAction::SessionRefresh,
        AuditAction::SessionRefreshReused,
        AuditAction::SessionRevoke,
        AuditAction::SessionRevokeAll,
        AuditAction::RoleCreate,
        AuditAction::RoleDelete,
        AuditAction::RoleList,
        AuditAction::TenantCreate,
        AuditAction::TenantList,
        AuditAction::TenantSettingsUpdate,
        AuditAction::TenantSettingsView,
        AuditAction::TenantView,
        AuditAction::TokenBootstrap,
        AuditAction::TokenCreate,
        AuditAction::TokenList,
        AuditAction::TokenRevoke,
        AuditAction::UserArchive,
        AuditAction::UserBlock,
        AuditAction::UserCreate,
        AuditAction::UserDelete,
        AuditAction::UserDisable,
        AuditAction::UserEnable,
        AuditAction::UserExport,
        AuditAction::UserFactorsList,
        AuditAction::UserGroups,
        AuditAction::UserImport,
        AuditAction::UserInvite,
        AuditAction::UserList,
        AuditAction::UserLogin,
        AuditAction::UserLoginSecondFactor,
        AuditAction::UserMfaReset,
        AuditAction::UserPasswordChange,
        AuditAction::UserPasswordReset,
        AuditAction::UserReauthenticate,
        AuditAction::UserRoleAssign,
        AuditAction::UserRoleRemove,
        AuditAction::UserRolesList,
        AuditAction::UserSearch,
        AuditAction::UserSessionsList,
        AuditAction::UserUnblock,
        AuditAction::UserUpdate,
        AuditAction::UserView,
    ];

    /// The stable name stored in the log.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditAction::AdminForbidden => "admin.forbidden",
            AuditAction::AdminList => "admin.list",
            AuditAction::AdminLogin => "admin.login",
            AuditAction::AdminLoginSecondFactor => "admin.login_second_factor",
            AuditAction::AdminLogout => "admin.logout",
            AuditAction::AttributeCreate => "attribute.create",
            AuditAction::AttributeDelete => "attribute.delete",
            AuditAction::AttributeList => "attribute.list",
            AuditAction::AuditChainKeyed => "audit.chain_keyed",
            AuditAction::AuditList => "audit.list",
            AuditAction::AuditSuppressed => "audit.suppressed",
            AuditAction::AuditVerify => "audit.verify",
            AuditAction::BulkCancel => "bulk.cancel",
            AuditAction::BulkComplete => "bulk.complete",
            AuditAction::BulkCreate => "bulk.create",
            AuditAction::BulkFail => "bulk.fail",
            AuditAction::BulkList => "bulk.list",
            AuditAction::BulkRows => "bulk.rows",
            AuditAction::BulkStart => "bulk.start",
            AuditAction::BulkView => "bulk.view",
            AuditAction::FactorDelete => "factor.delete",
            AuditAction::FactorRecoveryCodesGenerate => "factor.recovery_codes.generate",
            AuditAction::FactorRecoveryCodesRevoke => "factor.recovery_codes.revoke",
            AuditAction::FactorTotpConfirm => "factor.totp.confirm",
            AuditAction::FactorTotpEnrol => "factor.totp.enrol",
            AuditAction::GroupCreate => "group.create",
            AuditAction::GroupDelete => "group.delete",
            AuditAction::GroupList => "group.list",
            AuditAction::GroupSearch => "group.search",
            AuditAction::GroupUpdate => "group.update",
            AuditAction::GroupView => "group.view",
            AuditAction::ImportCreate => "import.create",
            AuditAction::ImportFail => "import.fail",
            AuditAction::ImportList => "import.list",
            AuditAction::ImportView => "import.view",
            AuditAction::JobList => "job.list",
            AuditAction::JobRetry => "job.retry",
            AuditAction::LinkRedeem => "link.redeem",
            AuditAction::LoginThrottled => "login.throttled",
            AuditAction::MailDelivered => "mail.delivered",
            AuditAction::MailFailed => "mail.failed",
            AuditAction::MailCancel => "mail.cancel",
            AuditAction::MailRetry => "mail.retry",
            AuditAction::OutboxList => "outbox.list",
            AuditAction::ScimBulk => "scim.bulk",
            AuditAction::SessionLogout => "session.logout",
            AuditAction::SessionRefresh => "session.refresh",
            AuditAction::SessionRefreshReused => "session.refresh_reused",
            AuditAction::SessionRevoke => "session.revoke",
            AuditAction::SessionRevokeAll => "session.revoke_all",
            AuditAction::RoleCreate => "role.create",
            AuditAction::RoleDelete => "role.delete",
            AuditAction::RoleList => "role.list",
            AuditAction::TenantCreate => "tenant.create",
            AuditAction::TenantList => "tenant.list",
            AuditAction::TenantSettingsUpdate => "tenant.settings.update",
            AuditAction::TenantSettingsView => "tenant.settings.view",
            AuditAction::TenantView => "tenant.view",
            AuditAction::TokenBootstrap => "token.bootstrap",
            AuditAction::TokenCreate => "token.create",
            AuditAction::TokenList => "token.list",
            AuditAction::TokenRevoke => "token.revoke",
            AuditAction::UserArchive => "user.archive",
            AuditAction::UserBlock => "user.block",
            AuditAction::UserCreate => "user.create",
            AuditAction::UserDelete => "user.delete",
            AuditAction::UserDisable => "user.disable",
            AuditAction::UserEnable => "user.enable",
            AuditAction::UserExport => "user.export",
            AuditAction::UserFactorsList => "user.factors.list",
            AuditAction::UserGroups => "user.groups",
            AuditAction::UserImport => "user.import",
            AuditAction::UserInvite => "user.invite",
            AuditAction::UserList => "user.list",
            AuditAction::UserLogin => "user.login",
            AuditAction::UserLoginSecondFactor => "user.login.second_factor",
            AuditAction::UserMfaReset => "user.mfa_reset",
            AuditAction::UserPasswordChange => "user.password_change",
            AuditAction::UserPasswordReset => "user.password_reset",
            AuditAction::UserReauthenticate => "user.reauthenticate",
            AuditAction::UserRoleAssign => "user.role_assign",
            AuditAction::UserRoleRemove => "user.role_remove",
            AuditAction::UserRolesList => "user.roles_list",
            AuditAction::UserSearch => "user.search",
            AuditAction::UserSessionsList => "user.sessions.list",
            AuditAction::UserUnblock => "user.unblock",
            AuditAction::UserUpdate => "user.update",
            AuditAction::UserView => "user.view",
        }
    }

    /// What an event of this action means, for the documented list.
    pub const fn meaning(self) -> &'static str {
        match self {
            AuditAction::AdminForbidden => "an admin's role did not allow the call",
            AuditAction::AdminList => "the tenant's admins were listed",
            AuditAction::AdminLogin => "a person gave their password to log in to the admin side",
            AuditAction::AdminLoginSecondFactor => {
                "an admin login's second factor was checked, opening an admin session"
            }
            AuditAction::AdminLogout => "an admin session was ended by its holder",
            AuditAction::AttributeCreate => "a custom attribute was defined",
            AuditAction::AttributeDelete => {
                "a custom attribute definition was removed (with its values when purged)"
            }
            AuditAction::AttributeList => "the attribute definitions were read",
            AuditAction::AuditChainKeyed => {
                "a server started with a secret key and keyed a chain whose newest event was not keyed"
            }
            AuditAction::AuditList => "the audit log was read",
            AuditAction::AuditSuppressed => {
                "unauthenticated refusals beyond 20 a minute from one address, counted instead of written one by one"
            }
            AuditAction::AuditVerify => {
                "an admin checked the tenant's audit chain from the console"
            }
            AuditAction::BulkCancel => "a bulk process was cancelled",
            AuditAction::BulkComplete => "a bulk process finished its last row",
            AuditAction::BulkCreate => "a bulk-process file was uploaded",
            AuditAction::BulkFail => "Usher stopped a bulk process that could not go on",
            AuditAction::BulkList => "the bulk processes were listed",
            AuditAction::BulkRows => "the rows of a bulk process were read",
            AuditAction::BulkStart => "a bulk process was started",
            AuditAction::BulkView => "a bulk process was read",
            AuditAction::FactorDelete => "an admin removed a second factor",
            AuditAction::FactorRecoveryCodesGenerate => "a user made a new set of recovery codes",
            AuditAction::FactorRecoveryCodesRevoke => "recovery codes were revoked",
            AuditAction::FactorTotpConfirm => {
                "an authenticator app was confirmed with its first code"
            }
            AuditAction::FactorTotpEnrol => "an authenticator app enrolment began",
            AuditAction::GroupCreate => "a group was created (SCIM)",
            AuditAction::GroupDelete => "a group was deleted (SCIM)",
            AuditAction::GroupList => "groups were listed",
            AuditAction::GroupSearch => "groups were searched (SCIM filter)",
            AuditAction::GroupUpdate => "a group was changed (SCIM)",
            AuditAction::GroupView => "a group was read",
            AuditAction::ImportCreate => "an import file was received and queued",
            AuditAction::ImportFail => "Usher stopped a queued import that could not go on",
            AuditAction::ImportList => "the imports were listed",
            AuditAction::ImportView => "an import was read",
            AuditAction::JobList => "jobs were listed",
            AuditAction::JobRetry => "a failed job was queued again",
            AuditAction::LinkRedeem => {
                "an invitation or reset link was redeemed (or an unknown one tried)"
            }
            AuditAction::LoginThrottled => "a login was refused because of the throttle",
            AuditAction::MailDelivered => "the SMTP server accepted a mail",
            AuditAction::MailFailed => "a mail could not be delivered, for good",
            AuditAction::MailCancel => {
                "a queued mail was not sent: its link was used, replaced or revoked, or its user changed email or left"
            }
            AuditAction::MailRetry => "a delivery failed and will be tried again",
            AuditAction::OutboxList => "the outbox was read",
            AuditAction::ScimBulk => "a SCIM /Bulk request was run",
            AuditAction::SessionLogout => "a user logged out",
            AuditAction::SessionRefresh => "a refresh token was rotated",
            AuditAction::SessionRefreshReused => {
                "a spent refresh token was used again, which ended its session"
            }
            AuditAction::SessionRevoke => "a session was ended by an admin or its user",
            AuditAction::SessionRevokeAll => "all sessions of a user were ended",
            AuditAction::RoleCreate => "a role was defined",
            AuditAction::RoleDelete => "a role was deleted (with `force`, taken from its holders)",
            AuditAction::RoleList => "the tenant's roles were listed",
            AuditAction::TenantCreate => "a tenant was created",
            AuditAction::TenantList => "the tenants were listed",
            AuditAction::TenantSettingsUpdate => "tenant settings were changed",
            AuditAction::TenantSettingsView => "tenant settings were read",
            AuditAction::TenantView => "a tenant was read",
            AuditAction::TokenBootstrap => "the bootstrap token was set from USHER_BOOTSTRAP_TOKEN",
            AuditAction::TokenCreate => "an API token was created",
            AuditAction::TokenList => "API tokens were listed",
            AuditAction::TokenRevoke => {
                "an API token was revoked (by an admin, or the bootstrap token because USHER_BOOTSTRAP_TOKEN was unset)"
            }
            AuditAction::UserArchive => "a user was archived",
            AuditAction::UserBlock => "a user was blocked",
            AuditAction::UserCreate => "a user was created",
            AuditAction::UserDelete => "a user was deleted",
            AuditAction::UserDisable => "a user was disabled",
            AuditAction::UserEnable => "a user was enabled",
            AuditAction::UserExport => "users were exported",
            AuditAction::UserFactorsList => "a user's second factors were read",
            AuditAction::UserGroups => "a user's groups were read",
            AuditAction::UserImport => "an import batch was written (or checked, in a dry run)",
            AuditAction::UserInvite => "an invitation was sent",
            AuditAction::UserList => "users were listed",
            AuditAction::UserLogin => "a password login (success, refusal or a second factor due)",
            AuditAction::UserLoginSecondFactor => "the second step of a login",
            AuditAction::UserMfaReset => {
                "an admin removed every second factor of a user, who must enrol again at the next login"
            }
            AuditAction::UserPasswordChange => {
                "a user changed their own password (their other sessions end)"
            }
            AuditAction::UserPasswordReset => "a password reset link was sent",
            AuditAction::UserRoleAssign => "a role was given to a user",
            AuditAction::UserRoleRemove => "a role was taken from a user",
            AuditAction::UserRolesList => "a user's roles were read",
            AuditAction::UserReauthenticate => {
                "a signed-in user gave their password or a code again"
            }
            AuditAction::UserSearch => "users were searched",
            AuditAction::UserSessionsList => "a user's sessions were read",
            AuditAction::UserUnblock => "a user was unblocked",
            AuditAction::UserUpdate => "a user was edited",
            AuditAction::UserView => "a user was read",
        }
    }
}

/// The documented list of actions, as a Markdown table.
#[cfg(test)]
fn doc_table() -> String {
    let mut out = String::from("| action | recorded when |\n|---|---|\n");
    for a in AuditAction::ALL {
        out.push_str(&format!("| `{}` | {} |\n", a.as_str(), a.meaning()));
    }
    out
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_action_is_listed_once_with_a_distinct_name() {
        let names: HashSet<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), AuditAction::ALL.len());
    }

    #[test]
    fn the_documented_list_of_actions_is_the_enum() {
        crate::doc_tables::check("docs/audit.md", "audit-actions", &doc_table());
    }
}
