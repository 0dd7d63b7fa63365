//! An exclusive lock held across each read-modify-write of one of pipi's files, so that two
//! pipi runs changing the same file at once (`config set` for two profiles, two logins)
//! both land instead of the later write silently dropping the earlier one's change.
//!
//! The lock is a file beside the target (`config.toml.lock`, `default.json.lock`) locked
//! with the system's advisory file lock (`flock` on Unix, `LockFileEx` on Windows) through
//! std's `File::try_lock`. The system drops the lock when its holder ends, even by
//! `kill -9`, so a crash never leaves the file locked. The lock file itself stays: removing
//! it would let a third writer lock a new file while the second still holds the old one.

use super::atomic::{create_private_dir, retry_while_short_of_descriptors};
use crate::error::{Context, Result, bail};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long to wait for another pipi to finish its change. A change is short; a lock held
/// this long belongs to a process that is stuck, and the person should hear so.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// The lock on one file, released when dropped.
#[derive(Debug)]
pub(crate) struct FileLock {
    // Closing the file releases the lock.
    _file: File,
}

/// The lock file that guards `target`.
pub(crate) fn lock_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    target.with_file_name(name)
}

/// Takes the exclusive lock that guards `target`, waiting up to `patience` while another
/// process holds it; `on_wait` is called once, when the wait begins.
pub(crate) fn lock_within(
    target: &Path,
    patience: Duration,
    on_wait: &mut dyn FnMut(),
) -> Result<FileLock> {
    let path = lock_path(target);
    let file = open_lock_file(&path)?;
    let started = Instant::now();
    let deadline = started.checked_add(patience).unwrap_or(started);
    let mut waiting = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(FileLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                if !waiting {
                    waiting = true;
                    on_wait();
                }
                // A change is short; a login held by another run lasts as long as the person takes.
                let pause = if started.elapsed() < Duration::from_secs(1) {
                    5
                } else {
                    50
                };
                std::thread::sleep(Duration::from_millis(pause));
            }
            Err(std::fs::TryLockError::WouldBlock) => bail!(
                "another process has held the lock {} for over {}s",
                path.display(),
                patience.as_secs()
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("failed to lock {}", path.display()));
            }
        }
    }
}

/// Opens the lock file at `path`, made if missing: a regular file, private like the files
/// it guards, never a wait on a FIFO left in its place, and never created or opened
/// through a link.
fn open_lock_file(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(
            (rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOFOLLOW).bits() as i32,
        );
    }
    let file = match retry_while_short_of_descriptors(|| options.open(path)) {
        Ok(file) => file,
        Err(_) if is_link(path) => {
            return Err(crate::error::hinted(
                format!(
                    "the lock file {} is a symbolic link; pipi makes its lock files itself \
                     and never opens one through a link",
                    path.display()
                ),
                format!("remove the link: rm '{}'", path.display()),
            ));
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("failed to open the lock file {}", path.display()));
        }
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        bail!("the lock file {} is not a regular file", path.display());
    }
    Ok(file)
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(target: &Path) -> Result<FileLock> {
        lock_within(target, PATIENCE, &mut || {})
    }

    #[test]
    fn the_lock_is_exclusive_and_released_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("sub/config.toml");
        let held = lock(&target).unwrap();
        assert!(tmp.path().join("sub/config.toml.lock").is_file());
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let target = target.clone();
            std::thread::spawn(move || {
                let second = lock(&target).unwrap();
                tx.send(()).unwrap();
                drop(second);
            })
        };
        // The second taker waits while the first holds the lock...
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
        drop(held);
        // ...and gets it once it is released.
        rx.recv_timeout(Duration::from_secs(5)).unwrap();
        waiter.join().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_file_that_is_a_link_is_refused_and_nothing_is_made_through_it() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("default.json");
        let planted = tmp.path().join("elsewhere");
        std::os::unix::fs::symlink(&planted, lock_path(&target)).unwrap();
        let err = format!("{:#}", lock(&target).unwrap_err());
        assert!(err.contains("is a symbolic link"), "{err}");
        assert!(!planted.exists(), "a file was created through the link");
    }
}
