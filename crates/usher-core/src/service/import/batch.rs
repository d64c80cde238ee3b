//! One batch of an import: its rows checked and matched to the stored
//! users they name (by external id, then email), then written whole or not
//! at all, with the import's record saved past it in the same transaction.

use super::rows::{Checked, RowRules, Seen};
use crate::attribute::AttributeSet;
use crate::audit::{AuditAction, AuditContext};
use crate::error::{Error, ErrorCode};
use crate::ids::{Id, UserId};
use crate::import::{ImportRecord, ImportState, OnError, RawRow, RowError};
use crate::role::RoleName;
use crate::service::Services;
use crate::store::{Effects, ImportEntry, ImportMode, ImportSave, LinkKind, RoleWrites};
use crate::tenant::Tenant;
use crate::user::{LOCAL_SOURCE, User, UserPatch, UserState};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// The lines that `errors` (sorted by line) name.
pub(super) fn distinct_lines(errors: &[RowError]) -> u64 {
    let mut lines: Vec<u32> = errors.iter().map(|e| e.line).collect();
    lines.dedup();
    lines.len() as u64
}

/// One batch, checked and matched, ready for the store.
pub(super) struct Prepared {
    entries: Vec<ImportEntry>,
    errors: Vec<RowError>,
    /// Rows of the file in this batch (unreadable ones included).
    rows: u64,
    /// Good rows that would leave their stored user as it is.
    unchanged: u64,
}

impl Prepared {
    /// The batch's rows, its good rows (to write or unchanged) and its
    /// errors.
    pub(super) fn into_outcome(self) -> (u64, u64, Vec<RowError>) {
        let good = self.entries.len() as u64 + self.unchanged;
        (self.rows, good, self.errors)
    }
}

impl Services {
    /// Checks a batch's rows, reads the stored users they name, and makes
    /// their entries.
    pub(super) async fn prepare_batch(
        &self,
        tenant: &Tenant,
        rules: &RowRules,
        seen: &mut Seen,
        rows: Vec<RawRow>,
        read_errors: Vec<RowError>,
    ) -> Result<Prepared, Error> {
        let count = (rows.len() + read_errors.len()) as u64;
        let mut errors = read_errors;
        let checked = seen.screen(rows, rules, &mut errors);
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
        // The roles the matched users hold: a row's `roles` is compared
        // with them. People who hold an admin role are changed one at a
        // time, by a tenant_admin: an import may name them only to leave
        // them as they are.
        let matched: Vec<UserId> = by_id.keys().copied().collect();
        let held = self.store.role_names_of(tenant.id, &matched).await?;
        let admins: HashSet<UserId> = held
            .iter()
            .filter(|(_, names)| names.iter().any(RoleName::is_built_in))
            .map(|(id, _)| *id)
            .collect();
        let now = self.clock.now();
        let mut entries: Vec<ImportEntry> = Vec::with_capacity(checked.len());
        let mut unchanged = 0u64;
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
            let line = c.line;
            let admin = existing.is_some_and(|u| admins.contains(&u.id));
            let roles = existing
                .and_then(|u| held.get(&u.id))
                .map_or(&[][..], Vec::as_slice);
            let stored = existing.map(|u| (u, roles));
            match self.import_entry(tenant, c, stored, now, &rules.attrs) {
                Ok(Some(_)) if admin => errors.push(RowError::new(
                    line,
                    None,
                    ErrorCode::AdminUser,
                    "this person holds an admin role: a tenant_admin changes them one at a time",
                )),
                Ok(Some(e)) => entries.push(e),
                Ok(None) => unchanged += 1,
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
            unchanged,
        })
    }

    /// Writes batch `number` of the file and saves `record` past it: in
    /// the batch's own transaction when something is written, on its own
    /// otherwise. With `skip_row` the batch's good rows are written and its
    /// bad ones reported; otherwise a bad row keeps the whole batch out.
    /// With `last`, the record is saved finished.
    pub(super) async fn write_batch(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        record: &mut ImportRecord,
        batch: Prepared,
        number: u64,
        last: bool,
    ) -> Result<(), Error> {
        let Prepared {
            entries,
            mut errors,
            rows,
            unchanged,
        } = batch;
        let skip_rows = record.on_error == OnError::SkipRow;
        let mut next = record.clone();
        next.batches = number;
        next.rows += rows;
        if last {
            next.complete(self.clock.now());
        }
        let mut skipped = entries.len() as u64 + unchanged;
        if !entries.is_empty() && (errors.is_empty() || skip_rows) {
            // Whether each line's entry makes a user (for counting the rows
            // the store may refuse).
            let new_by_line: HashMap<u32, bool> = entries
                .iter()
                .map(|e| (e.line, e.replaces.is_none()))
                .collect();
            let created = new_by_line.values().filter(|n| **n).count() as u64;
            let updated = entries.len() as u64 - created;
            let mut kept = next.clone();
            kept.created += created;
            kept.updated += updated;
            kept.unchanged += unchanged;
            errors.sort_by_key(|e| e.line);
            kept.failed_rows += distinct_lines(&errors);
            kept.keep_errors(errors.clone());
            let draft = self
                .draft(ctx, Some(tenant), AuditAction::UserImport)
                .details(json!({"batch": number, "import_id": record.id.to_string()}));
            let save = ImportSave {
                record: kept.clone(),
                after: number - 1,
            };
            let mode = ImportMode {
                dry_run: record.dry_run,
                skip_refused: skip_rows,
            };
            let refused = self
                .store
                .import_users(tenant.id, entries, mode, draft, Some(save))
                .await?;
            if refused.is_empty() {
                *record = kept;
                return Ok(());
            }
            if skip_rows {
                // The rest of the batch is written; the store saved the
                // record with these rows counted as it counts them here.
                let counted: Vec<(u32, bool, &Error)> = refused
                    .iter()
                    .map(|(line, e)| (*line, new_by_line.get(line).copied().unwrap_or(true), e))
                    .collect();
                kept.count_refused(&counted);
                *record = kept;
                return Ok(());
            }
            skipped = created + updated + unchanged - refused.len() as u64;
            for (line, e) in refused {
                errors.extend(RowError::from_error(line, &e));
            }
        }
        errors.sort_by_key(|e| e.line);
        next.failed_rows += distinct_lines(&errors);
        if skip_rows || errors.is_empty() {
            // Nothing left to write: the good rows matched their users as
            // they are.
            next.unchanged += unchanged;
        } else {
            next.skipped_rows += skipped;
            next.failed_batches += 1;
        }
        next.keep_errors(errors);
        let save = ImportSave {
            record: next.clone(),
            after: number - 1,
        };
        self.store.save_import(save, None).await?;
        *record = next;
        Ok(())
    }

    /// The entry that writes one checked row: a new user, or the stored one
    /// (with the roles it holds) with the row's fields merged in; `None`
    /// when the row would leave the stored user as it is (running an
    /// import again changes nothing). A row with `roles` makes the user
    /// hold exactly those of the tenant's roles; one without leaves them.
    fn import_entry(
        &self,
        tenant: &Tenant,
        c: Checked,
        existing: Option<(&User, &[RoleName])>,
        now: time::OffsetDateTime,
        attrs: &AttributeSet,
    ) -> Result<Option<ImportEntry>, Vec<RowError>> {
        let mut effects = Effects::default();
        let held = existing.map_or(&[][..], |(_, held)| held);
        // Recorded by the batch's event (counts), not one event a change.
        let roles = RoleWrites {
            changes: c
                .roles
                .as_ref()
                .map(|wanted| crate::role::changes_to(held, wanted))
                .unwrap_or_default(),
            events: None,
        };
        let (mut user, replaces) = match existing.map(|(u, _)| u) {
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
                    // An invitation goes only to a user without one pending.
                    Some(ImportState::Invite)
                        if current.can_be_invited() && current != UserState::PendingInvitation =>
                    {
                        let pending = self.new_link(tenant, LinkKind::Invitation, now);
                        user.stored_state = UserState::PendingInvitation;
                        user.invitation_expires_at = Some(pending.expires_at());
                        effects = pending.into_effects(&user);
                    }
                    Some(ImportState::Blocked) if current == UserState::Active => {
                        user.stored_state = UserState::Blocked;
                    }
                    Some(ImportState::Disabled)
                        if matches!(current, UserState::Active | UserState::Blocked) =>
                    {
                        user.stored_state = UserState::Disabled;
                    }
                    // A state the user has moved past stays as it is.
                    _ => {}
                }
                if let Some(a) = c.archived
                    && matches!(user.stored_state, UserState::Active | UserState::Blocked)
                {
                    user.archived = a;
                }
                // A new address ends the links sent to the old one.
                if stored.email.normalized() != user.email.normalized() {
                    effects.revoke_links = true;
                }
                let secrets = c.password_hash.is_some() || c.totp_secret.is_some();
                let same = stored.diff(&user).is_empty() && effects.is_empty() && !secrets;
                if same && roles.is_empty() {
                    return Ok(None);
                }
                // Roles are no field of the user: changing them alone (as
                // the roles API does) makes no new version.
                if !same {
                    user.version = stored.version + 1;
                    user.updated_at = now;
                }
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
                    blocked_by: None,
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
                    // A user who signed up elsewhere, then was blocked or
                    // disabled there.
                    ImportState::Blocked => {
                        user.stored_state = UserState::Blocked;
                        user.signup_completed_at = Some(now);
                    }
                    ImportState::Disabled => {
                        user.stored_state = UserState::Disabled;
                        user.signup_completed_at = Some(now);
                    }
                }
                if c.archived == Some(true) {
                    if !matches!(user.stored_state, UserState::Active | UserState::Blocked) {
                        return Err(vec![RowError::new(
                            c.line,
                            Some("archived"),
                            ErrorCode::InvalidState,
                            "only an active or blocked user can be archived",
                        )]);
                    }
                    user.archived = true;
                }
                (user, None)
            }
        };
        if c.totp_secret.is_some() {
            user.mfa_enrolled = true;
        }
        effects.roles = roles;
        let totp_secret = c.totp_secret.map(|t| self.seal_secret(&t, user.id));
        Ok(Some(ImportEntry::new(
            c.line,
            user,
            replaces,
            c.password_hash,
            totp_secret,
            effects,
            now,
        )))
    }
}
