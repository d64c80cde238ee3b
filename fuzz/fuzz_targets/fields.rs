//! Field validators on any text: never a panic, and parsing what a
//! validator produced gives it back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use usher_core::search::SearchPrefix;
use usher_core::user::fields::{Email, Language, PersonName, Phone, Username};

fuzz_target!(|s: &str| {
    if let Ok(e) = Email::parse("email", s) {
        let again = Email::parse("email", e.as_str()).expect("a parsed email parses again");
        assert_eq!(again.normalized(), e.normalized());
    }
    if let Ok(p) = Phone::parse("phone", s) {
        assert_eq!(Phone::parse("phone", p.as_str()).expect("idempotent"), p);
        assert!(p.as_str().len() <= 16);
    }
    if let Ok(u) = Username::parse("username", s) {
        assert_eq!(Username::parse("username", u.as_str()).expect("idempotent"), u);
    }
    if let Ok(n) = PersonName::parse("first_name", s, 50) {
        assert_eq!(PersonName::parse("first_name", n.as_str(), 50).expect("idempotent"), n);
    }
    let _ = Language::parse("language", s);
    if let Ok(p) = SearchPrefix::parse(s, 1) {
        if let Some(upper) = p.upper() {
            assert!(upper.as_str() > p.lower());
        }
    }
});
