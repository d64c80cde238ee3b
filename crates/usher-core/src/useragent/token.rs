//! Reading a header's tokens: the text after a marker, and the version at
//! its start, bounded and made only of ASCII digits and dots.

use super::MAX_OUTPUT;

/// The text right after the first `marker`, if any. Markers are ASCII, so
/// the index is always a char boundary.
pub(super) fn after<'a>(ua: &'a str, marker: &str) -> Option<&'a str> {
    ua.find(marker).map(|i| &ua[i + marker.len()..])
}

pub(super) fn after_any<'a>(ua: &'a str, markers: &[&str]) -> Option<&'a str> {
    markers.iter().find_map(|m| after(ua, m))
}

/// The version at the start of `raw`: ASCII digits and separators up to the
/// first other char, keeping at most `components` non-empty components.
/// Apple writes OS versions with `_`; `underscores` accepts and normalises
/// them. Output is only digits and dots and at most [`MAX_OUTPUT`] chars,
/// whatever `raw` holds.
pub(super) fn version(raw: &str, components: usize, underscores: bool) -> Option<String> {
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
