//! Walking a chain: each event must carry the next sequence number, name
//! its chain and the previous event's hash, and match its own hash (keyed
//! or not, as its payload says; see [`super::keyed`]).

use super::keyed::{ChainKeys, KeyedMismatch};
use super::{GENESIS_HASH, StoredLink, hash_hex};
use crate::ids::TenantId;
use serde_json::Value;

/// The first break found in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub problem: String,
}

/// Walks one chain's events (in `seq` order, from the first) and reports
/// the first inconsistency.
#[derive(Debug)]
pub struct ChainVerifier {
    chain: TenantId,
    keys: Option<ChainKeys>,
    expected_seq: i64,
    prev_hash: String,
    pub verified: u64,
    /// How many of the verified events were keyed.
    pub keyed: u64,
    /// Whether the last event checked was keyed.
    last_keyed: bool,
}

impl ChainVerifier {
    /// A verifier for `chain`; keyed events need `keys` to verify.
    pub fn new(chain: TenantId, keys: Option<ChainKeys>) -> Self {
        Self {
            chain,
            keys,
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
            verified: 0,
            keyed: 0,
            last_keyed: false,
        }
    }

    pub fn check(&mut self, link: &StoredLink) -> Result<(), ChainBreak> {
        let fail = |problem: &str| ChainBreak {
            seq: link.seq,
            problem: problem.to_owned(),
        };
        if link.seq != self.expected_seq {
            return Err(ChainBreak {
                seq: link.seq,
                problem: format!(
                    "expected event {} but found {}",
                    self.expected_seq, link.seq
                ),
            });
        }
        let v: Value = serde_json::from_str(&link.payload).map_err(|e| ChainBreak {
            seq: link.seq,
            problem: format!("payload is not JSON: {e}"),
        })?;
        match v.get("key") {
            Some(id) => {
                let keys = self.keys.as_ref().ok_or_else(|| {
                    fail(
                        "the event is keyed but no secret key is configured (set USHER_SECRET_KEY)",
                    )
                })?;
                let id = id.as_str().unwrap_or_default();
                keys.verify(id, &link.payload, &link.hash)
                    .map_err(|m| match m {
                        KeyedMismatch::UnknownKey => fail(
                            "the event is keyed with a key USHER_SECRET_KEY does not hold (keep retired keys listed)",
                        ),
                        KeyedMismatch::Altered => fail(
                            "the payload does not match its keyed hash (the event was altered)",
                        ),
                    })?;
                self.keyed += 1;
                self.last_keyed = true;
            }
            None if self.keyed > 0 => {
                return Err(fail(
                    "an unkeyed event follows keyed ones (the chain was rewritten without the key)",
                ));
            }
            None if hash_hex(&link.payload) != link.hash => {
                return Err(fail(
                    "the payload does not match its hash (the event was altered)",
                ));
            }
            None => {}
        }
        if v["seq"].as_i64() != Some(link.seq) {
            return Err(fail("the payload names another sequence number"));
        }
        if v["chain"].as_str() != Some(self.chain.to_string().as_str()) {
            return Err(fail("the payload belongs to another chain"));
        }
        if v["prev_hash"].as_str() != Some(self.prev_hash.as_str()) {
            return Err(fail(
                "the previous hash does not match (an event was removed or reordered)",
            ));
        }
        self.prev_hash = link.hash.clone();
        self.expected_seq += 1;
        self.verified += 1;
        Ok(())
    }

    /// Checks the chain ended where the store's head says it does and,
    /// with keys, that its newest event is keyed: a server started with a
    /// key keys every chain's head (see `Services::key_audit_chains`), so
    /// an unkeyed newest event means the chain was rebuilt without the key
    /// (from its first event, or the rule above would have caught it) or a
    /// process writes without the key.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), ChainBreak> {
        if head_seq != self.expected_seq - 1 || (head_seq > 0 && head_hash != self.prev_hash) {
            return Err(ChainBreak {
                seq: head_seq,
                problem: format!(
                    "the chain head says event {head_seq} but the events end at {}",
                    self.expected_seq - 1
                ),
            });
        }
        if self.keys.is_some() && self.verified > 0 && !self.last_keyed {
            return Err(ChainBreak {
                seq: head_seq,
                problem: "the newest event is not keyed (the chain was rebuilt without the key, \
                          or a process runs without USHER_SECRET_KEY)"
                    .into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, AuditContext, seal_body};
    use serde_json::json;
    use time::OffsetDateTime;

    fn chain_keys(fill: u8) -> ChainKeys {
        ChainKeys::from_parts(vec![(format!("k{fill}"), vec![fill; 32])]).unwrap()
    }

    /// Adds `n` events to the chain, keyed with `keys` when given.
    fn extend(links: &mut Vec<StoredLink>, n: i64, keys: Option<&ChainKeys>) {
        let ctx = AuditContext::new(Actor::system());
        for _ in 0..n {
            let seq = links.len() as i64 + 1;
            let prev = links
                .last()
                .map_or(GENESIS_HASH.to_owned(), |l| l.hash.clone());
            let e = ctx
                .draft_named(None, "test.event", OffsetDateTime::UNIX_EPOCH)
                .seal(seq, &prev, keys);
            links.push(StoredLink {
                seq,
                payload: e.payload,
                hash: e.hash,
            });
        }
    }

    fn chain_of(n: i64) -> Vec<StoredLink> {
        let mut links = Vec::new();
        extend(&mut links, n, None);
        links
    }

    fn verify_with(links: &[StoredLink], keys: Option<ChainKeys>) -> Result<(), ChainBreak> {
        let mut v = ChainVerifier::new(TenantId::nil(), keys);
        for l in links {
            v.check(l)?;
        }
        let last = links
            .last()
            .map(|l| (l.seq, l.hash.clone()))
            .unwrap_or((0, String::new()));
        v.finish(last.0, &last.1)
    }

    fn verify(links: &[StoredLink]) -> Result<(), ChainBreak> {
        verify_with(links, None)
    }

    /// What someone who can write the database but lacks the key can do:
    /// alter event `at` (1-based) and rebuild every hash from it on.
    fn rewrite_from(links: &mut [StoredLink], at: usize) {
        for i in at - 1..links.len() {
            let mut v: Value = serde_json::from_str(&links[i].payload).unwrap();
            if i == at - 1 {
                v["action"] = json!("test.forged");
            }
            if i > 0 {
                v["prev_hash"] = json!(links[i - 1].hash);
            }
            v.as_object_mut().unwrap().remove("key");
            links[i].payload = v.to_string();
            links[i].hash = hash_hex(&links[i].payload);
        }
    }

    #[test]
    fn a_body_sealed_later_reads_as_the_draft_sealed_at_once() {
        let ctx = AuditContext::new(Actor::system());
        let draft = ctx
            .draft_named(None, "test.event", OffsetDateTime::UNIX_EPOCH)
            .details(json!({"n": 1.5, "text": "a\u{0}b"}));
        let keys = chain_keys(1);
        let now = draft.clone().seal(7, GENESIS_HASH, Some(&keys));
        let later = seal_body(&draft.body(), 7, GENESIS_HASH, Some(&keys)).unwrap();
        let without_id = |p: &str| {
            p.replace(&now.id.to_string(), "")
                .replace(&later.id.to_string(), "")
        };
        assert_eq!(without_id(&now.payload), without_id(&later.payload));
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain_of(5)), Ok(()));
    }

    #[test]
    fn an_altered_payload_is_found() {
        let mut c = chain_of(3);
        c[1].payload = c[1].payload.replace("test.event", "test.other");
        assert_eq!(verify(&c).unwrap_err().seq, 2);
    }

    #[test]
    fn a_rehashed_altered_event_breaks_the_next_link() {
        let mut c = chain_of(3);
        c[1].payload = c[1].payload.replace("test.event", "test.other");
        c[1].hash = hash_hex(&c[1].payload);
        assert_eq!(verify(&c).unwrap_err().seq, 3);
    }

    #[test]
    fn a_removed_event_is_found() {
        let mut c = chain_of(4);
        c.remove(2);
        assert_eq!(verify(&c).unwrap_err().seq, 4);
    }

    #[test]
    fn an_unkeyed_chain_rebuilt_after_a_change_still_verifies() {
        // Why the chain is keyed: without a key, a rebuild is undetectable.
        let mut c = chain_of(4);
        rewrite_from(&mut c, 2);
        assert_eq!(verify(&c), Ok(()));
    }

    #[test]
    fn a_keyed_chain_verifies_with_its_key_only() {
        let keys = chain_keys(1);
        let mut c = Vec::new();
        extend(&mut c, 3, Some(&keys));
        assert_eq!(verify_with(&c, Some(keys)), Ok(()));
        let without = verify(&c).unwrap_err();
        assert_eq!(without.seq, 1);
        assert!(without.problem.contains("no secret key"), "{without:?}");
        let other = verify_with(&c, Some(chain_keys(2))).unwrap_err();
        assert!(other.problem.contains("does not hold"), "{other:?}");
    }

    #[test]
    fn a_keyed_chain_rebuilt_without_the_key_breaks_where_the_rewrite_starts() {
        let keys = chain_keys(1);
        let mut c = Vec::new();
        extend(&mut c, 4, Some(&keys));
        rewrite_from(&mut c, 3);
        let b = verify_with(&c, Some(keys)).unwrap_err();
        assert_eq!(b.seq, 3);
        assert!(b.problem.contains("unkeyed event follows"), "{b:?}");
    }

    #[test]
    fn a_keyed_event_altered_and_rehashed_with_sha256_is_found() {
        let keys = chain_keys(1);
        let mut c = Vec::new();
        extend(&mut c, 2, Some(&keys));
        c[0].payload = c[0].payload.replace("test.event", "test.other");
        c[0].hash = hash_hex(&c[0].payload);
        let b = verify_with(&c, Some(keys)).unwrap_err();
        assert_eq!(b.seq, 1);
        assert!(b.problem.contains("keyed hash"), "{b:?}");
    }

    #[test]
    fn a_keyed_chain_rebuilt_from_its_first_event_fails_at_its_head() {
        let keys = chain_keys(1);
        let mut c = Vec::new();
        extend(&mut c, 3, Some(&keys));
        rewrite_from(&mut c, 1);
        let b = verify_with(&c, Some(keys)).unwrap_err();
        assert_eq!(b.seq, 3);
        assert!(b.problem.contains("newest event is not keyed"), "{b:?}");
    }

    #[test]
    fn events_from_before_the_key_verify_and_are_counted_apart() {
        let keys = chain_keys(1);
        let mut c = chain_of(2);
        extend(&mut c, 3, Some(&keys));
        let mut v = ChainVerifier::new(TenantId::nil(), Some(keys));
        for l in &c {
            v.check(l).unwrap();
        }
        assert_eq!((v.verified, v.keyed), (5, 3));
    }
}
