//! Private files and directories, written so that a reader sees the old file or the new one,
//! and so that no copy of what they hold (a token, an app secret) is left behind in a
//! temporary file: not when a signal ends the program during the write ([`finish_writes`]),
//! and not for long after a `kill -9` (the next write in the directory sweeps it away).

use crate::error::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// How temporary files are named: `.pipi-PID-RANDOM.tmp`, the writer's process id first so
/// that a sweep can tell whether the writer is still alive.
const TEMP_PREFIX: &str = ".pipi-";
const TEMP_SUFFIX: &str = ".tmp";

/// A write is short. A temporary file that nobody holds locked and that is older
/// than this was abandoned, whoever wrote it (even an older pipi, which neither locked its
/// temporary files nor named them after its process).
const ABANDONED_AFTER: Duration = Duration::from_secs(60);

/// Creates `dir` and its missing parents; the ones created are readable by the owner only.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("failed to create directory {}", dir.display()))
}

/// The writes under way in this process, so that a program ending on a signal can let them
/// finish, or remove their temporary files, first.
struct Writes {
    state: Mutex<WriteState>,
    ended: Condvar,
}

struct WriteState {
    under_way: usize,
    temp_files: Vec<PathBuf>,
    stopping: bool,
}

static WRITES: Writes = Writes::new();

impl Writes {
    const fn new() -> Writes {
        Writes {
            state: Mutex::new(WriteState {
                under_way: 0,
                temp_files: Vec::new(),
                stopping: false,
            }),
            ended: Condvar::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, WriteState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a write as under way from before its temporary file exists until the turn
    /// is dropped, after the file is renamed or removed; refused once stopping.
    fn begin(&self, path: &Path) -> Result<WriteTurn<'_>> {
        let mut state = self.state();
        if state.stopping {
            return Err(crate::Error::new(
                crate::ErrorKind::Interrupted,
                format!("not writing {}: the program is stopping", path.display()),
            ));
        }
        state.under_way += 1;
        Ok(WriteTurn {
            writes: self,
            temp_file: None,
        })
    }

    fn finish(&self, within: Duration) -> bool {
        let mut state = self.state();
        state.stopping = true;
        let (mut state, _) = self
            .ended
            .wait_timeout_while(state, within, |s| s.under_way > 0)
            .unwrap_or_else(PoisonError::into_inner);
        if state.under_way == 0 {
            return true;
        }
        for temp_file in state.temp_files.drain(..) {
            let _ = std::fs::remove_file(temp_file);
        }
        false
    }
}

/// One write under way.
struct WriteTurn<'a> {
    writes: &'a Writes,
    temp_file: Option<PathBuf>,
}

impl WriteTurn<'_> {
    /// Names the temporary file, to be removed if the program must end before the write
    /// does.
    fn track(&mut self, temp_file: &Path) {
        self.temp_file = Some(temp_file.to_path_buf());
        self.writes.state().temp_files.push(temp_file.to_path_buf());
    }
}

impl Drop for WriteTurn<'_> {
    fn drop(&mut self) {
        let mut state = self.writes.state();
        state.under_way -= 1;
        if let Some(done) = &self.temp_file {
            state.temp_files.retain(|p| p != done);
        }
        self.writes.ended.notify_all();
    }
}

/// For a program about to end (on a signal): stops new writes from starting, waits up to
/// `within` for those under way to finish, and removes the temporary files of any that did
/// not. True when every write finished.
pub(crate) fn finish_writes(within: Duration) -> bool {
    WRITES.finish(within)
}

/// Replaces `path` with `contents` atomically: a temporary file in the same directory,
/// created with mode 0600 (never readable by others, not even for an instant), synced to
/// disk, then renamed over the target. Temporary files abandoned there by a pipi that was
/// killed are removed first.
pub(crate) fn write_private_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let mut turn = WRITES.begin(path)?;
    sweep_abandoned(dir);
    let mut tmp = TempFile::create(dir)
        .with_context(|| format!("failed to create a temporary file in {}", dir.display()))?;
    turn.track(&tmp.path);
    // Held until the file is renamed and closed: a sweep in another process leaves a locked
    // temporary file alone. A sweep may hold it for an instant; the lock waits for that.
    let _ = tmp.file.lock();
    tmp.file
        .write_all(contents)
        .and_then(|()| tmp.file.sync_all())
        .with_context(|| format!("failed to write {}", tmp.path.display()))?;
    tmp.rename_to(path)
        .with_context(|| format!("failed to replace {}", path.display()))?;
    // The rename is durable only once the directory itself is synced.
    #[cfg(unix)]
    if let Ok(d) = retry_while_short_of_descriptors(|| std::fs::File::open(dir)) {
        let _ = d.sync_all();
    }
    drop(turn);
    Ok(())
}

/// A temporary file being written, removed when dropped unless it was renamed into place.
struct TempFile {
    file: std::fs::File,
    path: PathBuf,
    renamed: bool,
}

impl TempFile {
    /// A new file `.pipi-PID-RANDOM.tmp` in `dir`, created with mode 0600: never readable
    /// by others, not even for an instant.
    fn create(dir: &Path) -> std::io::Result<TempFile> {
        let mut options = std::fs::OpenOptions::new();
        // `create_new` (O_EXCL) never opens what is there, a link included; O_NOFOLLOW
        // says so twice.
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options
                .mode(0o600)
                .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
        }
        loop {
            let mut random = [0u8; 6];
            getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
            let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
            let name = format!("{TEMP_PREFIX}{}-{random}{TEMP_SUFFIX}", std::process::id());
            let path = dir.join(name);
            match retry_while_short_of_descriptors(|| options.open(&path)) {
                Ok(file) => {
                    return Ok(TempFile {
                        file,
                        path,
                        renamed: false,
                    });
                }
                // 48 random bits: a clash is all but impossible, and another draw settles it.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn rename_to(&mut self, target: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, target)?;
        self.renamed = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// How long an open waits out a shortage of file descriptors. A process short of them (a
/// flood of connections on the listener, which frees one when it runs out) soon gets one
/// back; a write that gives up at once would lose the login.
const SHORTAGE_PATIENCE: Duration = Duration::from_secs(3);

/// Runs `open`, trying again for a while when the process or the system is out of file
/// descriptors (EMFILE, ENFILE).
pub(crate) fn retry_while_short_of_descriptors<T>(
    mut open: impl FnMut() -> std::io::Result<T>,
) -> std::io::Result<T> {
    let deadline = std::time::Instant::now() + SHORTAGE_PATIENCE;
    loop {
        match open() {
            Err(e) if is_shortage(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            outcome => return outcome,
        }
    }
}

fn is_shortage(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        use rustix::io::Errno;
        e.raw_os_error().is_some_and(|code| {
            code == Errno::MFILE.raw_os_error() || code == Errno::NFILE.raw_os_error()
        })
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Removes pipi's temporary files in `dir` whose writer is gone: not locked by anyone, and
/// either named after a process that no longer exists or older than [`ABANDONED_AFTER`].
/// Only `.pipi-*.tmp` files are touched; a failure leaves the file for the next sweep.
fn sweep_abandoned(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(middle) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
        else {
            continue;
        };
        let path = entry.path();
        // Never followed: a link named like a temporary file is left as it is.
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let Ok(file) = open_no_follow(&path) else {
            continue;
        };
        // A live writer holds its file locked; the lock taken here is held while deciding,
        // so that the file cannot be taken up again meanwhile.
        if file.try_lock().is_err() {
            continue;
        }
        let writer = middle
            .split_once('-')
            .and_then(|(pid, _)| pid.parse::<u32>().ok());
        let old = file
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > ABANDONED_AFTER);
        if old || writer.is_some_and(|pid| !process_is_alive(pid)) {
            log::debug!("removing an abandoned temporary file {}", path.display());
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Opens `path` for reading, refusing a link.
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32,
    );
    options.open(path)
}

/// Whether process `pid` exists on this system. This process counts as alive: its own
/// temporary files are in use by another of its threads.
fn process_is_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        // EPERM means it exists, as another user's.
        !matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        )
    }
    #[cfg(not(unix))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_replace_and_stay_private() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a/b/file.json");
        write_private_atomic(&path, b"one").unwrap();
        write_private_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
        // No temporary file is left behind.
        assert_eq!(names(path.parent().unwrap()), vec!["file.json"]);
    }

    /// A process id that is not in use: a child that has ended and been waited for.
    #[cfg(unix)]
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[cfg(unix)]
    #[test]
    fn the_next_write_sweeps_what_a_killed_writer_left_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let dead = format!(".pipi-{}-abc123.tmp", dead_pid());
        // A live writer: this process's parent, which certainly exists, holding its lock.
        let live = format!(".pipi-{}-def456.tmp", std::os::unix::process::parent_id());
        let live_unlocked_fresh = format!(".pipi-{}-ghi789.tmp", std::process::id());
        let legacy_old = ".pipi-Xy12Zq.tmp";
        let legacy_fresh = ".pipi-Ab34Cd.tmp";
        for name in [&dead, &live, &live_unlocked_fresh, legacy_old, legacy_fresh] {
            std::fs::write(dir.join(name), "secret").unwrap();
        }
        let held = std::fs::File::open(dir.join(&live)).unwrap();
        held.lock().unwrap();
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(dir.join(legacy_old))
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
        // Someone else's files are never touched, whatever their age.
        std::fs::write(dir.join("notes.tmp"), "mine").unwrap();
        std::fs::write(dir.join(".pipi-notes"), "mine").unwrap();

        write_private_atomic(&dir.join("file.json"), b"new").unwrap();
        let left = names(dir);
        assert!(!left.contains(&dead), "{left:?}");
        assert!(!left.iter().any(|n| n == legacy_old), "{left:?}");
        for kept in [
            &live,
            &live_unlocked_fresh,
            legacy_fresh,
            "notes.tmp",
            ".pipi-notes",
        ] {
            assert!(left.iter().any(|n| n == kept), "{kept} swept: {left:?}");
        }
        drop(held);
    }

    #[test]
    fn a_stopping_program_starts_no_write_and_finishes_those_under_way() {
        let tmp = tempfile::tempdir().unwrap();
        let writes = Writes::new();
        // A write that finishes in time.
        std::thread::scope(|s| {
            let quick = writes.begin(Path::new("a")).unwrap();
            s.spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                drop(quick);
            });
            assert!(writes.finish(Duration::from_secs(5)));
        });
        let err = writes.begin(Path::new("b")).err().unwrap();
        assert!(err.to_string().contains("stopping"), "{err}");

        // A write that is stuck: its temporary file is removed when the wait ends.
        let writes = Writes::new();
        let mut stuck = writes.begin(Path::new("c")).unwrap();
        let temp_file = tmp.path().join(".pipi-1-stuck.tmp");
        std::fs::write(&temp_file, "secret").unwrap();
        stuck.track(&temp_file);
        let started = std::time::Instant::now();
        assert!(!writes.finish(Duration::from_millis(100)));
        assert!(started.elapsed() >= Duration::from_millis(100));
        assert!(
            !temp_file.exists(),
            "the temporary file of a stuck write stays"
        );
        drop(stuck);
    }
}
