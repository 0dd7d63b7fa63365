//! The emulated site as a whole: what every request shares (configuration, state, clock,
//! shutdown). The front door that hands each request to its page or endpoint is `router`.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::config::Config;
use super::state::State;
use crate::http::Response;

/// Everything the request threads of one emulator share.
pub(crate) struct Site {
    pub config: Config,
    /// `host:port` as clients must name it in `Host`, e.g. `127.0.0.1:40123`.
    pub host: String,
    state: Mutex<State>,
    stopped: Mutex<bool>,
    stop_signal: Condvar,
}

impl Site {
    pub fn new(config: Config, host: String) -> Site {
        let state = State::new(&config);
        Site {
            config,
            host,
            state: Mutex::new(state),
            stopped: Mutex::new(false),
            stop_signal: Condvar::new(),
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.host)
    }

    pub fn home_url(&self) -> String {
        format!("{}/", self.base_url())
    }

    /// The state, even if a request thread panicked while holding it: every change to it is
    /// a single assignment, so it is never left half-done.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Everything back to the start state: apps, people, settings, faults, the clock,
    /// sessions, grants and the record.
    pub fn reset(&self) {
        let fresh = State::new(&self.config);
        *self.state() = fresh;
    }

    pub fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.stop_signal.notify_all();
    }

    pub fn is_stopped(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sleeps for `duration`, or less if the emulator stops meanwhile.
    pub fn sleep(&self, duration: Duration) {
        if duration.is_zero() {
            return;
        }
        let stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        drop(
            self.stop_signal
                .wait_timeout_while(stopped, duration, |stopped| !*stopped),
        );
    }

    /// Blocks until the emulator stops.
    pub fn wait_for_stop(&self) {
        let stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        drop(self.stop_signal.wait_while(stopped, |stopped| !*stopped));
    }
}

/// An HTML page.
pub(crate) fn html(status: u16, body: String) -> Response {
    Response::new(status, "text/html; charset=UTF-8", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_is_matched_with_intval() {
        let site = Site::new(Config::default(), "127.0.0.1:1".to_owned());
        let state = site.state();
        for (app_id, expected) in [
            ("4242", true),
            ("4242abc", true),
            (" 4242", true),
            ("+4242", true),
            ("4242.7", true),
            ("4241", false),
            ("", false),
            ("abc", false),
        ] {
            assert_eq!(state.app(app_id).is_some(), expected, "{app_id:?}");
        }
        drop(state);
        let site = Site::new(
            Config {
                app_id: "0".to_owned(),
                ..Config::default()
            },
            "127.0.0.1:1".to_owned(),
        );
        assert!(
            site.state().app("abc").is_none(),
            "an app id of 0 must not match junk"
        );
    }
}
