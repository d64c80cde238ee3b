//! The `usher` binary's library: configuration, the application that
//! `usher serve` runs (and tests start on port 0) and the command line.
//! The benchmark is not here but in the binary (`src/bench/`), so that the
//! server and the tests do not link it.

pub mod app;
pub mod cli;
pub mod config;
pub mod jobs;
pub mod mailer;
pub mod secret_key;
pub mod serve;

pub use app::Application;
pub use config::Config;

/// Starts logging to standard error: `USHER_LOG` (or `RUST_LOG`) filters,
/// `USHER_LOG_FORMAT=json` switches to one JSON object per line.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("USHER_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("USHER_LOG_FORMAT").is_ok_and(|v| v == "json");
    // Colour only for a person at a terminal: a log file or a pipe gets
    // plain text, and `NO_COLOR` is honoured.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
