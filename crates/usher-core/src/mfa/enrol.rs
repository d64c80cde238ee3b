//! Enrolment: the otpauth URI that authenticator apps read, and the QR
//! code that carries it.

use super::secret::TotpSecret;
use super::totp::{TOTP_DIGITS, TOTP_STEP_SECS};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Percent-encodes everything but RFC 3986's unreserved characters, byte by
/// byte of the UTF-8. Stricter than the URI syntax needs, which is the
/// point: authenticator apps differ in what they decode, and all of them
/// decode this.
fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// The enrolment URI of the "Key Uri Format" that authenticator apps read
/// from a QR code:
/// `otpauth://totp/{issuer}:{account}?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30`,
/// with `issuer` and `account` percent-encoded. The issuer appears twice
/// because older apps read it only from the label and newer ones prefer the
/// parameter. With an empty issuer the label is the account alone and the
/// parameter is left out, rather than showing an account under a blank name.
///
/// The URI contains the secret: it must not be logged.
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> String {
    let account = percent_encode(account);
    let secret = secret.to_base32();
    let params = format!("algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECS}");
    if issuer.is_empty() {
        format!("otpauth://totp/{account}?secret={secret}&{params}")
    } else {
        let issuer = percent_encode(issuer);
        format!("otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&{params}")
    }
}

/// The accessible name [`qr_svg`] gives its image. Deliberately not the
/// encoded text: that is usually an otpauth URI holding the secret, and a
/// `<title>` is read out by screen readers and shown as a tooltip. (People
/// who cannot scan need the base32 key shown next to the image.)
pub const QR_TITLE: &str = "QR code to scan with an authenticator app";

/// Smallest width and height of the SVG, in user units (pixels unless the
/// page scales it): big enough for a phone camera from a laptop screen.
const QR_MIN_SIZE: u32 = 200;

/// An SVG image of a QR code of `text`, titled [`QR_TITLE`].
///
/// The same text always gives the same image. Text longer than a QR code
/// can hold (about 2,300 bytes at the error correction used here, far more
/// than an otpauth URI needs) gives a blank image whose title says so,
/// rather than a panic in the middle of a request.
pub fn qr_svg(text: &str) -> String {
    qr_svg_titled(text, QR_TITLE)
}

/// [`qr_svg`] with a title of the caller's choosing (a translated one, say).
/// The title is escaped here; it must not contain the secret.
pub fn qr_svg_titled(text: &str, title: &str) -> String {
    // Level M (15% of the code can be damaged) is what QR readers expect of
    // a screen: L saves little space at URI lengths, Q and H make the
    // modules smaller and slower to focus on.
    let Ok(code) = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) else {
        return format!(
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{s}" height="{s}" viewBox="0 0 {s} {s}">"#,
                "<title>QR code unavailable: too much text to encode</title>",
                r##"<rect x="0" y="0" width="{s}" height="{s}" fill="#fff"/></svg>"##,
            ),
            s = QR_MIN_SIZE
        );
    };
    let image = code
        .render::<svg::Color>()
        .min_dimensions(QR_MIN_SIZE, QR_MIN_SIZE)
        .build();
    with_title(image, title)
}

/// Puts a `<title>` first inside the `<svg>` element (where it has to be
/// to name the image) and marks the element as an image, so that screen
/// readers announce it as one when the SVG is inlined in a page.
fn with_title(image: String, title: &str) -> String {
    let Some(open) = image.find("<svg") else {
        return image;
    };
    let Some(close) = image[open..].find('>').map(|i| open + i) else {
        return image;
    };
    let mut out = String::with_capacity(image.len() + title.len() + 32);
    out.push_str(&image[..open + "<svg".len()]);
    out.push_str(r#" role="img""#);
    out.push_str(&image[open + "<svg".len()..=close]);
    out.push_str("<title>");
    out.push_str(&xml_escape(title));
    out.push_str("</title>");
    out.push_str(&image[close + 1..]);
    out
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mfa::rfc_secret;

    #[test]
    fn otpauth_uri_has_every_parameter() {
        let uri = otpauth_uri(&rfc_secret(), "Usher", "ann@example.com");
        assert_eq!(
            uri,
            "otpauth://totp/Usher:ann%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Usher&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn otpauth_uri_escapes_issuer_and_account() {
        let uri = otpauth_uri(&rfc_secret(), "Acme Corp: Zürich", "jo é:x&y=z?");
        assert!(uri.starts_with(
            "otpauth://totp/Acme%20Corp%3A%20Z%C3%BCrich:jo%20%C3%A9%3Ax%26y%3Dz%3F?secret="
        ));
        assert!(uri.contains("&issuer=Acme%20Corp%3A%20Z%C3%BCrich&"));
        // Exactly one literal ':' after the scheme: the label separator.
        assert_eq!(uri["otpauth:".len()..].matches(':').count(), 1);
        assert_eq!(percent_encode("a-b.c_d~e/f"), "a-b.c_d~e%2Ff");
    }

    #[test]
    fn otpauth_uri_without_issuer_has_a_bare_label() {
        let uri = otpauth_uri(&rfc_secret(), "", "ann");
        assert!(uri.starts_with("otpauth://totp/ann?secret="));
        assert!(!uri.contains("issuer="));
    }

    #[test]
    fn qr_svg_is_a_titled_deterministic_svg() {
        let uri = otpauth_uri(&rfc_secret(), "Usher", "ann@example.com");
        let image = qr_svg(&uri);
        assert!(image.starts_with("<?xml") || image.starts_with("<svg"));
        assert!(image.contains(&format!("<title>{QR_TITLE}</title>")));
        assert!(image.contains(r#"<svg role="img" xmlns="#));
        assert!(image.trim_end().ends_with("</svg>"));
        assert_eq!(image, qr_svg(&uri));
        assert_ne!(image, qr_svg("something else"));
        // The title is not the text: the text carries the secret.
        assert!(!image.contains("GEZDGNBV"));
    }

    #[test]
    fn qr_svg_escapes_the_title_and_survives_too_much_text() {
        let image = qr_svg_titled("x", "a < b & \"c\"");
        assert!(image.contains("<title>a &lt; b &amp; &quot;c&quot;</title>"));
        let image = qr_svg(&"x".repeat(10_000));
        assert!(image.starts_with("<svg"));
        assert!(image.contains("<title>"));
    }
}
