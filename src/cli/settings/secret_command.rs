//! The app secret from a password manager: `app-secret-command` (or
//! `PIPI_APP_SECRET_COMMAND`) is a command line run the way git runs a credential helper,
//! through `sh -c` on Unix, whose first line on stdout is the secret. It runs only when a
//! login needs the secret, and the secret stays in memory: nothing writes it to a file.

use super::table;
use crate::cli::exit;
use crate::cli::failure::{Context, Result};
use crate::cli::output;
use crate::cli::redaction;
use pipi::Secret;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The most kept of the command's output: a secret is one short line.
const MAX_OUTPUT: usize = 64 * 1024;

/// How long the command may run: long enough for a password manager to be unlocked at its
/// prompt (a master password typed, a fingerprint, a phone approved), short enough that a
/// command that never ends does not hold the login for ever.
pub const TIME_LIMIT: Duration = Duration::from_secs(120);

/// After the command has ended, how long to wait for the end of a first line it printed
/// without one, while something it left behind (a background process) keeps its output
/// open. A line printed whole is there at once.
const LINE_GRACE: Duration = Duration::from_secs(1);

/// Runs `command` and returns the first line of its output as the secret. Its stderr is the
/// person's to read (a password manager may ask to be unlocked there); its stdin is closed,
/// so that it can never take input meant for pipi or for `pipi exec`'s command.
pub fn run(command: &str, source: &str) -> Result<Secret> {
    run_within(command, source, TIME_LIMIT)
}

/// [`run`], with the command stopped after `limit`.
fn run_within(command: &str, source: &str, limit: Duration) -> Result<Secret> {
    log::debug!("app secret: running the command from {source}");
    let mut child = shell(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            exit::hinted(
                format!("cannot run the app-secret command '{command}' (from {source}): {e}"),
                "check that a shell (sh) is on PATH",
            )
        })?;
    let first_line = FirstLine::read_from(&mut child);
    // Only the command itself is waited for: a process it leaves behind may keep its
    // output open for ever, and that is no reason to hold the login.
    let status = wait_within(&mut child, limit)
        .with_context(|| format!("failed to wait for the app-secret command '{command}'"))?;
    let Some(status) = status else {
        return Err(exit::hinted(
            format!(
                "the app-secret command '{command}' (from {source}) did not finish within {}s; \
                 pipi stopped it",
                limit.as_secs()
            ),
            "run it in a shell to see why; a password manager may be waiting to be unlocked",
        ));
    };
    if !status.success() {
        return Err(exit::hinted(
            format!("the app-secret command '{command}' (from {source}) failed: {status}"),
            "run it in a shell to see why; its own messages are above",
        ));
    }
    let out = first_line.take(LINE_GRACE);
    secret_in(&String::from_utf8_lossy(&out), command, source)
}

/// The app secret on the first line of what the command printed, checked as any app secret
/// is; its warnings are said.
fn secret_in(text: &str, command: &str, source: &str) -> Result<Secret> {
    let first = text.lines().next().unwrap_or_default().trim();
    // Remembered at once, so that it is masked in any message, the ones below included.
    let secret = redaction::secret(first);
    match table::APP_SECRET.check(first) {
        Ok(checked) => {
            for warning in checked.warnings {
                output::warn(&format!("from the app-secret command: {warning}"));
            }
            Ok(secret)
        }
        Err(_) if first.is_empty() => Err(exit::hinted(
            format!("the app-secret command '{command}' (from {source}) printed no secret"),
            "it must print the app secret on the first line of its output",
        )),
        Err(invalid) => Err(exit::hinted(
            format!(
                "the first line of what the app-secret command '{command}' printed is not an \
                 app secret: {}",
                invalid.message
            ),
            invalid.hint,
        )),
    }
}

/// Waits for `child` to end, for at most `limit`; past it, kills it and says `None`.
fn wait_within(
    child: &mut Child,
    limit: Duration,
) -> std::io::Result<Option<std::process::ExitStatus>> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The first line of the command's output, read on a thread of its own so that nothing
/// the command (or what it leaves behind) does with its output can hold pipi: at most
/// [`MAX_OUTPUT`] bytes are kept, and the rest is read and dropped, so that a command
/// that prints more never blocks on a full pipe.
struct FirstLine {
    shared: Arc<(Mutex<LineState>, Condvar)>,
}

#[derive(Default)]
struct LineState {
    bytes: Vec<u8>,
    /// A line end was read, the output ended, or [`MAX_OUTPUT`] bytes came without one.
    complete: bool,
}

impl FirstLine {
    fn read_from(child: &mut Child) -> FirstLine {
        let shared = Arc::new((Mutex::new(LineState::default()), Condvar::new()));
        if let Some(stdout) = child.stdout.take() {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || read_first_line(stdout, &shared));
        } else {
            shared
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .complete = true;
        }
        FirstLine { shared }
    }

    /// What was read once the line is complete; or, `grace` from now, what was read of it.
    fn take(self, grace: Duration) -> Vec<u8> {
        let (state, changed) = &*self.shared;
        let state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut state, _) = changed
            .wait_timeout_while(state, grace, |s| !s.complete)
            .unwrap_or_else(PoisonError::into_inner);
        std::mem::take(&mut state.bytes)
    }
}

/// Reads `from` until a line end, its end or [`MAX_OUTPUT`] bytes, keeping what it read in
/// `shared`; then reads on to the end, dropping the rest.
fn read_first_line(mut from: impl Read, shared: &(Mutex<LineState>, Condvar)) {
    let (state, changed) = shared;
    let mut chunk = [0u8; 4096];
    loop {
        let n = match from.read(&mut chunk) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // A read error ends the output as its end would; the exit status says more.
            Ok(n) => n,
            Err(_) => 0,
        };
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.complete {
            let room = MAX_OUTPUT - state.bytes.len();
            state.bytes.extend_from_slice(&chunk[..n.min(room)]);
            state.complete =
                n == 0 || state.bytes.len() >= MAX_OUTPUT || chunk[..n].contains(&b'\n');
            if state.complete {
                changed.notify_all();
            }
        }
        if n == 0 {
            return;
        }
    }
}

/// The command line, through the shell, as git runs its helpers.
fn shell(command: &str) -> Command {
    if cfg!(windows) {
        let mut cmd = Command::new("cmd");
        cmd.args(["/C", command]);
        cmd
    } else {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", command]);
        cmd
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_is_the_secret() {
        let secret = run(
            "printf 'ab12ab12ab12ab12ab12ab12ab12ab12\\nsecond\\n'",
            "test",
        )
        .unwrap();
        assert_eq!(secret.expose(), "ab12ab12ab12ab12ab12ab12ab12ab12");
        // Windows line ends and surrounding blanks are no part of it.
        let secret = run("printf ' cd34cd34cd34cd34cd34cd34cd34cd34\\r\\n'", "test").unwrap();
        assert_eq!(secret.expose(), "cd34cd34cd34cd34cd34cd34cd34cd34");
    }

    /// Whether process `pid` exists.
    fn alive(pid: i32) -> bool {
        rustix::process::Pid::from_raw(pid)
            .is_some_and(|pid| rustix::process::test_kill_process(pid).is_ok())
    }

    /// The process id a command wrote in `file`, once it is there.
    fn pid_in(file: &std::path::Path) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(pid) = std::fs::read_to_string(file)
                .ok()
                .and_then(|t| t.trim().parse().ok())
            {
                return pid;
            }
            assert!(
                Instant::now() < deadline,
                "{} never written",
                file.display()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn only_the_command_is_waited_for_not_what_it_leaves_holding_its_output() {
        let tmp = tempfile::tempdir().unwrap();
        let pid_file = tmp.path().join("pid");
        // The background process holds the output open for 300 s and never writes to it.
        let command = format!(
            "echo ab12ab12ab12ab12ab12ab12ab12ab12; sleep 300 & echo $! > '{}'",
            pid_file.display()
        );
        let secret = run(&command, "test").unwrap();
        assert_eq!(secret.expose(), "ab12ab12ab12ab12ab12ab12ab12ab12");
        // The login went on while what the command left behind still runs.
        let pid = pid_in(&pid_file);
        assert!(alive(pid), "run waited for the background process to end");
        rustix::process::kill_process(
            rustix::process::Pid::from_raw(pid).unwrap(),
            rustix::process::Signal::KILL,
        )
        .unwrap();
    }

    #[test]
    fn a_command_that_never_ends_is_stopped_at_the_bound() {
        let tmp = tempfile::tempdir().unwrap();
        let pid_file = tmp.path().join("pid");
        let command = format!("echo $$ > '{}'; exec sleep 300", pid_file.display());
        let err = run_within(&command, "test", Duration::from_secs(1)).unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("did not finish within 1s"), "{message}");
        assert!(
            err.error()
                .and_then(|c| c.hint())
                .is_some_and(|h| h.contains("unlocked")),
            "{err:?}"
        );
        assert!(!alive(pid_in(&pid_file)), "the command still runs");
        // The bound the person gets is generous enough for a password manager's prompt.
        assert_eq!(TIME_LIMIT, Duration::from_secs(120));
    }

    #[test]
    fn much_output_neither_blocks_the_command_nor_fills_memory() {
        // A megabyte after the secret's line: read and dropped, so the command ends.
        let secret = run(
            "echo ab12ab12ab12ab12ab12ab12ab12ab12; head -c 1000000 /dev/zero",
            "test",
        )
        .unwrap();
        assert_eq!(secret.expose(), "ab12ab12ab12ab12ab12ab12ab12ab12");
        // A megabyte with no line end: only the first 64 KiB are kept.
        let secret = run("head -c 1000000 /dev/zero | tr '\\0' a", "test").unwrap();
        assert_eq!(secret.expose().len(), MAX_OUTPUT);
    }

    #[test]
    fn failures_name_the_command_and_its_status() {
        let err = run("echo nope >&2; exit 3", "test").unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.contains("'echo nope >&2; exit 3'") && message.contains("exit status: 3"),
            "{message}"
        );
        assert_eq!(exit::code(&err), 1);
        let err = run("true", "test").unwrap_err();
        assert!(format!("{err:#}").contains("printed no secret"));
        // What it printed is not repeated: it may be a secret, mangled.
        let err = run("echo \"$((6 * 7)) x\"", "test").unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("not an app secret"), "{message}");
        assert!(!message.contains("42 x"), "{message}");
    }
}

/// The first-line reader against arbitrary output, cut into arbitrary reads: it keeps the
/// first line (or the first [`MAX_OUTPUT`] bytes) and never more.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A reader that hands out `bytes` in reads of the given sizes.
    struct Chunked {
        bytes: Vec<u8>,
        sizes: Vec<usize>,
        at: usize,
        read: usize,
    }

    impl Read for Chunked {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let size = self.sizes[self.read % self.sizes.len()].max(1);
            self.read += 1;
            let n = size.min(buf.len()).min(self.bytes.len() - self.at);
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn output() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..2048),
            // Long lines, past the bound.
            (
                any::<u8>(),
                60_000usize..140_000,
                proptest::option::of(0usize..140_000)
            )
                .prop_map(|(fill, len, newline_at)| {
                    let mut bytes = vec![fill; len];
                    if let Some(at) = newline_at.filter(|at| *at < len) {
                        bytes[at] = b'\n';
                    }
                    bytes
                }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn keeps_the_first_line_and_no_more_than_the_bound(
            bytes in output(),
            sizes in proptest::collection::vec(1usize..9000, 1..8),
        ) {
            let shared = (Mutex::new(LineState::default()), Condvar::new());
            let mut reader = Chunked { bytes: bytes.clone(), sizes, at: 0, read: 0 };
            read_first_line(&mut reader, &shared);
            // Everything was read, to the end: the command never blocks on a full pipe.
            prop_assert_eq!(reader.at, bytes.len());
            let state = shared.0.into_inner().unwrap();
            prop_assert!(state.complete);
            prop_assert!(state.bytes.len() <= MAX_OUTPUT);
            prop_assert!(bytes.starts_with(&state.bytes));
            let end = bytes.iter().position(|b| *b == b'\n').map_or(bytes.len(), |i| i + 1);
            // The first line is all there (to the bound), whatever the reads were.
            prop_assert!(state.bytes.len() >= end.min(MAX_OUTPUT));
            let first = |b: &[u8]| b.split(|c| *c == b'\n').next().map(<[u8]>::to_vec);
            if end <= MAX_OUTPUT {
                prop_assert_eq!(first(&state.bytes), first(&bytes));
            }
        }
    }
}
