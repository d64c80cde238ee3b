//! `usher token create|list|revoke`: API tokens. Secrets are printed once,
//! by `create`, and never again.

use super::{Admin, explain};
use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use usher_core::access::AdminRole;
use usher_core::audit::Actor;
use usher_core::input::Patch;
use usher_core::scope::AdminScope;
use usher_core::tenant::Tenant;
use usher_core::token::{ApiToken, TokenRequest};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print its secret (shown only once) on the last line.
    Create(CreateToken),
    /// List API tokens (never their secrets): a tenant's, or the super-admin ones.
    List(ListTokens),
    /// Revoke an API token: it is refused from the next request on (in every
    /// process within 5 seconds).
    Revoke {
        /// The token's id, as `usher token list` shows it.
        id: String,
    },
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
    /// The admin role a tenant's token acts with (docs/admin-roles.md says
    /// what each may call).
    #[arg(long, default_value = "tenant_admin", conflicts_with_all = ["super_admin", "scim"],
        value_parser = ["tenant_admin", "user_admin", "helpdesk", "auditor", "bulk_operator"])]
    role: String,
    /// A name to recognise the token by in the audit log.
    #[arg(long, default_value = "cli")]
    name: String,
    /// When the token stops working, RFC 3339 (e.g. 2027-06-30T00:00:00Z).
    /// Without it the token works until revoked.
    #[arg(long, value_name = "TIME")]
    expires_at: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListTokens {
    /// The tenant whose tokens to list; without it, the super-admin tokens.
    #[arg(long)]
    tenant: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn rfc3339(t: Option<OffsetDateTime>) -> Option<String> {
    t.and_then(|t| t.format(&Rfc3339).ok())
}

fn to_json(t: &ApiToken) -> serde_json::Value {
    json!({
        "id": t.id, "name": t.name, "role": t.role(),
        "scope": t.admin_scope.as_ref().map(AdminScope::to_json),
        "scim": t.scope == usher_core::token::TokenScope::Scim,
        "expires_at": rfc3339(t.expires_at),
        "created_by": t.created_by.as_deref().map(Actor::from_stored),
        "created_at": rfc3339(Some(t.created_at)),
        "last_used_at": rfc3339(t.last_used_at),
        "owner_id": t.owner_id,
    })
}

pub async fn run(admin: Admin, cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create(c) => create(admin, c).await,
        TokenCommand::List(l) => list(admin, l).await,
        TokenCommand::Revoke { id } => revoke(admin, &id).await,
    }
}

async fn create(admin: Admin, c: CreateToken) -> anyhow::Result<()> {
    let tenant = match &c.tenant {
        Some(slug) => Some(admin.tenant(slug).await?),
        None => None,
    };
    let expires_at = c
        .expires_at
        .as_deref()
        .map(|s| OffsetDateTime::parse(s, &Rfc3339))
        .transpose()
        .context("--expires-at must be an RFC 3339 time such as 2027-06-30T00:00:00Z")?;
    let admin_role = AdminRole::parse(&c.role).context("--role names no admin role")?;
    let request = TokenRequest {
        name: c.name,
        scim: c.scim,
        admin_role: (tenant.is_some() && !c.scim).then_some(admin_role),
        expires_at,
        owner_id: None,
        // The CLI acts for the whole installation: a whole tenant's token.
        scope: Patch::Absent,
    };
    let (token, secret) = admin
        .services
        .issue_token(&admin.ctx, tenant.as_ref(), Ok(request))
        .await
        .map_err(explain)?;
    eprintln!(
        "created {} token {} ({}){}; store the secret now, it is not shown again:",
        token.role(),
        token.id,
        tenant
            .map(|t| format!("tenant {}", t.slug))
            .unwrap_or_else(|| "super-admin".into()),
        rfc3339(token.expires_at)
            .map(|at| format!(", expires {at}"))
            .unwrap_or_default(),
    );
    println!("{}", secret.expose());
    Ok(())
}

async fn list(admin: Admin, l: ListTokens) -> anyhow::Result<()> {
    let tenant = match &l.tenant {
        Some(slug) => Some(admin.tenant(slug).await?),
        None => None,
    };
    let tokens = admin
        .services
        .list_tokens(&admin.ctx, tenant.as_ref())
        .await
        .map_err(explain)?;
    if l.json {
        let items: Vec<_> = tokens.iter().map(to_json).collect();
        let out = json!({"items": items, "total": tokens.len()});
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if tokens.is_empty() {
        eprintln!("no tokens");
    }
    for t in &tokens {
        println!(
            "{}  {:<12} {:<24} expires {:<20} last used {}",
            t.id,
            t.role(),
            t.name,
            rfc3339(t.expires_at).unwrap_or_else(|| "never".into()),
            rfc3339(t.last_used_at).unwrap_or_else(|| "never".into()),
        );
    }
    Ok(())
}

/// Revokes a token wherever it is: among the super-admin tokens or those
/// of any tenant (the CLI is the operator, who sees them all).
async fn revoke(admin: Admin, id: &str) -> anyhow::Result<()> {
    let owner = find_owner(&admin, id).await?;
    admin
        .services
        .revoke_token(&admin.ctx, owner.as_ref(), id)
        .await
        .map_err(|e| {
            anyhow!(
                "{}; `usher token list [--tenant T]` shows the tokens",
                explain(e)
            )
        })?;
    eprintln!("revoked token {id}");
    Ok(())
}

/// The tenant that holds the token `id`; `None` for a super-admin token,
/// or for none at all (whose revoke is then refused, and audited, as
/// `token_not_found`).
async fn find_owner(admin: &Admin, id: &str) -> anyhow::Result<Option<Tenant>> {
    let held = |tokens: &[ApiToken]| tokens.iter().any(|t| t.id.to_string() == id);
    for tenant in admin.services.store.list_tenants().await? {
        if held(&admin.services.store.list_tokens(Some(tenant.id)).await?) {
            return Ok(Some(tenant));
        }
    }
    Ok(None)
}
