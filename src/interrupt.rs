//! Ctrl-C, handled in one place. The process can have only one handler, so it is set once,
//! in `main`, and a command that wants Ctrl-C for itself subscribes while it does; with
//! nobody subscribed, Ctrl-C ends pipi at once with exit code 130.

use std::sync::{Mutex, PoisonError};

type Handler = Box<dyn Fn() + Send>;

static SUBSCRIBER: Mutex<Option<Handler>> = Mutex::new(None);

/// Sets the process's Ctrl-C handler. Failing to is not fatal: Ctrl-C then ends pipi the
/// system's way.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        let subscriber = SUBSCRIBER.lock().unwrap_or_else(PoisonError::into_inner);
        match subscriber.as_ref() {
            Some(handle) => handle(),
            None => std::process::exit(i32::from(crate::error::Kind::Interrupted.exit_code())),
        }
    });
}

/// While the returned value lives, Ctrl-C calls `handle` instead of ending pipi.
#[must_use = "Ctrl-C is handled only while the subscription lives"]
pub fn subscribe(handle: impl Fn() + Send + 'static) -> Subscription {
    *SUBSCRIBER.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(handle));
    Subscription(())
}

/// Ends the subscription when dropped.
pub struct Subscription(());

impl Drop for Subscription {
    fn drop(&mut self) {
        *SUBSCRIBER.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}
