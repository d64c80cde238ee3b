//! `usher backup FILE` and `usher restore FILE`: a consistent copy of the
//! database while the server keeps running, and putting one back.
//!
//! SQLite uses its online backup API (a consistent snapshot, writers go on).
//! PostgreSQL uses `pg_dump`/`pg_restore` in their custom format, which
//! must be installed (Debian: postgresql-client).

use crate::config::{Config, ServeArgs, StoreArgs};
use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::Command;
use usher_store_sqlite::SqliteStore;

fn pg_tool(tool: &str, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(tool)
        .args(args)
        .status()
        .with_context(|| format!("running {tool} (install the PostgreSQL client tools)"))?;
    if !status.success() {
        bail!("{tool} failed ({status})");
    }
    Ok(())
}

pub async fn backup(store: &StoreArgs, file: PathBuf) -> anyhow::Result<()> {
    let config = Config::resolve(store, &ServeArgs::default())?;
    let url = config.database_url.expose().to_owned();
    if let Some(path) = SqliteStore::path_from_url(&url) {
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path)).await??;
        if file.exists() {
            bail!("{} exists; choose a new file", file.display());
        }
        store.backup_to(&file).await?;
    } else {
        let out = file.to_string_lossy().into_owned();
        pg_tool(
            "pg_dump",
            &["--format=custom", "--file", &out, "--dbname", &url],
        )?;
    }
    println!("backed up to {}", file.display());
    Ok(())
}

pub async fn restore(store: &StoreArgs, file: PathBuf, force: bool) -> anyhow::Result<()> {
    let config = Config::resolve(store, &ServeArgs::default())?;
    let url = config.database_url.expose().to_owned();
    if let Some(path) = SqliteStore::path_from_url(&url) {
        if path.exists() && !force {
            bail!(
                "{} exists; stop the server and pass --force to replace it",
                path.display()
            );
        }
        let target = path.clone();
        tokio::task::spawn_blocking(move || SqliteStore::restore(&file, &target)).await??;
        println!("restored into {}", path.display());
        if let Some(key) = crate::secret_key::key_file(&url).filter(|k| !k.exists()) {
            println!(
                "put the installation's secret key at {} (or set USHER_SECRET_KEY) before starting",
                key.display()
            );
        }
    } else {
        if !force {
            bail!(
                "restoring replaces the PostgreSQL database's contents; stop the servers and pass --force"
            );
        }
        let input = file.to_string_lossy().into_owned();
        pg_tool(
            "pg_restore",
            &[
                "--clean",
                "--if-exists",
                "--no-owner",
                "--dbname",
                &url,
                &input,
            ],
        )?;
        println!("restored into the PostgreSQL database");
    }
    Ok(())
}
