//! What a token must look like before pipi keeps it, prints it or hands it to a command.
//!
//! Sngine's tokens are 32 lowercase hex characters (`md5(...)`), but forks may make their
//! own. So the rule is loose about the alphabet and strict about what could do harm: a
//! token is printable ASCII, without white space, of a sane length. A token with an escape
//! sequence, a newline or a NUL would otherwise reach a terminal raw (`pipi token`), split
//! a line a script reads, or make a command's environment impossible to build.

use std::fmt;
use std::ops::RangeInclusive;

/// How long a token may be, in characters: Sngine's are 32; anything outside this is not
/// a token a site meant to give.
pub const TOKEN_LENGTH: RangeInclusive<usize> = 8..=512;

/// Why a value is not a token pipi accepts. Never holds the value itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenProblem {
    /// Shorter than [`TOKEN_LENGTH`] (empty included), in characters.
    TooShort(usize),
    /// Longer than [`TOKEN_LENGTH`], in characters.
    TooLong(usize),
    /// A character that is not printable ASCII: a control character (ESC, newline, NUL,
    /// DEL), white space, or anything beyond ASCII. The position counts characters from 1.
    BadCharacter {
        /// Where it is, from 1.
        position: usize,
        /// What kind of character it is, in words.
        what: &'static str,
    },
}

impl fmt::Display for TokenProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (min, max) = (TOKEN_LENGTH.start(), TOKEN_LENGTH.end());
        match self {
            TokenProblem::TooShort(0) => f.write_str("it is empty"),
            TokenProblem::TooShort(n) => {
                write!(f, "it is {n} characters long, fewer than {min}")
            }
            TokenProblem::TooLong(n) => write!(f, "it is {n} characters long, more than {max}"),
            TokenProblem::BadCharacter { position, what } => {
                write!(f, "it holds {what} at character {position}")
            }
        }
    }
}

/// Checks that `token` has the shape of a token: printable ASCII (`!` to `~`), no white
/// space, and a length within [`TOKEN_LENGTH`].
pub fn check_token(token: &str) -> Result<(), TokenProblem> {
    for (index, c) in token.chars().enumerate() {
        let what = match c {
            '!'..='~' => continue,
            ' ' => "a space",
            '\t' | '\n' | '\r' | '\u{b}' | '\u{c}' => "white space",
            '\0' => "a NUL",
            '\u{1b}' => "an escape character",
            c if c.is_ascii_control() => "a control character",
            _ => "a character outside printable ASCII",
        };
        return Err(TokenProblem::BadCharacter {
            position: index + 1,
            what,
        });
    }
    // Every character is ASCII now: the length in bytes is the length in characters.
    match token.len() {
        n if n < *TOKEN_LENGTH.start() => Err(TokenProblem::TooShort(n)),
        n if n > *TOKEN_LENGTH.end() => Err(TokenProblem::TooLong(n)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sngine_tokens_and_forks_tokens_pass() {
        for token in [
            "0123456789abcdef0123456789abcdef",
            "ABCDEF0123456789",
            "eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo",
            "a-b_c~d!e+f/g=h",
            "12345678",
        ] {
            assert_eq!(check_token(token), Ok(()), "{token}");
        }
        assert_eq!(check_token(&"a".repeat(512)), Ok(()));
    }

    #[test]
    fn harmful_or_absurd_values_are_refused_and_said_without_quoting() {
        let cases = [
            ("", "it is empty"),
            ("abc", "it is 3 characters long, fewer than 8"),
            (
                "0123456789abcdef\u{1b}]0;owned\u{7}",
                "it holds an escape character at character 17",
            ),
            ("0123456789abcdef\n", "it holds white space at character 17"),
            ("0123\u{0}456789abcdef", "it holds a NUL at character 5"),
            (" 0123456789abcdef", "it holds a space at character 1"),
            (
                "0123456789abcdef\u{7f}",
                "it holds a control character at character 17",
            ),
            (
                "0123456789abcdéf",
                "it holds a character outside printable ASCII at character 15",
            ),
            (
                "0123456789abcdef\u{202e}",
                "it holds a character outside printable ASCII at character 17",
            ),
        ];
        for (token, said) in cases {
            let problem = check_token(token).unwrap_err();
            assert_eq!(problem.to_string(), said, "{token:?}");
        }
        assert_eq!(
            check_token(&"a".repeat(513)).unwrap_err().to_string(),
            "it is 513 characters long, more than 512"
        );
    }
}

/// The checker against arbitrary text: it never panics, accepts exactly the values of
/// printable ASCII within the length, and never quotes what it refused.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn is_token(text: &str) -> bool {
        TOKEN_LENGTH.contains(&text.len()) && text.bytes().all(|b| (b'!'..=b'~').contains(&b))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn accepts_exactly_printable_ascii_of_a_sane_length(text in any::<String>()) {
            prop_assert_eq!(check_token(&text).is_ok(), is_token(&text));
        }

        #[test]
        fn printable_ascii_passes_by_length_alone(text in "[!-~]{0,600}") {
            let len = text.len();
            match check_token(&text) {
                Ok(()) => prop_assert!(TOKEN_LENGTH.contains(&len)),
                Err(TokenProblem::TooShort(n)) => prop_assert!(n == len && len < 8),
                Err(TokenProblem::TooLong(n)) => prop_assert!(n == len && len > 512),
                Err(other) => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn one_bad_character_anywhere_is_found_where_it_is(
            token in "[0-9a-f]{32}",
            at in 0usize..=32,
            bad in prop_oneof![
                Just('\0'), Just('\n'), Just('\r'), Just('\t'), Just(' '), Just('\u{1b}'),
                Just('\u{7f}'), Just('\u{85}'), Just('\u{202e}'), any::<char>()
                    .prop_filter("not printable ASCII", |c| !('!'..='~').contains(c)),
            ],
        ) {
            let mut text: Vec<char> = token.chars().collect();
            text.insert(at, bad);
            let text: String = text.into_iter().collect();
            let problem = check_token(&text).unwrap_err();
            let is_bad_character_at_its_place =
                matches!(problem, TokenProblem::BadCharacter { position, .. } if position == at + 1);
            prop_assert!(is_bad_character_at_its_place, "{:?}", problem);
            // The message names the place, never the token.
            prop_assert!(!problem.to_string().contains(&token[..8]));
        }
    }
}
