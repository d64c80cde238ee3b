//! Base32 (RFC 4648 section 6, the alphabet every authenticator app uses).

use zeroize::Zeroizing;

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Unpadded base32. Written here rather than taken from a crate: it is a few
/// lines, and only TOTP secrets go through it.
pub(super) fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    // Bits not yet emitted sit in the low `bits` bits of `buffer`.
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(
                BASE32_ALPHABET[((buffer >> bits) & 31) as usize],
            ));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        // The last partial group is padded with zero bits on the right.
        out.push(char::from(
            BASE32_ALPHABET[((buffer << (5 - bits)) & 31) as usize],
        ));
    }
    out
}

fn base32_value(c: char) -> Option<u32> {
    match c.to_ascii_uppercase() {
        c @ 'A'..='Z' => Some(c as u32 - 'A' as u32),
        c @ '2'..='7' => Some(c as u32 - '2' as u32 + 26),
        _ => None,
    }
}

/// Decodes base32 into zeroize-on-drop memory, since what goes through here
/// is a secret. See [`TotpSecret::from_base32`] for what is accepted.
pub(super) fn base32_decode(s: &str) -> Option<Zeroizing<Vec<u8>>> {
    let s = s.trim_end_matches(|c: char| c == '=' || c.is_whitespace());
    // Allocated once at its final size: a growing Vec would leave copies of
    // the secret behind in the buffers it gave up.
    let mut out = Zeroizing::new(Vec::with_capacity(s.len() * 5 / 8 + 1));
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for c in s.chars().filter(|c| !c.is_whitespace()) {
        buffer = (buffer << 5) | base32_value(c)?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // Five or more bits left over means a character that encodes no byte
    // (a length of 1, 3 or 6 modulo 8); set bits left over mean a text that
    // our encoder would not have produced.
    if bits >= 5 || buffer != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_rfc4648_vectors() {
        // Section 10, without the padding.
        let vectors: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "MY"),
            (b"fo", "MZXQ"),
            (b"foo", "MZXW6"),
            (b"foob", "MZXW6YQ"),
            (b"fooba", "MZXW6YTB"),
            (b"foobar", "MZXW6YTBOI"),
        ];
        for (bytes, text) in vectors {
            assert_eq!(base32_encode(bytes), text);
            assert_eq!(base32_decode(text).unwrap().as_slice(), bytes);
        }
        // The padded forms decode too.
        assert_eq!(base32_decode("MY======").unwrap().as_slice(), b"f");
        assert_eq!(base32_decode("MZXW6YQ=").unwrap().as_slice(), b"foob");
    }

    #[test]
    fn base32_refuses_what_no_encoder_produces() {
        assert!(base32_decode("M").is_none()); // 1 mod 8: half a byte
        assert!(base32_decode("MZX").is_none()); // 3 mod 8
        assert!(base32_decode("MZXW6Y").is_none()); // 6 mod 8
        assert!(base32_decode("MZ").is_none()); // "MY" with a stray low bit
        assert!(base32_decode("MY0").is_none()); // not in the alphabet
        assert!(base32_decode("M=Y").is_none()); // padding in the middle
    }
}
