//! Exporting users: the CSV columns and the defence against spreadsheet
//! formulas (a cell starting with `=`, `+`, `-`, `@`, tab or carriage
//! return is run as a formula by spreadsheet programs, so such a value is
//! written with a leading `'`, which they show as text). JSON Lines need no
//! such care: each line is the user as the API shows it.

use crate::role::RoleName;
use crate::user::User;
use std::borrow::Cow;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Users per page while walking the list for an export.
pub const EXPORT_PAGE: u32 = 1000;

/// The fixed columns of a CSV export, before one `attributes.<name>`
/// column per custom attribute definition.
pub const CSV_COLUMNS: [&str; 16] = [
    "id",
    "email",
    "first_name",
    "last_name",
    "phone",
    "language",
    "username",
    "personal_email",
    "external_id",
    "state",
    "archived",
    "mfa_enrolled",
    "created_at",
    "updated_at",
    "last_login_at",
    "roles",
];

/// A cell a spreadsheet will show as text whatever it starts with.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// The header row for a tenant with these attribute definitions.
pub fn csv_header(attributes: &[String]) -> Vec<String> {
    CSV_COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .chain(attributes.iter().map(|a| format!("attributes.{a}")))
        .collect()
}

/// One user as a CSV row matching [`csv_header`], every cell neutralised;
/// `roles` are the names of the roles they hold, written space-separated.
pub fn csv_row(
    u: &User,
    roles: &[RoleName],
    attributes: &[String],
    now: OffsetDateTime,
) -> Vec<String> {
    let opt = |v: Option<&str>| v.unwrap_or("").to_owned();
    let time =
        |t: Option<OffsetDateTime>| t.and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default();
    let mut row = vec![
        u.id.to_string(),
        u.email.as_str().to_owned(),
        opt(u.first_name.as_ref().map(|v| v.as_str())),
        opt(u.last_name.as_ref().map(|v| v.as_str())),
        opt(u.phone.as_ref().map(|v| v.as_str())),
        u.language.as_str().to_owned(),
        opt(u.username.as_ref().map(|v| v.as_str())),
        opt(u.personal_email.as_ref().map(|v| v.as_str())),
        opt(u.external_id.as_ref().map(|v| v.as_str())),
        u.state(now).as_str().to_owned(),
        u.archived.to_string(),
        u.mfa_enrolled.to_string(),
        time(Some(u.created_at)),
        time(Some(u.updated_at)),
        time(u.last_login_at),
        roles
            .iter()
            .map(RoleName::as_str)
            .collect::<Vec<_>>()
            .join(" "),
    ];
    for a in attributes {
        row.push(u.attributes.get(a).cloned().unwrap_or_default());
    }
    row.into_iter()
        .map(|c| match neutralise(&c) {
            Cow::Borrowed(_) => c,
            Cow::Owned(n) => n,
        })
        .collect()
}

/// Writes rows as CSV (RFC 4180 quoting, `\n` line ends).
pub fn csv_lines(rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for r in rows {
        // Writing to memory cannot fail.
        let _ = w.write_record(r);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_looking_cells_become_text() {
        for v in ["=1+1", "+4915112345678", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(v), format!("'{v}"));
        }
        for v in ["ann", "", "1=1", "a@b"] {
            assert_eq!(neutralise(v), v);
        }
    }

    #[test]
    fn csv_quotes_commas_quotes_and_newlines() {
        let out = csv_lines(&[vec!["a,b".into(), "say \"hi\"".into(), "two\nlines".into()]]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\n"
        );
    }
}
