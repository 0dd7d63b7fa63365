//! What pipi tells a person on stderr, and the data it writes on stdout.
//!
//! stdout carries exactly one JSON document or one token line, so scripts can pipe it, and it
//! is never coloured; everything else goes to stderr, with every secret masked
//! ([`super::redaction`]), every control character shown as an escape ([`escape`]), and labels
//! coloured when stderr is a terminal and `NO_COLOR` is unset.
//!
//! Text from outside (a display name, the server's message, a URL) reaches stderr inside
//! pipi's own sentences, so the escaping is done here, on every line, rather than at each
//! place such text is picked up, where one could be missed. An account named
//! `ESC[2K\rLogged in as Victim` would otherwise erase the line that names who logged in,
//! the one defence against login CSRF, and `ESC]0;...BEL` would retitle the terminal.

use super::failure::{Context, Failure, Result};
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

/// The colours of stderr's labels.
#[derive(Clone, Copy)]
enum Tone {
    Error,
    Warning,
    Hint,
    Debug,
}

impl Tone {
    fn ansi(self) -> &'static str {
        match self {
            Tone::Error => "\x1b[1;31m",
            Tone::Warning => "\x1b[1;33m",
            Tone::Hint => "\x1b[36m",
            Tone::Debug => "\x1b[2m",
        }
    }
}

/// Whether stderr gets colour: only a terminal does, and not when `NO_COLOR` is set to
/// anything (<https://no-color.org>) or the terminal says it is dumb.
pub fn stderr_colour() -> bool {
    static COLOUR: OnceLock<bool> = OnceLock::new();
    *COLOUR.get_or_init(|| {
        colour_allowed(&|name| std::env::var(name).ok()) && std::io::stderr().is_terminal()
    })
}

fn colour_allowed(env: &dyn Fn(&str) -> Option<String>) -> bool {
    env("NO_COLOR").is_none_or(|v| v.is_empty()) && env("TERM").is_none_or(|t| t != "dumb")
}

fn paint(label: &str, tone: Tone) -> String {
    if stderr_colour() {
        format!("{}{label}\x1b[0m", tone.ansi())
    } else {
        label.to_string()
    }
}

/// What escaping leaves alone.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Breaks {
    /// Line feeds stay: pipi's own messages of several lines (the paste instructions).
    Keep,
    /// Line feeds are escaped too: one line, whatever it holds (errors, warnings, hints,
    /// the debug log, and any text from outside put in a sentence of pipi's).
    Escape,
}

/// The text with every character that a terminal acts on instead of showing written as a
/// visible escape: C0 controls and DEL as `\x1b`, `\r`, `\t`, `\n`; C1 controls, the bidi
/// overrides and isolates (U+202A to U+202E, U+2066 to U+2069) and the line and paragraph
/// separators as `\u{202e}`. Line feeds stay when `breaks` says so.
pub fn escape(text: &str, breaks: Breaks) -> String {
    if !text.chars().any(|c| needs_escape(c, breaks)) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c, breaks) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    out
}

fn needs_escape(c: char, breaks: Breaks) -> bool {
    match c {
        '\n' => breaks == Breaks::Escape,
        c if c.is_control() => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}' => true,
        _ => false,
    }
}

/// Text from outside (a name, a message) made safe to put in one of pipi's sentences: on
/// one line, and without anything a terminal would act on.
pub fn escape_untrusted(text: &str) -> String {
    escape(text, Breaks::Escape)
}

/// One line on stderr: an optional coloured label, then the message with its secrets masked
/// and its controls escaped. Only the label's own colour codes reach the terminal.
fn line(label: &str, message: &str, breaks: Breaks) {
    let mut err = std::io::stderr().lock();
    let message = escape(&super::redaction::redact(message), breaks);
    // Nothing useful can be done when stderr itself is gone.
    let _ = writeln!(err, "{label}{message}");
}

/// A line for the person on stderr (several, where pipi's own message has line feeds). A
/// closed stderr is no reason to stop (nor to panic, as `eprintln!` would).
pub fn say(message: &str) {
    line("", message, Breaks::Keep);
}

/// A line on stderr that is not masked: only for values meant to be seen, such as the
/// emulator's own made-up app secret, which `pipi mock` must show to be of any use.
pub fn say_unmasked(message: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "{}",
        escape(message, Breaks::Keep)
    );
}

/// A warning on stderr: something was wrong but the command goes on.
pub fn warn(message: &str) {
    let label = format!("pipi: {} ", paint("warning:", Tone::Warning));
    line(&label, message, Breaks::Escape);
}

/// The error that ends the command, on one line.
pub fn error(message: &str) {
    let label = format!("pipi: {} ", paint("error:", Tone::Error));
    line(&label, message, Breaks::Escape);
}

/// The next step to take, after an error or a status.
pub fn hint(message: &str) {
    let label = format!("{} ", paint("hint:", Tone::Hint));
    line(&label, message, Breaks::Escape);
}

/// Prints the error that ends the command once, as `pipi: error: ...`, with its causes on
/// the same line and the hint, if any, on the next.
pub fn report(err: &pipi::Error) {
    error(&format!("{err:#}"));
    if let Some(hint) = super::exit::hint(err) {
        self::hint(&hint);
    }
}

/// A line of the debug log.
pub fn debug(message: &str) {
    let label = format!("pipi: {} ", paint("debug:", Tone::Debug));
    line(&label, message, Breaks::Escape);
}

/// One JSON document on stdout, pretty-printed, ending with a newline.
pub fn print_json(value: &serde_json::Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print_data(&text)
}

/// How a command that prints JSON prints it: pretty-printed, or through the `--jq` filter.
/// Made before the command does any work, so that a bad expression stops it first.
#[derive(Debug)]
pub struct JsonOutput {
    filter: Option<super::jq::Filter>,
}

impl JsonOutput {
    /// Compiles `--jq EXPR`, if given: an expression that does not parse is a usage error.
    pub fn new(jq: Option<&str>) -> Result<JsonOutput> {
        Ok(JsonOutput {
            filter: jq.map(super::jq::Filter::compile).transpose()?,
        })
    }

    /// Whether a `--jq` filter was given.
    pub fn is_filtered(&self) -> bool {
        self.filter.is_some()
    }

    /// The value on stdout: pretty-printed, or each result of the filter on its own line.
    /// A filter that fails while it runs prints the results before the failure, as jq does.
    pub fn print(&self, value: &serde_json::Value) -> Result<()> {
        let Some(filter) = &self.filter else {
            return print_json(value);
        };
        filter.run(value, &mut |line| print_data(line))
    }

    /// A server's body: as received, or through the filter as JSON.
    pub fn print_raw(&self, raw: &str) -> Result<()> {
        if self.filter.is_none() {
            return print_body(raw);
        }
        let value: serde_json::Value =
            serde_json::from_str(raw).context("the server's answer is not JSON for --jq")?;
        self.print(&value)
    }
}

/// A server's body on stdout as received, ending with a newline.
pub fn print_body(raw: &str) -> Result<()> {
    if raw.ends_with('\n') {
        print_data(raw)
    } else {
        print_data(&format!("{raw}\n"))
    }
}

/// Data on stdout, flushed at once. A reader that went away is [`Failure::StdoutClosed`].
pub fn print_data(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::StdoutClosed),
        written => written.context("failed to write to stdout"),
    }
}

/// A duration for people, to the second: `42s`, `3m 5s`.
pub fn duration(d: std::time::Duration) -> String {
    humantime::format_duration(std::time::Duration::from_secs(d.as_secs())).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_and_dumb_terminals_turn_colour_off() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(colour_allowed(&env(&[])));
        assert!(colour_allowed(&env(&[("TERM", "xterm-256color")])));
        assert!(!colour_allowed(&env(&[("NO_COLOR", "1")])));
        // An empty NO_COLOR does not count, as no-color.org says.
        assert!(colour_allowed(&env(&[("NO_COLOR", "")])));
        assert!(!colour_allowed(&env(&[("TERM", "dumb")])));
    }

    #[test]
    fn controls_from_outside_are_shown_not_obeyed() {
        let name = "\u{1b}[2K\rLogged in as Victim";
        assert_eq!(escape_untrusted(name), "\\x1b[2K\\rLogged in as Victim");
        assert_eq!(
            escape_untrusted("\u{1b}]0;pwned\u{7}"),
            "\\x1b]0;pwned\\x07"
        );
        assert_eq!(
            escape_untrusted("a\u{202e}b\u{2066}c\u{9b}d\u{7f}"),
            "a\\u{202e}b\\u{2066}c\\u{9b}d\\x7f"
        );
        assert_eq!(escape_untrusted("two\nlines\tx"), "two\\nlines\\tx");
        assert_eq!(escape("two\nlines", Breaks::Keep), "two\nlines");
        // Text without controls is left as it is, accents, scripts and emoji included.
        for plain in [
            "José O'Brien (@jose)",
            "花子 山田",
            "أميرة حداد",
            "🔑 C:\\path",
            "",
        ] {
            assert_eq!(escape_untrusted(plain), plain);
        }
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Undoes [`escape`], for text that had no backslash of its own.
        fn unescape(text: &str) -> String {
            let mut out = String::new();
            let mut rest = text;
            while let Some(at) = rest.find('\\') {
                out.push_str(&rest[..at]);
                let tail = &rest[at + 1..];
                let (c, used) = match tail.as_bytes()[0] {
                    b'n' => ('\n', 1),
                    b'r' => ('\r', 1),
                    b't' => ('\t', 1),
                    b'x' => (char::from(u8::from_str_radix(&tail[1..3], 16).unwrap()), 3),
                    b'u' => {
                        let end = tail.find('}').unwrap();
                        let code = u32::from_str_radix(&tail[2..end], 16).unwrap();
                        (char::from_u32(code).unwrap(), end + 1)
                    }
                    other => panic!("unknown escape {other}"),
                };
                out.push(c);
                rest = &tail[used..];
            }
            out.push_str(rest);
            out
        }

        /// Text that mixes the characters a terminal acts on with ordinary ones.
        fn mixed() -> impl Strategy<Value = String> {
            let hostile = prop_oneof![
                (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
                Just('\u{7f}'),
                (0x80u32..0xa0).prop_map(|c| char::from_u32(c).unwrap()),
                (0x202au32..=0x202e).prop_map(|c| char::from_u32(c).unwrap()),
                (0x2066u32..=0x2069).prop_map(|c| char::from_u32(c).unwrap()),
                any::<char>(),
            ];
            proptest::collection::vec(hostile, 0..40).prop_map(|v| v.into_iter().collect())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]

            #[test]
            fn escaped_text_has_nothing_a_terminal_acts_on(text in mixed()) {
                let one_line = escape_untrusted(&text);
                prop_assert!(!one_line.chars().any(|c| needs_escape(c, Breaks::Escape)));
                let kept = escape(&text, Breaks::Keep);
                prop_assert!(!kept.chars().any(|c| needs_escape(c, Breaks::Keep)));
                // Line feeds stay where they were asked to, and only those.
                prop_assert_eq!(kept.matches('\n').count(), text.matches('\n').count());
                prop_assert!(!one_line.contains('\n'));
            }

            #[test]
            fn escaping_shows_what_was_there(text in mixed().prop_filter("no backslash", |t| !t.contains('\\'))) {
                prop_assert_eq!(unescape(&escape_untrusted(&text)), text.clone());
                prop_assert_eq!(unescape(&escape(&text, Breaks::Keep)), text);
            }
        }
    }
}
