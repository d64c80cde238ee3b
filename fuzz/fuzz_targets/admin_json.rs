//! Any bytes as the body of a tenant, settings or attribute definition
//! request: never a panic; accepted settings stay within their ranges.
#![no_main]

use libfuzzer_sys::fuzz_target;
use usher_core::attribute::NewAttributeDefinition;
use usher_core::tenant::{NewTenant, TenantSettings};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(s) = TenantSettings::default().patched(value.clone()) {
        assert!((8..=64).contains(&s.password_min_length));
        assert!((1..=10).contains(&s.min_search_length));
    }
    if let Ok(t) = NewTenant::from_json(value.clone()) {
        assert!(usher_core::tenant::TenantSlug::parse(t.slug.as_str()).is_ok());
    }
    if let Ok(d) = NewAttributeDefinition::from_json(value) {
        assert!((1..=1000).contains(&d.max_length));
    }
});
