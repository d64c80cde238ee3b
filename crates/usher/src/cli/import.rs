//! `usher import FILE`: users from CSV or JSON Lines, with a progress bar
//! and a summary table.

use super::{Admin, explain};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use usher_core::import::ImportFormat;
use usher_core::service::{ImportReport, ImportRequest};

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
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
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

fn print_table(r: &ImportReport) {
    let rows = [
        ("rows in the file", r.rows),
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
        ("rows with errors", r.failed_rows),
        ("good rows in failed batches", r.skipped_rows),
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
                "  … and {} more (use --json to see all)",
                r.errors.len() - 50
            );
        }
    }
}

pub async fn run(admin: Admin, args: ImportArgs) -> anyhow::Result<()> {
    let format = format_of(&args)?;
    let file = std::fs::read(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let tenant = admin.tenant(&args.tenant).await?;
    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template(
        "importing {bar:40} {pos}/{len} rows ({per_sec}, {eta} left)",
    )?);
    if args.json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let report = admin
        .services
        .import_users(
            &tenant,
            &admin.ctx,
            ImportRequest {
                format,
                dry_run: args.dry_run,
                file,
            },
            &progress,
        )
        .await
        .map_err(explain)?;
    bar.finish_and_clear();
    if args.json {
        let errors: Vec<serde_json::Value> = report
            .errors
            .iter()
            .map(|e| serde_json::json!({"line": e.line, "field": e.field, "code": e.code, "message": e.message}))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "dry_run": report.dry_run, "rows": report.rows, "created": report.created,
                "updated": report.updated, "failed_rows": report.failed_rows,
                "skipped_rows": report.skipped_rows, "batches": report.batches,
                "failed_batches": report.failed_batches, "errors": errors,
            })
        );
    } else {
        print_table(&report);
    }
    if report.failed_rows > 0 {
        anyhow::bail!(
            "{} rows had errors; their batches were not written",
            report.failed_rows
        );
    }
    Ok(())
}
