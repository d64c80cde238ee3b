//! Metrics: what Usher counts, and `GET /metrics` in the Prometheus text
//! format. One [`Metrics`] per app, built at start and handed to the
//! router, the mailer and whoever else counts — never a process-wide
//! static, so two apps in one process (tests) count apart.
//!
//! The families are registered here, in [`Metrics::new`], except gauges a
//! store answers, which [`Metrics::watch_store`] registers as readers
//! called at each scrape. Other parts (the job queue) register their own
//! the same way, through [`Metrics::registry`] and [`Registry::gauges`].
//!
//! [`registry`] holds the families, [`series`] their counters and
//! histograms, [`text`] the format, [`layer`] counts
//! requests by route template, [`logins`] reads a login's outcome,
//! [`endpoint`] serves the scrape.

mod endpoint;
mod jobs;
mod layer;
mod logins;
mod registry;
mod series;
mod store;
mod text;

#[cfg(test)]
mod tests;

pub use endpoint::listen_router;
pub(crate) use endpoint::routes;
pub(crate) use layer::{CountRequestsLayer, route_of};
pub(crate) use logins::LoginCount;
pub use registry::{Family, GaugeSample, Registry};
pub use series::{Counter, Histogram, Series};

use axum::http::{Method, StatusCode};
use std::sync::Arc;
use std::time::Duration;
use usher_core::store::MailOutcome;

/// Whether the API address answers `GET /metrics` (`USHER_METRICS`): to a
/// super-admin token, or not at all (404, as any unknown path). A separate
/// metrics address, which needs no token, is the binary's to serve with
/// [`listen_router`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiAccess {
    Off,
    Token,
}

/// The route label of a request that matched no route.
pub const UNMATCHED: &str = "<unmatched>";

/// Request durations' bucket bounds, in seconds: from a cached read (1 ms)
/// to the default request timeout (30 s), around a login's password hash
/// (tens of milliseconds).
const DURATION_BOUNDS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The outcomes of a mail delivery attempt, as labelled.
const MAIL_OUTCOMES: [&str; 3] = ["delivered", "retry", "failed"];

/// One app's instruments.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Instruments>,
}

#[derive(Debug)]
struct Instruments {
    registry: Registry,
    requests: Arc<Family<Counter>>,
    durations: Arc<Family<Histogram>>,
    logins: Arc<Family<Counter>>,
    mail: Arc<Family<Counter>>,
    api: ApiAccess,
}

impl Metrics {
    /// The instruments every app has, at zero.
    pub fn new(api: ApiAccess) -> Self {
        let registry = Registry::default();
        let requests = registry.counter(
            "usher_http_requests_total",
            "HTTP requests answered, by method, route template and status.",
            &["method", "route", "status"],
        );
        let durations = registry.histogram(
            "usher_http_request_duration_seconds",
            "Time from a request's arrival until its response's head, by method and route template.",
            &["method", "route"],
            &DURATION_BOUNDS,
        );
        let logins = registry.counter(
            "usher_logins_total",
            "Login attempts by outcome: success (a session opened, after the second factor if one was asked), mfa_required (a right password, a second factor asked), failure (wrong credentials or code, or a blocked user), throttled (refused unchecked).",
            &["outcome"],
        );
        let mail = registry.counter(
            "usher_mail_deliveries_total",
            "Mail delivery attempts over SMTP by outcome: delivered, retry (a temporary failure, tried again later), failed (given up).",
            &["outcome"],
        );
        // Every outcome is written from the start, at zero, so that rates
        // are defined before the first event of each.
        for o in LoginCount::ALL {
            logins.with(&[o.label()], |_| ());
        }
        for o in MAIL_OUTCOMES {
            mail.with(&[o], |_| ());
        }
        Self {
            inner: Arc::new(Instruments {
                registry,
                requests,
                durations,
                logins,
                mail,
                api,
            }),
        }
    }

    /// Where further families are registered (see [`Registry::gauges`]).
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Whether the API address serves `/metrics`.
    pub fn api_access(&self) -> ApiAccess {
        self.inner.api
    }

    /// Every family in the text format.
    pub async fn render(&self) -> String {
        self.inner.registry.render().await
    }

    /// Counts a mail delivery attempt by its outcome. A cancelled mail was
    /// never offered to SMTP: not an attempt.
    pub fn count_mail(&self, outcome: &MailOutcome) {
        let label = match outcome {
            MailOutcome::Sent { .. } => MAIL_OUTCOMES[0],
            MailOutcome::Retry { .. } => MAIL_OUTCOMES[1],
            MailOutcome::Failed { .. } => MAIL_OUTCOMES[2],
            MailOutcome::Cancelled { .. } => return,
        };
        self.inner.mail.with(&[label], Counter::inc);
    }

    /// Counts a login attempt; `None` (a request refused before the
    /// credentials were checked, or a store failure) is not counted.
    pub(crate) fn count_login(&self, outcome: Option<LoginCount>) {
        if let Some(o) = outcome {
            self.inner.logins.with(&[o.label()], Counter::inc);
        }
    }

    /// Counts an answered request and its duration (`method` from
    /// [`method_label`]).
    pub(crate) fn count_request(
        &self,
        method: &'static str,
        route: &str,
        status: StatusCode,
        elapsed: Duration,
    ) {
        self.inner
            .requests
            .with(&[method, route, status.as_str()], Counter::inc);
        self.inner
            .durations
            .observe(&[method, route], elapsed.as_secs_f64());
    }
}

/// The method label: the standard methods by name, any other as `other`
/// (a client can send any token as a method; each would be a new series).
pub(crate) fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
