//! How PostgreSQL errors become domain errors: a unique violation of a
//! named constraint is the client's conflict, anything else is a store
//! failure. Also the one limit of PostgreSQL text that client input can
//! reach (NUL), so that it never becomes an error.

use usher_core::error::ErrorCode;
use usher_core::{Error, StoreError};

/// SQLSTATE `unique_violation`.
const UNIQUE_VIOLATION: &str = "23505";

/// The constraints and unique indexes (named in the migrations) whose
/// violation a client caused, with the conflict each one means.
const CONFLICTS: [(&str, ErrorCode, Option<&str>, &str); 8] = [
    (
        "groups_name",
        ErrorCode::GroupNameTaken,
        Some("displayName"),
        "a group with this name already exists",
    ),
    (
        "users_email",
        ErrorCode::EmailTaken,
        Some("email"),
        "a user with this email already exists",
    ),
    (
        "users_username",
        ErrorCode::UsernameTaken,
        Some("username"),
        "a user with this username already exists",
    ),
    (
        "users_external_id",
        ErrorCode::ExternalIdTaken,
        Some("external_id"),
        "a user with this external id already exists in this source",
    ),
    (
        "tenants_slug",
        ErrorCode::SlugTaken,
        Some("slug"),
        "a tenant with this slug already exists",
    ),
    (
        "attribute_definitions_name",
        ErrorCode::AttributeExists,
        Some("name"),
        "an attribute with this name already exists",
    ),
    (
        "roles_name",
        ErrorCode::RoleExists,
        Some("name"),
        "a role with this name already exists",
    ),
    (
        "api_tokens_hash",
        ErrorCode::TokenExists,
        None,
        "a token with this secret already exists",
    ),
];

/// A database failure as a store error.
pub(crate) fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Maps a unique violation of a known constraint to the conflict it means;
/// any other error is a store failure.
pub(crate) fn constraint(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e
        && db.code().as_deref() == Some(UNIQUE_VIOLATION)
    {
        let name = db.constraint().unwrap_or_default();
        if let Some((_, code, field, message)) = CONFLICTS.iter().find(|c| c.0 == name) {
            return Error::Conflict {
                code: *code,
                field: *field,
                message: (*message).to_owned(),
            };
        }
    }
    Error::Store(unavailable(e))
}

/// Converts sqlx results inside write operations.
pub(crate) trait DbExt<T> {
    /// Any error is a store failure.
    fn db(self) -> Result<T, Error>;
}

impl<T> DbExt<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, Error> {
        self.map_err(|e| Error::Store(unavailable(e)))
    }
}

/// Turns an error of a write that cannot be refused (a sweep, an audit
/// append) back into the store error it must be.
pub(crate) fn into_store(e: Error) -> StoreError {
    match e {
        Error::Store(s) => s,
        other => StoreError::Corrupt(other.to_string()),
    }
}

/// PostgreSQL text cannot hold NUL, which Rust strings can. A value from a
/// request that contains one (a crafted cursor, a filter) matches nothing
/// stored, since every stored text went through the same restriction; the
/// callers answer accordingly instead of failing on the bind.
pub(crate) fn has_nul(s: &str) -> bool {
    s.contains('\0')
}
