//! What ends a command without success, as data: a [`Failure`]. Its exit code and its hint
//! are read from it with a `match` (`exit::code`, `exit::hint`), never looked for among its
//! causes.
//!
//! Whatever knows what a failure means raises it: the library a [`pipi::Error`] of the right
//! kind, the command line an exit code of its own (2 for usage, 126 and 127 for `pipi
//! exec`), a `--jq` filter its halt, stdout its closing. On the way out, each layer adds
//! what it was doing with [`Context`], which keeps the kind, the hint, the setting at fault
//! and the exit code, and keeps what it wraps as the new layer's `source()`: `{:#}` shows
//! the whole chain, which is what `pipi: error:` prints.

use pipi::{Error, ErrorKind};
use std::fmt;

/// What ends a command without success.
#[derive(Debug)]
pub enum Failure {
    /// An error to report, as `pipi: error: ...` and its hint, that ends pipi with the exit
    /// code of its kind.
    Error(Error),
    /// An error to report that ends pipi with a code the command line chose rather than its
    /// kind's: 2 for a usage error, 126 and 127 for a command `pipi exec` cannot run.
    Coded(u8, Error),
    /// A `--jq` filter called `halt(N)` or `halt_error(N)` with N other than 0: pipi ends
    /// with N and says nothing more (`halt_error` has said it already).
    Halted(u8),
    /// The reader of stdout went away (`pipi whoami | head -1`): pipi ends quietly, with 0.
    /// Only writing to stdout raises it, so a broken pipe anywhere else (a socket) is still
    /// reported.
    StdoutClosed,
}

/// The result of the command line's fallible functions.
pub type Result<T, E = Failure> = std::result::Result<T, E>;

impl Failure {
    /// The error to report, if there is one: a halted filter and a closed stdout end without
    /// a word.
    pub fn error(&self) -> Option<&Error> {
        match self {
            Failure::Error(error) | Failure::Coded(_, error) => Some(error),
            Failure::Halted(_) | Failure::StdoutClosed => None,
        }
    }

    /// This failure said in the terms of what was being done (see [`Error::context`]), with
    /// its exit code kept. A halted filter and a closed stdout have nothing to say, and stay
    /// as they are.
    pub fn context(self, message: impl Into<String>) -> Failure {
        match self {
            Failure::Error(error) => Failure::Error(error.context(message)),
            Failure::Coded(code, error) => Failure::Coded(code, error.context(message)),
            quiet @ (Failure::Halted(_) | Failure::StdoutClosed) => quiet,
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Error(error)
    }
}

/// An error from outside pipi (std's, a dependency's) that the command line meets, for `?`
/// and [`Context`] to take. One line here lets another type in; the library's own
/// [`pipi::Error`] is not one, so that its kind is never lost.
pub trait Foreign: std::error::Error + Send + Sync + 'static {}

impl Foreign for std::io::Error {}
impl Foreign for serde_json::Error {}
#[cfg(unix)]
impl Foreign for rustix::io::Errno {}

impl<E: Foreign> From<E> for Failure {
    /// What a bare `?` makes of an error from outside: a failure (exit 1) said as the error
    /// and its causes say it. The words are kept, not the error: [`Context`] keeps it as the
    /// cause, for a failure that needs it.
    fn from(error: E) -> Failure {
        Failure::Error(Error::new(ErrorKind::Failed, with_causes(&error)))
    }
}

/// `error`'s words followed by its causes', joined with `: `, as `{:#}` joins a chain.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut said = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        said.push_str(": ");
        said.push_str(&e.to_string());
        cause = e.source();
    }
    said
}

impl fmt::Display for Failure {
    /// As [`Error`] shows itself: `{}` this layer's words, `{:#}` followed by its causes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(error) | Failure::Coded(_, error) => fmt::Display::fmt(error, f),
            Failure::Halted(code) => write!(f, "the --jq filter halted with exit code {code}"),
            Failure::StdoutClosed => f.write_str("stdout was closed"),
        }
    }
}

/// Context for a failure on its way out: what was being done, as a new layer over the
/// failure, of the same kind, hint and exit code, whose source is the failure as it was.
/// A missing value becomes a plain failure (exit 1) said in these words.
pub trait Context<T> {
    /// The failure said as `message`, with its cause kept.
    fn context(self, message: impl Into<String>) -> Result<T>;
    /// As [`Context::context`], with the message made only on failure.
    fn with_context<M: Into<String>>(self, message: impl FnOnce() -> M) -> Result<T>;
}

/// What [`Context`] can put a layer over: a [`Failure`], a [`pipi::Error`], or an error
/// from outside.
pub trait Cause {
    /// A new layer saying `message` over this.
    fn under(self, message: String) -> Failure;
}

impl Cause for Failure {
    fn under(self, message: String) -> Failure {
        self.context(message)
    }
}

impl Cause for Error {
    fn under(self, message: String) -> Failure {
        Failure::Error(self.context(message))
    }
}

impl<E: Foreign> Cause for E {
    fn under(self, message: String) -> Failure {
        Failure::Error(Error::new(ErrorKind::Failed, message).caused_by(self))
    }
}

impl<T, E: Cause> Context<T> for std::result::Result<T, E> {
    fn context(self, message: impl Into<String>) -> Result<T> {
        self.map_err(|e| e.under(message.into()))
    }

    fn with_context<M: Into<String>>(self, message: impl FnOnce() -> M) -> Result<T> {
        self.map_err(|e| e.under(message().into()))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, message: impl Into<String>) -> Result<T> {
        self.ok_or_else(|| super::exit::failed(message))
    }

    fn with_context<M: Into<String>>(self, message: impl FnOnce() -> M) -> Result<T> {
        self.ok_or_else(|| super::exit::failed(message()))
    }
}
