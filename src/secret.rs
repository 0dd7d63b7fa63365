//! A string that must never be printed by accident: tokens, auth keys, app secrets.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Its `Debug` and `Display` print `[redacted]`; only code that must send or print the value
/// calls [`Secret::expose`]. Making one only wraps the value: nothing is recorded anywhere.
/// The library masks the secrets of a call in the messages and log records it builds from
/// outside text; what else a program masks in its own output is the program's choice, with
/// a [`crate::redact::Known`] of its own.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the code that must send or print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_formats_its_value() {
        let s = Secret::new("0123456789abcdef");
        assert_eq!(
            format!("{s} {s:?} {:?}", Some(&s)),
            "[redacted] [redacted] Some([redacted])"
        );
        assert_eq!(s.expose(), "0123456789abcdef");
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let s = Secret::new("abc");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"abc\"");
        let back: Secret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn secrets_made_by_a_library_call_leave_no_trace_process_wide() {
        // Two secrets, as a login makes them: one wrapped, one read from a file.
        let made = "00112233445566778899aabbccddeeff";
        let read = "ffeeddccbbaa99887766554433221100";
        let kept = (
            Secret::new(made),
            serde_json::from_str::<Secret>(&format!("\"{read}\"")).unwrap(),
        );
        // Nothing in the library masks them unless it is handed them: a fresh set, as any
        // call of the library starts with, and the masking by name, leave both in sight.
        let text = format!("the server said: {made} {read}");
        assert_eq!(crate::redact::Known::new().redact(&text), text);
        assert_eq!(crate::redact::mask_named_values(&text), text);
        assert_eq!(kept.0.expose(), made);
        assert_eq!(kept.1.expose(), read);
    }
}
