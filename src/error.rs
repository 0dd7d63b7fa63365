//! The errors the library gives its callers: one type, [`Error`], whose [`ErrorKind`] a
//! caller can match, and, for an answer the site refused, a [`Refusal`] read from the
//! server's message in one place.
//!
//! Inside the crate errors travel as this same [`Error`], with context added at every file
//! and network boundary: code that knows what a failure means raises one of the right kind,
//! and each layer of context keeps that kind and hint, with what it wraps as its source.

use crate::redact::Known;
use std::fmt;
use std::sync::Arc;

/// What went wrong, in the terms a caller acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// There is no usable token: none was cached, it expired, or the site refused it. The
    /// way out is to log in (again).
    AuthNeeded,
    /// The site answered with an error of its own (`{"error":true,...}`), classified.
    Refused(Refusal),
    /// The site could not be reached, did not answer in time, or answered with something
    /// that is not its API (an HTML page, a redirect, a broken body).
    Network,
    /// A file could not be read or written: the token cache or the config file.
    File,
    /// An endpoint that is not a plain path under the site's API (see
    /// [`crate::endpoint_path`]): nothing was sent.
    InvalidEndpoint,
    /// The login was stopped by its [`crate::Cancel`] handle.
    Interrupted,
    /// The login stopped after trading as many keys as it ever does, all refused by the
    /// site: another program on this machine is sending keys to the redirect URL.
    ForgedKeys,
    /// A value that should be a token does not have a token's shape (see
    /// [`crate::check_token`]): the site sent one with control characters, white space or
    /// an absurd length, or such a value was found where a token was expected. Nothing is
    /// kept; the cause says what is wrong with it, never the value.
    MalformedToken(crate::TokenProblem),
    /// The login waited as long as it was told to and no key came.
    TimedOut,
    /// Anything else: no browser came back, the profile was deleted.
    Failed,
}

/// Which of the caller's settings an error points at, for a program to say where that
/// setting comes from (a flag, a variable, a file). The library names none of those.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Setting {
    /// The site's base URL.
    BaseUrl,
    /// The app's id.
    AppId,
    /// The app's secret.
    AppSecret,
    /// The app's redirect URL, as registered on the site.
    RedirectUrl,
}

/// What the site's error message means. Sngine passes its messages through the site's
/// translator, so only the English ones can be told apart; any other is [`Refusal::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// `invalid app_id`: no such app id, or an old server that read an empty query string.
    InvalidAppId,
    /// `invalid app_secret`: the secret does not match the app.
    InvalidAppSecret,
    /// `invalid auth_key`: unknown, already used, or replaced by a newer one.
    InvalidAuthKey,
    /// The app does not exist or was disabled.
    UnknownApp,
    /// The site's developers module is turned off.
    ModuleDisabled,
    /// `invalid access_token`: missing or unknown.
    InvalidToken,
    /// `expired access_token`: older than the site allows (60 seconds).
    ExpiredToken,
    /// `invalid parameters`: the endpoint does not exist or wants other parameters.
    InvalidParameters,
    /// A message this classification does not know (another language, a fork).
    Other,
}

impl Refusal {
    /// Reads the server's message (entity-decoded). This is the one place server messages
    /// are matched.
    pub fn classify(message: &str) -> Refusal {
        let m = message.to_ascii_lowercase();
        if m.contains("expired access_token") {
            Refusal::ExpiredToken
        } else if m.contains("access_token") {
            Refusal::InvalidToken
        } else if m.contains("auth_key") {
            Refusal::InvalidAuthKey
        } else if m.contains("app_secret") {
            Refusal::InvalidAppSecret
        } else if m.contains("app_id") {
            Refusal::InvalidAppId
        } else if m.contains("application") {
            Refusal::UnknownApp
        } else if m.contains("disabled by the admin") {
            Refusal::ModuleDisabled
        } else if m.contains("invalid parameters") {
            Refusal::InvalidParameters
        } else {
            Refusal::Other
        }
    }

    /// Whether the token itself was refused, so that logging in again is the way out.
    pub fn is_token(&self) -> bool {
        matches!(self, Refusal::InvalidToken | Refusal::ExpiredToken)
    }
}

/// An error from pipi: a kind to match, a message for people (lowercase, never a secret),
/// its cause as [`std::error::Error::source`], and sometimes a hint at the next step.
///
/// `{}` shows this error's own words; `{:#}` shows them followed by every cause, joined
/// with `: `.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: Box<str>,
    hint: Option<Box<str>>,
    server_message: Option<Box<str>>,
    setting: Option<Setting>,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// An error of `kind` with a message for people.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into().into_boxed_str(),
            hint: None,
            server_message: None,
            setting: None,
            source: None,
        }
    }

    /// This error, said in the terms of what was being done: a new outer layer with
    /// `message`, of the same kind, hint, setting and server message, whose source is the
    /// error as it was. What a caller matches on stays, and `{:#}` shows both layers:
    ///
    /// ```
    /// use pipi::{Error, ErrorKind};
    ///
    /// let expired = Error::new(ErrorKind::AuthNeeded, "the token expired").with_hint("log in");
    /// let said = expired.context("cannot show the profile");
    /// assert_eq!(said.kind(), &ErrorKind::AuthNeeded);
    /// assert_eq!(said.hint(), Some("log in"));
    /// assert_eq!(said.to_string(), "cannot show the profile");
    /// assert_eq!(format!("{said:#}"), "cannot show the profile: the token expired");
    /// ```
    pub fn context(self, message: impl Into<String>) -> Error {
        Error {
            kind: self.kind.clone(),
            message: message.into().into_boxed_str(),
            hint: self.hint.clone(),
            server_message: self.server_message.clone(),
            setting: self.setting,
            source: Some(Arc::new(self)),
        }
    }

    /// Puts `outer` over this error: `outer`'s kind, message, hint and setting, with this
    /// error as its source, and the site's message kept if `outer` has none.
    pub(crate) fn under(self, mut outer: Error) -> Error {
        if outer.server_message.is_none() {
            outer.server_message = self.server_message.clone();
        }
        outer.source = Some(Arc::new(self));
        outer
    }

    /// Records what caused this error, such as an I/O error or a parser's, as its
    /// [`std::error::Error::source`]; `{:#}` shows it, with its own causes, after this
    /// error's message. It is meant for an error made with [`Error::new`]: a cause already
    /// recorded, with all of its chain, is replaced.
    ///
    /// ```
    /// use pipi::{Error, ErrorKind};
    ///
    /// let io = std::io::Error::other("disk full");
    /// let error = Error::new(ErrorKind::Failed, "failed to save the notes").caused_by(io);
    /// assert_eq!(format!("{error:#}"), "failed to save the notes: disk full");
    /// ```
    pub fn caused_by(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.source = Some(Arc::new(cause));
        self
    }

    /// Adds the next step to take, such as `log in again`.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into().into_boxed_str());
        self
    }

    /// Names the setting at fault.
    pub(crate) fn with_setting(mut self, setting: Setting) -> Error {
        self.setting = Some(setting);
        self
    }

    /// The caller's setting this error points at, when it points at one.
    pub fn setting(&self) -> Option<Setting> {
        self.setting
    }

    /// What went wrong, to match on.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The next step, when there is an obvious one.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The site's own message, entity-decoded, when the site refused. The secrets the call
    /// was made with (the app secret, the key, the token) and any value written after a
    /// secret's name are masked in it, as in the rest of the error, should the site echo one.
    pub fn server_message(&self) -> Option<&str> {
        self.server_message.as_deref()
    }

    /// How the site refused, when it did.
    pub fn refusal(&self) -> Option<&Refusal> {
        match &self.kind {
            ErrorKind::Refused(r) => Some(r),
            _ => None,
        }
    }

    /// The site refused with `message`, classified as the site said it, and kept with the
    /// secrets of the call (`secrets`) masked.
    pub(crate) fn refused(message: &str, secrets: &Known) -> Error {
        let kind = ErrorKind::Refused(Refusal::classify(message));
        let message = secrets.redact(message);
        Error {
            kind,
            message: format!("the server said: {message}").into(),
            hint: None,
            server_message: Some(message.into_boxed_str()),
            setting: None,
            source: None,
        }
    }

    /// The same error with another kind and message, keeping what the site said.
    pub(crate) fn reclassified(&self, kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into().into_boxed_str(),
            hint: None,
            server_message: self.server_message.clone(),
            setting: self.setting,
            source: None,
        }
    }

    /// The same error, of `kind` if it had none more precise than [`ErrorKind::Failed`].
    pub(crate) fn or_kind(mut self, kind: ErrorKind) -> Error {
        if self.kind == ErrorKind::Failed {
            self.kind = kind;
        }
        self
    }
}

/// Context for a failure from elsewhere (I/O, a parser, an HTTP client), or for a missing
/// value, in the library's error: a layer with its own words whose source is the cause.
pub(crate) trait Context<T> {
    /// The failure said as `message`, with its cause kept.
    fn context(self, message: impl Into<String>) -> Result<T>;
    /// As [`Context::context`], with the message made only on failure.
    fn with_context<M: Into<String>>(self, message: impl FnOnce() -> M) -> Result<T>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for std::result::Result<T, E> {
    fn context(self, message: impl Into<String>) -> Result<T> {
        self.map_err(|e| wrap(e, message.into()))
    }

    fn with_context<M: Into<String>>(self, message: impl FnOnce() -> M) -> Result<T> {
        self.map_err(|e| wrap(e, message().into()))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, message: impl Into<String>) -> Result<T> {
        self.ok_or_else(|| Error::new(ErrorKind::Failed, message))
    }

    fn with_context<M: Into<String>>(self, message: impl FnOnce() -> M) -> Result<T> {
        self.ok_or_else(|| Error::new(ErrorKind::Failed, message()))
    }
}

/// `cause` under `message`: one of ours keeps its kind, hint and setting; anything else is
/// a plain failure.
fn wrap<E: std::error::Error + Send + Sync + 'static>(cause: E, message: String) -> Error {
    match (&cause as &dyn std::any::Any).downcast_ref::<Error>() {
        Some(ours) => ours.clone().context(message),
        None => Error::new(ErrorKind::Failed, message).caused_by(cause),
    }
}

/// A failure with a hint, for use inside the crate.
pub(crate) fn hinted(message: impl Into<String>, hint: impl Into<String>) -> Error {
    failure(message, hint)
}

/// A failure said in these words.
pub(crate) fn failed(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Failed, message)
}

/// Returns early with a failure said in these words, formatted as `format!` does.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::failed(format!($($arg)*)))
    };
}
pub(crate) use bail;

impl From<std::io::Error> for Error {
    /// An I/O error said as it is, for a `?` with no context to add.
    fn from(e: std::io::Error) -> Error {
        Error::new(ErrorKind::Failed, e.to_string())
    }
}

/// A failure with a hint, as the library's own error.
pub(crate) fn failure(message: impl Into<String>, hint: impl Into<String>) -> Error {
    Error::new(ErrorKind::Failed, message).with_hint(hint)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if f.alternate() {
            let mut cause = std::error::Error::source(self);
            while let Some(e) = cause {
                write!(f, ": {e}")?;
                cause = e.source();
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The result of the library's fallible functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_messages_are_classified() {
        let cases = [
            ("Bad Request, invalid app_id", Refusal::InvalidAppId),
            ("Bad Request, invalid app_secret", Refusal::InvalidAppSecret),
            ("Bad Request, invalid auth_key", Refusal::InvalidAuthKey),
            (
                "We're sorry, but the application you're trying to use doesn't exist or has been disabled",
                Refusal::UnknownApp,
            ),
            (
                "The developers module has been disabled by the admin",
                Refusal::ModuleDisabled,
            ),
            (
                "This feature has been disabled by the admin",
                Refusal::ModuleDisabled,
            ),
            ("Bad Request, invalid access_token", Refusal::InvalidToken),
            ("Bad Request, expired access_token", Refusal::ExpiredToken),
            (
                "Bad Request, invalid parameters",
                Refusal::InvalidParameters,
            ),
            ("Requête invalide", Refusal::Other),
        ];
        for (message, expected) in cases {
            assert_eq!(Refusal::classify(message), expected, "{message}");
        }
        assert!(Refusal::ExpiredToken.is_token());
        assert!(!Refusal::InvalidAuthKey.is_token());
    }

    #[test]
    fn kind_and_hint_survive_context() {
        let public =
            Err::<(), _>(Error::new(ErrorKind::AuthNeeded, "token expired").with_hint("log in"))
                .context("cannot show the profile")
                .unwrap_err();
        assert_eq!(public.kind(), &ErrorKind::AuthNeeded);
        assert_eq!(public.hint(), Some("log in"));
        assert_eq!(
            format!("{public:#}"),
            "cannot show the profile: token expired"
        );
        assert_eq!(public.to_string(), "cannot show the profile");
        let cause = std::error::Error::source(&public).unwrap();
        assert_eq!(cause.to_string(), "token expired");
    }

    #[test]
    fn refusals_are_found_under_context() {
        let public = Err::<(), _>(Error::refused(
            "Bad Request, invalid auth_key",
            &Known::new(),
        ))
        .context("failed to exchange the key")
        .unwrap_err();
        assert_eq!(
            public.server_message(),
            Some("Bad Request, invalid auth_key")
        );
        assert_eq!(public.refusal(), Some(&Refusal::InvalidAuthKey));
    }

    #[test]
    fn a_refusal_that_echoes_a_secret_of_the_call_keeps_it_masked() {
        let key = "0123456789abcdef0123456789abcdef";
        let refused = Error::refused(
            &format!("invalid auth_key {key} (app_secret=s3cr3t)"),
            &Known::from_iter([key]),
        );
        assert_eq!(refused.refusal(), Some(&Refusal::InvalidAuthKey));
        assert_eq!(
            refused.server_message(),
            Some("invalid auth_key [redacted] (app_secret=[redacted])")
        );
        assert!(!format!("{refused:#} {refused:?}").contains(key));
    }

    #[test]
    fn unclassified_errors_are_failures() {
        let io = std::io::Error::other("boom");
        let public = Err::<(), _>(io).context("failed to read").unwrap_err();
        assert_eq!(public.kind(), &ErrorKind::Failed);
        assert_eq!(format!("{public:#}"), "failed to read: boom");
    }
}
