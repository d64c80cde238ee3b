//! SCIM filters on users, lowered to conditions on the stored columns.
//!
//! A [`Filter`] speaks of SCIM attributes (`userName`, `emails[type eq
//! "work"].value`, `meta.lastModified`); a [`Cond`] speaks of the user
//! record's columns (the case-folded email, the last name, the state). Each
//! store renders a [`Cond`] as a SQL `WHERE` clause over its users table, so
//! a query never loads users to test them: `userName eq` and `userName sw`
//! become ranges of the email and username indexes, `externalId eq` a
//! lookup in the external-id index, and the rest plain column tests in the
//! same statement.
//!
//! The lowering follows the reference evaluator ([`super::matches`]) over
//! the resource [`super::user_resource`] builds: a multi-valued attribute
//! matches when any of its values does, `ne` and every other operator test
//! values that exist, and attributes are case-insensitive unless the schema
//! says `caseExact` (`id`, `externalId`, `meta.version`).

use super::resource::{ENTERPRISE_URN, USER_URN, USHER_USER_URN};
use crate::user::fields::fold_case;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use usher_scim::{AttrPath, CompValue, CompareOp, Filter};
use uuid::Uuid;

/// A text column of the users table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextColumn {
    /// `email_norm`: the case-folded login email (unique, indexed).
    EmailNorm,
    /// `username_norm`: the case-folded username (unique, indexed).
    UsernameNorm,
    /// `userName` as SCIM shows it: the username where set, else the
    /// email; compared case-folded. Stores render it as the union of the
    /// two indexed columns.
    UserName,
    PersonalEmail,
    FirstName,
    LastName,
    DisplayName,
    Phone,
    /// `external_id`, compared exactly.
    ExternalId,
    Language,
    /// A group's case-folded name (`groups.name_norm`).
    GroupName,
}

/// A text value tested by a condition: a column or a custom attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Text {
    Column(TextColumn),
    /// The value of a custom attribute (by its defined name).
    Attribute(String),
}

/// A timestamp column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeColumn {
    CreatedAt,
    UpdatedAt,
}

/// A string comparison. `co`, `sw`, `ew` are substring tests; the order
/// operators compare by code point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// An order comparison of instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A condition on one user row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Const(bool),
    /// `text op value`, false where the text is unset. With `fold` the
    /// stored text is case-folded before comparing and `value` is already
    /// folded (the `_norm` columns are stored folded).
    Text {
        text: Text,
        op: TextOp,
        value: String,
        fold: bool,
    },
    /// The text is set (not null, not empty).
    Present(Text),
    Time {
        column: TimeColumn,
        op: OrderOp,
        value: OffsetDateTime,
    },
    /// `id = value`.
    Id(Uuid),
    /// SCIM `active`: the user is (true) or is not (false) disabled.
    Active(bool),
    /// The group has the user with this id as a member; with `None`, the
    /// group has any member.
    Member(Option<Uuid>),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

impl Cond {
    fn and(parts: Vec<Cond>) -> Cond {
        let mut out = Vec::with_capacity(parts.len());
        for p in parts {
            match p {
                Cond::Const(true) => {}
                Cond::Const(false) => return Cond::Const(false),
                Cond::And(inner) => out.extend(inner),
                p => out.push(p),
            }
        }
        match out.len() {
            0 => Cond::Const(true),
            1 => out.pop().unwrap_or(Cond::Const(true)),
            _ => Cond::And(out),
        }
    }

    fn or(parts: Vec<Cond>) -> Cond {
        let mut out = Vec::with_capacity(parts.len());
        for p in parts {
            match p {
                Cond::Const(false) => {}
                Cond::Const(true) => return Cond::Const(true),
                Cond::Or(inner) => out.extend(inner),
                p => out.push(p),
            }
        }
        match out.len() {
            0 => Cond::Const(false),
            1 => out.pop().unwrap_or(Cond::Const(false)),
            _ => Cond::Or(out),
        }
    }

    fn not(c: Cond) -> Cond {
        match c {
            Cond::Const(b) => Cond::Const(!b),
            Cond::Not(inner) => *inner,
            c => Cond::Not(Box::new(c)),
        }
    }
}

/// What a SCIM list or search may sort by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// Creation order (UUID v7 ids): the order when no `sortBy` is given.
    Id,
    Text(Text),
    Time(TimeColumn),
}

/// One SCIM query of users: a condition, an order and a window.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSearch {
    pub cond: Cond,
    pub sort: SortKey,
    pub descending: bool,
    /// Users to skip (SCIM `startIndex` - 1).
    pub offset: u64,
    /// At most this many users (`count`; 0 asks for the total alone).
    pub limit: u32,
}

/// Why a filter could not be lowered: an attribute Usher does not know or
/// an operator or value it cannot apply. Answered as `invalidFilter`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LowerError(pub String);

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
}

#[derive(Clone, Copy)]
enum Multi {
    Emails,
    PhoneNumbers,
}

/// One element of a multi-valued attribute as stored: its `value` column
/// and the fixed sub-attributes Usher gives it.
struct Element {
    value: TextColumn,
    kind: Option<&'static str>,
    primary: bool,
}

impl Multi {
    fn elements(self) -> Vec<Element> {
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

struct Lowering<'a> {
    attrs: Attributes<'a>,
}

fn text_op(op: CompareOp) -> TextOp {
    match op {
        CompareOp::Eq => TextOp::Eq,
        CompareOp::Ne => TextOp::Ne,
        CompareOp::Co => TextOp::Co,
        CompareOp::Sw => TextOp::Sw,
        CompareOp::Ew => TextOp::Ew,
        CompareOp::Gt => TextOp::Gt,
        CompareOp::Ge => TextOp::Ge,
        CompareOp::Lt => TextOp::Lt,
        CompareOp::Le => TextOp::Le,
    }
}

/// A boolean from a filter value; Entra ID sends `"True"` and `"False"`.
fn bool_value(value: &CompValue) -> Option<bool> {
    match value {
        CompValue::Bool(b) => Some(*b),
        CompValue::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        CompValue::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// How a string comparison of two known values comes out (for the fixed
/// sub-attributes such as `type`).
fn compare_fixed(have: &str, op: CompareOp, want: &str, case_exact: bool) -> bool {
    let (h, w) = if case_exact {
        (have.to_owned(), want.to_owned())
    } else {
        (fold_case(have), fold_case(want))
    };
    match op {
        CompareOp::Eq => h == w,
        CompareOp::Ne => h != w,
        CompareOp::Co => h.contains(&w),
        CompareOp::Sw => h.starts_with(&w),
        CompareOp::Ew => h.ends_with(&w),
        CompareOp::Gt => h > w,
        CompareOp::Ge => h >= w,
        CompareOp::Lt => h < w,
        CompareOp::Le => h <= w,
    }
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
                let Target::Multi(multi) = self.resolve(&vp.attr)? else {
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

    /// A value filter tested on one element; the element must exist.
    fn element_filter(&self, f: &Filter, e: &Element) -> Result<Cond, LowerError> {
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
                return self
                    .attrs
                    .find(&path.name)
                    .map(|n| Target::Text {
                        text: Text::Attribute(n.to_owned()),
                        case_exact: false,
                    })
                    .ok_or_else(unknown);
            }
            Some(u) if u == ENTERPRISE_URN.to_ascii_lowercase() => {
                if sub.is_some()
                    || !super::resource::ENTERPRISE_ATTRIBUTES
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case(&path.name))
                {
                    return Err(unknown());
                }
                return self
                    .attrs
                    .find(&path.name)
                    .map(|n| Target::Text {
                        text: Text::Attribute(n.to_owned()),
                        case_exact: false,
                    })
                    .ok_or_else(unknown);
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
        }
    }
}

/// A string comparison; `fold` compares case-folded. Entra ID and Okta
/// send numbers and booleans unquoted now and then for string attributes
/// (`employeeNumber eq 42`): they are compared as their text.
fn text_cond(text: Text, fold: bool, op: CompareOp, value: &CompValue) -> Cond {
    let s = match value {
        CompValue::String(s) => s.clone(),
        CompValue::Number(n) => n.to_string(),
        CompValue::Bool(b) => b.to_string(),
        CompValue::Null => String::new(),
    };
    Cond::Text {
        text,
        op: text_op(op),
        value: if fold { fold_case(&s) } else { s },
        fold,
    }
}

/// `id eq` / `id ne` (of users or groups); an id that is no UUID matches
/// nothing.
fn id_compare(op: CompareOp, value: &CompValue) -> Result<Cond, LowerError> {
    let CompValue::String(s) = value else {
        return Err(LowerError(
            "id is a string; compare it with a quoted value".into(),
        ));
    };
    let id = Uuid::parse_str(s).ok();
    match op {
        CompareOp::Eq => Ok(id.map_or(Cond::Const(false), Cond::Id)),
        CompareOp::Ne => Ok(id.map_or(Cond::Const(true), |id| Cond::not(Cond::Id(id)))),
        _ => Err(LowerError(
            "id can be compared with eq, ne and pr only".into(),
        )),
    }
}

/// A comparison of `meta.created` or `meta.lastModified` with an RFC 3339
/// time.
fn time_compare(
    path: &AttrPath,
    column: TimeColumn,
    op: CompareOp,
    value: &CompValue,
) -> Result<Cond, LowerError> {
    let CompValue::String(s) = value else {
        return Err(LowerError(format!(
            "{path} is a dateTime; compare it with a quoted RFC 3339 time"
        )));
    };
    let at = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        LowerError(format!(
            "{path} is a dateTime; \"{s}\" is not an RFC 3339 time such as 2026-01-31T12:00:00Z"
        ))
    })?;
    let op = match op {
        CompareOp::Eq => OrderOp::Eq,
        CompareOp::Ne => OrderOp::Ne,
        CompareOp::Gt => OrderOp::Gt,
        CompareOp::Ge => OrderOp::Ge,
        CompareOp::Lt => OrderOp::Lt,
        CompareOp::Le => OrderOp::Le,
        _ => {
            return Err(LowerError(format!(
                "{path} is a dateTime: co, sw and ew do not apply"
            )));
        }
    };
    Ok(Cond::Time {
        column,
        op,
        value: at,
    })
}

enum Sub {
    Value,
    Type,
    Primary,
}

/// Lowers a filter on the Group resource: `displayName` (folded),
/// `externalId` and `id` (exact), `members` / `members.value` with `eq`
/// (Entra ID and Okta ask whether a user is a member this way), and the
/// `meta` times.
pub fn lower_group_filter(filter: &Filter) -> Result<Cond, LowerError> {
    Ok(match filter {
        Filter::And(parts) => Cond::and(
            parts
                .iter()
                .map(lower_group_filter)
                .collect::<Result<_, _>>()?,
        ),
        Filter::Or(parts) => Cond::or(
            parts
                .iter()
                .map(lower_group_filter)
                .collect::<Result<_, _>>()?,
        ),
        Filter::Not(inner) => Cond::not(lower_group_filter(inner)?),
        Filter::ValuePath(vp) => {
            if !vp.attr.name.eq_ignore_ascii_case("members") || vp.attr.sub_attr.is_some() {
                return Err(LowerError(format!(
                    "{} is not a multi-valued attribute of groups",
                    vp.attr
                )));
            }
            lower_member_filter(&vp.filter)?
        }
        Filter::Present(path) => group_present(path)?,
        // `eq null` is "absent", `ne null` "present" (as the evaluator).
        Filter::Compare {
            path,
            op,
            value: CompValue::Null,
        } => match op {
            CompareOp::Eq => Cond::not(group_present(path)?),
            CompareOp::Ne => group_present(path)?,
            _ => {
                return Err(LowerError(format!(
                    "null can only be compared with eq or ne ({path})"
                )));
            }
        },
        Filter::Compare { path, op, value } => match group_target(path)? {
            GroupTarget::Text(column) => {
                if !matches!(value, CompValue::String(_)) {
                    return Err(LowerError(format!(
                        "{path} is a string; compare it with a quoted value"
                    )));
                }
                text_cond(
                    Text::Column(column),
                    column == TextColumn::GroupName,
                    *op,
                    value,
                )
            }
            GroupTarget::Members => member_compare(path, *op, value)?,
            GroupTarget::Id => id_compare(*op, value)?,
            GroupTarget::Time(column) => time_compare(path, column, *op, value)?,
            GroupTarget::Fixed(s) => match value {
                CompValue::String(v) => Cond::Const(compare_fixed(s, *op, v, false)),
                _ => {
                    return Err(LowerError(format!(
                        "{path} is a string; compare it with a quoted value"
                    )));
                }
            },
        },
    })
}

/// `pr` on a group attribute.
fn group_present(path: &AttrPath) -> Result<Cond, LowerError> {
    Ok(match group_target(path)? {
        GroupTarget::Members => Cond::Member(None),
        GroupTarget::Text(TextColumn::ExternalId) => {
            Cond::Present(Text::Column(TextColumn::ExternalId))
        }
        _ => Cond::Const(true),
    })
}

enum GroupTarget {
    Text(TextColumn),
    Members,
    Id,
    Time(TimeColumn),
    Fixed(&'static str),
}

fn group_target(path: &AttrPath) -> Result<GroupTarget, LowerError> {
    let unknown = || LowerError(format!("unknown attribute {path}"));
    match path.uri_key().as_deref() {
        None => {}
        Some(u) if u == super::resource::GROUP_URN.to_ascii_lowercase() => {}
        Some(_) => return Err(unknown()),
    }
    Ok(
        match (path.name_key().as_str(), path.sub_attr_key().as_deref()) {
            ("id", None) => GroupTarget::Id,
            ("displayname", None) => GroupTarget::Text(TextColumn::GroupName),
            ("externalid", None) => GroupTarget::Text(TextColumn::ExternalId),
            ("members", None | Some("value")) => GroupTarget::Members,
            ("meta", Some("created")) => GroupTarget::Time(TimeColumn::CreatedAt),
            ("meta", Some("lastmodified")) => GroupTarget::Time(TimeColumn::UpdatedAt),
            ("meta", Some("resourcetype")) => GroupTarget::Fixed("Group"),
            _ => return Err(unknown()),
        },
    )
}

fn member_compare(path: &AttrPath, op: CompareOp, value: &CompValue) -> Result<Cond, LowerError> {
    let CompValue::String(s) = value else {
        return Err(LowerError(format!(
            "{path} holds user ids; compare it with a quoted id"
        )));
    };
    let id = Uuid::parse_str(s).ok();
    match op {
        CompareOp::Eq => Ok(id.map_or(Cond::Const(false), |id| Cond::Member(Some(id)))),
        _ => Err(LowerError(format!("{path} can be compared with eq only"))),
    }
}

/// `members[value eq "…"]`, and `type eq "User"` beside it.
fn lower_member_filter(f: &Filter) -> Result<Cond, LowerError> {
    Ok(match f {
        Filter::And(parts) => Cond::and(
            parts
                .iter()
                .map(lower_member_filter)
                .collect::<Result<_, _>>()?,
        ),
        Filter::Or(parts) => Cond::or(
            parts
                .iter()
                .map(lower_member_filter)
                .collect::<Result<_, _>>()?,
        ),
        Filter::Compare { path, op, value } if path.uri.is_none() && path.sub_attr.is_none() => {
            match path.name_key().as_str() {
                "value" => member_compare(path, *op, value)?,
                "type" => match value {
                    CompValue::String(v) => Cond::Const(compare_fixed("User", *op, v, false)),
                    _ => return Err(LowerError("type is a string".into())),
                },
                _ => {
                    return Err(LowerError(format!(
                        "members[{path} …]: filter members by value or type"
                    )));
                }
            }
        }
        _ => {
            return Err(LowerError(
                "members[…] takes value eq \"<id>\" (and type)".into(),
            ));
        }
    })
}

/// The sort key of a `sortBy` attribute of groups.
pub fn group_sort_key(path: &AttrPath) -> Result<SortKey, LowerError> {
    match group_target(path)? {
        GroupTarget::Text(c) => Ok(SortKey::Text(Text::Column(c))),
        GroupTarget::Time(c) => Ok(SortKey::Time(c)),
        GroupTarget::Id => Ok(SortKey::Id),
        _ => Err(LowerError(format!("cannot sort by {path}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lower(src: &str) -> Result<Cond, LowerError> {
        let names = vec!["department".to_owned(), "costCenter".to_owned()];
        lower_user_filter(&Filter::parse(src).unwrap(), Attributes { names: &names })
    }

    fn folded(text: Text, op: TextOp, value: &str) -> Cond {
        Cond::Text {
            text,
            op,
            value: value.into(),
            fold: true,
        }
    }

    #[test]
    fn user_name_is_folded_and_external_id_exact() {
        assert_eq!(
            lower("USERNAME Eq \"Ab@X.org\"").unwrap(),
            folded(Text::Column(TextColumn::UserName), TextOp::Eq, "ab@x.org")
        );
        assert_eq!(
            lower("externalId eq \"AbC\"").unwrap(),
            Cond::Text {
                text: Text::Column(TextColumn::ExternalId),
                op: TextOp::Eq,
                value: "AbC".into(),
                fold: false
            }
        );
    }

    #[test]
    fn value_filters_test_each_stored_element() {
        let c = lower("emails[type eq \"work\" and value co \"@x\"]").unwrap();
        assert_eq!(
            c,
            Cond::And(vec![
                Cond::Present(Text::Column(TextColumn::EmailNorm)),
                folded(Text::Column(TextColumn::EmailNorm), TextOp::Co, "@x"),
            ])
        );
        let c = lower("emails[type eq \"home\"]").unwrap();
        assert_eq!(c, Cond::Present(Text::Column(TextColumn::PersonalEmail)));
        // Entra ID's form is the same condition inside the brackets.
        assert_eq!(
            lower("emails[type eq \"work\"].value eq \"A@x\"").unwrap(),
            lower("emails[type eq \"work\" and value eq \"a@x\"]").unwrap()
        );
    }

    #[test]
    fn active_accepts_entra_string_booleans() {
        assert_eq!(lower("active eq \"False\"").unwrap(), Cond::Active(false));
        assert_eq!(lower("active ne true").unwrap(), Cond::Active(false));
        assert!(lower("active gt true").is_err());
    }

    #[test]
    fn extension_attributes_need_a_definition() {
        assert_eq!(
            lower(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"R&D\""
            )
            .unwrap(),
            folded(Text::Attribute("department".into()), TextOp::Eq, "r&d")
        );
        assert!(
            lower("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division eq \"x\"")
                .is_err()
        );
        assert!(lower("nickName eq \"x\"").is_err());
        assert!(lower("urn:example:User:userName eq \"x\"").is_err());
    }

    #[test]
    fn constants_fold_away() {
        assert_eq!(
            lower("meta.resourceType eq \"User\"").unwrap(),
            Cond::Const(true)
        );
        assert_eq!(lower("not (userName pr)").unwrap(), Cond::Const(false));
        assert_eq!(lower("id eq \"not-a-uuid\"").unwrap(), Cond::Const(false));
        assert_eq!(
            lower("userName pr and active eq true").unwrap(),
            Cond::Active(true)
        );
    }

    #[test]
    fn times_must_be_rfc3339() {
        assert!(matches!(
            lower("meta.lastModified gt \"2026-01-01T00:00:00Z\"").unwrap(),
            Cond::Time {
                column: TimeColumn::UpdatedAt,
                op: OrderOp::Gt,
                ..
            }
        ));
        assert!(lower("meta.created gt \"yesterday\"").is_err());
        assert!(lower("meta.created sw \"2026\"").is_err());
    }
}
