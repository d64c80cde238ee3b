//! Any text typed into a second-factor field or pasted as a TOTP secret:
//! never a panic; what parses as base32 encodes back to the same secret;
//! an input is a recovery code exactly when it hashes as one; a TOTP check
//! answers only a step inside the ±1 window.
#![no_main]

use libfuzzer_sys::fuzz_target;
use usher_core::mfa;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(secret) = mfa::TotpSecret::from_base32(&text) {
        let again = mfa::TotpSecret::from_base32(&secret.to_base32()).expect("re-parses");
        assert_eq!(again.bytes(), secret.bytes());
    }
    assert_eq!(
        mfa::looks_like_recovery_code(&text),
        mfa::recovery_code_hash(&text).is_some()
    );
    let secret = mfa::TotpSecret::from_base32("JBSWY3DPEHPK3PXP").expect("valid");
    let now = 1_700_000_000;
    if let Some(step) = mfa::verify_totp(&secret, &text, now, None) {
        assert!((step - mfa::totp_step(now)).abs() <= 1);
    }
});
