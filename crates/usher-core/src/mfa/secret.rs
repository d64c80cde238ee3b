//! The TOTP secret: generated, read from and shown as base32, bounded in
//! length, wiped from memory when dropped and never shown by `Debug`.

use super::base32::{base32_decode, base32_encode};
use std::fmt;
use zeroize::Zeroizing;

/// Length of a generated TOTP secret: 160 bits, the size RFC 4226 recommends
/// and the HMAC-SHA1 output size.
const GENERATED_SECRET_LEN: usize = 20;
/// Shortest secret accepted: RFC 4226 requires at least 128 bits, 80 is what
/// some older providers issued; below that a secret is not worth keeping.
pub(super) const MIN_SECRET_LEN: usize = 10;
/// Longest secret accepted: HMAC-SHA1's block size. Longer keys are hashed
/// down by HMAC anyway, so they add nothing but a bigger QR code.
pub(super) const MAX_SECRET_LEN: usize = 64;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mfa::rfc_secret;
    use proptest::prelude::*;

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

    proptest! {
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
