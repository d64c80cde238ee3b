//! Stored password hashes of every format Usher verifies: its own argon2id
//! hashes, and the hashes a user import brings from another system. The
//! import stores such a string verbatim; the user's next successful login
//! verifies it and replaces it with an argon2id hash of the current
//! parameters ([`super::Hasher::needs_rehash`]).
//!
//! Accepted, with the caps that keep one verification bounded (a hostile or
//! corrupted hash must not tie up a hashing worker; the worst cases measured
//! are next to the caps, and twice that when the password as typed is tried
//! as well, see [`super::Hasher::verify`]):
//!
//! - argon2i, argon2d, argon2id PHC strings, version 16 or 19, within
//!   [`super::MAX_M_KIB`], [`super::MAX_T`], [`super::MAX_P`] and
//!   [`super::MAX_WORK_KIB`]; also Django's `argon2$argon2id$…`.
//! - bcrypt `$2a$`, `$2b$`, `$2y$` (one algorithm under three names), cost
//!   4 to [`BCRYPT_MAX_COST`]; also Django's `bcrypt$$2b$…`.
//! - PBKDF2-HMAC-SHA256 and -SHA512 as `$pbkdf2-sha256$…` and
//!   `$pbkdf2-sha512$…`, both in passlib's form (`$29000$salt$hash`, adapted
//!   base64) and RustCrypto's (`$i=600000,l=32$salt$hash`); and Django's
//!   `pbkdf2_sha256$iterations$salt$hash`. At most [`PBKDF2_MAX_ROUNDS`]
//!   rounds of SHA-256 or [`PBKDF2_SHA512_MAX_ROUNDS`] of SHA-512 (times
//!   the output blocks).
//! - scrypt `$scrypt$ln=…,r=…,p=…$salt$hash` (passlib, RustCrypto), using
//!   at most [`SCRYPT_MAX_BYTES`] of memory and mixing at most as many bytes.
//!
//! Parsing only reads the string: [`check_importable`] is cheap enough to
//! run on every row of an import.

mod bcrypt;
use crate::error::{ErrorCode, FieldError};
mod pbkdf2;
mod scrypt;
#[cfg(test)]
mod tests;

pub use self::bcrypt::Bcrypt;
pub use self::pbkdf2::{Pbkdf2, Prf};
pub use self::scrypt::Scrypt;

use super::HashError;
use super::phc::{self, Phc};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

// The caps, with the time one verification at the cap took on one core of
// the development machine (x86-64, 2 cores; opt-level 3). The argon2 caps
// of phc.rs allow 6.7 s (1 GiB, 8 passes); these stay below.

/// The highest bcrypt cost accepted: 2^16 key expansions, 3.3 s (cost 12,
/// today's common default, takes 0.2 s).
pub const BCRYPT_MAX_COST: u32 = 16;
/// The most PBKDF2-HMAC-SHA256 rounds accepted (per 32-byte output block):
/// 1.3 s. Django 5.2 uses 1,000,000, OWASP asks for 600,000.
pub const PBKDF2_MAX_ROUNDS: u32 = 10_000_000;
/// The most PBKDF2-HMAC-SHA512 rounds accepted (per 64-byte output block):
/// 1.4 s, a round costing about three of SHA-256 (which runs on the CPU's
/// SHA extensions). OWASP asks for 210,000.
pub const PBKDF2_SHA512_MAX_ROUNDS: u32 = 4_000_000;
/// The most memory an scrypt hash may ask for (128·r·2^ln bytes), and the
/// most it may mix (128·r·p·2^ln): 256 MiB, twice RustCrypto's default
/// (ln=17, r=8), 0.8 s.
pub const SCRYPT_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Longer strings are refused before any parsing: no accepted format comes
/// near (a PHC string with a 64-byte salt and hash is under 250).
const MAX_LEN: usize = 512;

/// A stored password hash, parsed and within the caps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredHash {
    Argon2(Phc),
    Bcrypt(Bcrypt),
    Pbkdf2(Pbkdf2),
    Scrypt(Scrypt),
}

impl StoredHash {
    /// The format's name, for audit events and logs.
    pub fn scheme(&self) -> &'static str {
        match self {
            StoredHash::Argon2(p) => p.algorithm.as_str(),
            StoredHash::Bcrypt(_) => "bcrypt",
            StoredHash::Pbkdf2(p) => match p.prf {
                Prf::Sha256 => "pbkdf2-sha256",
                Prf::Sha512 => "pbkdf2-sha512",
            },
            StoredHash::Scrypt(_) => "scrypt",
        }
    }
}

fn malformed(why: &str) -> HashError {
    HashError::Malformed(why.to_owned())
}

fn unknown(why: &str) -> HashError {
    HashError::UnknownFormat(why.to_owned())
}

/// Parses a stored hash of any accepted format and checks its costs
/// against the caps. Never hashes anything.
pub fn parse_stored(s: &str) -> Result<StoredHash, HashError> {
    if s.len() > MAX_LEN {
        return Err(malformed("longer than any accepted hash"));
    }
    if s.starts_with("$argon2") {
        return argon2(s);
    }
    // Django prefixes its hasher's name: "argon2" + "$argon2id$v=19$…".
    if let Some(inner) = s.strip_prefix("argon2")
        && inner.starts_with("$argon2")
    {
        return argon2(inner);
    }
    if let Some(inner) = s.strip_prefix("bcrypt$")
        && inner.starts_with('$')
    {
        return self::bcrypt::parse(inner);
    }
    if s.starts_with("$2") {
        return self::bcrypt::parse(s);
    }
    if let Some(rest) = s.strip_prefix("$pbkdf2-sha256$") {
        return self::pbkdf2::parse_phc(Prf::Sha256, rest);
    }
    if let Some(rest) = s.strip_prefix("$pbkdf2-sha512$") {
        return self::pbkdf2::parse_phc(Prf::Sha512, rest);
    }
    if let Some(rest) = s.strip_prefix("pbkdf2_sha256$") {
        return self::pbkdf2::parse_django(rest);
    }
    if let Some(rest) = s.strip_prefix("$scrypt$") {
        return self::scrypt::parse(rest);
    }
    if s.starts_with("bcrypt_sha256$") {
        return Err(unknown(
            "Django's bcrypt_sha256 (bcrypt of a SHA-256 digest) is not accepted",
        ));
    }
    Err(unknown("not a hash format Usher accepts"))
}

/// The most an imported hash may cost, below what Usher verifies of a hash
/// it already stores: every imported user's first login verifies the
/// imported hash (then replaces it with argon2id), and a file of users with
/// costly hashes would otherwise let those logins tie up the hashing
/// workers. Roughly the cost of today's strongest common defaults.
pub const IMPORT_MAX_ARGON2_M_KIB: u32 = 65_536;
pub const IMPORT_MAX_ARGON2_T: u32 = 10;
pub const IMPORT_MAX_ARGON2_P: u32 = 4;
pub const IMPORT_MAX_BCRYPT_COST: u32 = 14;
pub const IMPORT_MAX_PBKDF2_ROUNDS: u32 = 1_000_000;
/// scrypt's N as a power of two: N ≤ 2^17.
pub const IMPORT_MAX_SCRYPT_LOG_N: u8 = 17;

/// Refuses a parsed hash that costs more than an import may bring in (see
/// [`IMPORT_MAX_ARGON2_M_KIB`] and the caps beside it), saying why.
pub fn import_cap(h: &StoredHash) -> Result<(), String> {
    match h {
        StoredHash::Argon2(p)
            if p.params.m_kib > IMPORT_MAX_ARGON2_M_KIB
                || p.params.t > IMPORT_MAX_ARGON2_T
                || p.params.p > IMPORT_MAX_ARGON2_P =>
        {
            Err(format!(
                "argon2 m={},t={},p={} is above m={IMPORT_MAX_ARGON2_M_KIB},t={IMPORT_MAX_ARGON2_T},p={IMPORT_MAX_ARGON2_P}",
                p.params.m_kib, p.params.t, p.params.p
            ))
        }
        StoredHash::Bcrypt(b) if b.cost > IMPORT_MAX_BCRYPT_COST => Err(format!(
            "bcrypt cost {} is above {IMPORT_MAX_BCRYPT_COST}",
            b.cost
        )),
        StoredHash::Pbkdf2(p) if p.rounds > IMPORT_MAX_PBKDF2_ROUNDS => Err(format!(
            "PBKDF2 with {} rounds is above {IMPORT_MAX_PBKDF2_ROUNDS}",
            p.rounds
        )),
        StoredHash::Scrypt(s) if s.log_n > IMPORT_MAX_SCRYPT_LOG_N => Err(format!(
            "scrypt N=2^{} is above 2^{IMPORT_MAX_SCRYPT_LOG_N}",
            s.log_n
        )),
        _ => Ok(()),
    }
}

/// Checks, without hashing, that an imported hash is one Usher accepts:
/// the per-row check of an import, as an error on the `password_hash`
/// field.
pub fn check_importable(s: &str) -> Result<(), FieldError> {
    const FIELD: &str = "password_hash";
    const ACCEPTED: &str = "accepted: argon2 (PHC), bcrypt ($2a$, $2b$, $2y$), PBKDF2-SHA256/SHA512 (PHC or Django), scrypt (PHC)";
    let parsed = parse_stored(s).map_err(|e| match e {
        HashError::UnknownFormat(why) => FieldError::new(
            FIELD,
            ErrorCode::UnsupportedHashFormat,
            format!("{why}; {ACCEPTED}"),
        ),
        HashError::Unsupported(why) => FieldError::new(
            FIELD,
            ErrorCode::HashCostTooHigh,
            format!("costs more to verify than Usher allows: {why}"),
        ),
        other => FieldError::new(FIELD, ErrorCode::MalformedHash, other.to_string()),
    })?;
    import_cap(&parsed).map_err(|why| {
        FieldError::new(
            FIELD,
            ErrorCode::HashCostTooHigh,
            format!("costs more to verify than an import may bring in: {why}"),
        )
    })
}

fn argon2(s: &str) -> Result<StoredHash, HashError> {
    let p = phc::parse(s)?;
    p.params.validate()?;
    Ok(StoredHash::Argon2(p))
}

/// Standard base64 as PHC strings carry it, also in passlib's adapted form
/// (`.` for `+`); padding tolerated.
fn phc_b64(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    if s.contains('.') {
        STANDARD_NO_PAD.decode(s.replace('.', "+")).ok()
    } else {
        STANDARD_NO_PAD.decode(s).ok()
    }
}

/// A decimal without sign or leading zeros, as hash formats write numbers.
fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

fn check_salt_and_hash(salt: &[u8], hash: &[u8], max_hash: usize) -> Result<(), HashError> {
    if salt.is_empty() || salt.len() > 128 {
        return Err(malformed("the salt is empty or longer than 128 bytes"));
    }
    if hash.len() < 10 || hash.len() > max_hash {
        return Err(malformed("the hash is of an impossible length"));
    }
    Ok(())
}

/// Whether `password` derives the stored key, compared in constant time.
/// Argon2 hashes are computed by the caller, with a worker's memory.
pub(super) fn verify_other(stored: &StoredHash, password: &[u8]) -> Result<bool, HashError> {
    match stored {
        StoredHash::Argon2(_) => Err(HashError::Unavailable),
        StoredHash::Bcrypt(b) => Ok(self::bcrypt::verify(b, password)),
        StoredHash::Pbkdf2(p) => Ok(self::pbkdf2::verify(p, password)),
        StoredHash::Scrypt(s) => self::scrypt::verify(s, password),
    }
}
