//! Exit codes: the one place the CLI maps failures to what a script can tell apart, and to
//! the hint shown under an error (`output::report` shows them).
//!
//! Whatever knows what a failure means (the library, or a command) raises a [`Failure`]
//! that says it: a [`pipi::Error`] of the right kind, or a code of the command line's own.
//! Here a `match` on it chooses the exit code, and the error's kind and setting the hint.

use super::failure::Failure;
use pipi::{Error, ErrorKind, Setting};

/// Every exit code pipi uses, and what it means. A `\n` breaks the line in `--help`, where
/// lines are kept within 80 columns; the man page joins them.
pub const CODES: &[(&str, &str)] = &[
    ("0", "success"),
    ("1", "failure (network, server, config, files)"),
    ("2", "usage error"),
    (
        "4",
        "authentication needed: no token, an expired token, or one\nthe server refuses",
    ),
    ("130", "interrupted (Ctrl-C); 143 on SIGTERM, 129 on SIGHUP"),
    (
        "126, 127",
        "pipi exec: the command cannot run, or is not found; once it\nruns, pipi exec exits with its code",
    ),
];

/// A failure that exits with `code`, with a hint on what to do next: `pipi exec` gives the
/// shells' 127 for a command not found and 126 for one that cannot run.
pub fn coded(code: u8, message: impl Into<String>, hint: impl Into<String>) -> Failure {
    Failure::Coded(code, Error::new(ErrorKind::Failed, message).with_hint(hint))
}

/// The status pipi ends with: a number from 0 to 255, as a shell sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitCode(pub u8);

impl ExitCode {
    /// 0.
    pub const SUCCESS: ExitCode = ExitCode(0);
}

impl From<u8> for ExitCode {
    fn from(code: u8) -> ExitCode {
        ExitCode(code)
    }
}

/// The exit code for an error kind.
pub fn code_of(kind: &ErrorKind) -> u8 {
    match kind {
        // The endpoint is what the person typed on the command line.
        ErrorKind::InvalidEndpoint => 2,
        ErrorKind::AuthNeeded => 4,
        ErrorKind::Interrupted => super::interrupt::exit_code(),
        _ => 1,
    }
}

/// The exit code a failure ends pipi with.
pub fn code(failure: &Failure) -> u8 {
    match failure {
        Failure::Error(error) => code_of(error.kind()),
        Failure::Coded(code, _) | Failure::Halted(code) => *code,
        Failure::StdoutClosed => 0,
    }
}

/// The hint shown under an error: the library's, which says what to check in its own
/// terms, followed by where pipi takes the setting at fault from (a flag, a variable, the
/// config file), or the command that goes on from here. The library names none of these.
pub fn hint(error: &Error) -> Option<String> {
    let ours = match (error.kind(), error.setting()) {
        (ErrorKind::TimedOut, Some(Setting::RedirectUrl)) => Some(
            "the redirect URL is PIPI_REDIRECT_URL, or redirect-url in the config file; \
             'pipi login --no-browser' takes a pasted address; --timeout SECS waits longer",
        ),
        (ErrorKind::TimedOut, _) => {
            Some("run 'pipi login' again to paste the address, with --timeout SECS to wait longer")
        }
        (_, Some(Setting::RedirectUrl)) => {
            Some("the redirect URL is PIPI_REDIRECT_URL, or redirect-url in the config file")
        }
        (_, Some(Setting::AppId)) => {
            Some("the app id is PIPI_APP_ID, or app-id in the config file")
        }
        (_, Some(Setting::AppSecret)) => Some(
            "the app secret is PIPI_APP_SECRET, app-secret in the config file, or what \
             app-secret-command prints",
        ),
        (_, Some(Setting::BaseUrl)) => {
            Some("the base URL is --base-url, PIPI_BASE_URL, or base-url in the config file")
        }
        _ => None,
    };
    match (error.hint(), ours) {
        (Some(theirs), Some(ours)) => Some(format!("{theirs}; {ours}")),
        (theirs, ours) => theirs.or(ours).map(str::to_string),
    }
}

/// A failure (exit 1) said in these words.
pub fn failed(message: impl Into<String>) -> Failure {
    Failure::Error(Error::new(ErrorKind::Failed, message))
}

/// A failure (exit 1) with a hint on what to do next.
pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> Failure {
    Failure::Error(Error::new(ErrorKind::Failed, message).with_hint(hint))
}

/// The command line asked for something that cannot be (exit 2), and what would be right.
pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Failure {
    coded(2, message, hint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::failure::Context;

    /// The hint `pipi: error:` would show under a failure.
    fn shown_hint(failure: &Failure) -> Option<String> {
        failure.error().and_then(hint)
    }

    #[test]
    fn kind_and_hint_survive_layers_of_context() {
        let failure = Err::<(), _>(
            Error::new(ErrorKind::AuthNeeded, "token expired")
                .with_hint("run 'pipi login --profile work'"),
        )
        .context("cannot show the profile")
        .context("whoami failed")
        .unwrap_err();
        assert_eq!(code(&failure), 4);
        assert_eq!(
            shown_hint(&failure).as_deref(),
            Some("run 'pipi login --profile work'")
        );
        assert_eq!(
            format!("{failure:#}"),
            "whoami failed: cannot show the profile: token expired"
        );
        // Each layer's cause is the one below it.
        let error = failure.error().unwrap();
        let below = std::error::Error::source(error).unwrap();
        assert_eq!(below.to_string(), "cannot show the profile");
        assert_eq!(below.source().unwrap().to_string(), "token expired");
    }

    #[test]
    fn hints_say_where_the_setting_at_fault_comes_from() {
        // The library names the setting; the command line names its flag and variables.
        let refused = pipi::SiteUrl::new("ftp://x.example").unwrap_err();
        assert!(refused.hint().is_some_and(|h| !h.contains("PIPI_")));
        let redirect = pipi::RedirectUrl::new("not a url").unwrap_err();
        assert_eq!(redirect.setting(), Some(Setting::RedirectUrl));
        // Under context, as a command passes it on.
        let said =
            shown_hint(&Err::<(), _>(redirect).context("cannot log in").unwrap_err()).unwrap();
        assert!(
            said.starts_with("use the redirect URL registered for the app")
                && said.ends_with(
                    "the redirect URL is PIPI_REDIRECT_URL, or redirect-url in the config file"
                ),
            "{said}"
        );
        assert_eq!(shown_hint(&failed("boom")), None);
    }

    #[test]
    fn the_command_line_chooses_its_own_codes() {
        assert_eq!(code(&failed("boom")), 1);
        assert_eq!(
            code(&Error::new(ErrorKind::Interrupted, "interrupted").into()),
            130
        );
        assert_eq!(
            code(&Error::new(ErrorKind::InvalidEndpoint, "not a path").into()),
            2
        );
        assert_eq!(code(&usage("bad", "better")), 2);
        for (wanted, message) in [(127, "cannot run 'x'"), (126, "cannot run './y'")] {
            // The code stays under context, as the kind does.
            let failure = Err::<(), _>(coded(wanted, message, "check its name"))
                .context("pipi exec")
                .unwrap_err();
            assert_eq!(code(&failure), wanted);
            assert_eq!(shown_hint(&failure).as_deref(), Some("check its name"));
            assert_eq!(format!("{failure:#}"), format!("pipi exec: {message}"));
        }
    }

    #[test]
    fn a_halted_filter_and_a_closed_stdout_end_without_a_word() {
        for (failure, wanted) in [(Failure::Halted(3), 3), (Failure::StdoutClosed, 0)] {
            // Context on the way out changes neither the code nor the silence.
            let failure = Err::<(), _>(failure)
                .context("failed to print")
                .unwrap_err();
            assert_eq!(code(&failure), wanted);
            assert!(failure.error().is_none(), "{failure}");
        }
    }

    #[test]
    fn errors_from_outside_keep_their_cause() {
        let io = std::io::Error::other("disk full");
        let failure = Err::<(), _>(io).context("failed to save").unwrap_err();
        assert_eq!(code(&failure), 1);
        assert_eq!(format!("{failure:#}"), "failed to save: disk full");
        let cause = std::error::Error::source(failure.error().unwrap()).unwrap();
        assert_eq!(cause.to_string(), "disk full");
        // A bare `?` says the error as it is.
        let bare = Failure::from(std::io::Error::other("disk full"));
        assert_eq!(format!("{bare:#}"), "disk full");
        let missing = None::<u8>.context("no port").unwrap_err();
        assert_eq!((code(&missing), missing.to_string()), (1, "no port".into()));
    }
}
