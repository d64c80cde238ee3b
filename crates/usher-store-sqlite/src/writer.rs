//! The single writer. SQLite allows one writer at a time, so instead of
//! letting connections fight over the lock, every write is a job sent to one
//! thread that owns the write connection. The thread takes whatever jobs are
//! waiting, runs them in one transaction, commits them together with a
//! single fsync (group commit), and only then answers each caller. A job
//! that refuses has written nothing but its audit event (see
//! `conn::audited`); a job that fails rolls back the whole batch, and every
//! caller in it is told the write did not happen.

use rusqlite::Connection;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use usher_core::audit::ChainKeys;
use usher_core::{Error, StoreError};

/// Most jobs committed together. Bounds the latency of the first job in a
/// burst while still amortising the fsync over many.
const MAX_BATCH: usize = 256;

/// A WAL file past this size means the checkpoint thread is not catching
/// up: writes never pause long enough for it to copy the last frames, so
/// the WAL never starts over and keeps growing (20 GB while seeding a
/// million users). The writer then checkpoints itself between two commits,
/// at most once every [`CATCH_UP_EVERY`]: no frame can arrive meanwhile,
/// so the copy completes and the next write starts the WAL over (readers
/// that begin after it read the database file alone and hold nothing up).
const CATCH_UP_WAL_BYTES: u64 = 256 * 1024 * 1024;
const CATCH_UP_EVERY: Duration = Duration::from_secs(1);

trait Job: Send {
    /// Runs the job; `false` means its writes must be rolled back.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Delivers the result once the batch's fate is known.
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct TypedJob<T, F> {
    work: Option<F>,
    result: Option<Result<T, Error>>,
    reply: oneshot::Sender<Result<T, Error>>,
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(StoreError::Corrupt("a write job panicked".into()).into()));
        // A refusal is kept: its audit event is part of the transaction.
        let keep = !matches!(result, Err(Error::Store(_)));
        if let Err(Error::Store(e)) = &result {
            tracing::error!(error = %e, "a write job failed");
        }
        self.result = Some(result);
        keep
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let result = match committed {
            Ok(()) => self
                .result
                .unwrap_or_else(|| Err(StoreError::Corrupt("job never ran".into()).into())),
            Err(msg) => Err(StoreError::Unavailable(format!("commit failed: {msg}")).into()),
        };
        let _ = self.reply.send(result);
    }
}

/// Sends work to the writer thread.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    tx: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer thread on `conn`, its audit chains keyed with
    /// `chain_keys` when given.
    pub(crate) fn start(conn: Connection, chain_keys: Option<ChainKeys>) -> Self {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>(4096);
        std::thread::Builder::new()
            .name("usher-sqlite-writer".into())
            .spawn(move || {
                crate::audit::keep_chain_keys_on_this_thread(chain_keys);
                run_writer(conn, rx)
            })
            .map(|_| ())
            .unwrap_or_else(
                |e| tracing::error!(error = %e, "could not start the SQLite writer thread"),
            );
        Self { tx }
    }

    /// Runs `work` in the next write transaction and answers its result
    /// after the transaction committed.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(TypedJob {
            work: Some(work),
            result: None,
            reply,
        });
        self.tx
            .send(job)
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?
    }
}

/// The writer's own checkpoints (see [`CATCH_UP_WAL_BYTES`]).
struct CatchUp {
    wal: Option<PathBuf>,
    last: Instant,
    /// [`CATCH_UP_WAL_BYTES`] and [`CATCH_UP_EVERY`] (smaller in tests).
    bytes: u64,
    every: Duration,
}

impl CatchUp {
    fn new(conn: &Connection) -> Self {
        Self {
            // An in-memory database has no WAL file.
            wal: conn
                .path()
                .filter(|p| !p.is_empty())
                .map(|p| PathBuf::from(format!("{p}-wal"))),
            last: Instant::now(),
            bytes: CATCH_UP_WAL_BYTES,
            every: CATCH_UP_EVERY,
        }
    }

    /// Between two commits: copies the WAL back if it grew too large.
    fn between_commits(&mut self, conn: &Connection) {
        let Some(wal) = &self.wal else { return };
        if self.last.elapsed() < self.every {
            return;
        }
        self.last = Instant::now();
        let size = std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0);
        if size < self.bytes {
            return;
        }
        // PASSIVE: it waits for no reader. Frames an older reader still
        // needs stay for the next try; busy means the checkpoint thread is
        // copying right now.
        let started = Instant::now();
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        }) {
            Ok((busy, frames, copied)) => tracing::debug!(
                wal_bytes = size,
                busy,
                frames,
                copied,
                ms = started.elapsed().as_millis() as u64,
                "the writer checkpointed a large WAL"
            ),
            Err(e) => tracing::warn!(error = %e, "the writer's WAL checkpoint failed"),
        }
    }
}

fn run_writer(conn: Connection, mut rx: mpsc::Receiver<Box<dyn Job>>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    let mut catch_up = CatchUp::new(&conn);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let committed = run_batch(&conn, &mut batch);
        if let Err(msg) = &committed {
            tracing::error!(error = %msg, jobs = batch.len(), "SQLite write transaction failed");
        }
        for job in batch.drain(..) {
            job.finish(committed.clone());
        }
        catch_up.between_commits(&conn);
    }
}

fn run_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> Result<(), String> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| e.to_string())?;
    for job in batch.iter_mut() {
        if !job.run(conn) {
            let _ = conn.execute_batch("ROLLBACK");
            return Err("a write in the batch failed; the batch was rolled back".into());
        }
    }
    conn.execute_batch("COMMIT").map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        e.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Commits 64 KiB at a time without a pause (what seeding or a long
    /// import does) beside the checkpoint thread; answers the WAL's largest
    /// size, with the writer catching up past `catch_up_bytes`, if given.
    fn largest_wal(catch_up_bytes: Option<u64>) -> u64 {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("wal.db");
        let conn = crate::conn::open(&path).expect("open");
        crate::conn::tune_writer(&conn).expect("tune");
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
            .expect("table");
        let _checkpoints =
            crate::checkpoint::start(crate::conn::open(&path).expect("open")).expect("start");
        let mut catch_up = CatchUp::new(&conn);
        catch_up.every = Duration::ZERO;
        let wal = catch_up.wal.clone().expect("a file database has a WAL");
        let mut largest = 0;
        for i in 0..1_500i64 {
            conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
            conn.execute(
                "INSERT OR REPLACE INTO t (id, v) VALUES (?1, randomblob(65536))",
                [i % 200],
            )
            .expect("write");
            conn.execute_batch("COMMIT").expect("commit");
            if let Some(bytes) = catch_up_bytes {
                catch_up.bytes = bytes;
                catch_up.between_commits(&conn);
            }
            largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
        }
        largest
    }

    #[test]
    fn a_writer_that_never_pauses_still_starts_the_wal_over() {
        const MIB: u64 = 1024 * 1024;
        // 1,500 commits of 64 KiB: about 95 MiB of frames in all.
        let without = largest_wal(None);
        let with = largest_wal(Some(4 * MIB));
        assert!(
            with < 16 * MIB,
            "caught up past 4 MiB, the WAL still reached {} MiB",
            with / MIB
        );
        assert!(
            without > 2 * with,
            "without catching up the WAL stayed at {} MiB (with: {} MiB): the case \
             does not reproduce a WAL that never starts over",
            without / MIB,
            with / MIB
        );
    }
}
