//! A bound on the audit rows that strangers can cause. Every refusal is
//! audited, but a refusal anyone can provoke without credentials (a guess
//! at a link, a login while the throttle holds) would otherwise let one
//! client grow the database without end. Per client address, kind of
//! refusal and tenant, the first [`ROWS_PER_MINUTE`] of each minute are
//! written as usual; the rest are counted, and one `audit.suppressed` row
//! per minute records how many there were.
//!
//! The counts live in each process (a bound per process): they only decide
//! how much detail is kept, never whether a request is allowed.

use super::Services;
use crate::audit::{AuditAction, AuditContext, AuditDraft};
use crate::error::Error;
use crate::ids::TenantId;
use serde_json::json;
use std::collections::HashMap;
use time::OffsetDateTime;

/// Rows written per client address, kind and minute before counting starts.
pub const ROWS_PER_MINUTE: u32 = 20;
/// Keys kept at most; beyond, pending counts are written out and forgotten.
const MAX_KEYS: usize = 10_000;

/// Who caused the refusals, and of what kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct LimitKey {
    tenant: TenantId,
    kind: &'static str,
    client: String,
}

/// One key's current minute.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    minute: i64,
    written: u32,
    suppressed: u32,
}

/// A minute whose suppressed rows are still to be summed up.
struct Summary {
    key: LimitKey,
    minute: i64,
    suppressed: u32,
}

pub(crate) type Windows = std::sync::Mutex<HashMap<LimitKey, Window>>;

fn minute_of(t: OffsetDateTime) -> i64 {
    t.unix_timestamp().div_euclid(60)
}

impl Services {
    /// Records a refusal that needed no credentials, within the bound:
    /// answers `err` either way.
    pub(crate) async fn refuse_unauthenticated(
        &self,
        draft: AuditDraft,
        err: Error,
        kind: &'static str,
        ctx: &AuditContext,
    ) -> Error {
        let now = self.clock.now();
        let key = LimitKey {
            tenant: draft.tenant_id.unwrap_or_else(TenantId::nil),
            kind,
            client: ctx.client_ip.clone().unwrap_or_default(),
        };
        let (write, due) = {
            let mut windows = self
                .caches
                .audit_windows
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let mut due = Vec::new();
            if windows.len() >= MAX_KEYS {
                due.extend(windows.drain().filter_map(|(key, w)| summary(key, &w)));
            }
            let minute = minute_of(now);
            let w = windows.entry(key.clone()).or_insert(Window {
                minute,
                written: 0,
                suppressed: 0,
            });
            if w.minute != minute {
                due.extend(summary(key.clone(), w));
                *w = Window {
                    minute,
                    written: 0,
                    suppressed: 0,
                };
            }
            let write = w.written < ROWS_PER_MINUTE;
            if write {
                w.written += 1;
            } else {
                w.suppressed += 1;
            }
            (write, due)
        };
        if let Err(e) = self.write_summaries(due, ctx).await {
            return e;
        }
        if write {
            self.refuse(draft, err).await
        } else {
            err
        }
    }

    /// Writes the summary of every minute that has ended with rows counted
    /// but not written; the job runner calls it as it polls.
    pub async fn flush_audit_summaries(&self) -> Result<(), Error> {
        let minute = minute_of(self.clock.now());
        let due: Vec<Summary> = {
            let mut windows = self
                .caches
                .audit_windows
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let ended: Vec<LimitKey> = windows
                .iter()
                .filter(|(_, w)| w.minute < minute)
                .map(|(k, _)| k.clone())
                .collect();
            ended
                .into_iter()
                .filter_map(|k| windows.remove(&k).and_then(|w| summary(k, &w)))
                .collect()
        };
        self.write_summaries(due, &AuditContext::new(crate::audit::Actor::system()))
            .await
    }

    async fn write_summaries(&self, due: Vec<Summary>, ctx: &AuditContext) -> Result<(), Error> {
        for s in due {
            let tenant = (!s.key.tenant.is_nil()).then_some(s.key.tenant);
            let mut draft = ctx.draft(tenant, AuditAction::AuditSuppressed, self.clock.now());
            draft.client_ip = (!s.key.client.is_empty()).then(|| s.key.client.clone());
            let from = OffsetDateTime::from_unix_timestamp(s.minute * 60)
                .map(|t| t.to_string())
                .unwrap_or_default();
            let draft = draft.details(json!({
                "kind": s.key.kind,
                "suppressed": s.suppressed,
                "minute_from": from,
            }));
            self.store.append_audit(draft).await?;
        }
        Ok(())
    }
}

fn summary(key: LimitKey, w: &Window) -> Option<Summary> {
    (w.suppressed > 0).then_some(Summary {
        key,
        minute: w.minute,
        suppressed: w.suppressed,
    })
}
