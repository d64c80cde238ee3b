//! bcrypt hashes (`$2a$`, `$2b$`, `$2y$`, and Django's `bcrypt$` form):
//! parsed within the cost cap, and verified.

use super::{BCRYPT_MAX_COST, StoredHash, malformed, unknown};
use crate::password::HashError;
use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// bcrypt's base64: its own alphabet, no padding. The unused low bits of
/// the last salt character are ignored, as every bcrypt implementation
/// does when it reads a salt.
const BCRYPT_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::BCRYPT,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// A bcrypt hash (`$2a$`, `$2b$` and `$2y$` compute the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bcrypt {
    pub cost: u32,
    pub salt: [u8; 16],
    /// The first 23 of the 24 bytes bcrypt computes, as every encoding keeps.
    pub hash: [u8; 23],
}

pub(super) fn parse(s: &str) -> Result<StoredHash, HashError> {
    // "$2b$" + two-digit cost + "$" + 22 characters of salt + 31 of hash.
    let rest = match s.get(..4) {
        Some("$2a$" | "$2b$" | "$2y$") => &s[4..],
        Some("$2x$") => {
            return Err(unknown(
                "bcrypt $2x$ (crypt_blowfish's hashes made with its sign-extension bug) is not accepted",
            ));
        }
        _ => {
            return Err(unknown(
                "not a bcrypt version Usher accepts ($2a$, $2b$, $2y$)",
            ));
        }
    };
    if s.len() != 60 || !s.is_ascii() {
        return Err(malformed("a bcrypt hash is 60 ASCII characters"));
    }
    let (cost, rest) = rest.split_at(2);
    let cost: u32 = match cost.as_bytes() {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            u32::from((a - b'0') * 10 + (b - b'0'))
        }
        _ => return Err(malformed("the bcrypt cost is not two digits")),
    };
    let Some(rest) = rest.strip_prefix('$') else {
        return Err(malformed("no $ after the bcrypt cost"));
    };
    if !(4..=31).contains(&cost) {
        return Err(malformed("a bcrypt cost is between 04 and 31"));
    }
    if cost > BCRYPT_MAX_COST {
        return Err(HashError::Unsupported(format!(
            "bcrypt cost {cost} is above {BCRYPT_MAX_COST}"
        )));
    }
    let (salt, hash) = rest.split_at(22);
    let salt = BCRYPT_B64
        .decode(salt)
        .ok()
        .and_then(|v| <[u8; 16]>::try_from(v).ok())
        .ok_or_else(|| malformed("the bcrypt salt is not 22 characters of bcrypt base64"))?;
    let hash = BCRYPT_B64
        .decode(hash)
        .ok()
        .and_then(|v| <[u8; 23]>::try_from(v).ok())
        .ok_or_else(|| malformed("the bcrypt hash is not 31 characters of bcrypt base64"))?;
    Ok(StoredHash::Bcrypt(Bcrypt { cost, salt, hash }))
}

/// Whether `password` derives `b`, compared in constant time.
pub(super) fn verify(b: &Bcrypt, password: &[u8]) -> bool {
    // bcrypt keys on at most 72 bytes: the password and its NUL
    // terminator, cut at 72 when longer (as every implementation).
    let mut key = Zeroizing::new([0u8; 72]);
    let n = password.len().min(72);
    key[..n].copy_from_slice(&password[..n]);
    let used = (n + 1).min(72);
    let out = Zeroizing::new(::bcrypt::bcrypt(b.cost, b.salt, &key[..used]));
    out[..23].ct_eq(&b.hash).into()
}
