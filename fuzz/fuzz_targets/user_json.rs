//! Any bytes as the body of a user create or edit: never a panic, and
//! what is accepted satisfies the rules it was checked against.
#![no_main]

use libfuzzer_sys::fuzz_target;
use usher_core::attribute::{AttributeDefinition, AttributeName, AttributeSet};
use usher_core::user::{NewUser, UserPatch};

fn attributes() -> AttributeSet {
    let def = |name: &str, max: u16, regex: Option<&str>| AttributeDefinition {
        name: AttributeName::from_stored(name.to_owned()),
        label: name.to_owned(),
        max_length: max,
        regex: regex.map(str::to_owned),
        created_at: time::OffsetDateTime::UNIX_EPOCH,
    };
    AttributeSet::new(vec![def("dept", 20, None), def("cost_center", 8, Some("CC[0-9]+"))])
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let attrs = attributes();
    if let Ok(u) = NewUser::from_json(value.clone(), &attrs) {
        assert!(u.email.as_str().chars().count() <= 254);
        assert!(!(u.activate && u.send_invitation));
        assert!(u.first_name.as_ref().is_none_or(|n| n.as_str().chars().count() <= 50));
        assert!(u.last_name.as_ref().is_none_or(|n| n.as_str().chars().count() <= 100));
        for (k, v) in &u.attributes {
            let (name, value) = attrs.check("f", k, v).expect("an accepted value passes its check again");
            assert_eq!((&name, &value), (k, v));
        }
    }
    let _ = UserPatch::from_json(value, &attrs);
});
