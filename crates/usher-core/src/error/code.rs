//! Every machine code Usher answers with, in one table: the code, the
//! HTTP status it comes with, and what it means. The HTTP layer takes the
//! status from here, and the table in `docs/api-design.md` is made from
//! it (a test fails when the two differ). Field codes are the `code` of an
//! entry of a 422's `errors`; they come with `validation_failed`.

use std::fmt;

/// A stable, machine-readable error code.
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
    InvalidCsv,
    InvalidImportFile,
    InvalidFilter,
    InvalidSort,
    InvalidBody,
    UnknownSchema,
    InvalidLink,
    InvalidTokenName,
    TenantRequired,
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
    UserBlocked,
    NotFound,
    TenantNotFound,
    UserNotFound,
    AttributeNotFound,
    TokenNotFound,
    SessionNotFound,
    FactorNotFound,
    BulkProcessNotFound,
    GroupNotFound,
    MethodNotAllowed,
    EmailTaken,
    UsernameTaken,
    ExternalIdTaken,
    SlugTaken,
    AttributeExists,
    AttributeInUse,
    AlreadyBlocked,
    NotBlocked,
    AlreadyDisabled,
    NotDisabled,
    AlreadyArchived,
    InvalidState,
    LastSecondFactor,
    AlreadyEnrolled,
    GroupNameTaken,
    UnknownUser,
    DataChanged,
    DataMismatch,
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
    PatternMismatch,
    OutOfRange,
    InvalidValue,
    InvalidSlug,
    InvalidAttributeName,
    InvalidRegex,
    ConflictsWithActivate,
    TooShort,
    CommonPassword,
    SameAsEmail,
    SameAsUsername,
    Mismatch,
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
    /// Every code, in the order of the documented table.
    pub const ALL: &[ErrorCode] = &[
        ErrorCode::MalformedJson,
        ErrorCode::InvalidQuery,
        ErrorCode::InvalidParameter,
        ErrorCode::InvalidLimit,
        ErrorCode::InvalidCursor,
        ErrorCode::InvalidId,
        ErrorCode::InvalidIfMatch,
        ErrorCode::SearchTooShort,
        ErrorCode::SearchTooLong,
        ErrorCode::InvalidSearch,
        ErrorCode::InvalidStateFilter,
        ErrorCode::InvalidArchivedFilter,
        ErrorCode::InvalidMfaFilter,
        ErrorCode::InvalidTime,
        ErrorCode::FilterTooLong,
        ErrorCode::InvalidCsv,
        ErrorCode::InvalidImportFile,
        ErrorCode::InvalidFilter,
        ErrorCode::InvalidSort,
        ErrorCode::InvalidBody,
        ErrorCode::UnknownSchema,
        ErrorCode::InvalidLink,
        ErrorCode::InvalidTokenName,
        ErrorCode::TenantRequired,
        ErrorCode::BootstrapTokenTooShort,
        ErrorCode::InvalidSyntax,
        ErrorCode::TooMany,
        ErrorCode::InvalidPath,
        ErrorCode::NoTarget,
        ErrorCode::Mutability,
        ErrorCode::InvalidMultipart,
        ErrorCode::MissingFile,
        ErrorCode::Unauthorized,
        ErrorCode::InvalidCredentials,
        ErrorCode::InvalidToken,
        ErrorCode::InvalidCode,
        ErrorCode::Forbidden,
        ErrorCode::UserBlocked,
        ErrorCode::NotFound,
        ErrorCode::TenantNotFound,
        ErrorCode::UserNotFound,
        ErrorCode::AttributeNotFound,
        ErrorCode::TokenNotFound,
        ErrorCode::SessionNotFound,
        ErrorCode::FactorNotFound,
        ErrorCode::BulkProcessNotFound,
        ErrorCode::GroupNotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::EmailTaken,
        ErrorCode::UsernameTaken,
        ErrorCode::ExternalIdTaken,
        ErrorCode::SlugTaken,
        ErrorCode::AttributeExists,
        ErrorCode::AttributeInUse,
        ErrorCode::AlreadyBlocked,
        ErrorCode::NotBlocked,
        ErrorCode::AlreadyDisabled,
        ErrorCode::NotDisabled,
        ErrorCode::AlreadyArchived,
        ErrorCode::InvalidState,
        ErrorCode::LastSecondFactor,
        ErrorCode::AlreadyEnrolled,
        ErrorCode::GroupNameTaken,
        ErrorCode::UnknownUser,
        ErrorCode::DataChanged,
        ErrorCode::DataMismatch,
        ErrorCode::InvalidBulkState,
        ErrorCode::TokenExists,
        ErrorCode::VersionMismatch,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::ValidationFailed,
        ErrorCode::TooManyAttempts,
        ErrorCode::InternalError,
        ErrorCode::ServiceUnavailable,
        ErrorCode::Required,
        ErrorCode::InvalidType,
        ErrorCode::UnknownField,
        ErrorCode::ReadOnly,
        ErrorCode::TooLong,
        ErrorCode::InvalidCharacters,
        ErrorCode::InvalidEmail,
        ErrorCode::InvalidPhone,
        ErrorCode::InvalidLanguage,
        ErrorCode::InvalidUsername,
        ErrorCode::UnknownAttribute,
        ErrorCode::PatternMismatch,
        ErrorCode::OutOfRange,
        ErrorCode::InvalidValue,
        ErrorCode::InvalidSlug,
        ErrorCode::InvalidAttributeName,
        ErrorCode::InvalidRegex,
        ErrorCode::ConflictsWithActivate,
        ErrorCode::TooShort,
        ErrorCode::CommonPassword,
        ErrorCode::SameAsEmail,
        ErrorCode::SameAsUsername,
        ErrorCode::Mismatch,
        ErrorCode::ConfirmationRequired,
        ErrorCode::InvalidAction,
        ErrorCode::UnsupportedHashFormat,
        ErrorCode::MalformedHash,
        ErrorCode::HashCostTooHigh,
        ErrorCode::TooManyEmails,
        ErrorCode::UnreadableRow,
        ErrorCode::TooManyCells,
        ErrorCode::NotAnObject,
        ErrorCode::DuplicateInFile,
        ErrorCode::ConflictingMatch,
        ErrorCode::InvalidTotpSecret,
    ];

    /// The code as clients see it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::InvalidParameter => "invalid_parameter",
            ErrorCode::InvalidLimit => "invalid_limit",
            ErrorCode::InvalidCursor => "invalid_cursor",
            ErrorCode::InvalidId => "invalid_id",
            ErrorCode::InvalidIfMatch => "invalid_if_match",
            ErrorCode::SearchTooShort => "search_too_short",
            ErrorCode::SearchTooLong => "search_too_long",
            ErrorCode::InvalidSearch => "invalid_search",
            ErrorCode::InvalidStateFilter => "invalid_state_filter",
            ErrorCode::InvalidArchivedFilter => "invalid_archived_filter",
            ErrorCode::InvalidMfaFilter => "invalid_mfa_filter",
            ErrorCode::InvalidTime => "invalid_time",
            ErrorCode::FilterTooLong => "filter_too_long",
            ErrorCode::InvalidCsv => "invalid_csv",
            ErrorCode::InvalidImportFile => "invalid_import_file",
            ErrorCode::InvalidFilter => "invalid_filter",
            ErrorCode::InvalidSort => "invalid_sort",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::UnknownSchema => "unknown_schema",
            ErrorCode::InvalidLink => "invalid_link",
            ErrorCode::InvalidTokenName => "invalid_token_name",
            ErrorCode::TenantRequired => "tenant_required",
            ErrorCode::BootstrapTokenTooShort => "bootstrap_token_too_short",
            ErrorCode::InvalidSyntax => "invalid_syntax",
            ErrorCode::TooMany => "too_many",
            ErrorCode::InvalidPath => "invalid_path",
            ErrorCode::NoTarget => "no_target",
            ErrorCode::Mutability => "mutability",
            ErrorCode::InvalidMultipart => "invalid_multipart",
            ErrorCode::MissingFile => "missing_file",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InvalidCode => "invalid_code",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::UserBlocked => "user_blocked",
            ErrorCode::NotFound => "not_found",
            ErrorCode::TenantNotFound => "tenant_not_found",
            ErrorCode::UserNotFound => "user_not_found",
            ErrorCode::AttributeNotFound => "attribute_not_found",
            ErrorCode::TokenNotFound => "token_not_found",
            ErrorCode::SessionNotFound => "session_not_found",
            ErrorCode::FactorNotFound => "factor_not_found",
            ErrorCode::BulkProcessNotFound => "bulk_process_not_found",
            ErrorCode::GroupNotFound => "group_not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::EmailTaken => "email_taken",
            ErrorCode::UsernameTaken => "username_taken",
            ErrorCode::ExternalIdTaken => "external_id_taken",
            ErrorCode::SlugTaken => "slug_taken",
            ErrorCode::AttributeExists => "attribute_exists",
            ErrorCode::AttributeInUse => "attribute_in_use",
            ErrorCode::AlreadyBlocked => "already_blocked",
            ErrorCode::NotBlocked => "not_blocked",
            ErrorCode::AlreadyDisabled => "already_disabled",
            ErrorCode::NotDisabled => "not_disabled",
            ErrorCode::AlreadyArchived => "already_archived",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::LastSecondFactor => "last_second_factor",
            ErrorCode::AlreadyEnrolled => "already_enrolled",
            ErrorCode::GroupNameTaken => "group_name_taken",
            ErrorCode::UnknownUser => "unknown_user",
            ErrorCode::DataChanged => "data_changed",
            ErrorCode::DataMismatch => "data_mismatch",
            ErrorCode::InvalidBulkState => "invalid_bulk_state",
            ErrorCode::TokenExists => "token_exists",
            ErrorCode::VersionMismatch => "version_mismatch",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::Required => "required",
            ErrorCode::InvalidType => "invalid_type",
            ErrorCode::UnknownField => "unknown_field",
            ErrorCode::ReadOnly => "read_only",
            ErrorCode::TooLong => "too_long",
            ErrorCode::InvalidCharacters => "invalid_characters",
            ErrorCode::InvalidEmail => "invalid_email",
            ErrorCode::InvalidPhone => "invalid_phone",
            ErrorCode::InvalidLanguage => "invalid_language",
            ErrorCode::InvalidUsername => "invalid_username",
            ErrorCode::UnknownAttribute => "unknown_attribute",
            ErrorCode::PatternMismatch => "pattern_mismatch",
            ErrorCode::OutOfRange => "out_of_range",
            ErrorCode::InvalidValue => "invalid_value",
            ErrorCode::InvalidSlug => "invalid_slug",
            ErrorCode::InvalidAttributeName => "invalid_attribute_name",
            ErrorCode::InvalidRegex => "invalid_regex",
            ErrorCode::ConflictsWithActivate => "conflicts_with_activate",
            ErrorCode::TooShort => "too_short",
            ErrorCode::CommonPassword => "common_password",
            ErrorCode::SameAsEmail => "same_as_email",
            ErrorCode::SameAsUsername => "same_as_username",
            ErrorCode::Mismatch => "mismatch",
            ErrorCode::ConfirmationRequired => "confirmation_required",
            ErrorCode::InvalidAction => "invalid_action",
            ErrorCode::UnsupportedHashFormat => "unsupported_hash_format",
            ErrorCode::MalformedHash => "malformed_hash",
            ErrorCode::HashCostTooHigh => "hash_cost_too_high",
            ErrorCode::TooManyEmails => "too_many_emails",
            ErrorCode::UnreadableRow => "unreadable_row",
            ErrorCode::TooManyCells => "too_many_cells",
            ErrorCode::NotAnObject => "not_an_object",
            ErrorCode::DuplicateInFile => "duplicate_in_file",
            ErrorCode::ConflictingMatch => "conflicting_match",
            ErrorCode::InvalidTotpSecret => "invalid_totp_secret",
        }
    }

    /// The HTTP status an answer with this code has (422 for field codes).
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::MalformedJson
            | ErrorCode::InvalidQuery
            | ErrorCode::InvalidParameter
            | ErrorCode::InvalidLimit
            | ErrorCode::InvalidCursor
            | ErrorCode::InvalidId
            | ErrorCode::InvalidIfMatch
            | ErrorCode::SearchTooShort
            | ErrorCode::SearchTooLong
            | ErrorCode::InvalidSearch
            | ErrorCode::InvalidStateFilter
            | ErrorCode::InvalidArchivedFilter
            | ErrorCode::InvalidMfaFilter
            | ErrorCode::InvalidTime
            | ErrorCode::FilterTooLong
            | ErrorCode::InvalidCsv
            | ErrorCode::InvalidImportFile
            | ErrorCode::InvalidFilter
            | ErrorCode::InvalidSort
            | ErrorCode::InvalidBody
            | ErrorCode::UnknownSchema
            | ErrorCode::InvalidLink
            | ErrorCode::InvalidTokenName
            | ErrorCode::TenantRequired
            | ErrorCode::BootstrapTokenTooShort
            | ErrorCode::InvalidSyntax
            | ErrorCode::TooMany
            | ErrorCode::InvalidPath
            | ErrorCode::NoTarget
            | ErrorCode::Mutability
            | ErrorCode::InvalidMultipart
            | ErrorCode::MissingFile => 400,
            ErrorCode::Unauthorized
            | ErrorCode::InvalidCredentials
            | ErrorCode::InvalidToken
            | ErrorCode::InvalidCode => 401,
            ErrorCode::Forbidden | ErrorCode::UserBlocked => 403,
            ErrorCode::NotFound
            | ErrorCode::TenantNotFound
            | ErrorCode::UserNotFound
            | ErrorCode::AttributeNotFound
            | ErrorCode::TokenNotFound
            | ErrorCode::SessionNotFound
            | ErrorCode::FactorNotFound
            | ErrorCode::BulkProcessNotFound
            | ErrorCode::GroupNotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::EmailTaken
            | ErrorCode::UsernameTaken
            | ErrorCode::ExternalIdTaken
            | ErrorCode::SlugTaken
            | ErrorCode::AttributeExists
            | ErrorCode::AttributeInUse
            | ErrorCode::AlreadyBlocked
            | ErrorCode::NotBlocked
            | ErrorCode::AlreadyDisabled
            | ErrorCode::NotDisabled
            | ErrorCode::AlreadyArchived
            | ErrorCode::InvalidState
            | ErrorCode::LastSecondFactor
            | ErrorCode::AlreadyEnrolled
            | ErrorCode::GroupNameTaken
            | ErrorCode::UnknownUser
            | ErrorCode::DataChanged
            | ErrorCode::DataMismatch
            | ErrorCode::InvalidBulkState
            | ErrorCode::TokenExists => 409,
            ErrorCode::VersionMismatch => 412,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::ValidationFailed
            | ErrorCode::Required
            | ErrorCode::InvalidType
            | ErrorCode::UnknownField
            | ErrorCode::ReadOnly
            | ErrorCode::TooLong
            | ErrorCode::InvalidCharacters
            | ErrorCode::InvalidEmail
            | ErrorCode::InvalidPhone
            | ErrorCode::InvalidLanguage
            | ErrorCode::InvalidUsername
            | ErrorCode::UnknownAttribute
            | ErrorCode::PatternMismatch
            | ErrorCode::OutOfRange
            | ErrorCode::InvalidValue
            | ErrorCode::InvalidSlug
            | ErrorCode::InvalidAttributeName
            | ErrorCode::InvalidRegex
            | ErrorCode::ConflictsWithActivate
            | ErrorCode::TooShort
            | ErrorCode::CommonPassword
            | ErrorCode::SameAsEmail
            | ErrorCode::SameAsUsername
            | ErrorCode::Mismatch
            | ErrorCode::ConfirmationRequired
            | ErrorCode::InvalidAction
            | ErrorCode::UnsupportedHashFormat
            | ErrorCode::MalformedHash
            | ErrorCode::HashCostTooHigh
            | ErrorCode::TooManyEmails
            | ErrorCode::UnreadableRow
            | ErrorCode::TooManyCells
            | ErrorCode::NotAnObject
            | ErrorCode::DuplicateInFile
            | ErrorCode::ConflictingMatch
            | ErrorCode::InvalidTotpSecret => 422,
            ErrorCode::TooManyAttempts => 429,
            ErrorCode::InternalError => 500,
            ErrorCode::ServiceUnavailable => 503,
        }
    }

    /// True for the codes of a 422's `errors` entries.
    pub const fn is_field_code(self) -> bool {
        matches!(
            self,
            ErrorCode::Required
                | ErrorCode::InvalidType
                | ErrorCode::UnknownField
                | ErrorCode::ReadOnly
                | ErrorCode::TooLong
                | ErrorCode::InvalidCharacters
                | ErrorCode::InvalidEmail
                | ErrorCode::InvalidPhone
                | ErrorCode::InvalidLanguage
                | ErrorCode::InvalidUsername
                | ErrorCode::UnknownAttribute
                | ErrorCode::PatternMismatch
                | ErrorCode::OutOfRange
                | ErrorCode::InvalidValue
                | ErrorCode::InvalidSlug
                | ErrorCode::InvalidAttributeName
                | ErrorCode::InvalidRegex
                | ErrorCode::ConflictsWithActivate
                | ErrorCode::TooShort
                | ErrorCode::CommonPassword
                | ErrorCode::SameAsEmail
                | ErrorCode::SameAsUsername
                | ErrorCode::Mismatch
                | ErrorCode::ConfirmationRequired
                | ErrorCode::InvalidAction
                | ErrorCode::UnsupportedHashFormat
                | ErrorCode::MalformedHash
                | ErrorCode::HashCostTooHigh
                | ErrorCode::TooManyEmails
                | ErrorCode::UnreadableRow
                | ErrorCode::TooManyCells
                | ErrorCode::NotAnObject
                | ErrorCode::DuplicateInFile
                | ErrorCode::ConflictingMatch
                | ErrorCode::InvalidTotpSecret
        )
    }

    /// What the code means, for the documented table.
    pub const fn meaning(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => {
                "the body is not JSON, or not an object where one is expected"
            }
            ErrorCode::InvalidQuery => "the query string cannot be read",
            ErrorCode::InvalidParameter => "a query parameter has a value it cannot take",
            ErrorCode::InvalidLimit => "`limit` is not a whole number from 1 to 200",
            ErrorCode::InvalidCursor => {
                "the cursor is not one Usher gave out; start again from the first page"
            }
            ErrorCode::InvalidId => "an id in the path is not a UUID",
            ErrorCode::InvalidIfMatch => "`If-Match` is not an ETag such as `W/\"3\"`",
            ErrorCode::SearchTooShort => "`search` is shorter than the tenant's minimum",
            ErrorCode::SearchTooLong => "`search` is longer than a search term may be",
            ErrorCode::InvalidSearch => "`search` holds control characters",
            ErrorCode::InvalidStateFilter => "`state` names no state",
            ErrorCode::InvalidArchivedFilter => "`archived` is not `true` or `false`",
            ErrorCode::InvalidMfaFilter => "`mfa` is not `true` or `false`",
            ErrorCode::InvalidTime => "a time filter of the audit log is not RFC 3339",
            ErrorCode::FilterTooLong => "an audit-log filter is longer than 200 characters",
            ErrorCode::InvalidCsv => {
                "a CSV file cannot be read (no header, no `id` or `email` column, a broken line)"
            }
            ErrorCode::InvalidImportFile => "an import file cannot be read, or has no rows",
            ErrorCode::InvalidFilter => "a SCIM filter or an audit filter cannot be parsed",
            ErrorCode::InvalidSort => "SCIM `sortBy` names no sortable attribute",
            ErrorCode::InvalidBody => "a SCIM body is not a resource of the expected kind",
            ErrorCode::UnknownSchema => "a SCIM body names a schema Usher does not know",
            ErrorCode::InvalidLink => {
                "an invitation or reset link is unknown, used or expired (one answer for all three)"
            }
            ErrorCode::InvalidTokenName => {
                "an API token name is empty, too long or holds control characters"
            }
            ErrorCode::TenantRequired => "a SCIM token must belong to a tenant",
            ErrorCode::BootstrapTokenTooShort => {
                "`USHER_BOOTSTRAP_TOKEN` is too short to be a secret"
            }
            ErrorCode::InvalidSyntax => {
                "SCIM: a PATCH request is not of the RFC 7644 form (scimType `invalidSyntax`)"
            }
            ErrorCode::TooMany => {
                "SCIM: a PATCH request has more operations than accepted (scimType `tooMany`)"
            }
            ErrorCode::InvalidPath => {
                "SCIM: a PATCH path names nothing Usher keeps (scimType `invalidPath`)"
            }
            ErrorCode::NoTarget => {
                "SCIM: a PATCH path selects no value to change (scimType `noTarget`)"
            }
            ErrorCode::Mutability => {
                "SCIM: a PATCH changes a read-only attribute (scimType `mutability`)"
            }
            ErrorCode::InvalidMultipart => "a multipart body cannot be read",
            ErrorCode::MissingFile => "a multipart upload has no `file` field",
            ErrorCode::Unauthorized => "no API token, or one Usher does not know (admin API)",
            ErrorCode::InvalidCredentials => "a login failed, whatever the cause",
            ErrorCode::InvalidToken => {
                "a session, access, refresh or second-factor token is unknown, expired or revoked"
            }
            ErrorCode::InvalidCode => "a TOTP or recovery code is wrong or spent",
            ErrorCode::Forbidden => "the caller may not do this",
            ErrorCode::UserBlocked => {
                "the account is blocked (told only to someone who gave its right password)"
            }
            ErrorCode::NotFound => "no such route",
            ErrorCode::TenantNotFound => "no such tenant, or one the caller may not see",
            ErrorCode::UserNotFound => "no such user in the tenant",
            ErrorCode::AttributeNotFound => "no such custom attribute",
            ErrorCode::TokenNotFound => "no such API token",
            ErrorCode::SessionNotFound => "no such session of the user",
            ErrorCode::FactorNotFound => "no such second factor of the user",
            ErrorCode::BulkProcessNotFound => "no such bulk process",
            ErrorCode::GroupNotFound => "no such group",
            ErrorCode::MethodNotAllowed => "the resource does not answer this method",
            ErrorCode::EmailTaken => "another user of the tenant has this email (ignoring case)",
            ErrorCode::UsernameTaken => {
                "another user of the tenant has this username (ignoring case)"
            }
            ErrorCode::ExternalIdTaken => "another user of the same source has this external id",
            ErrorCode::SlugTaken => "a tenant with this slug exists",
            ErrorCode::AttributeExists => "a custom attribute of this name exists (ignoring case)",
            ErrorCode::AttributeInUse => {
                "users hold values of the attribute; delete with `purge=true`"
            }
            ErrorCode::AlreadyBlocked => "the user is blocked already",
            ErrorCode::NotBlocked => "the user is not blocked",
            ErrorCode::AlreadyDisabled => "the user is disabled already",
            ErrorCode::NotDisabled => "the user is not disabled",
            ErrorCode::AlreadyArchived => "the user is archived already",
            ErrorCode::InvalidState => "the user's state does not allow this action",
            ErrorCode::LastSecondFactor => "the user's last second factor cannot be removed",
            ErrorCode::AlreadyEnrolled => "the login already has an authenticator app",
            ErrorCode::GroupNameTaken => {
                "another group of the tenant has this name (ignoring case)"
            }
            ErrorCode::UnknownUser => "a bulk row names no user of the tenant (any more)",
            ErrorCode::DataChanged => "a bulk row's user was changed after the upload checked it",
            ErrorCode::DataMismatch => "a bulk row's names or email no longer match its user",
            ErrorCode::InvalidBulkState => {
                "the bulk process is not in a state that allows this (started already, finished, cancelled)"
            }
            ErrorCode::TokenExists => "an API token with this secret exists",
            ErrorCode::VersionMismatch => "`If-Match` names another version than the current one",
            ErrorCode::PayloadTooLarge => "the body is larger than accepted (1 MiB for JSON)",
            ErrorCode::UnsupportedMediaType => "the body is of a type this endpoint does not read",
            ErrorCode::ValidationFailed => {
                "fields are invalid; `errors` names each with a field code below"
            }
            ErrorCode::TooManyAttempts => {
                "too many failed logins; try again after `Retry-After` seconds"
            }
            ErrorCode::InternalError => {
                "Usher failed; the cause is in its log, never in the answer"
            }
            ErrorCode::ServiceUnavailable => {
                "the database cannot be reached; try again (`Retry-After: 5`)"
            }
            ErrorCode::Required => "the field must be given",
            ErrorCode::InvalidType => "the value is of the wrong JSON type",
            ErrorCode::UnknownField => "no such field",
            ErrorCode::ReadOnly => "the field cannot be written",
            ErrorCode::TooLong => "the value is longer than allowed",
            ErrorCode::InvalidCharacters => "the value holds control characters",
            ErrorCode::InvalidEmail => "not a valid email address",
            ErrorCode::InvalidPhone => "not an E.164 phone number",
            ErrorCode::InvalidLanguage => "not a supported language",
            ErrorCode::InvalidUsername => "not a valid username",
            ErrorCode::UnknownAttribute => "no custom attribute of this name is defined",
            ErrorCode::PatternMismatch => "the value does not match the attribute's pattern",
            ErrorCode::OutOfRange => "the number is outside the allowed range",
            ErrorCode::InvalidValue => "the value is not one the field takes",
            ErrorCode::InvalidSlug => "not a valid tenant slug",
            ErrorCode::InvalidAttributeName => "not a valid attribute name",
            ErrorCode::InvalidRegex => "the pattern does not compile",
            ErrorCode::ConflictsWithActivate => "cannot be combined with `activate: true`",
            ErrorCode::TooShort => "the password is shorter than the tenant's minimum",
            ErrorCode::CommonPassword => "the password is on the list of common passwords",
            ErrorCode::SameAsEmail => "the password is the email address",
            ErrorCode::SameAsUsername => "the password is the username",
            ErrorCode::Mismatch => "the two passwords differ",
            ErrorCode::ConfirmationRequired => "deleting users needs `confirm_delete: true`",
            ErrorCode::InvalidAction => "not a bulk-process action",
            ErrorCode::UnsupportedHashFormat => {
                "an imported password hash is of a format Usher cannot verify"
            }
            ErrorCode::MalformedHash => "an imported password hash cannot be read",
            ErrorCode::HashCostTooHigh => {
                "an imported password hash costs more to verify than a login may"
            }
            ErrorCode::TooManyEmails => "a SCIM user carries more emails than Usher keeps",
            ErrorCode::UnreadableRow => "an import line cannot be read as CSV or JSON",
            ErrorCode::TooManyCells => "an import line has more cells than the header",
            ErrorCode::NotAnObject => "a JSON Lines line is not an object",
            ErrorCode::DuplicateInFile => "another line of the import names the same user",
            ErrorCode::ConflictingMatch => "the email and the external id name two different users",
            ErrorCode::InvalidTotpSecret => {
                "an imported TOTP secret is not base32 of 10 to 64 bytes"
            }
        }
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
    for c in ErrorCode::ALL.iter().filter(|c| !c.is_field_code()) {
        out.push_str(&format!(
            "| {} | `{}` | {} |\n",
            c.status(),
            c.as_str(),
            c.meaning()
        ));
    }
    out.push_str("\nField codes (the `code` of each entry of a 422's `errors`):\n\n| code | meaning |\n|---|---|\n");
    for c in ErrorCode::ALL.iter().filter(|c| c.is_field_code()) {
        out.push_str(&format!("| `{}` | {} |\n", c.as_str(), c.meaning()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_is_listed_once_with_a_distinct_name() {
        let names: HashSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn the_documented_table_of_codes_is_the_enum() {
        crate::doc_tables::check("docs/api-design.md", "error-codes", &doc_table());
    }
}
