//! Any text as a stored password hash: parsing never panics, and what
//! parses formats back to a string that parses the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use usher_core::password::phc;

fuzz_target!(|s: &str| {
    if let Ok(p) = phc::parse(s) {
        let again = phc::format(p.algorithm, p.version, p.params, &p.salt, &p.hash);
        assert_eq!(phc::parse(&again).expect("re-parses"), p);
        let _ = p.params.validate();
    }
});
