//! The parser state shared by the filter grammar ([`super::filter`]) and
//! PATCH paths ([`super::path`]): the token cursor, the depth count, error
//! construction, and attribute paths with their name and URI rules.

use super::ast::AttrPath;
use super::error::{ParseError, ParseErrorKind};
use super::lexer::{Token, TokenKind, char_position, tokenize};
use super::{MAX_DEPTH, MAX_INPUT_BYTES};

/// Parser state over the tokens of one filter or path.
pub(super) struct Parser<'s> {
    pub(super) src: &'s str,
    pub(super) tokens: Vec<Token<'s>>,
    pub(super) next: usize,
    depth: usize,
    /// Inside `[...]`: no nested value paths, no URIs, `invalidFilter`.
    pub(super) in_value_filter: bool,
    /// The error kind outside value filters.
    outer: ParseErrorKind,
    /// "filter" or "path", for messages.
    pub(super) what: &'static str,
}

impl<'s> Parser<'s> {
    pub(super) fn new(
        src: &'s str,
        outer: ParseErrorKind,
        what: &'static str,
    ) -> Result<Self, ParseError> {
        if src.len() > MAX_INPUT_BYTES {
            return Err(ParseError::new(
                outer,
                char_position(src, MAX_INPUT_BYTES),
                format!("the {what} is longer than {MAX_INPUT_BYTES} bytes"),
            ));
        }
        Ok(Self {
            src,
            tokens: tokenize(src, outer)?,
            next: 0,
            depth: 0,
            in_value_filter: false,
            outer,
            what,
        })
    }

    pub(super) fn peek(&self) -> Option<&Token<'s>> {
        self.tokens.get(self.next)
    }

    pub(super) fn peek_kind(&self) -> Option<&TokenKind<'s>> {
        self.peek().map(|t| &t.kind)
    }

    pub(super) fn bump(&mut self) -> Option<Token<'s>> {
        let t = self.tokens.get(self.next).cloned();
        self.next += 1;
        t
    }

    pub(super) fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek_kind(), Some(TokenKind::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    /// An error at byte offset `at`, of the kind for where the parser is.
    pub(super) fn error_at(&self, at: usize, message: impl Into<String>) -> ParseError {
        let kind = if self.in_value_filter {
            ParseErrorKind::InvalidFilter
        } else {
            self.outer
        };
        ParseError::new(kind, char_position(self.src, at), message)
    }

    /// Byte offset of the next token, or the end of the input.
    pub(super) fn here(&self) -> usize {
        self.peek().map_or(self.src.len(), |t| t.start)
    }

    /// How the next token reads in a message.
    pub(super) fn describe_next(&self) -> String {
        match self.peek_kind() {
            None => format!("the end of the {}", self.what),
            Some(TokenKind::LParen) => "'('".into(),
            Some(TokenKind::RParen) => "')'".into(),
            Some(TokenKind::LBracket) => "'['".into(),
            Some(TokenKind::RBracket) => "']'".into(),
            Some(TokenKind::Str(_)) => "a string".into(),
            Some(TokenKind::Word(w)) => {
                let short: String = w.chars().take(40).collect();
                if short.len() < w.len() {
                    format!("'{short}…'")
                } else {
                    format!("'{w}'")
                }
            }
        }
    }

    pub(super) fn enter(&mut self, at: usize) -> Result<(), ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error_at(
                at,
                format!("the {} nests deeper than {MAX_DEPTH} levels", self.what),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// After a whole filter: nothing may follow.
    pub(super) fn expect_end(&self) -> Result<(), ParseError> {
        let message = match self.peek_kind() {
            None => return Ok(()),
            Some(TokenKind::RParen) => "unmatched ')'".to_owned(),
            Some(TokenKind::RBracket) => "unmatched ']'".to_owned(),
            Some(_) => format!(
                "expected 'and', 'or' or the end of the {}, found {}",
                self.what,
                self.describe_next()
            ),
        };
        Err(self.error_at(self.here(), message))
    }

    /// The attribute path `w`, which starts at byte `start`.
    pub(super) fn attr_path(&self, w: &str, start: usize) -> Result<AttrPath, ParseError> {
        let (uri, rest, rest_start) = match w.rfind(':') {
            Some(colon) => {
                if self.in_value_filter {
                    return Err(self.error_at(
                        start,
                        "a value filter names sub-attributes, which take no schema URN",
                    ));
                }
                let uri = &w[..colon];
                self.check_uri(uri, start)?;
                (Some(uri), &w[colon + 1..], start + colon + 1)
            }
            None => (None, w, start),
        };
        let (name, sub_attr) = match rest.split_once('.') {
            Some((name, sub)) => (name, Some(sub)),
            None => (rest, None),
        };
        if uri.is_some() && name.is_empty() {
            return Err(self.error_at(
                rest_start,
                "expected an attribute name after the schema URI",
            ));
        }
        self.check_attr_name(name, rest_start)?;
        if let Some(sub) = sub_attr {
            let sub_start = rest_start + name.len() + 1;
            let (first, more) = match sub.split_once('.') {
                Some((first, _)) => (first, true),
                None => (sub, false),
            };
            self.check_attr_name(first, sub_start)?;
            if more {
                return Err(self.error_at(
                    sub_start + first.len(),
                    "a path has at most one sub-attribute (complex attributes do not nest)",
                ));
            }
        }
        Ok(AttrPath {
            uri: uri.map(str::to_owned),
            name: name.to_owned(),
            sub_attr: sub_attr.map(str::to_owned),
        })
    }

    /// `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT /
    /// ALPHA`; plus `$ref`, the one name RFC 7643 gives outside that rule.
    pub(super) fn check_attr_name(&self, name: &str, start: usize) -> Result<(), ParseError> {
        if name.eq_ignore_ascii_case("$ref") {
            return Ok(());
        }
        let mut chars = name.char_indices();
        match chars.next() {
            None => return Err(self.error_at(start, "expected an attribute name")),
            Some((_, c)) if c.is_ascii_alphabetic() => {}
            Some((_, c)) => {
                return Err(self.error_at(
                    start,
                    format!("an attribute name starts with a letter, found '{c}'"),
                ));
            }
        }
        for (i, c) in chars {
            if !(c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(self.error_at(
                    start + i,
                    format!("'{c}' cannot appear in an attribute name"),
                ));
            }
        }
        Ok(())
    }

    /// A schema URI before the attribute name: it starts with a letter (its
    /// scheme) and holds only URI characters.
    pub(super) fn check_uri(&self, uri: &str, start: usize) -> Result<(), ParseError> {
        if !uri.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(self.error_at(start, "a schema URI starts with a letter, as in 'urn:'"));
        }
        if let Some((i, c)) = uri
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || "-._~:/?#@!$&'*+,;=%".contains(*c)))
        {
            return Err(self.error_at(start + i, format!("'{c}' cannot appear in a schema URI")));
        }
        Ok(())
    }
}
