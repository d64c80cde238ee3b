//! PATCH `path` values (RFC 7644 §3.5.2):
//!
//! ```text
//! PATH = attrPath / valuePath [subAttr]
//! ```
//!
//! `name.familyName`, `members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
//! `emails[type eq "work"].value`,
//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`.
//! Errors in the value filter are `invalidFilter` (RFC 7644 table 9 lists
//! the PATCH path filter there); all others are `invalidPath`.

use super::ast::{AttrPath, ValuePath};
use super::error::{ParseError, ParseErrorKind};
use super::lexer::TokenKind;
use super::parser::Parser;
use std::fmt;

/// A parsed PATCH path.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchPath {
    /// An attribute or a sub-attribute: `title`, `name.givenName`,
    /// `urn:…:enterprise:2.0:User:manager.value`.
    Attr(AttrPath),
    /// The elements of a multi-valued attribute that match a filter, or one
    /// sub-attribute of them: `members[value eq "…"]`,
    /// `emails[type eq "work"].value`.
    Value {
        path: ValuePath,
        sub_attr: Option<String>,
    },
}

impl PatchPath {
    /// Parses a PATCH operation's `path`.
    ///
    /// # Errors
    /// An `invalidPath` [`ParseError`], or `invalidFilter` for a problem
    /// inside the brackets.
    pub fn parse(src: &str) -> Result<Self, ParseError> {
        let mut p = Parser::new(src, ParseErrorKind::InvalidPath, "path")?;
        let (word, start) = match p.peek() {
            Some(t) => match t.kind {
                TokenKind::Word(w) => (w, t.start),
                _ => {
                    return Err(p.error_at(
                        t.start,
                        format!("expected an attribute name, found {}", p.describe_next()),
                    ));
                }
            },
            None => return Err(p.error_at(0, "empty path; expected an attribute name")),
        };
        p.bump();
        let attr = p.attr_path(word, start)?;
        if !matches!(p.peek().map(|t| &t.kind), Some(TokenKind::LBracket)) {
            expect_end(&p)?;
            return Ok(Self::Attr(attr));
        }
        let path = p.value_filter(attr)?;
        let mut sub_attr = None;
        if let Some(t) = p.peek()
            && let TokenKind::Word(w) = t.kind
            && let Some(sub) = w.strip_prefix('.')
        {
            p.check_attr_name(sub, t.start + 1)?;
            sub_attr = Some(sub.to_owned());
            p.bump();
        }
        expect_end(&p)?;
        Ok(Self::Value { path, sub_attr })
    }

    /// The attribute the path starts at (for `emails[…].value`, `emails`).
    pub fn attr(&self) -> &AttrPath {
        match self {
            Self::Attr(attr) => attr,
            Self::Value { path, .. } => &path.attr,
        }
    }
}

fn expect_end(p: &Parser<'_>) -> Result<(), ParseError> {
    match p.peek() {
        None => Ok(()),
        Some(t) => {
            let hint = match t.kind {
                TokenKind::LBracket => " ('[' must follow a multi-valued attribute, once)",
                TokenKind::Word(w) if w.starts_with('.') => {
                    " (a sub-attribute follows ']' only once)"
                }
                _ => "",
            };
            Err(p.error_at(
                t.start,
                format!(
                    "expected the end of the path, found {}{hint}",
                    p.describe_next()
                ),
            ))
        }
    }
}

impl std::str::FromStr for PatchPath {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Attr(attr) => write!(f, "{attr}"),
            Self::Value { path, sub_attr } => {
                write!(f, "{path}")?;
                if let Some(sub) = sub_attr {
                    write!(f, ".{sub}")?;
                }
                Ok(())
            }
        }
    }
}
