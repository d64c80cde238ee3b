//! Bulk processes: one action run over the users a CSV file names.
//!
//! The file is checked and stored when it is uploaded; nothing runs until
//! an admin starts it. Each row names a user by `id` or `email`, and may
//! carry `first_name`, `last_name` and `email` to check against the current
//! record. The user's version is taken at upload: a user changed by anyone
//! else afterwards is left alone, and the row says the data changed in the
//! meantime. A row is processed in the same transaction that records its
//! outcome, so a run that stops half-way (a crash, a restart) resumes with
//! the first row that has none: no row twice, none skipped.

use crate::error::{Error, ErrorCode};
use crate::ids::{BulkProcessId, TenantId, UserId};
use crate::role::RoleName;
use crate::user::fields::{Email, fold_case};
use std::collections::HashMap;
use time::OffsetDateTime;

/// The most rows one file may hold.
pub const MAX_ROWS: usize = 100_000;
/// The largest file accepted.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// Rows run in one transaction.
pub const CHUNK_ROWS: usize = 1000;
/// The longest note.
pub const MAX_NOTE_CHARS: usize = 1000;

/// What a bulk process does to each user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BulkAction {
    Block,
    Unblock,
    Disable,
    Enable,
    Archive,
    Delete,
    SendInvitation,
    PasswordReset,
    RevokeSessions,
    /// Give the process's role (one of the tenant's own).
    AssignRole,
    /// Take the process's role.
    RemoveRole,
}

impl BulkAction {
    pub const ALL: [BulkAction; 11] = [
        BulkAction::Block,
        BulkAction::Unblock,
        BulkAction::Disable,
        BulkAction::Enable,
        BulkAction::Archive,
        BulkAction::Delete,
        BulkAction::SendInvitation,
        BulkAction::PasswordReset,
        BulkAction::RevokeSessions,
        BulkAction::AssignRole,
        BulkAction::RemoveRole,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BulkAction::Block => "block",
            BulkAction::Unblock => "unblock",
            BulkAction::Disable => "disable",
            BulkAction::Enable => "enable",
            BulkAction::Archive => "archive",
            BulkAction::Delete => "delete",
            BulkAction::SendInvitation => "send_invitation",
            BulkAction::PasswordReset => "password_reset",
            BulkAction::RevokeSessions => "revoke_sessions",
            BulkAction::AssignRole => "assign_role",
            BulkAction::RemoveRole => "remove_role",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The lifecycle action this is, for the six that are one.
    pub fn lifecycle(self) -> Option<crate::user::Action> {
        use crate::user::Action;
        match self {
            BulkAction::Block => Some(Action::Block),
            BulkAction::Unblock => Some(Action::Unblock),
            BulkAction::Disable => Some(Action::Disable),
            BulkAction::Enable => Some(Action::Enable),
            BulkAction::Archive => Some(Action::Archive),
            BulkAction::SendInvitation => Some(Action::SendInvitation),
            BulkAction::Delete
            | BulkAction::PasswordReset
            | BulkAction::RevokeSessions
            | BulkAction::AssignRole
            | BulkAction::RemoveRole => None,
        }
    }

    /// Whether the action gives or takes a role, which the process names.
    pub fn needs_role(self) -> bool {
        matches!(self, BulkAction::AssignRole | BulkAction::RemoveRole)
    }
}

/// Where a bulk process is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BulkState {
    /// Checked and stored; waits to be started.
    Uploaded,
    Running,
    /// Every row has its outcome.
    Completed,
    /// Stopped by an admin; rows without an outcome stay so.
    Cancelled,
    /// Stopped by Usher (the error says why).
    Failed,
}

impl BulkState {
    pub fn as_str(self) -> &'static str {
        match self {
            BulkState::Uploaded => "uploaded",
            BulkState::Running => "running",
            BulkState::Completed => "completed",
            BulkState::Cancelled => "cancelled",
            BulkState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            BulkState::Uploaded,
            BulkState::Running,
            BulkState::Completed,
            BulkState::Cancelled,
            BulkState::Failed,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// One bulk process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkProcess {
    pub id: BulkProcessId,
    pub tenant_id: TenantId,
    pub action: BulkAction,
    /// Check the rows' names and email against the current records.
    pub validate: bool,
    pub note: Option<String>,
    /// The role `assign_role` and `remove_role` give or take.
    pub role: Option<RoleName>,
    pub state: BulkState,
    /// The audit actor of the upload, as `kind:id:name`.
    pub created_by: String,
    pub created_at: OffsetDateTime,
    /// The audit actor of the start: rows are audited in its name.
    pub started_by: Option<String>,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
    /// Rows in the file (malformed ones included).
    pub total: u32,
    /// Rows that could not be read; they never run.
    pub malformed: u32,
    /// Rows whose action was carried out.
    pub processed: u32,
    /// Rows left alone, with the reason (already in state, changed, unknown).
    pub skipped: u32,
    /// Why Usher stopped the process (`failed` only).
    pub error: Option<String>,
}

impl BulkProcess {
    /// Rows still waiting for an outcome.
    pub fn pending(&self) -> u32 {
        self.total
            .saturating_sub(self.malformed + self.processed + self.skipped)
    }
}

/// What a row says about its user, as read from the file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RowData {
    /// The `id` or `email` that names the user, as written.
    pub reference: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
}

/// One row of a bulk process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRow {
    /// The row's first line in the file (a header is line 1).
    pub line: u32,
    pub data: RowData,
    /// The user the row named at upload, if one existed.
    pub user_id: Option<UserId>,
    /// That user's version at upload.
    pub version: Option<i64>,
    /// The action was carried out.
    pub processed: bool,
    /// Why the row was not processed, or `processed`; none while pending.
    pub outcome: Option<String>,
    pub message: Option<String>,
}

/// The outcome code of a row whose action was carried out.
pub const PROCESSED: &str = "processed";

/// The outcome a refused row records: its code and message. A version
/// that moved under the run's feet reads as the data having changed.
pub fn refusal_outcome(e: &Error) -> (&'static str, String) {
    match e {
        Error::VersionMismatch { .. } => (
            ErrorCode::DataChanged.as_str(),
            "the user was changed in the meantime".into(),
        ),
        Error::NotFound(_) => (
            ErrorCode::UnknownUser.as_str(),
            "no such user (any more)".into(),
        ),
        other => (other.code().as_str(), other.to_string()),
    }
}

/// A row the file gives, before users are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRow {
    pub line: u32,
    pub key: RowKey,
    pub data: RowData,
}

/// How a row names its user. Two rows name the same user when their ids
/// are equal, or their emails are equal ignoring case.
#[derive(Debug, Clone)]
pub enum RowKey {
    Id(UserId),
    Email(Email),
}

impl PartialEq for RowKey {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (RowKey::Id(a), RowKey::Id(b)) => a == b,
            (RowKey::Email(a), RowKey::Email(b)) => a.normalized() == b.normalized(),
            _ => false,
        }
    }
}

impl Eq for RowKey {}

impl std::hash::Hash for RowKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            RowKey::Id(id) => id.hash(state),
            RowKey::Email(e) => e.normalized().hash(state),
        }
    }
}

/// A row that could not be read, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u32,
    pub code: &'static str,
    pub message: String,
    /// The row's text as far as it could be read.
    pub data: RowData,
}

/// A file read into rows.
#[derive(Debug, Clone, Default)]
pub struct ParsedFile {
    pub rows: Vec<ParsedRow>,
    pub malformed: Vec<LineError>,
}

fn file_error(message: impl Into<String>) -> Error {
    Error::bad_request(ErrorCode::InvalidCsv, message)
}

/// Reads a CSV file (UTF-8, with or without a byte-order mark, a header
/// row naming the columns). Errors that concern the whole file answer
/// `Err`; rows that cannot be used are listed with their line numbers.
pub fn parse_csv(bytes: &[u8]) -> Result<ParsedFile, Error> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Error::TooLarge(format!(
            "the file is larger than {} MiB",
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(file_error("the file is not UTF-8 text"));
    }
    let lines = crate::import::Lines::of(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| file_error(format!("the header row cannot be read: {e}")))?
        .clone();
    let mut columns: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let name = h.to_ascii_lowercase();
        let known = ["id", "email", "first_name", "last_name"]
            .into_iter()
            .find(|k| *k == name);
        match known {
            Some(k) if columns.contains_key(k) => {
                return Err(file_error(format!("the column {k} appears twice")));
            }
            Some(k) => {
                columns.insert(k, i);
            }
            // Other columns (a report's extra fields) are ignored.
            None => {}
        }
    }
    if !columns.contains_key("id") && !columns.contains_key("email") {
        return Err(file_error(
            "the header row must name an id or an email column",
        ));
    }
    let mut file = ParsedFile::default();
    let mut seen: HashMap<RowKey, u32> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| lines.at(p.byte())).unwrap_or(0);
                file.malformed.push(LineError {
                    line,
                    code: "unreadable_row",
                    message: format!("the row cannot be read: {e}"),
                    data: RowData::default(),
                });
                continue;
            }
        };
        if file.rows.len() + file.malformed.len() >= MAX_ROWS {
            return Err(Error::TooLarge(format!(
                "the file has more than {MAX_ROWS} rows"
            )));
        }
        let line = record.position().map(|p| lines.at(p.byte())).unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |k: &str| {
            columns
                .get(k)
                .and_then(|i| record.get(*i))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let id = cell("id");
        let email = cell("email");
        let data = RowData {
            reference: id.clone().or_else(|| email.clone()).unwrap_or_default(),
            first_name: cell("first_name"),
            last_name: cell("last_name"),
            email: email.clone(),
        };
        let bad = |code, message: String| LineError {
            line,
            code,
            message,
            data: data.clone(),
        };
        let key = match (&id, &email) {
            (Some(id), _) => match id.parse::<UserId>() {
                Ok(u) => RowKey::Id(u),
                Err(_) => {
                    file.malformed
                        .push(bad("invalid_id", format!("{id:?} is not a user id (UUID)")));
                    continue;
                }
            },
            (None, Some(e)) => match Email::parse("email", e) {
                Ok(e) => RowKey::Email(e),
                Err(_) => {
                    file.malformed.push(bad(
                        "invalid_email",
                        format!("{e:?} is not an email address"),
                    ));
                    continue;
                }
            },
            (None, None) => {
                file.malformed.push(bad(
                    "missing_user",
                    "the row names no user: give an id or an email".into(),
                ));
                continue;
            }
        };
        if let Some(first) = seen.get(&key) {
            let message = format!("the same user as line {first}");
            file.malformed.push(bad("duplicate_user", message));
            continue;
        }
        seen.insert(key.clone(), line);
        file.rows.push(ParsedRow { line, key, data });
    }
    if file.rows.is_empty() && file.malformed.is_empty() {
        return Err(file_error("the file has no rows below its header"));
    }
    Ok(file)
}

/// Whether the file's name and email still match the user (only the
/// columns the file has are compared; emails and names ignoring case).
pub fn row_matches(data: &RowData, user: &crate::user::User) -> bool {
    let same = |given: &Option<String>, current: Option<&str>| match given {
        None => true,
        Some(g) => fold_case(g.trim()) == fold_case(current.unwrap_or("").trim()),
    };
    same(
        &data.first_name,
        user.first_name.as_ref().map(|n| n.as_str()),
    ) && same(&data.last_name, user.last_name.as_ref().map(|n| n.as_str()))
        && same(&data.email, Some(user.email.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_with_line_numbers_bom_quotes_and_errors() {
        let id = UserId::generate();
        let file = format!(
            "\u{feff}Id,Email,First_Name,Extra\n\
             {id},,Ada,x\n\
             ,grace@x.example,\"Grace\nHopper\",y\n\
             not-a-uuid,,,\n\
             ,not an email,,\n\
             ,,Nobody,\n\
             \n\
             ,GRACE@x.example,,\n\
             \n"
        );
        let parsed = parse_csv(file.as_bytes()).unwrap();
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.rows[0].line, 2);
        assert_eq!(parsed.rows[0].key, RowKey::Id(id));
        assert_eq!(parsed.rows[0].data.first_name.as_deref(), Some("Ada"));
        assert_eq!(parsed.rows[1].line, 3);
        assert_eq!(
            parsed.rows[1].data.first_name.as_deref(),
            Some("Grace\nHopper")
        );
        let errors: Vec<(u32, &str)> = parsed.malformed.iter().map(|e| (e.line, e.code)).collect();
        assert_eq!(
            errors,
            vec![
                (5, "invalid_id"),
                (6, "invalid_email"),
                (7, "missing_user"),
                (9, "duplicate_user")
            ]
        );
        assert_eq!(parsed.malformed[3].message, "the same user as line 3");
    }

    #[test]
    fn whole_file_errors_are_refused() {
        for (file, code) in [
            (&b"first_name,last_name\nAda,L\n"[..], "invalid_csv"),
            (&b"id\n"[..], "invalid_csv"),
            (&b"id,ID\nx,y\n"[..], "invalid_csv"),
            (&b"id\n\xff\xfe\n"[..], "invalid_csv"),
        ] {
            assert_eq!(parse_csv(file).unwrap_err().code(), code);
        }
        let mut big = String::from("email\n");
        for i in 0..=MAX_ROWS {
            big.push_str(&format!("u{i}@x.example\n"));
        }
        assert_eq!(
            parse_csv(big.as_bytes()).unwrap_err().code(),
            "payload_too_large"
        );
    }

    #[test]
    fn actions_and_states_round_trip() {
        for a in BulkAction::ALL {
            assert_eq!(BulkAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(BulkAction::parse("explode"), None);
        assert_eq!(BulkState::parse("running"), Some(BulkState::Running));
    }
}
