//! Headers of iPhone, iPad and Android browsers, and of apps.

use super::*;
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
