//! Session locations from MaxMind DB files written by the test writer
//! (`usher_testkit::mmdb`): what `usher_core::geoip` reads from City and
//! Country records over IPv4 and IPv6, in every record size, and that no
//! file or record, however broken, makes a lookup panic.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is a failure with its location

use proptest::prelude::*;
use std::net::IpAddr;
use usher_core::geoip::{GeoIp, GeoIpError};
use usher_testkit::mmdb::{MmdbWriter, Value, city_record, country_record};

/// Two City and two Country networks, IPv4 and IPv6.
fn fixture(record_size: u16) -> Vec<u8> {
    let mut w = MmdbWriter::new("GeoLite2-City").record_size(record_size);
    w.insert(
        "81.2.69.0/24",
        city_record("London", "United Kingdom", "GB"),
    )
    .insert("89.160.0.0/16", country_record("Sweden", "SE"))
    .insert(
        "2a02:c7f:8000::/33",
        city_record("Zürich", "Switzerland", "CH"),
    )
    .insert("2a01:4f8::/32", country_record("Germany", "DE"));
    w.build()
}

fn locate(db: &GeoIp, ip: &str) -> Option<String> {
    db.locate(ip.parse::<IpAddr>().unwrap())
}

#[test]
fn city_records_read_as_city_and_country_and_country_records_as_the_country() {
    for size in [24, 28, 32] {
        let db = GeoIp::from_bytes(fixture(size)).unwrap();
        assert_eq!(
            locate(&db, "81.2.69.160").as_deref(),
            Some("London, United Kingdom"),
            "{size}-bit records"
        );
        assert_eq!(
            locate(&db, "81.2.69.0").as_deref(),
            Some("London, United Kingdom")
        );
        assert_eq!(
            locate(&db, "81.2.69.255").as_deref(),
            Some("London, United Kingdom")
        );
        assert_eq!(locate(&db, "89.160.20.128").as_deref(), Some("Sweden"));
        assert_eq!(
            locate(&db, "2a02:c7f:8000::1").as_deref(),
            Some("Zürich, Switzerland")
        );
        assert_eq!(locate(&db, "2a01:4f8:1:2::3").as_deref(), Some("Germany"));
    }
}

#[test]
fn addresses_the_database_does_not_know_have_no_location() {
    let db = GeoIp::from_bytes(fixture(28)).unwrap();
    for ip in [
        "81.2.70.1",
        "81.2.68.255",
        "8.8.8.8",
        "10.0.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "::1",
        "::",
        "2a02:c7f::1",
        "2001:db8::1",
        "fe80::1",
    ] {
        assert_eq!(locate(&db, ip), None, "{ip}");
    }
}

#[test]
fn an_ipv4_client_seen_as_an_ipv4_mapped_ipv6_address_is_located() {
    let db = GeoIp::from_bytes(fixture(28)).unwrap();
    assert_eq!(
        locate(&db, "::ffff:81.2.69.160").as_deref(),
        Some("London, United Kingdom")
    );
}

#[test]
fn an_ipv4_only_database_locates_ipv4_and_answers_none_for_ipv6() {
    let mut w = MmdbWriter::new("GeoLite2-Country")
        .ipv4_only()
        .record_size(24);
    w.insert("89.160.0.0/16", country_record("Sweden", "SE"));
    let db = GeoIp::from_bytes(w.build()).unwrap();
    assert_eq!(locate(&db, "89.160.1.1").as_deref(), Some("Sweden"));
    assert_eq!(locate(&db, "89.161.1.1"), None);
    assert_eq!(locate(&db, "2a01:4f8::1"), None);
}

#[test]
fn a_smaller_network_inside_a_larger_one_wins_for_its_addresses() {
    let mut w = MmdbWriter::new("GeoIP2-City");
    w.insert("81.0.0.0/8", country_record("Somewhere", "XX"))
        .insert(
            "81.2.69.0/24",
            city_record("London", "United Kingdom", "GB"),
        );
    let db = GeoIp::from_bytes(w.build()).unwrap();
    assert_eq!(
        locate(&db, "81.2.69.1").as_deref(),
        Some("London, United Kingdom")
    );
    assert_eq!(locate(&db, "81.2.70.1").as_deref(), Some("Somewhere"));
    assert_eq!(locate(&db, "81.255.0.1").as_deref(), Some("Somewhere"));
}

#[test]
fn records_without_english_names_or_with_mistyped_names_give_what_is_readable() {
    let mut w = MmdbWriter::new("GeoIP2-City");
    let names = |en: Value| Value::map([("names", Value::map([("en", en)]))]);
    w.insert(
        "1.0.0.0/24",
        Value::map([("note", Value::str("no places"))]),
    )
    // A number where the city name should be: the country still reads.
    .insert(
        "1.0.1.0/24",
        Value::map([
            ("city", names(Value::U32(7))),
            ("country", names(Value::str("Japan"))),
        ]),
    )
    // `names` an array, `country` a string: nothing reads.
    .insert(
        "1.0.2.0/24",
        Value::map([
            ("city", Value::map([("names", Value::Array(vec![]))])),
            ("country", Value::str("Japan")),
        ]),
    )
    .insert("1.0.3.0/24", names(Value::str("")))
    .insert("1.0.4.0/24", Value::str("a string, not a map"))
    .insert(
        "1.0.5.0/24",
        Value::map([("city", names(Value::str("Nara\u{7}\n")))]),
    );
    let db = GeoIp::from_bytes(w.build()).unwrap();
    assert_eq!(locate(&db, "1.0.0.1"), None);
    assert_eq!(locate(&db, "1.0.1.1").as_deref(), Some("Japan"));
    assert_eq!(locate(&db, "1.0.2.1"), None);
    assert_eq!(locate(&db, "1.0.3.1"), None);
    assert_eq!(locate(&db, "1.0.4.1"), None);
    assert_eq!(locate(&db, "1.0.5.1").as_deref(), Some("Nara"));
}

#[test]
fn long_strings_and_far_pointers_read_back() {
    // Strings past every size class, and repeated strings whose first copy
    // lies beyond 2 KiB and 512 KiB, so all three short pointer forms occur.
    let mut w = MmdbWriter::new("GeoIP2-City");
    w.insert(
        "1.1.0.0/24",
        Value::map([("pad", Value::Str("a".repeat(3_000)))]),
    )
    .insert("1.1.1.0/24", city_record("London", "United Kingdom", "GB"))
    .insert(
        "1.1.2.0/24",
        Value::map([("pad", Value::Str("b".repeat(600_000)))]),
    )
    .insert("1.1.3.0/24", city_record("Zürich", "Switzerland", "CH"))
    .insert("1.1.4.0/24", city_record("Zürich", "Switzerland", "CH"))
    .insert("1.1.5.0/24", city_record(&"c".repeat(300), "Nowhere", "XX"));
    let bytes = w.build();
    maxminddb::Reader::from_source(bytes.clone())
        .unwrap()
        .verify()
        .unwrap();
    let db = GeoIp::from_bytes(bytes).unwrap();
    assert_eq!(
        locate(&db, "1.1.1.1").as_deref(),
        Some("London, United Kingdom")
    );
    assert_eq!(
        locate(&db, "1.1.3.1").as_deref(),
        Some("Zürich, Switzerland")
    );
    assert_eq!(
        locate(&db, "1.1.4.1").as_deref(),
        Some("Zürich, Switzerland")
    );
    // Names are cut to 200 characters.
    assert_eq!(
        locate(&db, "1.1.5.1"),
        Some(format!("{}, Nowhere", "c".repeat(200)))
    );
    assert_eq!(locate(&db, "1.1.0.1"), None);
}

#[test]
fn records_past_24_bits_read_back_in_28_and_32_bit_trees() {
    // A data section over 16 MiB: the records after it need the 28-bit
    // layout's shared middle byte (or 32 bits).
    for size in [28, 32] {
        let mut w = MmdbWriter::new("GeoIP2-City").record_size(size);
        w.insert(
            "1.1.0.0/24",
            Value::map([("pad", Value::Str("a".repeat(17 << 20)))]),
        )
        .insert("1.1.1.0/24", city_record("London", "United Kingdom", "GB"))
        .insert("2a02:c7f:8000::/33", country_record("Sweden", "SE"));
        let db = GeoIp::from_bytes(w.build()).unwrap();
        assert_eq!(
            locate(&db, "1.1.1.1").as_deref(),
            Some("London, United Kingdom"),
            "{size}-bit records"
        );
        assert_eq!(locate(&db, "2a02:c7f:8000::9").as_deref(), Some("Sweden"));
        assert_eq!(locate(&db, "1.1.2.1"), None);
    }
}

#[test]
fn the_written_files_pass_the_reference_reader_s_verification() {
    for size in [24, 28, 32] {
        let reader = maxminddb::Reader::from_source(fixture(size)).unwrap();
        reader.verify().unwrap();
        assert_eq!(reader.metadata().record_size, size);
        assert_eq!(reader.metadata().database_type, "GeoLite2-City");
    }
}

#[test]
fn a_file_is_opened_from_disk_and_garbage_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("city.mmdb");
    std::fs::write(&good, fixture(28)).unwrap();
    let db = GeoIp::open(&good).unwrap();
    assert!(db.has_known_layout());
    assert_eq!(db.database_type(), "GeoLite2-City");

    let text = dir.path().join("notes.mmdb");
    std::fs::write(&text, "not a database").unwrap();
    assert!(matches!(GeoIp::open(&text), Err(GeoIpError::Invalid(_))));

    // The marker and metadata but a tree that runs past the data section.
    let mut truncated = fixture(28);
    let marker = truncated
        .windows(14)
        .position(|w| w == b"\xAB\xCD\xEFMaxMind.com")
        .unwrap();
    truncated.drain(..marker);
    assert!(matches!(
        GeoIp::from_bytes(truncated),
        Err(GeoIpError::Invalid(_))
    ));

    let missing = dir.path().join("missing.mmdb");
    assert!(matches!(GeoIp::open(&missing), Err(GeoIpError::Read(_))));
}

#[test]
fn a_database_of_another_kind_opens_but_is_flagged() {
    let mut w = MmdbWriter::new("GeoLite2-ASN");
    w.insert(
        "1.2.3.0/24",
        Value::map([("autonomous_system_number", Value::U32(64_500))]),
    );
    let db = GeoIp::from_bytes(w.build()).unwrap();
    assert!(!db.has_known_layout());
    assert_eq!(locate(&db, "1.2.3.4"), None);
}

/// Addresses that walk every part of the fixture's tree.
const PROBES: [&str; 8] = [
    "81.2.69.160",
    "89.160.20.128",
    "2a02:c7f:8000::1",
    "2a01:4f8::1",
    "8.8.8.8",
    "::1",
    "::ffff:81.2.69.1",
    "ffff:ffff::",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Damage anywhere (tree, data, metadata) is refused at open or read
    /// as some location or none: never a panic.
    #[test]
    fn damaged_files_never_make_a_lookup_panic(
        size in prop::sample::select(vec![24u16, 28, 32]),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = fixture(size);
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        if let Ok(db) = GeoIp::from_bytes(bytes) {
            for ip in PROBES {
                if let Some(l) = locate(&db, ip) {
                    prop_assert!(l.chars().count() <= 2 * 200 + 2);
                    prop_assert!(!l.chars().any(char::is_control));
                }
            }
        }
    }

    /// Damage confined to the data section, where the reader cannot notice
    /// it at open: the file still opens and no lookup panics.
    #[test]
    fn damaged_records_read_as_some_location_or_none(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
    ) {
        let mut bytes = fixture(28);
        let marker = bytes
            .windows(14)
            .position(|w| w == b"\xAB\xCD\xEFMaxMind.com")
            .unwrap();
        let reader = maxminddb::Reader::from_source(fixture(28)).unwrap();
        let data_start = reader.metadata().node_count as usize * 7 + 16;
        for (at, byte) in edits {
            let i = data_start + at.index(marker - data_start);
            bytes[i] = byte;
        }
        let db = GeoIp::from_bytes(bytes).unwrap();
        for ip in PROBES {
            let _ = locate(&db, ip);
        }
    }
}
