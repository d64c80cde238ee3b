//! The validated newtypes that make up a user: email, names, phone,
//! username, language, external id. Each is built by `parse`, which trims its
//! input and answers a [`FieldError`] naming the field; an empty string never
//! reaches these types (the input layer turns it into "unset").

use crate::error::{ErrorCode, FieldError};
use serde::{Serialize, Serializer};
use std::fmt;
use unicode_normalization::UnicodeNormalization;

// The form in which emails, usernames and search terms are compared. SCIM
// filters compare that way too, and its reference evaluator lives in
// usher-scim, so the one definition is there.
pub use usher_scim::fold_case;

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Rejects control characters (newlines, NUL, ESC …) in single-line fields.
fn check_printable(field: &str, value: &str) -> Result<(), FieldError> {
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            ErrorCode::InvalidCharacters,
            "must not contain control characters such as line breaks",
        ));
    }
    Ok(())
}

fn check_max(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if char_len(value) > max {
        return Err(FieldError::new(
            field,
            ErrorCode::TooLong,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// An email address as entered (trimmed, NFC) with its case-folded form.
/// Two addresses are the same login when their folded forms are equal.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    raw: String,
    norm: String,
}

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let raw: String = input.trim().nfc().collect();
        check_max(field, &raw, Self::MAX_LEN)?;
        check_printable(field, &raw)?;
        if !is_valid_address(&raw) {
            return Err(FieldError::new(
                field,
                ErrorCode::InvalidEmail,
                "must be an email address such as alex@example.com",
            ));
        }
        let norm = fold_case(&raw);
        Ok(Self { raw, norm })
    }

    /// Rebuilds an address read back from storage, which was valid when written.
    pub fn from_stored(raw: String) -> Self {
        let norm = fold_case(&raw);
        Self { raw, norm }
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The case-folded form: the unique key and the sort key of the user list.
    pub fn normalized(&self) -> &str {
        &self.norm
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Email").field(&self.raw).finish()
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

/// Syntax check for an address: a dot-atom local part (RFC 5322, with the
/// UTF-8 characters RFC 6531 allows) and a domain of at least two labels.
/// Quoted local parts and address literals are refused: no mailbox an
/// organisation hands out uses them, and they are a favourite of injection.
fn is_valid_address(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || domain.is_empty() || domain.len() > 253 {
        return false;
    }
    let local_ok = local.split('.').all(|atom| {
        !atom.is_empty()
            && atom.chars().all(|c| {
                c.is_alphanumeric()
                    || "!#$%&'*+/=?^_`{|}~-".contains(c)
                    || (!c.is_ascii() && !c.is_whitespace())
            })
    });
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && char_len(l) <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    local_ok && domain_ok
}

macro_rules! string_newtype_common {
    ($t:ident) => {
        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// Rebuilds a value read back from storage, which was valid when written.
            pub fn from_stored(s: String) -> Self {
                Self(s)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

/// A first or last name: trimmed, printable, limited in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);
string_newtype_common!(PersonName);

impl PersonName {
    pub const FIRST_MAX: usize = 50;
    pub const LAST_MAX: usize = 100;
    /// A display name (SCIM `displayName`).
    pub const DISPLAY_MAX: usize = 150;

    pub fn parse(field: &str, input: &str, max: usize) -> Result<Self, FieldError> {
        let v: String = input.trim().nfc().collect();
        check_max(field, &v, max)?;
        check_printable(field, &v)?;
        Ok(Self(v))
    }
}

/// A phone number in E.164: `+`, a country code and the subscriber number,
/// at most 15 digits. Spaces, dots, dashes and brackets typed for
/// readability are removed before the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);
string_newtype_common!(Phone);

impl Phone {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let compact: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let digits = compact.strip_prefix('+').unwrap_or("");
        let ok = (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !ok {
            return Err(FieldError::new(
                field,
                ErrorCode::InvalidPhone,
                "must be in E.164 format: + then country code and number, at most 15 digits (e.g. +4915112345678)",
            ));
        }
        Ok(Self(compact))
    }
}

/// An optional login name, unique per tenant ignoring case (`msp-alex`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);
string_newtype_common!(Username);

impl Username {
    pub const MAX_LEN: usize = 64;

    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let v: String = input.trim().nfc().collect();
        check_max(field, &v, Self::MAX_LEN)?;
        if !v
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+'))
        {
            return Err(FieldError::new(
                field,
                ErrorCode::InvalidUsername,
                "may contain letters, digits and . _ - @ + only",
            ));
        }
        Ok(Self(v))
    }

    pub fn normalized(&self) -> String {
        fold_case(&self.0)
    }
}

/// The id of the user in its source (an Entra object id, an LDAP entryUUID,
/// the HR system's key): opaque, printable, unique per source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalId(String);
string_newtype_common!(ExternalId);

impl ExternalId {
    pub const MAX_LEN: usize = 255;

    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let v = input.trim().to_owned();
        check_max(field, &v, Self::MAX_LEN)?;
        check_printable(field, &v)?;
        Ok(Self(v))
    }
}

/// The language of a user's emails and pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    En,
    De,
    Fr,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::En, Language::De, Language::Fr];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
            Language::Fr => "fr",
        }
    }

    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let v = input.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == v)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    ErrorCode::InvalidLanguage,
                    "must be one of en, de, fr",
                )
            })
    }
}

impl Serialize for Language {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_equal_ignoring_case_with_unicode_folding() {
        let a = Email::parse("email", "  Straße@Example.COM ").unwrap();
        let b = Email::parse("email", "STRASSE@example.com").unwrap();
        assert_eq!(a.normalized(), b.normalized());
        assert_eq!(a.as_str(), "Straße@Example.COM");
        let c = Email::parse("email", "ÉLODIE@exemple.fr").unwrap();
        assert_eq!(c.normalized(), "élodie@exemple.fr");
    }

    #[test]
    fn composed_and_decomposed_accents_are_the_same_address() {
        let composed = Email::parse("email", "\u{e9}lodie@x.fr").unwrap();
        let decomposed = Email::parse("email", "e\u{301}lodie@x.fr").unwrap();
        assert_eq!(composed.normalized(), decomposed.normalized());
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "plain",
            "@x.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a..b@c.com",
            ".a@c.com",
            "a.@c.com",
            "a@-c.com",
            "a@c-.com",
            "a@c..com",
            "a@1.2",
            "\"q\"@c.com",
            "a@c\n.com",
            "a@[127.0.0.1]",
        ] {
            assert!(
                Email::parse("email", bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        let long_local = format!("{}@x.com", "a".repeat(65));
        assert!(Email::parse("email", &long_local).is_err());
        let too_long = format!("a@{}.com", "b".repeat(250));
        assert_eq!(
            Email::parse("email", &too_long).unwrap_err().code,
            "too_long"
        );
    }

    #[test]
    fn ordinary_and_international_addresses_are_accepted() {
        for good in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "o'brien@x.ie",
            "δοκιμή@παράδειγμα.δοκιμή",
            "用户@例子.广告",
        ] {
            assert!(
                Email::parse("email", good).is_ok(),
                "{good:?} should be accepted"
            );
        }
    }

    #[test]
    fn name_limits_count_characters_not_bytes() {
        let fifty_umlauts = "ü".repeat(50);
        assert!(PersonName::parse("first_name", &fifty_umlauts, PersonName::FIRST_MAX).is_ok());
        let e =
            PersonName::parse("first_name", &"ü".repeat(51), PersonName::FIRST_MAX).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.code.as_str()),
            ("first_name", "too_long")
        );
        assert!(PersonName::parse("last_name", &"x".repeat(100), PersonName::LAST_MAX).is_ok());
        assert!(PersonName::parse("last_name", &"x".repeat(101), PersonName::LAST_MAX).is_err());
    }

    #[test]
    fn names_with_line_breaks_or_escapes_are_refused() {
        for bad in ["Al\nice", "Bo\rb", "\u{1b}[31mred", "nul\0"] {
            let e = PersonName::parse("first_name", bad, 50).unwrap_err();
            assert_eq!(e.code, "invalid_characters");
        }
    }

    #[test]
    fn phones_must_be_e164() {
        assert_eq!(
            Phone::parse("phone", "+49 151 1234-5678").unwrap().as_str(),
            "+4915112345678"
        );
        assert!(Phone::parse("phone", "+123456789012345").is_ok());
        for bad in [
            "0151123",
            "+0151123",
            "+1234567890123456",
            "+12a4",
            "+",
            "+1",
            "49151",
        ] {
            assert!(Phone::parse("phone", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn usernames_allow_jit_prefixes_but_no_spaces() {
        assert!(Username::parse("username", "msp-alex").is_ok());
        assert!(Username::parse("username", "alex smith").is_err());
        assert_eq!(
            Username::parse("username", "MSP-Alex")
                .unwrap()
                .normalized(),
            "msp-alex"
        );
    }

    #[test]
    fn languages_are_en_de_fr() {
        assert_eq!(Language::parse("language", "DE").unwrap(), Language::De);
        assert_eq!(
            Language::parse("language", "es").unwrap_err().code,
            "invalid_language"
        );
    }
}
