//! Configuration: flags override `USHER_*` environment variables, which
//! override an optional TOML file. Secrets are wrapped so that `Debug`
//! never prints them, and each can also be read from a file named by a
//! `*_FILE` variable (container secrets). Who may read `/metrics` is
//! [`metrics`]'s.

mod metrics;

pub use metrics::MetricsAccess;

use anyhow::{Context, bail};
use clap::Args;
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};
use usher_core::net::TrustedProxies;
use usher_core::password::{HashParams, HasherConfig};

/// A secret setting; `Debug` shows only whether it is set.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(s: String) -> Self {
        Self(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Settings shared by every subcommand that opens the database.
#[derive(Debug, Clone, Args, Default)]
pub struct StoreArgs {
    /// Optional TOML configuration file.
    #[arg(long, global = true, env = "USHER_CONFIG", hide_env_values = true)]
    pub config: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://…` [default: sqlite://./usher-data/usher.db]
    #[arg(
        long,
        global = true,
        env = "USHER_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
}

/// Settings of `usher serve`.
#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "USHER_LISTEN", hide_env_values = true)]
    pub listen: Option<String>,
    /// Base URL for links in emails [default: http://{listen}]
    #[arg(long, env = "USHER_PUBLIC_URL", hide_env_values = true)]
    pub public_url: Option<String>,
    /// MaxMind DB file (GeoLite2/GeoIP2 City or Country) for sessions'
    /// locations [default: none]
    #[arg(long, env = "USHER_GEOIP_DB", hide_env_values = true)]
    pub geoip_db: Option<PathBuf>,
    /// Reverse proxies whose X-Forwarded-For names the client: addresses
    /// and networks, comma-separated (e.g. 10.0.0.0/8,127.0.0.1)
    /// [default: none]
    #[arg(long, env = "USHER_TRUSTED_PROXIES", hide_env_values = true)]
    pub trusted_proxies: Option<String>,
    /// Who may read /metrics: off (404), token (a super-admin API token) or
    /// listen (also without a token on --metrics-listen) [default: token]
    #[arg(
        long,
        env = "USHER_METRICS",
        hide_env_values = true,
        value_parser = ["off", "token", "listen"]
    )]
    pub metrics: Option<String>,
    /// Address (host:port) serving only /metrics, without a token; implies
    /// --metrics listen [default: none]
    #[arg(long, env = "USHER_METRICS_LISTEN", hide_env_values = true)]
    pub metrics_listen: Option<String>,
}

/// The TOML file's shape; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    public_url: Option<String>,
    bootstrap_token: Option<String>,
    secret_key: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    argon2_memory_kib: Option<u32>,
    argon2_iterations: Option<u32>,
    argon2_parallelism: Option<u32>,
    hash_workers: Option<usize>,
    request_timeout_secs: Option<u64>,
    header_timeout_secs: Option<u64>,
    geoip_db: Option<PathBuf>,
    trusted_proxies: Option<String>,
    job_workers: Option<usize>,
    job_retention_days: Option<u32>,
    metrics: Option<String>,
    metrics_listen: Option<String>,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: String,
    pub database_url: SecretString,
    pub public_url: String,
    pub bootstrap_token: Option<SecretString>,
    /// Keys sealing TOTP secrets (`USHER_SECRET_KEY`): the current one
    /// first. Unset: on SQLite a key generated into the database's
    /// directory; on PostgreSQL none (secrets stay in clear, with a
    /// warning).
    pub secret_key: Option<SecretString>,
    pub smtp_url: Option<SecretString>,
    /// Sender of Usher's mails.
    pub mail_from: String,
    /// How often the job runner looks for due jobs when it found none.
    pub job_poll: std::time::Duration,
    /// Jobs one process runs at once.
    pub job_workers: usize,
    /// Days finished jobs are kept.
    pub job_retention_days: u32,
    /// Password hashing parameters and workers.
    pub hashing: HasherConfig,
    /// Longest a request may take, body included (408 after).
    pub request_timeout: std::time::Duration,
    /// Time a client has to send a request's headers; the connection is
    /// closed after it.
    pub header_timeout: std::time::Duration,
    /// MaxMind DB file that sessions' locations come from; read by
    /// `usher serve` only.
    pub geoip_db: Option<PathBuf>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// Who may read `/metrics`, and where.
    pub metrics: MetricsAccess,
}

pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
pub const DEFAULT_HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How often an idle job runner looks for due jobs: the longest a new job
/// waits when it was queued by another process (this one's own are seen at
/// once).
pub const DEFAULT_JOB_POLL: std::time::Duration = std::time::Duration::from_secs(1);
/// Jobs run at once per process: mail deliveries wait on the network, a
/// bulk run on the store; four keep both busy without crowding requests.
pub const DEFAULT_JOB_WORKERS: usize = 4;

/// The default sender.
pub const DEFAULT_MAIL_FROM: &str = "Usher <usher@localhost>";

/// A number from the environment, or from the file, or nothing.
fn number<T: std::str::FromStr>(name: &str, file: Option<T>) -> anyhow::Result<Option<T>> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .map(Some)
            .map_err(|_| anyhow::anyhow!("{name} must be a whole number, not {v:?}")),
        _ => Ok(file),
    }
}

/// A positive number of seconds from the environment or the file.
fn seconds(name: &str, file: Option<u64>) -> anyhow::Result<Option<std::time::Duration>> {
    match number(name, file)? {
        Some(0) => bail!("{name} must be at least 1 second"),
        n => Ok(n.map(std::time::Duration::from_secs)),
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://./usher-data/usher.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// An environment variable, or the contents of the file its `_FILE` twin names.
fn env_secret(name: &str) -> anyhow::Result<Option<String>> {
    if let Ok(v) = std::env::var(name)
        && !v.is_empty()
    {
        return Ok(Some(v));
    }
    match std::env::var(format!("{name}_FILE")) {
        Ok(path) if !path.is_empty() => {
            let v = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {name}_FILE ({path})"))?;
            Ok(Some(v.trim_end_matches(['\n', '\r']).to_owned()))
        }
        _ => Ok(None),
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the configuration file {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("{} is not a valid Usher configuration", path.display()))
}

impl Config {
    /// A configuration with every default, for `listen` and `database_url`.
    pub fn new(listen: &str, database_url: &str) -> Self {
        Self {
            listen: listen.to_owned(),
            database_url: SecretString::new(database_url.to_owned()),
            public_url: format!("http://{listen}"),
            bootstrap_token: None,
            secret_key: None,
            smtp_url: None,
            mail_from: DEFAULT_MAIL_FROM.to_owned(),
            job_poll: DEFAULT_JOB_POLL,
            job_workers: DEFAULT_JOB_WORKERS,
            job_retention_days: usher_core::job::DEFAULT_RETENTION_DAYS,
            hashing: HasherConfig::default(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            geoip_db: None,
            trusted_proxies: TrustedProxies::default(),
            metrics: MetricsAccess::default(),
        }
    }

    pub fn resolve(store: &StoreArgs, serve: &ServeArgs) -> anyhow::Result<Self> {
        let file = match &store.config {
            Some(p) => read_file(p)?,
            None => FileConfig::default(),
        };
        let listen = serve
            .listen
            .clone()
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let database_url = store
            .database_url
            .clone()
            .or(env_secret("USHER_DATABASE_URL")?)
            .or(file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!("USHER_DATABASE_URL must start with sqlite:// or postgres://");
        }
        let public_url = serve
            .public_url
            .clone()
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let defaults = HasherConfig::default();
        let hashing = HasherConfig {
            params: HashParams {
                m_kib: number("USHER_ARGON2_MEMORY_KIB", file.argon2_memory_kib)?
                    .unwrap_or(defaults.params.m_kib),
                t: number("USHER_ARGON2_ITERATIONS", file.argon2_iterations)?
                    .unwrap_or(defaults.params.t),
                p: number("USHER_ARGON2_PARALLELISM", file.argon2_parallelism)?
                    .unwrap_or(defaults.params.p),
            },
            workers: number("USHER_HASH_WORKERS", file.hash_workers)?.unwrap_or(defaults.workers),
            ..defaults
        };
        hashing
            .params
            .validate()
            .map_err(|e| anyhow::anyhow!("argon2 settings: {e}"))?;
        Ok(Self {
            listen,
            database_url: SecretString::new(database_url),
            public_url: public_url.trim_end_matches('/').to_owned(),
            bootstrap_token: env_secret("USHER_BOOTSTRAP_TOKEN")?
                .or(file.bootstrap_token)
                .map(SecretString::new),
            secret_key: env_secret("USHER_SECRET_KEY")?
                .or(file.secret_key)
                .map(SecretString::new),
            smtp_url: env_secret("USHER_SMTP_URL")?
                .or(file.smtp_url)
                .map(SecretString::new),
            mail_from: std::env::var("USHER_MAIL_FROM")
                .ok()
                .filter(|v| !v.is_empty())
                .or(file.mail_from)
                .unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned()),
            job_poll: DEFAULT_JOB_POLL,
            job_workers: number("USHER_JOB_WORKERS", file.job_workers)?
                .unwrap_or(DEFAULT_JOB_WORKERS)
                .max(1),
            job_retention_days: number("USHER_JOB_RETENTION_DAYS", file.job_retention_days)?
                .unwrap_or(usher_core::job::DEFAULT_RETENTION_DAYS),
            hashing,
            request_timeout: seconds("USHER_REQUEST_TIMEOUT_SECS", file.request_timeout_secs)?
                .unwrap_or(DEFAULT_REQUEST_TIMEOUT),
            header_timeout: seconds("USHER_HEADER_TIMEOUT_SECS", file.header_timeout_secs)?
                .unwrap_or(DEFAULT_HEADER_TIMEOUT),
            geoip_db: serve.geoip_db.clone().or(file.geoip_db),
            trusted_proxies: match serve.trusted_proxies.clone().or(file.trusted_proxies) {
                Some(list) => TrustedProxies::parse(&list)
                    .map_err(|e| anyhow::anyhow!("USHER_TRUSTED_PROXIES: {e}"))?,
                None => TrustedProxies::default(),
            },
            metrics: MetricsAccess::resolve(
                serve.metrics.as_deref().or(file.metrics.as_deref()),
                serve.metrics_listen.clone().or(file.metrics_listen),
            )?,
        })
    }
}

/// `usher config example`: a commented configuration file.
pub const EXAMPLE: &str = r#"# Usher configuration. Every key is optional; USHER_* environment
# variables override this file and command-line flags override both.

# Address the HTTP server listens on (USHER_LISTEN, --listen).
listen = "127.0.0.1:8080"

# Where users live (USHER_DATABASE_URL). SQLite is created on first start;
# use postgres://user:password@host:5432/dbname for PostgreSQL.
database_url = "sqlite://./usher-data/usher.db"

# Base URL placed in links inside emails (USHER_PUBLIC_URL).
public_url = "http://127.0.0.1:8080"

# A super-admin API token with exactly this secret exists while this is set
# (USHER_BOOTSTRAP_TOKEN, or USHER_BOOTSTRAP_TOKEN_FILE). At least 16 characters.
# bootstrap_token = "change-me-to-a-long-random-secret"

# The key that seals TOTP secrets at rest (USHER_SECRET_KEY, or
# USHER_SECRET_KEY_FILE): 32 bytes in base64url or hex; several keys,
# comma-separated, rotate (the first seals, all open). Unset: on SQLite a key
# is generated into the database's directory (secret.key, 0600); on
# PostgreSQL secrets stay in clear. Back it up apart from the database.
# secret_key = "…43 base64url characters…"

# Outgoing mail (USHER_SMTP_URL): smtp://user:pass@host:587 (STARTTLS) or
# smtps://user:pass@host:465. Unset: mail stays in the outbox.
# smtp_url = "smtp://usher:secret@mail.example.com:587"

# Sender of invitation and reset mails (USHER_MAIL_FROM).
# mail_from = "Acme Accounts <accounts@example.com>"

# Longest a request may take, body included, before a 408
# (USHER_REQUEST_TIMEOUT_SECS), and the time a client has to send its
# request headers before the connection is closed (USHER_HEADER_TIMEOUT_SECS).
# request_timeout_secs = 30
# header_timeout_secs = 10

# Background jobs (mail delivery, bulk runs, sweeps): how many one process
# runs at once (USHER_JOB_WORKERS), and how many days finished jobs stay
# listed (USHER_JOB_RETENTION_DAYS).
# job_workers = 4
# job_retention_days = 7

# Password hashing (argon2id). The defaults follow OWASP: 19 MiB, 2 passes,
# 1 lane; one worker thread per core (USHER_ARGON2_MEMORY_KIB,
# USHER_ARGON2_ITERATIONS, USHER_ARGON2_PARALLELISM, USHER_HASH_WORKERS).
# argon2_memory_kib = 19456
# argon2_iterations = 2
# argon2_parallelism = 1
# hash_workers = 2

# Sessions record a location ("City, Country") looked up in this MaxMind DB
# file, e.g. GeoLite2-City.mmdb or GeoLite2-Country.mmdb (USHER_GEOIP_DB,
# --geoip-db). `usher serve` refuses to start if it is missing or invalid.
# geoip_db = "/var/lib/usher/GeoLite2-City.mmdb"

# Behind a reverse proxy, the proxy's address is every client's address
# (audit, sessions, the per-address login throttle) unless it is trusted
# here: then X-Forwarded-For is read from the right, past trusted proxies
# (USHER_TRUSTED_PROXIES, --trusted-proxies). Never list addresses that
# clients can reach Usher from directly.
# trusted_proxies = "127.0.0.1, 10.0.0.0/8"

# Who may read /metrics (Prometheus text): "off" (404), "token" (a
# super-admin API token as Bearer), or "listen": also without a token on
# metrics_listen, an address that serves nothing else (USHER_METRICS,
# --metrics; USHER_METRICS_LISTEN, --metrics-listen). The API address never
# serves /metrics without a token.
# metrics = "token"
# metrics_listen = "127.0.0.1:9100"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_parses_as_a_configuration() {
        let parsed: FileConfig = toml::from_str(EXAMPLE).unwrap();
        assert_eq!(parsed.listen.as_deref(), Some("127.0.0.1:8080"));
    }

    #[test]
    fn the_geoip_database_comes_from_the_flag_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("usher.toml");
        std::fs::write(&file, "geoip_db = \"/data/GeoLite2-City.mmdb\"\n").unwrap();
        let store = StoreArgs {
            config: Some(file),
            database_url: Some("sqlite://x.db".into()),
        };
        let from_file = Config::resolve(&store, &ServeArgs::default()).unwrap();
        assert_eq!(
            from_file.geoip_db.as_deref(),
            Some(Path::new("/data/GeoLite2-City.mmdb"))
        );
        let serve = ServeArgs {
            geoip_db: Some("/flag.mmdb".into()),
            ..ServeArgs::default()
        };
        let from_flag = Config::resolve(&store, &serve).unwrap();
        assert_eq!(from_flag.geoip_db.as_deref(), Some(Path::new("/flag.mmdb")));
        let none = Config::resolve(&StoreArgs::default(), &ServeArgs::default()).unwrap();
        assert_eq!(none.geoip_db, None);
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = SecretString::new("sup3r-secret".into());
        assert!(!format!("{s:?}").contains("sup3r"));
    }
}
