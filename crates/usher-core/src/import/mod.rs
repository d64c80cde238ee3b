//! Importing users from another system: CSV or JSON Lines, every user
//! field, custom attributes, a state, the tenant roles they hold, and
//! optionally a password hash and a TOTP secret.
//!
//! A row is a JSON object whatever the file's format: a CSV header names
//! the keys (`attributes.<name>` for a custom attribute), an empty cell
//! leaves the field out, and a cell a spreadsheet export neutralised (a `'`
//! before `=`, `+`, `-`, `@`) is read back without the `'`. JSON Lines give
//! the object as it is (with `attributes` as an object). Rows are then
//! checked with the same rules as the admin API.

mod record;

pub use record::{ImportRecord, ImportRunState, MAX_KEPT_ERRORS, OnError};

use crate::error::{Error, ErrorCode};
use serde_json::{Map, Value};

/// The most rows one import may hold.
pub const MAX_ROWS: usize = 1_000_000;
/// The largest file accepted.
pub const MAX_FILE_BYTES: usize = 256 * 1024 * 1024;
/// Rows written in one transaction (all or nothing).
pub const BATCH_ROWS: usize = 5000;

/// The keys a row may carry besides the profile fields.
pub const EXTRA_KEYS: [&str; 3] = ["state", "password_hash", "totp_secret"];

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    Csv,
    JsonLines,
}

impl ImportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::JsonLines => "jsonl",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(Self::Csv),
            "jsonl" | "ndjson" => Some(Self::JsonLines),
            _ => None,
        }
    }
}

/// A row as read from the file, before it is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// The row's first line in the file.
    pub line: u32,
    pub object: Map<String, Value>,
}

/// A row that could not be read or is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u32,
    /// The field at fault, if one is.
    pub field: Option<String>,
    pub code: ErrorCode,
    pub message: String,
}

impl RowError {
    pub fn new(
        line: u32,
        field: Option<&str>,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> Self {
        Self {
            line,
            field: field.map(str::to_owned),
            code,
            message: message.into(),
        }
    }

    /// Every field error of `e`, on `line`.
    pub fn from_error(line: u32, e: &Error) -> Vec<Self> {
        match e {
            Error::Validation(v) => {
                v.0.iter()
                    .map(|f| Self::new(line, Some(&f.field), f.code, f.message.clone()))
                    .collect()
            }
            Error::Conflict {
                code,
                field,
                message,
            } => {
                vec![Self::new(line, *field, *code, message.clone())]
            }
            other => vec![Self::new(line, None, other.code(), other.to_string())],
        }
    }
}

/// The rows of a file, and the ones that could not be read at all.
#[derive(Debug, Clone, Default)]
pub struct ReadFile {
    pub rows: Vec<RawRow>,
    pub errors: Vec<RowError>,
}

fn file_error(message: impl Into<String>) -> Error {
    Error::bad_request(ErrorCode::InvalidImportFile, message)
}

/// Reads a whole file of either format. Errors of the whole file answer
/// `Err`.
pub fn read(format: ImportFormat, bytes: &[u8]) -> Result<ReadFile, Error> {
    let mut reader = Reader::new(format, bytes)?;
    let mut file = ReadFile::default();
    loop {
        let before = file.rows.len() + file.errors.len();
        reader.next_batch(usize::MAX, &mut file);
        if file.rows.len() + file.errors.len() == before {
            break;
        }
    }
    if file.rows.is_empty() && file.errors.is_empty() {
        return Err(file_error("the file has no rows"));
    }
    Ok(file)
}

/// Reads a file batch by batch, so that the first batch can be written
/// while the rest is still being read.
pub struct Reader<'a> {
    source: Source<'a>,
    /// Rows the file holds at most (its lines, less a CSV header).
    estimate: u64,
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("estimate", &self.estimate)
            .finish_non_exhaustive()
    }
}

enum Source<'a> {
    Csv {
        records: csv::StringRecordsIntoIter<&'a [u8]>,
        headers: Vec<String>,
        lines: Lines<'a>,
    },
    JsonLines(std::iter::Enumerate<std::str::Lines<'a>>),
}

impl<'a> Reader<'a> {
    /// Checks what concerns the whole file (size, encoding, the CSV header,
    /// the number of lines) before any row is read.
    pub fn new(format: ImportFormat, bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(Error::TooLarge(format!(
                "the file is larger than {} MiB",
                MAX_FILE_BYTES / (1024 * 1024)
            )));
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Err(file_error("the file is not UTF-8 text"));
        };
        // Every row takes a line at least: more lines than the limit allows
        // rows (and a header) are refused before anything is written.
        let newlines = bytes.iter().filter(|b| **b == b'\n').count();
        if newlines > MAX_ROWS + 1 {
            return Err(Error::TooLarge(format!(
                "the file has more than {MAX_ROWS} rows"
            )));
        }
        let source = match format {
            ImportFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .flexible(true)
                    .from_reader(text.as_bytes());
                let headers = csv_headers(&mut reader)?;
                Source::Csv {
                    records: reader.into_records(),
                    headers,
                    lines: Lines::of(text.as_bytes()),
                }
            }
            ImportFormat::JsonLines => Source::JsonLines(text.lines().enumerate()),
        };
        let estimate = match format {
            ImportFormat::Csv => newlines.saturating_sub(1),
            ImportFormat::JsonLines => newlines.max(1),
        } as u64;
        Ok(Self { source, estimate })
    }

    /// Rows the file holds at most, for a progress bar.
    pub fn estimate(&self) -> u64 {
        self.estimate
    }

    /// Adds up to `max` more rows (readable or not) to `into`; none when
    /// the file is done.
    pub fn next_batch(&mut self, max: usize, into: &mut ReadFile) {
        let mut taken = 0;
        while taken < max {
            let next = match &mut self.source {
                Source::Csv {
                    records,
                    headers,
                    lines,
                } => match records.next() {
                    None => break,
                    Some(r) => csv_row(r, headers, lines),
                },
                Source::JsonLines(lines) => match lines.next() {
                    None => break,
                    Some((i, line)) => json_row(i as u32 + 1, line),
                },
            };
            match next {
                None => {}
                Some(Ok(row)) => {
                    into.rows.push(row);
                    taken += 1;
                }
                Some(Err(e)) => {
                    into.errors.push(e);
                    taken += 1;
                }
            }
        }
    }
}

fn csv_headers(reader: &mut csv::Reader<&[u8]>) -> Result<Vec<String>, Error> {
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| file_error(format!("the header row cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let mut seen = std::collections::HashSet::new();
    for h in &headers {
        if h.is_empty() {
            return Err(file_error("a column of the header row has no name"));
        }
        if !seen.insert(h.to_ascii_lowercase()) {
            return Err(file_error(format!("the column {h} appears twice")));
        }
    }
    if !headers.iter().any(|h| h.eq_ignore_ascii_case("email")) {
        return Err(file_error("the header row must name an email column"));
    }
    Ok(headers)
}

/// One CSV record as a row; `None` for a blank one.
fn csv_row(
    record: csv::Result<csv::StringRecord>,
    headers: &[String],
    lines: &Lines<'_>,
) -> Option<Result<RawRow, RowError>> {
    let record = match record {
        Ok(r) => r,
        Err(e) => {
            let line = e.position().map(|p| lines.at(p.byte())).unwrap_or(0);
            return Some(Err(RowError::new(
                line,
                None,
                ErrorCode::UnreadableRow,
                format!("the row cannot be read: {e}"),
            )));
        }
    };
    let line = record.position().map(|p| lines.at(p.byte())).unwrap_or(0);
    if record.iter().all(|c| c.trim().is_empty()) {
        return None;
    }
    if record.len() > headers.len() {
        return Some(Err(RowError::new(
            line,
            None,
            ErrorCode::TooManyCells,
            format!(
                "the row has {} cells but the header names {} columns",
                record.len(),
                headers.len()
            ),
        )));
    }
    let mut object = Map::new();
    let mut attributes = Map::new();
    for (h, cell) in headers.iter().zip(record.iter()) {
        if cell.is_empty() {
            continue;
        }
        let value = Value::String(unneutralise(cell).to_owned());
        match h.strip_prefix("attributes.") {
            Some(name) => {
                attributes.insert(name.to_owned(), value);
            }
            None => {
                object.insert(h.to_ascii_lowercase(), value);
            }
        }
    }
    if !attributes.is_empty() {
        object.insert("attributes".into(), Value::Object(attributes));
    }
    Some(Ok(RawRow { line, object }))
}

/// One JSON Lines line as a row; `None` for a blank one.
fn json_row(n: u32, line: &str) -> Option<Result<RawRow, RowError>> {
    if line.trim().is_empty() {
        return None;
    }
    Some(match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(object)) => Ok(RawRow { line: n, object }),
        Ok(_) => Err(RowError::new(
            n,
            None,
            ErrorCode::NotAnObject,
            "each line must be one JSON object",
        )),
        Err(e) => Err(RowError::new(
            n,
            None,
            ErrorCode::MalformedJson,
            format!("the line is not valid JSON: {e}"),
        )),
    })
}

/// A cell without the `'` a spreadsheet export put before a formula sign.
fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest)
            if matches!(
                rest.as_bytes().first(),
                Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
            ) =>
        {
            rest
        }
        _ => cell,
    }
}

/// The line numbers of a text: the line a record starts on (the CSV
/// reader counts no blank lines, and a record's position is where the
/// reader began, before the blank lines it skipped).
pub(crate) struct Lines<'a> {
    text: &'a [u8],
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(crate) fn of(text: &'a [u8]) -> Self {
        let newlines = text
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Self { text, newlines }
    }

    /// 1-based line of the first character at or after `offset` that is
    /// not a line break.
    pub(crate) fn at(&self, offset: u64) -> u32 {
        let mut at = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while at < self.text.len() && matches!(self.text[at], b'\n' | b'\r') {
            at += 1;
        }
        (self.newlines.partition_point(|nl| *nl < at) + 1) as u32
    }
}

/// The state an imported user gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImportState {
    /// Can log in (with the imported password hash, if any).
    Active,
    /// Not invited yet.
    #[default]
    NotInvited,
    /// Sent an invitation now.
    Invite,
    /// Blocked (as an export of a blocked user says).
    Blocked,
    /// Disabled (as an export of a disabled user says).
    Disabled,
}

impl ImportState {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "not_invited" => Some(Self::NotInvited),
            "invite" | "pending_invitation" => Some(Self::Invite),
            // An expired invitation is not sent again by itself.
            "expired_invitation" => Some(Self::NotInvited),
            "blocked" => Some(Self::Blocked),
            "disabled" => Some(Self::Disabled),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_rows_become_objects_with_their_lines() {
        let file = "\u{feff}email,First_Name,attributes.department,state\n\
                    ann@x.example,Ann,\"Sales, North\",active\n\
                    \"bob@x.example\",\"Bob\nJr\",'=SUM(A1),\n\
                    \n\
                    cid@x.example,,,,extra\n";
        let read = read(ImportFormat::Csv, file.as_bytes()).unwrap();
        assert_eq!(read.rows.len(), 2);
        assert_eq!(read.rows[0].line, 2);
        assert_eq!(
            Value::Object(read.rows[0].object.clone()),
            json!({"email": "ann@x.example", "first_name": "Ann", "state": "active",
                   "attributes": {"department": "Sales, North"}})
        );
        assert_eq!(read.rows[1].line, 3);
        assert_eq!(read.rows[1].object["first_name"], "Bob\nJr");
        assert_eq!(read.rows[1].object["attributes"]["department"], "=SUM(A1)");
        assert_eq!(read.errors.len(), 1);
        assert_eq!(
            (read.errors[0].line, read.errors[0].code.as_str()),
            (6, "too_many_cells")
        );
    }

    #[test]
    fn json_lines_are_read_line_by_line() {
        let file = "{\"email\":\"a@x.example\",\"attributes\":{\"d\":\"x\"}}\n[1]\n{oops\n\n{\"email\":\"b@x.example\"}\n";
        let read = read(ImportFormat::JsonLines, file.as_bytes()).unwrap();
        let lines: Vec<u32> = read.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![1, 5]);
        let errors: Vec<(u32, &str)> = read
            .errors
            .iter()
            .map(|e| (e.line, e.code.as_str()))
            .collect();
        assert_eq!(errors, vec![(2, "not_an_object"), (3, "malformed_json")]);
    }

    #[test]
    fn whole_file_errors() {
        assert_eq!(
            read(ImportFormat::Csv, b"first_name\nAnn\n")
                .unwrap_err()
                .code(),
            "invalid_import_file"
        );
        assert_eq!(
            read(ImportFormat::Csv, b"email,email\na,b\n")
                .unwrap_err()
                .code(),
            "invalid_import_file"
        );
        assert_eq!(
            read(ImportFormat::JsonLines, b"\n\n").unwrap_err().code(),
            "invalid_import_file"
        );
        assert_eq!(
            read(ImportFormat::Csv, b"email\n\xff\n")
                .unwrap_err()
                .code(),
            "invalid_import_file"
        );
    }
}
