//! `usher outbox list`: the mails Usher queued or sent, with the links of
//! undelivered ones — how an operator without SMTP hands them over.

use super::{Admin, explain};
use clap::Subcommand;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List mails, newest first.
    List {
        /// Tenant slug.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// queued, sent or failed.
        #[arg(long)]
        state: Option<String>,
        /// How many, 1 to 200.
        #[arg(long)]
        limit: Option<i64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(admin: Admin, cmd: OutboxCommand) -> anyhow::Result<()> {
    let OutboxCommand::List {
        tenant,
        state,
        limit,
        json,
    } = cmd;
    let tenant = admin.tenant(&tenant).await?;
    let page = admin
        .services
        .list_outbox(&tenant, &admin.ctx, state.as_deref(), limit, None)
        .await
        .map_err(explain)?;
    if json {
        let items: Vec<_> = page
            .items
            .iter()
            .map(|e| {
                json!({"id": e.mail.id, "kind": e.mail.kind.as_str(), "recipient": e.mail.recipient,
                    "subject": e.mail.subject, "link": e.mail.link, "state": e.state.as_str(),
                    "attempts": e.attempts, "last_error": e.last_error})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"items": items, "total": page.total}))?
        );
        return Ok(());
    }
    for e in &page.items {
        println!(
            "{}  {:<7} {:<15} {}",
            e.mail.created_at.date(),
            e.state.as_str(),
            e.mail.kind.as_str(),
            e.mail.recipient
        );
        println!("    {}", e.mail.subject);
        if let Some(link) = &e.mail.link {
            println!("    {link}");
        }
        if let Some(err) = &e.last_error {
            println!("    last error: {err}");
        }
    }
    println!(
        "{} of {}",
        page.items.len(),
        super::counted(page.total, "mail", "mails")
    );
    Ok(())
}
