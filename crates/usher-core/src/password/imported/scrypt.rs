//! scrypt hashes (`$scrypt$ln=…,r=…,p=…$salt$hash`, passlib and
//! RustCrypto): parsed within the memory cap, and verified.

use super::{SCRYPT_MAX_BYTES, StoredHash, check_salt_and_hash, malformed, number, phc_b64};
use crate::password::HashError;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// An scrypt hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrypt {
    pub log_n: u8,
    pub r: u32,
    pub p: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

pub(super) fn parse(rest: &str) -> Result<StoredHash, HashError> {
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

/// Whether `password` derives `s`, compared in constant time.
pub(super) fn verify(s: &Scrypt, password: &[u8]) -> Result<bool, HashError> {
    let params = ::scrypt::Params::new(s.log_n, s.r, s.p)
        .map_err(|_| HashError::Unsupported(format!("scrypt ln={}", s.log_n)))?;
    let mut out = Zeroizing::new(vec![0u8; s.hash.len()]);
    ::scrypt::scrypt(password, &s.salt, &params, &mut out)
        .map_err(|_| malformed("impossible scrypt output length"))?;
    Ok(out.ct_eq(&s.hash).into())
}
