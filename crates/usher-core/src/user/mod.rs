//! Users: the record, what a create or an edit may contain, and how a
//! request body becomes one of those.

pub mod blocked;
pub mod fields;
pub mod state;

use crate::attribute::AttributeSet;
use crate::error::{Error, ErrorCode, ValidationErrors};
use crate::ids::{TenantId, UserId};
use crate::input::{ObjectReader, Patch};
pub use blocked::BlockedBy;
use fields::{Email, ExternalId, Language, PersonName, Phone, Username};
pub use state::{Action, UserState};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The source of users created in Usher itself.
pub const LOCAL_SOURCE: &str = "local";

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    /// The name to show (SCIM `displayName`), set by the admin or the
    /// provisioning client.
    pub display_name: Option<PersonName>,
    pub phone: Option<Phone>,
    pub personal_email: Option<Email>,
    pub username: Option<Username>,
    pub language: Language,
    /// The state as stored; read it through [`User::state`].
    pub stored_state: UserState,
    /// When the current invitation link stops working, while one is pending.
    pub invitation_expires_at: Option<OffsetDateTime>,
    pub archived: bool,
    pub source: String,
    pub external_id: Option<ExternalId>,
    pub attributes: BTreeMap<String, String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub signup_completed_at: Option<OffsetDateTime>,
    pub last_login_at: Option<OffsetDateTime>,
    pub last_failed_login_at: Option<OffsetDateTime>,
    pub mfa_enrolled: bool,
    pub version: i64,
    /// While blocked: who blocked and under which admin scope (a
    /// quarantine when scoped). `None` otherwise, and for blocks made
    /// before Usher kept it.
    pub blocked_by: Option<BlockedBy>,
}

impl User {
    /// The state at `now`: a pending invitation past its expiry reads as
    /// `expired_invitation`.
    pub fn state(&self, now: OffsetDateTime) -> UserState {
        state::effective_state(self.stored_state, self.invitation_expires_at, now)
    }

    /// Who blocked the user, while the user is blocked: a record left from
    /// an earlier block by a write that changed the state some other way
    /// (SCIM, an import) is not one.
    pub fn block_record(&self) -> Option<&BlockedBy> {
        self.blocked_by
            .as_ref()
            .filter(|_| self.stored_state == UserState::Blocked)
    }

    /// The fields that changed between two versions, for the audit log:
    /// `{"field": {"from": …, "to": …}}`.
    /// Whether the login timestamps differ: activity that is stored but,
    /// unlike an edit, neither bumps the version nor counts as a change
    /// (else every failed login by a stranger would break admins' ETags).
    pub fn activity_differs(&self, after: &User) -> bool {
        self.last_login_at != after.last_login_at
            || self.last_failed_login_at != after.last_failed_login_at
    }

    pub fn diff(&self, after: &User) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::{Value, json};
        let mut out = serde_json::Map::new();
        let mut field = |name: &str, a: Value, b: Value| {
            if a != b {
                out.insert(name.to_owned(), json!({"from": a, "to": b}));
            }
        };
        field("email", json!(self.email), json!(after.email));
        field(
            "first_name",
            json!(self.first_name),
            json!(after.first_name),
        );
        field("last_name", json!(self.last_name), json!(after.last_name));
        field(
            "display_name",
            json!(self.display_name),
            json!(after.display_name),
        );
        field("phone", json!(self.phone), json!(after.phone));
        field(
            "personal_email",
            json!(self.personal_email),
            json!(after.personal_email),
        );
        field("username", json!(self.username), json!(after.username));
        field("language", json!(self.language), json!(after.language));
        field(
            "external_id",
            json!(self.external_id),
            json!(after.external_id),
        );
        field("state", json!(self.stored_state), json!(after.stored_state));
        field("archived", json!(self.archived), json!(after.archived));
        field(
            "invitation_expires_at",
            json!(self.invitation_expires_at.map(rfc3339)),
            json!(after.invitation_expires_at.map(rfc3339)),
        );
        field(
            "signup_completed_at",
            json!(self.signup_completed_at.map(rfc3339)),
            json!(after.signup_completed_at.map(rfc3339)),
        );
        let keys: std::collections::BTreeSet<&String> = self
            .attributes
            .keys()
            .chain(after.attributes.keys())
            .collect();
        for k in keys {
            field(
                &format!("attributes.{k}"),
                json!(self.attributes.get(k)),
                json!(after.attributes.get(k)),
            );
        }
        out
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Read-only fields of the user resource: present in responses, refused in
/// create and edit bodies.
pub const READ_ONLY_FIELDS: &[&str] = &[
    "id",
    "state",
    "archived",
    "source",
    "created_at",
    "updated_at",
    "signup_completed_at",
    "last_login_at",
    "last_failed_login_at",
    "mfa_enrolled",
    "version",
    "blocked_by",
];

/// The body of a create, validated.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub display_name: Option<PersonName>,
    pub phone: Option<Phone>,
    pub personal_email: Option<Email>,
    pub username: Option<Username>,
    pub language: Language,
    pub external_id: Option<ExternalId>,
    pub attributes: BTreeMap<String, String>,
    pub send_invitation: bool,
    pub activate: bool,
}

/// The editable profile fields, shared by create and edit.
struct ProfileFields {
    email: Patch<Email>,
    first_name: Patch<PersonName>,
    last_name: Patch<PersonName>,
    display_name: Patch<PersonName>,
    phone: Patch<Phone>,
    personal_email: Patch<Email>,
    username: Patch<Username>,
    language: Patch<Language>,
    external_id: Patch<ExternalId>,
    attributes: BTreeMap<String, Option<String>>,
}

fn parse_field<T>(
    r: &mut ObjectReader,
    key: &str,
    parse: impl FnOnce(&str, &str) -> Result<T, crate::error::FieldError>,
) -> Patch<T> {
    match r.string(key) {
        Patch::Value(s) => match parse(key, &s) {
            Ok(v) => Patch::Value(v),
            Err(e) => {
                r.push(e);
                Patch::Absent
            }
        },
        Patch::Null => Patch::Null,
        Patch::Absent => Patch::Absent,
    }
}

fn read_profile(r: &mut ObjectReader, attrs: &AttributeSet) -> ProfileFields {
    let email = parse_field(r, "email", Email::parse);
    let first_name = parse_field(r, "first_name", |f, s| {
        PersonName::parse(f, s, PersonName::FIRST_MAX)
    });
    let last_name = parse_field(r, "last_name", |f, s| {
        PersonName::parse(f, s, PersonName::LAST_MAX)
    });
    let display_name = parse_field(r, "display_name", |f, s| {
        PersonName::parse(f, s, PersonName::DISPLAY_MAX)
    });
    let phone = parse_field(r, "phone", Phone::parse);
    let personal_email = parse_field(r, "personal_email", Email::parse);
    let username = parse_field(r, "username", Username::parse);
    let language = parse_field(r, "language", Language::parse);
    let external_id = parse_field(r, "external_id", ExternalId::parse);
    let attributes = match r.object("attributes") {
        Patch::Value(obj) => attrs.read_changes(obj, &mut r.errors),
        _ => BTreeMap::new(),
    };
    ProfileFields {
        email,
        first_name,
        last_name,
        display_name,
        phone,
        personal_email,
        username,
        language,
        external_id,
        attributes,
    }
}

impl NewUser {
    /// Parses a create body, checking custom attributes against `attrs`.
    pub fn from_json(body: serde_json::Value, attrs: &AttributeSet) -> Result<Self, Error> {
        let mut r = ObjectReader::new(body).map_err(Error::Validation)?;
        let p = read_profile(&mut r, attrs);
        let send_invitation = r.bool("send_invitation");
        let activate = r.bool("activate");
        r.read_only(READ_ONLY_FIELDS);
        let email_given = !matches!(p.email, Patch::Absent | Patch::Null);
        let email_errored = r.errors.0.iter().any(|e| e.field == "email");
        if !email_given && !email_errored {
            r.errors.add("email", ErrorCode::Required, "is required");
        }
        let activate = matches!(activate, Patch::Value(true));
        if activate && matches!(send_invitation, Patch::Value(true)) {
            r.errors.add(
                "send_invitation",
                ErrorCode::ConflictsWithActivate,
                "a user created active needs no invitation; leave send_invitation out or set it to false",
            );
        }
        let send_invitation = !activate && !matches!(send_invitation, Patch::Value(false));
        let errors = r.finish();
        let Patch::Value(email) = p.email else {
            return Err(Error::Validation(errors));
        };
        errors.into_result(NewUser {
            email,
            first_name: p.first_name.into_option(),
            last_name: p.last_name.into_option(),
            display_name: p.display_name.into_option(),
            phone: p.phone.into_option(),
            personal_email: p.personal_email.into_option(),
            username: p.username.into_option(),
            language: p.language.into_option().unwrap_or_default(),
            external_id: p.external_id.into_option(),
            attributes: p
                .attributes
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect(),
            send_invitation,
            activate,
        })
    }
}

/// A merge patch of a user's profile, validated.
#[derive(Debug, Clone)]
pub struct UserPatch {
    email: Patch<Email>,
    first_name: Patch<PersonName>,
    last_name: Patch<PersonName>,
    display_name: Patch<PersonName>,
    phone: Patch<Phone>,
    personal_email: Patch<Email>,
    username: Patch<Username>,
    language: Patch<Language>,
    external_id: Patch<ExternalId>,
    attributes: BTreeMap<String, Option<String>>,
}

impl UserPatch {
    pub fn from_json(body: serde_json::Value, attrs: &AttributeSet) -> Result<Self, Error> {
        let mut r = ObjectReader::new(body).map_err(Error::Validation)?;
        let p = read_profile(&mut r, attrs);
        if matches!(p.email, Patch::Null) {
            r.errors.add(
                "email",
                ErrorCode::Required,
                "cannot be removed: the email is the login name",
            );
        }
        r.read_only(READ_ONLY_FIELDS);
        r.read_only(&["send_invitation", "activate"]);
        let errors = r.finish();
        errors.into_result(UserPatch {
            email: p.email,
            first_name: p.first_name,
            last_name: p.last_name,
            display_name: p.display_name,
            phone: p.phone,
            personal_email: p.personal_email,
            username: p.username,
            language: p.language,
            external_id: p.external_id,
            attributes: p.attributes,
        })
    }

    /// Applies the patch to `user` in place.
    pub fn apply(self, user: &mut User) {
        if let Patch::Value(e) = self.email {
            user.email = e;
        }
        self.first_name.apply_to(&mut user.first_name);
        self.last_name.apply_to(&mut user.last_name);
        self.display_name.apply_to(&mut user.display_name);
        self.phone.apply_to(&mut user.phone);
        self.personal_email.apply_to(&mut user.personal_email);
        self.username.apply_to(&mut user.username);
        match self.language {
            Patch::Value(l) => user.language = l,
            Patch::Null => user.language = Language::default(),
            Patch::Absent => {}
        }
        self.external_id.apply_to(&mut user.external_id);
        for (k, v) in self.attributes {
            match v {
                Some(v) => user.attributes.insert(k, v),
                None => user.attributes.remove(&k),
            };
        }
    }
}

/// Which checks a refused request failed, for tests and the audit log.
pub fn validation_fields(e: &ValidationErrors) -> Vec<&str> {
    e.0.iter().map(|f| f.field.as_str()).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::attribute::{AttributeDefinition, AttributeName};
    use serde_json::json;

    fn attrs() -> AttributeSet {
        AttributeSet::new(vec![AttributeDefinition {
            name: AttributeName::parse("n", "department").unwrap(),
            label: "Department".into(),
            max_length: 5,
            regex: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }])
    }

    fn codes(e: Error) -> Vec<(String, &'static str)> {
        match e {
            Error::Validation(v) => {
                v.0.into_iter()
                    .map(|f| (f.field, f.code.as_str()))
                    .collect()
            }
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn create_needs_an_email_and_defaults_to_sending_an_invitation() {
        let u = NewUser::from_json(json!({"email": "a@b.co"}), &attrs()).unwrap();
        assert!(u.send_invitation && !u.activate);
        assert_eq!(u.language, Language::En);
        let u = NewUser::from_json(json!({"email": "a@b.co", "activate": true}), &attrs()).unwrap();
        assert!(!u.send_invitation && u.activate);
        let u = NewUser::from_json(
            json!({"email": "a@b.co", "send_invitation": false}),
            &attrs(),
        )
        .unwrap();
        assert!(!u.send_invitation);
    }

    #[test]
    fn create_names_every_bad_field_at_once() {
        let e = NewUser::from_json(
            json!({
                "first_name": "x".repeat(51),
                "phone": "12",
                "language": "xx",
                "attributes": {"department": "toolong", "nope": "1"},
                "state": "active",
                "colour": "blue",
                "send_invitation": "yes"
            }),
            &attrs(),
        )
        .unwrap_err();
        let got = codes(e);
        for expected in [
            ("email", "required"),
            ("first_name", "too_long"),
            ("phone", "invalid_phone"),
            ("language", "invalid_language"),
            ("attributes.department", "too_long"),
            ("attributes.nope", "unknown_attribute"),
            ("state", "read_only"),
            ("colour", "unknown_field"),
            ("send_invitation", "invalid_type"),
        ] {
            assert!(
                got.iter().any(|(f, c)| f == expected.0 && *c == expected.1),
                "missing {expected:?} in {got:?}"
            );
        }
        assert_eq!(got.len(), 9, "{got:?}");
    }

    #[test]
    fn activate_and_an_explicit_invitation_conflict() {
        let e = NewUser::from_json(
            json!({"email": "a@b.co", "activate": true, "send_invitation": true}),
            &attrs(),
        )
        .unwrap_err();
        assert_eq!(
            codes(e),
            vec![("send_invitation".to_owned(), "conflicts_with_activate")]
        );
    }

    #[test]
    fn a_patch_keeps_absent_fields_and_unsets_null_ones() {
        let mut user = sample_user();
        UserPatch::from_json(
            json!({"first_name": "Bo", "last_name": null, "attributes": {"department": "HR"}}),
            &attrs(),
        )
        .unwrap()
        .apply(&mut user);
        assert_eq!(user.first_name.as_ref().map(|n| n.as_str()), Some("Bo"));
        assert_eq!(user.last_name, None);
        assert_eq!(
            user.phone.as_ref().map(|p| p.as_str()),
            Some("+4915112345678")
        );
        assert_eq!(
            user.attributes.get("department").map(String::as_str),
            Some("HR")
        );
        UserPatch::from_json(json!({"attributes": {"department": null}}), &attrs())
            .unwrap()
            .apply(&mut user);
        assert!(user.attributes.is_empty());
    }

    #[test]
    fn a_patch_cannot_remove_the_email_or_touch_read_only_fields() {
        let e = UserPatch::from_json(json!({"email": null, "version": 3}), &attrs()).unwrap_err();
        assert_eq!(
            codes(e),
            vec![
                ("email".to_owned(), "required"),
                ("version".to_owned(), "read_only")
            ]
        );
    }

    #[test]
    fn diff_lists_only_changed_fields() {
        let a = sample_user();
        let mut b = a.clone();
        b.first_name = Some(PersonName::parse("f", "Zed", 50).unwrap());
        b.attributes.insert("department".into(), "IT".into());
        let d = b.diff(&a);
        assert_eq!(d.len(), 2);
        assert_eq!(d["first_name"], json!({"from": "Zed", "to": "Ann"}));
        assert_eq!(
            d["attributes.department"],
            json!({"from": "IT", "to": null})
        );
    }

    pub(crate) fn sample_user() -> User {
        let t = OffsetDateTime::UNIX_EPOCH;
        User {
            id: UserId::nil(),
            tenant_id: TenantId::nil(),
            email: Email::parse("email", "ann@example.com").unwrap(),
            first_name: Some(PersonName::parse("f", "Ann", 50).unwrap()),
            last_name: Some(PersonName::parse("l", "Lee", 100).unwrap()),
            display_name: None,
            phone: Some(Phone::parse("p", "+4915112345678").unwrap()),
            personal_email: None,
            username: None,
            language: Language::En,
            stored_state: UserState::Active,
            invitation_expires_at: None,
            archived: false,
            source: LOCAL_SOURCE.into(),
            external_id: None,
            attributes: BTreeMap::new(),
            created_at: t,
            updated_at: t,
            signup_completed_at: Some(t),
            last_login_at: None,
            last_failed_login_at: None,
            mfa_enrolled: false,
            version: 1,
            blocked_by: None,
        }
    }
}
