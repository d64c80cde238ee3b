//! Building and running the server: one function that tests call too.

use crate::config::Config;
use anyhow::{Context, anyhow};
use axum::http::StatusCode;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower_http::timeout::TimeoutLayer;
use usher_core::audit::{Actor, AuditContext};
use usher_core::geoip::GeoIp;
use usher_core::service::{ServiceOptions, Services};
use usher_core::token::Secret;
use usher_core::{Clock, Store, SystemClock};
use usher_http::AppState;
use usher_store_postgres::PostgresStore;
use usher_store_sqlite::SqliteStore;

/// Opens the store a database URL names, running migrations.
pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(path) = SqliteStore::path_from_url(url) {
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
            .await
            .map_err(|e| anyhow!("opening SQLite panicked: {e}"))?
            .context("opening the SQLite database")?;
        return Ok(Arc::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PostgresStore::connect(url)
            .await
            .context("connecting to PostgreSQL")?;
        return Ok(Arc::new(store));
    }
    Err(anyhow!(
        "the database URL must start with sqlite:// or postgres://"
    ))
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
    let store = open_store(config.database_url.expose()).await?;
    let options = ServiceOptions {
        public_url: config.public_url.clone(),
        hashing: config.hashing.clone(),
        geoip: geoip.map(Arc::new),
        trusted_proxies: config.trusted_proxies.clone(),
    };
    let services =
        Services::with_options(store, clock, options).context("starting the password hashers")?;
    let system = AuditContext::new(Actor::system());
    services
        .ensure_default_tenant(&system)
        .await
        .context("creating the default tenant")?;
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
    mailer: Option<crate::mailer::Mailer>,
    mail_poll: Duration,
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
        let listener = TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let port = listener.local_addr()?.port();
        let mailer = match &config.smtp_url {
            Some(url) => Some(crate::mailer::Mailer::new(
                services.clone(),
                url.expose(),
                &config.mail_from,
            )?),
            None => {
                tracing::info!(
                    "no USHER_SMTP_URL: mails stay in the outbox (GET /api/v1/tenants/{{tenant}}/outbox)"
                );
                None
            }
        };
        Ok(Self {
            listener,
            services,
            port,
            mailer,
            mail_poll: config.mail_poll,
            request_timeout: config.request_timeout,
            limits: crate::serve::ConnectionLimits {
                header_timeout: config.header_timeout,
                ..Default::default()
            },
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let sweeper = spawn_sweeper(self.services.clone());
        let mailer = self.mailer.map(|m| m.spawn(self.mail_poll));
        // Bulk processes a crash or restart interrupted carry on.
        match self.services.resume_bulk_processes().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(resumed = n, "resumed bulk processes"),
            Err(e) => {
                tracing::warn!(error = %e, "bulk processes could not be resumed; restart to retry")
            }
        }
        let app = usher_http::router(AppState {
            services: self.services.clone(),
        });
        tracing::info!(port = self.port, "usher is listening");
        let app = app.layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            self.request_timeout,
        ));
        crate::serve::serve(self.listener, app, self.limits, shutdown).await;
        sweeper.abort();
        if let Some(m) = mailer {
            m.abort();
        }
        Ok(())
    }
}

/// Periodically marks expired invitations (see `Store::sweep_expired_invitations`).
fn spawn_sweeper(services: Services) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            loop {
                match services
                    .store
                    .sweep_expired_invitations(services.clock.now(), 1000)
                    .await
                {
                    Ok(1000) => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "sweeping expired invitations failed");
                        break;
                    }
                }
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    })
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
