//! Bulk processes and their rows: creating, reading and listing them (a
//! run's chunks are in `run`).

use crate::error::{DbExt, unavailable};
use crate::ids::{id, opt_id};
use crate::write::Write;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use usher_core::audit::AuditDraft;
use usher_core::bulk::{BulkAction, BulkProcess, BulkRow, BulkState, RowData};
use usher_core::error::{Error, ErrorCode, Missing};
use usher_core::role::RoleName;
use usher_core::store::BulkChange;
use usher_core::{BulkProcessId, Id, StoreError};
use uuid::Uuid;

/// A query of processes with their tenant's id, ending in `$condition`.
macro_rules! select_processes {
    ($condition:literal) => {
        concat!(
            "SELECT p.id, t.id AS tenant_id, p.action, p.validate, p.note, p.state, ",
            "p.created_by, p.created_at, p.started_by, p.started_at, p.finished_at, p.total, ",
            "p.malformed, p.processed, p.skipped, p.error, p.role ",
            "FROM bulk_processes p JOIN tenants t ON t.key = p.tenant_key WHERE ",
            $condition
        )
    };
}

/// A query of a process's rows in line order, ending in `$condition`.
macro_rules! select_rows {
    ($condition:literal) => {
        concat!(
            "SELECT line, reference, first_name, last_name, email, user_id, version, ",
            "coalesce(outcome = 'processed', false) AS processed, ",
            "outcome, message FROM bulk_rows WHERE process_id = $1 AND line > $2 ",
            $condition,
            " ORDER BY line LIMIT $3"
        )
    };
}

fn process_row(r: &PgRow) -> Result<BulkProcess, sqlx::Error> {
    let unknown = |what: &str| sqlx::Error::Decode(format!("unknown bulk {what}").into());
    let action: String = r.try_get("action")?;
    let state: String = r.try_get("state")?;
    let count = |k: &str| r.try_get::<i32, _>(k).map(|n| n.max(0) as u32);
    Ok(BulkProcess {
        id: id(r, "id")?,
        tenant_id: id(r, "tenant_id")?,
        action: BulkAction::parse(&action).ok_or_else(|| unknown("action"))?,
        validate: r.try_get("validate")?,
        note: r.try_get("note")?,
        state: BulkState::parse(&state).ok_or_else(|| unknown("state"))?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        started_by: r.try_get("started_by")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        total: count("total")?,
        malformed: count("malformed")?,
        processed: count("processed")?,
        skipped: count("skipped")?,
        error: r.try_get("error")?,
        role: r
            .try_get::<Option<String>, _>("role")?
            .map(RoleName::from_stored),
    })
}

/// The process, its row locked when `lock`.
pub(super) async fn fetch(
    c: &mut PgConnection,
    tk: i64,
    id: BulkProcessId,
    lock: bool,
) -> Result<Option<BulkProcess>, sqlx::Error> {
    let query = if lock {
        select_processes!("p.id = $1 AND p.tenant_key = $2 FOR UPDATE OF p")
    } else {
        select_processes!("p.id = $1 AND p.tenant_key = $2")
    };
    let row = sqlx::query(query)
        .bind(id.uuid())
        .bind(tk)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(process_row).transpose()
}

pub(crate) async fn get(
    pool: &PgPool,
    tk: i64,
    id: BulkProcessId,
) -> Result<Option<BulkProcess>, StoreError> {
    let mut c = pool.acquire().await.map_err(unavailable)?;
    fetch(&mut c, tk, id, false).await.map_err(unavailable)
}

pub(crate) async fn list(
    pool: &PgPool,
    tk: i64,
    before: Option<BulkProcessId>,
    limit: u32,
) -> Result<Vec<BulkProcess>, StoreError> {
    // UUIDv7 ids sort by creation time.
    let before = before.unwrap_or(Id::from_uuid(Uuid::max()));
    let rows = sqlx::query(select_processes!(
        "p.tenant_key = $1 AND p.id < $2 ORDER BY p.id DESC LIMIT $3"
    ))
    .bind(tk)
    .bind(before.uuid())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    rows.iter()
        .map(process_row)
        .collect::<Result<_, _>>()
        .map_err(unavailable)
}

pub(crate) async fn rows(
    pool: &PgPool,
    process_id: BulkProcessId,
    after_line: u32,
    limit: u32,
    pending: bool,
) -> Result<Vec<BulkRow>, StoreError> {
    let query = if pending {
        select_rows!("AND outcome IS NULL")
    } else {
        select_rows!("")
    };
    let rows = sqlx::query(query)
        .bind(process_id.uuid())
        .bind(after_line as i32)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(unavailable)?;
    rows.iter()
        .map(|r| {
            Ok(BulkRow {
                line: r.try_get::<i32, _>("line")?.max(0) as u32,
                data: RowData {
                    reference: r.try_get("reference")?,
                    first_name: r.try_get("first_name")?,
                    last_name: r.try_get("last_name")?,
                    email: r.try_get("email")?,
                },
                user_id: opt_id(r, "user_id")?,
                version: r.try_get("version")?,
                processed: r.try_get("processed")?,
                outcome: r.try_get("outcome")?,
                message: r.try_get("message")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(unavailable)
}

pub(crate) async fn create(
    pool: &PgPool,
    tk: i64,
    p: BulkProcess,
    rows: Vec<BulkRow>,
    audit: AuditDraft,
) -> Result<(), Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        sqlx::query(
            "INSERT INTO bulk_processes (id, tenant_key, action, validate, note, state, created_by, \
             created_at, total, malformed, role) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(p.id.uuid())
        .bind(tk)
        .bind(p.action.as_str())
        .bind(p.validate)
        .bind(&p.note)
        .bind(p.state.as_str())
        .bind(&p.created_by)
        .bind(p.created_at)
        .bind(p.total as i32)
        .bind(p.malformed as i32)
        .bind(p.role.as_ref().map(RoleName::as_str))
        .execute(&mut *w.tx)
        .await
        .db()?;
        // A few thousand rows per statement, as arrays.
        for chunk in rows.chunks(5000) {
            let col = |f: fn(&BulkRow) -> Option<String>| chunk.iter().map(f).collect::<Vec<_>>();
            sqlx::query(
                "INSERT INTO bulk_rows (process_id, line, reference, first_name, last_name, email, \
                 user_id, version, outcome, message) \
                 SELECT $1, * FROM UNNEST($2::int4[], $3::text[], $4::text[], $5::text[], $6::text[], \
                 $7::uuid[], $8::int8[], $9::text[], $10::text[])",
            )
            .bind(p.id.uuid())
            .bind(chunk.iter().map(|r| r.line as i32).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.data.reference.clone()).collect::<Vec<_>>())
            .bind(col(|r| r.data.first_name.clone()))
            .bind(col(|r| r.data.last_name.clone()))
            .bind(col(|r| r.data.email.clone()))
            .bind(chunk.iter().map(|r| r.user_id.map(Id::uuid)).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.version).collect::<Vec<_>>())
            .bind(col(|r| r.outcome.clone()))
            .bind(col(|r| r.message.clone()))
            .execute(&mut *w.tx)
            .await
            .db()?;
        }
        Ok(())
    }
    .await;
    w.finish(result).await
}

pub(crate) async fn move_state(
    pool: &PgPool,
    tk: i64,
    change: BulkChange,
    audit: AuditDraft,
) -> Result<BulkProcess, Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let current = fetch(&mut w.tx, tk, change.id, true)
            .await
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
        w.draft.details["from"] = current.state.as_str().into();
        let (started_at, finished_at) = match change.to {
            BulkState::Running => (Some(change.now), None),
            BulkState::Uploaded => (None, None),
            _ => (None, Some(change.now)),
        };
        sqlx::query(
            "UPDATE bulk_processes SET state = $2, started_by = COALESCE($3, started_by), \
             started_at = COALESCE($4, started_at), finished_at = COALESCE($5, finished_at), \
             error = COALESCE($6, error) WHERE id = $1",
        )
        .bind(change.id.uuid())
        .bind(change.to.as_str())
        .bind(&change.started_by)
        .bind(started_at)
        .bind(finished_at)
        .bind(&change.error)
        .execute(&mut *w.tx)
        .await
        .db()?;
        if let Some(job) = &change.job {
            crate::jobs::queue::insert(&mut w.tx, Some(tk), job, None)
                .await
                .db()?;
        }
        fetch(&mut w.tx, tk, change.id, false)
            .await
            .db()?
            .ok_or(Error::NotFound(Missing::BulkProcess))
    }
    .await;
    w.finish(result).await
}
