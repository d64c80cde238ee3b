//! The command line: `usher serve` and the admin commands, which call the
//! same services as the HTTP API.

mod attribute;
mod audit;
mod backup;
mod bench;
mod export;
mod import;
mod jobs;
mod outbox;
mod role;
mod tenant;
mod token;
mod user;

use crate::config::{Config, EXAMPLE, ServeArgs, StoreArgs};
use clap::{Parser, Subcommand};
use std::future::Future;
use std::sync::Arc;
use usher_core::SystemClock;
use usher_core::audit::{Actor, AuditContext};
use usher_core::service::Services;
use usher_core::tenant::Tenant;

pub use bench::BenchArgs;

/// Usher: the identity lifecycle service.
#[derive(Debug, Parser)]
#[command(name = "usher", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (admin API, operations endpoints).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Create, list and revoke API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Create and list tenants.
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Manage users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Define, list and delete custom attributes.
    #[command(subcommand)]
    Attribute(attribute::AttributeCommand),
    /// Define roles and give them to users.
    #[command(subcommand)]
    Role(role::RoleCommand),
    /// Import users from a CSV or JSON Lines file (upsert by email or
    /// external id; bad rows are listed by line and, by default, skipped).
    #[command(after_help = import::COLUMNS)]
    Import(import::ImportArgs),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Mails queued or sent (with links while undelivered).
    #[command(subcommand)]
    Outbox(outbox::OutboxCommand),
    /// Background jobs: list them, retry a failed one.
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// Write a consistent copy of the database while Usher runs.
    Backup {
        /// The file to write (must not exist).
        file: std::path::PathBuf,
    },
    /// Replace the database with a backup (stop the servers first).
    Restore {
        /// A file written by `usher backup`.
        file: std::path::PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Measure throughput and latency over HTTP on loopback.
    Bench(BenchArgs),
    /// Print a completion script for a shell, e.g.
    /// `usher completions bash > ~/.local/share/bash-completion/completions/usher`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a commented example configuration file.
    Example,
}

/// What admin commands act with: the services and the operator's identity.
pub(crate) struct Admin {
    pub services: Services,
    pub ctx: AuditContext,
}

impl Admin {
    async fn open(store: &StoreArgs) -> anyhow::Result<Self> {
        let config = Config::resolve(store, &ServeArgs::default())?;
        let services = crate::app::services(&config, Arc::new(SystemClock)).await?;
        let operator = std::env::var("USER").unwrap_or_else(|_| "operator".into());
        Ok(Self {
            services,
            ctx: AuditContext::new(Actor::cli(&operator)),
        })
    }

    async fn tenant(&self, slug: &str) -> anyhow::Result<Tenant> {
        self.services
            .find_tenant(slug)
            .await
            .map_err(|_| anyhow::anyhow!("no tenant named {slug:?}; see `usher tenant list`"))
    }
}

/// Turns a domain error into a message an operator can act on.
pub(crate) fn explain(e: usher_core::Error) -> anyhow::Error {
    match e {
        usher_core::Error::Validation(v) => {
            let lines: Vec<String> =
                v.0.iter()
                    .map(|f| format!("  {}: {} ({})", f.field, f.message, f.code))
                    .collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!("{other} ({})", other.code()),
    }
}

/// Runs a command. `bench` runs `usher bench`: the binary passes it in, so
/// that the benchmark stays out of the library the server and tests link.
/// `n` and the noun in the number it takes: "1 row", "2 rows".
pub(crate) fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub async fn run<B, F>(cli: Cli, bench: B) -> anyhow::Result<()>
where
    B: FnOnce(BenchArgs) -> F,
    F: Future<Output = anyhow::Result<()>>,
{
    match cli.command {
        Command::Serve(serve) => {
            let config = Config::resolve(&cli.store, &serve)?;
            let app = crate::app::Application::build(&config).await?;
            println!(
                "usher listening on http://{} (public URL {})",
                config.listen.replace(":0", &format!(":{}", app.port())),
                config.public_url
            );
            app.run_until(crate::app::shutdown_signal()).await
        }
        Command::Migrate => {
            let config = Config::resolve(&cli.store, &ServeArgs::default())?;
            crate::app::open_store(config.database_url.expose(), None).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Token(cmd) => token::run(Admin::open(&cli.store).await?, cmd).await,
        Command::Tenant(cmd) => tenant::run(Admin::open(&cli.store).await?, cmd).await,
        Command::User(cmd) => user::run(Admin::open(&cli.store).await?, cmd).await,
        Command::Attribute(cmd) => attribute::run(Admin::open(&cli.store).await?, cmd).await,
        Command::Role(cmd) => role::run(Admin::open(&cli.store).await?, cmd).await,
        Command::Import(args) => import::run(Admin::open(&cli.store).await?, args).await,
        Command::Audit(cmd) => audit::run(Admin::open(&cli.store).await?, cmd).await,
        Command::Outbox(cmd) => outbox::run(Admin::open(&cli.store).await?, cmd).await,
        Command::Jobs(cmd) => jobs::run(Admin::open(&cli.store).await?, cmd).await,
        Command::Backup { file } => backup::backup(&cli.store, file).await,
        Command::Restore { file, force } => backup::restore(&cli.store, file, force).await,
        Command::Config(ConfigCommand::Example) => {
            print!("{EXAMPLE}");
            Ok(())
        }
        Command::Bench(args) => bench(args).await,
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "usher", &mut std::io::stdout());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_take_the_noun_in_their_number() {
        assert_eq!(super::counted(1, "batch", "batches"), "1 batch");
        assert_eq!(super::counted(0, "row", "rows"), "0 rows");
        assert_eq!(super::counted(2, "event", "events"), "2 events");
    }

    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
