//! `usher jobs list|retry`: background work (mail deliveries, bulk runs,
//! sweeps), and queuing a failed job again.

use super::{Admin, explain};
use clap::Subcommand;
use serde_json::json;
use usher_core::job::JobRecord;
use usher_core::service::JobParams;

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs, newest first: a tenant's, or with --all every job.
    List {
        /// Tenant slug.
        #[arg(long, default_value = "default", conflicts_with = "all")]
        tenant: String,
        /// Every tenant's jobs and the installation-wide ones.
        #[arg(long)]
        all: bool,
        /// invitation_sweep, mail_delivery, bulk_run, job_purge or noop.
        #[arg(long)]
        kind: Option<String>,
        /// queued, running, completed or failed.
        #[arg(long)]
        state: Option<String>,
        /// How many, 1 to 200.
        #[arg(long)]
        limit: Option<i64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Queue a failed job again (its attempts start afresh).
    Retry {
        /// The job's id.
        id: String,
    },
}

fn to_json(j: &JobRecord) -> serde_json::Value {
    json!({"id": j.id, "kind": j.kind.as_str(), "tenant": j.tenant, "state": j.state.as_str(),
        "attempts": j.attempts, "run_at": j.run_at.to_string(), "lease_owner": j.lease_owner,
        "last_error": j.last_error})
}

pub async fn run(admin: Admin, cmd: JobsCommand) -> anyhow::Result<()> {
    match cmd {
        JobsCommand::List {
            tenant,
            all,
            kind,
            state,
            limit,
            json,
        } => {
            let tenant = if all {
                None
            } else {
                Some(admin.tenant(&tenant).await?)
            };
            let params = JobParams {
                kind,
                state,
                limit,
                cursor: None,
            };
            let page = admin
                .services
                .list_jobs(tenant.as_ref(), &admin.ctx, &params)
                .await
                .map_err(explain)?;
            if json {
                let items: Vec<_> = page.items.iter().map(to_json).collect();
                let out = json!({"items": items, "total": page.total});
                println!("{}", serde_json::to_string_pretty(&out)?);
                return Ok(());
            }
            for j in &page.items {
                println!(
                    "{}  {:<9} {:<16} attempts {}  due {}",
                    j.id,
                    j.state.as_str(),
                    j.kind.as_str(),
                    j.attempts,
                    j.run_at.date()
                );
                if let Some(err) = &j.last_error {
                    println!("    last error: {err}");
                }
            }
            println!(
                "{} of {}",
                page.items.len(),
                super::counted(page.total, "job", "jobs")
            );
            Ok(())
        }
        JobsCommand::Retry { id } => {
            let job = admin
                .services
                .retry_job(None, &admin.ctx, &id)
                .await
                .map_err(explain)?;
            println!("queued {} ({}) again", job.id, job.kind.as_str());
            Ok(())
        }
    }
}
