//! argon2 parameters and the PHC string format
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, base64 without padding).

use super::HashError;
use argon2::{Algorithm, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;

/// The most memory (KiB) a hash may ask for: 1 GiB.
pub const MAX_M_KIB: u32 = 1024 * 1024;
/// The most passes a hash may ask for.
pub const MAX_T: u32 = 64;
/// The most lanes a hash may ask for.
pub const MAX_P: u32 = 16;
/// The most work (memory × passes, in KiB) a hash may ask for: what keeps a
/// stored hash (an imported one, a corrupted row) from tying up a worker.
pub const MAX_WORK_KIB: u64 = 8 * 1024 * 1024;

/// argon2 cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes over the memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl HashParams {
    /// OWASP's recommendation for argon2id: 19 MiB, two passes, one lane.
    pub const OWASP: HashParams = HashParams {
        m_kib: 19_456,
        t: 2,
        p: 1,
    };

    /// Refuses parameters outside Usher's limits or argon2's own.
    pub fn validate(&self) -> Result<(), HashError> {
        if self.m_kib > MAX_M_KIB || self.t > MAX_T || self.p > MAX_P || self.p == 0 || self.t == 0
        {
            return Err(HashError::Unsupported(format!(
                "m={}, t={}, p={}",
                self.m_kib, self.t, self.p
            )));
        }
        if u64::from(self.m_kib) * u64::from(self.t) > MAX_WORK_KIB {
            return Err(HashError::Unsupported(format!(
                "m×t = {} KiB",
                u64::from(self.m_kib) * u64::from(self.t)
            )));
        }
        if self.m_kib < 8 * self.p {
            return Err(HashError::Unsupported(format!(
                "m={} is below 8 KiB per lane",
                self.m_kib
            )));
        }
        Ok(())
    }
}

impl Default for HashParams {
    fn default() -> Self {
        Self::OWASP
    }
}

/// A parsed argon2 PHC string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phc {
    pub algorithm: Algorithm,
    pub version: Version,
    pub params: HashParams,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

fn malformed(why: &str) -> HashError {
    HashError::Malformed(why.to_owned())
}

pub fn parse(s: &str) -> Result<Phc, HashError> {
    let mut parts = s.split('$');
    if parts.next() != Some("") {
        return Err(malformed("does not start with $"));
    }
    let algorithm = match parts.next() {
        Some("argon2id") => Algorithm::Argon2id,
        Some("argon2i") => Algorithm::Argon2i,
        Some("argon2d") => Algorithm::Argon2d,
        _ => return Err(malformed("not an argon2 hash")),
    };
    let mut next = parts.next().ok_or_else(|| malformed("no parameters"))?;
    // The version field is optional; without it the hash is version 0x10.
    let version = match next.strip_prefix("v=") {
        Some(v) => {
            let version = match v {
                "16" => Version::V0x10,
                "19" => Version::V0x13,
                _ => return Err(malformed("unknown version")),
            };
            next = parts.next().ok_or_else(|| malformed("no parameters"))?;
            version
        }
        None => Version::V0x10,
    };
    let (mut m, mut t, mut p) = (None, None, None);
    for kv in next.split(',') {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| malformed("bad parameter"))?;
        let v: u32 = v
            .parse()
            .map_err(|_| malformed("parameter is not a number"))?;
        match k {
            "m" => m = Some(v),
            "t" => t = Some(v),
            "p" => p = Some(v),
            // keyid and associated data are not used by Usher's hashes.
            _ => return Err(malformed("unsupported parameter")),
        }
    }
    let params = HashParams {
        m_kib: m.ok_or_else(|| malformed("no m"))?,
        t: t.ok_or_else(|| malformed("no t"))?,
        p: p.ok_or_else(|| malformed("no p"))?,
    };
    let salt = B64
        .decode(parts.next().ok_or_else(|| malformed("no salt"))?)
        .map_err(|_| malformed("salt is not base64"))?;
    let hash = B64
        .decode(parts.next().ok_or_else(|| malformed("no hash"))?)
        .map_err(|_| malformed("hash is not base64"))?;
    if parts.next().is_some() {
        return Err(malformed("trailing fields"));
    }
    if !(8..=64).contains(&salt.len()) || !(4..=128).contains(&hash.len()) {
        return Err(malformed("salt or hash of an impossible length"));
    }
    Ok(Phc {
        algorithm,
        version,
        params,
        salt,
        hash,
    })
}

pub fn format(
    algorithm: Algorithm,
    version: Version,
    params: HashParams,
    salt: &[u8],
    hash: &[u8],
) -> String {
    format!(
        "${}$v={}$m={},t={},p={}${}${}",
        algorithm.as_str(),
        version as u32,
        params.m_kib,
        params.t,
        params.p,
        B64.encode(salt),
        B64.encode(hash)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_formatted_hash_parses_back() {
        let s = format(
            Algorithm::Argon2id,
            Version::V0x13,
            HashParams::OWASP,
            &[1; 16],
            &[2; 32],
        );
        assert!(s.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let p = parse(&s).unwrap();
        assert_eq!(
            (p.params, p.salt.len(), p.hash.len()),
            (HashParams::OWASP, 16, 32)
        );
    }

    #[test]
    fn malformed_strings_are_errors_not_panics() {
        for bad in [
            "",
            "$",
            "$argon2id",
            "$argon2id$v=19",
            "$argon2id$v=19$m=1",
            "$bcrypt$v=19$m=1,t=1,p=1$AAAA$AAAA",
            "$argon2id$v=20$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAA",
            "$argon2id$v=19$m=x,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAA",
            "$argon2id$v=19$m=8,t=1,p=1$!!!$AAAAAAAAAAA",
            "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAA$x",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn absurd_parameters_are_refused() {
        assert!(
            HashParams {
                m_kib: MAX_M_KIB + 1,
                t: 1,
                p: 1
            }
            .validate()
            .is_err()
        );
        assert!(
            HashParams {
                m_kib: 1024 * 1024,
                t: 64,
                p: 1
            }
            .validate()
            .is_err()
        );
        assert!(
            HashParams {
                m_kib: 8,
                t: 1,
                p: 0
            }
            .validate()
            .is_err()
        );
        assert!(HashParams::OWASP.validate().is_ok());
    }
}
