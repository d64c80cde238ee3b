//! `usher import FILE`: users from CSV or JSON Lines, with a progress bar
//! and a summary table.
//!
//! The import is queued like one sent to the API (a record and an
//! `import_run` job, in the database), and this process claims the job and
//! runs it at once. Should it stop halfway, a server sharing the database
//! takes the job over when its lease runs out and resumes after the last
//! batch written; should a server have claimed it first, this process
//! follows it instead. `--detach` only queues it.

use super::{Admin, explain};
use crate::jobs::Runner;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Duration;
use usher_core::import::{ImportFormat, ImportRecord, ImportRunState, OnError};
use usher_core::job::{JobKind, JobState};
use usher_core::service::ImportRequest;
use usher_core::tenant::Tenant;

/// The columns `usher import --help` lists.
pub const COLUMNS: &str = "\
Columns (CSV header) or keys (JSON Lines):
  email                 required; with external_id, names the user to update
  first_name, last_name, phone, language, username, personal_email, external_id
  state                 active, not_invited (default), invite (sends the
                        invitation), blocked, disabled, or a state an export shows
  archived              true or false
  password_hash         argon2, bcrypt, PBKDF2, scrypt (rehashed at first login)
  totp_secret           base32; becomes a confirmed authenticator
  attributes.NAME       a custom attribute (JSON Lines: an attributes object)
  id, mfa_enrolled, created_at, updated_at, last_login_at
                        written by an export; read and ignored
A row whose external id or email names a stored user updates it; the others
create users. Running an import again changes nothing.";

/// How often the progress bar reads the import's record.
const FOLLOW_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file: CSV with a header row, or JSON Lines (one user per line).
    file: PathBuf,
    /// Tenant slug.
    #[arg(long, default_value = "default")]
    tenant: String,
    /// csv or jsonl; by default from the file's extension.
    #[arg(long)]
    format: Option<String>,
    /// Check everything (store checks included) and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// What a bad row does: skip_row writes the good rows and lists the bad
    /// ones; fail_batch writes nothing of a batch (5,000 rows) with a bad
    /// row; fail_file writes nothing unless every row is good.
    #[arg(long, value_name = "MODE", default_value = "skip_row",
          value_parser = clap::builder::PossibleValuesParser::new(["skip_row", "fail_batch", "fail_file"]))]
    on_error: String,
    /// Print the import as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Only queue the import and print its id; a running `usher serve`
    /// on the same database runs it (GET /api/v1/tenants/T/imports/ID).
    #[arg(long)]
    detach: bool,
}

fn format_of(args: &ImportArgs) -> anyhow::Result<ImportFormat> {
    let name = match &args.format {
        Some(f) => f.clone(),
        None => args
            .file
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase(),
    };
    ImportFormat::parse(&name).ok_or_else(|| {
        anyhow::anyhow!(
            "cannot tell the format of {}: pass --format csv or --format jsonl",
            args.file.display()
        )
    })
}

fn print_table(r: &ImportRecord) {
    let rows = [
        ("rows in the file", r.total),
        (
            if r.dry_run {
                "would be created"
            } else {
                "created"
            },
            r.created,
        ),
        (
            if r.dry_run {
                "would be updated"
            } else {
                "updated"
            },
            r.updated,
        ),
        ("unchanged", r.unchanged),
        ("rows with errors", r.failed_rows),
        ("good rows not written", r.skipped_rows),
        ("batches", r.batches),
        ("failed batches", r.failed_batches),
    ];
    println!();
    for (name, n) in rows {
        println!("  {name:<30} {n:>10}");
    }
    if !r.errors.is_empty() {
        println!();
        println!("  {:>7}  {:<22} {:<24} message", "line", "field", "code");
        for e in r.errors.iter().take(50) {
            println!(
                "  {:>7}  {:<22} {:<24} {}",
                e.line,
                e.field.as_deref().unwrap_or("-"),
                e.code,
                e.message
            );
        }
        if r.errors.len() > 50 {
            println!(
                "  … and {} more (use --json to see the first {})",
                r.errors.len() - 50,
                r.errors.len()
            );
        }
    }
}

/// Runs the import's job here, or follows it where another process runs
/// it, with the progress bar; answers the finished import.
async fn follow(
    admin: &Admin,
    tenant: &Tenant,
    record: ImportRecord,
    bar: &ProgressBar,
) -> anyhow::Result<ImportRecord> {
    let store = admin.services.store.clone();
    let job = record
        .job_id
        .ok_or_else(|| anyhow::anyhow!("the import has no job"))?;
    let jobs = admin
        .services
        .background_jobs(time::Duration::days(1))
        .into_iter()
        .filter(|j| j.kind() == JobKind::ImportRun)
        .collect();
    let instance = format!("{}:cli:{}", crate::app::host_name(), std::process::id());
    let runner = Runner::new(admin.services.clone(), instance, jobs, 1, FOLLOW_EVERY);
    let mut here = tokio::spawn(async move { runner.run_one(job).await });
    // None while this process may still run the job; then whether it did.
    let mut ran_here: Option<bool> = None;
    loop {
        let Some(now) = store.get_import(tenant.id, record.id).await? else {
            anyhow::bail!("the import {} is gone", record.id);
        };
        bar.set_length(now.total.max(now.rows));
        bar.set_position(now.rows);
        if now.state.is_finished() {
            return Ok(now);
        }
        match ran_here {
            None => tokio::select! {
                r = &mut here => ran_here = Some(r??),
                () = tokio::time::sleep(FOLLOW_EVERY) => {}
            },
            // An attempt ended here without finishing the import.
            Some(true) => {
                let job = store.get_job(Some(tenant.id), job).await?;
                let failed = job.as_ref().is_some_and(|j| j.state == JobState::Failed);
                let why = job.and_then(|j| j.last_error).unwrap_or_default();
                if failed {
                    let mut failed = now;
                    failed.state = ImportRunState::Failed;
                    failed.error = Some(why);
                    return Ok(failed);
                }
                anyhow::bail!(
                    "the import stopped after {}: {why}; a running `usher serve` on \
                     this database tries it again (see `usher jobs list --kind import_run`)",
                    super::counted(now.batches, "batch", "batches")
                );
            }
            // Another process runs it: follow.
            Some(false) => tokio::time::sleep(FOLLOW_EVERY).await,
        }
    }
}

pub async fn run(admin: Admin, args: ImportArgs) -> anyhow::Result<()> {
    let format = format_of(&args)?;
    let file = std::fs::read(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let tenant = admin.tenant(&args.tenant).await?;
    let request = ImportRequest {
        format,
        dry_run: args.dry_run,
        on_error: OnError::parse(&args.on_error).unwrap_or_default(),
        file,
    };
    let queued = admin
        .services
        .start_import(&tenant, &admin.ctx, request, true)
        .await
        .map_err(explain)?;
    if args.detach {
        println!("queued import {} ({} lines)", queued.id, queued.total);
        println!("{}", queued.id);
        return Ok(());
    }
    let bar = ProgressBar::new(queued.total);
    bar.set_style(ProgressStyle::with_template(
        "importing {bar:40} {pos}/{len} rows ({per_sec}, {eta} left)",
    )?);
    if args.json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let record = follow(&admin, &tenant, queued, &bar).await?;
    bar.finish_and_clear();
    if args.json {
        let errors: Vec<serde_json::Value> = record
            .errors
            .iter()
            .map(|e| serde_json::json!({"line": e.line, "field": e.field, "code": e.code, "message": e.message}))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "id": record.id.to_string(), "state": record.state.as_str(),
                "dry_run": record.dry_run, "on_error": record.on_error.as_str(),
                "total": record.total, "rows": record.rows,
                "created": record.created, "updated": record.updated,
                "unchanged": record.unchanged,
                "failed": record.failed_rows, "failed_rows": record.failed_rows,
                "skipped_rows": record.skipped_rows, "batches": record.batches,
                "failed_batches": record.failed_batches, "errors": errors,
                "errors_truncated": record.errors_truncated, "error": record.error,
            })
        );
    } else {
        print_table(&record);
    }
    if record.state == ImportRunState::Failed {
        anyhow::bail!(
            "the import failed after {}: {}",
            super::counted(record.batches, "batch", "batches"),
            record.error.unwrap_or_default()
        );
    }
    if record.failed_rows > 0 {
        let rows = super::counted(record.failed_rows, "row", "rows");
        match record.on_error {
            OnError::SkipRow => anyhow::bail!("{rows} had errors and were skipped"),
            OnError::FailBatch => {
                anyhow::bail!("{rows} had errors; their batches were not written")
            }
            OnError::FailFile => anyhow::bail!("{rows} had errors; nothing was written"),
        }
    }
    Ok(())
}
