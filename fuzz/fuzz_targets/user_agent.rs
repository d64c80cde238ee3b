//! Any bytes as a User-Agent header: never a panic, and every text field of
//! the description is non-empty, at most 64 chars and free of control
//! characters, since admins see it as it is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use usher_core::useragent::{self, Platform};

fuzz_target!(|data: &[u8]| {
    let ua = String::from_utf8_lossy(data);
    let info = useragent::parse(&ua);
    for field in [
        &info.os,
        &info.os_version,
        &info.browser,
        &info.browser_version,
    ]
    .into_iter()
    .flatten()
    {
        assert!(!field.is_empty());
        assert!(field.chars().count() <= 64, "{field:?}");
        assert!(!field.chars().any(char::is_control), "{field:?}");
    }
    // A platform comes from the OS; no OS means nothing to group by.
    if info.os.is_none() {
        assert_eq!(info.platform, Platform::Other);
        assert!(info.os_version.is_none());
    }
    assert_eq!(Platform::parse(info.platform.as_str()), Some(info.platform));
});
