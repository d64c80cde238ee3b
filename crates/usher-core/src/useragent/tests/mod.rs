//! The parser on real headers of every platform (one module per kind of
//! device), and its bounds on made-up ones.

mod desktop;
mod mobile;

use super::token::version;
use super::*;

fn check(
    ua: &str,
    platform: Platform,
    os: Option<&str>,
    os_version: Option<&str>,
    browser: Option<&str>,
    browser_version: Option<&str>,
) {
    let got = parse(ua);
    let want = ClientInfo {
        platform,
        os: os.map(str::to_owned),
        os_version: os_version.map(str::to_owned),
        browser: browser.map(str::to_owned),
        browser_version: browser_version.map(str::to_owned),
    };
    assert_eq!(got, want, "for {ua:?}");
    assert_invariants(&got);
}

fn assert_invariants(info: &ClientInfo) {
    for field in [
        &info.os,
        &info.os_version,
        &info.browser,
        &info.browser_version,
    ]
    .into_iter()
    .flatten()
    {
        assert!(!field.is_empty(), "{info:?}");
        assert!(field.chars().count() <= MAX_OUTPUT, "{info:?}");
        assert!(!field.chars().any(char::is_control), "{info:?}");
    }
}

const DESKTOP: Platform = Platform::Desktop;
const MOBILE: Platform = Platform::Mobile;
const TABLET: Platform = Platform::Tablet;
const OTHER: Platform = Platform::Other;

#[test]
fn curl_and_unknown_are_other() {
    for ua in [
        "curl/8.5.0",
        "python-requests/2.31.0",
        "Go-http-client/1.1",
        "",
        "   ",
        "Mozilla/5.0",
    ] {
        check(ua, OTHER, None, None, None, None);
    }
}

#[test]
fn browser_versions_keep_major_minor() {
    assert_eq!(
        version("120.0.6099.130 Safari", 2, false).as_deref(),
        Some("120.0")
    );
    assert_eq!(version("121", 2, false).as_deref(), Some("121"));
    assert_eq!(version("17_1", 2, false).as_deref(), Some("17"));
    assert_eq!(
        version("17_1_2)", usize::MAX, true).as_deref(),
        Some("17.1.2")
    );
    assert_eq!(version("1..2", 2, false).as_deref(), Some("1"));
    assert_eq!(version("3.", 2, false).as_deref(), Some("3"));
    assert_eq!(version(".5", 2, false), None);
    assert_eq!(version("x1", 2, false), None);
    assert_eq!(version("", 2, false), None);
    // Only ASCII digits: other Unicode digits end the version.
    assert_eq!(version("1٣", 2, false).as_deref(), Some("1"));
}

#[test]
fn huge_versions_are_cut_to_max_output() {
    let digits = "9".repeat(500);
    let info = parse(&format!("Mozilla/5.0 (Windows NT 10.0) Chrome/{digits}.1"));
    assert_eq!(info.browser_version.as_deref(), Some(&digits[..MAX_OUTPUT]));
    let parts = vec!["12"; 100].join("_");
    let info = parse(&format!("Mozilla/5.0 (Macintosh; Intel Mac OS X {parts})"));
    let v = info.os_version.expect("a version");
    assert!(v.len() <= MAX_OUTPUT && !v.ends_with('.'), "{v}");
    assert_invariants(&parse(&format!("okhttp/{}", "1.".repeat(400))));
}

#[test]
fn only_the_first_kilobyte_is_read() {
    let pad = "x".repeat(MAX_INPUT);
    let info = parse(&format!("{pad} (Windows NT 10.0) Chrome/120.0"));
    assert_eq!(info, parse(""));
    // A multi-byte char straddling the cap is dropped, not split.
    let ua = format!("{}é Firefox/1", "a".repeat(MAX_INPUT - 1));
    assert_eq!(parse(&ua).browser, None);
    let ua = format!("Firefox/1.2{}é", "a".repeat(MAX_INPUT));
    assert_eq!(parse(&ua).browser_version.as_deref(), Some("1.2"));
}

#[test]
fn platform_names_round_trip() {
    for p in Platform::ALL {
        assert_eq!(Platform::parse(p.as_str()), Some(p));
        let json = serde_json::to_string(&p).expect("serializes");
        assert_eq!(json, format!("\"{}\"", p.as_str()));
        assert_eq!(serde_json::from_str::<Platform>(&json).expect("parses"), p);
    }
    assert_eq!(Platform::parse("Desktop"), None);
    assert_eq!(Platform::parse(""), None);
    assert_eq!(Platform::parse("phone"), None);
}

#[test]
fn client_info_serializes_with_snake_case_platform() {
    let json = serde_json::to_value(parse("okhttp/4.12.0")).expect("serializes");
    assert_eq!(
        json,
        serde_json::json!({
            "platform": "other",
            "os": null,
            "os_version": null,
            "browser": "okhttp",
            "browser_version": "4.12",
        })
    );
}

/// xorshift64*: deterministic, so a failure reproduces from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("fits")
    }
}

#[test]
fn garbage_never_panics() {
    // Real markers mixed with noise reach the version and ordering code,
    // which pure random bytes almost never would.
    const PIECES: &[&str] = &[
        "Mozilla/5.0 (",
        "Windows NT ",
        "Macintosh; Intel Mac OS X ",
        "iPhone; CPU iPhone OS ",
        "iPad; CPU OS ",
        "Linux; Android ",
        "X11; CrOS ",
        "Linux",
        "Mobile",
        "Tablet",
        "; wv)",
        "Chrome/",
        "CriOS/",
        "Edg/",
        "Edge/",
        "OPR/",
        "SamsungBrowser/",
        "Firefox/",
        "FxiOS/",
        "Safari/",
        "Version/",
        "Dalvik/",
        "okhttp/",
        "10_15_7",
        "120.0.0.0",
        "..",
        "__",
        "é",
        "😀",
        "\u{0}",
        "\u{1b}[31m",
        "\r\n",
        "\u{202e}",
    ];
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for round in 0..10_000 {
        let mut ua = String::new();
        let len = rng.below(if round % 100 == 0 { 3000 } else { 40 });
        for _ in 0..len {
            match rng.below(4) {
                0 => ua.push_str(PIECES[rng.below(PIECES.len())]),
                1 => ua.push(char::from(
                    b'0' + u8::try_from(rng.below(10)).expect("digit"),
                )),
                2 => ua.push(['.', '_', ' ', ';', '/', '(', ')'][rng.below(7)]),
                _ => {
                    let bytes = rng.next().to_le_bytes();
                    ua.push_str(&String::from_utf8_lossy(&bytes[..rng.below(9)]));
                }
            }
        }
        assert_invariants(&parse(&ua));
    }
}
