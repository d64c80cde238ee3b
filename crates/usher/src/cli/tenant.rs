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
                let rows: Vec<[String; 3]> = tenants
                    .iter()
                    .map(|t| [t.slug.to_string(), t.id.to_string(), t.name.to_string()])
                    .collect();
                let width = |i: usize, title: &str| {
                    rows.iter()
                        .map(|r| r[i].chars().count())
                        .chain([title.len()])
                        .max()
                        .unwrap_or(0)
                };
                let (slug, id) = (width(0, "SLUG"), width(1, "ID"));
                println!("{:<slug$}  {:<id$}  NAME", "SLUG", "ID");
                for [s, i, n] in &rows {
                    println!("{s:<slug$}  {i:<id$}  {n}");
                }
            }
        }
    }
    Ok(())
}
