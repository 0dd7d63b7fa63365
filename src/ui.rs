//! What pipi tells a person on stderr, and the data it writes on stdout.
//!
//! stdout carries exactly one JSON document or one token line, so scripts can pipe it;
//! everything else goes to stderr.

use std::io::Write;

/// A line for the person on stderr. A closed stderr is no reason to stop (nor to panic, as
/// `eprintln!` would).
pub fn say(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}

/// A warning on stderr: something was wrong but the command goes on.
pub fn warn(message: &str) {
    say(&format!("pipi: warning: {message}"));
}

/// One JSON document on stdout, pretty-printed, ending with a newline.
pub fn print_json(value: &serde_json::Value) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    print_data(&text)
}

/// Data on stdout, flushed at once; the caller treats a closed pipe as a quiet exit.
pub fn print_data(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// A duration for people, to the second: `42s`, `3m 5s`.
pub fn duration(d: std::time::Duration) -> String {
    humantime::format_duration(std::time::Duration::from_secs(d.as_secs())).to_string()
}
