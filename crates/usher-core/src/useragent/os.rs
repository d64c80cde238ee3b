//! The operating system a header names, found by marker tokens in an
//! order where the more specific marker wins, and the platform it implies.

use super::Platform;
use super::token::{after, after_any, version};

/// An operating system found in a header, its version not read yet.
#[derive(Debug, Clone, Copy)]
pub(super) struct Os<'a> {
    pub(super) name: &'static str,
    pub(super) platform: Platform,
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

    pub(super) fn version(self) -> Option<String> {
        let raw = self.raw_version?;
        match self.version_kind {
            OsVersion::Dotted => version(raw, usize::MAX, true),
            OsVersion::WindowsNt => windows_release(raw).map(str::to_owned),
        }
    }
}

pub(super) fn detect_os(ua: &str) -> Option<Os<'_>> {
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
