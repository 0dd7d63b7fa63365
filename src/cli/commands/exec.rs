//! `pipi exec -- COMMAND`: runs a command with a live token in its environment, as `op run`
//! and `doppler run` do with secrets. Sngine tokens live a minute, so a script cannot keep
//! one from earlier: this logs in first when the cached token will not last, then hands it
//! over as `PIPI_ACCESS_TOKEN` (with `PIPI_BASE_URL`), which a `pipi` inside the command
//! uses too. pipi then steps aside: the command's exit code is pipi's, and the signals that
//! would stop pipi are passed on to it.

use crate::cli::args::ExecArgs;
use crate::cli::exit;
use crate::cli::exit::ExitCode;
use crate::cli::interrupt::{self, Signal};
use crate::cli::session;
use crate::cli::settings::{Settings, table};
use anyhow::{Context, Result};
use pipi::Paste;
use std::ffi::OsString;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The shells' exit codes for a command that cannot be run.
const NOT_FOUND: u8 = 127;
const NOT_EXECUTABLE: u8 = 126;

pub fn run(settings: &Settings, args: &ExecArgs) -> Result<ExitCode> {
    let Some((program, arguments)) = args.command.split_first() else {
        return Err(exit::usage(
            "no command to run",
            "such as: pipi exec -- ./script.sh",
        ));
    };
    let current = session::live_token(settings, Duration::from_secs(args.min_left), || {
        // stdin is the command's: a paste reader left behind would take its first line.
        let login = session::browser_login(settings, Duration::from_secs(args.timeout), false)?
            .paste(Paste::Never);
        session::run_login(login)
    })?;
    log::debug!("running {}", shown(program));
    // The terminal's Ctrl-C reaches the command by itself, as it is in the same process
    // group; a signal sent to pipi alone (`kill`, a service manager, a CI runner's timeout)
    // is passed on. pipi stays to report the command's end either way. The subscription
    // starts before the command does, so that a signal in between is not lost: it is kept
    // and passed on as soon as the command runs.
    let child_slot: Arc<Mutex<ChildSlot>> = Arc::default();
    let _forward = {
        let child_slot = Arc::clone(&child_slot);
        interrupt::subscribe(move |signal| {
            let mut slot = child_slot.lock().unwrap_or_else(PoisonError::into_inner);
            match slot.pid {
                Some(pid) => forward(signal, pid),
                None => slot.pending = Some(signal),
            }
        })
    };
    let mut child = std::process::Command::new(program)
        .args(arguments)
        .env(table::ACCESS_TOKEN.env, current.token.expose())
        .env(table::BASE_URL.env, &current.base_url)
        .spawn()
        .map_err(|e| cannot_run(program, &e))?;
    {
        let pid = child.id();
        let mut slot = child_slot.lock().unwrap_or_else(PoisonError::into_inner);
        slot.pid = Some(pid);
        if let Some(signal) = slot.pending.take() {
            forward(signal, pid);
        }
    }
    let status = child
        .wait()
        .with_context(|| format!("failed to wait for {}", shown(program)))?;
    log::debug!("{} ended: {status}", shown(program));
    Ok(ExitCode::from(exit_code(status)))
}

/// The command once it runs, and a signal that came before it did.
#[derive(Default)]
struct ChildSlot {
    pid: Option<u32>,
    pending: Option<Signal>,
}

/// Passes a signal on to the command, unless the terminal sent it to the command already.
fn forward(signal: Signal, pid: u32) {
    if signal.reached_the_whole_group() {
        log::debug!("{signal} came from the terminal, which sent it to the command too");
    } else if let Err(e) = signal.send_to(pid) {
        log::debug!("could not pass {signal} on to process {pid}: {e}");
    } else {
        log::debug!("passed {signal} on to process {pid}");
    }
}

/// The command's exit code; 128 + N when signal N killed it, as shells report it.
fn exit_code(status: ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(1);
        }
    }
    1
}

fn shown(program: &OsString) -> String {
    format!("'{}'", program.to_string_lossy())
}

/// Why the command could not start, with the exit code a shell gives for it.
fn cannot_run(program: &OsString, e: &std::io::Error) -> anyhow::Error {
    let name = shown(program);
    match e.kind() {
        std::io::ErrorKind::NotFound => exit::coded(
            NOT_FOUND,
            format!("cannot run {name}: no such command"),
            "check its name, or give its path; a script's first line (#!) must name an \
             interpreter that exists",
        ),
        std::io::ErrorKind::PermissionDenied => exit::coded(
            NOT_EXECUTABLE,
            format!("cannot run {name}: permission denied"),
            format!(
                "make it executable (chmod +x {}), or run it through its interpreter",
                program.to_string_lossy()
            ),
        ),
        _ => exit::coded(
            NOT_EXECUTABLE,
            format!("cannot run {name}: {e}"),
            "check that it is a program this system can run",
        ),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn exit_codes_pass_through_and_signals_count_as_shells_do() {
        assert_eq!(exit_code(ExitStatus::from_raw(0)), 0);
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(ExitStatus::from_raw(255 << 8)), 255);
        // Killed by SIGTERM (15) and SIGKILL (9).
        assert_eq!(exit_code(ExitStatus::from_raw(15)), 143);
        assert_eq!(exit_code(ExitStatus::from_raw(9)), 137);
    }
}
