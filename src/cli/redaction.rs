//! What pipi's stderr masks: every line it writes there (messages, warnings, errors, the
//! debug log) goes through [`redact`] first, which masks secrets by their names and every
//! secret value this process was given or obtained.
//!
//! The set is the program's, not the library's: the library only wraps a value in a
//! `Secret`, and masks the secrets of a call in what it builds itself. Here the values are
//! fed where the command line gets them: the app secret (environment, config file, its
//! command's output, typed in), the token in `PIPI_ACCESS_TOKEN`, a token read from the
//! cache and one a login returns. [`Known`] is bounded and keeps the first values (the ones
//! read at start) for good, so that a flood of values cannot make every line slower.

use pipi::Secret;
use pipi::redact::Known;
use std::sync::{Mutex, PoisonError};

/// The secret values this process holds.
static KNOWN: Mutex<Known> = Mutex::new(Known::new());

/// Masks `value` wherever it shows up on stderr from now on.
pub fn remember(value: &str) {
    KNOWN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remember(value);
}

/// A token pipi holds (read from the cache, or one a login returned), masked on stderr from
/// now on.
pub fn remember_token(token: &pipi::CachedToken) {
    remember(token.access_token.expose());
}

/// A secret the command line got, wrapped, and masked on stderr from now on.
pub fn secret(value: impl Into<String>) -> Secret {
    let secret = Secret::new(value);
    remember(secret.expose());
    secret
}

/// The text with every secret it holds replaced by `[redacted]`.
pub fn redact(text: &str) -> String {
    KNOWN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .redact(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_the_library_makes_are_not_recorded_and_the_command_lines_are_masked() {
        // Secrets the library makes (a key it caught, a token read from a file) are
        // recorded nowhere: this set does not hold them, and does not mask them.
        let made = "0ddba11c0ffee0ddba11c0ffee0ddba1";
        let read = "0ddba11c0ffee0ddba11c0ffee0ddba2";
        let kept = (
            Secret::new(made),
            serde_json::from_str::<Secret>(&format!("\"{read}\"")).unwrap(),
        );
        let known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert!(!known.holds(kept.0.expose()) && !known.holds(kept.1.expose()));
        assert_eq!(redact(&format!("{made} {read}")), format!("{made} {read}"));

        // What the command line is given is masked, named or not. (The set is bounded as
        // every `Known` is; `pipi::redact`'s tests push one past its bound. This one is
        // shared by the tests running beside it, so it is not flooded here.)
        let given = secret("5ec7e75ec7e75ec7e75ec7e75ec7e7ab");
        assert_eq!(
            redact(&format!("bad token {} auth_key=k3y", given.expose())),
            "bad token [redacted] auth_key=[redacted]"
        );
    }
}
