//! Keying the audit chain. A chain of plain SHA-256 hashes shows that an
//! event was changed, removed or reordered, but whoever can write the
//! database can also rebuild every hash after the change and leave a
//! consistent chain behind. Keyed, each event's hash is an HMAC-SHA-256
//! under a key derived from the installation's secret key, which the
//! database does not hold: a rebuilt chain no longer verifies.
//!
//! A keyed event's payload names its key by a short id (`"key"`), so that
//! a rotated key's events still verify while the old key stays listed in
//! `USHER_SECRET_KEY`. Events written before a key existed have no `"key"`
//! and keep their plain hash; once a chain holds a keyed event, an unkeyed
//! one after it is a break (a rewrite by someone without the key).

use ring::hmac;

/// One key of the chain: the id events name it by, and the MAC key.
#[derive(Clone)]
struct ChainKey {
    id: String,
    mac: hmac::Key,
}

/// The keys that hash audit events: the first hashes new events, every one
/// verifies. Made from the secret keys by
/// [`crate::sealing::SecretKeys::chain_keys`].
#[derive(Clone)]
pub struct ChainKeys {
    keys: Vec<ChainKey>,
}

impl std::fmt::Debug for ChainKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("ChainKeys").field("ids", &ids).finish()
    }
}

/// Why a keyed hash does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyedMismatch {
    /// The event names a key the configuration no longer holds.
    UnknownKey,
    /// The payload is not what the key hashed.
    Altered,
}

impl ChainKeys {
    /// Keys from `(id, key bytes)` pairs, the current one first. Answers
    /// `None` for no keys.
    pub(crate) fn from_parts(parts: Vec<(String, Vec<u8>)>) -> Option<Self> {
        let keys: Vec<ChainKey> = parts
            .into_iter()
            .map(|(id, bytes)| ChainKey {
                id,
                mac: hmac::Key::new(hmac::HMAC_SHA256, &bytes),
            })
            .collect();
        (!keys.is_empty()).then_some(Self { keys })
    }

    /// The id new events name.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Whether one of the keys is named `id`.
    pub fn holds(&self, id: &str) -> bool {
        self.keys.iter().any(|k| k.id == id)
    }

    /// The keyed hash of `payload` under the current key, in hex.
    pub fn sign(&self, payload: &str) -> String {
        hex(hmac::sign(&self.keys[0].mac, payload.as_bytes()).as_ref())
    }

    /// Checks `hash` (hex) against `payload` under the key named `id`, in
    /// constant time.
    pub fn verify(&self, id: &str, payload: &str, hash: &str) -> Result<(), KeyedMismatch> {
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or(KeyedMismatch::UnknownKey)?;
        let tag = unhex(hash).ok_or(KeyedMismatch::Altered)?;
        hmac::verify(&key.mac, payload.as_bytes(), &tag).map_err(|_| KeyedMismatch::Altered)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(parts: &[(&str, u8)]) -> ChainKeys {
        ChainKeys::from_parts(
            parts
                .iter()
                .map(|(id, fill)| (id.to_string(), vec![*fill; 32]))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn a_signed_payload_verifies_under_its_key_only() {
        let k = keys(&[("aa", 1)]);
        let hash = k.sign("payload");
        assert_eq!(hash.len(), 64);
        assert_eq!(k.verify("aa", "payload", &hash), Ok(()));
        assert_eq!(
            k.verify("aa", "payloaD", &hash),
            Err(KeyedMismatch::Altered)
        );
        assert_eq!(
            keys(&[("aa", 2)]).verify("aa", "payload", &hash),
            Err(KeyedMismatch::Altered)
        );
        assert_eq!(
            k.verify("bb", "payload", &hash),
            Err(KeyedMismatch::UnknownKey)
        );
        assert_eq!(
            k.verify("aa", "payload", "not hex"),
            Err(KeyedMismatch::Altered)
        );
    }

    #[test]
    fn a_retired_key_still_verifies_what_it_signed() {
        let old = keys(&[("old", 1)]);
        let hash = old.sign("p");
        let rotated = keys(&[("new", 2), ("old", 1)]);
        assert_eq!(rotated.current_id(), "new");
        assert_eq!(rotated.verify("old", "p", &hash), Ok(()));
    }

    #[test]
    fn no_parts_make_no_keys() {
        assert!(ChainKeys::from_parts(Vec::new()).is_none());
    }
}
