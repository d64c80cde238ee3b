//! Client descriptions parsed from `User-Agent` headers, so that an admin
//! can see a user's sessions grouped by platform ("two desktops, one phone").
//!
//! The parser is hand-written and small on purpose. It answers four
//! questions — what kind of device, which operating system, which browser
//! (or app library), which versions — and nothing more, so a table of a few
//! dozen well-known tokens is enough; a full UA database would be a large
//! dependency that needs constant updates for a display-only feature.
//!
//! How it works:
//!
//! * The header is cut to its first [`MAX_INPUT`] bytes (on a char
//!   boundary). Real UAs are a few hundred bytes; the cap bounds the work an
//!   attacker-chosen header can cause.
//! * The operating system is found first, by looking for marker tokens in an
//!   order where the more specific marker wins: iPad and iPhone UAs say
//!   "like Mac OS X", Android UAs say "Linux", ChromeOS UAs say "X11". The
//!   OS decides the platform; Android phones and tablets are told apart by
//!   the `Mobile` token that Android browsers send only on phones.
//! * The browser is found the same way. Chromium-based browsers (Edge,
//!   Opera, Samsung Internet) also send `Chrome/…` and every WebKit or Blink
//!   browser also sends `Safari/…`, so those brand tokens are looked for
//!   before the generic ones.
//! * Versions are the digits and dots right after a marker. Browser versions
//!   keep major.minor (the rest is build noise); OS versions keep every
//!   component, with Apple's `_` separators turned into dots.
//!
//! Every output is either a fixed name from this file or a version made only
//! of ASCII digits and dots, at most [`MAX_OUTPUT`] chars long, so what is
//! shown to an admin cannot carry control characters or unbounded text from
//! the header.
//!
//! What a UA cannot tell is not guessed: Windows 11 still sends
//! "Windows NT 10.0", iPads in desktop mode send a Mac UA, and browsers with
//! a reduced UA freeze the OS version (Chrome sends "Android 10; K" and
//! "Mac OS X 10_15_7" whatever the real version is). Those are reported as
//! sent.

use serde::{Deserialize, Serialize};

/// How many bytes of a header are looked at.
pub const MAX_INPUT: usize = 1024;

/// The longest any text field of [`ClientInfo`] can be, in chars.
pub const MAX_OUTPUT: usize = 64;

/// The kind of device a session was started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Desktop,
    Mobile,
    Tablet,
    Other,
}

impl Platform {
    /// Every platform, in the order lists group them.
    pub const ALL: [Platform; 4] = [
        Platform::Desktop,
        Platform::Mobile,
        Platform::Tablet,
        Platform::Other,
    ];

    /// The same name serde uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Desktop => "desktop",
            Platform::Mobile => "mobile",
            Platform::Tablet => "tablet",
            Platform::Other => "other",
        }
    }

    /// The inverse of [`Platform::as_str`]; exact match only, so a filter
    /// given in a query accepts exactly what the API returns.
    pub fn parse(s: &str) -> Option<Self> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// What a `User-Agent` header says about the client behind a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientInfo {
    pub platform: Platform,
    /// "Windows", "macOS", "iOS", "iPadOS", "Android", "Linux" or "ChromeOS".
    pub os: Option<String>,
    /// As the header gives it, e.g. "10", "10.15.7", "17.1", "14".
    pub os_version: Option<String>,
    /// A browser name, or for apps the HTTP library or runtime that sent the
    /// request ("okhttp", "Android app").
    pub browser: Option<String>,
    /// At most major.minor, e.g. "120.0".
    pub browser_version: Option<String>,
}

/// Describes the client that sent `user_agent`. Never fails: anything not
/// recognised is left `None`, and a header naming no known OS is
/// [`Platform::Other`].
pub fn parse(user_agent: &str) -> ClientInfo {
    let ua = &user_agent[..user_agent.floor_char_boundary(MAX_INPUT)];
    let os = detect_os(ua);
    let platform = os.map_or(Platform::Other, |os| os.platform);
    let (browser, browser_version) = match detect_browser(ua, os.map(|os| os.name)) {
        Some(b) => (Some(b.name.to_owned()), b.version),
        None => (None, None),
    };
    ClientInfo {
        platform,
        os: os.map(|os| os.name.to_owned()),
        os_version: os.and_then(Os::version),
        browser,
        browser_version,
    }
}

#[derive(Debug, Clone, Copy)]
struct Os<'a> {
    name: &'static str,
    platform: Platform,
    // The text after the version marker, read only once `version_kind`
    // says how, which keeps `detect_os` a plain list of markers.
    raw_version: Option<&'a str>,
    version_kind: OsVersion,
}

#[derive(Debug, Clone, Copy)]
enum OsVersion {
    /// Digits, dots and underscores, all components kept.
    Dotted,
    /// The Windows NT kernel version, shown as the product name.
    WindowsNt,
}

impl Os<'_> {
    // A shorthand so `detect_os` reads as a table.
    fn new(name: &'static str, platform: Platform) -> Self {
        Os {
            name,
            platform,
            raw_version: None,
            version_kind: OsVersion::Dotted,
        }
    }

    fn version(self) -> Option<String> {
        let raw = self.raw_version?;
        match self.version_kind {
            OsVersion::Dotted => version(raw, usize::MAX, true),
            OsVersion::WindowsNt => windows_release(raw).map(str::to_owned),
        }
    }
}

fn detect_os(ua: &str) -> Option<Os<'_>> {
    // iPad before iPhone and both before macOS: iOS UAs say "like Mac OS X".
    if ua.contains("iPad") {
        let raw = after_any(ua, &["CPU OS ", "iPhone OS ", "iPadOS ", "iOS "]);
        return Some(Os {
            raw_version: raw,
            ..Os::new("iPadOS", Platform::Tablet)
        });
    }
    if ua.contains("iPhone") || ua.contains("iPod") {
        let raw = after_any(ua, &["iPhone OS ", "CPU OS ", "iOS "]);
        return Some(Os {
            raw_version: raw,
            ..Os::new("iOS", Platform::Mobile)
        });
    }
    // Before Linux: every Android browser UA also says "Linux".
    if ua.contains("Android") {
        let raw = after_any(ua, &["Android ", "Android/"]);
        return Some(Os {
            raw_version: raw,
            ..Os::new("Android", android_platform(ua))
        });
    }
    // Before Linux: ChromeOS says "X11; CrOS". Its build number is not
    // reported: it is not a release users know, and Chrome freezes it.
    if ua.contains("CrOS") {
        return Some(Os::new("ChromeOS", Platform::Desktop));
    }
    if ua.contains("Windows") {
        return Some(Os {
            raw_version: after(ua, "Windows NT "),
            version_kind: OsVersion::WindowsNt,
            ..Os::new("Windows", Platform::Desktop)
        });
    }
    if ua.contains("Macintosh") || ua.contains("Mac OS X") {
        return Some(Os {
            raw_version: after(ua, "Mac OS X "),
            ..Os::new("macOS", Platform::Desktop)
        });
    }
    if ua.contains("Linux") {
        return Some(Os::new("Linux", Platform::Desktop));
    }
    None
}

/// Android browsers send `Mobile` on phones and leave it out on tablets
/// (Firefox says `Tablet` instead). Apps' own UAs (Dalvik, okhttp with an
/// Android note) have no such hint; phones are the common case there.
fn android_platform(ua: &str) -> Platform {
    if ua.contains("Mobile") {
        Platform::Mobile
    } else if ua.contains("Tablet") || ua.starts_with("Mozilla/") {
        Platform::Tablet
    } else {
        Platform::Mobile
    }
}

/// The product name for a Windows NT version; an unknown one is left out
/// rather than shown as a kernel number users would not recognise.
fn windows_release(raw: &str) -> Option<&'static str> {
    let nt = raw
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?;
    Some(match nt {
        // Windows 11 sends 10.0 too; the UA cannot tell them apart.
        "10.0" => "10",
        "6.3" => "8.1",
        "6.2" => "8",
        "6.1" => "7",
        "6.0" => "Vista",
        "5.1" | "5.2" => "XP",
        _ => return None,
    })
}

#[derive(Debug, Clone)]
struct Browser {
    name: &'static str,
    version: Option<String>,
}

/// Brand tokens in the order they must be tried: a browser built on another
/// also sends the other's token, so the more specific brand comes first.
/// Each entry is (marker, name); the version follows the marker.
const BRANDED: &[(&str, &str)] = &[
    // Chromium-based: these UAs also carry "Chrome/" and "Safari/".
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    // EdgeHTML-era Edge sent "Chrome/" as well.
    ("Edge/", "Edge"),
    ("OPR/", "Opera"),
    ("OPiOS/", "Opera"),
    ("OPT/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    // Firefox for iOS is WebKit and also sends "Safari/".
    ("FxiOS/", "Firefox"),
    ("Firefox/", "Firefox"),
    // Chrome for iOS is WebKit and sends "Safari/" but no "Chrome/".
    ("CriOS/", "Chrome"),
];

fn detect_browser(ua: &str, os: Option<&str>) -> Option<Browser> {
    let found = |name: &'static str, marker: &str| {
        after(ua, marker).map(|raw| Browser {
            name,
            version: version(raw, 2, false),
        })
    };
    for &(marker, name) in BRANDED {
        if let Some(b) = found(name, marker) {
            return Some(b);
        }
    }
    let android = os == Some("Android");
    if ua.contains("Chrome/") {
        // An in-app WebView marks itself "; wv)"; calling it Chrome would
        // tell the admin the user opened a browser they never opened.
        let name = if android && ua.contains("; wv)") {
            "Android WebView"
        } else {
            "Chrome"
        };
        return found(name, "Chrome/");
    }
    if ua.contains("Safari/") {
        // Without "Chrome/", a WebKit UA on Android is the old AOSP
        // browser, which borrowed Safari's tokens. Both give their own
        // version in "Version/"; "Safari/" carries the WebKit build.
        let name = if android { "Android Browser" } else { "Safari" };
        return Some(Browser {
            name,
            version: after(ua, "Version/").and_then(|raw| version(raw, 2, false)),
        });
    }
    // The Android runtime's default UA: the app is unknown, and the VM
    // version in the token says nothing about it.
    if ua.starts_with("Dalvik/") {
        return Some(Browser {
            name: "Android app",
            version: None,
        });
    }
    found("okhttp", "okhttp/")
}

/// The text right after the first `marker`, if any. Markers are ASCII, so
/// the index is always a char boundary.
fn after<'a>(ua: &'a str, marker: &str) -> Option<&'a str> {
    ua.find(marker).map(|i| &ua[i + marker.len()..])
}

fn after_any<'a>(ua: &'a str, markers: &[&str]) -> Option<&'a str> {
    markers.iter().find_map(|m| after(ua, m))
}

/// The version at the start of `raw`: ASCII digits and separators up to the
/// first other char, keeping at most `components` non-empty components.
/// Apple writes OS versions with `_`; `underscores` accepts and normalises
/// them. Output is only digits and dots and at most [`MAX_OUTPUT`] chars,
/// whatever `raw` holds.
fn version(raw: &str, components: usize, underscores: bool) -> Option<String> {
    let token = raw
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || (underscores && c == '_')))
        .next()
        .unwrap_or("");
    let mut out = String::new();
    for (i, part) in token.split(['.', '_']).enumerate() {
        // "1..2" or a trailing dot ends the version rather than producing
        // an empty component.
        if i == components || part.is_empty() {
            break;
        }
        let separator = usize::from(i > 0);
        if out.len() + separator + part.len() > MAX_OUTPUT {
            // Cut inside the first component only when it alone is too
            // long; otherwise drop the whole component that does not fit.
            if i == 0 {
                out.push_str(&part[..MAX_OUTPUT]);
            }
            break;
        }
        if i > 0 {
            out.push('.');
        }
        out.push_str(part);
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
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
    fn chrome_on_windows_10() {
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/120.0.6099.130 Safari/537.36",
            DESKTOP,
            Some("Windows"),
            Some("10"),
            Some("Chrome"),
            Some("120.0"),
        );
    }

    #[test]
    fn older_windows_releases_are_named() {
        check(
            "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:52.0) Gecko/20100101 Firefox/52.0",
            DESKTOP,
            Some("Windows"),
            Some("7"),
            Some("Firefox"),
            Some("52.0"),
        );
        check(
            "Mozilla/5.0 (Windows NT 6.3; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/109.0.0.0 Safari/537.36",
            DESKTOP,
            Some("Windows"),
            Some("8.1"),
            Some("Chrome"),
            Some("109.0"),
        );
        // An unknown kernel version is left out, not shown raw.
        check(
            "Mozilla/5.0 (Windows NT 11.0; Win64; x64) Gecko/20100101 Firefox/121.0",
            DESKTOP,
            Some("Windows"),
            None,
            Some("Firefox"),
            Some("121.0"),
        );
    }

    #[test]
    fn edge_on_windows() {
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
            DESKTOP,
            Some("Windows"),
            Some("10"),
            Some("Edge"),
            Some("120.0"),
        );
    }

    #[test]
    fn legacy_edge_on_windows() {
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045",
            DESKTOP,
            Some("Windows"),
            Some("10"),
            Some("Edge"),
            Some("18.19045"),
        );
    }

    #[test]
    fn opera_on_windows() {
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0",
            DESKTOP,
            Some("Windows"),
            Some("10"),
            Some("Opera"),
            Some("105.0"),
        );
    }

    #[test]
    fn chrome_on_macos() {
        check(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
             (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            DESKTOP,
            Some("macOS"),
            Some("10.15.7"),
            Some("Chrome"),
            Some("120.0"),
        );
    }

    #[test]
    fn safari_on_macos() {
        check(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) Version/17.2.1 Safari/605.1.15",
            DESKTOP,
            Some("macOS"),
            Some("10.15.7"),
            Some("Safari"),
            Some("17.2"),
        );
    }

    #[test]
    fn firefox_on_macos_uses_dots() {
        check(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0",
            DESKTOP,
            Some("macOS"),
            Some("14.2"),
            Some("Firefox"),
            Some("121.0"),
        );
    }

    #[test]
    fn firefox_on_linux() {
        check(
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            DESKTOP,
            Some("Linux"),
            None,
            Some("Firefox"),
            Some("121.0"),
        );
        check(
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
            DESKTOP,
            Some("Linux"),
            None,
            Some("Firefox"),
            Some("115.0"),
        );
    }

    #[test]
    fn chrome_on_chromeos() {
        check(
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/120.0.0.0 Safari/537.36",
            DESKTOP,
            Some("ChromeOS"),
            None,
            Some("Chrome"),
            Some("120.0"),
        );
    }

    #[test]
    fn safari_on_iphone() {
        check(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            MOBILE,
            Some("iOS"),
            Some("17.1"),
            Some("Safari"),
            Some("17.1"),
        );
    }

    #[test]
    fn chrome_and_firefox_on_iphone() {
        check(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
            MOBILE,
            Some("iOS"),
            Some("17.1.2"),
            Some("Chrome"),
            Some("120.0"),
        );
        check(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15",
            MOBILE,
            Some("iOS"),
            Some("17.1"),
            Some("Firefox"),
            Some("121.0"),
        );
    }

    #[test]
    fn in_app_webview_on_iphone_has_no_browser() {
        check(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) Mobile/15E148",
            MOBILE,
            Some("iOS"),
            Some("16.6"),
            None,
            None,
        );
    }

    #[test]
    fn safari_on_ipad() {
        check(
            "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            TABLET,
            Some("iPadOS"),
            Some("17.1"),
            Some("Safari"),
            Some("17.1"),
        );
    }

    #[test]
    fn chrome_on_android_phone() {
        check(
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/120.0.6099.144 Mobile Safari/537.36",
            MOBILE,
            Some("Android"),
            Some("14"),
            Some("Chrome"),
            Some("120.0"),
        );
    }

    #[test]
    fn chrome_on_android_tablet() {
        check(
            "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/120.0.6099.144 Safari/537.36",
            TABLET,
            Some("Android"),
            Some("13"),
            Some("Chrome"),
            Some("120.0"),
        );
    }

    #[test]
    fn firefox_on_android_says_mobile_or_tablet() {
        check(
            "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
            MOBILE,
            Some("Android"),
            Some("14"),
            Some("Firefox"),
            Some("121.0"),
        );
        check(
            "Mozilla/5.0 (Android 14; Tablet; rv:121.0) Gecko/121.0 Firefox/121.0",
            TABLET,
            Some("Android"),
            Some("14"),
            Some("Firefox"),
            Some("121.0"),
        );
    }

    #[test]
    fn samsung_internet() {
        check(
            "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 \
             (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
            MOBILE,
            Some("Android"),
            Some("13"),
            Some("Samsung Internet"),
            Some("23.0"),
        );
    }

    #[test]
    fn android_webview_is_not_chrome() {
        check(
            "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) \
             AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.43 \
             Mobile Safari/537.36",
            MOBILE,
            Some("Android"),
            Some("13"),
            Some("Android WebView"),
            Some("120.0"),
        );
    }

    #[test]
    fn old_android_browser_is_not_safari() {
        check(
            "Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) \
             AppleWebkit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
            MOBILE,
            Some("Android"),
            Some("4.0.3"),
            Some("Android Browser"),
            Some("4.0"),
        );
    }

    #[test]
    fn okhttp_without_os_is_other() {
        check(
            "okhttp/4.12.0",
            OTHER,
            None,
            None,
            Some("okhttp"),
            Some("4.12"),
        );
    }

    #[test]
    fn okhttp_naming_android_is_mobile() {
        check(
            "MyBank/5.3.1 (Android 14; Pixel 8) okhttp/4.12.0",
            MOBILE,
            Some("Android"),
            Some("14"),
            Some("okhttp"),
            Some("4.12"),
        );
    }

    #[test]
    fn dalvik_app() {
        check(
            "Dalvik/2.1.0 (Linux; U; Android 13; SM-G991B Build/TP1A.220624.014)",
            MOBILE,
            Some("Android"),
            Some("13"),
            Some("Android app"),
            None,
        );
    }

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
}
