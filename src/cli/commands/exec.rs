//! `pipi exec -- COMMAND`: runs a command with a live token in its environment, as `op run`
//! and `doppler run` do with secrets. Sngine tokens live a minute, so a script cannot keep
//! one from earlier: this logs in first when the cached token will not last, then hands it
//! over as `PIPI_ACCESS_TOKEN` (with `PIPI_BASE_URL`), which a `pipi` inside the command
//! uses too.
//!
//! On Unix pipi then becomes the command (`execvp`), as `env` and `nice` do: pipi has
//! nothing left to do once the token is handed over, and a process that stays in between
//! would have to relay signals. A relay cannot tell a signal sent to it alone (`kill PID`,
//! which the command must get) from one sent to its whole process group (`kill -- -PGID`,
//! `timeout`, a CI runner's cancel), which the command got already: passing that on makes
//! it arrive twice, and programs that read a second SIGTERM as "force quit" lose their
//! clean shutdown. tini and dumb-init avoid it by moving the command to a process group of
//! its own, which a group kill then misses, `kill -9` included; `doppler run` passes
//! signals on only when asked to. Becoming the command leaves nothing to decide: every
//! signal reaches it exactly once, from whoever sent it, and its exit status is pipi's.
//! Elsewhere (Windows) pipi runs the command and waits for it: the console's Ctrl-C
//! reaches both.

use crate::cli::args::ExecArgs;
use crate::cli::exit;
use crate::cli::exit::ExitCode;
use crate::cli::failure::{Failure, Result};
use crate::cli::session;
use crate::cli::settings::{Settings, table};
use pipi::Paste;
use std::ffi::OsString;
use std::process::Command;
#[cfg(any(not(unix), test))]
use std::process::ExitStatus;
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
    let timeout = Duration::from_secs(args.timeout);
    let current = session::live_token(
        settings,
        Duration::from_secs(args.min_left),
        timeout,
        || {
            // stdin is the command's: a paste reader left behind would take its first line.
            let login = session::browser_login(settings, timeout, false)?.paste(Paste::Never);
            session::run_login(login)
        },
    )?;
    log::debug!("running {}", shown(program));
    let mut command = Command::new(program);
    command
        .args(arguments)
        .env(table::ACCESS_TOKEN.env, current.token.expose())
        .env(table::BASE_URL.env, &current.base_url);
    become_or_run(command, program)
}

/// Replaces pipi with the command. It returns only when the command could not be started.
/// A signal that comes before (pipi subscribes to none here) ends pipi with its exit code,
/// the command not started; std resets the signal mask and SIGPIPE for the command as it
/// does for any child.
#[cfg(unix)]
fn become_or_run(mut command: Command, program: &OsString) -> Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    let error = command.exec();
    Err(cannot_run(program, &error))
}

/// Runs the command and waits for it. The console sends Ctrl-C to every process attached
/// to it, the command included: pipi only stays to report its end.
#[cfg(not(unix))]
fn become_or_run(mut command: Command, program: &OsString) -> Result<ExitCode> {
    use crate::cli::failure::Context;
    let _stay = crate::cli::interrupt::subscribe(|_| {});
    let mut child = command.spawn().map_err(|e| cannot_run(program, &e))?;
    let status = child
        .wait()
        .with_context(|| format!("failed to wait for {}", shown(program)))?;
    log::debug!("{} ended: {status}", shown(program));
    Ok(ExitCode::from(exit_code(status)))
}

/// The command's exit code; 128 + N when signal N killed it, as shells report it.
#[cfg(any(not(unix), test))]
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
fn cannot_run(program: &OsString, e: &std::io::Error) -> Failure {
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
