//! Emptying the WAL without making anyone wait.
//!
//! An erased payment token stays readable in the WAL's old frames (and, in the database
//! file, in the page as it was) until a `wal_checkpoint(TRUNCATE)` has moved every frame
//! into the file and cut the WAL to zero bytes. That checkpoint cannot finish while another
//! connection reads an older snapshot of the file (a backup, a debugging tool, a second
//! process), and with SQLite's busy handler it would wait for that reader for up to the
//! busy timeout, with the caller (`cancel_donation` on the app's thread) waiting too.
//!
//! So a checkpoint is tried once without waiting (busy timeout 0). If a reader stops it,
//! the caller goes on, and a background thread (`fundkit-erase`, one at a time) tries
//! again on its own connection, every 50 ms and backing off to every second, until one
//! completes, for as long as the store lives. The next pass's end and the next start-up
//! try too.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::Result;

/// The background side; one per store.
pub(crate) struct Eraser {
    path: PathBuf,
    /// A checkpoint is owed: set before a retry is asked for, cleared by the thread before
    /// each try, so a request made while the thread is finishing is never lost.
    owed: Arc<AtomicBool>,
    /// The thread is running.
    running: Arc<AtomicBool>,
    /// Dropped with the store: the thread stops.
    alive: Arc<()>,
}

impl Eraser {
    pub(crate) fn new(path: PathBuf) -> Eraser {
        Eraser {
            path,
            owed: Arc::new(AtomicBool::new(false)),
            running: Arc::new(AtomicBool::new(false)),
            alive: Arc::new(()),
        }
    }

    /// Tries a TRUNCATE checkpoint on `conn` without waiting; if another connection's
    /// reader stops it, the background thread takes over. Returns whether it completed.
    pub(crate) fn checkpoint(&self, conn: &Connection) -> Result<bool> {
        let done = checkpoint_now(conn)?;
        if !done {
            tracing::info!("the WAL could not be emptied (another connection reads the file); retrying in the background");
            self.retry_in_background();
        }
        Ok(done)
    }

    /// Whether a background retry is still owed or running (tests).
    #[cfg(test)]
    pub(crate) fn busy(&self) -> bool {
        self.owed.load(Ordering::SeqCst) || self.running.load(Ordering::SeqCst)
    }

    fn retry_in_background(&self) {
        self.owed.store(true, Ordering::SeqCst);
        if self.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let (path, owed, running) = (
            self.path.clone(),
            Arc::clone(&self.owed),
            Arc::clone(&self.running),
        );
        let alive = Arc::downgrade(&self.alive);
        let spawned = std::thread::Builder::new()
            .name("fundkit-erase".into())
            .spawn(move || retry(path, owed, running, alive));
        if let Err(e) = spawned {
            self.running.store(false, Ordering::SeqCst);
            tracing::warn!(error = %e, "could not start the WAL eraser; the next pass empties it");
        }
    }
}

fn retry(path: PathBuf, owed: Arc<AtomicBool>, running: Arc<AtomicBool>, alive: Weak<()>) {
    let conn = match Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(conn) => conn,
        Err(e) => {
            running.store(false, Ordering::SeqCst);
            tracing::warn!(error = %e, "the WAL eraser could not open the database");
            return;
        }
    };
    let mut wait = Duration::from_millis(50);
    loop {
        std::thread::sleep(wait);
        if alive.upgrade().is_none() {
            break;
        }
        owed.store(false, Ordering::SeqCst);
        match checkpoint_now(&conn) {
            Ok(true) => {
                running.store(false, Ordering::SeqCst);
                // Owed again while this try ran, and no other thread took over: go on.
                if owed.load(Ordering::SeqCst) && !running.swap(true, Ordering::SeqCst) {
                    continue;
                }
                tracing::info!("the WAL was emptied in the background");
                return;
            }
            Ok(false) => owed.store(true, Ordering::SeqCst),
            Err(e) => {
                owed.store(true, Ordering::SeqCst);
                tracing::warn!(error = %e, "a background WAL checkpoint failed; trying again");
            }
        }
        wait = (wait * 2).min(Duration::from_secs(1));
    }
    running.store(false, Ordering::SeqCst);
}

/// One TRUNCATE checkpoint that does not wait for readers (busy timeout 0 for its
/// duration). True when the WAL was moved into the file and cut to zero bytes.
pub(crate) fn checkpoint_now(conn: &Connection) -> Result<bool> {
    conn.busy_timeout(Duration::ZERO)?;
    let outcome = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    });
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    match outcome {
        Ok(busy) => Ok(busy == 0),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}
