//! Bulk processes and their rows. A chunk of rows runs inside one write
//! job: each row's operation, its audit event and its outcome commit
//! together, so a run resumed after a crash never repeats a row.

use crate::conn::{DbExt, DbResult, audited, uuid};
use rusqlite::{Connection, OptionalExtension, Row, params};
use usher_core::BulkProcessId;
use usher_core::audit::AuditDraft;
use usher_core::bulk::{
    BulkAction, BulkProcess, BulkRow, BulkState, PROCESSED, RowData, refusal_outcome,
};
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::{Error, ErrorCode, Missing, StoreError};
use usher_core::role::RoleName;
use usher_core::store::{BulkChange, BulkOp, BulkStep};

const PROCESS_COLUMNS: &str = "p.id, t.id, p.action, p.validate, p.note, p.state, p.created_by, \
     p.created_at, p.started_by, p.started_at, p.finished_at, p.total, p.malformed, p.processed, \
     p.skipped, p.error, p.role";

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("unknown bulk {what}").into(),
    )
}

fn process_row(r: &Row<'_>) -> DbResult<BulkProcess> {
    let action: String = r.get(2)?;
    let state: String = r.get(5)?;
    Ok(BulkProcess {
        id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
        tenant_id: uuid(&r.get::<_, Vec<u8>>(1)?)?,
        action: BulkAction::parse(&action).ok_or_else(|| corrupt("action"))?,
        validate: r.get(3)?,
        note: r.get(4)?,
        state: BulkState::parse(&state).ok_or_else(|| corrupt("state"))?,
        created_by: r.get(6)?,
        created_at: from_micros(r.get(7)?),
        started_by: r.get(8)?,
        started_at: r.get::<_, Option<i64>>(9)?.map(from_micros),
        finished_at: r.get::<_, Option<i64>>(10)?.map(from_micros),
        total: r.get(11)?,
        malformed: r.get(12)?,
        processed: r.get(13)?,
        skipped: r.get(14)?,
        error: r.get(15)?,
        role: r.get::<_, Option<String>>(16)?.map(RoleName::from_stored),
    })
}

pub(crate) fn get(c: &Connection, tk: i64, id: BulkProcessId) -> DbResult<Option<BulkProcess>> {
    c.prepare_cached(&format!(
        "SELECT {PROCESS_COLUMNS} FROM bulk_processes p JOIN tenants t ON t.key = p.tenant_key \
         WHERE p.id = ?1 AND p.tenant_key = ?2"
    ))?
    .query_row(params![id.as_bytes().as_slice(), tk], process_row)
    .optional()
}

pub(crate) fn list(
    c: &Connection,
    tk: i64,
    before: Option<BulkProcessId>,
    limit: u32,
) -> DbResult<Vec<BulkProcess>> {
    // UUIDv7 ids sort by creation time.
    let before = before
        .map(|b| b.as_bytes().to_vec())
        .unwrap_or(vec![0xff; 17]);
    c.prepare_cached(&format!(
        "SELECT {PROCESS_COLUMNS} FROM bulk_processes p JOIN tenants t ON t.key = p.tenant_key \
         WHERE p.tenant_key = ?1 AND p.id < ?2 ORDER BY p.id DESC LIMIT ?3"
    ))?
    .query_map(params![tk, before, limit], process_row)?
    .collect()
}

pub(crate) fn rows(
    c: &Connection,
    process_id: BulkProcessId,
    after_line: u32,
    limit: u32,
    pending: bool,
) -> DbResult<Vec<BulkRow>> {
    let filter = if pending { "AND outcome IS NULL" } else { "" };
    c.prepare_cached(&format!(
        "SELECT line, reference, first_name, last_name, email, user_id, version, outcome = 'processed', outcome, message \
         FROM bulk_rows WHERE process_id = ?1 AND line > ?2 {filter} ORDER BY line LIMIT ?3"
    ))?
    .query_map(
        params![process_id.as_bytes().as_slice(), after_line, limit],
        |r| {
            Ok(BulkRow {
                line: r.get(0)?,
                data: RowData {
                    reference: r.get(1)?,
                    first_name: r.get(2)?,
                    last_name: r.get(3)?,
                    email: r.get(4)?,
                },
                user_id: r
                    .get::<_, Option<Vec<u8>>>(5)?
                    .map(|b| uuid(&b))
                    .transpose()?,
                version: r.get(6)?,
                processed: r.get::<_, Option<bool>>(7)?.unwrap_or(false),
                outcome: r.get(8)?,
                message: r.get(9)?,
            })
        },
    )?
    .collect()
}

pub(crate) fn create(
    c: &Connection,
    tk: i64,
    p: &BulkProcess,
    rows: &[BulkRow],
    audit: AuditDraft,
) -> Result<(), Error> {
    audited(c, audit, |c, _| {
        c.prepare_cached(
            "INSERT INTO bulk_processes (id, tenant_key, action, validate, note, state, created_by, \
             created_at, total, malformed, role) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .db()?
        .execute(params![
            p.id.as_bytes().as_slice(),
            tk,
            p.action.as_str(),
            p.validate,
            p.note,
            p.state.as_str(),
            p.created_by,
            to_micros(p.created_at),
            p.total,
            p.malformed,
            p.role.as_ref().map(RoleName::as_str),
        ])
        .db()?;
        let mut insert = c
            .prepare_cached(
                "INSERT INTO bulk_rows (process_id, line, reference, first_name, last_name, email, \
                 user_id, version, outcome, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .db()?;
        for r in rows {
            insert
                .execute(params![
                    p.id.as_bytes().as_slice(),
                    r.line,
                    r.data.reference,
                    r.data.first_name,
                    r.data.last_name,
                    r.data.email,
                    r.user_id.map(|u| u.as_bytes().to_vec()),
                    r.version,
                    r.outcome,
                    r.message,
                ])
                .db()?;
        }
        Ok(())
    })
}

pub(crate) fn move_state(
    c: &Connection,
    tk: i64,
    change: BulkChange,
    audit: AuditDraft,
) -> Result<BulkProcess, Error> {
    audited(c, audit, |c, draft| {
        let current = get(c, tk, change.id)
            .db()?
            .ok_or(Error::NotFound(Missing::BulkProcess))?;
        if !change.from.contains(&current.state) {
            return Err(Error::conflict(
                ErrorCode::InvalidBulkState,
                format!(
                    "the bulk process is {}; it cannot become {}",
                    current.state.as_str(),
                    change.to.as_str()
                ),
            ));
        }
        draft.details["from"] = current.state.as_str().into();
        let now = to_micros(change.now);
        let (started_at, finished_at) = match change.to {
            BulkState::Running => (Some(now), None),
            BulkState::Uploaded => (None, None),
            _ => (None, Some(now)),
        };
        c.prepare_cached(
            "UPDATE bulk_processes SET state = ?2, started_by = COALESCE(?3, started_by), \
             started_at = COALESCE(?4, started_at), finished_at = COALESCE(?5, finished_at), \
             error = COALESCE(?6, error) WHERE id = ?1",
        )
        .db()?
        .execute(params![
            change.id.as_bytes().as_slice(),
            change.to.as_str(),
            change.started_by,
            started_at,
            finished_at,
            change.error,
        ])
        .db()?;
        if let Some(job) = &change.job {
            crate::jobs::queue::insert(c, Some(tk), job, None).db()?;
        }
        get(c, tk, change.id)
            .db()?
            .ok_or(Error::NotFound(Missing::BulkProcess))
    })
}

/// Runs the steps of one chunk (see `Store::run_bulk`).
pub(crate) fn run(
    c: &Connection,
    tk: i64,
    process_id: BulkProcessId,
    steps: Vec<BulkStep>,
) -> Result<BulkProcess, Error> {
    let current = get(c, tk, process_id)
        .db()?
        .ok_or(Error::NotFound(Missing::BulkProcess))?;
    if current.state != BulkState::Running {
        return Ok(current);
    }
    let pid = process_id.as_bytes().to_vec();
    let (mut processed, mut skipped) = (0u32, 0u32);
    // The rows' changes to counters and search heads, written once for the
    // chunk: users moving between the same states share most of them.
    let mut totals = crate::users::counts::Totals::default();
    for step in steps {
        let waiting = c
            .prepare_cached(
                "SELECT 1 FROM bulk_rows WHERE process_id = ?1 AND line = ?2 AND outcome IS NULL",
            )
            .db()?
            .exists(params![pid, step.line])
            .db()?;
        if !waiting {
            continue;
        }
        let result = match step.op {
            BulkOp::Refuse { refusal, audit } => {
                crate::audit::append(c, audit.failed_with(&refusal)).db()?;
                Err(refusal)
            }
            BulkOp::Write(write) => {
                crate::users::ops::modify_deferred(c, tk, write, &mut totals).map(|_| ())
            }
            BulkOp::Delete {
                user_id,
                if_match,
                guard,
                audit,
            } => {
                crate::users::ops::delete(c, tk, current.tenant_id, user_id, if_match, guard, audit)
                    .map(|_| ())
            }
        };
        let (done, outcome, message) = match result {
            Ok(()) => (true, PROCESSED, None),
            Err(e) if e.is_refusal() => {
                let (code, message) = refusal_outcome(&e);
                (false, code, Some(message))
            }
            Err(e) => return Err(e),
        };
        if done {
            processed += 1;
        } else {
            skipped += 1;
        }
        c.prepare_cached(
            "UPDATE bulk_rows SET outcome = ?3, message = ?4 WHERE process_id = ?1 AND line = ?2",
        )
        .db()?
        .execute(params![pid, step.line, outcome, message])
        .db()?;
    }
    totals.flush(c, tk).db()?;
    c.prepare_cached(
        "UPDATE bulk_processes SET processed = processed + ?2, skipped = skipped + ?3 WHERE id = ?1",
    )
    .db()?
    .execute(params![pid, processed, skipped])
    .db()?;
    get(c, tk, process_id)
        .db()?
        .ok_or_else(|| StoreError::Corrupt("a running bulk process vanished".into()).into())
}
