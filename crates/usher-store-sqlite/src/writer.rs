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
use tokio::sync::{mpsc, oneshot};
use usher_core::{Error, StoreError};

/// Most jobs committed together. Bounds the latency of the first job in a
/// burst while still amortising the fsync over many.
const MAX_BATCH: usize = 256;

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
    /// Starts the writer thread on `conn`.
    pub(crate) fn start(conn: Connection) -> Self {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>(4096);
        std::thread::Builder::new()
            .name("usher-sqlite-writer".into())
            .spawn(move || run_writer(conn, rx))
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

fn run_writer(conn: Connection, mut rx: mpsc::Receiver<Box<dyn Job>>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
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
