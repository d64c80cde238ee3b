//! Reading the audit log and verifying its hash chains.

use super::Services;
use crate::audit::{AuditAction, AuditContext, ChainBreak, ChainVerifier, StoredLink};
use crate::error::{Error, ErrorCode};
use crate::ids::TenantId;
use crate::listing::{AuditQuery, Cursor, Page, parse_limit};
use crate::store::ChainHead;
use crate::tenant::Tenant;
use serde_json::json;
use std::collections::HashMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The raw filters of `GET /audit`.
#[derive(Debug, Clone, Default)]
pub struct AuditParams {
    pub actor: Option<String>,
    pub target: Option<String>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn parse_time(name: &'static str, v: Option<&str>) -> Result<Option<OffsetDateTime>, Error> {
    match v.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => OffsetDateTime::parse(s, &Rfc3339).map(Some).map_err(|_| {
            Error::bad_request(
                ErrorCode::InvalidTime,
                format!("{name} must be an RFC 3339 time such as 2026-01-31T12:00:00Z"),
            )
        }),
    }
}

fn bounded(name: &'static str, v: Option<&String>) -> Result<Option<String>, Error> {
    match v.filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > 200 => Err(Error::bad_request(
            ErrorCode::FilterTooLong,
            format!("{name} may have at most 200 characters"),
        )),
        Some(s) if s.chars().any(char::is_control) => Err(Error::bad_request(
            ErrorCode::InvalidFilter,
            format!("{name} must not contain control characters"),
        )),
        other => Ok(other.cloned()),
    }
}

impl AuditParams {
    fn parse(&self) -> Result<AuditQuery, Error> {
        let cursor = match Cursor::decode(self.cursor.as_deref())? {
            Cursor::First => None,
            c @ (Cursor::After(_) | Cursor::Before(_)) => {
                let key = match &c {
                    Cursor::After(k) | Cursor::Before(k) => k,
                    _ => unreachable!("matched above"),
                };
                if key.parse::<i64>().is_err() {
                    return Err(Error::bad_request(
                        ErrorCode::InvalidCursor,
                        "the cursor is not valid; start again from the first page",
                    ));
                }
                Some(c)
            }
            Cursor::Last => Some(Cursor::Last),
        };
        Ok(AuditQuery {
            actor: bounded("actor", self.actor.as_ref())?,
            target: bounded("target", self.target.as_ref())?,
            action: bounded("action", self.action.as_ref())?,
            from: parse_time("from", self.from.as_deref())?,
            to: parse_time("to", self.to.as_deref())?,
            limit: parse_limit(self.limit)?,
            cursor,
        })
    }
}

/// The outcome of verifying one chain.
#[derive(Debug, Clone)]
pub struct ChainReport {
    pub chain: TenantId,
    pub events: u64,
    /// How many of the events were keyed (the rest predate the key).
    pub keyed: u64,
    pub result: Result<(), ChainBreak>,
}

/// What [`Services::key_audit_chains`] did.
#[derive(Debug, Clone, Default)]
pub struct ChainKeying {
    /// Chains that got an `audit.chain_keyed` event.
    pub keyed: usize,
    /// Chains whose newest event names a key the configuration lacks, with
    /// that key's id.
    pub foreign: Vec<(TenantId, String)>,
}

/// The outcome of verifying every chain.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    pub chains: Vec<ChainReport>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.chains.iter().all(|c| c.result.is_ok())
    }
}

impl Services {
    /// A page of the tenant's audit log, newest first (itself audited).
    pub async fn list_audit(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        params: &AuditParams,
    ) -> Result<Page<StoredLink>, Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::AuditList)
            .details(json!({
                "actor": params.actor, "target": params.target, "action": params.action,
                "from": params.from, "to": params.to,
            }));
        let query = self.accept(&draft, params.parse()).await?;
        let page = self.store.list_audit(tenant.id, &query).await?;
        self.store.append_audit(draft).await?;
        Ok(page)
    }

    /// Keys every chain whose newest event is not keyed, by adding an
    /// `audit.chain_keyed` event under the current key. Runs at start: from
    /// then on the newest event of every chain is keyed, which verification
    /// holds a keyed installation to (see [`ChainVerifier::finish`]).
    /// Without a key it does nothing. A chain whose newest event names a
    /// key the configuration lacks is reported, not keyed: the installation
    /// runs with another key than the one it had (a restore without its
    /// key file), which would also leave its TOTP secrets unreadable.
    pub async fn key_audit_chains(&self, ctx: &AuditContext) -> Result<ChainKeying, Error> {
        let mut report = ChainKeying::default();
        let Some(keys) = &self.options.secret_keys else {
            return Ok(report);
        };
        let keys = keys.chain_keys();
        for head in self.store.audit_heads().await? {
            let newest = self.store.audit_links(head.chain, head.seq - 1, 1).await?;
            let key = newest.first().and_then(|l| {
                serde_json::from_str::<serde_json::Value>(&l.payload)
                    .ok()
                    .map(|v| {
                        v.get("key")
                            .map(|k| k.as_str().unwrap_or_default().to_owned())
                    })
            });
            match key {
                Some(None) => {
                    let tenant = (head.chain != TenantId::nil()).then_some(head.chain);
                    let draft = ctx
                        .draft(tenant, AuditAction::AuditChainKeyed, self.clock.now())
                        .details(json!({"unkeyed_events": head.seq, "key": keys.current_id()}));
                    self.store.append_audit(draft).await?;
                    report.keyed += 1;
                }
                Some(Some(id)) if !keys.holds(&id) => report.foreign.push((head.chain, id)),
                _ => {}
            }
        }
        Ok(report)
    }

    /// Walks every chain from its first event, `progress` called per batch.
    pub async fn verify_audit(&self, progress: impl FnMut(u64)) -> Result<VerifyReport, Error> {
        self.verify_audit_against(&HashMap::new(), progress).await
    }

    /// The head of every chain (`usher audit anchor`): kept somewhere the
    /// database's writers cannot reach, they let a later verification show
    /// that history up to them was not rewritten, which a chain alone cannot
    /// (whoever can write the database can rebuild a consistent chain).
    pub async fn audit_anchors(&self) -> Result<Vec<ChainHead>, Error> {
        Ok(self.store.audit_heads().await?)
    }

    /// Like [`Services::verify_audit`], and each chain must also still hold,
    /// at the anchored sequence number, the event whose hash was anchored.
    pub async fn verify_audit_against(
        &self,
        anchors: &HashMap<TenantId, (i64, String)>,
        mut progress: impl FnMut(u64),
    ) -> Result<VerifyReport, Error> {
        let mut report = VerifyReport::default();
        let heads = self.store.audit_heads().await?;
        for (chain, (seq, _)) in anchors {
            if !heads.iter().any(|h| h.chain == *chain) {
                report.chains.push(ChainReport {
                    chain: *chain,
                    events: 0,
                    keyed: 0,
                    result: Err(ChainBreak {
                        seq: *seq,
                        problem: "the anchored chain is gone".into(),
                    }),
                });
            }
        }
        for head in heads {
            let anchor = anchors.get(&head.chain);
            let walked = self.walk_chain(&head, anchor, &mut progress).await?;
            report.chains.push(walked);
        }
        Ok(report)
    }

    /// Walks the tenant's own chain from its first event (the console's
    /// check), audited as `audit.verify` with its outcome. A tenant whose
    /// chain is empty has nothing to break.
    pub async fn verify_tenant_audit(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
    ) -> Result<ChainReport, Error> {
        let heads = self.store.audit_heads().await?;
        let report = match heads.into_iter().find(|h| h.chain == tenant.id) {
            Some(head) => self.walk_chain(&head, None, &mut |_| {}).await?,
            None => ChainReport {
                chain: tenant.id,
                events: 0,
                keyed: 0,
                result: Ok(()),
            },
        };
        let details = json!({
            "events": report.events,
            "intact": report.result.is_ok(),
            "broken_at": report.result.as_ref().err().map(|b| b.seq),
        });
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::AuditVerify)
            .details(details);
        self.store.append_audit(draft).await?;
        Ok(report)
    }

    /// Checks one chain up to `head`, event by event, and against its
    /// anchored event if there is one.
    async fn walk_chain(
        &self,
        head: &ChainHead,
        anchor: Option<&(i64, String)>,
        progress: &mut impl FnMut(u64),
    ) -> Result<ChainReport, Error> {
        let keys = self.options.secret_keys.as_ref().map(|k| k.chain_keys());
        let mut verifier = ChainVerifier::new(head.chain, keys);
        let mut after = 0;
        let mut result = Ok(());
        'walk: loop {
            let batch = self.store.audit_links(head.chain, after, 5_000).await?;
            if batch.is_empty() {
                break;
            }
            for link in &batch {
                if let Err(b) = verifier.check(link) {
                    result = Err(b);
                    break 'walk;
                }
                if let Some((seq, hash)) = anchor
                    && link.seq == *seq
                    && link.hash != *hash
                {
                    result = Err(ChainBreak {
                        seq: *seq,
                        problem: "the event differs from the anchored one (history was rewritten)"
                            .into(),
                    });
                    break 'walk;
                }
                after = link.seq;
            }
            progress(batch.len() as u64);
        }
        if result.is_ok() {
            result = verifier.finish(head.seq, &head.hash);
        }
        if result.is_ok()
            && let Some((seq, _)) = anchor
            && head.seq < *seq
        {
            result = Err(ChainBreak {
                seq: *seq,
                problem: format!(
                    "the chain ends at event {} before its anchored event",
                    head.seq
                ),
            });
        }
        Ok(ChainReport {
            chain: head.chain,
            events: verifier.verified,
            keyed: verifier.keyed,
            result,
        })
    }
}
