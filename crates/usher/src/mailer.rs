//! Delivering the outbox over SMTP.
//!
//! The deliverer claims due mails with a lease, sends each, and records the
//! outcome (with an audit event). Failures are retried with exponential
//! backoff; a permanent SMTP refusal, or ten failed attempts, give up.
//!
//! Guarantee: every mail written to the outbox is delivered at least once
//! while SMTP is reachable, across restarts. A crash after the SMTP server
//! accepted a mail but before the outcome was stored sends that mail again
//! once its lease expires (two minutes); the message keeps the same
//! Message-ID so receiving systems can recognise the duplicate. No other
//! duplicate is possible: a lease is taken in a committed write before
//! sending, so two deliverers never send one mail at the same time.

use anyhow::{Context, bail};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;
use std::time::Duration;
use tokio::task::JoinHandle;
use usher_core::audit::{Actor, AuditAction, AuditContext};
use usher_core::mail::OutboxEntry;
use usher_core::service::Services;
use usher_core::store::MailOutcome;

/// Attempts before a mail is given up.
pub const MAX_ATTEMPTS: u32 = 10;
/// How long a claimed mail is reserved for its deliverer.
const LEASE: time::Duration = time::Duration::minutes(2);
/// Mails claimed per round.
const BATCH: u32 = 20;

/// The SMTP side of the outbox.
#[derive(Clone)]
pub struct Mailer {
    services: Services,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
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
    pub fn new(services: Services, smtp_url: &str, from: &str) -> anyhow::Result<Self> {
        Ok(Self {
            services,
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

    /// Delivers the mails due now; answers how many were attempted. Tests
    /// call it to drain the queue deterministically.
    pub async fn run_once(&self) -> Result<usize, usher_core::StoreError> {
        let now = self.services.clock.now();
        let due = self
            .services
            .store
            .claim_mail(now, now + LEASE, BATCH)
            .await?;
        for e in &due {
            let attempt = e.attempts + 1;
            let sent = match self.message(e) {
                Ok(m) => self
                    .transport
                    .send(m)
                    .await
                    .map(|_| ())
                    .map_err(|err| (err.is_permanent(), err.to_string())),
                Err(err) => Err((true, format!("{err:#}"))),
            };
            let at = self.services.clock.now();
            let (outcome, action) = match sent {
                Ok(()) => (MailOutcome::Sent { at }, AuditAction::MailDelivered),
                Err((permanent, error)) if permanent || attempt >= MAX_ATTEMPTS => {
                    (MailOutcome::Failed { error }, AuditAction::MailFailed)
                }
                Err((_, error)) => {
                    let wait = time::Duration::seconds((30_i64 << (attempt - 1).min(7)).min(3600));
                    (
                        MailOutcome::Retry {
                            error,
                            at: at + wait,
                        },
                        AuditAction::MailRetry,
                    )
                }
            };
            let error = match &outcome {
                MailOutcome::Retry { error, .. } | MailOutcome::Failed { error } => {
                    Some(error.clone())
                }
                MailOutcome::Sent { .. } => None,
            };
            if let Some(err) = &error {
                tracing::warn!(mail = %e.mail.id, attempt, error = %err, "mail delivery failed");
            }
            let draft = AuditContext::new(Actor::system())
                .draft(Some(e.mail.tenant_id), action, at)
                .target("mail", e.mail.id)
                .details(json!({"kind": e.mail.kind.as_str(), "recipient": e.mail.recipient, "attempt": attempt, "error": error}));
            self.services
                .store
                .finish_mail(e.mail.id, outcome, draft)
                .await?;
        }
        Ok(due.len())
    }

    /// Delivers in the background, looking for due mail every `every`.
    pub fn spawn(self, every: Duration) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.run_once().await {
                    Ok(n) if n as u32 == BATCH => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "reading the outbox failed"),
                }
                tokio::time::sleep(every).await;
            }
        })
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
