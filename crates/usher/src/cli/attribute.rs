//! `usher attribute …`: a tenant's custom attribute definitions.

use super::{Admin, explain};
use clap::{Args, Subcommand};
use serde_json::json;

#[derive(Debug, Args)]
pub struct AttributeTenant {
    /// Tenant slug.
    #[arg(long, default_value = "default")]
    tenant: String,
}

#[derive(Debug, Subcommand)]
pub enum AttributeCommand {
    /// List the custom attributes.
    List {
        #[command(flatten)]
        tenant: AttributeTenant,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Define a custom attribute.
    Create {
        #[command(flatten)]
        tenant: AttributeTenant,
        /// 1 to 30 letters, digits and _; unique ignoring case.
        name: String,
        /// What the console and exports call it.
        #[arg(long)]
        label: String,
        /// Longest value, 1 to 1000 (default 1000).
        #[arg(long)]
        max_length: Option<u16>,
        /// A regular expression every value must match as a whole.
        #[arg(long)]
        regex: Option<String>,
    },
    /// Delete a custom attribute.
    Delete {
        #[command(flatten)]
        tenant: AttributeTenant,
        name: String,
        /// Also remove the values users hold (otherwise refused while any do).
        #[arg(long)]
        purge: bool,
    },
}

pub async fn run(admin: Admin, cmd: AttributeCommand) -> anyhow::Result<()> {
    match cmd {
        AttributeCommand::List { tenant, json } => {
            let tenant = admin.tenant(&tenant.tenant).await?;
            let defs = admin
                .services
                .list_attributes(&tenant, &admin.ctx)
                .await
                .map_err(explain)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&defs)?);
                return Ok(());
            }
            println!(
                "{:<30}  {:<30}  {:>10}  REGEX",
                "NAME", "LABEL", "MAX LENGTH"
            );
            for d in &defs {
                println!(
                    "{:<30}  {:<30}  {:>10}  {}",
                    d.name.as_str(),
                    d.label,
                    d.max_length,
                    d.regex.as_deref().unwrap_or("-")
                );
            }
            println!(
                "{}",
                super::counted(defs.len() as u64, "attribute", "attributes")
            );
        }
        AttributeCommand::Create {
            tenant,
            name,
            label,
            max_length,
            regex,
        } => {
            let tenant = admin.tenant(&tenant.tenant).await?;
            let mut body = json!({"name": name, "label": label});
            if let Some(m) = max_length {
                body["max_length"] = json!(m);
            }
            if let Some(r) = regex {
                body["regex"] = json!(r);
            }
            let def = admin
                .services
                .create_attribute(&tenant, &admin.ctx, body)
                .await
                .map_err(explain)?;
            println!("created attribute {}", def.name.as_str());
        }
        AttributeCommand::Delete {
            tenant,
            name,
            purge,
        } => {
            let tenant = admin.tenant(&tenant.tenant).await?;
            let purged = admin
                .services
                .delete_attribute(&tenant, &admin.ctx, &name, purge)
                .await
                .map_err(explain)?;
            println!(
                "deleted attribute {name} ({} removed)",
                super::counted(purged, "value", "values")
            );
        }
    }
    Ok(())
}
