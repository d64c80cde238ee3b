//! `usher token create`.

use super::{Admin, explain};
use clap::{Args, Subcommand};
use usher_core::token::TokenScope;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print its secret (shown only once) on the last line.
    Create(CreateToken),
}

#[derive(Debug, Args)]
pub struct CreateToken {
    /// The tenant the token acts on.
    #[arg(long, required_unless_present = "super_admin")]
    tenant: Option<String>,
    /// Make a super-admin token that may act on every tenant.
    #[arg(long, conflicts_with_all = ["tenant", "scim"])]
    super_admin: bool,
    /// Make a token that only the SCIM endpoint accepts.
    #[arg(long)]
    scim: bool,
    /// A name to recognise the token by in the audit log.
    #[arg(long, default_value = "cli")]
    name: String,
}

pub async fn run(admin: Admin, cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create(c) => {
            let tenant = match &c.tenant {
                Some(slug) => Some(admin.tenant(slug).await?),
                None => None,
            };
            let scope = if c.scim {
                TokenScope::Scim
            } else {
                TokenScope::Admin
            };
            let (token, secret) = admin
                .services
                .create_token(&admin.ctx, tenant.as_ref(), scope, &c.name)
                .await
                .map_err(explain)?;
            eprintln!(
                "created {} token {} ({}); store the secret now, it is not shown again:",
                scope.as_str(),
                token.id,
                tenant
                    .map(|t| format!("tenant {}", t.slug))
                    .unwrap_or_else(|| "super-admin".into()),
            );
            println!("{}", secret.expose());
            Ok(())
        }
    }
}
