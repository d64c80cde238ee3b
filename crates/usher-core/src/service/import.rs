//! Importing users (`POST /imports`, `usher import FILE`).
//!
//! Every row is read and checked first, with the admin API's rules; then
//! each row is matched to a stored user by external id or email (an
//! update) or becomes a new user, and the rows are written in batches of
//! [`BATCH_ROWS`], each batch whole or not at all: a batch with a bad row
//! writes nothing and the report names every bad row by its line. A dry run
//! does all of it, store checks included, and keeps nothing.

use super::Services;
use crate::audit::AuditContext;
use crate::error::Error;
use crate::import::{BATCH_ROWS, ImportFormat, ImportState, RawRow, RowError, read};
use crate::mfa::TotpSecret;
use crate::store::{Effects, ImportEntry, LinkKind};
use crate::tenant::Tenant;
use crate::user::{LOCAL_SOURCE, NewUser, User, UserPatch, UserState};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

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
                "invalid_type",
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
                "invalid_state",
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
            "invalid_password_hash",
            e.to_string(),
        ));
    }
    let totp_secret = text(&mut object, "totp_secret", &mut errors, line).and_then(|s| {
        let secret = TotpSecret::from_base32(&s).map(|t| t.bytes().to_vec());
        if secret.is_none() {
            errors.push(RowError::new(
                line,
                Some("totp_secret"),
                "invalid_totp_secret",
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
                "unknown_field",
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

impl Services {
    /// Imports a file; `progress` hears the rows done after each batch.
    pub async fn import_users(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        request: ImportRequest,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<ImportReport, Error> {
        let draft = self
            .draft(ctx, Some(tenant), "user.import")
            .details(json!({"dry_run": request.dry_run}));
        let file = match read(request.format, &request.file) {
            Ok(f) => f,
            Err(e) => return Err(self.refuse(draft, e).await),
        };
        let attrs = self.attribute_set(tenant).await?;
        let total = (file.rows.len() + file.errors.len()) as u64;
        let mut report = ImportReport {
            dry_run: request.dry_run,
            rows: total,
            ..ImportReport::default()
        };
        let mut bad_lines: HashSet<u32> = HashSet::new();
        let mut errors = file.errors;
        let mut checked = Vec::with_capacity(file.rows.len());
        let (mut emails, mut externals) = (HashMap::new(), HashMap::new());
        for row in file.rows {
            match check(row, &attrs) {
                Ok(c) => {
                    let email = c.new.email.normalized().to_owned();
                    if let Some(first) = emails.insert(email, c.line) {
                        errors.push(RowError::new(
                            c.line,
                            Some("email"),
                            "duplicate_in_file",
                            format!("the same email as line {first}"),
                        ));
                        continue;
                    }
                    if let Some(x) = &c.new.external_id
                        && let Some(first) = externals.insert(x.as_str().to_owned(), c.line)
                    {
                        errors.push(RowError::new(
                            c.line,
                            Some("external_id"),
                            "duplicate_in_file",
                            format!("the same external id as line {first}"),
                        ));
                        continue;
                    }
                    checked.push(c);
                }
                Err(e) => errors.extend(e),
            }
        }
        // Stored users the rows name, read in slices of a few thousand.
        let mut by_email: HashMap<String, User> = HashMap::new();
        let mut by_external: HashMap<String, Uuid> = HashMap::new();
        let keys: Vec<(String, Option<String>)> = checked
            .iter()
            .map(|c| {
                (
                    c.new.email.normalized().to_owned(),
                    c.new.external_id.as_ref().map(|x| x.as_str().to_owned()),
                )
            })
            .collect();
        for part in keys.chunks(5000) {
            let e = part.iter().map(|(e, _)| e.clone()).collect();
            let x = part.iter().filter_map(|(_, x)| x.clone()).collect();
            for u in self.store.match_users(tenant.id, e, x).await? {
                if u.source == LOCAL_SOURCE
                    && let Some(x) = &u.external_id
                {
                    by_external.insert(x.as_str().to_owned(), u.id);
                }
                by_email.insert(u.email.normalized().to_owned(), u);
            }
        }
        let by_id: HashMap<Uuid, User> = by_email.values().map(|u| (u.id, u.clone())).collect();
        let now = self.clock.now();
        let mut entries: Vec<ImportEntry> = Vec::with_capacity(checked.len());
        for c in checked {
            let email_match = by_email.get(c.new.email.normalized()).map(|u| u.id);
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
                        "conflicting_match",
                        "the external id names one user and the email another",
                    ));
                    continue;
                }
                (Some(id), _) | (None, Some(id)) => by_id.get(&id),
                (None, None) => None,
            };
            match self.import_entry(tenant, c, existing, now, &attrs) {
                Ok(e) => entries.push(e),
                Err(e) => errors.extend(e),
            }
        }
        for e in &errors {
            bad_lines.insert(e.line);
        }
        report.failed_rows = bad_lines.len() as u64;
        // Batches follow the file: a bad row fails the batch it falls in.
        let mut lines: Vec<u32> = entries
            .iter()
            .map(|e| e.line)
            .chain(bad_lines.iter().copied())
            .collect();
        lines.sort_unstable();
        let bounds: Vec<u32> = lines
            .chunks(BATCH_ROWS)
            .filter_map(|c| c.last().copied())
            .collect();
        report.batches = bounds.len() as u64;
        let mut entries = entries.into_iter().peekable();
        let mut lower = 0;
        let mut done = 0u64;
        for (i, upper) in bounds.into_iter().enumerate() {
            let mut batch = Vec::new();
            while let Some(e) = entries.next_if(|e| e.line <= upper) {
                batch.push(e);
            }
            let bad_here = bad_lines
                .iter()
                .filter(|l| **l > lower && **l <= upper)
                .count() as u64;
            let rows_here = batch.len() as u64 + bad_here;
            lower = upper;
            if bad_here > 0 {
                report.failed_batches += 1;
                report.skipped_rows += batch.len() as u64;
            } else if !batch.is_empty() {
                let creates = batch.iter().filter(|e| e.replaces.is_none()).count() as u64;
                let updates = batch.len() as u64 - creates;
                let draft = self
                    .draft(ctx, Some(tenant), "user.import")
                    .details(json!({"batch": i + 1}));
                let refused = self
                    .store
                    .import_users(tenant.id, batch, request.dry_run, draft)
                    .await?;
                if refused.is_empty() {
                    report.created += creates;
                    report.updated += updates;
                } else {
                    report.failed_batches += 1;
                    report.skipped_rows += creates + updates - refused.len() as u64;
                    report.failed_rows += refused.len() as u64;
                    for (line, e) in refused {
                        errors.extend(RowError::from_error(line, &e));
                    }
                }
            }
            done += rows_here;
            progress(done, total);
        }
        errors.sort_by_key(|e| e.line);
        report.errors = errors;
        Ok(report)
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
                    id: Uuid::now_v7(),
                    tenant_id: tenant.id,
                    email: n.email,
                    first_name: n.first_name,
                    last_name: n.last_name,
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
        Ok(ImportEntry {
            line: c.line,
            user,
            replaces,
            password_hash: c.password_hash,
            totp_secret: c.totp_secret,
            effects,
        })
    }
}
