//! Property tests: what the parsers accept survives a round trip, and the
//! search index counts like brute force, for generated inputs. (The fuzz
//! targets in `fuzz/` check the same properties on arbitrary bytes.)

use crate::listing::Cursor;
use crate::password::phc;
use crate::search::{SearchPrefix, head_level, head_rows, rows_for_terms};
use crate::user::fields::{Email, Phone};
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

proptest! {
    #[test]
    fn ascii_case_folding_takes_the_fast_path_to_the_same_answer(s in "[ -~]{0,60}") {
        let slow: String = caseless::default_case_fold_str(&s).nfc().collect();
        prop_assert_eq!(crate::user::fields::fold_case(&s), slow);
    }

    #[test]
    fn cursors_round_trip(key in ".{0,80}", after in any::<bool>()) {
        let c = if after { Cursor::After(key) } else { Cursor::Before(key) };
        prop_assert_eq!(Cursor::decode(c.encode().as_deref()).unwrap(), c);
    }

    #[test]
    fn accepted_emails_parse_again_to_the_same_login(local in "[a-zA-Z0-9._%+-]{1,20}", domain in "[a-zA-Z0-9-]{1,15}\\.[a-z]{2,6}") {
        if let Ok(e) = Email::parse("email", &format!("{local}@{domain}")) {
            let again = Email::parse("email", e.as_str()).unwrap();
            prop_assert_eq!(again.normalized(), e.normalized());
            prop_assert_eq!(e.normalized(), e.as_str().to_lowercase());
        }
    }

    #[test]
    fn e164_numbers_are_accepted_with_or_without_separators(cc in 1u32..999, rest in "[0-9]{4,11}") {
        let compact = format!("+{cc}{rest}");
        let spaced = format!("+{cc} {}-{}", &rest[..2], &rest[2..]);
        if compact.len() <= 16 {
            let parsed = Phone::parse("p", &spaced).unwrap();
            prop_assert_eq!(parsed.as_str(), compact.as_str());
        }
    }

    #[test]
    fn phc_strings_round_trip(m in 8u32..5000, t in 1u32..10, salt in proptest::collection::vec(any::<u8>(), 8..32), hash in proptest::collection::vec(any::<u8>(), 16..64)) {
        let params = crate::password::HashParams { m_kib: m, t, p: 1 };
        let s = phc::format(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params, &salt, &hash);
        let p = phc::parse(&s).unwrap();
        prop_assert_eq!((p.params, p.salt, p.hash), (params, salt, hash));
    }

    #[test]
    fn stored_hash_look_alikes_never_panic_and_the_import_check_agrees(
        prefix in prop::sample::select(vec!["$2b$", "$2y$", "bcrypt$", "$pbkdf2-sha256$", "$pbkdf2-sha512$", "pbkdf2_sha256$", "$scrypt$", "$argon2id$v=19$", "argon2$"]),
        rest in "[0-9a-zA-Z$=,./+é]{0,90}",
    ) {
        let s = format!("{prefix}{rest}");
        let parsed = crate::password::parse_stored(&s);
        let importable = parsed
            .as_ref()
            .is_ok_and(|h| crate::password::imported::import_cap(h).is_ok());
        prop_assert_eq!(importable, crate::password::check_importable(&s).is_ok());
    }

    #[test]
    fn the_weighted_index_counts_distinct_users(terms in proptest::collection::btree_set("[a-c]{1,6}", 1..8), prefix in "[a-c]{1,4}") {
        let terms: Vec<String> = terms.into_iter().collect();
        let p = SearchPrefix::parse(&prefix, 1).unwrap();
        let upper = p.upper();
        let in_range = |t: &str| t >= p.lower() && upper.as_deref().is_none_or(|u| t < u);
        let expected = i64::from(terms.iter().any(|t| t.starts_with(p.lower())));
        let rows = rows_for_terms(terms.clone());
        let counted: i64 = rows.iter().filter(|r| in_range(&r.term)).map(|r| i64::from(r.weight)).sum();
        prop_assert_eq!(counted, expected);
        let level = head_level(p.lower().chars().count()).unwrap();
        let heads: i64 = head_rows(&rows).iter().filter(|h| h.level == level && in_range(&h.head)).map(|h| h.weight).sum();
        prop_assert_eq!(heads, expected);
    }
}
