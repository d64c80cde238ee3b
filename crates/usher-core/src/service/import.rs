//! Importing users (`POST /imports`, `usher import FILE`).
//!
//! Every row is read and checked first, with the admin API's rules; then
//! each row is matched to a stored user by external id or email (an
//! update) or becomes a new user, and the rows are written in batches of
//! [`BATCH_ROWS`], each batch whole or not at all: a batch with a bad row
//! writes nothing and the report names every bad row by its line. A dry run
//! does all of it, store checks included, and keeps nothing.

use super::Services;
use crate::audit::{AuditAction, AuditContext};
use crate::error::{Error, ErrorCode};
use crate::ids::{Id, UserId};
use crate::import::{BATCH_ROWS, ImportFormat, ImportState, RawRow, ReadFile, Reader, RowError};
use crate::mfa::TotpSecret;
use crate::store::{Effects, ImportEntry, LinkKind};
use crate::tenant::Tenant;
use crate::user::{LOCAL_SOURCE, NewUser, User, UserPatch, UserState};
use serde_json::{Value, json};
use std::collections::HashMap;

/// What an import is asked to do.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub format: ImportFormat,
    pub dry_run: bool,
    pub file: Vec<u8>,
}

/// How an import went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Rows in the file (unreadable ones included).
    pub rows: u64,
    /// Users created (or, in a dry run, that would be).
    pub created: u64,
    /// Stored users updated.
    pub updated: u64,
    /// Rows with an error.
    pub failed_rows: u64,
    /// Good rows not written because their batch had a bad row.
    pub skipped_rows: u64,
    pub batches: u64,
    pub failed_batches: u64,
    /// Every error, by line.
    pub errors: Vec<RowError>,
}

/// A row checked and ready to be matched.
struct Checked {
    line: u32,
    object: serde_json::Map<String, Value>,
    new: NewUser,
    state: Option<ImportState>,
    password_hash: Option<String>,
    totp_secret: Option<Vec<u8>>,
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

/// Checks one row: its extra keys, then its profile with the API's rules.
fn check(row: RawRow, attrs: &crate::attribute::AttributeSet) -> Result<Checked, Vec<RowError>> {
    let RawRow { line, mut object } = row;
    let mut errors = Vec::new();
    let state = text(&mut object, "state", &mut errors, line).and_then(|s| {
        let parsed = ImportState::parse(&s);
        if parsed.is_none() {
            errors.push(RowError::new(
                line,
                Some("state"),
                ErrorCode::InvalidState,
                "must be active, not_invited or invite",
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
    let new = match NewUser::from_json(Value::Object(object.clone()), attrs) {
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
            password_hash,
            totp_secret,
        }),
        _ => Err(errors),
    }
}

/// What earlier batches of the file claimed: a second row with the same
/// email or external id is refused wherever it is.
#[derive(Default)]
struct Seen {
    emails: HashMap<String, u32>,
    externals: HashMap<String, u32>,
}

/// One batch, checked and matched, ready for the store.
struct Prepared {
    entries: Vec<ImportEntry>,
    errors: Vec<RowError>,
    /// Rows of the file in this batch (unreadable ones included).
    rows: u64,
}

/// How one batch went.
#[derive(Default)]
struct Written {
    /// Rows of the file in the batch.
    rows: u64,
    created: u64,
    updated: u64,
    /// Good rows not written because a row of the batch was bad.
    skipped: u64,
    failed: bool,
    errors: Vec<RowError>,
}

impl Services {
    /// Imports a file; `progress` hears the rows done after each batch.
    ///
    /// The file is read whole, then cut into batches of [`BATCH_ROWS`] rows
    /// in file order. While the store writes one batch, the next one is
    /// checked and matched (the store's writer and the checks then use both
    /// cores).
    pub async fn import_users(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        request: ImportRequest,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<ImportReport, Error> {
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::UserImport)
            .details(json!({"dry_run": request.dry_run}));
        let mut reader = self
            .accept(&draft, Reader::new(request.format, &request.file))
            .await?;
        let mut first = ReadFile::default();
        reader.next_batch(BATCH_ROWS, &mut first);
        if first.rows.is_empty() && first.errors.is_empty() {
            let e = Error::bad_request(ErrorCode::InvalidImportFile, "the file has no rows");
            return Err(self.refuse(draft, e).await);
        }
        let attrs = self.attribute_set(tenant).await?;
        let estimate = reader.estimate();
        let mut report = ImportReport {
            dry_run: request.dry_run,
            ..ImportReport::default()
        };
        let mut seen = Seen::default();
        let mut done = 0u64;
        let mut errors: Vec<RowError> = Vec::new();
        let mut first = Some(first);
        let mut number = 0u64;
        let mut in_flight: Option<(Prepared, u64)> = None;
        loop {
            // The next batch is read and checked while the store writes the
            // one before.
            let prepare = async {
                let batch = match first.take() {
                    Some(b) => b,
                    None => {
                        let mut b = ReadFile::default();
                        reader.next_batch(BATCH_ROWS, &mut b);
                        b
                    }
                };
                if batch.rows.is_empty() && batch.errors.is_empty() {
                    return Ok(None);
                }
                number += 1;
                let mut read_errors = batch.errors;
                read_errors.sort_by_key(|e| e.line);
                self.prepare_batch(tenant, &attrs, &mut seen, batch.rows, read_errors)
                    .await
                    .map(|p| Some((p, number)))
            };
            let (written, prepared) = match in_flight.take() {
                Some((batch, n)) => {
                    let write = self.write_batch(tenant, ctx, batch, n, request.dry_run);
                    let (w, p) = tokio::join!(write, prepare);
                    (Some(w), p?)
                }
                None => (None, prepare.await?),
            };
            if let Some(w) = written {
                let w = w?;
                report.created += w.created;
                report.updated += w.updated;
                report.skipped_rows += w.skipped;
                report.failed_batches += u64::from(w.failed);
                errors.extend(w.errors);
                done += w.rows;
                progress(done, estimate.max(done));
            }
            match prepared {
                Some(p) => in_flight = Some(p),
                None => break,
            }
        }
        report.rows = done;
        report.batches = number;
        let mut bad: Vec<u32> = errors.iter().map(|e| e.line).collect();
        bad.sort_unstable();
        bad.dedup();
        report.failed_rows = bad.len() as u64;
        errors.sort_by_key(|e| e.line);
        report.errors = errors;
        Ok(report)
    }

    /// Checks a batch's rows, reads the stored users they name, and makes
    /// their entries.
    async fn prepare_batch(
        &self,
        tenant: &Tenant,
        attrs: &crate::attribute::AttributeSet,
        seen: &mut Seen,
        rows: Vec<RawRow>,
        read_errors: Vec<RowError>,
    ) -> Result<Prepared, Error> {
        let count = (rows.len() + read_errors.len()) as u64;
        let mut errors = read_errors;
        let mut checked = Vec::with_capacity(rows.len());
        for row in rows {
            match check(row, attrs) {
                Ok(c) => {
                    let email = c.new.email.normalized().to_owned();
                    if let Some(first) = seen.emails.insert(email, c.line) {
                        errors.push(RowError::new(
                            c.line,
                            Some("email"),
                            ErrorCode::DuplicateInFile,
                            format!("the same email as line {first}"),
                        ));
                        continue;
                    }
                    if let Some(x) = &c.new.external_id
                        && let Some(first) = seen.externals.insert(x.as_str().to_owned(), c.line)
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
        // The stored users the rows name, in one read.
        let emails = checked
            .iter()
            .map(|c| c.new.email.normalized().to_owned())
            .collect();
        let externals = checked
            .iter()
            .filter_map(|c| c.new.external_id.as_ref().map(|x| x.as_str().to_owned()))
            .collect();
        let mut by_email: HashMap<String, UserId> = HashMap::new();
        let mut by_external: HashMap<String, UserId> = HashMap::new();
        let mut by_id: HashMap<UserId, User> = HashMap::new();
        for u in self.store.match_users(tenant.id, emails, externals).await? {
            if u.source == LOCAL_SOURCE
                && let Some(x) = &u.external_id
            {
                by_external.insert(x.as_str().to_owned(), u.id);
            }
            by_email.insert(u.email.normalized().to_owned(), u.id);
            by_id.insert(u.id, u);
        }
        let now = self.clock.now();
        let mut entries: Vec<ImportEntry> = Vec::with_capacity(checked.len());
        for c in checked {
            let email_match = by_email.get(c.new.email.normalized()).copied();
            let external_match = c
                .new
                .external_id
                .as_ref()
                .and_then(|x| by_external.get(x.as_str()).copied());
            let existing = match (external_match, email_match) {
                (Some(a), Some(b)) if a != b => {
                    errors.push(RowError::new(
                        c.line,
                        Some("external_id"),
                        ErrorCode::ConflictingMatch,
                        "the external id names one user and the email another",
                    ));
                    continue;
                }
                (Some(id), _) | (None, Some(id)) => by_id.get(&id),
                (None, None) => None,
            };
            match self.import_entry(tenant, c, existing, now, attrs) {
                Ok(e) => entries.push(e),
                Err(e) => errors.extend(e),
            }
        }
        // In email order, a batch's new rows go into the stores'
        // email-ordered indexes one after the other (sorted here, while the
        // store still writes the batch before).
        entries.sort_by(|a, b| a.user.email.normalized().cmp(b.user.email.normalized()));
        Ok(Prepared {
            entries,
            errors,
            rows: count,
        })
    }

    /// Writes one prepared batch, unless a row of it is bad.
    async fn write_batch(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        batch: Prepared,
        number: u64,
        dry_run: bool,
    ) -> Result<Written, Error> {
        let Prepared {
            entries,
            mut errors,
            rows,
        } = batch;
        if !errors.is_empty() {
            return Ok(Written {
                rows,
                skipped: entries.len() as u64,
                failed: true,
                errors,
                ..Written::default()
            });
        }
        if entries.is_empty() {
            return Ok(Written {
                rows,
                ..Written::default()
            });
        }
        let created = entries.iter().filter(|e| e.replaces.is_none()).count() as u64;
        let updated = entries.len() as u64 - created;
        let draft = self
            .draft(ctx, Some(tenant), AuditAction::UserImport)
            .details(json!({"batch": number}));
        let refused = self
            .store
            .import_users(tenant.id, entries, dry_run, draft)
            .await?;
        if refused.is_empty() {
            return Ok(Written {
                rows,
                created,
                updated,
                ..Written::default()
            });
        }
        let skipped = created + updated - refused.len() as u64;
        for (line, e) in refused {
            errors.extend(RowError::from_error(line, &e));
        }
        Ok(Written {
            rows,
            skipped,
            failed: true,
            errors,
            ..Written::default()
        })
    }

    /// The entry that writes one checked row: a new user, or the stored one
    /// with the row's fields merged in.
    fn import_entry(
        &self,
        tenant: &Tenant,
        c: Checked,
        existing: Option<&User>,
        now: time::OffsetDateTime,
        attrs: &crate::attribute::AttributeSet,
    ) -> Result<ImportEntry, Vec<RowError>> {
        let mut effects = Effects::default();
        let (mut user, replaces) = match existing {
            Some(stored) => {
                let patch = UserPatch::from_json(Value::Object(c.object), attrs)
                    .map_err(|e| RowError::from_error(c.line, &e))?;
                let mut user = stored.clone();
                patch.apply(&mut user);
                let current = stored.state(now);
                match c.state {
                    Some(ImportState::Active) if current.can_be_invited() => {
                        user.stored_state = UserState::Active;
                        user.invitation_expires_at = None;
                        user.signup_completed_at.get_or_insert(now);
                    }
                    Some(ImportState::Invite) if current.can_be_invited() => {
                        let pending = self.new_link(tenant, LinkKind::Invitation, now);
                        user.stored_state = UserState::PendingInvitation;
                        user.invitation_expires_at = Some(pending.expires_at());
                        effects = pending.into_effects(&user);
                    }
                    // A state the user has moved past stays as it is.
                    _ => {}
                }
                user.version = stored.version + 1;
                user.updated_at = now;
                (user, Some(stored.version))
            }
            None => {
                let n = c.new;
                let state = c.state.unwrap_or_default();
                let mut user = User {
                    id: Id::generate(),
                    tenant_id: tenant.id,
                    email: n.email,
                    first_name: n.first_name,
                    last_name: n.last_name,
                    display_name: n.display_name,
                    phone: n.phone,
                    personal_email: n.personal_email,
                    username: n.username,
                    language: n.language,
                    stored_state: UserState::NotInvited,
                    invitation_expires_at: None,
                    archived: false,
                    source: LOCAL_SOURCE.to_owned(),
                    external_id: n.external_id,
                    attributes: n.attributes,
                    created_at: now,
                    updated_at: now,
                    signup_completed_at: None,
                    last_login_at: None,
                    last_failed_login_at: None,
                    mfa_enrolled: false,
                    version: 1,
                };
                match state {
                    ImportState::Active => {
                        user.stored_state = UserState::Active;
                        user.signup_completed_at = Some(now);
                    }
                    ImportState::Invite => {
                        let pending = self.new_link(tenant, LinkKind::Invitation, now);
                        user.stored_state = UserState::PendingInvitation;
                        user.invitation_expires_at = Some(pending.expires_at());
                        effects = pending.into_effects(&user);
                    }
                    ImportState::NotInvited => {}
                }
                (user, None)
            }
        };
        if c.totp_secret.is_some() {
            user.mfa_enrolled = true;
        }
        Ok(ImportEntry::new(
            c.line,
            user,
            replaces,
            c.password_hash,
            c.totp_secret,
            effects,
        ))
    }
}
