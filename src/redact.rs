//! Masks secrets in text meant for people or for a log: plain functions and a plain type,
//! with no state of their own.
//!
//! Two nets, because one could miss: secrets are found by their names wherever a value is
//! written after one (`auth_key=...` in a URL, query string or form body, `"access_token":
//! "..."` in JSON, `app-secret = "..."` in TOML, `Authorization: ...` in headers:
//! [`mask_named_values`]), and the values in a [`Known`] set are masked wherever they appear,
//! named or not ([`Known::redact`] casts both nets).
//!
//! The library keeps no set of its own and changes nothing process-wide: where it builds a
//! message or a log record from outside text, it masks the secrets of that call (the app
//! secret and auth key of an exchange, the token of a request, the keys a login's listener
//! caught). A program decides what its own output masks, with a `Known` of its own.

/// What a masked value is replaced with.
pub const MASK: &str = "[redacted]";

/// The most values a [`Known`] holds, so that a flood of plausible keys cannot make every
/// line slower. The first [`PINNED`] are kept for good (a program's app secret and token,
/// read at start); past the bound, the oldest of the others goes.
pub(crate) const MAX_KNOWN: usize = 64;
/// How many of the first values a [`Known`] keeps for good.
pub(crate) const PINNED: usize = 16;

/// Values shorter than this are not masked by value: they would mangle ordinary words. Sngine's
/// keys, secrets and tokens are 32 characters; short ones are still caught by their names.
pub(crate) const MIN_KNOWN_LEN: usize = 12;

/// A bounded set of secret values to mask wherever they appear, named or not: at most 64,
/// the first 16 kept for good. Its `Debug` shows how many it holds, never what.
#[derive(Clone, Default)]
pub struct Known {
    values: Vec<String>,
}

impl Known {
    /// An empty set.
    pub const fn new() -> Known {
        Known { values: Vec::new() }
    }

    /// Adds a value to mask, trimmed. One shorter than 12 characters (masking it would mangle
    /// ordinary words), or already held, changes nothing; past the bound, the oldest value
    /// not kept for good goes.
    pub fn remember(&mut self, value: &str) {
        let value = value.trim();
        if value.len() < MIN_KNOWN_LEN || self.values.iter().any(|v| v == value) {
            return;
        }
        if self.values.len() >= MAX_KNOWN {
            self.values.remove(PINNED);
        }
        self.values.push(value.to_string());
    }

    /// How many values are held.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no value is held.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Whether `value` (trimmed) is one of the values held.
    pub fn holds(&self, value: &str) -> bool {
        let value = value.trim();
        self.values.iter().any(|v| v == value)
    }

    /// The text with every secret in it replaced by [`MASK`]: the values written after a
    /// secret's name ([`mask_named_values`]), then every value of this set.
    pub fn redact(&self, text: &str) -> String {
        self.mask(&mask_named_values(text))
    }

    /// Masks every byte that any occurrence of any value covers, each run of them with one
    /// mask. Replacing values one after the other would depend on their order: a value
    /// that is part of a longer one, masked first, would leave the rest of the longer one
    /// in plain sight; two that overlap would leave each other's ends.
    fn mask(&self, text: &str) -> String {
        let mut covered: Vec<(usize, usize)> = Vec::new();
        for value in &self.values {
            let mut from = 0;
            while let Some(at) = text[from..].find(value.as_str()) {
                let start = from + at;
                covered.push((start, start + value.len()));
                // Occurrences may overlap ("aaaa" twice in "aaaaa"): look again one
                // character on.
                from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            }
        }
        if covered.is_empty() {
            return text.to_string();
        }
        covered.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut i = 0;
        while i < covered.len() {
            let (start, mut end) = covered[i];
            i += 1;
            while i < covered.len() && covered[i].0 <= end {
                end = end.max(covered[i].1);
                i += 1;
            }
            out.push_str(&text[copied..start]);
            out.push_str(MASK);
            copied = end;
        }
        out.push_str(&text[copied..]);
        out
    }
}

impl<'a> FromIterator<&'a str> for Known {
    /// The set of these values, kept as [`Known::remember`] keeps them.
    fn from_iter<I: IntoIterator<Item = &'a str>>(values: I) -> Known {
        let mut known = Known::new();
        for value in values {
            known.remember(value);
        }
        known
    }
}

impl std::fmt::Debug for Known {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Known({} values)", self.values.len())
    }
}

/// Whether a parameter, field or header name holds a secret. Names are compared the way the
/// server reads them: percent-decoded (`app%5Fsecret`), and with `-`, `.` and spaces read as
/// `_` (PHP turns `app.secret` into `app_secret`).
fn is_secret_name(name: &str) -> bool {
    let decoded: String = url::form_urlencoded::parse(format!("{name}=").as_bytes())
        .next()
        .map(|(name, _)| name.into_owned())
        .unwrap_or_default();
    let name = decoded.to_ascii_lowercase().replace(['-', '.', ' '], "_");
    const EXACT: [&str; 8] = [
        "access_token",
        "auth_key",
        "app_secret",
        "token",
        "secret",
        "password",
        "authorization",
        "cookie",
    ];
    const SUFFIXES: [&str; 4] = ["_token", "_secret", "_key", "_password"];
    EXACT.contains(&name.as_str()) || SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Headers whose whole value is secret (`Authorization: Bearer ...`), to the end of the line.
fn is_header_name(name: &str) -> bool {
    [
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'%')
}

/// Where an unquoted value stops: the next parameter, a joined query, a space, punctuation.
fn ends_value(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'&' | b'?' | b'"' | b'\'' | b',' | b';' | b'#' | b')' | b']' | b'}' | b'<' | b'>'
        )
}

/// The text with the value after every secret name masked: a name followed by `=`, or by
/// `:` when the name is quoted (JSON) or a header.
pub fn mask_named_values(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if !is_name_byte(b[i]) || (i > 0 && is_name_byte(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = start;
        while end < b.len() && is_name_byte(b[end]) {
            end += 1;
        }
        i = end;
        let name = &text[start..end];
        let quoted =
            start > 0 && matches!(b[start - 1], b'"' | b'\'') && b.get(end) == Some(&b[start - 1]);
        let mut k = if quoted { end + 1 } else { end };
        // PHP array parameters: `access_token[]=...`.
        if b.get(k) == Some(&b'[')
            && let Some(close) = text[k..].find(']')
        {
            k += close + 1;
        }
        while b.get(k) == Some(&b' ') {
            k += 1;
        }
        let header = is_header_name(name) && b.get(k) == Some(&b':');
        let named = is_secret_name(name)
            && (b.get(k) == Some(&b'=') || (quoted && b.get(k) == Some(&b':')));
        if !header && !named {
            continue;
        }
        k += 1;
        while b.get(k) == Some(&b' ') {
            k += 1;
        }
        let (from, to) = if header {
            (k, text[k..].find(['\n', '\r']).map_or(b.len(), |n| k + n))
        } else if let Some(&q @ (b'"' | b'\'')) = b.get(k) {
            (k + 1, closing_quote(b, k + 1, q))
        } else {
            let mut to = k;
            while to < b.len() && !ends_value(b[to]) {
                to += 1;
            }
            (k, to)
        };
        if to > from && !text[from..].starts_with(MASK) {
            out.push_str(&text[copied..from]);
            out.push_str(MASK);
            copied = to;
            i = to;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The position of the quote that closes a quoted value starting at `from`, skipping escaped
/// ones; the end of the text if there is none.
fn closing_quote(b: &[u8], from: usize, quote: u8) -> usize {
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            c if c == quote => return i,
            _ => i += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_secrets_are_masked_in_urls_forms_json_toml_and_headers() {
        let table = [
            (
                "POST http://h/api/authorize body: app_id=1&app_secret=abc&auth_key=def",
                "POST http://h/api/authorize body: app_id=1&app_secret=[redacted]&auth_key=[redacted]",
            ),
            (
                "GET http://h/api/get_user_info?access_token=0123abcd",
                "GET http://h/api/get_user_info?access_token=[redacted]",
            ),
            // Sngine joins the key to a redirect URL that has a query already.
            (
                "GET /callback?src=cli?auth_key=k3y HTTP/1.1",
                "GET /callback?src=cli?auth_key=[redacted] HTTP/1.1",
            ),
            ("app%5Fsecret=abc&x=1", "app%5Fsecret=[redacted]&x=1"),
            ("app.secret=abc", "app.secret=[redacted]"),
            ("access_token[]=abc", "access_token[]=[redacted]"),
            (
                r#"{"access_token":"0123","user":"jose"}"#,
                r#"{"access_token":"[redacted]","user":"jose"}"#,
            ),
            (
                r#"{ "access_token" : "a\"b", "x": 1 }"#,
                r#"{ "access_token" : "[redacted]", "x": 1 }"#,
            ),
            ("app-secret = \"abc\"", "app-secret = \"[redacted]\""),
            (
                "PIPI_APP_SECRET=abc pipi login",
                "PIPI_APP_SECRET=[redacted] pipi login",
            ),
            (
                "Authorization: Bearer abc def\nHost: x",
                "Authorization: [redacted]\nHost: x",
            ),
            ("cookie: a=1; b=2", "cookie: [redacted]"),
            (
                "answer header: set-cookie: PHPSESSID=abc; path=/",
                "answer header: set-cookie: [redacted]",
            ),
        ];
        for (raw, expected) in table {
            assert_eq!(mask_named_values(raw), expected, "{raw}");
            assert_eq!(Known::new().redact(raw), expected, "{raw}");
        }
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in [
            "x=app_secret%3Dabc",
            "the token expires in 3m",
            "access token: from PIPI_ACCESS_TOKEN",
            "token-ttl = 60",
            "PIPI_TOKEN_TTL=60",
            "app_id=4242&user=jose",
            "auth_key=",
            "José O'Brien (@jose)",
            "",
        ] {
            assert_eq!(mask_named_values(text), text);
        }
    }

    #[test]
    fn masking_twice_changes_nothing() {
        let known = Known::from_iter(["0123456789abcdef"]);
        let once = known.redact("auth_key=abc&app_secret=\"x\" 0123456789abcdef");
        assert_eq!(known.redact(&once), once);
    }

    #[test]
    fn known_values_are_masked_anywhere() {
        let value = "f00dfeedf00dfeedf00dfeedf00dfeed";
        let mut known = Known::new();
        known.remember(value);
        known.remember("short");
        assert_eq!(known.len(), 1);
        assert!(known.holds(value) && !known.holds("short"));
        assert_eq!(
            known.redact(&format!("<p>Warning: bad token {value}</p> short")),
            "<p>Warning: bad token [redacted]</p> short"
        );
        // Another set, or none, masks nothing of it.
        assert!(Known::new().redact(value).contains(value));
        assert_eq!(format!("{known:?}"), "Known(1 values)");
    }

    #[test]
    fn a_flood_of_values_keeps_the_first_ones_and_the_newest_within_the_bound() {
        let value = |i: usize| format!("{i:032x}");
        let mut known = Known::new();
        let pushed = 16 * MAX_KNOWN;
        for i in 0..pushed {
            known.remember(&value(i));
        }
        assert_eq!(known.len(), MAX_KNOWN);
        let held: Vec<usize> = (0..pushed).filter(|&i| known.holds(&value(i))).collect();
        let expected: Vec<usize> = (0..PINNED)
            .chain(pushed - (MAX_KNOWN - PINNED)..pushed)
            .collect();
        assert_eq!(held, expected);
        assert_eq!(known.redact(&value(0)), MASK);
        assert_eq!(known.redact(&value(pushed - 1)), MASK);
        assert_eq!(known.redact(&value(PINNED)), value(PINNED));
        // A value given again takes no second place.
        known.remember(&value(0));
        assert_eq!(known.len(), MAX_KNOWN);
    }

    #[test]
    fn odd_text_never_breaks_it() {
        let pieces = [
            "auth_key",
            "=",
            ":",
            "\"",
            "'",
            "\\",
            "[",
            "]",
            "é",
            "token",
            " ",
            "\n",
            "&",
            "?",
            "authorization",
            "x%5F",
            "🔑",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let text = format!("{a}{b}{c}{a}");
                    let once = mask_named_values(&text);
                    assert_eq!(mask_named_values(&once), once, "{text:?}");
                }
            }
        }
    }

    #[test]
    fn text_that_is_not_ascii_survives() {
        assert_eq!(
            mask_named_values("é auth_key=é&ü"),
            "é auth_key=[redacted]&ü"
        );
    }

    #[test]
    fn a_value_inside_a_longer_one_leaves_nothing_of_either() {
        // The shorter value is learned first, as the app secret read at start would be.
        let known = Known::from_iter(["c0ffee00c0ffee00", "0123c0ffee00c0ffee004567"]);
        assert_eq!(
            known.redact("token 0123c0ffee00c0ffee004567 and c0ffee00c0ffee00."),
            "token [redacted] and [redacted]."
        );
        // Two that overlap in the text: neither leaves its end behind.
        let mut known = Known::new();
        known.remember("aaaabbbbcccc");
        known.remember("ccccddddeeee");
        assert_eq!(known.mask("x aaaabbbbccccddddeeee y"), "x [redacted] y");
        assert_eq!(known.mask("aaaaaaaabbbbcccc"), "aaaa[redacted]");
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Secret values over letters that nothing else in the text uses, some of them
        /// slices of others, so that values inside values and overlaps come up often.
        fn secrets() -> impl Strategy<Value = Vec<String>> {
            proptest::collection::vec("[g-z]{12,30}", 1..6).prop_flat_map(|base| {
                let derived: Vec<_> = base
                    .iter()
                    .map(|s| {
                        let s = s.clone();
                        (0..=s.len() - MIN_KNOWN_LEN).prop_flat_map(move |from| {
                            let s = s.clone();
                            (from + MIN_KNOWN_LEN..=s.len())
                                .prop_map(move |to| s[from..to].to_string())
                        })
                    })
                    .collect();
                (Just(base), derived).prop_map(|(mut base, derived)| {
                    base.extend(derived);
                    base
                })
            })
        }

        /// A line made of secrets and filler, and the filler alone.
        fn line_with(secrets: Vec<String>) -> impl Strategy<Value = (Vec<String>, String, String)> {
            let n = secrets.len();
            let piece = prop_oneof![(0..n).prop_map(Some), Just(None)];
            let filler = proptest::collection::vec("[ A-F0-9./,!()-]{0,6}", 0..12);
            (
                Just(secrets),
                proptest::collection::vec(piece, 0..12),
                filler,
            )
                .prop_map(|(secrets, pieces, filler)| {
                    let mut line = String::new();
                    let mut plain = String::new();
                    for (i, piece) in pieces.iter().enumerate() {
                        if let Some(s) = piece {
                            line.push_str(&secrets[*s]);
                        }
                        let f = filler.get(i).map_or("", String::as_str);
                        line.push_str(f);
                        plain.push_str(f);
                    }
                    (secrets, line, plain)
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]

            #[test]
            fn no_remembered_secret_survives_whatever_the_order(
                (order, line, plain) in secrets()
                    .prop_flat_map(line_with)
                    .prop_flat_map(|(secrets, line, plain)| (Just(secrets).prop_shuffle(), Just(line), Just(plain)))
            ) {
                let mut known = Known::new();
                for value in &order {
                    known.remember(value);
                }
                let masked = known.redact(&line);
                // Every letter of every secret is gone, and nothing else is.
                prop_assert_eq!(masked.replace(MASK, ""), plain);
            }

            #[test]
            fn any_text_is_masked_without_panic_and_masking_is_stable(text in any::<String>()) {
                let once = mask_named_values(&text);
                prop_assert_eq!(mask_named_values(&once), once);
            }
        }
    }
}
