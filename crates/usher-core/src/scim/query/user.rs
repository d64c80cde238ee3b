//! User filters and sort keys lowered to the users table's columns: each
//! SCIM attribute resolved to a column, a custom attribute, or a value
//! known without reading the row.

use super::compare::{bool_value, compare_fixed, id_compare, text_cond, time_compare};
use super::elements::Multi;
use super::{Cond, LowerError, SortKey, Text, TextColumn, TimeColumn};
use crate::scim::resource::{ENTERPRISE_ATTRIBUTES, ENTERPRISE_URN, USER_URN, USHER_USER_URN};
use usher_scim::{AttrPath, CompValue, CompareOp, Filter};

/// How the lowering sees the tenant: which custom attributes exist, and
/// which of them the enterprise extension shows.
#[derive(Debug, Clone, Copy)]
pub struct Attributes<'a> {
    /// Every defined custom attribute name.
    pub names: &'a [String],
}

impl Attributes<'_> {
    fn find(&self, name: &str) -> Option<&str> {
        self.names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(name))
            .map(String::as_str)
    }
}

/// Lowers a filter on the User resource.
pub fn lower_user_filter(filter: &Filter, attrs: Attributes<'_>) -> Result<Cond, LowerError> {
    Lowering { attrs }.filter(filter)
}

/// The sort key of a `sortBy` attribute.
pub fn user_sort_key(path: &AttrPath, attrs: Attributes<'_>) -> Result<SortKey, LowerError> {
    let l = Lowering { attrs };
    match l.resolve(path)? {
        Target::Text { text, .. } => Ok(SortKey::Text(text)),
        Target::Time(c) => Ok(SortKey::Time(c)),
        Target::Id => Ok(SortKey::Id),
        _ => Err(LowerError(format!("cannot sort by {path}"))),
    }
}

/// What an attribute path names in the record.
enum Target {
    Text {
        text: Text,
        case_exact: bool,
    },
    Time(TimeColumn),
    Id,
    Active,
    /// A value that is always there and always this string
    /// (`meta.resourceType`).
    Fixed(&'static str),
    /// A multi-valued complex attribute: `emails`, `phoneNumbers`.
    Multi(Multi),
    /// The name of a role held (`roles`, `roles.value`, `roles.display`).
    Roles,
}

/// One user filter or sort key being lowered against the tenant's attributes.
pub(super) struct Lowering<'a> {
    attrs: Attributes<'a>,
}

impl Lowering<'_> {
    fn filter(&self, f: &Filter) -> Result<Cond, LowerError> {
        Ok(match f {
            Filter::And(parts) => Cond::and(
                parts
                    .iter()
                    .map(|p| self.filter(p))
                    .collect::<Result<_, _>>()?,
            ),
            Filter::Or(parts) => Cond::or(
                parts
                    .iter()
                    .map(|p| self.filter(p))
                    .collect::<Result<_, _>>()?,
            ),
            Filter::Not(inner) => Cond::not(self.filter(inner)?),
            Filter::Present(path) => self.present(path)?,
            Filter::Compare { path, op, value } => self.compare(path, *op, value)?,
            Filter::ValuePath(vp) => {
                let target = self.resolve(&vp.attr)?;
                if let Target::Roles = target {
                    return super::roles::value_filter(&vp.filter);
                }
                let Target::Multi(multi) = target else {
                    return Err(LowerError(format!(
                        "{} is not a multi-valued attribute; a [filter] applies to emails or phoneNumbers",
                        vp.attr
                    )));
                };
                Cond::or(
                    multi
                        .elements()
                        .iter()
                        .map(|e| self.element_filter(&vp.filter, e))
                        .collect::<Result<_, _>>()?,
                )
            }
        })
    }

    /// The custom attribute an extension names, where the tenant has it.
    fn custom_attribute(&self, name: &str) -> Option<Target> {
        self.attrs.find(name).map(|n| Target::Text {
            text: Text::Attribute(n.to_owned()),
            case_exact: false,
        })
    }

    /// Which attribute a path names, checking its schema URN.
    fn resolve(&self, path: &AttrPath) -> Result<Target, LowerError> {
        let unknown = || LowerError(format!("unknown attribute {path}"));
        let name = path.name_key();
        let sub = path.sub_attr_key();
        match path.uri_key().as_deref() {
            None => {}
            Some(u) if u == USER_URN.to_ascii_lowercase() => {}
            Some(u) if u == USHER_USER_URN.to_ascii_lowercase() => {
                if sub.is_some() {
                    return Err(unknown());
                }
                return self.custom_attribute(&path.name).ok_or_else(unknown);
            }
            Some(u) if u == ENTERPRISE_URN.to_ascii_lowercase() => {
                if sub.is_some()
                    || !ENTERPRISE_ATTRIBUTES
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case(&path.name))
                {
                    return Err(unknown());
                }
                return self.custom_attribute(&path.name).ok_or_else(unknown);
            }
            Some(_) => return Err(unknown()),
        }
        let text = |c: TextColumn, case_exact: bool| Target::Text {
            text: Text::Column(c),
            case_exact,
        };
        Ok(match (name.as_str(), sub.as_deref()) {
            ("id", None) => Target::Id,
            ("username", None) => text(TextColumn::UserName, false),
            ("externalid", None) => text(TextColumn::ExternalId, true),
            ("preferredlanguage", None) => text(TextColumn::Language, false),
            ("name", Some("givenname")) => text(TextColumn::FirstName, false),
            ("name", Some("familyname")) => text(TextColumn::LastName, false),
            ("displayname", None) => text(TextColumn::DisplayName, false),
            ("active", None) => Target::Active,
            ("emails", None) => Target::Multi(Multi::Emails),
            ("phonenumbers", None) => Target::Multi(Multi::PhoneNumbers),
            ("emails", Some("value")) => Target::Multi(Multi::Emails),
            ("phonenumbers", Some("value")) => Target::Multi(Multi::PhoneNumbers),
            ("meta", Some("created")) => Target::Time(TimeColumn::CreatedAt),
            ("meta", Some("lastmodified")) => Target::Time(TimeColumn::UpdatedAt),
            ("meta", Some("resourcetype")) => Target::Fixed("User"),
            ("roles", s) if super::roles::names_the_role(s) => Target::Roles,
            ("roles", _) => return Err(super::roles::unsupported(path)),
            _ => return Err(unknown()),
        })
    }

    fn present(&self, path: &AttrPath) -> Result<Cond, LowerError> {
        Ok(match self.resolve(path)? {
            Target::Text {
                text: Text::Column(TextColumn::UserName | TextColumn::EmailNorm),
                ..
            }
            | Target::Id
            | Target::Active
            | Target::Time(_)
            | Target::Fixed(_) => Cond::Const(true),
            Target::Text { text, .. } => Cond::Present(text),
            Target::Multi(m) => Cond::or(
                m.elements()
                    .into_iter()
                    .map(|e| Cond::Present(Text::Column(e.value)))
                    .collect(),
            ),
            Target::Roles => Cond::Role(None),
        })
    }

    fn compare(
        &self,
        path: &AttrPath,
        op: CompareOp,
        value: &CompValue,
    ) -> Result<Cond, LowerError> {
        if matches!(value, CompValue::Null) {
            // `eq null` is "absent", `ne null` "present" (as the evaluator).
            let present = self.present(path)?;
            return match op {
                CompareOp::Eq => Ok(Cond::not(present)),
                CompareOp::Ne => Ok(present),
                _ => Err(LowerError(format!(
                    "null can only be compared with eq or ne ({path})"
                ))),
            };
        }
        match self.resolve(path)? {
            Target::Text { text, case_exact } => Ok(text_cond(text, !case_exact, op, value)),
            Target::Multi(m) => Ok(Cond::or(
                m.elements()
                    .into_iter()
                    .map(|e| {
                        text_cond(
                            Text::Column(e.value),
                            e.value != TextColumn::Phone,
                            op,
                            value,
                        )
                    })
                    .collect(),
            )),
            Target::Fixed(s) => match value {
                CompValue::String(v) => Ok(Cond::Const(compare_fixed(s, op, v, false))),
                _ => Err(LowerError(format!(
                    "{path} is a string; compare it with a quoted value"
                ))),
            },
            Target::Active => {
                let want = bool_value(value).ok_or_else(|| {
                    LowerError(format!(
                        "{path} is a boolean; compare it with true or false"
                    ))
                })?;
                match op {
                    CompareOp::Eq => Ok(Cond::Active(want)),
                    CompareOp::Ne => Ok(Cond::Active(!want)),
                    _ => Err(LowerError(format!(
                        "{path} is a boolean: only eq, ne and pr apply"
                    ))),
                }
            }
            Target::Id => id_compare(op, value),
            Target::Time(column) => time_compare(path, column, op, value),
            Target::Roles => super::roles::compare(path, op, value),
        }
    }
}
