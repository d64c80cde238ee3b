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

mod browser;
mod os;
#[cfg(test)]
mod tests;
mod token;

use browser::detect_browser;
use os::{Os, detect_os};
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
