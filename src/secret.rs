//! A string that must never be printed by accident: tokens, auth keys, app secrets.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Its `Debug` and `Display` print `[redacted]`; only code that must send or print the value
/// calls [`Secret::expose`]. Every value is also handed to [`crate::redact`], so that it is
/// masked in anything pipi tells a person, even where it was not expected.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value, and remembers it so that [`crate::redact::redact`] masks it.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        crate::redact::remember(&value);
        Secret(value)
    }

    /// The value itself, for the code that must send or print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

// Written by hand so that secrets read from files are remembered too.
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret::new)
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
    fn values_read_from_files_are_masked_in_messages() {
        let value = "00112233445566778899aabbccddeeff";
        let _: Secret = serde_json::from_str(&format!("\"{value}\"")).unwrap();
        assert_eq!(crate::redact::redact(value), "[redacted]");
    }
}
