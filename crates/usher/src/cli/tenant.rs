//! `usher tenant create|list`.

use super::{Admin, explain};
use clap::Subcommand;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        /// URL name: a-z, 0-9 and '-'.
        slug: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
    },
    /// List tenants.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(admin: Admin, cmd: TenantCommand) -> anyhow::Result<()> {
    match cmd {
        TenantCommand::Create { slug, name } => {
            let t = admin
                .services
                .create_tenant(&admin.ctx, json!({"slug": slug, "name": name}))
                .await
                .map_err(explain)?;
            println!("created tenant {} ({})", t.slug, t.id);
        }
        TenantCommand::List { json } => {
            let tenants = admin
                .services
                .list_tenants(&admin.ctx)
                .await
                .map_err(explain)?;
            if json {
                let items: Vec<_> = tenants
                    .iter()
                    .map(usher_http::schema::TenantResponse::from)
                    .collect();
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else {
                println!("{:<24} {:<36} NAME", "SLUG", "ID");
                for t in tenants {
                    println!("{:<24} {:<36} {}", t.slug, t.id, t.name);
                }
            }
        }
    }
    Ok(())
}
