//! Debug mode (`-v`, `PIPI_DEBUG`): a log of each step on stderr, for a person working out
//! why something fails, and safe to paste into a bug report: every line goes through
//! [`crate::redact`].
//!
//! Level 1 logs the settings and where each came from, each request's method, URL and
//! status, timings and the login listener's events; level 2 adds the server's answers.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

/// Each step: settings, requests, statuses, timings, listener events.
pub const STEPS: u8 = 1;
/// Also the bodies of the server's answers (redacted, cut short).
pub const BODIES: u8 = 2;

static LEVEL: AtomicU8 = AtomicU8::new(0);
static STARTED: OnceLock<Instant> = OnceLock::new();

/// Turns the log on at `level` (0 leaves it off) and starts its clock.
pub fn enable(level: u8) {
    STARTED.get_or_init(Instant::now);
    LEVEL.store(level, Ordering::Relaxed);
}

/// The level from `-v` flags and `PIPI_DEBUG`, whichever asks for more. `PIPI_DEBUG` takes a
/// level (`1`, `2`) or a yes (`true`, `yes`, `on`); `0`, `false`, `no` and `off` leave it off.
pub fn level_from(flags: u8, env: Option<&str>) -> u8 {
    let from_env = match env.map(|v| v.trim().to_ascii_lowercase()) {
        None => 0,
        Some(v) => match v.as_str() {
            "" | "0" | "false" | "no" | "off" => 0,
            "true" | "yes" | "on" => STEPS,
            n => n.parse::<u8>().unwrap_or(STEPS),
        },
    };
    flags.max(from_env)
}

/// Whether the log is on at `level` or above.
pub fn enabled(level: u8) -> bool {
    LEVEL.load(Ordering::Relaxed) >= level
}

/// Time since the log started, for the prefix of each line.
fn elapsed() -> String {
    let secs = STARTED.get().map_or(0.0, |t| t.elapsed().as_secs_f64());
    format!("[{secs:.3}s]")
}

/// Writes one line of the log (several if `message` has newlines), redacted.
pub fn write(message: &str) {
    let stamp = elapsed();
    for line in message.lines() {
        crate::ui::debug(&format!("{stamp} {line}"));
    }
}

/// Logs a line when debug mode is on; the arguments are only formatted then.
#[macro_export]
macro_rules! debug_log {
    ($($arg:tt)*) => {
        if $crate::debug::enabled($crate::debug::STEPS) {
            $crate::debug::write(&format!($($arg)*));
        }
    };
}

/// A body for the log: one line, cut at `max` characters.
pub fn excerpt(body: &str, max: usize) -> String {
    let flat: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let count = flat.chars().count();
    if count <= max {
        return flat;
    }
    let short: String = flat.chars().take(max).collect();
    format!("{short}... ({} more characters)", count - max)
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

    #[test]
    fn excerpts_are_one_line_and_short() {
        assert_eq!(excerpt("a\nb", 10), "a b");
        assert_eq!(excerpt("abcdef", 3), "abc... (3 more characters)");
    }
}
