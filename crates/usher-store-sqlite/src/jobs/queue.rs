//! The job table's SQL. Every write runs on the single writer, so a claim
//! (select the due rows, then lease them) is atomic without row locks.

use crate::conn::{DbExt, DbResult, audited, uuid};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use time::{Duration, OffsetDateTime};
use usher_core::JobId;
use usher_core::audit::AuditDraft;
use usher_core::clock::{from_micros, to_micros};
use usher_core::error::{Error, ErrorCode, Missing};
use usher_core::job::{JobKind, JobOutcome, JobQuery, JobRecord, JobState, NewJob};
use usher_core::listing::Page;
use usher_core::store::JobStats;

const COLUMNS: &str = "j.id, j.kind, t.id, j.payload, j.state, j.attempts, j.run_at, j.lease_owner, \
     j.lease_expires_at, j.last_error, j.every_secs, j.created_at, j.finished_at";
const FROM: &str = "jobs j LEFT JOIN tenants t ON t.key = j.tenant_key";

fn record(r: &Row<'_>) -> DbResult<JobRecord> {
    let bad = |what: &str| crate::conn::corrupt(what);
    let kind: String = r.get(1)?;
    let state: String = r.get(4)?;
    let tenant: Option<Vec<u8>> = r.get(2)?;
    let payload: String = r.get(3)?;
    Ok(JobRecord {
        id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
        kind: JobKind::parse(&kind).ok_or_else(|| bad("job kind"))?,
        tenant: tenant.as_deref().map(uuid).transpose()?,
        payload: serde_json::from_str(&payload).map_err(|_| bad("job payload"))?,
        state: JobState::parse(&state).ok_or_else(|| bad("job state"))?,
        attempts: r.get(5)?,
        run_at: from_micros(r.get(6)?),
        lease_owner: r.get(7)?,
        lease_expires_at: r.get::<_, Option<i64>>(8)?.map(from_micros),
        last_error: r.get(9)?,
        every: r.get::<_, Option<i64>>(10)?.map(Duration::seconds),
        created_at: from_micros(r.get(11)?),
        finished_at: r.get::<_, Option<i64>>(12)?.map(from_micros),
    })
}

/// Inserts a job (with `every`, a recurring one; `OR IGNORE` then keeps the
/// one already there). Answers whether a row was added.
pub(crate) fn insert(
    c: &Connection,
    tk: Option<i64>,
    job: &NewJob,
    every: Option<Duration>,
) -> DbResult<bool> {
    let added = c
        .prepare_cached(
            "INSERT OR IGNORE INTO jobs (id, kind, tenant_key, payload, state, attempts, run_at, every_secs, created_at) \
             VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, ?6, ?5)",
        )?
        .execute(params![
            job.id.as_bytes().as_slice(),
            job.kind.as_str(),
            tk,
            job.payload.to_string(),
            to_micros(job.run_at),
            every.map(|e| e.whole_seconds()),
        ])?;
    Ok(added == 1)
}

fn select_by_ids(c: &Connection, ids: &[Vec<u8>]) -> DbResult<Vec<JobRecord>> {
    let mut out = Vec::with_capacity(ids.len());
    let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM {FROM} WHERE j.id = ?1"))?;
    for id in ids {
        out.extend(stmt.query_row([id], record).optional()?);
    }
    Ok(out)
}

pub(crate) fn claim(
    c: &Connection,
    owner: &str,
    kinds: &[JobKind],
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: u32,
) -> DbResult<Vec<JobRecord>> {
    if kinds.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    // Numbered: the kinds are ?3, ?4, … in both halves.
    let marks = (0..kinds.len())
        .map(|i| format!("?{}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    // Two index ranges (due queued jobs, running jobs whose lease ran out)
    // rather than one OR that would scan the table.
    let sql = format!(
        "SELECT id FROM (\
           SELECT id, run_at FROM jobs WHERE state = 'queued' AND run_at <= ?1 AND kind IN ({marks}) \
           UNION ALL \
           SELECT id, run_at FROM jobs WHERE state = 'running' AND lease_expires_at <= ?1 AND kind IN ({marks})\
         ) ORDER BY run_at LIMIT ?2"
    );
    let mut args: Vec<Value> = vec![Value::Integer(to_micros(now)), Value::Integer(limit.into())];
    args.extend(kinds.iter().map(|k| Value::Text(k.as_str().to_owned())));
    let ids: Vec<Vec<u8>> = c
        .prepare_cached(&sql)?
        .query_map(params_from_iter(args.iter()), |r| r.get(0))?
        .collect::<DbResult<_>>()?;
    let mut lease = c.prepare_cached(
        "UPDATE jobs SET state = 'running', lease_owner = ?2, lease_expires_at = ?3, \
         attempts = attempts + 1 WHERE id = ?1",
    )?;
    for id in &ids {
        lease.execute(params![id, owner, to_micros(lease_until)])?;
    }
    select_by_ids(c, &ids)
}

/// Claims job `id` when it is due (see [`claim`]).
pub(crate) fn claim_one(
    c: &Connection,
    id: JobId,
    owner: &str,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
) -> DbResult<Option<JobRecord>> {
    let claimed = c
        .prepare_cached(
            "UPDATE jobs SET state = 'running', lease_owner = ?2, lease_expires_at = ?3, \
             attempts = attempts + 1 WHERE id = ?1 \
             AND ((state = 'queued' AND run_at <= ?4) \
               OR (state = 'running' AND lease_expires_at <= ?4))",
        )?
        .execute(params![
            id.as_bytes().as_slice(),
            owner,
            to_micros(lease_until),
            to_micros(now)
        ])?;
    if claimed == 0 {
        return Ok(None);
    }
    Ok(select_by_ids(c, &[id.as_bytes().to_vec()])?.pop())
}

pub(crate) fn release(
    c: &Connection,
    instance: &str,
    except: &str,
    now: OffsetDateTime,
) -> DbResult<u64> {
    let n = c
        .prepare_cached(
            "UPDATE jobs SET lease_expires_at = ?3 WHERE state = 'running' \
             AND substr(lease_owner, 1, length(?1)) = ?1 AND lease_owner <> ?2",
        )?
        .execute(params![instance, except, to_micros(now)])?;
    Ok(n as u64)
}

pub(crate) fn renew(
    c: &Connection,
    id: JobId,
    owner: &str,
    until: OffsetDateTime,
) -> DbResult<bool> {
    let n = c
        .prepare_cached(
            "UPDATE jobs SET lease_expires_at = ?3 WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
        )?
        .execute(params![id.as_bytes().as_slice(), owner, to_micros(until)])?;
    Ok(n == 1)
}

pub(crate) fn finish(
    c: &Connection,
    id: JobId,
    owner: &str,
    outcome: &JobOutcome,
    now: OffsetDateTime,
) -> DbResult<bool> {
    // A recurring job never ends: done or given up, it waits for its next
    // turn (`every_secs` after now) with its attempts counted afresh.
    let (sql, error, at): (&str, Option<&str>, Option<i64>) = match outcome {
        JobOutcome::Completed => (
            "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL, last_error = ?3, \
             state = CASE WHEN every_secs IS NULL THEN 'completed' ELSE 'queued' END, \
             finished_at = CASE WHEN every_secs IS NULL THEN ?4 END, \
             attempts = CASE WHEN every_secs IS NULL THEN attempts ELSE 0 END, \
             run_at = CASE WHEN every_secs IS NULL THEN run_at ELSE ?4 + every_secs * 1000000 END \
             WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
            None,
            None,
        ),
        JobOutcome::Retry { error, at } => (
            "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL, last_error = ?3, \
             state = 'queued', run_at = ?5 WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
            Some(error),
            Some(to_micros(*at)),
        ),
        JobOutcome::Failed { error } => (
            "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL, last_error = ?3, \
             state = CASE WHEN every_secs IS NULL THEN 'failed' ELSE 'queued' END, \
             finished_at = CASE WHEN every_secs IS NULL THEN ?4 END, \
             attempts = CASE WHEN every_secs IS NULL THEN attempts ELSE 0 END, \
             run_at = CASE WHEN every_secs IS NULL THEN run_at ELSE ?4 + every_secs * 1000000 END \
             WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
            Some(error),
            None,
        ),
    };
    let mut stmt = c.prepare_cached(sql)?;
    let id = id.as_bytes().as_slice();
    let n = match at {
        Some(at) => stmt.execute(params![id, owner, error, to_micros(now), at])?,
        None => stmt.execute(params![id, owner, error, to_micros(now)])?,
    };
    Ok(n == 1)
}

pub(crate) fn get(c: &Connection, tk: Option<i64>, id: JobId) -> DbResult<Option<JobRecord>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE j.id = ?1 AND (?2 IS NULL OR j.tenant_key = ?2)"
    ))?
    .query_row(params![id.as_bytes().as_slice(), tk], record)
    .optional()
}

pub(crate) fn list(c: &Connection, tk: Option<i64>, q: &JobQuery) -> DbResult<Page<JobRecord>> {
    let mut filter = String::from("1 = 1");
    let mut args: Vec<Value> = Vec::new();
    let mut add = |sql: &str, v: Value| {
        filter.push_str(sql);
        args.push(v);
    };
    if let Some(tk) = tk {
        add(" AND j.tenant_key = ?", Value::Integer(tk));
    }
    if let Some(k) = q.kind {
        add(" AND j.kind = ?", Value::Text(k.as_str().to_owned()));
    }
    if let Some(s) = q.state {
        add(" AND j.state = ?", Value::Text(s.as_str().to_owned()));
    }
    c.execute_batch("BEGIN")?;
    let total: i64 = c
        .prepare_cached(&format!("SELECT COUNT(*) FROM jobs j WHERE {filter}"))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    let read = q.cursor.newest_first();
    let mut page_args = args.clone();
    let bound = read.bound.map_or(String::new(), |(op, k)| {
        let key = k
            .parse::<JobId>()
            .map(|id| id.as_bytes().to_vec())
            .unwrap_or_default();
        page_args.push(Value::Blob(key));
        format!(" AND j.id {op} ?")
    });
    page_args.push(Value::Integer(i64::from(q.limit) + 1));
    let order = if read.descending { "DESC" } else { "ASC" };
    let items: Vec<JobRecord> = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {filter}{bound} ORDER BY j.id {order} LIMIT ?"
        ))?
        .query_map(params_from_iter(page_args.iter()), record)?
        .collect::<DbResult<_>>()?;
    c.execute_batch("COMMIT")?;
    Ok(Page::from_window(
        items,
        q.limit as usize,
        total as u64,
        &q.cursor,
        |j| j.id.to_string(),
    ))
}

pub(crate) fn retry(
    c: &Connection,
    tk: Option<i64>,
    id: JobId,
    now: OffsetDateTime,
    audit: AuditDraft,
) -> Result<JobRecord, Error> {
    audited(c, audit, |c, _| {
        let job = get(c, tk, id).db()?.ok_or(Error::NotFound(Missing::Job))?;
        if job.state != JobState::Failed {
            return Err(Error::conflict(
                ErrorCode::JobNotFailed,
                format!("the job is {}; only a failed job can be retried", job.state),
            ));
        }
        c.prepare_cached(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = ?2, finished_at = NULL WHERE id = ?1",
        )
        .db()?
        .execute(params![id.as_bytes().as_slice(), to_micros(now)])
        .db()?;
        get(c, tk, id).db()?.ok_or(Error::NotFound(Missing::Job))
    })
}

pub(crate) fn purge(c: &Connection, before: OffsetDateTime, limit: u32) -> DbResult<u64> {
    let n = c
        .prepare_cached(
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE finished_at < ?1 \
             AND every_secs IS NULL LIMIT ?2)",
        )?
        .execute(params![to_micros(before), limit])?;
    Ok(n as u64)
}

pub(crate) fn stats(c: &Connection, now: OffsetDateTime) -> DbResult<JobStats> {
    let mut counts = Vec::new();
    let mut stmt =
        c.prepare_cached("SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (kind, state, n) = row?;
        if let (Some(k), Some(s)) = (JobKind::parse(&kind), JobState::parse(&state)) {
            counts.push((k, s, n as u64));
        }
    }
    let oldest: Option<i64> = c
        .prepare_cached("SELECT MIN(run_at) FROM jobs WHERE state = 'queued' AND run_at <= ?1")?
        .query_row([to_micros(now)], |r| r.get(0))?;
    Ok(JobStats {
        counts,
        oldest_due: oldest.map(from_micros),
    })
}
