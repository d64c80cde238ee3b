//! Second factors for end users: TOTP codes from an authenticator app
//! (RFC 6238 over the HOTP of RFC 4226) and one-time recovery codes.
//!
//! Pure logic, no I/O: the caller stores the TOTP secret (it has to be kept
//! in a form that can be read back, since both sides compute the codes), the
//! last accepted time step (so that each code works only once) and the
//! SHA-256 hashes of the recovery codes (shown once, never stored in clear).
//!
//! Secrets never reach `Debug` output, and the TOTP secret's bytes are wiped
//! from memory when it is dropped.

use crate::token::SecretHash;
use hmac::{Hmac, KeyInit, Mac};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

// ---------------------------------------------------------------------------
// TOTP secret
// ---------------------------------------------------------------------------

/// Length of a generated TOTP secret: 160 bits, the size RFC 4226 recommends
/// and the HMAC-SHA1 output size.
const GENERATED_SECRET_LEN: usize = 20;
/// Shortest secret accepted: RFC 4226 requires at least 128 bits, 80 is what
/// some older providers issued; below that a secret is not worth keeping.
const MIN_SECRET_LEN: usize = 10;
/// Longest secret accepted: HMAC-SHA1's block size. Longer keys are hashed
/// down by HMAC anyway, so they add nothing but a bigger QR code.
const MAX_SECRET_LEN: usize = 64;

/// A TOTP secret: 20 random bytes (160 bits), shown to the user as unpadded
/// RFC 4648 base32. The bytes are zeroed on drop; `Debug` never shows them.
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    /// A new random secret of 160 bits.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; GENERATED_SECRET_LEN]);
        rand::fill(bytes.as_mut_slice());
        Self(bytes)
    }

    /// Parses the base32 form, as shown to the user or kept by a store.
    ///
    /// Case-insensitive, whitespace is ignored (people copy the key in the
    /// groups it was shown in) and `=` padding is optional. Returns `None`
    /// for characters outside the alphabet, for a length no encoder can
    /// produce, for unused trailing bits that are not zero (so the text form
    /// is canonical: `to_base32` gives back the same key) and for a secret
    /// outside 10..=64 bytes.
    pub fn from_base32(s: &str) -> Option<Self> {
        Self::from_bytes(&base32_decode(s)?)
    }

    /// Wraps raw secret bytes, for a store that keeps them as a blob.
    /// `None` outside 10..=64 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        (MIN_SECRET_LEN..=MAX_SECRET_LEN)
            .contains(&bytes.len())
            .then(|| Self(Zeroizing::new(bytes.to_vec())))
    }

    /// The unpadded, upper-case base32 form (what authenticator apps take).
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    /// The raw secret, for computing codes or for a store that keeps bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

// ---------------------------------------------------------------------------
// Base32 (RFC 4648 section 6, the alphabet every authenticator app uses)
// ---------------------------------------------------------------------------

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Unpadded base32. Written here rather than taken from a crate: it is a few
/// lines, and only TOTP secrets go through it.
fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    // Bits not yet emitted sit in the low `bits` bits of `buffer`.
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(
                BASE32_ALPHABET[((buffer >> bits) & 31) as usize],
            ));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        // The last partial group is padded with zero bits on the right.
        out.push(char::from(
            BASE32_ALPHABET[((buffer << (5 - bits)) & 31) as usize],
        ));
    }
    out
}

fn base32_value(c: char) -> Option<u32> {
    match c.to_ascii_uppercase() {
        c @ 'A'..='Z' => Some(c as u32 - 'A' as u32),
        c @ '2'..='7' => Some(c as u32 - '2' as u32 + 26),
        _ => None,
    }
}

/// Decodes base32 into zeroize-on-drop memory, since what goes through here
/// is a secret. See [`TotpSecret::from_base32`] for what is accepted.
fn base32_decode(s: &str) -> Option<Zeroizing<Vec<u8>>> {
    let s = s.trim_end_matches(|c: char| c == '=' || c.is_whitespace());
    // Allocated once at its final size: a growing Vec would leave copies of
    // the secret behind in the buffers it gave up.
    let mut out = Zeroizing::new(Vec::with_capacity(s.len() * 5 / 8 + 1));
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for c in s.chars().filter(|c| !c.is_whitespace()) {
        buffer = (buffer << 5) | base32_value(c)?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // Five or more bits left over means a character that encodes no byte
    // (a length of 1, 3 or 6 modulo 8); set bits left over mean a text that
    // our encoder would not have produced.
    if bits >= 5 || buffer != 0 {
        return None;
    }
    Some(out)
}

// ---------------------------------------------------------------------------
// TOTP codes
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Enrolment: otpauth URI and QR code
// ---------------------------------------------------------------------------

/// Percent-encodes everything but RFC 3986's unreserved characters, byte by
/// byte of the UTF-8. Stricter than the URI syntax needs, which is the
/// point: authenticator apps differ in what they decode, and all of them
/// decode this.
fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// The enrolment URI of the "Key Uri Format" that authenticator apps read
/// from a QR code:
/// `otpauth://totp/{issuer}:{account}?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30`,
/// with `issuer` and `account` percent-encoded. The issuer appears twice
/// because older apps read it only from the label and newer ones prefer the
/// parameter. With an empty issuer the label is the account alone and the
/// parameter is left out, rather than showing an account under a blank name.
///
/// The URI contains the secret: it must not be logged.
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> String {
    let account = percent_encode(account);
    let secret = secret.to_base32();
    let params = format!("algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECS}");
    if issuer.is_empty() {
        format!("otpauth://totp/{account}?secret={secret}&{params}")
    } else {
        let issuer = percent_encode(issuer);
        format!("otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&{params}")
    }
}

/// The accessible name [`qr_svg`] gives its image. Deliberately not the
/// encoded text: that is usually an otpauth URI holding the secret, and a
/// `<title>` is read out by screen readers and shown as a tooltip. (People
/// who cannot scan need the base32 key shown next to the image.)
pub const QR_TITLE: &str = "QR code to scan with an authenticator app";

/// Smallest width and height of the SVG, in user units (pixels unless the
/// page scales it): big enough for a phone camera from a laptop screen.
const QR_MIN_SIZE: u32 = 200;

/// An SVG image of a QR code of `text`, titled [`QR_TITLE`].
///
/// The same text always gives the same image. Text longer than a QR code
/// can hold (about 2,300 bytes at the error correction used here, far more
/// than an otpauth URI needs) gives a blank image whose title says so,
/// rather than a panic in the middle of a request.
pub fn qr_svg(text: &str) -> String {
    qr_svg_titled(text, QR_TITLE)
}

/// [`qr_svg`] with a title of the caller's choosing (a translated one, say).
/// The title is escaped here; it must not contain the secret.
pub fn qr_svg_titled(text: &str, title: &str) -> String {
    // Level M (15% of the code can be damaged) is what QR readers expect of
    // a screen: L saves little space at URI lengths, Q and H make the
    // modules smaller and slower to focus on.
    let Ok(code) = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) else {
        return format!(
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{s}" height="{s}" viewBox="0 0 {s} {s}">"#,
                "<title>QR code unavailable: too much text to encode</title>",
                r##"<rect x="0" y="0" width="{s}" height="{s}" fill="#fff"/></svg>"##,
            ),
            s = QR_MIN_SIZE
        );
    };
    let image = code
        .render::<svg::Color>()
        .min_dimensions(QR_MIN_SIZE, QR_MIN_SIZE)
        .build();
    with_title(image, title)
}

/// Puts a `<title>` first inside the `<svg>` element (where it has to be
/// to name the image) and marks the element as an image, so that screen
/// readers announce it as one when the SVG is inlined in a page.
fn with_title(image: String, title: &str) -> String {
    let Some(open) = image.find("<svg") else {
        return image;
    };
    let Some(close) = image[open..].find('>').map(|i| open + i) else {
        return image;
    };
    let mut out = String::with_capacity(image.len() + title.len() + 32);
    out.push_str(&image[..open + "<svg".len()]);
    out.push_str(r#" role="img""#);
    out.push_str(&image[open + "<svg".len()..=close]);
    out.push_str("<title>");
    out.push_str(&xml_escape(title));
    out.push_str("</title>");
    out.push_str(&image[close + 1..]);
    out
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Recovery codes
// ---------------------------------------------------------------------------

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

/// True when the input looks like a recovery code rather than a TOTP code,
/// so a login form can take either in one field. Exactly the inputs that
/// [`recovery_code_hash`] accepts: a 6-digit TOTP code never is one.
pub fn looks_like_recovery_code(input: &str) -> bool {
    normalise_recovery_code(input).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    /// The key of RFC 6238 appendix B (and RFC 4226 appendix D) for SHA-1.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890").unwrap()
    }

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
    fn base32_rfc4648_vectors() {
        // Section 10, without the padding.
        let vectors: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "MY"),
            (b"fo", "MZXQ"),
            (b"foo", "MZXW6"),
            (b"foob", "MZXW6YQ"),
            (b"fooba", "MZXW6YTB"),
            (b"foobar", "MZXW6YTBOI"),
        ];
        for (bytes, text) in vectors {
            assert_eq!(base32_encode(bytes), text);
            assert_eq!(base32_decode(text).unwrap().as_slice(), bytes);
        }
        // The padded forms decode too.
        assert_eq!(base32_decode("MY======").unwrap().as_slice(), b"f");
        assert_eq!(base32_decode("MZXW6YQ=").unwrap().as_slice(), b"foob");
    }

    #[test]
    fn base32_refuses_what_no_encoder_produces() {
        assert!(base32_decode("M").is_none()); // 1 mod 8: half a byte
        assert!(base32_decode("MZX").is_none()); // 3 mod 8
        assert!(base32_decode("MZXW6Y").is_none()); // 6 mod 8
        assert!(base32_decode("MZ").is_none()); // "MY" with a stray low bit
        assert!(base32_decode("MY0").is_none()); // not in the alphabet
        assert!(base32_decode("M=Y").is_none()); // padding in the middle
    }

    #[test]
    fn secret_round_trips_through_base32() {
        let secret = rfc_secret();
        assert_eq!(secret.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let again = TotpSecret::from_base32(&secret.to_base32()).unwrap();
        assert_eq!(again.bytes(), secret.bytes());

        let generated = TotpSecret::generate();
        assert_eq!(generated.bytes().len(), 20);
        assert_eq!(generated.to_base32().len(), 32);
        let again = TotpSecret::from_base32(&generated.to_base32()).unwrap();
        assert_eq!(again.bytes(), generated.bytes());
        assert_ne!(TotpSecret::generate().bytes(), generated.bytes());
    }

    #[test]
    fn secret_parsing_forgives_case_spaces_and_padding() {
        let shown = "gezd gnbv gy3t qojq gezd gnbv gy3t qojq";
        assert_eq!(
            TotpSecret::from_base32(shown).unwrap().bytes(),
            b"12345678901234567890"
        );
        // 10 bytes (16 characters) padded to 16 is fine; so is trailing space.
        let ten = base32_encode(&[7u8; 10]);
        assert!(TotpSecret::from_base32(&format!("{ten}  ")).is_some());
        assert!(TotpSecret::from_base32(&format!("{}=", base32_encode(&[7u8; 11]))).is_some());
    }

    #[test]
    fn secret_length_is_bounded() {
        assert!(TotpSecret::from_base32(&base32_encode(&[1u8; 9])).is_none());
        assert!(TotpSecret::from_base32(&base32_encode(&[1u8; 10])).is_some());
        assert!(TotpSecret::from_base32(&base32_encode(&[1u8; 64])).is_some());
        assert!(TotpSecret::from_base32(&base32_encode(&[1u8; 65])).is_none());
        assert!(TotpSecret::from_base32("").is_none());
        assert!(TotpSecret::from_bytes(&[0u8; 9]).is_none());
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let secret = rfc_secret();
        let shown = format!("{secret:?}");
        assert!(!shown.contains(&secret.to_base32()));
        assert!(!shown.contains("1234"));
        assert!(!shown.contains("49, 50")); // the bytes as a list
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

    #[test]
    fn otpauth_uri_has_every_parameter() {
        let uri = otpauth_uri(&rfc_secret(), "Usher", "ann@example.com");
        assert_eq!(
            uri,
            "otpauth://totp/Usher:ann%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Usher&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn otpauth_uri_escapes_issuer_and_account() {
        let uri = otpauth_uri(&rfc_secret(), "Acme Corp: Zürich", "jo é:x&y=z?");
        assert!(uri.starts_with(
            "otpauth://totp/Acme%20Corp%3A%20Z%C3%BCrich:jo%20%C3%A9%3Ax%26y%3Dz%3F?secret="
        ));
        assert!(uri.contains("&issuer=Acme%20Corp%3A%20Z%C3%BCrich&"));
        // Exactly one literal ':' after the scheme: the label separator.
        assert_eq!(uri["otpauth:".len()..].matches(':').count(), 1);
        assert_eq!(percent_encode("a-b.c_d~e/f"), "a-b.c_d~e%2Ff");
    }

    #[test]
    fn otpauth_uri_without_issuer_has_a_bare_label() {
        let uri = otpauth_uri(&rfc_secret(), "", "ann");
        assert!(uri.starts_with("otpauth://totp/ann?secret="));
        assert!(!uri.contains("issuer="));
    }

    #[test]
    fn qr_svg_is_a_titled_deterministic_svg() {
        let uri = otpauth_uri(&rfc_secret(), "Usher", "ann@example.com");
        let image = qr_svg(&uri);
        assert!(image.starts_with("<?xml") || image.starts_with("<svg"));
        assert!(image.contains(&format!("<title>{QR_TITLE}</title>")));
        assert!(image.contains(r#"<svg role="img" xmlns="#));
        assert!(image.trim_end().ends_with("</svg>"));
        assert_eq!(image, qr_svg(&uri));
        assert_ne!(image, qr_svg("something else"));
        // The title is not the text: the text carries the secret.
        assert!(!image.contains("GEZDGNBV"));
    }

    #[test]
    fn qr_svg_escapes_the_title_and_survives_too_much_text() {
        let image = qr_svg_titled("x", "a < b & \"c\"");
        assert!(image.contains("<title>a &lt; b &amp; &quot;c&quot;</title>"));
        let image = qr_svg(&"x".repeat(10_000));
        assert!(image.starts_with("<svg"));
        assert!(image.contains("<title>"));
    }

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

        #[test]
        fn secrets_round_trip_through_base32(
            bytes in proptest::collection::vec(any::<u8>(), MIN_SECRET_LEN..=MAX_SECRET_LEN),
        ) {
            let secret = TotpSecret::from_bytes(&bytes).unwrap();
            let text = secret.to_base32();
            let again = TotpSecret::from_base32(&text.to_lowercase()).unwrap();
            prop_assert_eq!(again.bytes(), &bytes[..]);
        }
    }
}
