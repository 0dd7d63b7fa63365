//! Debug mode (`-v`, `PIPI_DEBUG`): a log of each step on stderr, for a person working out
//! why something fails, and safe to paste into a bug report: every line goes through
//! [`super::redaction`], on top of the masking the library does in its own records.
//!
//! The library and the CLI log through the `log` facade; this is its logger. Level 1
//! (`log`'s debug) logs the settings and where each came from, each request's method, URL
//! and status, timings and the login listener's events; level 2 (trace) adds the server's
//! answers. Only pipi's own records are shown, not those of the crates under it.

use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();

/// The logger: pipi's records, stamped with the time since start, on stderr.
struct Logger;

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.target().starts_with("pipi")
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            write(&record.args().to_string());
        }
    }

    fn flush(&self) {}
}

/// Turns the log on at `level` (0 leaves it off) and starts its clock.
pub fn enable(level: u8) {
    STARTED.get_or_init(Instant::now);
    let filter = match level {
        0 => log::LevelFilter::Off,
        1 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    if filter != log::LevelFilter::Off && log::set_logger(&Logger).is_ok() {
        log::set_max_level(filter);
    }
}

/// The level from `-v` flags and `PIPI_DEBUG`, whichever asks for more. `PIPI_DEBUG` takes a
/// level (`1`, `2`) or a yes (`true`, `yes`, `on`); `0`, `false`, `no` and `off` leave it off.
pub fn level_from(flags: u8, env: Option<&str>) -> u8 {
    let from_env = match env.map(|v| v.trim().to_ascii_lowercase()) {
        None => 0,
        Some(v) => match v.as_str() {
            "" | "0" | "false" | "no" | "off" => 0,
            "true" | "yes" | "on" => 1,
            n => n.parse::<u8>().unwrap_or(1),
        },
    };
    flags.max(from_env)
}

/// Time since the log started, for the prefix of each line.
fn elapsed() -> String {
    let secs = STARTED.get().map_or(0.0, |t| t.elapsed().as_secs_f64());
    format!("[{secs:.3}s]")
}

/// Writes one line of the log (several if `message` has newlines), redacted.
fn write(message: &str) {
    let stamp = elapsed();
    for line in message.lines() {
        super::output::debug(&format!("{stamp} {line}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_come_from_flags_and_the_environment() {
        assert_eq!(level_from(0, None), 0);
        assert_eq!(level_from(2, None), 2);
        assert_eq!(level_from(0, Some("1")), 1);
        assert_eq!(level_from(0, Some("2")), 2);
        assert_eq!(level_from(0, Some("yes")), 1);
        assert_eq!(level_from(0, Some("0")), 0);
        assert_eq!(level_from(0, Some("false")), 0);
        assert_eq!(level_from(1, Some("off")), 1);
        assert_eq!(level_from(0, Some("verbose")), 1);
    }
}
