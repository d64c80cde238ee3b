//! `usher audit verify`: walks every hash chain.

use super::{Admin, explain};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check that no audit event was altered, removed or reordered.
    Verify,
}

pub async fn run(admin: Admin, cmd: AuditCommand) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Verify => {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} verified {pos} events ({per_sec})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            let report = admin
                .services
                .verify_audit(|n| bar.inc(n))
                .await
                .map_err(explain)?;
            bar.finish_and_clear();
            let tenants = admin.services.store.list_tenants().await?;
            for c in &report.chains {
                let name = if c.chain.is_nil() {
                    "global".to_owned()
                } else {
                    // Named by slug; by id should the tenant be gone.
                    match tenants.iter().find(|t| t.id == c.chain) {
                        Some(t) => format!("tenant {}", t.slug),
                        None => format!("tenant {} (deleted)", c.chain),
                    }
                };
                match &c.result {
                    Ok(()) => println!(
                        "ok      {name}: {}",
                        super::counted(c.events, "event", "events")
                    ),
                    Err(b) => println!("BROKEN  {name}: at event {}: {}", b.seq, b.problem),
                }
            }
            if report.ok() {
                println!("the audit log is intact");
                Ok(())
            } else {
                anyhow::bail!("the audit log has been tampered with or damaged")
            }
        }
    }
}
