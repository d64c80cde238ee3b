//! One-time recovery codes: generated for showing once, stored only as
//! hashes, and told apart from TOTP codes so that one field takes either.

use crate::token::SecretHash;
use sha2::{Digest, Sha256};

/// How many recovery codes a user gets at a time.
pub const RECOVERY_CODE_COUNT: usize = 10;
/// Characters in a recovery code, not counting the dash.
const RECOVERY_CODE_LEN: usize = 10;
/// Where the dash goes when a code is shown.
const RECOVERY_CODE_GROUP: usize = 5;
/// Digits and lower-case letters without the ones read or typed for one
/// another: 0/o, 1/i/l. 31 symbols, so a code of 10 carries
/// 10 × log2(31) ≈ 49.5 bits (a full 50 would take a 32nd symbol, which
/// would have to be a lookalike, or an 11th character). Lower case because
/// it is what people type on a phone without reaching for the shift key.
const RECOVERY_ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// A new set of [`RECOVERY_CODE_COUNT`] distinct recovery codes, each
/// shown as `xxxxx-xxxxx`. They are for showing to the user once; store
/// only their [`recovery_code_hash`]es.
pub fn generate_recovery_codes() -> Vec<String> {
    let mut codes: Vec<String> = Vec::with_capacity(RECOVERY_CODE_COUNT);
    while codes.len() < RECOVERY_CODE_COUNT {
        let code = random_recovery_code();
        // A repeat is astronomically unlikely, but two equal codes would
        // share one hash and the user would be a code short without knowing.
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

fn random_recovery_code() -> String {
    // The largest multiple of 31 that fits in a byte: bytes at or above it
    // are thrown away so that every symbol is exactly as likely (taking the
    // remainder of every byte would favour the first eight).
    const LIMIT: u8 = (256 / RECOVERY_ALPHABET.len() * RECOVERY_ALPHABET.len()) as u8;
    let mut code = String::with_capacity(RECOVERY_CODE_LEN + 1);
    let mut taken = 0;
    let mut pool = [0u8; 32];
    while taken < RECOVERY_CODE_LEN {
        rand::fill(&mut pool);
        for &b in pool.iter().filter(|&&b| b < LIMIT) {
            if taken == RECOVERY_CODE_LEN {
                break;
            }
            if taken == RECOVERY_CODE_GROUP {
                code.push('-');
            }
            code.push(char::from(
                RECOVERY_ALPHABET[usize::from(b) % RECOVERY_ALPHABET.len()],
            ));
            taken += 1;
        }
    }
    code
}

/// The canonical form of a typed recovery code: lower case, without
/// whitespace or dashes. `None` when it cannot be one (wrong length or a
/// character outside the alphabet).
fn normalise_recovery_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let valid =
        code.len() == RECOVERY_CODE_LEN && code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// The stored form of a recovery code: SHA-256 of its canonical form
/// (case, whitespace and dashes do not matter). `None` when the input cannot
/// be a recovery code, so the caller need not look anything up.
///
/// Compare hashes with [`SecretHash::matches`], which is constant-time.
pub fn recovery_code_hash(input: &str) -> Option<SecretHash> {
    let code = normalise_recovery_code(input)?;
    Some(SecretHash(Sha256::digest(code.as_bytes()).into()))
}

/// The normalised form of a recovery code, which keyed hashes are made of;
/// `None` for anything that is not one.
pub fn recovery_code_canonical(input: &str) -> Option<String> {
    normalise_recovery_code(input).map(|c| c.to_string())
}

/// True when the input looks like a recovery code rather than a TOTP code,
/// so a login form can take either in one field. Exactly the inputs that
/// [`recovery_code_hash`] accepts: a 6-digit TOTP code never is one.
pub fn looks_like_recovery_code(input: &str) -> bool {
    normalise_recovery_code(input).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn recovery_codes_are_distinct_and_well_formed() {
        let codes = generate_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        assert_eq!(codes.iter().collect::<HashSet<_>>().len(), codes.len());
        for code in &codes {
            let (left, right) = code.split_once('-').unwrap();
            assert_eq!((left.len(), right.len()), (5, 5), "{code}");
            assert!(
                left.bytes()
                    .chain(right.bytes())
                    .all(|b| RECOVERY_ALPHABET.contains(&b)),
                "{code}"
            );
            assert!(looks_like_recovery_code(code));
            assert!(recovery_code_hash(code).is_some());
        }
        assert_ne!(codes, generate_recovery_codes());
    }

    #[test]
    fn recovery_alphabet_has_no_lookalikes_and_enough_entropy() {
        for b in b"0o1il" {
            assert!(!RECOVERY_ALPHABET.contains(b));
        }
        assert_eq!(
            RECOVERY_ALPHABET.iter().collect::<HashSet<_>>().len(),
            RECOVERY_ALPHABET.len()
        );
        let bits = RECOVERY_CODE_LEN as f64 * (RECOVERY_ALPHABET.len() as f64).log2();
        assert!(bits > 49.5, "{bits}");
    }

    #[test]
    fn recovery_hash_ignores_case_spaces_and_dashes() {
        let hash = recovery_code_hash("abcde-fghjk").unwrap();
        for typed in [
            "ABCDE-FGHJK",
            "abcdefghjk",
            " abc de fgh jk ",
            "a-b-c-d-e-f-g-h-j-k",
            "AbCdE\tFgHjK",
        ] {
            assert!(
                recovery_code_hash(typed).unwrap().matches(&hash),
                "{typed:?}"
            );
        }
        assert!(!recovery_code_hash("abcde-fghjm").unwrap().matches(&hash));
        // The hash is SHA-256 of the canonical form, as stores will expect.
        assert_eq!(hash.0, <[u8; 32]>::from(Sha256::digest(b"abcdefghjk")));
    }

    #[test]
    fn recovery_hash_rejects_garbage() {
        for input in [
            "",
            "abcde-fghj",   // 9 characters
            "abcde-fghjkm", // 11
            "abcde-fghj0",  // a zero
            "abcde-fghjl",  // an l
            "abcde_fghjk",  // an underscore
            "abcde-fghjé",  // not ASCII
            "287082",       // a TOTP code
            "----------",
        ] {
            assert!(recovery_code_hash(input).is_none(), "{input:?}");
            assert!(!looks_like_recovery_code(input), "{input:?}");
        }
    }

    #[test]
    fn totp_codes_do_not_look_like_recovery_codes() {
        assert!(!looks_like_recovery_code("123456"));
        assert!(!looks_like_recovery_code("123 456"));
        assert!(looks_like_recovery_code("ABCDE FGHJK"));
    }
}
