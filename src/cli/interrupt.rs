//! Ctrl-C, SIGTERM and SIGHUP, handled in one place. The process can have only one handler,
//! so it is set once, in `main`, and a command that wants the signal for itself subscribes
//! while it does; with nobody subscribed, the signal ends pipi with the exit code shells use
//! for it: 128 + its number (130, 143, 129). Every ending goes through [`exit_now`], which
//! first lets a file being written finish, or removes its temporary file: otherwise a
//! `.pipi-*.tmp` copy of the token or the app secret would stay behind.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, PoisonError};

/// The exit code for Ctrl-C (SIGINT): 128 + 2.
pub const CTRL_C: u8 = 130;

/// A signal pipi received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal {
    number: i32,
}

impl Signal {
    /// The exit code a shell gives for it: 128 + its number.
    pub fn exit_code(self) -> u8 {
        u8::try_from(128 + self.number).unwrap_or(CTRL_C)
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.number {
            1 => f.write_str("SIGHUP"),
            2 => f.write_str("SIGINT"),
            15 => f.write_str("SIGTERM"),
            n => write!(f, "signal {n}"),
        }
    }
}

/// Gets the signal.
type Handler = Box<dyn Fn(Signal) + Send>;

static SUBSCRIBER: Mutex<Option<Handler>> = Mutex::new(None);

/// The exit code of the last signal received; 0 before any.
static LAST: AtomicU8 = AtomicU8::new(0);

/// Starts listening for the signals. Failing to is not fatal: they then end pipi the
/// system's way.
pub fn install() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        use signal_hook::iterator::Signals;
        let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("pipi-signals".into())
            .spawn(move || {
                for number in signals.forever() {
                    deliver(Signal { number });
                }
            });
    }
    #[cfg(not(unix))]
    {
        let _ = ctrlc::set_handler(|| deliver(Signal { number: 2 }));
    }
}

fn deliver(signal: Signal) {
    LAST.store(signal.exit_code(), Ordering::SeqCst);
    let subscriber = SUBSCRIBER.lock().unwrap_or_else(PoisonError::into_inner);
    match subscriber.as_ref() {
        Some(handle) => handle(signal),
        None => exit_now(signal.exit_code()),
    }
}

/// How long a signal waits for a write under way. A write is a few KiB and an fsync; a
/// disk that takes longer than this is stuck, and the temporary file is removed instead.
const WRITE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(3);

/// Ends pipi on a signal with `code`, once no file is half written.
pub fn exit_now(code: u8) -> ! {
    exit_after(code, || {})
}

/// Ends pipi on a signal with `code`, once no file is half written and `cleanup` has run
/// (such as deleting a temporary directory, whose destructor an exit would skip).
pub fn exit_after(code: u8, cleanup: impl FnOnce()) -> ! {
    if !pipi::finish_writes(WRITE_PATIENCE) {
        log::debug!("a write did not finish in time; its temporary file was removed");
    }
    cleanup();
    std::process::exit(i32::from(code))
}

/// The exit code for a command that stopped because of a signal: that of the last one
/// received, else Ctrl-C's.
pub fn exit_code() -> u8 {
    match LAST.load(Ordering::SeqCst) {
        0 => CTRL_C,
        code => code,
    }
}

/// While the returned value lives, a signal calls `handle` instead of ending pipi.
#[must_use = "signals are handled only while the subscription lives"]
pub fn subscribe(handle: impl Fn(Signal) + Send + 'static) -> Subscription {
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
