//! One owner per database file. Two clients on one file (two `FundkitClient`s in one app,
//! or two processes) would each take the other's batch in flight for the leftovers of a
//! dead pass and requeue it at the start of their own pass. So a client holds an exclusive
//! lock on a file next to the database (`<database>.lock`) for its whole life, taken before
//! the database is opened; a second opener gets `FundkitError::DatabaseInUse`.
//!
//! The lock is `flock(2)` on an open file (Android, iOS, Linux, macOS): it goes with the
//! open file, so a killed process never leaves it behind, and two opens in one process
//! exclude each other like two processes do. Elsewhere (no mobile target) nothing is
//! locked.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::FundkitError;

/// How long an opener waits for the lock before giving up: a client dropped a moment ago
/// may still be letting go of it (the last `Arc` held by a task being cancelled).
const WAIT: Duration = Duration::from_secs(1);

/// The lock, held for as long as this value lives.
#[derive(Debug)]
pub(crate) struct OwnerLock {
    _file: File,
}

/// The lock file of a database: `<database's real path>.lock`. SQLite follows symlinks to
/// the file it opens, so two paths to one file (a symlink to it or to a folder on the way,
/// `..`, a relative path) must name one lock.
pub(crate) fn lock_path(database: &Path) -> PathBuf {
    let mut name = real_path(database).into_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

/// `database` with symlinks, `.` and `..` resolved: the file's own when it exists, else
/// its folder's (made before the lock is taken) joined with its name.
fn real_path(database: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(database) {
        return real;
    }
    let dir = database
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (std::fs::canonicalize(dir), database.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => database.to_path_buf(),
    }
}

impl OwnerLock {
    /// Takes the lock of the database at `database`, or `DatabaseInUse` if another client
    /// (in this process or another) holds it.
    pub(crate) fn acquire(database: &Path) -> Result<OwnerLock, FundkitError> {
        if let Some(dir) = database.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(storage)?;
        }
        let path = lock_path(database);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(storage)?;
        let deadline = Instant::now() + WAIT;
        loop {
            match try_lock(&file) {
                Ok(true) => return Ok(OwnerLock { _file: file }),
                Ok(false) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(false) => {
                    return Err(FundkitError::DatabaseInUse {
                        path: database.to_string_lossy().into_owned(),
                    })
                }
                Err(e) => return Err(storage(e)),
            }
        }
    }
}

/// Takes an exclusive lock on `file` without waiting: `Ok(false)` when another open file
/// holds it. Released when the file is closed.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: flock only reads the descriptor, which `file` keeps open for the call.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            return Ok(true);
        }
        let err = std::io::Error::last_os_error();
        match err.kind() {
            std::io::ErrorKind::WouldBlock => return Ok(false),
            std::io::ErrorKind::Interrupted => continue,
            _ => return Err(err),
        }
    }
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

fn storage(e: std::io::Error) -> FundkitError {
    FundkitError::Storage {
        detail: format!("database lock file: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_owner_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sub/fundkit.db");
        let first = OwnerLock::acquire(&db).unwrap();
        assert!(matches!(
            OwnerLock::acquire(&db),
            Err(FundkitError::DatabaseInUse { path }) if path == db.to_string_lossy()
        ));
        drop(first);
        OwnerLock::acquire(&db).unwrap();
    }

    /// A symlink to the database, or to a folder on its path, names the same file: the
    /// second opener through it is refused too (before, it got a lock file of its own).
    #[cfg(unix)]
    #[test]
    fn another_path_to_the_same_file_is_the_same_owner() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("data/fundkit.db");
        std::fs::create_dir_all(db.parent().unwrap()).unwrap();
        std::fs::write(&db, b"").unwrap();
        let via_file = dir.path().join("link.db");
        std::os::unix::fs::symlink(&db, &via_file).unwrap();
        let via_dir = dir.path().join("alias");
        std::os::unix::fs::symlink(dir.path().join("data"), &via_dir).unwrap();
        let dotted = dir.path().join("data/../data/fundkit.db");
        let first = OwnerLock::acquire(&db).unwrap();
        for other in [via_file, via_dir.join("fundkit.db"), dotted] {
            assert!(
                matches!(
                    OwnerLock::acquire(&other),
                    Err(FundkitError::DatabaseInUse { .. })
                ),
                "{other:?}"
            );
        }
        drop(first);
        // A file not made yet: its folder's real path names the lock.
        let fresh = dir.path().join("data/new.db");
        let _held = OwnerLock::acquire(&fresh).unwrap();
        assert!(matches!(
            OwnerLock::acquire(&via_dir.join("new.db")),
            Err(FundkitError::DatabaseInUse { .. })
        ));
    }
}
