//! `usher user …`: the admin API's user operations from a shell.

use super::{Admin, explain};
use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};
use usher_core::service::ListParams;
use usher_core::tenant::Tenant;
use usher_core::user::fields::Email;
use usher_core::user::{Action, User};
use usher_http::schema::UserResponse;

#[derive(Debug, Args)]
pub struct TenantArg {
    /// Tenant slug.
    #[arg(long, default_value = "default")]
    tenant: String,
}

#[derive(Debug, Args)]
pub struct OneUser {
    #[command(flatten)]
    tenant: TenantArg,
    /// The user: their id (UUID) or their email.
    #[arg(value_name = "ID_OR_EMAIL")]
    id: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user (invited unless --no-invitation or --activate).
    Create(CreateUser),
    /// List or search users, 20 per page.
    List(ListUsers),
    /// Show one user.
    Get(OneUser),
    /// Block an active user.
    Block(OneUser),
    /// Unblock a blocked user.
    Unblock(OneUser),
    /// Disable a user: sessions and links end at once.
    Disable(OneUser),
    /// Enable a disabled user.
    Enable(OneUser),
    /// Archive an active or blocked user.
    Archive(OneUser),
    /// Send or resend the invitation.
    Invite(OneUser),
    /// Send a password-reset link (active or blocked users).
    ResetPassword(OneUser),
    /// Delete a user for good.
    Delete(OneUser),
    /// Export every user a list with the same filters shows, as CSV or
    /// JSON Lines (what `usher import` reads back).
    Export(super::export::ExportUsers),
    /// Remove every second factor of a user (a lost phone) and end their
    /// sessions; their next login sets up a new authenticator app.
    ResetMfa(ResetMfa),
    /// List the roles a user holds.
    Roles(OneUser),
}

#[derive(Debug, Args)]
pub struct ResetMfa {
    #[command(flatten)]
    user: OneUser,
    /// Why (a ticket number, a lost phone): kept in the audit log.
    #[arg(long)]
    reason: String,
}

#[derive(Debug, Args)]
pub struct CreateUser {
    #[command(flatten)]
    tenant: TenantArg,
    #[arg(long)]
    email: String,
    #[arg(long)]
    first_name: Option<String>,
    #[arg(long)]
    last_name: Option<String>,
    /// E.164, e.g. +4915112345678.
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    username: Option<String>,
    /// en, de or fr.
    #[arg(long)]
    language: Option<String>,
    /// A custom attribute value, NAME=VALUE (repeatable).
    #[arg(long = "attribute", value_name = "NAME=VALUE")]
    attributes: Vec<String>,
    /// Create without sending an invitation (state not_invited).
    #[arg(long, conflicts_with = "activate")]
    no_invitation: bool,
    /// Create directly active.
    #[arg(long)]
    activate: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// The filters of the user list, shared by `list` and `export`.
#[derive(Debug, Args)]
pub struct UserFilters {
    /// Case-insensitive prefix of email, names, username, phone or attribute values.
    #[arg(long)]
    search: Option<String>,
    /// not_invited, pending_invitation, expired_invitation, active, blocked or disabled.
    #[arg(long)]
    state: Option<String>,
    /// true or false.
    #[arg(long)]
    archived: Option<String>,
    /// true (only users with a confirmed second factor) or false.
    #[arg(long)]
    mfa: Option<String>,
    /// Only the users holding this role (the tenant's own or a built-in admin role).
    #[arg(long)]
    role: Option<String>,
    /// The properties --search looks at, comma-separated: email, name, username, external_id, id.
    #[arg(long)]
    fields: Option<String>,
    /// Only users whose last login was before this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    last_login_before: Option<String>,
    /// Only users whose last login was at or after this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    last_login_after: Option<String>,
    /// Only users who never logged in.
    #[arg(long, conflicts_with_all = ["last_login_before", "last_login_after"])]
    never_logged_in: bool,
}

impl UserFilters {
    /// The list parameters of these filters, from the first page.
    pub fn params(&self) -> ListParams {
        ListParams {
            search: self.search.clone(),
            state: self.state.clone(),
            archived: self.archived.clone(),
            mfa: self.mfa.clone(),
            role: self.role.clone(),
            fields: self.fields.clone(),
            last_login_before: self.last_login_before.clone(),
            last_login_after: self.last_login_after.clone(),
            never_logged_in: self.never_logged_in.then(|| "true".to_owned()),
            ..ListParams::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct ListUsers {
    #[command(flatten)]
    tenant: TenantArg,
    #[command(flatten)]
    filters: UserFilters,
    /// Page size, 1 to 200.
    #[arg(long)]
    limit: Option<i64>,
    /// Cursor printed by the previous page.
    #[arg(long)]
    cursor: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

async fn print_user(u: &User, tenant: &Tenant, admin: &Admin, json: bool) -> anyhow::Result<()> {
    let r = UserResponse::page(&admin.services, tenant, std::slice::from_ref(u))
        .await
        .map_err(explain)?
        .remove(0);
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!("id          {}", r.id);
        println!("email       {}", r.email);
        println!(
            "name        {} {}",
            r.first_name.unwrap_or_default(),
            r.last_name.unwrap_or_default()
        );
        println!(
            "state       {}{}",
            r.state,
            if r.archived { " (archived)" } else { "" }
        );
        if !r.roles.is_empty() {
            println!("roles       {}", r.roles.join(" "));
        }
        println!("version     {}", r.version);
    }
    Ok(())
}

/// The tenant and the id of the user a command names, by id or by email.
async fn target(admin: &Admin, o: &OneUser) -> anyhow::Result<(Tenant, String)> {
    let tenant = admin.tenant(&o.tenant.tenant).await?;
    let id = user_id(admin, &tenant, &o.id).await?;
    Ok((tenant, id))
}

/// The id of the user of `tenant` that `id_or_email` names.
pub(super) async fn user_id(
    admin: &Admin,
    tenant: &Tenant,
    id_or_email: &str,
) -> anyhow::Result<String> {
    if !id_or_email.contains('@') {
        return Ok(id_or_email.to_owned());
    }
    let email = Email::parse("email", id_or_email).map_err(|e| {
        anyhow::anyhow!(
            "{id_or_email} is neither a user id nor an email: {}",
            e.message
        )
    })?;
    let user = admin
        .services
        .store
        .user_by_email(tenant.id, &email)
        .await?;
    match user {
        Some(u) => Ok(u.id.to_string()),
        None => anyhow::bail!(
            "tenant {} has no user with the email {id_or_email}",
            tenant.slug
        ),
    }
}

pub async fn run(admin: Admin, cmd: UserCommand) -> anyhow::Result<()> {
    let (o, action) = match &cmd {
        UserCommand::Create(c) => return create(&admin, c).await,
        UserCommand::List(l) => return list(&admin, l).await,
        UserCommand::Export(e) => return super::export::run(&admin, e).await,
        UserCommand::Get(o) => {
            let (tenant, id) = target(&admin, o).await?;
            let u = admin
                .services
                .get_user(&tenant, &admin.ctx, &id)
                .await
                .map_err(explain)?;
            return print_user(&u, &tenant, &admin, o.json).await;
        }
        UserCommand::ResetMfa(r) => {
            let (tenant, id) = target(&admin, &r.user).await?;
            let removed = admin
                .services
                .reset_second_factors(&tenant, &admin.ctx, &id, json!({"reason": r.reason}))
                .await
                .map_err(explain)?;
            println!(
                "removed {}; the user's sessions ended and their next login sets up an authenticator app",
                super::counted(removed, "second factor", "second factors")
            );
            return Ok(());
        }
        UserCommand::Roles(o) => {
            let (tenant, id) = target(&admin, o).await?;
            let roles = admin
                .services
                .user_roles(&tenant, &admin.ctx, &id)
                .await
                .map_err(explain)?;
            if o.json {
                println!("{}", serde_json::to_string_pretty(&roles)?);
                return Ok(());
            }
            for r in &roles {
                println!("{:<32}  since {}", r.name.as_str(), r.assigned_at.date());
            }
            println!("{}", super::counted(roles.len() as u64, "role", "roles"));
            return Ok(());
        }
        UserCommand::ResetPassword(o) => {
            let (tenant, id) = target(&admin, o).await?;
            let u = admin
                .services
                .request_password_reset(&tenant, &admin.ctx, &id, None)
                .await
                .map_err(explain)?;
            println!(
                "a reset link for {} is in the outbox (usher outbox list)",
                u.email.as_str()
            );
            return Ok(());
        }
        UserCommand::Delete(o) => {
            let (tenant, id) = target(&admin, o).await?;
            let u = admin
                .services
                .delete_user(&tenant, &admin.ctx, &id, None)
                .await
                .map_err(explain)?;
            println!("deleted {} ({})", u.email.as_str(), u.id);
            return Ok(());
        }
        UserCommand::Block(o) => (o, Action::Block),
        UserCommand::Unblock(o) => (o, Action::Unblock),
        UserCommand::Disable(o) => (o, Action::Disable),
        UserCommand::Enable(o) => (o, Action::Enable),
        UserCommand::Archive(o) => (o, Action::Archive),
        UserCommand::Invite(o) => (o, Action::SendInvitation),
    };
    let (tenant, id) = target(&admin, o).await?;
    let u = admin
        .services
        .act_on_user(&tenant, &admin.ctx, &id, None, action)
        .await
        .map_err(explain)?;
    print_user(&u, &tenant, &admin, o.json).await
}

async fn create(admin: &Admin, c: &CreateUser) -> anyhow::Result<()> {
    let tenant = admin.tenant(&c.tenant.tenant).await?;
    let mut attributes = Map::new();
    for kv in &c.attributes {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--attribute takes NAME=VALUE, got {kv:?}"))?;
        attributes.insert(k.to_owned(), Value::String(v.to_owned()));
    }
    let mut body = json!({
        "email": c.email, "first_name": c.first_name, "last_name": c.last_name, "phone": c.phone,
        "username": c.username, "language": c.language,
    });
    if !attributes.is_empty() {
        body["attributes"] = Value::Object(attributes);
    }
    if c.activate {
        body["activate"] = json!(true);
    } else if c.no_invitation {
        body["send_invitation"] = json!(false);
    }
    let u = admin
        .services
        .create_user(&tenant, &admin.ctx, body)
        .await
        .map_err(explain)?;
    print_user(&u, &tenant, admin, c.json).await
}

async fn list(admin: &Admin, l: &ListUsers) -> anyhow::Result<()> {
    let tenant = admin.tenant(&l.tenant.tenant).await?;
    let params = ListParams {
        limit: l.limit,
        cursor: l.cursor.clone(),
        ..l.filters.params()
    };
    let page = admin
        .services
        .list_users(&tenant, &admin.ctx, &params)
        .await
        .map_err(explain)?;
    let now = admin.services.clock.now();
    if l.json {
        let items = UserResponse::page(&admin.services, &tenant, &page.items)
            .await
            .map_err(explain)?;
        let out = json!({"items": items, "total": page.total,
            "next": page.next.as_ref().and_then(|c| c.encode()), "prev": page.prev.as_ref().and_then(|c| c.encode())});
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("{:<36}  {:<32}  {:<24}  STATE", "ID", "EMAIL", "NAME");
    for u in &page.items {
        let name = format!(
            "{} {}",
            u.first_name.as_ref().map(|n| n.as_str()).unwrap_or(""),
            u.last_name.as_ref().map(|n| n.as_str()).unwrap_or("")
        );
        println!(
            "{:<36}  {:<32}  {:<24}  {}{}",
            u.id,
            u.email.as_str(),
            name.trim(),
            u.state(now).as_str(),
            if u.archived { " (archived)" } else { "" }
        );
    }
    println!(
        "{} of {}",
        page.items.len(),
        super::counted(page.total, "user", "users")
    );
    if let Some(next) = page.next.as_ref().and_then(|c| c.encode()) {
        println!("next page: --cursor {next}");
    }
    Ok(())
}
