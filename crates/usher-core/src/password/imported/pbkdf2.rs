//! PBKDF2-HMAC-SHA256 and -SHA512 hashes, in passlib's, RustCrypto's and
//! Django's forms: parsed within the rounds caps, and verified.

use super::{
    PBKDF2_MAX_ROUNDS, PBKDF2_SHA512_MAX_ROUNDS, StoredHash, check_salt_and_hash, malformed,
    number, phc_b64,
};
use crate::password::HashError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

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

pub(super) fn parse_phc(prf: Prf, rest: &str) -> Result<StoredHash, HashError> {
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

pub(super) fn parse_django(rest: &str) -> Result<StoredHash, HashError> {
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

/// Whether `password` derives `p`, compared in constant time.
pub(super) fn verify(p: &Pbkdf2, password: &[u8]) -> bool {
    let mut out = Zeroizing::new(vec![0u8; p.hash.len()]);
    let algorithm = match p.prf {
        Prf::Sha256 => ::pbkdf2::Algorithm::Pbkdf2Sha256,
        Prf::Sha512 => ::pbkdf2::Algorithm::Pbkdf2Sha512,
    };
    // `pbkdf2_hmac_with_params` is not generic, so its loop is the
    // one compiled in the pbkdf2 crate (at opt-level 3 in dev
    // builds too: the generic one, compiled here, is 7 times
    // slower). Its `Params` refuse fewer than 1000 rounds, which
    // cost nothing either way.
    match ::pbkdf2::Params::new_with_output_len(p.rounds, out.len()) {
        Ok(params) => {
            ::pbkdf2::pbkdf2_hmac_with_params(password, &p.salt, algorithm, params, &mut out)
        }
        Err(_) => match p.prf {
            Prf::Sha256 => ::pbkdf2::pbkdf2_hmac::<::pbkdf2::sha2::Sha256>(
                password, &p.salt, p.rounds, &mut out,
            ),
            Prf::Sha512 => ::pbkdf2::pbkdf2_hmac::<::pbkdf2::sha2::Sha512>(
                password, &p.salt, p.rounds, &mut out,
            ),
        },
    }
    out.ct_eq(&p.hash).into()
}
