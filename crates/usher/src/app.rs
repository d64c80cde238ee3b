//! Building and running the server: one function that tests call too.

use crate::config::Config;
use anyhow::{Context, anyhow, bail};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use usher_core::audit::{Actor, AuditContext, ChainKeys};
use usher_core::geoip::GeoIp;
use usher_core::sealing::SecretKeys;
use usher_core::service::{ServiceOptions, Services};
use usher_core::token::Secret;
use usher_core::{Clock, Store, SystemClock};
use usher_http::AppState;
use usher_http::metrics::Metrics;
use usher_store_postgres::PostgresStore;
use usher_store_sqlite::SqliteStore;

/// Opens the store a database URL names, running migrations; its audit
/// events are hashed under `chain_keys` when given.
pub async fn open_store(
    url: &str,
    chain_keys: Option<ChainKeys>,
) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(path) = SqliteStore::path_from_url(url) {
        let store = tokio::task::spawn_blocking(move || SqliteStore::open_keyed(&path, chain_keys))
            .await
            .map_err(|e| anyhow!("opening SQLite panicked: {e}"))?
            .context("opening the SQLite database")?;
        return Ok(Arc::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PostgresStore::connect_keyed(url, chain_keys)
            .await
            .context("connecting to PostgreSQL")?;
        return Ok(Arc::new(store));
    }
    Err(anyhow!(
        "the database URL must start with sqlite:// or postgres://"
    ))
}

/// Opens the store the configuration names with the installation's secret
/// keys (generating one for SQLite on first start), which also key its
/// audit chains.
pub async fn open_configured_store(
    config: &Config,
) -> anyhow::Result<(Arc<dyn Store>, Option<Arc<SecretKeys>>)> {
    let keys = crate::secret_key::resolve(config)?;
    let chain_keys = keys.as_ref().map(|k| k.chain_keys());
    let store = open_store(config.database_url.expose(), chain_keys).await?;
    Ok((store, keys))
}

/// Reads and checks the GeoIP database `USHER_GEOIP_DB` names.
pub async fn open_geoip(path: &Path) -> anyhow::Result<GeoIp> {
    let owned = path.to_owned();
    let geoip = tokio::task::spawn_blocking(move || GeoIp::open(&owned))
        .await
        .map_err(|e| anyhow!("reading USHER_GEOIP_DB panicked: {e}"))?
        .map_err(|e| anyhow!("USHER_GEOIP_DB ({}): {e}", path.display()))?;
    if geoip.has_known_layout() {
        tracing::info!(
            database_type = geoip.database_type(),
            "GeoIP database loaded"
        );
    } else {
        tracing::warn!(
            database_type = geoip.database_type(),
            "USHER_GEOIP_DB is not a City or Country database; sessions may get no location"
        );
    }
    Ok(geoip)
}

/// The services over a store, with the default tenant and the bootstrap
/// token in place. Admin commands open no sessions, so these locate none.
pub async fn services(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Services> {
    services_with(config, clock, None).await
}

async fn services_with(
    config: &Config,
    clock: Arc<dyn Clock>,
    geoip: Option<GeoIp>,
) -> anyhow::Result<Services> {
    let (store, secret_keys) = open_configured_store(config).await?;
    let options = ServiceOptions {
        public_url: config.public_url.clone(),
        hashing: config.hashing.clone(),
        geoip: geoip.map(Arc::new),
        trusted_proxies: config.trusted_proxies.clone(),
        secret_keys,
    };
    let services =
        Services::with_options(store, clock, options).context("starting the password hashers")?;
    let system = AuditContext::new(Actor::system());
    services
        .ensure_default_tenant(&system)
        .await
        .context("creating the default tenant")?;
    let keying = services
        .key_audit_chains(&system)
        .await
        .context("keying the audit chains")?;
    if let Some((_, id)) = keying.foreign.first() {
        bail!(
            "the audit log was last written under secret key {id}, which this configuration \
             does not hold: start with the installation's own key (USHER_SECRET_KEY, or the \
             secret.key file beside the SQLite database; after a restore, copy it back there), \
             listing retired keys after the current one"
        );
    }
    if let Some(token) = &config.bootstrap_token {
        services
            .install_bootstrap_token(&system, &Secret::from_string(token.expose().to_owned()))
            .await
            .map_err(|e| anyhow!("USHER_BOOTSTRAP_TOKEN: {e}"))?;
    }
    Ok(services)
}

/// A server bound to its port, ready to run.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    services: Services,
    port: u16,
    metrics: Metrics,
    /// The metrics address's listener, in `USHER_METRICS=listen` mode.
    metrics_listener: Option<TcpListener>,
    mailer: Option<crate::mailer::Mailer>,
    job_poll: Duration,
    job_workers: usize,
    job_retention_days: u32,
    request_timeout: Duration,
    limits: crate::serve::ConnectionLimits,
}

impl Application {
    /// Opens the store, prepares it and binds the listener.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Like [`Application::build`] with another clock (tests move time).
    pub async fn build_with_clock(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        // Before the database: a wrong path fails the start at once.
        let geoip = match &config.geoip_db {
            Some(path) => Some(open_geoip(path).await?),
            None => None,
        };
        let services = services_with(config, clock, geoip).await?;
        if config.bootstrap_token.is_none() {
            let system = AuditContext::new(Actor::system());
            let removed = services
                .remove_bootstrap_token(&system)
                .await
                .context("removing the bootstrap token")?;
            if removed {
                tracing::warn!("USHER_BOOTSTRAP_TOKEN is unset: the bootstrap token was revoked");
            }
        }
        let listener = TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let port = listener.local_addr()?.port();
        let metrics = Metrics::new(config.metrics.api_access());
        metrics.watch_store(services.store.clone());
        metrics.watch_jobs(services.clone());
        let metrics_listener = match config.metrics.listen() {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} (USHER_METRICS_LISTEN)"))?,
            ),
            None => None,
        };
        let mailer = match &config.smtp_url {
            Some(url) => Some(crate::mailer::Mailer::new(
                services.clone(),
                url.expose(),
                &config.mail_from,
                metrics.clone(),
            )?),
            None => {
                tracing::info!(
                    "no USHER_SMTP_URL: mails stay in the outbox (GET /api/v1/tenants/{{tenant}}/outbox)"
                );
                None
            }
        };
        let app = Self {
            listener,
            services,
            port,
            metrics,
            metrics_listener,
            mailer,
            job_poll: config.job_poll,
            job_workers: config.job_workers,
            job_retention_days: config.job_retention_days,
            request_timeout: config.request_timeout,
            limits: crate::serve::ConnectionLimits {
                header_timeout: config.header_timeout,
                ..Default::default()
            },
        };
        // The recurring jobs exist before the first request is served; if
        // the store is briefly away, the runner tries again when it starts.
        if let Err(e) = app.runner().prepare().await {
            tracing::warn!(error = %e, "preparing the job queue failed; the runner will retry");
        }
        Ok(app)
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The metrics address's port, in `USHER_METRICS=listen` mode.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port())
    }

    /// The app's instruments (further families register here).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let runner = self.runner().spawn();
        let app = usher_http::router(
            AppState {
                services: self.services.clone(),
                metrics: self.metrics.clone(),
            },
            self.request_timeout,
        );
        // The metrics address closes after the API's drain, so that
        // requests in flight are still counted and scraped.
        let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
        let metrics_server = self.metrics_listener.map(|listener| {
            let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
            tracing::info!(
                port,
                "metrics are served without a token on their own address"
            );
            let app = usher_http::metrics::listen_router(self.metrics.clone());
            let stopped = async move {
                let _ = metrics_stopped.await;
            };
            tokio::spawn(crate::serve::serve(listener, app, self.limits, stopped))
        });
        tracing::info!(port = self.port, "usher is listening");
        crate::serve::serve(self.listener, app, self.limits, shutdown).await;
        let _ = stop_metrics.send(());
        if let Some(server) = metrics_server {
            let _ = server.await;
        }
        runner.abort();
        Ok(())
    }

    /// The job runner of this process: the services' jobs, and mail
    /// delivery when SMTP is configured.
    pub fn runner(&self) -> crate::jobs::Runner {
        let retention = time::Duration::days(i64::from(self.job_retention_days));
        let mut jobs = self.services.background_jobs(retention);
        if let Some(m) = &self.mailer {
            jobs.push(Arc::new(m.clone()));
        }
        crate::jobs::Runner::new(
            self.services.clone(),
            instance_name(self.port),
            jobs,
            self.job_workers,
            self.job_poll,
        )
    }
}

/// This process among those sharing the database, stable across restarts:
/// the host's name and the port it listens on.
fn instance_name(port: u16) -> String {
    format!("{}:{port}", host_name())
}

/// The name of the host this process runs on.
pub(crate) fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "usher".to_owned())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
