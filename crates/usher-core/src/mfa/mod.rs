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

mod base32;
mod enrol;
mod recovery;
mod secret;
mod totp;

pub use enrol::{QR_TITLE, otpauth_uri, qr_svg, qr_svg_titled};
pub use recovery::{
    RECOVERY_CODE_COUNT, generate_recovery_codes, looks_like_recovery_code,
    recovery_code_canonical, recovery_code_hash,
};
pub use secret::TotpSecret;
pub use totp::{TOTP_DIGITS, TOTP_STEP_SECS, totp_code, totp_step, verify_totp};

/// The key of RFC 6238 appendix B (and RFC 4226 appendix D) for SHA-1.
#[cfg(test)]
fn rfc_secret() -> TotpSecret {
    TotpSecret::from_bytes(b"12345678901234567890").unwrap()
}
