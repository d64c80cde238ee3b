//! `usher role …`: a tenant's roles and who holds them.

use super::{Admin, explain};
use clap::{Args, Subcommand};
use serde_json::json;

#[derive(Debug, Args)]
pub struct RoleTenant {
    /// Tenant slug.
    #[arg(long, default_value = "default")]
    tenant: String,
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// List the tenant's roles with how many users hold each.
    List {
        #[command(flatten)]
        tenant: RoleTenant,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Define a role.
    Create {
        #[command(flatten)]
        tenant: RoleTenant,
        /// 1 to 64 letters, digits, _, . and -; unique ignoring case.
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a role.
    Delete {
        #[command(flatten)]
        tenant: RoleTenant,
        name: String,
        /// Delete it even while users hold it (it is taken from them).
        #[arg(long)]
        force: bool,
    },
    /// Give a user a role (a built-in admin role too).
    Assign {
        #[command(flatten)]
        tenant: RoleTenant,
        /// The user: their id or their email.
        #[arg(value_name = "ID_OR_EMAIL")]
        user: String,
        role: String,
    },
    /// Take a role from a user.
    Remove {
        #[command(flatten)]
        tenant: RoleTenant,
        /// The user: their id or their email.
        #[arg(value_name = "ID_OR_EMAIL")]
        user: String,
        role: String,
    },
}

pub async fn run(admin: Admin, cmd: RoleCommand) -> anyhow::Result<()> {
    let s = &admin.services;
    match cmd {
        RoleCommand::List { tenant, json } => {
            let tenant = admin.tenant(&tenant.tenant).await?;
            let roles = s.list_roles(&tenant, &admin.ctx).await.map_err(explain)?;
            if json {
                let items: Vec<_> = roles
                    .iter()
                    .map(|(r, n)| json!({"name": r.name, "description": r.description, "users": n}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&items)?);
                return Ok(());
            }
            println!("{:<32}  {:>7}  DESCRIPTION", "NAME", "USERS");
            for (r, n) in &roles {
                let description = r.description.as_deref().unwrap_or("-");
                println!("{:<32}  {n:>7}  {description}", r.name.as_str());
            }
            println!("{}", super::counted(roles.len() as u64, "role", "roles"));
        }
        RoleCommand::Create {
            tenant,
            name,
            description,
        } => {
            let tenant = admin.tenant(&tenant.tenant).await?;
            let body = json!({"name": name, "description": description});
            let role = s
                .create_role(&tenant, &admin.ctx, body)
                .await
                .map_err(explain)?;
            println!("created role {}", role.name.as_str());
        }
        RoleCommand::Delete {
            tenant,
            name,
            force,
        } => {
            let tenant = admin.tenant(&tenant.tenant).await?;
            let removed = s
                .delete_role(&tenant, &admin.ctx, &name, force)
                .await
                .map_err(explain)?;
            println!(
                "deleted role {name} (taken from {})",
                super::counted(removed, "user", "users")
            );
        }
        RoleCommand::Assign { tenant, user, role } => {
            let tenant = admin.tenant(&tenant.tenant).await?;
            let id = super::user::user_id(&admin, &tenant, &user).await?;
            let added = s
                .assign_role(&tenant, &admin.ctx, &id, &role, true)
                .await
                .map_err(explain)?;
            match added {
                true => println!("gave {role} to {user}"),
                false => println!("{user} held {role} already"),
            }
        }
        RoleCommand::Remove { tenant, user, role } => {
            let tenant = admin.tenant(&tenant.tenant).await?;
            let id = super::user::user_id(&admin, &tenant, &user).await?;
            s.remove_role(&tenant, &admin.ctx, &id, &role, true)
                .await
                .map_err(explain)?;
            println!("took {role} from {user}");
        }
    }
    Ok(())
}
