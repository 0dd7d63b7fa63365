//! For tests: a logger that keeps the records the crate logs in the test binary, so that
//! a test can check what would reach a program's logger. Every test of the binary logs
//! through it once one has started it, so it keeps only the records that contain a text a
//! test asked for, and at most [`MAX_HELD`] of them.

use std::sync::{Mutex, PoisonError};

/// The most records kept: far more than the tests that read them log.
const MAX_HELD: usize = 10_000;

/// The texts asked for, and the records that contain one.
struct Capture(Mutex<(Vec<String>, Vec<String>)>);

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.target().starts_with("pipi")
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            let line = record.args().to_string();
            let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            let (wanted, held) = &mut *guard;
            if held.len() < MAX_HELD && wanted.iter().any(|w| line.contains(w.as_str())) {
                held.push(line);
            }
        }
    }

    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new((Vec::new(), Vec::new())));

/// Starts keeping the records, at every level, that contain any of `texts` (and those of
/// earlier calls).
pub(crate) fn start(texts: &[&str]) {
    if log::set_logger(&CAPTURE).is_ok() {
        log::set_max_level(log::LevelFilter::Trace);
    }
    let mut guard = CAPTURE.0.lock().unwrap_or_else(PoisonError::into_inner);
    for text in texts {
        if !guard.0.iter().any(|held| held == text) {
            guard.0.push(text.to_string());
        }
    }
}

/// The records kept so far that contain `marker`.
pub(crate) fn records_with(marker: &str) -> Vec<String> {
    let guard = CAPTURE.0.lock().unwrap_or_else(PoisonError::into_inner);
    guard
        .1
        .iter()
        .filter(|r| r.contains(marker))
        .cloned()
        .collect()
}
