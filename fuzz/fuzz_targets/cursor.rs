//! Any text as a pagination cursor: never a panic, and an accepted cursor
//! survives its own encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use usher_core::listing::Cursor;

fuzz_target!(|s: &str| {
    if let Ok(c) = Cursor::decode(Some(s)) {
        let encoded = c.encode();
        assert_eq!(Cursor::decode(encoded.as_deref()).expect("re-decodes"), c);
    }
});
