//! For tests: a logger that keeps every record the crate logs in the test binary, so that
//! a test can check what would reach a program's logger.

use std::sync::{Mutex, PoisonError};

struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.target().starts_with("pipi")
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            held.push(record.args().to_string());
        }
    }

    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

/// Starts keeping every record, at every level, from now on; a second call changes nothing.
pub(crate) fn start() {
    if log::set_logger(&CAPTURE).is_ok() {
        log::set_max_level(log::LevelFilter::Trace);
    }
}

/// The records kept so far that contain `marker`.
pub(crate) fn records_with(marker: &str) -> Vec<String> {
    let held = CAPTURE.0.lock().unwrap_or_else(PoisonError::into_inner);
    held.iter()
        .filter(|r| r.contains(marker))
        .cloned()
        .collect()
}
