//! Bulk processes: upload a CSV file naming users, start the action over
//! them in the background, follow its progress row by row, cancel it.
//!
//! Starting a process queues its run as a job (`bulk_run`). Rows run in
//! chunks (`BulkStore::bulk_chunk_rows`), each chunk one transaction that
//! also records every row's outcome; a run taken over after a crash (its
//! job's lease ran out, or the process restarted) carries on with the
//! first row without an outcome. Every row is audited like the single
//! action, in the name of the admin who started the process.

use super::Services;
use crate::audit::{Actor, AuditAction, AuditContext, AuditDraft};
use crate::bulk::{
    BulkAction, BulkProcess, BulkRow, BulkState, LineError, MAX_NOTE_CHARS, RowKey, parse_csv,
    row_matches,
};
use crate::error::{Error, ErrorCode, FieldError, Missing, ValidationErrors};
use crate::ids::{BulkProcessId, UserId};
use crate::job::JobKind;
use crate::job::NewJob;
use crate::role::RoleName;
use crate::store::{BulkChange, BulkOp, BulkStep, Effects, RoleChange, RoleWrites, UserWrite};
use crate::tenant::Tenant;
use crate::user::{BlockedBy, User};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

/// What an admin uploads.
#[derive(Debug, Clone, Default)]
pub struct BulkUpload {
    pub action: Option<String>,
    /// The role of `assign_role` and `remove_role`: one of the tenant's own.
    pub role: Option<String>,
    pub validate: bool,
    pub note: Option<String>,
    pub file: Vec<u8>,
}

/// An upload as stored, with the rows that could not be read.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub process: BulkProcess,
    pub malformed: Vec<LineError>,
}

/// How often a run retries a chunk the store could not take before it
/// gives up and marks the process failed.
const RETRIES: u32 = 5;

impl Services {
    /// Checks and stores an uploaded file; nothing runs yet.
    pub async fn upload_bulk(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        upload: BulkUpload,
    ) -> Result<Uploaded, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::BulkCreate);
        let mut errors = ValidationErrors::default();
        let action = match upload.action.as_deref() {
            None | Some("") => {
                errors.push(FieldError::new(
                    "action",
                    ErrorCode::Required,
                    "choose the action to run",
                ));
                None
            }
            Some(a) => match BulkAction::parse(a) {
                Some(a) => Some(a),
                None => {
                    let names: Vec<&str> = BulkAction::ALL.iter().map(|a| a.as_str()).collect();
                    errors.push(FieldError::new(
                        "action",
                        ErrorCode::InvalidAction,
                        format!("must be one of {}", names.join(", ")),
                    ));
                    None
                }
            },
        };
        let note = upload
            .note
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        if let Some(n) = &note
            && n.chars().count() > MAX_NOTE_CHARS
        {
            errors.push(FieldError::new(
                "note",
                ErrorCode::TooLong,
                format!("must be at most {MAX_NOTE_CHARS} characters"),
            ));
        }
        let role = self
            .bulk_role(tenant, action, upload.role.as_deref(), &mut errors)
            .await?;
        let parsed = parse_csv(&upload.file);
        let (Some(action), true) = (action, errors.0.is_empty()) else {
            return Err(self.refuse(draft, Error::Validation(errors)).await);
        };
        let parsed = self.accept(&draft, parsed).await?;
        let now = self.clock.now();
        let id = BulkProcessId::generate();
        let mut rows = Vec::with_capacity(parsed.rows.len() + parsed.malformed.len());
        for r in &parsed.rows {
            let user = match &r.key {
                RowKey::Id(uid) => self.store.get_user(tenant.id, *uid).await?,
                RowKey::Email(e) => self.store.user_by_email(tenant.id, e).await?,
            };
            rows.push(BulkRow {
                line: r.line,
                data: r.data.clone(),
                user_id: user.as_ref().map(|u| u.id),
                version: user.as_ref().map(|u| u.version),
                processed: false,
                outcome: None,
                message: None,
            });
        }
        for m in &parsed.malformed {
            rows.push(BulkRow {
                line: m.line,
                data: m.data.clone(),
                user_id: None,
                version: None,
                processed: false,
                outcome: Some(m.code.to_owned()),
                message: Some(m.message.clone()),
            });
        }
        rows.sort_by_key(|r| r.line);
        let process = BulkProcess {
            id,
            tenant_id: tenant.id,
            action,
            validate: upload.validate,
            note,
            role,
            state: BulkState::Uploaded,
            created_by: ctx.actor.to_stored(),
            created_at: now,
            started_by: None,
            started_at: None,
            finished_at: None,
            total: rows.len() as u32,
            malformed: parsed.malformed.len() as u32,
            processed: 0,
            skipped: 0,
            error: None,
        };
        let draft = draft.target("bulk_process", id).details(json!({
            "action": action.as_str(),
            "role": process.role.as_ref().map(RoleName::as_str),
            "rows": process.total,
            "malformed": process.malformed,
            "validate": process.validate,
        }));
        self.store.create_bulk(process.clone(), rows, draft).await?;
        Ok(Uploaded {
            process,
            malformed: parsed.malformed,
        })
    }

    /// A process of the tenant, answering `bulk_process_not_found` (audited)
    /// otherwise.
    async fn existing_bulk(
        &self,
        tenant: &Tenant,
        draft: AuditDraft,
        id: &str,
    ) -> Result<(BulkProcess, AuditDraft), Error> {
        let found = match id.parse::<BulkProcessId>() {
            Ok(uid) => self.store.get_bulk(tenant.id, uid).await?,
            Err(_) => None,
        };
        match found {
            Some(p) => {
                let draft = draft.target("bulk_process", p.id);
                Ok((p, draft))
            }
            None => Err(self
                .refuse(draft, Error::NotFound(Missing::BulkProcess))
                .await),
        }
    }

    /// One process (audited as a view).
    pub async fn get_bulk(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
    ) -> Result<BulkProcess, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::BulkView);
        let (p, draft) = self.existing_bulk(tenant, draft, id).await?;
        self.store.append_audit(draft).await?;
        Ok(p)
    }

    /// The tenant's processes, newest first (audited as a list).
    pub async fn list_bulk(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Vec<BulkProcess>, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::BulkList);
        let before = match before.map(str::parse::<BulkProcessId>).transpose() {
            Ok(b) => b,
            Err(_) => {
                let e = Error::bad_request(
                    ErrorCode::InvalidCursor,
                    "before must be a bulk process id",
                );
                return Err(self.refuse(draft, e).await);
            }
        };
        let list = self.store.list_bulk(tenant.id, before, limit).await?;
        self.store
            .append_audit(draft.details(json!({"count": list.len()})))
            .await?;
        Ok(list)
    }

    /// A process's rows in line order, after `after_line` (audited as a view).
    pub async fn bulk_rows(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
        after_line: u32,
        limit: u32,
    ) -> Result<(BulkProcess, Vec<BulkRow>), Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::BulkRows);
        let (p, draft) = self.existing_bulk(tenant, draft, id).await?;
        let rows = self.store.bulk_rows(p.id, after_line, limit, false).await?;
        self.store
            .append_audit(draft.details(json!({"after_line": after_line, "count": rows.len()})))
            .await?;
        Ok((p, rows))
    }

    /// Starts an uploaded process in the background. Deleting users needs
    /// `confirm_delete`.
    pub async fn start_bulk(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
        confirm_delete: bool,
    ) -> Result<BulkProcess, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::BulkStart);
        let (p, draft) = self.existing_bulk(tenant, draft, id).await?;
        if p.action == BulkAction::Delete && !confirm_delete {
            let e = Error::Validation(ValidationErrors(vec![FieldError::new(
                "confirm_delete",
                ErrorCode::ConfirmationRequired,
                "deleting users cannot be undone: start again with confirm_delete set to true",
            )]));
            return Err(self.refuse(draft, e).await);
        }
        let now = self.clock.now();
        // The run is a job queued with the move, so that it happens (in
        // this process or another) however the process that started it
        // fares.
        let run = NewJob::new(
            JobKind::BulkRun,
            Some(tenant.id),
            json!({ "bulk_process_id": p.id }),
            now,
        );
        let change = BulkChange {
            started_by: Some(ctx.actor.to_stored()),
            job: Some(run),
            ..BulkChange::new(
                tenant.id,
                p.id,
                &[BulkState::Uploaded],
                BulkState::Running,
                now,
            )
        };
        self.store.move_bulk(change, draft).await
    }

    /// Stops a process before its next chunk; rows already run stay run.
    pub async fn cancel_bulk(
        &self,
        tenant: &Tenant,
        ctx: &AuditContext,
        id: &str,
    ) -> Result<BulkProcess, Error> {
        let draft = self.draft(ctx, Some(tenant), AuditAction::BulkCancel);
        let (p, draft) = self.existing_bulk(tenant, draft, id).await?;
        let change = BulkChange::new(
            tenant.id,
            p.id,
            &[BulkState::Uploaded, BulkState::Running],
            BulkState::Cancelled,
            self.clock.now(),
        );
        self.store.move_bulk(change, draft).await
    }

    /// The run itself: chunk after chunk until no row waits or the process
    /// is no longer running. While the store runs one chunk, the next one
    /// is read and planned (its rows name other users, so nothing it reads
    /// is being changed by the chunk before it).
    pub(crate) async fn run_bulk(&self, tenant: &Tenant, id: BulkProcessId) -> Result<(), Error> {
        let Some(p) = self.store.get_bulk(tenant.id, id).await? else {
            return Ok(());
        };
        if p.state != BulkState::Running {
            return Ok(());
        }
        let mut failures = 0;
        // The last line before the chunk in hand.
        let mut after = 0;
        let mut planned = self.next_chunk(tenant, &p, after).await?;
        loop {
            let Some((steps, last)) = planned else {
                return self.complete_bulk(tenant, id).await;
            };
            let (ran, next) = tokio::join!(
                self.store.run_bulk(tenant.id, id, steps),
                self.next_chunk(tenant, &p, last),
            );
            match ran {
                Ok(now) if now.state != BulkState::Running => return Ok(()),
                Ok(_) => {
                    failures = 0;
                    after = last;
                    planned = next?;
                }
                Err(Error::Store(e)) if failures < RETRIES => {
                    failures += 1;
                    tracing::warn!(bulk_process = %id, error = %e, failures, "a bulk chunk failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200 << failures)).await;
                    planned = self.next_chunk(tenant, &p, after).await?;
                }
                Err(e) => {
                    self.fail_bulk(tenant, id, &e).await;
                    return Err(e);
                }
            }
        }
    }

    /// The steps of the next rows without an outcome after `after`, and the
    /// last line among them; `None` when no row waits.
    async fn next_chunk(
        &self,
        tenant: &Tenant,
        p: &BulkProcess,
        after: u32,
    ) -> Result<Option<(Vec<BulkStep>, u32)>, Error> {
        let rows = self
            .store
            .bulk_rows(p.id, after, self.store.bulk_chunk_rows() as u32, true)
            .await?;
        let Some(last) = rows.last().map(|r| r.line) else {
            return Ok(None);
        };
        Ok(Some((self.plan_rows(tenant, p, rows).await?, last)))
    }

    async fn complete_bulk(&self, tenant: &Tenant, id: BulkProcessId) -> Result<(), Error> {
        let Some(p) = self.store.get_bulk(tenant.id, id).await? else {
            return Ok(());
        };
        let change = BulkChange::new(
            tenant.id,
            id,
            &[BulkState::Running],
            BulkState::Completed,
            self.clock.now(),
        );
        let draft = self
            .draft(
                &AuditContext::new(Actor::system()),
                Some(tenant),
                AuditAction::BulkComplete,
            )
            .target("bulk_process", id)
            .details(
                json!({"processed": p.processed, "skipped": p.skipped, "malformed": p.malformed}),
            );
        match self.store.move_bulk(change, draft).await {
            // Cancelled between the last chunk and now: it stays so.
            Ok(_) | Err(Error::Conflict { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn fail_bulk(&self, tenant: &Tenant, id: BulkProcessId, e: &Error) {
        let change = BulkChange {
            error: Some(e.to_string()),
            ..BulkChange::new(
                tenant.id,
                id,
                &[BulkState::Running],
                BulkState::Failed,
                self.clock.now(),
            )
        };
        let draft = self
            .draft(
                &AuditContext::new(Actor::system()),
                Some(tenant),
                AuditAction::BulkFail,
            )
            .target("bulk_process", id);
        if let Err(e) = self.store.move_bulk(change, draft).await {
            tracing::error!(bulk_process = %id, error = %e, "marking a bulk process failed did not work");
        }
    }

    /// What each row does: the single action's write, or a refusal when the
    /// user is gone, was changed after the upload, or no longer matches.
    async fn plan_rows(
        &self,
        tenant: &Tenant,
        p: &BulkProcess,
        rows: Vec<BulkRow>,
    ) -> Result<Vec<BulkStep>, Error> {
        let actor = Actor::from_stored(p.started_by.as_deref().unwrap_or_default());
        let ctx = AuditContext::new(actor);
        let ids = rows.iter().filter_map(|r| r.user_id).collect();
        let users: HashMap<UserId, User> = self
            .store
            .get_users(tenant.id, ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        // People who hold an admin role are changed one at a time, by a
        // tenant_admin: a bulk_operator's file must not reach them.
        let listed: Vec<UserId> = users.keys().copied().collect();
        let admins = self.store.role_names_of(tenant.id, &listed).await?;
        let is_admin = |id: &UserId| {
            admins
                .get(id)
                .is_some_and(|names| names.iter().any(RoleName::is_built_in))
        };
        let mut steps = Vec::with_capacity(rows.len());
        for row in rows {
            let draft = self
                .draft(&ctx, Some(tenant), audit_action(p.action))
                .details(json!({
                    "bulk_process_id": p.id.to_string(),
                    "line": row.line,
                    "role": p.role.as_ref().map(RoleName::as_str),
                }));
            let user = row.user_id.and_then(|uid| users.get(&uid));
            let refuse = |refusal: Error, draft: AuditDraft| BulkStep {
                line: row.line,
                op: BulkOp::Refuse {
                    refusal,
                    audit: draft,
                },
            };
            let Some(user) = user else {
                let e = Error::conflict(ErrorCode::UnknownUser, "no user with this id or email");
                steps.push(refuse(e, draft));
                continue;
            };
            let draft = draft.target("user", user.id);
            if is_admin(&user.id) {
                let e = Error::conflict(
                    ErrorCode::AdminUser,
                    "this person holds an admin role: a tenant_admin changes them one at a time",
                );
                steps.push(refuse(e, draft));
                continue;
            }
            if Some(user.version) != row.version {
                let e = Error::conflict(
                    ErrorCode::DataChanged,
                    "the user was changed in the meantime (after the upload)",
                );
                steps.push(refuse(e, draft));
                continue;
            }
            if p.validate && !row_matches(&row.data, user) {
                let e = Error::conflict(
                    ErrorCode::DataMismatch,
                    "the name or email in the file no longer matches the user",
                );
                steps.push(refuse(e, draft));
                continue;
            }
            let op = self.row_op(tenant, p, user, draft);
            steps.push(BulkStep { line: row.line, op });
        }
        Ok(steps)
    }

    fn row_op(&self, tenant: &Tenant, p: &BulkProcess, user: &User, draft: AuditDraft) -> BulkOp {
        let action = p.action;
        let version = Some(user.version);
        if let (true, Some(role)) = (action.needs_role(), p.role.clone()) {
            let change = match action {
                BulkAction::AssignRole => RoleChange::Assign(role),
                _ => RoleChange::Remove(role),
            };
            return BulkOp::Write(UserWrite {
                tenant_id: tenant.id,
                user_id: user.id,
                if_match: version,
                now: self.clock.now(),
                mutation: Box::new(move |_| {
                    Ok(Effects {
                        roles: RoleWrites::one(change),
                        ..Effects::default()
                    })
                }),
                audit: draft,
            });
        }
        if let Some(a) = action.lifecycle() {
            let starter = BlockedBy {
                admin_id: draft.actor.person(),
                scope: None,
            };
            return BulkOp::Write(self.action_write(tenant, user.id, version, a, starter, draft));
        }
        match action {
            BulkAction::PasswordReset => {
                BulkOp::Write(self.reset_write(tenant, user.id, version, draft))
            }
            BulkAction::RevokeSessions => BulkOp::Write(UserWrite {
                tenant_id: tenant.id,
                user_id: user.id,
                if_match: version,
                now: self.clock.now(),
                mutation: Box::new(|_| {
                    Ok(Effects {
                        end_sessions: true,
                        ..Effects::default()
                    })
                }),
                audit: draft,
            }),
            _ => BulkOp::Delete {
                user_id: user.id,
                if_match: version,
                // Scoped admins run no bulk processes.
                guard: self.delete_guard(tenant, None),
                audit: draft,
            },
        }
    }
}

/// The audit action of a row: the same as the single action's.
fn audit_action(action: BulkAction) -> AuditAction {
    match (action, action.lifecycle()) {
        (_, Some(a)) => a.audit_name(),
        (BulkAction::PasswordReset, _) => AuditAction::UserPasswordReset,
        (BulkAction::RevokeSessions, _) => AuditAction::SessionRevokeAll,
        (BulkAction::AssignRole, _) => AuditAction::UserRoleAssign,
        (BulkAction::RemoveRole, _) => AuditAction::UserRoleRemove,
        _ => AuditAction::UserDelete,
    }
}
