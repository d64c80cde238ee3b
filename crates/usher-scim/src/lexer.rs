//! Splits filter and path text into tokens: brackets, parentheses, JSON
//! strings (decoded here) and words. A word is any run of other
//! non-whitespace characters; whether it is an attribute path, an operator,
//! a keyword or a number is for the parser to decide from its place.

use super::ast::CompValue;
use super::error::{ParseError, ParseErrorKind};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind<'s> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// A JSON string, already unescaped.
    Str(String),
    Word(&'s str),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token<'s> {
    pub kind: TokenKind<'s>,
    /// Byte offset of the token's first character.
    pub start: usize,
}

/// The 1-based character position of byte offset `at` of `src`.
pub(crate) fn char_position(src: &str, at: usize) -> usize {
    let at = at.min(src.len());
    src.char_indices().take_while(|(i, _)| *i < at).count() + 1
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}')
}

fn ends_word(c: char) -> bool {
    is_space(c) || matches!(c, '(' | ')' | '[' | ']' | '"')
}

/// The tokens of `src`. Errors inside `[...]` are `invalidFilter`; outside
/// they are `outer` (the filter's or the path's kind).
pub(crate) fn tokenize(src: &str, outer: ParseErrorKind) -> Result<Vec<Token<'_>>, ParseError> {
    let mut tokens = Vec::new();
    let mut brackets = 0usize;
    let mut at = 0;
    while let Some(c) = src[at..].chars().next() {
        let start = at;
        at += c.len_utf8();
        let kind = match c {
            c if is_space(c) => continue,
            '(' => TokenKind::LParen,
            ')' => TokenKind::RParen,
            '[' => {
                brackets += 1;
                TokenKind::LBracket
            }
            ']' => {
                brackets = brackets.saturating_sub(1);
                TokenKind::RBracket
            }
            '"' => {
                let kind = if brackets > 0 {
                    ParseErrorKind::InvalidFilter
                } else {
                    outer
                };
                let (text, next) = string(src, start, kind)?;
                at = next;
                TokenKind::Str(text)
            }
            _ => {
                at = src[start..]
                    .find(ends_word)
                    .map_or(src.len(), |len| start + len);
                TokenKind::Word(&src[start..at])
            }
        };
        tokens.push(Token { kind, start });
    }
    Ok(tokens)
}

/// The JSON string starting with the quote at byte `open`: its decoded text
/// and the byte offset just after its closing quote.
fn string(src: &str, open: usize, kind: ParseErrorKind) -> Result<(String, usize), ParseError> {
    let err = |at: usize, msg: &str| ParseError::new(kind, char_position(src, at), msg);
    let mut out = String::new();
    let mut chars = src[open + 1..]
        .char_indices()
        .map(|(i, c)| (i + open + 1, c));
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, i + 1)),
            '\\' => {
                let Some((j, e)) = chars.next() else {
                    return Err(err(open, "unterminated string"));
                };
                match e {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    '/' => out.push('/'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'u' => {
                        let high = hex4(&mut chars)
                            .ok_or_else(|| err(i, "expected four hex digits after \\u"))?;
                        let c = if (0xD800..0xDC00).contains(&high) {
                            // A high surrogate must be followed by `\u` and a
                            // low surrogate.
                            let low = match (chars.next(), chars.next()) {
                                (Some((_, '\\')), Some((_, 'u'))) => hex4(&mut chars),
                                _ => None,
                            }
                            .filter(|low| (0xDC00..0xE000).contains(low))
                            .ok_or_else(|| err(i, "a \\u escape of a high surrogate must be followed by one of a low surrogate"))?;
                            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            high
                        };
                        let c = char::from_u32(c).ok_or_else(|| {
                            err(i, "a \\u escape of a lone low surrogate is not a character")
                        })?;
                        out.push(c);
                    }
                    _ => {
                        return Err(err(
                            j,
                            "unknown escape; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
                        ));
                    }
                }
            }
            c if u32::from(c) < 0x20 => {
                return Err(err(
                    i,
                    "control character in a string; write it as a \\u escape",
                ));
            }
            c => out.push(c),
        }
    }
    Err(err(open, "unterminated string: no closing '\"'"))
}

fn hex4(chars: &mut impl Iterator<Item = (usize, char)>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        let (_, c) = chars.next()?;
        v = v * 16 + c.to_digit(16)?;
    }
    Some(v)
}

/// `true`, `false`, `null` (any case) or a JSON number.
pub(super) fn literal(w: &str) -> Option<CompValue> {
    if w.eq_ignore_ascii_case("true") {
        return Some(CompValue::Bool(true));
    }
    if w.eq_ignore_ascii_case("false") {
        return Some(CompValue::Bool(false));
    }
    if w.eq_ignore_ascii_case("null") {
        return Some(CompValue::Null);
    }
    number(w).map(CompValue::Number)
}

/// A JSON number (RFC 8259 §6): `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`,
/// kept as an integer when it is one that fits, else as a finite float.
fn number(w: &str) -> Option<serde_json::Number> {
    let b = w.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let from = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - from
    };
    let int_start = i;
    let int_len = digits(&mut i);
    if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
        return None;
    }
    let mut integral = true;
    if b.get(i) == Some(&b'.') {
        i += 1;
        integral = false;
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        integral = false;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    if integral {
        if let Ok(n) = w.parse::<i64>() {
            return Some(n.into());
        }
        if let Ok(n) = w.parse::<u64>() {
            return Some(n.into());
        }
    }
    w.parse::<f64>().ok().and_then(serde_json::Number::from_f64)
}
