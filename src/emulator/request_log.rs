//! The request log: one line per request on stderr, with keys, secrets and tokens
//! redacted (by the same masking as everything pipi says), so that a log can be pasted into
//! a bug report.

use crate::redact::redact;
use std::time::Duration;

/// `POST /api/authorize?app_id=1 200 3ms body: app_id=1&app_secret=[redacted]`
pub(crate) fn line(
    method: &str,
    path: &str,
    query: &str,
    form_body: Option<&str>,
    outcome: &str,
    took: Duration,
) -> String {
    let mut line = format!("{method} {path}");
    if !query.is_empty() {
        line.push('?');
        line.push_str(&redact(query));
    }
    line.push_str(&format!(" {outcome} {}ms", took.as_millis()));
    if let Some(body) = form_body.filter(|body| !body.is_empty()) {
        line.push_str(" body: ");
        line.push_str(&redact(body).escape_debug().to_string());
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_wherever_they_are() {
        let table = [
            (
                "app_id=1&app_secret=abc&auth_key=def",
                "app_id=1&app_secret=[redacted]&auth_key=[redacted]",
            ),
            ("access_token=t", "access_token=[redacted]"),
            ("app%5Fsecret=abc", "app%5Fsecret=[redacted]"),
            ("app.secret=abc", "app.secret=[redacted]"),
            ("x=app_secret%3Dabc", "x=app_secret%3Dabc"),
            ("plain", "plain"),
        ];
        for (raw, expected) in table {
            assert_eq!(redact(raw), expected);
        }
    }

    #[test]
    fn urls_lose_their_keys_as_the_walker_shows_them() {
        assert_eq!(
            redact("http://h/cb?src=cli?auth_key=abc"),
            "http://h/cb?src=cli?auth_key=[redacted]"
        );
        assert_eq!(
            redact("http://h/cb?auth_key=abc&x=1"),
            "http://h/cb?auth_key=[redacted]&x=1"
        );
        assert_eq!(redact("http://h/cb"), "http://h/cb");
    }

    #[test]
    fn a_line_holds_no_secret() {
        let line = line(
            "POST",
            "/api/authorize",
            "app_secret=s3cr3t",
            Some("app_id=1&auth_key=k3y"),
            "200",
            Duration::from_millis(3),
        );
        assert_eq!(
            line,
            "POST /api/authorize?app_secret=[redacted] 200 3ms body: app_id=1&auth_key=[redacted]"
        );
    }
}
