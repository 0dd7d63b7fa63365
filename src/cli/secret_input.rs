//! Reading a secret so that it lands neither in the shell's history nor on the screen: typed
//! at a terminal with echo off, or piped in (`pass site/secret | pipi config set app-secret`).

use crate::cli::exit as error;
use crate::cli::failure::{Context, Result};
use crate::cli::redaction;
use pipi::Secret;
use std::io::{BufRead, IsTerminal, Read, Write};

/// More than any secret; a pipe that sends more is sending something else.
const MAX_PIPED: u64 = 64 * 1024;

/// Reads one secret from stdin: after `prompt`, with echo off, on a terminal; else the first
/// line of whatever is piped in. Blank input is an error.
pub fn read_secret(prompt: &str, what: &str) -> Result<Secret> {
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        read_hidden(prompt)?
    } else {
        let mut bytes = Vec::new();
        stdin
            .lock()
            .take(MAX_PIPED + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("failed to read the {what} from standard input"))?;
        first_line(&bytes, what)?
    };
    let value = line.trim();
    if value.is_empty() {
        return Err(error::hinted(
            format!("no {what} was given on standard input"),
            format!("type or paste the {what} at the prompt, or pipe it in"),
        ));
    }
    Ok(redaction::secret(value))
}

/// The first line of what was piped in. Input over [`MAX_PIPED`] is refused whole rather
/// than cut: a cut secret would be stored without a word and fail only at the next login.
fn first_line(bytes: &[u8], what: &str) -> Result<String> {
    if bytes.len() as u64 > MAX_PIPED {
        return Err(error::hinted(
            format!(
                "standard input holds more than {} KiB, far more than any {what}: nothing was saved",
                MAX_PIPED / 1024
            ),
            format!(
                "pipe in only the {what}, such as: printf '%s' \"$SECRET\" | pipi config set app-secret"
            ),
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| error::failed(format!("the {what} on standard input is not UTF-8 text")))?;
    Ok(text.lines().next().unwrap_or_default().to_string())
}

/// Puts the terminal's settings back when reading ends, however it ends.
#[cfg(unix)]
struct EchoOff(rustix::termios::Termios);

#[cfg(unix)]
impl Drop for EchoOff {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            &self.0,
        );
    }
}

/// Turns echo off (keeping the newline, so the prompt's line ends), then prompts and reads a
/// line. The prompt comes after echo is off, so nothing typed once it shows is ever echoed.
#[cfg(unix)]
fn read_hidden(prompt: &str) -> Result<String> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let stdin = std::io::stdin();
    let original = tcgetattr(&stdin).context("failed to read the terminal's settings")?;
    let mut hidden = original.clone();
    hidden.local_modes.remove(LocalModes::ECHO);
    hidden.local_modes.insert(LocalModes::ECHONL);
    tcsetattr(&stdin, OptionalActions::Now, &hidden)
        .context("failed to turn the terminal's echo off")?;
    let _restore = EchoOff(original.clone());
    // Ctrl-C ends the process without running destructors: put the terminal back first, or
    // the shell would be left without echo.
    let _interrupt = crate::cli::interrupt::subscribe(move |signal| {
        let _ = tcsetattr(std::io::stdin(), OptionalActions::Now, &original);
        crate::cli::output::say("");
        crate::cli::interrupt::exit_now(signal.exit_code());
    });
    read_line_after(prompt, &stdin)
}

/// Without a way to turn echo off here, the secret is read in plain sight, and the person is
/// told so before typing.
#[cfg(not(unix))]
fn read_hidden(prompt: &str) -> Result<String> {
    crate::cli::output::warn(
        "this terminal cannot hide what you type: the secret will show as you type it",
    );
    read_line_after(prompt, &std::io::stdin())
}

fn read_line_after(prompt: &str, stdin: &std::io::Stdin) -> Result<String> {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    drop(err);
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("failed to read from the terminal")?;
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piped_input_is_taken_whole_or_refused() {
        assert_eq!(first_line(b"s3cr3t\nrest", "app secret").unwrap(), "s3cr3t");
        let limit = usize::try_from(MAX_PIPED).unwrap();
        let mut big = vec![b'a'; limit];
        assert_eq!(first_line(&big, "app secret").unwrap().len(), limit);
        big.push(b'a');
        let err = first_line(&big, "app secret").unwrap_err();
        assert!(err.to_string().contains("more than 64 KiB"), "{err}");
        assert!(first_line(b"\xff", "app secret").is_err());
    }
}
