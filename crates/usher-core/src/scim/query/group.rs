//! Group filters and sort keys: `displayName`, `externalId`, `id`, the
//! `meta` times, and membership (`members[value eq "…"]`).

use super::compare::{compare_fixed, id_compare, text_cond, time_compare};
use super::{Cond, LowerError, SortKey, Text, TextColumn, TimeColumn};
use usher_scim::{AttrPath, CompValue, CompareOp, Filter};
use uuid::Uuid;

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
        Some(u) if u == crate::scim::resource::GROUP_URN.to_ascii_lowercase() => {}
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
