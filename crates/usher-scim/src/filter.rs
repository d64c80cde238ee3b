//! The filter parser: RFC 7644 §3.4.2.2 text to a [`Filter`].
//!
//! ```text
//! FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
//! valuePath = attrPath "[" valFilter "]"
//! valFilter = attrExp / logExp / *1"not" "(" valFilter ")"
//! attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
//! logExp    = FILTER SP ("and" / "or") SP FILTER
//! attrPath  = [URI ":"] ATTRNAME *1subAttr
//! ```
//!
//! Precedence, highest first: grouping, `not`, `and`, `or`. Operators,
//! `and`/`or`/`not` and `true`/`false`/`null` are case-insensitive. Where the
//! grammar has `SP` any run of whitespace is accepted, and none is needed
//! next to a bracket, parenthesis or quote. Value filters do not nest (RFC
//! errata 4690 and 7322) and name sub-attributes without a schema URN.
//!
//! One extension for Entra ID, which sends it when `emails[type eq
//! "work"].value` is a matching attribute: a value path followed by
//! `.subAttr` and a condition, parsed as the same condition inside the
//! brackets.
//!
//! The parser is recursive descent with an explicit depth count: every `(`,
//! `not (` and `[` counts one level, and more than [`MAX_DEPTH`](super::MAX_DEPTH) is refused,
//! so hostile input bounds the recursion (and the tree built).

use super::ast::{AttrPath, CompValue, CompareOp, Filter, ValuePath};
use super::error::{ParseError, ParseErrorKind};
use super::lexer::{Token, TokenKind, char_position, literal};
use super::parser::Parser;

impl Filter {
    /// Parses filter text such as `userName eq "bjensen"`.
    ///
    /// # Errors
    /// An `invalidFilter` [`ParseError`] naming the first problem and where.
    pub fn parse(src: &str) -> Result<Self, ParseError> {
        let mut p = Parser::new(src, ParseErrorKind::InvalidFilter, "filter")?;
        if p.peek().is_none() {
            return Err(p.error_at(
                0,
                "empty filter; expected an attribute name, '(' or 'not ('",
            ));
        }
        let filter = p.or_expr()?;
        p.expect_end()?;
        Ok(filter)
    }
}

impl std::str::FromStr for Filter {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

const EXPECTED_OPERATOR: &str = "eq, ne, co, sw, ew, gt, ge, lt, le or pr";

/// The grammar, over the shared parser state.
impl<'s> Parser<'s> {
    /// `and_expr ("or" and_expr)*`
    pub(super) fn or_expr(&mut self) -> Result<Filter, ParseError> {
        let mut items = vec![self.and_expr()?];
        while self.peek_keyword("or") {
            self.bump();
            items.push(self.and_expr()?);
        }
        Ok(single_or(items, Filter::Or))
    }

    /// `unary ("and" unary)*`
    fn and_expr(&mut self) -> Result<Filter, ParseError> {
        let mut items = vec![self.unary()?];
        while self.peek_keyword("and") {
            self.bump();
            items.push(self.unary()?);
        }
        Ok(single_or(items, Filter::And))
    }

    /// A group, `not (...)`, or an attribute expression.
    fn unary(&mut self) -> Result<Filter, ParseError> {
        let Some(token) = self.peek().cloned() else {
            return Err(self.error_at(
                self.here(),
                format!(
                    "expected an attribute name, '(' or 'not (', found the end of the {}",
                    self.what
                ),
            ));
        };
        match token.kind {
            TokenKind::LParen => {
                self.bump();
                self.group(token.start)
            }
            TokenKind::Word(w) if w.eq_ignore_ascii_case("not") && self.not_starts_group() => {
                self.bump();
                match self.peek() {
                    Some(Token {
                        kind: TokenKind::LParen,
                        start,
                    }) => {
                        let start = *start;
                        self.bump();
                        Ok(Filter::Not(Box::new(self.group(start)?)))
                    }
                    _ => Err(self.error_at(
                        self.here(),
                        format!("expected '(' after 'not', found {}", self.describe_next()),
                    )),
                }
            }
            TokenKind::Word(w) => {
                self.bump();
                self.attr_expr(w, token.start)
            }
            _ => Err(self.error_at(
                token.start,
                format!(
                    "expected an attribute name, '(' or 'not (', found {}",
                    self.describe_next()
                ),
            )),
        }
    }

    /// Whether the `not` just ahead is the operator rather than an attribute
    /// called "not" (`not pr`, `not eq 1`, `not[...]`).
    fn not_starts_group(&self) -> bool {
        match self.tokens.get(self.next + 1).map(|t| &t.kind) {
            Some(TokenKind::Word(w)) => {
                !w.eq_ignore_ascii_case("pr") && CompareOp::parse(w).is_none()
            }
            Some(TokenKind::LBracket) => false,
            _ => true,
        }
    }

    /// The rest of `( FILTER )` after the `(` at byte `open`.
    fn group(&mut self, open: usize) -> Result<Filter, ParseError> {
        self.enter(open)?;
        let inner = self.or_expr()?;
        match self.peek_kind() {
            Some(TokenKind::RParen) => {
                self.bump();
            }
            None => {
                return Err(self.error_at(
                    self.here(),
                    format!(
                        "missing ')' to close the '(' at character {}",
                        char_position(self.src, open)
                    ),
                ));
            }
            Some(_) => {
                return Err(self.error_at(
                    self.here(),
                    format!(
                        "expected 'and', 'or' or ')', found {}",
                        self.describe_next()
                    ),
                ));
            }
        }
        self.leave();
        Ok(inner)
    }

    /// An attribute expression or value path starting with the word `w`.
    fn attr_expr(&mut self, w: &'s str, start: usize) -> Result<Filter, ParseError> {
        let path = self.attr_path(w, start)?;
        if !matches!(self.peek_kind(), Some(TokenKind::LBracket)) {
            return self.condition(path, w);
        }
        let mut vp = self.value_filter(path)?;
        // Entra ID's `emails[type eq "work"].value eq "x"`.
        if let Some(&TokenKind::Word(next)) = self.peek_kind()
            && let Some(sub) = next.strip_prefix('.')
        {
            let sub_start = self.here() + 1;
            self.bump();
            self.check_attr_name(sub, sub_start)?;
            let was = std::mem::replace(&mut self.in_value_filter, true);
            let condition = self.condition(AttrPath::new(sub), next);
            self.in_value_filter = was;
            let condition = condition?;
            vp.filter = Box::new(match *vp.filter {
                Filter::And(mut items) => {
                    items.push(condition);
                    Filter::And(items)
                }
                other => Filter::And(vec![other, condition]),
            });
        }
        Ok(Filter::ValuePath(vp))
    }

    /// `[ valFilter ]` after the multi-valued attribute `attr`; the next
    /// token is the `[`.
    pub(super) fn value_filter(&mut self, attr: AttrPath) -> Result<ValuePath, ParseError> {
        let open = self.here();
        self.bump();
        if self.in_value_filter {
            return Err(self.error_at(open, "a value filter cannot contain another value filter"));
        }
        if attr.sub_attr.is_some() {
            return Err(self.error_at(
                open,
                format!("'[' must follow a multi-valued attribute, not the sub-attribute '{attr}'"),
            ));
        }
        self.enter(open)?;
        self.in_value_filter = true;
        let filter = self.or_expr()?;
        match self.peek_kind() {
            Some(TokenKind::RBracket) => {
                self.bump();
            }
            None => {
                return Err(self.error_at(
                    self.here(),
                    format!(
                        "missing ']' to close the '[' at character {}",
                        char_position(self.src, open)
                    ),
                ));
            }
            Some(_) => {
                return Err(self.error_at(
                    self.here(),
                    format!(
                        "expected 'and', 'or' or ']', found {}",
                        self.describe_next()
                    ),
                ));
            }
        }
        self.in_value_filter = false;
        self.leave();
        Ok(ValuePath {
            attr,
            filter: Box::new(filter),
        })
    }

    /// `pr` or `op value` after `path` (written as `w`).
    fn condition(&mut self, path: AttrPath, w: &str) -> Result<Filter, ParseError> {
        let at = self.here();
        let op_word = match self.peek_kind() {
            Some(TokenKind::Word(op)) => *op,
            _ => {
                return Err(self.error_at(
                    at,
                    format!(
                        "expected an operator ({EXPECTED_OPERATOR}) after '{w}', found {}",
                        self.describe_next()
                    ),
                ));
            }
        };
        if op_word.eq_ignore_ascii_case("pr") {
            self.bump();
            let takes_value = match self.peek_kind() {
                Some(TokenKind::Str(_)) => true,
                Some(TokenKind::Word(v)) => {
                    !v.eq_ignore_ascii_case("and") && !v.eq_ignore_ascii_case("or")
                }
                _ => false,
            };
            if takes_value {
                return Err(self.error_at(
                    self.here(),
                    format!(
                        "the 'pr' operator takes no value, found {}",
                        self.describe_next()
                    ),
                ));
            }
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::parse(op_word) else {
            return Err(self.error_at(
                at,
                format!(
                    "unknown operator {}; expected one of {EXPECTED_OPERATOR}",
                    self.describe_next()
                ),
            ));
        };
        self.bump();
        let value = self.comp_value(op)?;
        Ok(Filter::Compare { path, op, value })
    }

    /// A JSON literal after the operator `op`.
    fn comp_value(&mut self, op: CompareOp) -> Result<CompValue, ParseError> {
        let at = self.here();
        let value = match self.peek_kind() {
            Some(TokenKind::Str(s)) => Some(CompValue::String(s.clone())),
            Some(TokenKind::Word(w)) => literal(w),
            _ => None,
        };
        match value {
            Some(v) => {
                self.bump();
                Ok(v)
            }
            None => Err(self.error_at(
                at,
                format!(
                    "expected a value after '{op}' (a quoted string, a number, true, false or null), found {}",
                    self.describe_next()
                ),
            )),
        }
    }
}

fn single_or(mut items: Vec<Filter>, many: fn(Vec<Filter>) -> Filter) -> Filter {
    if items.len() == 1
        && let Some(only) = items.pop()
    {
        return only;
    }
    many(items)
}
