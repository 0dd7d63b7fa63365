//! Exit codes: the one place the CLI maps failures to what a script can tell apart
//! (`output::report` shows them).
//!
//! Errors travel as `anyhow::Error`. Whatever knows what a failure means (the library, or a
//! command) raises a [`pipi::Error`] of the right kind; here the outermost one in the chain
//! chooses the exit code and the hint. Anything else is a plain failure (exit 1).

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

/// A failure with an exit code of its own rather than its kind's: `pipi exec` gives the
/// shells' 127 for a command not found and 126 for one that cannot run.
#[derive(Debug)]
struct Coded {
    code: u8,
    error: Error,
}

impl std::fmt::Display for Coded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Coded {}

/// A failure that exits with `code`, with a hint on what to do next.
pub fn coded(code: u8, message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    Coded {
        code,
        error: Error::new(ErrorKind::Failed, message).with_hint(hint),
    }
    .into()
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

/// The outermost classified error, whether raised as an error or added as context.
pub fn classification(err: &anyhow::Error) -> Option<&Error> {
    // anyhow finds context types through `downcast_ref` only, and root errors of inner
    // `anyhow::Error`s through the chain.
    if let Some(coded) = err.downcast_ref::<Coded>() {
        return Some(&coded.error);
    }
    err.downcast_ref::<Error>()
        .or_else(|| err.chain().find_map(|e| e.downcast_ref::<Error>()))
}

/// The exit code for an error.
pub fn code(err: &anyhow::Error) -> u8 {
    if let Some(coded) = err.downcast_ref::<Coded>() {
        return coded.code;
    }
    classification(err).map_or(1, |c| code_of(c.kind()))
}

/// The hint shown under an error: the library's, which says what to check in its own
/// terms, followed by where pipi takes the setting at fault from (a flag, a variable, the
/// config file), or the command that goes on from here. The library names none of these.
pub fn hint(err: &anyhow::Error) -> Option<String> {
    let found = classification(err)?;
    let ours = match (found.kind(), found.setting()) {
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
    match (found.hint(), ours) {
        (Some(theirs), Some(ours)) => Some(format!("{theirs}; {ours}")),
        (theirs, ours) => theirs.or(ours).map(str::to_string),
    }
}

/// A failure (exit 1) with a hint on what to do next.
pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    Error::new(ErrorKind::Failed, message)
        .with_hint(hint)
        .into()
}

/// The command line asked for something that cannot be (exit 2), and what would be right.
pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    coded(2, message, hint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn kind_and_hint_survive_context() {
        let err = Err::<(), _>(anyhow::Error::from(
            Error::new(ErrorKind::AuthNeeded, "token expired")
                .with_hint("run 'pipi login --profile work'"),
        ))
        .context("cannot show the profile")
        .unwrap_err();
        assert_eq!(code(&err), 4);
        let hint = classification(&err).and_then(Error::hint);
        assert_eq!(hint, Some("run 'pipi login --profile work'"));
        assert_eq!(format!("{err:#}"), "cannot show the profile: token expired");
    }

    #[test]
    fn classification_added_as_context_is_found() {
        let err = Err::<(), _>(anyhow::anyhow!("the server said no"))
            .context(Error::new(ErrorKind::AuthNeeded, "refused").with_hint("try again"))
            .context("failed to log in")
            .unwrap_err();
        assert_eq!(code(&err), 4);
    }

    #[test]
    fn hints_say_where_the_setting_at_fault_comes_from() {
        // The library names the setting; the command line names its flag and variables.
        let refused = pipi::SiteUrl::new("ftp://x.example").unwrap_err();
        assert!(refused.hint().is_some_and(|h| !h.contains("PIPI_")));
        let redirect = pipi::RedirectUrl::new("not a url").unwrap_err();
        assert_eq!(redirect.setting(), Some(Setting::RedirectUrl));
        let said = hint(&redirect.into()).unwrap();
        assert!(
            said.starts_with("use the redirect URL registered for the app")
                && said.ends_with(
                    "the redirect URL is PIPI_REDIRECT_URL, or redirect-url in the config file"
                ),
            "{said}"
        );
        let plain = hint(&anyhow::anyhow!("boom"));
        assert_eq!(plain, None);
    }

    #[test]
    fn unclassified_errors_exit_1() {
        assert_eq!(code(&anyhow::anyhow!("boom")), 1);
        assert_eq!(
            code(&Error::new(ErrorKind::Interrupted, "interrupted").into()),
            130
        );
        assert_eq!(code(&usage("bad", "better")), 2);
        let not_found = coded(127, "cannot run 'x'", "check its name");
        assert_eq!(code(&not_found), 127);
        assert_eq!(
            classification(&not_found).and_then(Error::hint),
            Some("check its name")
        );
        assert_eq!(format!("{not_found:#}"), "cannot run 'x'");
    }
}
