//! The job table's SQL. A claim locks the due rows it takes with
//! `FOR UPDATE SKIP LOCKED`, so that concurrent claimers in any number of
//! processes each get other jobs and never wait for one another.

use crate::error::{DbExt, unavailable};
use crate::ids::{id, opt_id};
use crate::write::Write;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, QueryBuilder, Row};
use time::{Duration, OffsetDateTime};
use usher_core::audit::AuditDraft;
use usher_core::error::{Error, ErrorCode, Missing};
use usher_core::job::{JobKind, JobOutcome, JobQuery, JobRecord, JobState, NewJob};
use usher_core::listing::Page;
use usher_core::store::JobStats;
use usher_core::{JobId, StoreError};

macro_rules! select_jobs {
    ($tail:literal) => {
        concat!(
            "SELECT j.id, j.kind, t.id AS tenant, j.payload, j.state, j.attempts, j.run_at, \
             j.lease_owner, j.lease_expires_at, j.last_error, j.every_secs, j.created_at, \
             j.finished_at FROM jobs j LEFT JOIN tenants t ON t.key = j.tenant_key ",
            $tail
        )
    };
}

fn record(r: &PgRow) -> Result<JobRecord, sqlx::Error> {
    let bad = |what: &str| sqlx::Error::Decode(format!("unknown job {what}").into());
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    let Json(payload) = r.try_get("payload")?;
    Ok(JobRecord {
        id: id(r, "id")?,
        kind: JobKind::parse(&kind).ok_or_else(|| bad("kind"))?,
        tenant: opt_id(r, "tenant")?,
        payload,
        state: JobState::parse(&state).ok_or_else(|| bad("state"))?,
        attempts: r.try_get::<i32, _>("attempts")?.max(0) as u32,
        run_at: r.try_get("run_at")?,
        lease_owner: r.try_get("lease_owner")?,
        lease_expires_at: r.try_get("lease_expires_at")?,
        last_error: r.try_get("last_error")?,
        every: r
            .try_get::<Option<i64>, _>("every_secs")?
            .map(Duration::seconds),
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

/// Inserts a job (with `every`, a recurring one, unless one of its kind and
/// tenant exists). Answers whether a row was added.
pub(crate) async fn insert(
    c: &mut PgConnection,
    tk: Option<i64>,
    job: &NewJob,
    every: Option<Duration>,
) -> Result<bool, sqlx::Error> {
    let added = sqlx::query(
        "INSERT INTO jobs (id, kind, tenant_key, payload, state, attempts, run_at, every_secs, created_at) \
         VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $5) ON CONFLICT DO NOTHING",
    )
    .bind(job.id.uuid())
    .bind(job.kind.as_str())
    .bind(tk)
    .bind(Json(&job.payload))
    .bind(job.run_at)
    .bind(every.map(|e| e.whole_seconds()))
    .execute(c)
    .await?;
    Ok(added.rows_affected() == 1)
}

pub(crate) async fn claim(
    pool: &PgPool,
    owner: &str,
    kinds: &[JobKind],
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: u32,
) -> Result<Vec<JobRecord>, StoreError> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    // The due condition stands in the locking query itself: when another
    // claimer took a row between this statement's snapshot and the lock,
    // PostgreSQL checks the condition again on the row as that claimer left
    // it (running, with a fresh lease) and passes over it. Kept in a
    // subquery instead, the row would be claimed a second time. SKIP LOCKED
    // passes over rows another claimer is taking right now.
    let claimed: Vec<uuid::Uuid> = sqlx::query_scalar(
        "WITH due AS (\
           SELECT id FROM jobs WHERE kind = ANY($2) \
             AND ((state = 'queued' AND run_at <= $1) \
               OR (state = 'running' AND lease_expires_at <= $1)) \
           ORDER BY run_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
         UPDATE jobs SET state = 'running', lease_owner = $4, lease_expires_at = $5, \
           attempts = attempts + 1 FROM due WHERE jobs.id = due.id RETURNING jobs.id",
    )
    .bind(now)
    .bind(&kinds)
    .bind(i64::from(limit))
    .bind(owner)
    .bind(lease_until)
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(select_jobs!("WHERE j.id = ANY($1) ORDER BY j.run_at"))
        .bind(&claimed)
        .fetch_all(pool)
        .await
        .map_err(unavailable)?;
    rows.iter()
        .map(record)
        .collect::<Result<_, _>>()
        .map_err(unavailable)
}

/// Claims job `id` when it is due (see [`claim`]).
pub(crate) async fn claim_one(
    pool: &PgPool,
    id: JobId,
    owner: &str,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
) -> Result<Option<JobRecord>, StoreError> {
    let claimed: Option<uuid::Uuid> = sqlx::query_scalar(
        "UPDATE jobs SET state = 'running', lease_owner = $2, lease_expires_at = $3, \
           attempts = attempts + 1 WHERE id = $1 \
           AND ((state = 'queued' AND run_at <= $4) \
             OR (state = 'running' AND lease_expires_at <= $4)) RETURNING id",
    )
    .bind(id.uuid())
    .bind(owner)
    .bind(lease_until)
    .bind(now)
    .fetch_optional(pool)
    .await
    .map_err(unavailable)?;
    let Some(id) = claimed else {
        return Ok(None);
    };
    let row = sqlx::query(select_jobs!("WHERE j.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(unavailable)?;
    row.as_ref().map(record).transpose().map_err(unavailable)
}

pub(crate) async fn release(
    pool: &PgPool,
    instance: &str,
    except: &str,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE jobs SET lease_expires_at = $3 WHERE state = 'running' \
         AND starts_with(lease_owner, $1) AND lease_owner <> $2",
    )
    .bind(instance)
    .bind(except)
    .bind(now)
    .execute(pool)
    .await
    .map_err(unavailable)?;
    Ok(done.rows_affected())
}

pub(crate) async fn renew(
    pool: &PgPool,
    id: JobId,
    owner: &str,
    until: OffsetDateTime,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE jobs SET lease_expires_at = $3 WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
    )
    .bind(id.uuid())
    .bind(owner)
    .bind(until)
    .execute(pool)
    .await
    .map_err(unavailable)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn finish(
    pool: &PgPool,
    id: JobId,
    owner: &str,
    outcome: &JobOutcome,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    // A recurring job never ends: done or given up, it waits for its next
    // turn (`every_secs` after now) with its attempts counted afresh.
    const END: &str = "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL, last_error = $3, \
         state = CASE WHEN every_secs IS NULL THEN $5 ELSE 'queued' END, \
         finished_at = CASE WHEN every_secs IS NULL THEN $4 END, \
         attempts = CASE WHEN every_secs IS NULL THEN attempts ELSE 0 END, \
         run_at = CASE WHEN every_secs IS NULL THEN run_at \
                  ELSE $4 + make_interval(secs => every_secs) END \
         WHERE id = $1 AND lease_owner = $2 AND state = 'running'";
    let query = match outcome {
        JobOutcome::Completed => sqlx::query(END)
            .bind(id.uuid())
            .bind(owner)
            .bind(None::<&str>)
            .bind(now)
            .bind("completed"),
        JobOutcome::Failed { error } => sqlx::query(END)
            .bind(id.uuid())
            .bind(owner)
            .bind(error.as_str())
            .bind(now)
            .bind("failed"),
        JobOutcome::Retry { error, at } => sqlx::query(
            "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL, last_error = $3, \
             state = 'queued', run_at = $4 WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
        )
        .bind(id.uuid())
        .bind(owner)
        .bind(error.as_str())
        .bind(*at),
    };
    let done = query.execute(pool).await.map_err(unavailable)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn get(
    c: &mut PgConnection,
    tk: Option<i64>,
    id: JobId,
) -> Result<Option<JobRecord>, sqlx::Error> {
    sqlx::query(select_jobs!(
        "WHERE j.id = $1 AND ($2::bigint IS NULL OR j.tenant_key = $2)"
    ))
    .bind(id.uuid())
    .bind(tk)
    .fetch_optional(c)
    .await?
    .as_ref()
    .map(record)
    .transpose()
}

fn push_filter(qb: &mut QueryBuilder<sqlx::Postgres>, tk: Option<i64>, q: &JobQuery) {
    qb.push(" WHERE TRUE");
    if let Some(tk) = tk {
        qb.push(" AND j.tenant_key = ").push_bind(tk);
    }
    if let Some(k) = q.kind {
        qb.push(" AND j.kind = ").push_bind(k.as_str());
    }
    if let Some(s) = q.state {
        qb.push(" AND j.state = ").push_bind(s.as_str());
    }
}

pub(crate) async fn list(
    pool: &PgPool,
    tk: Option<i64>,
    q: &JobQuery,
) -> Result<Page<JobRecord>, StoreError> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
        .map_err(unavailable)?;
    let mut count = QueryBuilder::new("SELECT COUNT(*) FROM jobs j");
    push_filter(&mut count, tk, q);
    let total: i64 = count
        .build_query_scalar()
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable)?;
    let read = q.cursor.newest_first();
    let mut page = QueryBuilder::new(select_jobs!(""));
    push_filter(&mut page, tk, q);
    if let Some((op, k)) = read.bound {
        let key = k.parse::<JobId>().map(|i| i.uuid()).unwrap_or_default();
        page.push(format!(" AND j.id {op} ")).push_bind(key);
    }
    page.push(if read.descending {
        " ORDER BY j.id DESC"
    } else {
        " ORDER BY j.id ASC"
    });
    page.push(" LIMIT ").push_bind(i64::from(q.limit) + 1);
    let rows = page
        .build()
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    let items = rows
        .iter()
        .map(record)
        .collect::<Result<Vec<_>, _>>()
        .map_err(unavailable)?;
    Ok(Page::from_window(
        items,
        q.limit as usize,
        total as u64,
        &q.cursor,
        |j| j.id.to_string(),
    ))
}

pub(crate) async fn retry(
    pool: &PgPool,
    tk: Option<i64>,
    id: JobId,
    now: OffsetDateTime,
    audit: AuditDraft,
) -> Result<JobRecord, Error> {
    let mut w = Write::begin(pool, audit).await?;
    let result = async {
        let job = get(&mut w.tx, tk, id)
            .await
            .db()?
            .ok_or(Error::NotFound(Missing::Job))?;
        if job.state != JobState::Failed {
            return Err(Error::conflict(
                ErrorCode::JobNotFailed,
                format!("the job is {}; only a failed job can be retried", job.state),
            ));
        }
        sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, finished_at = NULL WHERE id = $1",
        )
        .bind(id.uuid())
        .bind(now)
        .execute(&mut *w.tx)
        .await
        .db()?;
        get(&mut w.tx, tk, id)
            .await
            .db()?
            .ok_or(Error::NotFound(Missing::Job))
    }
    .await;
    w.finish(result).await
}

pub(crate) async fn purge(
    pool: &PgPool,
    before: OffsetDateTime,
    limit: u32,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE finished_at < $1 \
         AND every_secs IS NULL LIMIT $2)",
    )
    .bind(before)
    .bind(i64::from(limit))
    .execute(pool)
    .await
    .map_err(unavailable)?;
    Ok(done.rows_affected())
}

pub(crate) async fn stats(pool: &PgPool, now: OffsetDateTime) -> Result<JobStats, StoreError> {
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state")
            .fetch_all(pool)
            .await
            .map_err(unavailable)?;
    let counts = rows
        .into_iter()
        .filter_map(|(k, s, n)| Some((JobKind::parse(&k)?, JobState::parse(&s)?, n.max(0) as u64)))
        .collect();
    let oldest_due: Option<OffsetDateTime> =
        sqlx::query_scalar("SELECT MIN(run_at) FROM jobs WHERE state = 'queued' AND run_at <= $1")
            .bind(now)
            .fetch_one(pool)
            .await
            .map_err(unavailable)?;
    Ok(JobStats { counts, oldest_due })
}
