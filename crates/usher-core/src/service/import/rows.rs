//! The rows of an import file, checked one by one with the admin API's
//! rules, and the emails and external ids the file has claimed so far (a
//! second row with either is refused wherever it is in the file).

use crate::attribute::AttributeSet;
use crate::error::ErrorCode;
use crate::import::{ImportState, RawRow, RowError};
use crate::mfa::TotpSecret;
use crate::role::{BuiltInNames, KnownRoles, RoleName, names_in};
use crate::user::NewUser;
use serde_json::Value;
use std::collections::HashMap;

/// The columns of an export that only Usher sets.
const READ_ONLY: [&str; 5] = [
    "id",
    "mfa_enrolled",
    "created_at",
    "updated_at",
    "last_login_at",
];

/// What the rows of an import are checked against: the tenant's attribute
/// definitions and its own roles, read once for the run.
pub(super) struct RowRules {
    pub(super) attrs: AttributeSet,
    pub(super) roles: KnownRoles,
}

/// A row checked and ready to be matched.
pub(super) struct Checked {
    pub(super) line: u32,
    pub(super) object: serde_json::Map<String, Value>,
    pub(super) new: NewUser,
    pub(super) state: Option<ImportState>,
    /// The `archived` flag, when the row gives it.
    pub(super) archived: Option<bool>,
    pub(super) password_hash: Option<String>,
    pub(super) totp_secret: Option<Vec<u8>>,
    /// The tenant roles the user is to hold exactly, when the row gives
    /// `roles`; `None` leaves the user's roles as they are.
    pub(super) roles: Option<Vec<RoleName>>,
}

fn text(
    object: &mut serde_json::Map<String, Value>,
    key: &str,
    errors: &mut Vec<RowError>,
    line: u32,
) -> Option<String> {
    match object.remove(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(_) => {
            errors.push(RowError::new(
                line,
                Some(key),
                ErrorCode::InvalidType,
                "must be a string",
            ));
            None
        }
    }
}

/// The roles a row gives: names separated by spaces (as an export writes
/// them), commas or semicolons, or a JSON array of names; each one of the
/// tenant's own. Built-in admin role names are left out: an import never
/// gives or takes admin roles, and an export lists them.
fn row_roles(
    object: &mut serde_json::Map<String, Value>,
    known: &KnownRoles,
    errors: &mut Vec<RowError>,
    line: u32,
) -> Option<Vec<RoleName>> {
    // A blank cell leaves the field out, as for every column.
    let value = object
        .remove("roles")
        .filter(|v| !v.as_str().is_some_and(|s| s.trim().is_empty()))?;
    let Some(names) = names_in(&value) else {
        errors.push(RowError::new(
            line,
            Some("roles"),
            ErrorCode::InvalidType,
            "must be role names separated by spaces, or an array of role names",
        ));
        return None;
    };
    match known.resolve("roles", &names, BuiltInNames::Skip) {
        Ok(held) => Some(held),
        Err(bad) => {
            errors.extend(
                bad.into_iter()
                    .map(|e| RowError::new(line, Some(&e.field), e.code, e.message)),
            );
            None
        }
    }
}

/// Checks one row: its extra keys, then its profile with the API's rules.
fn check(row: RawRow, rules: &RowRules) -> Result<Checked, Vec<RowError>> {
    let RawRow { line, mut object } = row;
    let mut errors = Vec::new();
    let roles = row_roles(&mut object, &rules.roles, &mut errors, line);
    let state = text(&mut object, "state", &mut errors, line).and_then(|s| {
        let parsed = ImportState::parse(&s);
        if parsed.is_none() {
            errors.push(RowError::new(
                line,
                Some("state"),
                ErrorCode::InvalidState,
                "must be active, not_invited, invite, blocked or disabled (or another state an export shows)",
            ));
        }
        parsed
    });
    let password_hash = text(&mut object, "password_hash", &mut errors, line);
    if let Some(h) = &password_hash
        && let Err(e) = crate::password::check_importable(h)
    {
        errors.push(RowError::new(
            line,
            Some("password_hash"),
            e.code,
            e.message,
        ));
    }
    let totp_secret = text(&mut object, "totp_secret", &mut errors, line).and_then(|s| {
        let secret = TotpSecret::from_base32(&s).map(|t| t.bytes().to_vec());
        if secret.is_none() {
            errors.push(RowError::new(
                line,
                Some("totp_secret"),
                ErrorCode::InvalidTotpSecret,
                "must be a base32 secret of at least 128 bits",
            ));
        }
        secret
    });
    // Columns an export writes that only Usher sets: read and ignored, so
    // that an export can be imported back (`id` does not carry over: a
    // user is matched by external id or email).
    for key in READ_ONLY {
        object.remove(key);
    }
    let archived = text(&mut object, "archived", &mut errors, line).and_then(|s| {
        match s.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                errors.push(RowError::new(
                    line,
                    Some("archived"),
                    ErrorCode::InvalidType,
                    "must be true or false",
                ));
                None
            }
        }
    });
    for key in ["send_invitation", "activate"] {
        if object.contains_key(key) {
            errors.push(RowError::new(
                line,
                Some(key),
                ErrorCode::UnknownField,
                "an import sets the state with the state column",
            ));
        }
    }
    let new = match NewUser::from_json(Value::Object(object.clone()), &rules.attrs) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.extend(RowError::from_error(line, &e));
            None
        }
    };
    match new {
        Some(new) if errors.is_empty() => Ok(Checked {
            line,
            object,
            new,
            state,
            archived,
            password_hash,
            totp_secret,
            roles,
        }),
        _ => Err(errors),
    }
}

/// What earlier batches of the file claimed: a second row with the same
/// email or external id is refused wherever it is.
#[derive(Default)]
pub(super) struct Seen {
    emails: HashMap<String, u32>,
    externals: HashMap<String, u32>,
}

impl Seen {
    /// Checks a batch's rows and claims their emails and external ids:
    /// answers the rows that passed, adding every error to `errors`.
    pub(super) fn screen(
        &mut self,
        rows: Vec<RawRow>,
        rules: &RowRules,
        errors: &mut Vec<RowError>,
    ) -> Vec<Checked> {
        let mut checked = Vec::with_capacity(rows.len());
        for row in rows {
            match check(row, rules) {
                Ok(c) => {
                    let email = c.new.email.normalized().to_owned();
                    if let Some(first) = self.emails.insert(email, c.line) {
                        errors.push(RowError::new(
                            c.line,
                            Some("email"),
                            ErrorCode::DuplicateInFile,
                            format!("the same email as line {first}"),
                        ));
                        continue;
                    }
                    if let Some(x) = &c.new.external_id
                        && let Some(first) = self.externals.insert(x.as_str().to_owned(), c.line)
                    {
                        errors.push(RowError::new(
                            c.line,
                            Some("external_id"),
                            ErrorCode::DuplicateInFile,
                            format!("the same external id as line {first}"),
                        ));
                        continue;
                    }
                    checked.push(c);
                }
                Err(e) => errors.extend(e),
            }
        }
        checked
    }
}
