//! The app secret from a password manager: `app-secret-command` (or
//! `PIPI_APP_SECRET_COMMAND`) is a command line run the way git runs a credential helper,
//! through `sh -c` on Unix, whose first line on stdout is the secret. It runs only when a
//! login needs the secret, and the secret stays in memory: nothing writes it to a file.

use super::table;
use crate::cli::exit;
use crate::cli::output;
use anyhow::Result;
use pipi::Secret;
use std::io::Read;
use std::process::{Command, Stdio};

/// The longest output read from the command: a secret is one short line.
const MAX_OUTPUT: u64 = 64 * 1024;

/// Runs `command` and returns the first line of its output as the secret. Its stderr is the
/// person's to read (a password manager may ask to be unlocked there); its stdin is closed,
/// so that it can never take input meant for pipi or for `pipi exec`'s command.
pub fn run(command: &str, source: &str) -> Result<Secret> {
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
    let mut out = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        // A read error leaves what was read; the exit status says whether it worked.
        let _ = stdout.take(MAX_OUTPUT).read_to_end(&mut out);
    }
    let status = child.wait().map_err(|e| {
        anyhow::anyhow!("failed to wait for the app-secret command '{command}': {e}")
    })?;
    if !status.success() {
        return Err(exit::hinted(
            format!("the app-secret command '{command}' (from {source}) failed: {status}"),
            "run it in a shell to see why; its own messages are above",
        ));
    }
    let text = String::from_utf8_lossy(&out);
    let first = text.lines().next().unwrap_or_default().trim();
    // Remembered at once, so that it is masked in any message, the ones below included.
    let secret = Secret::new(first);
    match (table::APP_SECRET.check)(first) {
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
