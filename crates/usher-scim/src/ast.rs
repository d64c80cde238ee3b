//! The syntax tree of a SCIM filter (RFC 7644 §3.4.2.2), shared by the
//! filter parser, the PATCH-path parser, the in-memory evaluator and, later,
//! the translation to SQL.
//!
//! Names keep the spelling the client sent (so a filter prints back the way
//! it was written); matching uses [`AttrPath::key`], which lower-cases them,
//! because SCIM attribute names and schema URNs are case-insensitive.
//!
//! `Display` prints canonical filter text: lower-case operators and
//! keywords, single spaces, JSON-escaped strings, and parentheses exactly
//! where they are needed to parse back to the same tree. Parsing that text
//! gives an equal tree (checked by proptest and the `scim_filter` fuzz
//! target).

use std::fmt;

/// An attribute reference: `[URI ":"] ATTRNAME ["." subAttr]`.
///
/// `userName`, `name.familyName`,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`.
/// The URI is split off at the last `:`, so a path that names a whole
/// extension schema (`urn:…:enterprise:2.0:User`) parses with `uri`
/// `urn:…:enterprise:2.0` and `name` `User`; code that knows the schemas
/// recognises it with [`AttrPath::full_text`].
///
/// Inside a value filter (`emails[type eq "work"]`) paths are relative to
/// the element being tested and never carry a URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN, without the `:` that separates it from the name.
    pub uri: Option<String>,
    /// The attribute name as sent (`userName`, `USERNAME`, `$ref`).
    pub name: String,
    /// The sub-attribute of a complex attribute (`familyName`).
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// A plain attribute name, with no URI or sub-attribute.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            uri: None,
            name: name.into(),
            sub_attr: None,
        }
    }

    /// `self` with a sub-attribute.
    pub fn with_sub_attr(mut self, sub_attr: impl Into<String>) -> Self {
        self.sub_attr = Some(sub_attr.into());
        self
    }

    /// `self` qualified by a schema URN.
    pub fn with_uri(mut self, uri: impl Into<String>) -> Self {
        self.uri = Some(uri.into());
        self
    }

    /// The whole path as written (`urn:…:User:name.givenName`).
    pub fn full_text(&self) -> String {
        self.to_string()
    }

    /// The lower-case form of [`full_text`](Self::full_text), for matching
    /// (names and URNs are ASCII, so ASCII lower-casing is enough).
    pub fn key(&self) -> String {
        self.to_string().to_ascii_lowercase()
    }

    /// The lower-case attribute name alone.
    pub fn name_key(&self) -> String {
        self.name.to_ascii_lowercase()
    }

    /// The lower-case sub-attribute name, if any.
    pub fn sub_attr_key(&self) -> Option<String> {
        self.sub_attr.as_deref().map(str::to_ascii_lowercase)
    }

    /// The lower-case URN, if any.
    pub fn uri_key(&self) -> Option<String> {
        self.uri.as_deref().map(str::to_ascii_lowercase)
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(uri) = &self.uri {
            write!(f, "{uri}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// A comparison operator (`pr` is [`Filter::Present`], not one of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains (strings only).
    Co,
    /// `sw`: starts with (strings only).
    Sw,
    /// `ew`: ends with (strings only).
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
}

impl CompareOp {
    pub const ALL: [CompareOp; 9] = [
        Self::Eq,
        Self::Ne,
        Self::Co,
        Self::Sw,
        Self::Ew,
        Self::Gt,
        Self::Ge,
        Self::Lt,
        Self::Le,
    ];

    /// The operator for a word of the filter, in any case (`Eq`, `EQ`).
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    /// The canonical, lower-case spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value a comparison tests against: a JSON literal (RFC 7644's
/// `compValue`). Dates are strings, as in the resource JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    /// An integer (i64/u64) or a finite float, as JSON parses it.
    Number(serde_json::Number),
    String(String),
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Number(n) => {
                let text = n.to_string();
                f.write_str(&text)?;
                // A float printed without a point or exponent would parse
                // back as an integer.
                if n.is_f64() && !text.contains(['.', 'e', 'E']) {
                    f.write_str(".0")?;
                }
                Ok(())
            }
            Self::String(s) => write_json_string(f, s),
        }
    }
}

/// `s` as a JSON string literal.
fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// `attr[filter]`: the elements of a multi-valued attribute that match
/// `filter`, whose paths name sub-attributes of `attr`.
#[derive(Debug, Clone, PartialEq)]
pub struct ValuePath {
    /// The multi-valued attribute; never has a sub-attribute.
    pub attr: AttrPath,
    /// Tested against each element; contains no further value path.
    pub filter: Box<Filter>,
}

impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.attr, self.filter)
    }
}

/// A parsed filter.
///
/// Precedence is already resolved: `a eq 1 or b eq 2 and c eq 3` is
/// `Or([a, And([b, c])])`. A chain of one operator at one level is a single
/// `And`/`Or` with all its operands (at least two when parsed); a
/// parenthesised group stays a nested node. Trees built by the parser are at
/// most [`MAX_DEPTH`](super::MAX_DEPTH) groups deep.
///
/// Entra ID's `emails[type eq "work"].value eq "x"` (a sub-attribute after
/// the bracket, which RFC 7644 allows only in PATCH paths) parses to the
/// equivalent `emails[type eq "work" and value eq "x"]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `path op value`.
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    /// `path pr`: the attribute has a non-empty value.
    Present(AttrPath),
    /// `attr[filter]`: some element of `attr` matches `filter`.
    ValuePath(ValuePath),
    /// `not (filter)`.
    Not(Box<Filter>),
    /// Every operand matches (an empty list matches everything).
    And(Vec<Filter>),
    /// Some operand matches (an empty list matches nothing).
    Or(Vec<Filter>),
}

impl Filter {
    /// `path op value`.
    pub fn compare(path: AttrPath, op: CompareOp, value: CompValue) -> Self {
        Self::Compare { path, op, value }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Self::Present(path) => write!(f, "{path} pr"),
            Self::ValuePath(vp) => write!(f, "{vp}"),
            Self::Not(inner) => write!(f, "not ({inner})"),
            Self::And(items) => write_chain(f, items, "and", true),
            Self::Or(items) => write_chain(f, items, "or", false),
        }
    }
}

/// Operands joined by `keyword`. A nested `and`/`or` operand is
/// parenthesised, except an `and` inside an `or`, which binds tighter
/// anyway: that is what makes the text parse back to the same tree.
fn write_chain(
    f: &mut fmt::Formatter<'_>,
    items: &[Filter],
    keyword: &str,
    is_and: bool,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            write!(f, " {keyword} ")?;
        }
        let group = match item {
            Filter::Or(_) => true,
            Filter::And(_) => is_and,
            _ => false,
        };
        if group {
            write!(f, "({item})")?;
        } else {
            write!(f, "{item}")?;
        }
    }
    Ok(())
}
