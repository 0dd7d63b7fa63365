//! The kinds of failure a script can tell apart, each one exit code, and how an error is shown.
//!
//! Errors travel as `anyhow::Error`. Code that knows what a failure means for the person
//! (log in again, fix the config, stop) raises a [`Classified`] error; `main` finds it in the
//! chain to choose the exit code and the hint. Everything else is a plain failure (exit 1).

use std::fmt;

/// What went wrong, in the terms a script cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Network, server, config or file trouble: exit 1.
    Failure,
    /// The command line was wrong: exit 2.
    Usage,
    /// No token, a token expired by the local clock, or one the server refuses: exit 4.
    AuthNeeded,
    /// Ctrl-C: exit 130.
    Interrupted,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Failure => 1,
            Kind::Usage => 2,
            Kind::AuthNeeded => 4,
            Kind::Interrupted => 130,
        }
    }
}

/// An error whose meaning is known: a kind (hence an exit code) and maybe a next step.
#[derive(Debug)]
pub struct Classified {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Classified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Classified {}

/// A failure (exit 1) with a hint on what to do next.
pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    Classified {
        kind: Kind::Failure,
        message: message.into(),
        hint: Some(hint.into()),
    }
    .into()
}

/// The command line asked for something that cannot be (exit 2), and what would be right.
pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    Classified {
        kind: Kind::Usage,
        message: message.into(),
        hint: Some(hint.into()),
    }
    .into()
}

/// Authentication is needed (exit 4); the hint says how to log in on this profile.
pub fn auth_needed(message: impl Into<String>, profile: &str) -> anyhow::Error {
    Classified {
        kind: Kind::AuthNeeded,
        message: message.into(),
        hint: Some(login_hint(profile)),
    }
    .into()
}

/// The person pressed Ctrl-C (exit 130).
pub fn interrupted() -> anyhow::Error {
    Classified {
        kind: Kind::Interrupted,
        message: "interrupted".into(),
        hint: None,
    }
    .into()
}

/// The command that logs in on `profile`, as the person would type it.
pub fn login_hint(profile: &str) -> String {
    if profile == crate::settings::DEFAULT_PROFILE {
        "run 'pipi login'".to_string()
    } else {
        format!("run 'pipi login --profile {profile}'")
    }
}

/// The outermost classified error, whether raised as an error or added as context.
pub fn classification(err: &anyhow::Error) -> Option<&Classified> {
    // anyhow finds context types through `downcast_ref` only, and root errors of inner
    // `anyhow::Error`s through the chain.
    err.downcast_ref::<Classified>()
        .or_else(|| err.chain().find_map(|e| e.downcast_ref::<Classified>()))
}

/// The exit code for an error.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    classification(err).map_or(1, |c| c.kind.exit_code())
}

/// Prints an error once, as `pipi: error: ...`, with its causes on the same line and the
/// hint, if any, on the next.
pub fn report(err: &anyhow::Error) {
    crate::ui::error(&format!("{err:#}"));
    if let Some(hint) = classification(err).and_then(|c| c.hint.as_deref()) {
        crate::ui::hint(hint);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn kind_and_hint_survive_context() {
        let err = Err::<(), _>(auth_needed("token expired", "work"))
            .context("cannot show the profile")
            .unwrap_err();
        assert_eq!(exit_code(&err), 4);
        let hint = classification(&err).and_then(|c| c.hint.clone());
        assert_eq!(hint.as_deref(), Some("run 'pipi login --profile work'"));
        assert_eq!(format!("{err:#}"), "cannot show the profile: token expired");
    }

    #[test]
    fn classification_added_as_context_is_found() {
        let err = Err::<(), _>(anyhow::anyhow!("the server said no"))
            .context(Classified {
                kind: Kind::AuthNeeded,
                message: "refused".into(),
                hint: Some("try again".into()),
            })
            .context("failed to log in")
            .unwrap_err();
        assert_eq!(exit_code(&err), 4);
    }

    #[test]
    fn unclassified_errors_exit_1() {
        assert_eq!(exit_code(&anyhow::anyhow!("boom")), 1);
        assert_eq!(exit_code(&interrupted()), 130);
    }
}
