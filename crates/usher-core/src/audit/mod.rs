//! Audit events: who did what to which record, when, from where, and how it
//! ended. Events form one hash chain per tenant (plus one for global
//! actions): each event's payload names the hash of the one before, so a
//! changed, removed or reordered event breaks the chain that
//! `usher audit verify` walks. With a secret key the hashes are keyed
//! (see [`keyed`]), so that the chain cannot be rebuilt without the key.

mod action;
mod keyed;
mod verify;

pub use action::AuditAction;
pub(crate) use keyed::hex;
pub use keyed::{ChainKeys, KeyedMismatch};
pub use verify::{ChainBreak, ChainVerifier};

use crate::clock::truncate_to_micros;
use crate::ids::{TenantId, TokenId, UserId};
use crate::scope::AdminScope;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// `token` (an admin API token), `cli` (a local operator), `system`
    /// (Usher itself: sweeps, jobs) or `user` (an end user on their own account).
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    /// For a token a person made: that person's user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
}

impl Actor {
    /// The person acting: a user on their own behalf or as an admin, or
    /// the person who owns the token; `None` for anyone else.
    pub fn person(&self) -> Option<UserId> {
        match self.kind {
            "user" => self.id.parse().ok(),
            "token" => self.owner_id.as_deref()?.parse().ok(),
            _ => None,
        }
    }

    /// A token's actor naming the person who owns it, if one does.
    pub fn owned_by(mut self, owner: Option<UserId>) -> Self {
        self.owner_id = owner.map(|o| o.to_string());
        self
    }

    pub fn token(id: TokenId, name: &str) -> Self {
        Self {
            kind: "token",
            id: id.to_string(),
            name: name.to_owned(),
            owner_id: None,
        }
    }

    pub fn cli(os_user: &str) -> Self {
        Self {
            kind: "cli",
            id: os_user.to_owned(),
            name: format!("usher CLI ({os_user})"),
            owner_id: None,
        }
    }

    /// An end user acting on their own account (redeeming a link).
    pub fn user(id: UserId, email: &str) -> Self {
        Self {
            kind: "user",
            id: id.to_string(),
            name: email.to_owned(),
            owner_id: None,
        }
    }

    /// Someone not identified (an unknown or dead link).
    pub fn anonymous() -> Self {
        Self {
            kind: "anonymous",
            id: "-".into(),
            name: "anonymous".into(),
            owner_id: None,
        }
    }

    /// The actor as a stored string (to act later in its name).
    pub fn to_stored(&self) -> String {
        // Through a `Value`, whose keys are sorted, as they always were.
        serde_json::to_value(self)
            .map(|v| v.to_string())
            .unwrap_or_default()
    }

    /// An actor stored with [`Actor::to_stored`]; Usher itself for anything
    /// unreadable.
    pub fn from_stored(s: &str) -> Self {
        let v: Value = serde_json::from_str(s).unwrap_or(Value::Null);
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let kind = match v["kind"].as_str() {
            Some("token") => "token",
            Some("cli") => "cli",
            Some("user") => "user",
            Some("anonymous") => "anonymous",
            _ => return Self::system(),
        };
        Self {
            kind,
            id: text("id"),
            name: text("name"),
            owner_id: v["owner_id"].as_str().map(str::to_owned),
        }
    }

    pub fn system() -> Self {
        Self {
            kind: "system",
            id: "usher".into(),
            name: "Usher".into(),
            owner_id: None,
        }
    }
}

/// Where a request came from; attached to every event it causes.
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub actor: Actor,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    /// The admin scope the caller acts under (see [`crate::scope`]);
    /// `None` for the whole tenant. Lists, exports, creates and unblocks
    /// read it from here, so that no service can forget it.
    pub scope: Option<AdminScope>,
}

impl AuditContext {
    pub fn new(actor: Actor) -> Self {
        Self {
            actor,
            client_ip: None,
            request_id: None,
            scope: None,
        }
    }

    /// An event of this context about to be written.
    pub fn draft(
        &self,
        tenant_id: Option<TenantId>,
        action: AuditAction,
        now: OffsetDateTime,
    ) -> AuditDraft {
        self.draft_named(tenant_id, action.as_str(), now)
    }

    /// An event named outside [`AuditAction`]: for the store conformance
    /// suite, whose cases tag the events they write with names of their
    /// own. Every event Usher itself records goes through [`Self::draft`].
    pub fn draft_named(
        &self,
        tenant_id: Option<TenantId>,
        name: &str,
        now: OffsetDateTime,
    ) -> AuditDraft {
        AuditDraft {
            tenant_id,
            occurred_at: truncate_to_micros(now),
            actor: self.actor.clone(),
            action: name.to_owned(),
            target: None,
            outcome: Outcome::Success,
            reason: None,
            client_ip: self.client_ip.clone(),
            request_id: self.request_id.clone(),
            details: Value::Object(Default::default()),
        }
    }
}

/// How the audited attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    /// The request was refused (validation, a forbidden transition, not found).
    Refused,
    /// Usher failed while carrying it out.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

/// The record an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
}

/// An event before the store gives it its place in the chain.
#[derive(Debug, Clone)]
pub struct AuditDraft {
    /// The tenant's chain, or `None` for the global chain.
    pub tenant_id: Option<TenantId>,
    pub occurred_at: OffsetDateTime,
    pub actor: Actor,
    pub action: String,
    pub target: Option<Target>,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    pub details: Value,
}

impl AuditDraft {
    pub fn target(mut self, kind: &'static str, id: impl ToString) -> Self {
        self.target = Some(Target {
            kind,
            id: id.to_string(),
        });
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// Marks the draft as the record of a refused or failed attempt.
    pub fn failed_with(mut self, error: &crate::Error) -> Self {
        self.outcome = if error.is_refusal() {
            Outcome::Refused
        } else {
            Outcome::Failed
        };
        self.reason = Some(error.code().as_str().to_owned());
        self
    }

    /// The id of the chain this event belongs to.
    pub fn chain(&self) -> TenantId {
        self.tenant_id.unwrap_or(TenantId::nil())
    }

    /// The event's content without its place in the chain (its id,
    /// sequence number and previous hash): what a store that seals events
    /// after they are written keeps until then. [`seal_body`] completes it
    /// exactly as [`Self::seal`] would have.
    pub fn body(&self) -> String {
        self.body_value().to_string()
    }

    fn body_value(&self) -> Value {
        let occurred = self.occurred_at.format(&Rfc3339).unwrap_or_default();
        json!({
            "v": 1,
            "chain": self.chain(),
            "occurred_at": occurred,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "reason": self.reason,
            "client_ip": self.client_ip,
            "request_id": self.request_id,
            "details": self.details,
        })
    }

    /// Gives the event its sequence number and links it to the previous
    /// event's hash, keyed when there are `keys`. The payload is the exact
    /// text the hash covers; stores keep it verbatim.
    pub fn seal(self, seq: i64, prev_hash: &str, keys: Option<&ChainKeys>) -> AuditEvent {
        let sealed = seal_value(self.body_value(), seq, prev_hash, keys);
        AuditEvent {
            id: sealed.id,
            seq,
            draft: self,
            prev_hash: prev_hash.to_owned(),
            hash: sealed.hash,
            payload: sealed.payload,
        }
    }
}

/// An event's body given its place in the chain.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub id: Uuid,
    /// The exact text the hash covers.
    pub payload: String,
    pub hash: String,
}

/// Seals a body kept from [`AuditDraft::body`] as event `seq` after the one
/// whose hash is `prev_hash`.
pub fn seal_body(
    body: &str,
    seq: i64,
    prev_hash: &str,
    keys: Option<&ChainKeys>,
) -> Result<Sealed, serde_json::Error> {
    Ok(seal_value(
        serde_json::from_str(body)?,
        seq,
        prev_hash,
        keys,
    ))
}

fn seal_value(mut body: Value, seq: i64, prev_hash: &str, keys: Option<&ChainKeys>) -> Sealed {
    let id = Uuid::now_v7();
    if let Value::Object(fields) = &mut body {
        fields.insert("id".into(), json!(id));
        fields.insert("seq".into(), json!(seq));
        fields.insert("prev_hash".into(), json!(prev_hash));
        if let Some(k) = keys {
            fields.insert("key".into(), json!(k.current_id()));
        }
    }
    let payload = body.to_string();
    let hash = match keys {
        Some(k) => k.sign(&payload),
        None => hash_hex(&payload),
    };
    Sealed { id, payload, hash }
}

/// The `prev_hash` of a chain's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The unkeyed hash of a payload, in hex.
pub fn hash_hex(payload: &str) -> String {
    keyed::hex(&Sha256::digest(payload.as_bytes()))
}

/// A stored event.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub id: Uuid,
    pub seq: i64,
    pub draft: AuditDraft,
    pub prev_hash: String,
    pub hash: String,
    pub payload: String,
}

/// An event as stored, for verification: the payload and the hash the store
/// holds next to it.
#[derive(Debug, Clone)]
pub struct StoredLink {
    pub seq: i64,
    pub payload: String,
    pub hash: String,
}
