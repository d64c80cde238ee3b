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
//! the resource [`user_resource`](super::resource::user_resource) builds: a multi-valued attribute
//! matches when any of its values does, `ne` and every other operator test
//! values that exist, and attributes are case-insensitive unless the schema
//! says `caseExact` (`id`, `externalId`, `meta.version`).
//!
//! Users are lowered in [`user`] (with the elements of `emails` and
//! `phoneNumbers` in `elements`, and `roles` in `roles`), groups in
//! [`group`]; the comparisons both share are in `compare`.

mod compare;
mod elements;
mod group;
mod roles;
#[cfg(test)]
mod tests;
mod user;

pub use group::{group_sort_key, lower_group_filter};
pub use user::{Attributes, lower_user_filter, user_sort_key};

use time::OffsetDateTime;
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
    /// The user holds the tenant's own role of this key (its name, case
    /// folded: [`crate::role::RoleName::key`]); with `None`, any of the
    /// tenant's own roles. Built-in admin roles never match (SCIM does not
    /// show them).
    Role(Option<String>),
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
