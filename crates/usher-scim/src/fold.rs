//! The one caseless form of text: how SCIM compares strings that are not
//! `caseExact`, and the form in which the service stores what it compares
//! that way (emails, usernames, search terms). One function for both, so
//! that a filter lowered to a comparison of stored folded columns selects
//! what the evaluator does.

use unicode_normalization::UnicodeNormalization;

/// Unicode default case folding of NFC-normalised text.
pub fn fold_case(s: &str) -> String {
    // ASCII is already in NFC and folds to its lower case; most emails,
    // names and search terms take this path.
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let nfc: String = s.nfc().collect();
    caseless::default_case_fold_str(&nfc).nfc().collect()
}
