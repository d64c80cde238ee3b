//! Every machine code Usher answers with, in one table ([`TABLE`], in
//! `table.rs`): the code, the HTTP status it comes with, and what it means.
//! The HTTP layer's answers must agree with it (checked in debug builds),
//! and the table in `docs/api-design.md` is made from it (a test fails
//! when the two differ). Field codes are the `code` of an entry of a 422's
//! `errors`; they come with `validation_failed`.

mod table;

use std::fmt;
use table::{Entry, TABLE};

/// A stable, machine-readable error code. The variants are in the order of
/// [`TABLE`], which holds what each one means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    MalformedJson,
    InvalidQuery,
    InvalidParameter,
    InvalidLimit,
    InvalidCursor,
    InvalidId,
    InvalidIfMatch,
    SearchTooShort,
    SearchTooLong,
    InvalidSearch,
    InvalidStateFilter,
    InvalidArchivedFilter,
    InvalidMfaFilter,
    InvalidTime,
    FilterTooLong,
    InvalidKindFilter,
    InvalidCsv,
    InvalidImportFile,
    InvalidFilter,
    InvalidSort,
    InvalidBody,
    UnknownSchema,
    InvalidLink,
    InvalidTokenName,
    TenantRequired,
    NotAnAdminSession,
    BootstrapTokenTooShort,
    InvalidSyntax,
    TooMany,
    InvalidPath,
    NoTarget,
    Mutability,
    InvalidMultipart,
    MissingFile,
    Unauthorized,
    InvalidCredentials,
    InvalidToken,
    InvalidCode,
    Forbidden,
    QuarantineOtherScope,
    UserBlocked,
    ReauthenticationRequired,
    NotFound,
    TenantNotFound,
    UserNotFound,
    AttributeNotFound,
    TokenNotFound,
    SessionNotFound,
    FactorNotFound,
    BulkProcessNotFound,
    GroupNotFound,
    JobNotFound,
    ImportNotFound,
    RoleNotFound,
    RoleNotAssigned,
    MethodNotAllowed,
    EmailTaken,
    UsernameTaken,
    ExternalIdTaken,
    SlugTaken,
    AttributeExists,
    AttributeInUse,
    RoleExists,
    RoleInUse,
    BuiltInRole,
    ScopeConflict,
    AlreadyBlocked,
    NotBlocked,
    AlreadyDisabled,
    NotDisabled,
    AlreadyArchived,
    InvalidState,
    LastSecondFactor,
    JobNotFailed,
    ImportMovedOn,
    TooManyImports,
    AlreadyEnrolled,
    GroupNameTaken,
    UnknownUser,
    DataChanged,
    DataMismatch,
    AdminUser,
    InvalidBulkState,
    TokenExists,
    VersionMismatch,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    TooManyAttempts,
    InternalError,
    ServiceUnavailable,
    Required,
    InvalidType,
    UnknownField,
    ReadOnly,
    TooLong,
    InvalidCharacters,
    InvalidEmail,
    InvalidPhone,
    InvalidLanguage,
    InvalidUsername,
    UnknownAttribute,
    UnknownGroup,
    UnknownRole,
    PatternMismatch,
    OutOfRange,
    InvalidValue,
    InvalidSlug,
    InvalidAttributeName,
    InvalidRoleName,
    InvalidRegex,
    ConflictsWithActivate,
    TooShort,
    CommonPassword,
    SameAsEmail,
    SameAsUsername,
    Mismatch,
    WrongPassword,
    ConfirmationRequired,
    InvalidAction,
    UnsupportedHashFormat,
    MalformedHash,
    HashCostTooHigh,
    TooManyEmails,
    UnreadableRow,
    TooManyCells,
    NotAnObject,
    DuplicateInFile,
    ConflictingMatch,
    InvalidTotpSecret,
}

impl ErrorCode {
    fn entry(self) -> &'static Entry {
        &TABLE[self as usize]
    }

    /// Every code, in the order of the documented table.
    pub fn all() -> impl Iterator<Item = ErrorCode> {
        TABLE.iter().map(|e| e.code)
    }

    /// The code named `s` (as stored, e.g. in an import's errors).
    pub fn parse(s: &str) -> Option<ErrorCode> {
        Self::all().find(|c| c.as_str() == s)
    }

    /// The code as clients see it.
    pub fn as_str(self) -> &'static str {
        self.entry().name
    }

    /// The HTTP status an answer with this code has (422 for field codes).
    pub fn status(self) -> u16 {
        self.entry().status
    }

    /// True for the codes of a 422's `errors` entries.
    pub fn is_field_code(self) -> bool {
        self.entry().field
    }

    /// What the code means, for the documented table.
    pub fn meaning(self) -> &'static str {
        self.entry().meaning
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<ErrorCode> for &str {
    fn eq(&self, other: &ErrorCode) -> bool {
        *self == other.as_str()
    }
}

/// The documented table of codes, in Markdown.
#[cfg(test)]
fn doc_table() -> String {
    let mut out = String::from("| status | code | meaning |\n|---|---|---|\n");
    for c in ErrorCode::all().filter(|c| !c.is_field_code()) {
        out.push_str(&format!(
            "| {} | `{}` | {} |\n",
            c.status(),
            c.as_str(),
            c.meaning()
        ));
    }
    out.push_str("\nField codes (the `code` of each entry of a 422's `errors`):\n\n| code | meaning |\n|---|---|\n");
    for c in ErrorCode::all().filter(|c| c.is_field_code()) {
        out.push_str(&format!("| `{}` | {} |\n", c.as_str(), c.meaning()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_table_holds_every_code_once_in_the_order_of_the_enum() {
        for (i, e) in TABLE.iter().enumerate() {
            assert_eq!(e.code as usize, i, "{} is out of place", e.name);
        }
        let names: HashSet<&str> = TABLE.iter().map(|e| e.name).collect();
        assert_eq!(names.len(), TABLE.len());
    }

    #[test]
    fn the_documented_table_of_codes_is_the_enum() {
        crate::doc_tables::check("docs/api-design.md", "error-codes", &doc_table());
    }
}
