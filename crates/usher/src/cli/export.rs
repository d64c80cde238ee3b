//! `usher user export`: every user a list with the same filters shows, as
//! CSV or JSON Lines, written page by page to a file or standard output,
//! the same bytes `GET /users/export` streams.

use super::{Admin, explain};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::PathBuf;
use usher_core::export::{csv_header, csv_lines, csv_row};
use usher_http::schema::UserResponse;

#[derive(Debug, Args)]
pub struct ExportUsers {
    /// Tenant slug.
    #[arg(long, default_value = "default")]
    tenant: String,
    /// csv or jsonl (one user per line, as the API shows it).
    #[arg(long, default_value = "csv",
          value_parser = clap::builder::PossibleValuesParser::new(["csv", "jsonl"]))]
    format: String,
    /// The file to write (must not exist); standard output without it.
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    filters: super::user::UserFilters,
}

pub async fn run(admin: &Admin, a: &ExportUsers) -> anyhow::Result<()> {
    let tenant = admin.tenant(&a.tenant).await?;
    let params = a.filters.params();
    let (mut query, attributes) = admin
        .services
        .start_export(&tenant, &admin.ctx, &params, &a.format)
        .await
        .map_err(explain)?;
    let mut out: Box<dyn Write> = match &a.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    // A bar only when the users go to a file: on standard output it would
    // mix with them.
    let bar = match &a.output {
        Some(_) => ProgressBar::new_spinner(),
        None => ProgressBar::hidden(),
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} exported {pos} users ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let mut header = a.format == "csv";
    let mut written = 0u64;
    loop {
        let page = admin
            .services
            .export_page(&tenant, &query)
            .await
            .map_err(explain)?;
        let now = admin.services.clock.now();
        if a.format == "csv" {
            let ids: Vec<_> = page.items.iter().map(|u| u.id).collect();
            let roles = admin
                .services
                .role_names_of(&tenant, &ids)
                .await
                .map_err(explain)?;
            let mut rows = Vec::with_capacity(page.items.len() + 1);
            if std::mem::take(&mut header) {
                rows.push(csv_header(&attributes));
            }
            rows.extend(page.items.iter().map(|u| {
                let held = roles.get(&u.id).map_or(&[][..], Vec::as_slice);
                csv_row(u, held, &attributes, now)
            }));
            out.write_all(&csv_lines(&rows))?;
        } else {
            let users = UserResponse::page(&admin.services, &tenant, &page.items)
                .await
                .map_err(explain)?;
            for u in users {
                serde_json::to_writer(&mut out, &u)?;
                out.write_all(b"\n")?;
            }
        }
        written += page.items.len() as u64;
        bar.set_position(written);
        match page.next {
            Some(next) => query.cursor = next,
            None => break,
        }
    }
    out.flush()?;
    bar.finish_and_clear();
    if let Some(path) = &a.output {
        println!(
            "exported {} to {}",
            super::counted(written, "user", "users"),
            path.display()
        );
    }
    Ok(())
}
