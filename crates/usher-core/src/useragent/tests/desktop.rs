//! Headers of Windows, macOS, Linux and ChromeOS browsers.

use super::*;

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
