//! TOTP codes (RFC 6238 over the HOTP of RFC 4226): computed for a time
//! step, and checked with one step of drift and no replays.

use super::secret::TotpSecret;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Length of a TOTP time step, in seconds (the RFC 6238 default, and the
/// only period every authenticator app supports).
pub const TOTP_STEP_SECS: i64 = 30;
/// Digits in a TOTP code.
pub const TOTP_DIGITS: u32 = 6;

/// The time step containing unix time `unix_secs` (seconds).
pub fn totp_step(unix_secs: i64) -> i64 {
    // Floor division, so that a time before 1970 (a broken clock) still maps
    // to a single well-defined step.
    unix_secs.div_euclid(TOTP_STEP_SECS)
}

/// The 6-digit code of `secret` at `step` (HMAC-SHA1 and dynamic
/// truncation, RFC 4226 section 5.3, with the step as the counter).
pub fn totp_code(secret: &TotpSecret, step: i64) -> String {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(secret.bytes())
        .expect("HMAC takes keys of any length");
    // The counter is the step as a big-endian 64-bit number. A negative step
    // (only a clock set before 1970 gives one) goes in as its two's
    // complement bits, which is as good as any fixed choice.
    mac.update(&step.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    // Dynamic truncation: the low nibble of the last byte picks four bytes,
    // whose top bit is dropped so the number reads the same signed or not.
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let number = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    let code = number % 10u32.pow(TOTP_DIGITS);
    format!("{code:0width$}", width = TOTP_DIGITS as usize)
}

/// The digits of a presented TOTP code: whitespace removed (apps show
/// "123 456"), then exactly [`TOTP_DIGITS`] ASCII digits or nothing.
fn parse_totp_code(code: &str) -> Option<[u8; TOTP_DIGITS as usize]> {
    let mut digits = [0u8; TOTP_DIGITS as usize];
    let mut n = 0;
    for c in code.chars().filter(|c| !c.is_whitespace()) {
        if !c.is_ascii_digit() || n == digits.len() {
            return None;
        }
        digits[n] = c as u8;
        n += 1;
    }
    (n == digits.len()).then_some(digits)
}

/// Checks `code` against the steps now-1, now and now+1 (one step of clock
/// drift either way) and returns the step it matched, which the caller
/// stores as the new `last_used_step`.
///
/// `code` may contain spaces; anything that is not exactly 6 ASCII digits
/// once they are removed is refused. Steps up to and including
/// `last_used_step` are never accepted, so a code seen over someone's
/// shoulder, or accepted once already, cannot be replayed.
pub fn verify_totp(
    secret: &TotpSecret,
    code: &str,
    unix_secs: i64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let presented = parse_totp_code(code)?;
    let now = totp_step(unix_secs);
    // The current step is tried first so that, on the one-in-a-million
    // chance that two neighbouring steps share a code, the step recorded is
    // the one the user's app was showing. Every candidate is computed and
    // compared whatever the outcome, so the time taken does not tell which
    // (if any) matched; the comparison itself is constant-time.
    let candidates = [Some(now), now.checked_sub(1), now.checked_add(1)];
    let mut matched = None;
    for step in candidates.into_iter().flatten() {
        if last_used_step.is_some_and(|last| step <= last) {
            continue;
        }
        let expected = totp_code(secret, step);
        let equal: bool = expected.as_bytes().ct_eq(&presented).into();
        if equal && matched.is_none() {
            matched = Some(step);
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mfa::rfc_secret;
    use crate::mfa::secret::{MAX_SECRET_LEN, MIN_SECRET_LEN};
    use proptest::prelude::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // The 8-digit values of appendix B, last six digits.
        let vectors = [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ];
        let secret = rfc_secret();
        for (time, code) in vectors {
            assert_eq!(totp_code(&secret, totp_step(time)), code, "t = {time}");
        }
    }

    #[test]
    fn rfc4226_hotp_vectors() {
        // Appendix D: the counter is the step.
        let codes = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        let secret = rfc_secret();
        for (counter, code) in codes.iter().enumerate() {
            assert_eq!(totp_code(&secret, counter as i64), *code);
        }
    }

    #[test]
    fn steps_are_floor_divisions_of_time() {
        assert_eq!(totp_step(0), 0);
        assert_eq!(totp_step(29), 0);
        assert_eq!(totp_step(30), 1);
        assert_eq!(totp_step(59), 1);
        assert_eq!(totp_step(-1), -1);
    }

    #[test]
    fn verify_accepts_one_step_of_drift_either_way() {
        let secret = rfc_secret();
        let now = 1_111_111_111;
        let step = totp_step(now);
        for s in [step - 1, step, step + 1] {
            assert_eq!(
                verify_totp(&secret, &totp_code(&secret, s), now, None),
                Some(s)
            );
        }
        for s in [step - 2, step + 2] {
            assert_eq!(
                verify_totp(&secret, &totp_code(&secret, s), now, None),
                None
            );
        }
    }

    #[test]
    fn verify_takes_spaces_in_the_code() {
        let secret = rfc_secret();
        let step = totp_step(59);
        assert_eq!(verify_totp(&secret, " 287 082 ", 59, None), Some(step));
        assert_eq!(verify_totp(&secret, "287\u{a0}082", 59, None), Some(step));
    }

    #[test]
    fn verify_refuses_replays() {
        let secret = rfc_secret();
        let now = 1_111_111_111;
        let step = totp_step(now);
        let code = totp_code(&secret, step);
        let used = verify_totp(&secret, &code, now, None).unwrap();
        assert_eq!(verify_totp(&secret, &code, now, Some(used)), None);
        assert_eq!(verify_totp(&secret, &code, now + 20, Some(used)), None);
        // An older code after a newer one was used.
        let previous = totp_code(&secret, step - 1);
        assert_eq!(verify_totp(&secret, &previous, now, Some(step)), None);
        // The next code is still good.
        let next = totp_code(&secret, step + 1);
        assert_eq!(verify_totp(&secret, &next, now, Some(used)), Some(step + 1));
    }

    #[test]
    fn verify_refuses_malformed_codes() {
        let secret = rfc_secret();
        for code in [
            "12345", "1234567", "abcdef", "", "      ", "28708２", "+28708", "287-082",
        ] {
            assert_eq!(verify_totp(&secret, code, 59, None), None, "{code:?}");
        }
    }

    #[test]
    fn verify_survives_the_ends_of_time() {
        let secret = rfc_secret();
        let code = totp_code(&secret, totp_step(i64::MAX));
        assert_eq!(
            verify_totp(&secret, &code, i64::MAX, None),
            Some(totp_step(i64::MAX))
        );
        let code = totp_code(&secret, totp_step(i64::MIN));
        assert_eq!(
            verify_totp(&secret, &code, i64::MIN, None),
            Some(totp_step(i64::MIN))
        );
    }

    proptest! {
        #[test]
        fn a_code_verifies_at_its_own_step(
            bytes in proptest::collection::vec(any::<u8>(), MIN_SECRET_LEN..=MAX_SECRET_LEN),
            step in (i64::MIN / TOTP_STEP_SECS)..=(i64::MAX / TOTP_STEP_SECS),
        ) {
            let secret = TotpSecret::from_bytes(&bytes).unwrap();
            let code = totp_code(&secret, step);
            prop_assert_eq!(verify_totp(&secret, &code, step * TOTP_STEP_SECS, None), Some(step));
        }
    }
}
