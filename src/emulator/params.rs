//! Request parameters read the way PHP reads them: `$_GET` and `$_POST` (last value wins,
//! `.` and spaces in names become `_`), Sngine's `is_empty`, and `intval`.

/// The parameters of a query string or a form-encoded body, in PHP's manner.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `a=1&b=2` (a query string without its `?`, or a form body).
    pub(crate) fn parse(raw: &str) -> Params {
        let pairs = url::form_urlencoded::parse(raw.as_bytes())
            .map(|(name, value)| (php_name(&name), value.into_owned()))
            .collect();
        Params { pairs }
    }

    /// The value PHP would see for `name`; the last one when it is given several times.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// These parameters with `over`'s laid on top, as `$_REQUEST` merges POST over GET.
    pub(crate) fn overlaid_with(&self, over: &Params) -> Params {
        let mut pairs = self.pairs.clone();
        pairs.extend(over.pairs.iter().cloned());
        Params { pairs }
    }
}

/// PHP turns `.` and spaces in parameter names into `_` (`app.id` arrives as `app_id`).
fn php_name(name: &str) -> String {
    name.replace(['.', ' '], "_")
}

/// Sngine's `is_empty`: nothing but whitespace, counting the no-break space, is empty.
pub(crate) fn is_blank(value: Option<&str>) -> bool {
    match value {
        None => true,
        Some(text) => text
            .trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\u{b}' | '\u{a0}'))
            .is_empty(),
    }
}

/// PHP 7.1+/8 `intval` of a string: leading whitespace, a sign, the longest numeric prefix
/// (decimals and exponent included, so `1e3` is 1000), the rest ignored; anything that is
/// not a number is 0; out-of-range values stick at the ends of the i64 range.
pub(crate) fn intval(text: &str) -> i64 {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        at += 1;
    }
    let start = at;
    if at < bytes.len() && matches!(bytes[at], b'+' | b'-') {
        at += 1;
    }
    let int_digits = count_digits(&bytes[at..]);
    at += int_digits;
    let mut is_integer = true;
    let mut fraction_digits = 0;
    if at < bytes.len() && bytes[at] == b'.' {
        fraction_digits = count_digits(&bytes[at + 1..]);
        if int_digits > 0 || fraction_digits > 0 {
            at += 1 + fraction_digits;
            is_integer = false;
        }
    }
    if int_digits == 0 && fraction_digits == 0 {
        return 0;
    }
    if at < bytes.len() && matches!(bytes[at], b'e' | b'E') {
        let mut exponent_at = at + 1;
        if exponent_at < bytes.len() && matches!(bytes[exponent_at], b'+' | b'-') {
            exponent_at += 1;
        }
        let exponent_digits = count_digits(&bytes[exponent_at..]);
        if exponent_digits > 0 {
            at = exponent_at + exponent_digits;
            is_integer = false;
        }
    }
    // Only ASCII bytes were consumed, so this slice falls on character boundaries.
    let number = &text[start..at];
    if is_integer && let Ok(value) = number.parse::<i64>() {
        return value;
    }
    // Whatever did not fit an integer is read as a double and capped, as
    // zend_dval_to_lval_cap does.
    match number.parse::<f64>() {
        Ok(value) if value.is_finite() => {
            if value >= i64::MAX as f64 {
                i64::MAX
            } else if value <= i64::MIN as f64 {
                i64::MIN
            } else {
                value.trunc() as i64
            }
        }
        _ => 0,
    }
}

fn count_digits(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intval_follows_php() {
        let table = [
            ("4242", 4242),
            ("4242abc", 4242),
            ("  4242", 4242),
            ("\t\n4242", 4242),
            ("4242 ", 4242),
            ("+4242", 4242),
            ("-4242", -4242),
            ("04242", 4242),
            ("4242.9", 4242),
            ("4.242e3", 4242),
            ("1e3", 1000),
            ("1e", 1),
            ("1e+", 1),
            (".5", 0),
            ("5.", 5),
            ("0x1A", 0),
            ("abc", 0),
            ("", 0),
            ("-", 0),
            ("+", 0),
            (".", 0),
            (" - 5", 0),
            ("\u{a0}4242", 0),
            ("99999999999999999999", i64::MAX),
            ("-99999999999999999999", i64::MIN),
            ("9223372036854775807", i64::MAX),
            ("1e400", 0),
            ("١٢٣", 0),
        ];
        for (text, expected) in table {
            assert_eq!(intval(text), expected, "intval({text:?})");
        }
    }

    #[test]
    fn blank_means_missing_or_whitespace() {
        assert!(is_blank(None));
        assert!(is_blank(Some("")));
        assert!(is_blank(Some(" \t\r\n\u{a0}")));
        assert!(!is_blank(Some(" x ")));
        assert!(!is_blank(Some("0")));
    }

    #[test]
    fn params_follow_php() {
        let params = Params::parse("a=1&b=x+y&a=2&app.id=7&auth%20key=k&c=%C3%A9&flag");
        assert_eq!(params.get("a"), Some("2"));
        assert_eq!(params.get("b"), Some("x y"));
        assert_eq!(params.get("app_id"), Some("7"));
        assert_eq!(params.get("auth_key"), Some("k"));
        assert_eq!(params.get("c"), Some("é"));
        assert_eq!(params.get("flag"), Some(""));
        assert_eq!(params.get("missing"), None);
    }

    #[test]
    fn overlay_lets_the_body_win() {
        let query = Params::parse("app_id=1&app_secret=s");
        let body = Params::parse("app_id=2");
        let merged = query.overlaid_with(&body);
        assert_eq!(merged.get("app_id"), Some("2"));
        assert_eq!(merged.get("app_secret"), Some("s"));
    }
}
