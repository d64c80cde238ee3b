//! Any text as a SCIM filter and as a PATCH path: never a panic; an error
//! points inside the input; what parses prints as text that parses back to
//! the same tree; evaluating a parsed filter never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use usher_scim::{AttrPath, Filter, MAX_INPUT_BYTES, PatchPath, matches};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let end = text.chars().count() + 1;
    match Filter::parse(&text) {
        Ok(filter) => {
            let resource = serde_json::json!({
                "userName": "bjensen", "title": "", "active": true, "loginCount": 3,
                "name": { "givenName": "Barbara" },
                "emails": [{ "type": "work", "value": "a@example.com" }, { "type": "home" }],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "manager": { "value": "m" } }
            });
            let _ = matches(&filter, &resource, &|p: &AttrPath| p.sub_attr.is_some());
            let printed = filter.to_string();
            // Printing may add a few bytes (quotes, spaces): a filter just
            // under the input bound can print past it, and is then refused
            // as too long, rightly.
            if printed.len() <= MAX_INPUT_BYTES {
                assert_eq!(Filter::parse(&printed), Ok(filter), "printed as {printed}");
            }
        }
        Err(e) => assert!((1..=end).contains(&e.position()), "{e} outside 1..={end}"),
    }
    match PatchPath::parse(&text) {
        Ok(path) => {
            let printed = path.to_string();
            if printed.len() <= MAX_INPUT_BYTES {
                assert_eq!(PatchPath::parse(&printed), Ok(path), "printed as {printed}");
            }
        }
        Err(e) => assert!((1..=end).contains(&e.position()), "{e} outside 1..={end}"),
    }
});
