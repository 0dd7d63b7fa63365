//! What pipi tells a person on stderr, and the data it writes on stdout.
//!
//! stdout carries exactly one JSON document or one token line, so scripts can pipe it, and it
//! is never coloured; everything else goes to stderr, with every secret masked
//! ([`crate::redact`]) and labels coloured when stderr is a terminal and `NO_COLOR` is unset.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

/// The colours of stderr's labels.
#[derive(Clone, Copy)]
enum Tone {
    Error,
    Warning,
    Hint,
    Debug,
}

impl Tone {
    fn ansi(self) -> &'static str {
        match self {
            Tone::Error => "\x1b[1;31m",
            Tone::Warning => "\x1b[1;33m",
            Tone::Hint => "\x1b[36m",
            Tone::Debug => "\x1b[2m",
        }
    }
}

/// Whether stderr gets colour: only a terminal does, and not when `NO_COLOR` is set to
/// anything (<https://no-color.org>) or the terminal says it is dumb.
pub fn stderr_colour() -> bool {
    static COLOUR: OnceLock<bool> = OnceLock::new();
    *COLOUR.get_or_init(|| {
        colour_allowed(&|name| std::env::var(name).ok()) && std::io::stderr().is_terminal()
    })
}

fn colour_allowed(env: &dyn Fn(&str) -> Option<String>) -> bool {
    env("NO_COLOR").is_none_or(|v| v.is_empty()) && env("TERM").is_none_or(|t| t != "dumb")
}

fn paint(label: &str, tone: Tone) -> String {
    if stderr_colour() {
        format!("{}{label}\x1b[0m", tone.ansi())
    } else {
        label.to_string()
    }
}

/// One line on stderr, secrets masked.
fn line(text: &str) {
    let mut err = std::io::stderr().lock();
    // Nothing useful can be done when stderr itself is gone.
    let _ = writeln!(err, "{}", pipi::redact::redact(text));
}

/// A line for the person on stderr. A closed stderr is no reason to stop (nor to panic, as
/// `eprintln!` would).
pub fn say(message: &str) {
    line(message);
}

/// A line on stderr that is not masked: only for values meant to be seen, such as the
/// emulator's own made-up app secret, which `pipi mock` must show to be of any use.
pub fn say_unmasked(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

/// A warning on stderr: something was wrong but the command goes on.
pub fn warn(message: &str) {
    line(&format!(
        "pipi: {} {message}",
        paint("warning:", Tone::Warning)
    ));
}

/// The error that ends the command.
pub fn error(message: &str) {
    line(&format!("pipi: {} {message}", paint("error:", Tone::Error)));
}

/// The next step to take, after an error or a status.
pub fn hint(message: &str) {
    line(&format!("{} {message}", paint("hint:", Tone::Hint)));
}

/// A line of the debug log.
pub fn debug(message: &str) {
    line(&format!("pipi: {} {message}", paint("debug:", Tone::Debug)));
}

/// One JSON document on stdout, pretty-printed, ending with a newline.
pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print_data(&text)
}

/// How a command that prints JSON prints it: pretty-printed, or through the `--jq` filter.
/// Made before the command does any work, so that a bad expression stops it first.
#[derive(Debug)]
pub struct JsonOutput {
    filter: Option<super::jq::Filter>,
}

impl JsonOutput {
    /// Compiles `--jq EXPR`, if given: an expression that does not parse is a usage error.
    pub fn new(jq: Option<&str>) -> anyhow::Result<JsonOutput> {
        Ok(JsonOutput {
            filter: jq.map(super::jq::Filter::compile).transpose()?,
        })
    }

    /// Whether a `--jq` filter was given.
    pub fn is_filtered(&self) -> bool {
        self.filter.is_some()
    }

    /// The value on stdout: pretty-printed, or each result of the filter on its own line.
    /// A filter that fails while it runs prints the results before the failure, as jq does.
    pub fn print(&self, value: &serde_json::Value) -> anyhow::Result<()> {
        let Some(filter) = &self.filter else {
            return print_json(value);
        };
        let (text, error) = filter.run(value);
        print_data(&text)?;
        match error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// A server's body: as received, or through the filter as JSON.
    pub fn print_raw(&self, raw: &str) -> anyhow::Result<()> {
        if self.filter.is_none() {
            return print_body(raw);
        }
        let value: serde_json::Value = serde_json::from_str(raw)
            .map_err(|e| anyhow::anyhow!("the server's answer is not JSON for --jq: {e}"))?;
        self.print(&value)
    }
}

/// The reader of stdout went away (`pipi whoami | head -1`): pipi ends quietly. Only stdout
/// raises it, so a broken pipe anywhere else (a socket) is still reported.
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stdout was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// A server's body on stdout as received, ending with a newline.
pub fn print_body(raw: &str) -> anyhow::Result<()> {
    if raw.ends_with('\n') {
        print_data(raw)
    } else {
        print_data(&format!("{raw}\n"))
    }
}

/// Data on stdout, flushed at once.
pub fn print_data(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("failed to write to stdout")),
    }
}

/// A duration for people, to the second: `42s`, `3m 5s`.
pub fn duration(d: std::time::Duration) -> String {
    humantime::format_duration(std::time::Duration::from_secs(d.as_secs())).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_and_dumb_terminals_turn_colour_off() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(colour_allowed(&env(&[])));
        assert!(colour_allowed(&env(&[("TERM", "xterm-256color")])));
        assert!(!colour_allowed(&env(&[("NO_COLOR", "1")])));
        // An empty NO_COLOR does not count, as no-color.org says.
        assert!(colour_allowed(&env(&[("NO_COLOR", "")])));
        assert!(!colour_allowed(&env(&[("TERM", "dumb")])));
    }
}
