//! The browser a header names (or, for apps, the HTTP library or runtime),
//! brands built on another browser tried before the browser they build on.

use super::token::{after, version};

/// A browser, or the library an app sends requests with.
#[derive(Debug, Clone)]
pub(super) struct Browser {
    pub(super) name: &'static str,
    pub(super) version: Option<String>,
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

pub(super) fn detect_browser(ua: &str, os: Option<&str>) -> Option<Browser> {
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
