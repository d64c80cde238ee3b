//! WAL checkpoints on a thread of their own. By default SQLite checkpoints
//! inside the commit that crosses the WAL's size threshold, so one write in
//! every few hundred waits for thousands of pages to be copied into the
//! database file and synced; the writer thread, which commits for every
//! request, stalls meanwhile. Here the writer never checkpoints and this
//! thread copies the WAL back in the background (PASSIVE: it never waits
//! for readers or the writer), and restarts a WAL grown past 256 MiB
//! (see [`checkpoint`]); `journal_size_limit` then cuts the file back.

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

/// WAL frames (of one page each) past which the WAL is restarted even
/// while writes go on: 65,536 frames, 256 MiB of 4 KiB pages.
const RESTART_FRAMES: i64 = 65_536;

fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    // Once every frame is copied and no reader needs the WAL, the writer's
    // next transaction starts the WAL over from its beginning. Under writes
    // that never pause (a seed, an import, a long bulk run) that moment
    // never comes, and the WAL grew without bound: 20 GB while seeding a
    // million users, and every page read then probed the hash tables of
    // five million frames (list pages took twice as long afterwards). So
    // past RESTART_FRAMES, a RESTART checkpoint holds the writer while it
    // copies what the passive one left (little: it has just run) and waits
    // for readers to leave the WAL; the next write starts it over.
    let (busy, log): (i64, i64) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    if busy == 0 && log > RESTART_FRAMES {
        conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))?;
    }
    Ok(())
}
