//! What a new password must be, after NIST SP 800-63B and OWASP: long
//! enough, not absurdly long, not a common password, not the user's own
//! address or username. No composition rules (they make passwords harder to
//! remember, not to guess) and no truncation (every character counts).

use super::common;
use crate::error::{ErrorCode, FieldError};
use crate::user::fields::fold_case;
use std::fmt;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

const FIELD: &str = "password";

/// A password in Unicode NFKC, the form that is hashed and compared.
///
/// NFKC (not NFC) so that compatibility variants a keyboard or an input
/// method may produce — full-width Latin, ligatures, composed or decomposed
/// accents — are the same password. The text is wiped from memory when
/// dropped (best effort: normalisation may leave copies in freed buffers).
/// `Debug` never shows it.
pub struct NormalizedPassword {
    nfkc: Zeroizing<String>,
    /// The text as typed, when NFKC changed it: hashes imported from other
    /// systems were made from what the user typed there.
    typed: Option<Zeroizing<String>>,
}

impl NormalizedPassword {
    /// Normalises without checking any policy: for a login, where the
    /// password was checked by the policy in force when it was set.
    pub fn normalize(input: &str) -> Self {
        let nfkc: Zeroizing<String> = Zeroizing::new(input.nfkc().collect());
        let typed = (*nfkc != input).then(|| Zeroizing::new(input.to_owned()));
        Self { nfkc, typed }
    }

    pub fn expose(&self) -> &str {
        &self.nfkc
    }

    /// The password as typed, if that differs from [`Self::expose`]: tried
    /// against a hash made by another system when the normalised form
    /// does not match it.
    pub fn typed(&self) -> Option<&str> {
        self.typed.as_deref().map(String::as_str)
    }

    /// Length in Unicode scalar values, the unit of the policy's limits.
    pub fn char_count(&self) -> usize {
        self.nfkc.chars().count()
    }
}

impl fmt::Debug for NormalizedPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NormalizedPassword(<redacted>)")
    }
}

/// The rules a tenant sets for new passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Fewest characters, counted after normalisation (tenant setting).
    pub min_chars: usize,
    /// Most characters. Only a guard against abuse: NIST asks that at least
    /// 64 be accepted, and argon2 costs the same for any length.
    pub max_chars: usize,
}

impl PasswordPolicy {
    pub const DEFAULT_MIN_CHARS: usize = 8;
    pub const DEFAULT_MAX_CHARS: usize = 256;

    /// Checks a new password of the user with this `email` (and `username`,
    /// if they have one), answering it normalised for hashing.
    pub fn check(
        &self,
        password: &str,
        email: &str,
        username: Option<&str>,
    ) -> Result<NormalizedPassword, FieldError> {
        let pw = NormalizedPassword::normalize(password);
        let len = pw.char_count();
        if len < self.min_chars {
            return Err(FieldError::new(
                FIELD,
                ErrorCode::TooShort,
                format!(
                    "must be at least {} characters; a few unrelated words make a long password that is easy to remember",
                    self.min_chars
                ),
            ));
        }
        if len > self.max_chars {
            return Err(FieldError::new(
                FIELD,
                ErrorCode::TooLong,
                format!("must be at most {} characters", self.max_chars),
            ));
        }

        let folded = Zeroizing::new(fold_case(pw.expose()));
        if common::is_common(&folded) {
            return Err(FieldError::new(
                FIELD,
                ErrorCode::CommonPassword,
                "is one of the most common passwords, which attackers try first; choose one that is less predictable",
            ));
        }

        let email = fold_case(&email.nfkc().collect::<String>());
        let local = email.rsplit_once('@').map_or(email.as_str(), |(l, _)| l);
        if *folded == email || *folded == local {
            return Err(FieldError::new(
                FIELD,
                ErrorCode::SameAsEmail,
                "must not be your email address or the part before the @; choose something others cannot guess",
            ));
        }
        if let Some(name) = username
            && *folded == fold_case(&name.nfkc().collect::<String>())
        {
            return Err(FieldError::new(
                FIELD,
                ErrorCode::SameAsUsername,
                "must not be your username; choose something others cannot guess",
            ));
        }
        Ok(pw)
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: Self::DEFAULT_MIN_CHARS,
            max_chars: Self::DEFAULT_MAX_CHARS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: &str = "Alex.Smith@Example.com";

    fn code(password: &str) -> &'static str {
        PasswordPolicy::default()
            .check(password, EMAIL, Some("msp-alex"))
            .map_or_else(|e| e.code.as_str(), |_| "ok")
    }

    #[test]
    fn passwords_shorter_than_the_minimum_are_refused() {
        assert_eq!(code("Xk9#qL2"), "too_short");
        assert_eq!(code("Xk9#qL2m"), "ok");
        let e = PasswordPolicy::default()
            .check("short", EMAIL, None)
            .unwrap_err();
        assert_eq!(e.field, "password");
        assert!(e.message.contains("at least 8"), "{}", e.message);
    }

    #[test]
    fn the_minimum_is_the_tenants_setting() {
        let strict = PasswordPolicy {
            min_chars: 15,
            ..PasswordPolicy::default()
        };
        let e = strict.check("Xk9#qL2mZ", EMAIL, None).unwrap_err();
        assert_eq!(e.code, "too_short");
        assert!(e.message.contains("15"));
    }

    #[test]
    fn no_composition_rules_apply() {
        assert_eq!(code("lowercase letters only here"), "ok");
        assert_eq!(code("ʻōlelo hawaiʻi kākou"), "ok");
    }

    #[test]
    fn passwords_of_64_and_256_characters_are_accepted_and_257_refused() {
        let base = "tr0ub4dor&3-";
        let of_len = |n: usize| base.chars().cycle().take(n).collect::<String>();
        assert_eq!(code(&of_len(64)), "ok");
        assert_eq!(code(&of_len(256)), "ok");
        assert_eq!(code(&of_len(257)), "too_long");
    }

    #[test]
    fn length_counts_characters_after_normalisation_not_bytes() {
        // Eight two-byte characters are eight characters.
        assert_eq!(code("üöäßüöäß"), "ok");
        // U+FB03 "ﬃ" is "ffi" in NFKC: three characters typed, nine counted.
        assert_eq!(code("\u{fb03}\u{fb03}\u{fb03}"), "ok");
        assert_eq!(code("\u{fb03}\u{fb03}"), "too_short");
    }

    #[test]
    fn common_passwords_are_refused_ignoring_case() {
        assert_eq!(code("password"), "common_password");
        assert_eq!(code("PassWord"), "common_password");
        assert_eq!(code("QWERTYUIOP"), "common_password");
        assert_eq!(code("12345678"), "common_password");
    }

    #[test]
    fn a_full_width_common_password_is_still_common() {
        assert_eq!(code("ｐａｓｓｗｏｒｄ"), "common_password");
    }

    #[test]
    fn the_users_email_or_its_local_part_is_refused() {
        assert_eq!(code("alex.smith@example.com"), "same_as_email");
        assert_eq!(code("ALEX.SMITH"), "same_as_email");
        assert_eq!(code("alex.smith@example.org"), "ok");
    }

    #[test]
    fn the_users_username_is_refused_ignoring_case() {
        assert_eq!(code("MSP-Alex"), "same_as_username");
        let e = PasswordPolicy::default()
            .check("msp-alex", EMAIL, None)
            .map(|_| ());
        assert!(e.is_ok(), "no username, nothing to compare with");
    }

    #[test]
    fn composed_and_decomposed_accents_normalise_to_the_same_password() {
        let composed = NormalizedPassword::normalize("caf\u{e9} au lait");
        let decomposed = NormalizedPassword::normalize("cafe\u{301} au lait");
        assert_eq!(composed.expose(), decomposed.expose());
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let pw = PasswordPolicy::default()
            .check("hunter2-hunter2", EMAIL, None)
            .unwrap();
        assert!(!format!("{pw:?}").contains("hunter2"));
    }
}
