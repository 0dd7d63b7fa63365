//! The request log: one line per request, for the sink the emulator is handed. A line holds
//! what the client sent, secrets included; the sink decides how it is shown (`pipi mock`
//! masks keys, secrets and tokens, as it does in everything it says).

use std::time::Duration;

/// `POST /api/authorize?app_id=1 200 3ms body: app_id=1&app_secret=...`
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
        line.push_str(query);
    }
    line.push_str(&format!(" {outcome} {}ms", took.as_millis()));
    if let Some(body) = form_body.filter(|body| !body.is_empty()) {
        line.push_str(" body: ");
        line.push_str(&body.escape_debug().to_string());
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_holds_the_request_and_its_outcome_on_one_line() {
        let line = line(
            "POST",
            "/api/authorize",
            "app_secret=s3cr3t",
            Some("app_id=1&auth_key=k3y\n"),
            "200",
            Duration::from_millis(3),
        );
        assert_eq!(
            line,
            "POST /api/authorize?app_secret=s3cr3t 200 3ms body: app_id=1&auth_key=k3y\\n"
        );
    }
}
