//! Two narrowings of the user list that The Identity Hub and Entra ID
//! offer their admins: which properties a search looks at (`fields=`), and
//! when users last logged in (`last_login_before`, `last_login_after`,
//! `never_logged_in`).
//!
//! Without `fields` a search looks at every term of the search index
//! (see [`crate::search`]). With it, a user matches when one of the named
//! properties starts with the search, each compared the way it is stored:
//! email, names and username ignoring case, the external id exactly (it is
//! `caseExact` in SCIM, and Entra ID's object ids and UPNs are written one
//! way), and `id` only as the whole id.

use crate::error::{Error, ErrorCode};
use crate::ids::UserId;
use crate::search::SearchPrefix;
use crate::user::User;
use crate::user::fields::fold_case;
use std::str::FromStr;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A property a search may be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SearchField {
    Email,
    /// First name, last name, or both as "first last".
    Name,
    Username,
    ExternalId,
    /// The whole id, nothing shorter.
    Id,
}

impl SearchField {
    pub const ALL: [SearchField; 5] = [
        SearchField::Email,
        SearchField::Name,
        SearchField::Username,
        SearchField::ExternalId,
        SearchField::Id,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchField::Email => "email",
            SearchField::Name => "name",
            SearchField::Username => "username",
            SearchField::ExternalId => "external_id",
            SearchField::Id => "id",
        }
    }

    /// Whether every user this field matches has a search-index term that
    /// the search starts: the index then reads a superset of the matches.
    pub fn in_search_index(self) -> bool {
        matches!(
            self,
            SearchField::Email | SearchField::Name | SearchField::Username
        )
    }
}

/// The properties of a `fields=` parameter: distinct, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchFields(Vec<SearchField>);

impl SearchFields {
    /// Parses `email,name,…`; an unknown or empty name is 400
    /// `invalid_parameter`, naming it and the known ones.
    pub fn parse(input: &str) -> Result<Self, Error> {
        let mut fields = Vec::new();
        for name in input.split(',').map(str::trim) {
            let field = SearchField::ALL
                .into_iter()
                .find(|f| f.as_str() == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = SearchField::ALL.iter().map(|f| f.as_str()).collect();
                    Error::bad_request(
                        ErrorCode::InvalidParameter,
                        format!(
                            "fields: {name:?} is not a property a search looks at; use {}",
                            known.join(", ")
                        ),
                    )
                })?;
            fields.push(field);
        }
        fields.sort();
        fields.dedup();
        Ok(Self(fields))
    }

    pub fn iter(&self) -> impl Iterator<Item = SearchField> + '_ {
        self.0.iter().copied()
    }

    pub fn contains(&self, field: SearchField) -> bool {
        self.0.contains(&field)
    }

    /// Whether the search index holds every match (no `external_id`, no
    /// `id`).
    pub fn all_in_search_index(&self) -> bool {
        self.iter().all(SearchField::in_search_index)
    }

    /// The fields whose matches the search index does not hold, if any.
    pub fn outside_search_index(&self) -> Option<SearchFields> {
        let others: Vec<SearchField> = self.iter().filter(|f| !f.in_search_index()).collect();
        (!others.is_empty()).then_some(Self(others))
    }

    /// The text form, for audit events and links.
    pub fn to_param(&self) -> String {
        let names: Vec<&str> = self.iter().map(SearchField::as_str).collect();
        names.join(",")
    }
}

/// Whether `user` matches the search `p` in one of `fields`: the model
/// the stores' SQL follows (and the conformance suite checks them with).
pub fn field_matches(user: &User, p: &SearchPrefix, fields: &SearchFields) -> bool {
    let folded = p.lower();
    fields.iter().any(|field| match field {
        SearchField::Email => user.email.normalized().starts_with(folded),
        SearchField::Username => user
            .username
            .as_ref()
            .is_some_and(|u| u.normalized().starts_with(folded)),
        SearchField::Name => {
            let first = user.first_name.as_ref().map(|n| n.as_str());
            let last = user.last_name.as_ref().map(|n| n.as_str());
            let both = first.zip(last).map(|(f, l)| format!("{f} {l}"));
            [first, last, both.as_deref()]
                .into_iter()
                .flatten()
                .any(|n| fold_case(n).starts_with(folded))
        }
        SearchField::ExternalId => user
            .external_id
            .as_ref()
            .is_some_and(|e| e.as_str().starts_with(p.raw())),
        SearchField::Id => searched_id(p.raw()) == Some(user.id),
    })
}

/// The id a search names, when `id` is searched and the text is one.
pub fn searched_id(raw: &str) -> Option<UserId> {
    UserId::from_str(raw.trim()).ok()
}

/// When users last logged in. Users who never did have no time to
/// compare, so they match only `never: Some(true)`; `never: Some(false)`
/// is everyone who did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginFilter {
    /// Last login strictly before this instant.
    pub before: Option<OffsetDateTime>,
    /// Last login at or after this instant.
    pub after: Option<OffsetDateTime>,
    pub never: Option<bool>,
}

/// What a [`LoginFilter`] asks of `last_login_at`, as a store tests it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginTest {
    /// `last_login_at IS NULL`.
    Never,
    /// `last_login_at IS NOT NULL` and within the bounds.
    Within {
        after: Option<OffsetDateTime>,
        before: Option<OffsetDateTime>,
    },
    /// Nobody: `never_logged_in=true` with a bound on the last login.
    Nobody,
}

impl LoginFilter {
    pub fn is_empty(&self) -> bool {
        self.before.is_none() && self.after.is_none() && self.never.is_none()
    }

    /// The test a store applies; `None` when the filter is empty.
    pub fn test(&self) -> Option<LoginTest> {
        if self.is_empty() {
            return None;
        }
        let bounded = self.before.is_some() || self.after.is_some();
        Some(match (self.never, bounded) {
            (Some(true), true) => LoginTest::Nobody,
            (Some(true), false) => LoginTest::Never,
            _ => LoginTest::Within {
                after: self.after,
                before: self.before,
            },
        })
    }

    /// Whether a user whose last login was `last` matches (what the
    /// stores' SQL must agree with).
    pub fn matches(&self, last: Option<OffsetDateTime>) -> bool {
        match (self.test(), last) {
            (None, _) => true,
            (Some(LoginTest::Never), last) => last.is_none(),
            (Some(LoginTest::Nobody), _) | (Some(LoginTest::Within { .. }), None) => false,
            (Some(LoginTest::Within { after, before }), Some(t)) => {
                after.is_none_or(|a| t >= a) && before.is_none_or(|b| t < b)
            }
        }
    }

    /// Parses the three parameters; each bad value is named.
    pub fn parse(
        before: Option<&str>,
        after: Option<&str>,
        never: Option<&str>,
    ) -> Result<Self, Error> {
        let never = match never.filter(|s| !s.is_empty()) {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => {
                return Err(Error::bad_request(
                    ErrorCode::InvalidParameter,
                    "never_logged_in must be true or false",
                ));
            }
        };
        Ok(Self {
            before: instant("last_login_before", before)?,
            after: instant("last_login_after", after)?,
            never,
        })
    }
}

fn instant(name: &str, v: Option<&str>) -> Result<Option<OffsetDateTime>, Error> {
    match v.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => OffsetDateTime::parse(s, &Rfc3339).map(Some).map_err(|_| {
            Error::bad_request(
                ErrorCode::InvalidParameter,
                format!("{name} must be an RFC 3339 time such as 2026-01-31T12:00:00Z"),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn fields_parse_in_a_fixed_order_without_repeats() {
        let f = SearchFields::parse("name, email,name").unwrap();
        assert_eq!(f.to_param(), "email,name");
        assert!(f.all_in_search_index());
        assert!(!SearchFields::parse("id").unwrap().all_in_search_index());
    }

    #[test]
    fn an_unknown_field_is_an_invalid_parameter_naming_it() {
        for bad in ["upn", "", "email,", "Email"] {
            let e = SearchFields::parse(bad).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidParameter, "{bad:?}");
        }
        let e = SearchFields::parse("email,upn").unwrap_err();
        assert!(e.to_string().contains("\"upn\""), "{e}");
    }

    #[test]
    fn users_who_never_logged_in_match_only_never_logged_in_true() {
        let t = datetime!(2026-06-01 0:00 UTC);
        let before = LoginFilter {
            before: Some(t),
            ..LoginFilter::default()
        };
        assert!(!before.matches(None));
        assert!(before.matches(Some(datetime!(2026-05-31 23:59 UTC))));
        assert!(!before.matches(Some(t)));
        let after = LoginFilter {
            after: Some(t),
            ..LoginFilter::default()
        };
        assert!(after.matches(Some(t)) && !after.matches(None));
        let never = LoginFilter {
            never: Some(true),
            ..LoginFilter::default()
        };
        assert!(never.matches(None) && !never.matches(Some(t)));
        let ever = LoginFilter {
            never: Some(false),
            ..LoginFilter::default()
        };
        assert!(!ever.matches(None) && ever.matches(Some(t)));
        let contradiction = LoginFilter {
            never: Some(true),
            before: Some(t),
            ..LoginFilter::default()
        };
        assert_eq!(contradiction.test(), Some(LoginTest::Nobody));
        assert!(!contradiction.matches(None));
    }

    #[test]
    fn bad_login_parameters_are_named() {
        let e = LoginFilter::parse(Some("yesterday"), None, None).unwrap_err();
        assert!(e.to_string().contains("last_login_before"), "{e}");
        let e = LoginFilter::parse(None, None, Some("yes")).unwrap_err();
        assert!(e.to_string().contains("never_logged_in"), "{e}");
        assert!(LoginFilter::parse(None, Some(""), None).unwrap().is_empty());
    }
}
