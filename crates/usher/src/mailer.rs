//! Delivering the outbox over SMTP.
//!
//! Every mail written to the outbox comes with a `mail_delivery` job; the
//! [`Mailer`] is that job: it sends the mail and records the outcome on the
//! outbox row (with an audit event). Failures are retried with the job's
//! backoff; a permanent SMTP refusal, or the kind's ten attempts, give up.
//!
//! Guarantee: every mail written to the outbox is delivered at least once
//! while SMTP is reachable, across restarts. A crash after the SMTP server
//! accepted a mail but before the outcome was stored sends that mail again
//! once its job's lease runs out; the message keeps the same Message-ID so
//! receiving systems can recognise the duplicate. No other duplicate is
//! possible: the job is leased in a committed write before sending, so two
//! processes never send one mail at the same time.

use anyhow::{Context, bail};
use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;
use std::time::Duration;
use usher_core::MailId;
use usher_core::audit::{Actor, AuditAction, AuditContext};
use usher_core::job::{Job, JobFailure, JobKind, JobOutcome, JobRecord, after_failure};
use usher_core::mail::{MailState, OutboxEntry};
use usher_core::service::Services;
use usher_core::store::MailOutcome;
use usher_http::metrics::Metrics;

/// The SMTP side of the outbox.
#[derive(Clone)]
pub struct Mailer {
    services: Services,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    metrics: Metrics,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Builds a transport from `smtp://user:pass@host:port` (STARTTLS required,
/// port 587; plain only on loopback or with `?tls=none`) or
/// `smtps://…` (TLS from the start, port 465).
pub fn transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let u = url::Url::parse(url).context("USHER_SMTP_URL is not a URL")?;
    let host = u
        .host_str()
        .context("USHER_SMTP_URL names no host")?
        .to_owned();
    let tls_param = u
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let params = || TlsParameters::new(host.clone()).context("setting up TLS for SMTP");
    let (tls, default_port) = match (u.scheme(), tls_param.as_deref()) {
        ("smtps", _) => (Tls::Wrapper(params()?), 465),
        ("smtp", Some("none")) => (Tls::None, 25),
        ("smtp", Some("opportunistic")) => (Tls::Opportunistic(params()?), 587),
        ("smtp", Some("required")) => (Tls::Required(params()?), 587),
        ("smtp", None) if is_loopback(&host) => (Tls::None, 25),
        ("smtp", None) => (Tls::Required(params()?), 587),
        (scheme, tls) => bail!(
            "USHER_SMTP_URL: unknown scheme {scheme:?} or tls={tls:?}; use smtp:// or smtps://"
        ),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
        .port(u.port().unwrap_or(default_port))
        .tls(tls.clone())
        .timeout(Some(Duration::from_secs(30)));
    if !u.username().is_empty() {
        if matches!(tls, Tls::None) && !is_loopback(&host) {
            bail!(
                "USHER_SMTP_URL: refusing to send the SMTP password unencrypted; use smtps:// or drop ?tls=none"
            );
        }
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        builder = builder.credentials(Credentials::new(
            decode(u.username()),
            decode(u.password().unwrap_or("")),
        ));
    }
    Ok(builder.build())
}

impl Mailer {
    pub fn new(
        services: Services,
        smtp_url: &str,
        from: &str,
        metrics: Metrics,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            services,
            metrics,
            transport: transport(smtp_url)?,
            from: from
                .parse()
                .with_context(|| format!("USHER_MAIL_FROM ({from:?}) is not an address"))?,
        })
    }

    fn message(&self, e: &OutboxEntry) -> anyhow::Result<Message> {
        let to: Mailbox = e
            .mail
            .recipient
            .parse()
            .context("the recipient is not an address SMTP can take")?;
        Ok(Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(e.mail.subject.clone())
            .message_id(Some(format!("<{}@usher>", e.mail.id)))
            .multipart(MultiPart::alternative_plain_html(
                e.mail.text.clone(),
                e.mail.html.clone(),
            ))?)
    }

    /// Sends one mail: `Err((permanent, error))` when it did not go out.
    async fn send(&self, e: &OutboxEntry) -> Result<(), (bool, String)> {
        match self.message(e) {
            Ok(m) => self
                .transport
                .send(m)
                .await
                .map(|_| ())
                .map_err(|err| (err.is_permanent(), err.to_string())),
            Err(err) => Err((true, format!("{err:#}"))),
        }
    }
}

/// Each queued mail is a `mail_delivery` job, queued with its outbox row.
#[async_trait]
impl Job for Mailer {
    fn kind(&self) -> JobKind {
        JobKind::MailDelivery
    }

    async fn run(&self, job: &JobRecord) -> Result<(), JobFailure> {
        let id: MailId = job.payload["mail_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| JobFailure::Permanent("the job names no mail".into()))?;
        let store = &self.services.store;
        let transient = |e: usher_core::StoreError| JobFailure::Transient(e.to_string());
        let Some(e) = store.get_mail(id).await.map_err(transient)? else {
            return Ok(());
        };
        // Cancelled (a newer link, access revoked) or sent already.
        if e.state != MailState::Queued {
            return Ok(());
        }
        let stale = self
            .services
            .stale_mail(&e)
            .await
            .map_err(|err| JobFailure::Transient(err.to_string()))?;
        if let Some(reason) = stale {
            let at = self.services.clock.now();
            let draft = AuditContext::new(Actor::system())
                .draft(Some(e.mail.tenant_id), AuditAction::MailCancel, at)
                .target("mail", e.mail.id)
                .details(json!({"kind": e.mail.kind.as_str(), "recipient": e.mail.recipient, "reason": reason}));
            let outcome = MailOutcome::Cancelled {
                reason: reason.to_owned(),
            };
            store
                .finish_mail(e.mail.id, outcome, draft)
                .await
                .map_err(transient)?;
            return Ok(());
        }
        let sent = self.send(&e).await;
        let at = self.services.clock.now();
        // The outbox shows what the job will do next: the same retry time,
        // or the end.
        let (outcome, action, result) = match sent {
            Ok(()) => (MailOutcome::Sent { at }, AuditAction::MailDelivered, Ok(())),
            Err((permanent, error)) => {
                let failure = if permanent {
                    JobFailure::Permanent(error)
                } else {
                    JobFailure::Transient(error)
                };
                match after_failure(job, failure.clone(), at) {
                    JobOutcome::Retry { error, at: next } => (
                        MailOutcome::Retry { error, at: next },
                        AuditAction::MailRetry,
                        Err(failure),
                    ),
                    _ => (
                        MailOutcome::Failed {
                            error: failure.to_string(),
                        },
                        AuditAction::MailFailed,
                        Err(JobFailure::Permanent(failure.to_string())),
                    ),
                }
            }
        };
        // What SMTP did, counted even if recording it fails below.
        self.metrics.count_mail(&outcome);
        let error = result.as_ref().err().map(ToString::to_string);
        let draft = AuditContext::new(Actor::system())
            .draft(Some(e.mail.tenant_id), action, at)
            .target("mail", e.mail.id)
            .details(json!({"kind": e.mail.kind.as_str(), "recipient": e.mail.recipient, "attempt": job.attempts, "error": error}));
        store
            .finish_mail(e.mail.id, outcome, draft)
            .await
            .map_err(transient)?;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The transport's connection pool needs a runtime.
    #[tokio::test]
    async fn smtp_urls_choose_tls_sensibly() {
        assert!(transport("smtp://127.0.0.1:2525").is_ok());
        assert!(transport("smtps://u:p@mail.example.com").is_ok());
        assert!(transport("smtp://u:p@mail.example.com:587").is_ok());
        let e = transport("smtp://u:p@mail.example.com?tls=none").unwrap_err();
        assert!(e.to_string().contains("unencrypted"), "{e}");
        assert!(transport("http://mail.example.com").is_err());
    }
}
