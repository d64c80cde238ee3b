//! The list of the most common passwords, which attackers try first and a
//! new password must not be (NIST SP 800-63B, "commonly-used, expected or
//! compromised values"). The list ships in the binary: a lookup never
//! depends on a file or a network service being there.

use std::sync::LazyLock;

/// One password per line, lower-case, most common first; `#` lines name the
/// source and its license.
const LIST: &str = include_str!("../../data/common-passwords.txt");

/// The list sorted for binary search. Slices of the embedded text, so the
/// only allocation is the index itself.
static SORTED: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut v: Vec<&'static str> = LIST
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
});

/// True if `folded` — a password in NFKC and case-folded — is on the list.
pub(super) fn is_common(folded: &str) -> bool {
    SORTED.binary_search(&folded).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::fields::fold_case;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn the_list_holds_at_least_ten_thousand_passwords() {
        assert!(SORTED.len() >= 10_000, "only {} entries", SORTED.len());
    }

    #[test]
    fn the_usual_suspects_are_on_the_list() {
        for pw in ["password", "123456", "qwerty", "letmein", "iloveyou"] {
            assert!(is_common(pw), "{pw}");
        }
        assert!(!is_common("correct horse battery staple"));
    }

    #[test]
    fn every_entry_is_already_in_the_form_it_is_compared_in() {
        // A lookup folds the password; an entry that folding would change
        // could never match.
        for entry in SORTED.iter() {
            let nfkc: String = entry.nfkc().collect();
            assert_eq!(&fold_case(&nfkc), entry);
        }
    }
}
