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

use super::HashError;
use super::phc::{self, Phc};
use crate::error::FieldError;
use base64::Engine;
use base64::alphabet;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

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

/// A stored password hash, parsed and within the caps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredHash {
    Argon2(Phc),
    Bcrypt(Bcrypt),
    Pbkdf2(Pbkdf2),
    Scrypt(Scrypt),
}

/// A bcrypt hash (`$2a$`, `$2b$` and `$2y$` compute the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bcrypt {
    pub cost: u32,
    pub salt: [u8; 16],
    /// The first 23 of the 24 bytes bcrypt computes, as every encoding keeps.
    pub hash: [u8; 23],
}

/// The HMAC hash function of a PBKDF2 hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prf {
    Sha256,
    Sha512,
}

impl Prf {
    fn output_len(self) -> usize {
        match self {
            Prf::Sha256 => 32,
            Prf::Sha512 => 64,
        }
    }
}

/// A PBKDF2-HMAC hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pbkdf2 {
    pub prf: Prf,
    pub rounds: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

/// An scrypt hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrypt {
    pub log_n: u8,
    pub r: u32,
    pub p: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
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
        return bcrypt(inner);
    }
    if s.starts_with("$2") {
        return bcrypt(s);
    }
    if let Some(rest) = s.strip_prefix("$pbkdf2-sha256$") {
        return pbkdf2_phc(Prf::Sha256, rest);
    }
    if let Some(rest) = s.strip_prefix("$pbkdf2-sha512$") {
        return pbkdf2_phc(Prf::Sha512, rest);
    }
    if let Some(rest) = s.strip_prefix("pbkdf2_sha256$") {
        return pbkdf2_django(rest);
    }
    if let Some(rest) = s.strip_prefix("$scrypt$") {
        return scrypt(rest);
    }
    if s.starts_with("bcrypt_sha256$") {
        return Err(unknown(
            "Django's bcrypt_sha256 (bcrypt of a SHA-256 digest) is not accepted",
        ));
    }
    Err(unknown("not a hash format Usher accepts"))
}

/// Checks, without hashing, that an imported hash is one Usher accepts:
/// the per-row check of an import, as an error on the `password_hash`
/// field.
pub fn check_importable(s: &str) -> Result<(), FieldError> {
    const FIELD: &str = "password_hash";
    const ACCEPTED: &str = "accepted: argon2 (PHC), bcrypt ($2a$, $2b$, $2y$), PBKDF2-SHA256/SHA512 (PHC or Django), scrypt (PHC)";
    parse_stored(s).map(|_| ()).map_err(|e| match e {
        HashError::UnknownFormat(why) => FieldError::new(
            FIELD,
            "unsupported_hash_format",
            format!("{why}; {ACCEPTED}"),
        ),
        HashError::Unsupported(why) => FieldError::new(
            FIELD,
            "hash_cost_too_high",
            format!("costs more to verify than Usher allows: {why}"),
        ),
        other => FieldError::new(FIELD, "malformed_hash", other.to_string()),
    })
}

fn argon2(s: &str) -> Result<StoredHash, HashError> {
    let p = phc::parse(s)?;
    p.params.validate()?;
    Ok(StoredHash::Argon2(p))
}

fn bcrypt(s: &str) -> Result<StoredHash, HashError> {
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

fn pbkdf2_phc(prf: Prf, rest: &str) -> Result<StoredHash, HashError> {
    let mut parts = rest.split('$');
    let (params, salt, hash) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(p), Some(s), Some(h), None) => (p, s, h),
        _ => return Err(malformed("a PBKDF2 hash is $pbkdf2-…$rounds$salt$hash")),
    };
    // passlib writes the rounds alone, RustCrypto `i=…,l=…`.
    let (rounds, len) = if let Some(n) = number(params) {
        (n, None)
    } else {
        let (mut i, mut l) = (None, None);
        for kv in params.split(',') {
            match kv.split_once('=') {
                Some(("i", v)) if i.is_none() => i = number(v),
                Some(("l", v)) if l.is_none() => l = Some(number(v)),
                _ => return Err(malformed("unknown or repeated PBKDF2 parameter")),
            }
        }
        (
            i.ok_or_else(|| malformed("no PBKDF2 rounds"))?,
            l.map(|l| l.ok_or_else(|| malformed("the PBKDF2 length is not a number")))
                .transpose()?,
        )
    };
    let salt = phc_b64(salt).ok_or_else(|| malformed("the salt is not base64"))?;
    let hash = phc_b64(hash).ok_or_else(|| malformed("the hash is not base64"))?;
    if len.is_some_and(|l| l as usize != hash.len()) {
        return Err(malformed("the PBKDF2 length does not match the hash"));
    }
    pbkdf2(prf, rounds, salt, hash)
}

fn pbkdf2_django(rest: &str) -> Result<StoredHash, HashError> {
    let mut parts = rest.split('$');
    let (rounds, salt, hash) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(r), Some(s), Some(h), None) => (r, s, h),
        _ => {
            return Err(malformed(
                "a Django PBKDF2 hash is pbkdf2_sha256$iterations$salt$hash",
            ));
        }
    };
    let rounds = number(rounds).ok_or_else(|| malformed("the iterations are not a number"))?;
    // Django's salt is text, used as its UTF-8 bytes; the hash is padded base64.
    let hash = STANDARD
        .decode(hash)
        .map_err(|_| malformed("the hash is not base64"))?;
    pbkdf2(Prf::Sha256, rounds, salt.as_bytes().to_vec(), hash)
}

fn pbkdf2(prf: Prf, rounds: u32, salt: Vec<u8>, hash: Vec<u8>) -> Result<StoredHash, HashError> {
    check_salt_and_hash(&salt, &hash, 64)?;
    if rounds == 0 {
        return Err(malformed("PBKDF2 needs at least one round"));
    }
    let (cap, name) = match prf {
        Prf::Sha256 => (PBKDF2_MAX_ROUNDS, "SHA-256"),
        Prf::Sha512 => (PBKDF2_SHA512_MAX_ROUNDS, "SHA-512"),
    };
    // Each block of output costs the rounds again.
    let blocks = hash.len().div_ceil(prf.output_len()) as u64;
    if u64::from(rounds) * blocks > u64::from(cap) {
        return Err(HashError::Unsupported(format!(
            "PBKDF2-{name} with {rounds} rounds × {blocks} blocks is above {cap}"
        )));
    }
    Ok(StoredHash::Pbkdf2(Pbkdf2 {
        prf,
        rounds,
        salt,
        hash,
    }))
}

fn scrypt(rest: &str) -> Result<StoredHash, HashError> {
    let mut parts = rest.split('$');
    let (params, salt, hash) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(p), Some(s), Some(h), None) => (p, s, h),
        _ => {
            return Err(malformed(
                "an scrypt hash is $scrypt$ln=…,r=…,p=…$salt$hash",
            ));
        }
    };
    let (mut ln, mut r, mut p) = (None, None, None);
    for kv in params.split(',') {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| malformed("an scrypt parameter is name=value"))?;
        let v = number(v).ok_or_else(|| malformed("an scrypt parameter is not a number"))?;
        let slot = match k {
            "ln" => &mut ln,
            "r" => &mut r,
            "p" => &mut p,
            _ => return Err(malformed("unknown scrypt parameter")),
        };
        if slot.replace(v).is_some() {
            return Err(malformed("repeated scrypt parameter"));
        }
    }
    let (Some(ln), Some(r), Some(p)) = (ln, r, p) else {
        return Err(malformed("scrypt needs ln, r and p"));
    };
    if ln == 0 || r == 0 || p == 0 {
        return Err(malformed("scrypt's ln, r and p are at least 1"));
    }
    let salt = phc_b64(salt).ok_or_else(|| malformed("the salt is not base64"))?;
    let hash = phc_b64(hash).ok_or_else(|| malformed("the hash is not base64"))?;
    check_salt_and_hash(&salt, &hash, 64)?;
    // In u128 so that no parameter overflows the check.
    let block = 128 * u128::from(r);
    let n = 1u128.checked_shl(ln).unwrap_or(u128::MAX);
    let memory = block.saturating_mul(n);
    let mixed = memory.saturating_mul(u128::from(p));
    if memory > u128::from(SCRYPT_MAX_BYTES) || mixed > u128::from(SCRYPT_MAX_BYTES) {
        return Err(HashError::Unsupported(format!(
            "scrypt ln={ln}, r={r}, p={p} needs more than {} MiB",
            SCRYPT_MAX_BYTES / (1024 * 1024)
        )));
    }
    let log_n = u8::try_from(ln).map_err(|_| malformed("scrypt ln is too large"))?;
    Ok(StoredHash::Scrypt(Scrypt {
        log_n,
        r,
        p,
        salt,
        hash,
    }))
}

/// Whether `password` derives the stored key, compared in constant time.
/// Argon2 hashes are computed by the caller, with a worker's memory.
pub(super) fn verify_other(stored: &StoredHash, password: &[u8]) -> Result<bool, HashError> {
    match stored {
        StoredHash::Argon2(_) => Err(HashError::Unavailable),
        StoredHash::Bcrypt(b) => {
            // bcrypt keys on at most 72 bytes: the password and its NUL
            // terminator, cut at 72 when longer (as every implementation).
            let mut key = Zeroizing::new([0u8; 72]);
            let n = password.len().min(72);
            key[..n].copy_from_slice(&password[..n]);
            let used = (n + 1).min(72);
            let out = Zeroizing::new(bcrypt::bcrypt(b.cost, b.salt, &key[..used]));
            Ok(out[..23].ct_eq(&b.hash).into())
        }
        StoredHash::Pbkdf2(p) => {
            let mut out = Zeroizing::new(vec![0u8; p.hash.len()]);
            let algorithm = match p.prf {
                Prf::Sha256 => pbkdf2::Algorithm::Pbkdf2Sha256,
                Prf::Sha512 => pbkdf2::Algorithm::Pbkdf2Sha512,
            };
            // `pbkdf2_hmac_with_params` is not generic, so its loop is the
            // one compiled in the pbkdf2 crate (at opt-level 3 in dev
            // builds too: the generic one, compiled here, is 7 times
            // slower). Its `Params` refuse fewer than 1000 rounds, which
            // cost nothing either way.
            match pbkdf2::Params::new_with_output_len(p.rounds, out.len()) {
                Ok(params) => {
                    pbkdf2::pbkdf2_hmac_with_params(password, &p.salt, algorithm, params, &mut out)
                }
                Err(_) => match p.prf {
                    Prf::Sha256 => pbkdf2::pbkdf2_hmac::<pbkdf2::sha2::Sha256>(
                        password, &p.salt, p.rounds, &mut out,
                    ),
                    Prf::Sha512 => pbkdf2::pbkdf2_hmac::<pbkdf2::sha2::Sha512>(
                        password, &p.salt, p.rounds, &mut out,
                    ),
                },
            }
            Ok(out.ct_eq(&p.hash).into())
        }
        StoredHash::Scrypt(s) => {
            let params = scrypt::Params::new(s.log_n, s.r, s.p)
                .map_err(|_| HashError::Unsupported(format!("scrypt ln={}", s.log_n)))?;
            let mut out = Zeroizing::new(vec![0u8; s.hash.len()]);
            scrypt::scrypt(password, &s.salt, &params, &mut out)
                .map_err(|_| malformed("impossible scrypt output length"))?;
            Ok(out.ct_eq(&s.hash).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: &str = "c29tZXNhbHRzb21lc2FsdA";
    const HASH: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const BCRYPT: &str = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";

    fn code(s: &str) -> &'static str {
        check_importable(s).map_or_else(|e| e.code, |()| "ok")
    }

    #[test]
    fn each_format_parses_with_its_parameters() {
        let StoredHash::Bcrypt(b) = parse_stored(BCRYPT).unwrap() else {
            panic!("not bcrypt")
        };
        assert_eq!(b.cost, 5);
        // "C" is 4 in bcrypt's base64: 000100 000100 000100 000100.
        assert_eq!(b.salt[..6], [0x10, 0x41, 0x04, 0x10, 0x41, 0x04]);
        let StoredHash::Pbkdf2(p) =
            parse_stored(&format!("$pbkdf2-sha512$i=2000,l=32${SALT}${HASH}")).unwrap()
        else {
            panic!("not pbkdf2")
        };
        assert_eq!(
            (p.prf, p.rounds, p.salt.len(), p.hash.len()),
            (Prf::Sha512, 2000, 16, 32)
        );
        let StoredHash::Pbkdf2(d) =
            parse_stored(&format!("pbkdf2_sha256$870000$Xb7sPq0aZk3L${HASH}=")).unwrap()
        else {
            panic!("not pbkdf2")
        };
        assert_eq!((d.prf, d.rounds), (Prf::Sha256, 870_000));
        assert_eq!(d.salt, b"Xb7sPq0aZk3L", "Django's salt is its text");
        let StoredHash::Scrypt(s) =
            parse_stored(&format!("$scrypt$p=2,ln=15,r=8${SALT}${HASH}")).unwrap()
        else {
            panic!("not scrypt")
        };
        assert_eq!((s.log_n, s.r, s.p), (15, 8, 2));
        for (stored, scheme) in [
            (BCRYPT.replace("$2a$", "$2y$"), "bcrypt"),
            (
                format!("bcrypt${}", BCRYPT.replace("$2a$", "$2b$")),
                "bcrypt",
            ),
            (
                format!("$pbkdf2-sha256$29000${SALT}${HASH}"),
                "pbkdf2-sha256",
            ),
            (
                format!("$argon2d$v=19$m=64,t=1,p=1${SALT}${HASH}"),
                "argon2d",
            ),
            (
                format!("argon2$argon2id$v=19$m=64,t=1,p=1${SALT}${HASH}"),
                "argon2id",
            ),
        ] {
            assert_eq!(parse_stored(&stored).unwrap().scheme(), scheme, "{stored}");
        }
    }

    #[test]
    fn the_caps_are_inclusive() {
        let bcrypt = |cost: u32| BCRYPT.replace("$05$", &format!("${cost:02}$"));
        assert!(parse_stored(&bcrypt(BCRYPT_MAX_COST)).is_ok());
        assert!(matches!(
            parse_stored(&bcrypt(BCRYPT_MAX_COST + 1)),
            Err(HashError::Unsupported(_))
        ));
        assert!(matches!(
            parse_stored(&bcrypt(3)),
            Err(HashError::Malformed(_))
        ));
        assert!(matches!(
            parse_stored(&bcrypt(32)),
            Err(HashError::Malformed(_))
        ));

        let pbkdf2 = |rounds: u32, hash: &str| format!("$pbkdf2-sha256${rounds}${SALT}${hash}");
        assert!(parse_stored(&pbkdf2(PBKDF2_MAX_ROUNDS, HASH)).is_ok());
        assert!(parse_stored(&pbkdf2(PBKDF2_MAX_ROUNDS + 1, HASH)).is_err());
        // 64 bytes of SHA-256 output are two blocks: twice the rounds.
        let two_blocks = format!("{HASH}{HASH}");
        assert!(parse_stored(&pbkdf2(PBKDF2_MAX_ROUNDS / 2, &two_blocks)).is_ok());
        assert!(parse_stored(&pbkdf2(PBKDF2_MAX_ROUNDS / 2 + 1, &two_blocks)).is_err());
        let sha512 = format!(
            "$pbkdf2-sha512${}${SALT}${two_blocks}",
            PBKDF2_SHA512_MAX_ROUNDS
        );
        assert!(parse_stored(&sha512).is_ok());

        let scrypt = |ln: u32, r: u32, p: u32| format!("$scrypt$ln={ln},r={r},p={p}${SALT}${HASH}");
        assert!(parse_stored(&scrypt(18, 8, 1)).is_ok());
        assert!(parse_stored(&scrypt(14, 8, 16)).is_ok());
        for (ln, r, p) in [
            (19, 8, 1),
            (18, 8, 2),
            (14, 8, 17),
            (21, 2, 1),
            (22, 1, 1),
            (64, 1, 1),
            (300, 1, 1),
        ] {
            assert!(
                matches!(
                    parse_stored(&scrypt(ln, r, p)),
                    Err(HashError::Unsupported(_))
                ),
                "ln={ln} r={r} p={p}"
            );
        }
    }

    #[test]
    fn malformed_strings_are_errors_not_panics() {
        let long = "a".repeat(MAX_LEN + 1);
        for bad in [
            "",
            "$",
            "$2",
            "$2b$",
            "$2b$05$",
            // 60 bytes with a multi-byte character where the cost is cut.
            "$2b$0é$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvy",
            "$2b$05CCCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "$2b$+5$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "$2b$05$CCCCCCCCCCCCCCCCCCCCC!E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW=",
            "bcrypt$",
            "bcrypt$$2b$",
            "$pbkdf2-sha256$",
            "$pbkdf2-sha256$1000",
            "$pbkdf2-sha256$0$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "$pbkdf2-sha256$01000$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "$pbkdf2-sha256$i=1000,i=2$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "$pbkdf2-sha256$i=1000,l=16$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "$pbkdf2-sha256$i=1000,x=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "$pbkdf2-sha256$1000$$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "$pbkdf2-sha256$1000$c2FsdA$AAAA",
            "$pbkdf2-sha256$1000$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$x",
            "pbkdf2_sha256$1000$salt",
            "pbkdf2_sha256$-1000$salt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "pbkdf2_sha256$1000$$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "pbkdf2_sha256$1000$salt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "$scrypt$ln=16,r=8$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "$scrypt$ln=16,r=8,p=1,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "$scrypt$ln=16,r=0,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "$scrypt$ln=x,r=8,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "$scrypt$ln=99999999999,r=8,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "$argon2id$v=19$m=64,t=1,p=1",
            "argon2$",
            "argon2$argon2id$v=19",
            long.as_str(),
        ] {
            assert!(parse_stored(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_import_row_learns_why_its_hash_is_refused() {
        assert_eq!(code(BCRYPT), "ok");
        assert_eq!(code("md5$abc$0123456789abcdef"), "unsupported_hash_format");
        assert_eq!(code("bcrypt_sha256$$2b$12$xyz"), "unsupported_hash_format");
        assert_eq!(
            code(&BCRYPT.replace("$2a$", "$2x$")),
            "unsupported_hash_format"
        );
        assert_eq!(code(&BCRYPT.replace("$05$", "$17$")), "hash_cost_too_high");
        assert_eq!(code("$2b$05$short"), "malformed_hash");
        let e = check_importable("{SSHA}abc").unwrap_err();
        assert_eq!(e.field, "password_hash");
        assert!(
            e.message.contains("bcrypt ($2a$, $2b$, $2y$)"),
            "{}",
            e.message
        );
        let e = check_importable(&BCRYPT.replace("$05$", "$20$")).unwrap_err();
        assert!(e.message.contains("above 16"), "{}", e.message);
    }
}
