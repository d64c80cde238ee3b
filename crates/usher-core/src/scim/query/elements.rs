//! The elements of `emails` and `phoneNumbers` as Usher stores them (the
//! login and the personal email; one phone number), and value filters
//! (`emails[type eq "work"]`) tested on each of them.

use super::compare::{bool_value, compare_fixed, text_cond};
use super::user::Lowering;
use super::{Cond, LowerError, Text, TextColumn};
use usher_scim::{AttrPath, CompValue, CompareOp, Filter};

/// A multi-valued complex attribute of the User resource.
#[derive(Clone, Copy)]
pub(super) enum Multi {
    Emails,
    PhoneNumbers,
}

/// One element of a multi-valued attribute as stored: its `value` column
/// and the fixed sub-attributes Usher gives it.
pub(super) struct Element {
    pub(super) value: TextColumn,
    kind: Option<&'static str>,
    primary: bool,
}

impl Multi {
    pub(super) fn elements(self) -> Vec<Element> {
        match self {
            Multi::Emails => vec![
                Element {
                    value: TextColumn::EmailNorm,
                    kind: Some("work"),
                    primary: true,
                },
                Element {
                    value: TextColumn::PersonalEmail,
                    kind: Some("home"),
                    primary: false,
                },
            ],
            Multi::PhoneNumbers => vec![Element {
                value: TextColumn::Phone,
                kind: None,
                primary: true,
            }],
        }
    }
}

impl Lowering<'_> {
    /// A value filter tested on one element; the element must exist.
    pub(super) fn element_filter(&self, f: &Filter, e: &Element) -> Result<Cond, LowerError> {
        let inner = self.element_cond(f, e)?;
        Ok(Cond::and(vec![Cond::Present(Text::Column(e.value)), inner]))
    }

    fn element_cond(&self, f: &Filter, e: &Element) -> Result<Cond, LowerError> {
        Ok(match f {
            Filter::And(parts) => Cond::and(
                parts
                    .iter()
                    .map(|p| self.element_cond(p, e))
                    .collect::<Result<_, _>>()?,
            ),
            Filter::Or(parts) => Cond::or(
                parts
                    .iter()
                    .map(|p| self.element_cond(p, e))
                    .collect::<Result<_, _>>()?,
            ),
            Filter::Not(inner) => Cond::not(self.element_cond(inner, e)?),
            Filter::ValuePath(_) => {
                return Err(LowerError("value filters do not nest".into()));
            }
            Filter::Present(p) => match self.sub_attr(p)? {
                Sub::Value => Cond::Present(Text::Column(e.value)),
                Sub::Type => Cond::Const(e.kind.is_some()),
                Sub::Primary => Cond::Const(e.primary),
            },
            Filter::Compare { path, op, value } => match self.sub_attr(path)? {
                Sub::Value => text_cond(
                    Text::Column(e.value),
                    e.value != TextColumn::Phone,
                    *op,
                    value,
                ),
                Sub::Type => match (e.kind, value) {
                    (Some(kind), CompValue::String(s)) => {
                        Cond::Const(compare_fixed(kind, *op, s, false))
                    }
                    (None, _) => Cond::Const(false),
                    _ => {
                        return Err(LowerError(format!(
                            "{path} is a string; compare it with a quoted value"
                        )));
                    }
                },
                Sub::Primary => {
                    let want = bool_value(value).ok_or_else(|| {
                        LowerError(format!(
                            "{path} is a boolean; compare it with true or false"
                        ))
                    })?;
                    match op {
                        CompareOp::Eq => Cond::Const(e.primary == want),
                        CompareOp::Ne => Cond::Const(e.primary != want),
                        _ => {
                            return Err(LowerError(format!(
                                "{path} is a boolean: only eq, ne and pr apply"
                            )));
                        }
                    }
                }
            },
        })
    }

    fn sub_attr(&self, p: &AttrPath) -> Result<Sub, LowerError> {
        if p.uri.is_some() || p.sub_attr.is_some() {
            return Err(LowerError(format!(
                "{p}: inside [ ] name a sub-attribute such as value or type"
            )));
        }
        match p.name_key().as_str() {
            "value" => Ok(Sub::Value),
            "type" => Ok(Sub::Type),
            "primary" => Ok(Sub::Primary),
            "display" => Ok(Sub::Value),
            _ => Err(LowerError(format!(
                "unknown sub-attribute {p}: use value, type or primary"
            ))),
        }
    }
}

enum Sub {
    Value,
    Type,
    Primary,
}
