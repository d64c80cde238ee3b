//! WAL checkpoints on a thread of their own. By default SQLite checkpoints
//! inside the commit that crosses the WAL's size threshold, so one write in
//! every few hundred waits for thousands of pages to be copied into the
//! database file and synced; the writer thread, which commits for every
//! request, stalls meanwhile. Here the writer never checkpoints and this
//! thread copies the WAL back in the background (PASSIVE: it never waits
//! for readers or the writer).

use rusqlite::Connection;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// How often the WAL is copied back.
const INTERVAL: Duration = Duration::from_millis(200);

/// Runs until the returned sender is dropped (with the store).
pub(crate) fn start(conn: Connection) -> std::io::Result<Sender<()>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("usher-sqlite-ckpt".into())
        .spawn(move || run(conn, rx))?;
    Ok(tx)
}

fn run(conn: Connection, stop: Receiver<()>) {
    // Until the store is gone (the sender dropped).
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(INTERVAL) {
        if let Err(e) = checkpoint(&conn) {
            tracing::warn!(error = %e, "a WAL checkpoint failed; the next one will try again");
        }
    }
    // A last full copy while nothing else runs, so the next start finds a
    // short WAL.
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
}

fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    // Once every frame is copied and no reader needs the WAL, the writer's
    // next transaction starts the WAL over from its beginning (and
    // `journal_size_limit` cuts the file back to 64 MiB). Under writes that
    // never pause that moment does not come; the writer then finishes the
    // copy itself between two commits (writer.rs, `CATCH_UP_WAL_BYTES`).
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}
