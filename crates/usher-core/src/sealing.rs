//! Secrets at rest: what Usher must read back in clear (TOTP secrets: a
//! verifier needs them) is sealed with ChaCha20-Poly1305 under the
//! installation's secret key, so that a copy of the database or a backup
//! alone does not give them away.
//!
//! The key comes from `USHER_SECRET_KEY` (or its file); several keys may be
//! given, comma-separated, the first sealing and all of them opening, which
//! is how a key is rotated. A sealed value names the key that sealed it by
//! a short id, and is bound to its owner (the user's id as associated
//! data), so that it cannot be moved to another account. Values stored
//! before sealing existed carry no marker and are read as they are.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The start of every sealed value (never the start of a random TOTP
/// secret in practice: a 2^-64 chance).
const MAGIC: &[u8; 8] = b"usher\x00s1";
/// Bytes of a key's id in a sealed value.
const KEY_ID_LEN: usize = 4;
/// Bytes of a key.
pub const KEY_LEN: usize = 32;

/// Why a key setting cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("USHER_SECRET_KEY holds no key")]
    Empty,
    #[error(
        "key {0} of USHER_SECRET_KEY is not 32 bytes in base64url (43 characters) or hex (64 characters)"
    )]
    Malformed(usize),
}

/// Why a sealed value cannot be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    #[error("sealed with a key that USHER_SECRET_KEY no longer holds")]
    UnknownKey,
    #[error("sealed but no key is configured (set USHER_SECRET_KEY)")]
    NoKey,
    #[error("the sealed value is damaged or belongs to another record")]
    Damaged,
}

struct Key {
    id: [u8; KEY_ID_LEN],
    /// The audit chain's key, derived like `mac`.
    chain: Zeroizing<Vec<u8>>,
    cipher: LessSafeKey,
    /// A key of its own for keyed hashes (recovery codes), derived from
    /// this one so that sealing and hashing never share a key.
    mac: hmac::Key,
}

/// What the keyed-hash key of a secret key is derived with.
const MAC_LABEL: &[u8] = b"usher keyed hashes v1";
/// What the audit chain's key of a secret key is derived with.
const CHAIN_LABEL: &[u8] = b"usher audit chain v1";

/// The installation's secret keys: the first seals, every one opens.
pub struct SecretKeys {
    keys: Vec<Key>,
}

impl std::fmt::Debug for SecretKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKeys")
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

fn decode(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let text = text.trim();
    let bytes = if text.len() == 2 * KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..KEY_LEN)
            .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?
    };
    (bytes.len() == KEY_LEN).then(|| Zeroizing::new(bytes))
}

impl SecretKeys {
    /// Reads `USHER_SECRET_KEY`: keys in base64url or hex, comma-separated,
    /// the current one first.
    pub fn parse(spec: &str) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        for (i, part) in spec.split(',').filter(|p| !p.trim().is_empty()).enumerate() {
            let bytes = decode(part).ok_or(KeyError::Malformed(i + 1))?;
            let digest = Sha256::digest(&bytes[..]);
            let mut id = [0u8; KEY_ID_LEN];
            id.copy_from_slice(&digest[..KEY_ID_LEN]);
            let unbound = UnboundKey::new(&CHACHA20_POLY1305, &bytes)
                .map_err(|_| KeyError::Malformed(i + 1))?;
            let master = hmac::Key::new(hmac::HMAC_SHA256, &bytes);
            let derived = hmac::sign(&master, MAC_LABEL);
            keys.push(Key {
                id,
                chain: Zeroizing::new(hmac::sign(&master, CHAIN_LABEL).as_ref().to_vec()),
                cipher: LessSafeKey::new(unbound),
                mac: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()),
            });
        }
        if keys.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(Self { keys })
    }

    /// A new random key, written as `USHER_SECRET_KEY` takes it.
    pub fn generate() -> Zeroizing<String> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::fill(&mut bytes[..]);
        Zeroizing::new(URL_SAFE_NO_PAD.encode(&bytes[..]))
    }

    /// Seals `plain` for its `owner` with the current key.
    pub fn seal(&self, plain: &[u8], owner: &[u8]) -> Vec<u8> {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let mut body = plain.to_vec();
        // Only an input longer than ring accepts (about 256 GiB) fails.
        #[allow(clippy::expect_used)]
        key.cipher
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(owner),
                &mut body,
            )
            .expect("a secret far below ring's limit seals");
        let mut out = Vec::with_capacity(MAGIC.len() + KEY_ID_LEN + NONCE_LEN + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&key.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        out
    }

    /// Opens a value sealed for `owner`; a value stored before sealing
    /// existed is answered as it is.
    pub fn open(&self, stored: &[u8], owner: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let Some(rest) = stored.strip_prefix(&MAGIC[..]) else {
            return Ok(Zeroizing::new(stored.to_vec()));
        };
        if rest.len() < KEY_ID_LEN + NONCE_LEN {
            return Err(OpenError::Damaged);
        }
        let (id, rest) = rest.split_at(KEY_ID_LEN);
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let key = self
            .keys
            .iter()
            .find(|k| k.id[..] == *id)
            .ok_or(OpenError::UnknownKey)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| OpenError::Damaged)?;
        let mut body = Zeroizing::new(body.to_vec());
        let plain_len = key
            .cipher
            .open_in_place(nonce, Aad::from(owner), &mut body)
            .map_err(|_| OpenError::Damaged)?
            .len();
        body.truncate(plain_len);
        Ok(body)
    }

    /// The keyed hash of `data` under the current key (a recovery code's
    /// stored form): without the key, a stolen hash cannot be tested
    /// against guesses.
    pub fn keyed_hash(&self, data: &[u8]) -> [u8; 32] {
        Self::mac_of(&self.keys[0], data)
    }

    /// The keyed hashes of `data` under every key, the current one first
    /// (to recognise values hashed before a rotation).
    pub fn keyed_hashes(&self, data: &[u8]) -> Vec<[u8; 32]> {
        self.keys.iter().map(|k| Self::mac_of(k, data)).collect()
    }

    fn mac_of(key: &Key, data: &[u8]) -> [u8; 32] {
        let tag = hmac::sign(&key.mac, data);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// The keys that hash the audit chain, one per secret key (in the same
    /// order), named by the secret key's id in hex.
    pub fn chain_keys(&self) -> crate::audit::ChainKeys {
        let parts = self
            .keys
            .iter()
            .map(|k| (crate::audit::hex(&k.id), k.chain.to_vec()))
            .collect();
        // `parse` refuses a spec without keys, so there is always one.
        #[allow(clippy::expect_used)]
        crate::audit::ChainKeys::from_parts(parts).expect("at least one secret key")
    }

    /// Whether a stored value is sealed (by any key).
    pub fn is_sealed(stored: &[u8]) -> bool {
        stored.starts_with(&MAGIC[..])
    }
}

/// Seals with the keys when there are some; stores in clear otherwise.
pub fn seal_with(keys: Option<&SecretKeys>, plain: &[u8], owner: &[u8]) -> Vec<u8> {
    match keys {
        Some(k) => k.seal(plain, owner),
        None => plain.to_vec(),
    }
}

/// Opens with the keys when there are some; a sealed value without keys
/// cannot be read.
pub fn open_with(
    keys: Option<&SecretKeys>,
    stored: &[u8],
    owner: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    match keys {
        Some(k) => k.open(stored, owner),
        None if SecretKeys::is_sealed(stored) => Err(OpenError::NoKey),
        None => Ok(Zeroizing::new(stored.to_vec())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(spec: &str) -> SecretKeys {
        SecretKeys::parse(spec).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_for_its_owner_only_and_never_shows_in_clear() {
        let k = keys(&SecretKeys::generate());
        let sealed = k.seal(b"JBSWY3DPEHPK3PXP", b"user-1");
        assert!(SecretKeys::is_sealed(&sealed));
        assert!(!sealed.windows(16).any(|w| w == b"JBSWY3DPEHPK3PXP"));
        assert_eq!(
            &k.open(&sealed, b"user-1").unwrap()[..],
            b"JBSWY3DPEHPK3PXP"
        );
        assert_eq!(k.open(&sealed, b"user-2"), Err(OpenError::Damaged));
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(k.open(&tampered, b"user-1"), Err(OpenError::Damaged));
        assert_ne!(k.seal(b"same", b"u"), k.seal(b"same", b"u"), "fresh nonces");
    }

    #[test]
    fn a_rotated_key_opens_what_the_old_one_sealed_and_seals_anew() {
        let old = SecretKeys::generate();
        let new = SecretKeys::generate();
        let sealed_old = keys(&old).seal(b"secret", b"u");
        let both = keys(&format!("{},{}", *new, *old));
        assert_eq!(&both.open(&sealed_old, b"u").unwrap()[..], b"secret");
        let sealed_new = both.seal(b"secret", b"u");
        assert_eq!(
            keys(&new).open(&sealed_new, b"u").unwrap()[..],
            b"secret"[..]
        );
        assert_eq!(
            keys(&new).open(&sealed_old, b"u"),
            Err(OpenError::UnknownKey)
        );
    }

    #[test]
    fn clear_values_from_before_sealing_are_read_as_they_are() {
        let k = keys(&SecretKeys::generate());
        assert_eq!(&k.open(b"plain-old", b"u").unwrap()[..], b"plain-old");
        assert_eq!(
            &open_with(None, b"plain-old", b"u").unwrap()[..],
            b"plain-old"
        );
        let sealed = k.seal(b"x", b"u");
        assert_eq!(open_with(None, &sealed, b"u"), Err(OpenError::NoKey));
    }

    #[test]
    fn keyed_hashes_depend_on_the_key_and_a_rotation_still_finds_the_old_ones() {
        let old = SecretKeys::generate();
        let new = SecretKeys::generate();
        let a = keys(&old).keyed_hash(b"ABCD-EFGH");
        assert_ne!(a, keys(&new).keyed_hash(b"ABCD-EFGH"));
        assert_ne!(a, keys(&old).keyed_hash(b"ABCD-EFGI"));
        let both = keys(&format!("{},{}", *new, *old)).keyed_hashes(b"ABCD-EFGH");
        assert_eq!(both.len(), 2);
        assert_eq!(both[1], a);
    }

    #[test]
    fn keys_are_read_in_base64url_or_hex_and_anything_else_is_refused() {
        let hex = "00".repeat(32);
        assert!(SecretKeys::parse(&hex).is_ok());
        assert!(SecretKeys::parse(&format!(" {} ", *SecretKeys::generate())).is_ok());
        assert_eq!(SecretKeys::parse("").unwrap_err(), KeyError::Empty);
        assert_eq!(
            SecretKeys::parse("short").unwrap_err(),
            KeyError::Malformed(1)
        );
        let good = SecretKeys::generate();
        assert_eq!(
            SecretKeys::parse(&format!("{},{}", *good, "zz")).unwrap_err(),
            KeyError::Malformed(2)
        );
    }
}
