//! `usher audit verify` walks every hash chain; `usher audit anchor` prints
//! each chain's head, to be kept elsewhere and given back to
//! `verify --anchor`, which then also shows that history up to those heads
//! was not rewritten.

use super::{Admin, explain};
use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::path::PathBuf;
use usher_core::TenantId;
use usher_core::tenant::Tenant;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check that no audit event was altered, removed or reordered.
    Verify {
        /// A file `usher audit anchor` wrote earlier: every chain must still
        /// hold the anchored events.
        #[arg(long, value_name = "FILE")]
        anchor: Option<PathBuf>,
    },
    /// Print the head of every chain, one line each (`name seq hash`); keep
    /// the output where the database's writers cannot change it.
    Anchor,
}

/// A chain's name in anchors and reports: `global`, or its tenant's slug.
/// How much of a chain is keyed, for `usher audit verify`.
fn keying(events: u64, keyed: u64) -> String {
    match events - keyed {
        0 => "keyed".into(),
        _ if keyed == 0 => "not keyed (set USHER_SECRET_KEY)".into(),
        before => format!("keyed from event {}", before + 1),
    }
}

fn chain_name(chain: TenantId, tenants: &[Tenant]) -> String {
    if chain.is_nil() {
        return "global".to_owned();
    }
    match tenants.iter().find(|t| t.id == chain) {
        Some(t) => t.slug.to_string(),
        None => chain.to_string(),
    }
}

/// Reads an anchor file back into chains.
fn read_anchors(
    text: &str,
    tenants: &[Tenant],
) -> anyhow::Result<HashMap<TenantId, (i64, String)>> {
    let mut out = HashMap::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [name, seq, hash] = parts[..] else {
            bail!("line {}: expected `name seq hash`", i + 1);
        };
        let chain = if name == "global" {
            TenantId::nil()
        } else if let Some(t) = tenants.iter().find(|t| t.slug.as_str() == name) {
            t.id
        } else {
            name.parse()
                .map_err(|_| anyhow!("line {}: no tenant {name} (anchored, now gone)", i + 1))?
        };
        let seq = seq
            .parse()
            .with_context(|| format!("line {}: {seq} is not a sequence number", i + 1))?;
        out.insert(chain, (seq, hash.to_owned()));
    }
    Ok(out)
}

pub async fn run(admin: Admin, cmd: AuditCommand) -> anyhow::Result<()> {
    let tenants = admin.services.store.list_tenants().await?;
    match cmd {
        AuditCommand::Anchor => {
            for head in admin.services.audit_anchors().await.map_err(explain)? {
                println!(
                    "{} {} {}",
                    chain_name(head.chain, &tenants),
                    head.seq,
                    head.hash
                );
            }
            Ok(())
        }
        AuditCommand::Verify { anchor } => {
            let anchors = match &anchor {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    read_anchors(&text, &tenants)?
                }
                None => HashMap::new(),
            };
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} verified {pos} events ({per_sec})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            let report = admin
                .services
                .verify_audit_against(&anchors, |n| bar.inc(n))
                .await
                .map_err(explain)?;
            bar.finish_and_clear();
            for c in &report.chains {
                let name = match chain_name(c.chain, &tenants) {
                    n if n == "global" => n,
                    n => format!("tenant {n}"),
                };
                match &c.result {
                    Ok(()) => println!(
                        "ok      {name}: {}, {}",
                        super::counted(c.events, "event", "events"),
                        keying(c.events, c.keyed)
                    ),
                    Err(b) => println!("BROKEN  {name}: at event {}: {}", b.seq, b.problem),
                }
            }
            if report.ok() {
                match anchor {
                    Some(_) => println!("the audit log is intact and reaches every anchored head"),
                    None => println!("the audit log is intact"),
                }
                Ok(())
            } else {
                bail!("the audit log has been tampered with or damaged")
            }
        }
    }
}
