//! Misbehaviours an API endpoint can be told to show: what web servers, proxies, CDNs and
//! broken PHP put between a client and a healthy Sngine answer.

use std::fmt;
use std::str::FromStr;

/// The API endpoints a fault can be attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/api/authorize`
    Authorize,
    /// `/api/get_user_info`
    UserInfo,
}

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// A 500 with an HTML page, as a web server in front of a crashed PHP answers.
    /// The request never reaches the site, so no key is used up.
    Html500,
    /// The connection is closed without any answer.
    Reset,
    /// The right answer, but only after `Config::slow_delay`.
    Slow,
    /// The right answer with a PHP warning printed before it, as a site with
    /// `display_errors` on sends; the request did reach the site.
    BadJson,
    /// Status 200, `application/json`, and an empty body. The request never reaches the site.
    Empty,
    /// `get_user_info` only: the body `[]`, as for a deleted person.
    Deleted,
    /// A 302 to the home page, as a host or scheme mismatch produces.
    Redirect,
    /// The right answer cut in half, with a `Content-Length` that matches the cut: JSON
    /// that ends too soon, as a proxy that lost the rest sends. The request reached the site.
    Truncated,
    /// The right answer after 2 MiB of white space: valid JSON, but far larger than any
    /// answer of the API. The request reached the site.
    Oversize,
    /// The right answer, its head at once and its body one byte every
    /// `Config::drip_interval`: a server that keeps a client waiting without ever going
    /// quiet for long.
    Drip,
    /// Nothing at all for `Config::slow_delay`, not even a status line, then the
    /// connection is closed. The request never reaches the site.
    Stall,
    /// The right answer with two bytes that are not UTF-8 at the start of its first string
    /// value, as a broken proxy or a corrupted cache sends. The request reached the site.
    InvalidUtf8,
    /// Status 200, `application/json`, and an array nested 100 000 deep: JSON that a
    /// recursive parser would overflow its stack on. The request never reaches the site.
    Nested,
    /// `authorize` only: the right answer with an escape sequence, a newline and a NUL
    /// in the token (`\u001b]0;...\u0007`, `\n`, `\u0000`), as a compromised or broken
    /// site might send to reach the terminal or the environment of whatever uses it. The
    /// request reached the site: the key is used up.
    BadToken,
}

/// One fault on one endpoint, written `ENDPOINT=KIND` on a command line
/// (`authorize=html500`, `user_info=deleted`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The endpoint that misbehaves.
    pub endpoint: Endpoint,
    /// How it misbehaves.
    pub kind: FaultKind,
}

const ENDPOINT_NAMES: &str = "authorize, user_info";
const KIND_NAMES: &str = "html500, reset, slow, bad_json, empty, deleted, redirect, truncated, \
                          oversize, drip, stall, invalid_utf8, nested, bad_token";

impl FromStr for Endpoint {
    type Err = String;

    fn from_str(text: &str) -> Result<Endpoint, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "authorize" => Ok(Endpoint::Authorize),
            "user_info" | "get_user_info" => Ok(Endpoint::UserInfo),
            _ => Err(format!(
                "unknown endpoint {text:?} (expected one of: {ENDPOINT_NAMES})"
            )),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Endpoint::Authorize => "authorize",
            Endpoint::UserInfo => "user_info",
        })
    }
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(text: &str) -> Result<FaultKind, String> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "html500" | "html_500" => Ok(FaultKind::Html500),
            "reset" => Ok(FaultKind::Reset),
            "slow" => Ok(FaultKind::Slow),
            "bad_json" | "badjson" => Ok(FaultKind::BadJson),
            "empty" => Ok(FaultKind::Empty),
            "deleted" => Ok(FaultKind::Deleted),
            "redirect" => Ok(FaultKind::Redirect),
            "truncated" => Ok(FaultKind::Truncated),
            "oversize" => Ok(FaultKind::Oversize),
            "drip" => Ok(FaultKind::Drip),
            "stall" => Ok(FaultKind::Stall),
            "invalid_utf8" => Ok(FaultKind::InvalidUtf8),
            "nested" => Ok(FaultKind::Nested),
            "bad_token" | "badtoken" => Ok(FaultKind::BadToken),
            _ => Err(format!(
                "unknown fault {text:?} (expected one of: {KIND_NAMES})"
            )),
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultKind::Html500 => "html500",
            FaultKind::Reset => "reset",
            FaultKind::Slow => "slow",
            FaultKind::BadJson => "bad_json",
            FaultKind::Empty => "empty",
            FaultKind::Deleted => "deleted",
            FaultKind::Redirect => "redirect",
            FaultKind::Truncated => "truncated",
            FaultKind::Oversize => "oversize",
            FaultKind::Drip => "drip",
            FaultKind::Stall => "stall",
            FaultKind::InvalidUtf8 => "invalid_utf8",
            FaultKind::Nested => "nested",
            FaultKind::BadToken => "bad_token",
        })
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(text: &str) -> Result<Fault, String> {
        let Some((endpoint, kind)) = text.split_once('=') else {
            return Err(format!(
                "invalid fault {text:?} (expected ENDPOINT=KIND, e.g. authorize=html500)"
            ));
        };
        let endpoint: Endpoint = endpoint.parse()?;
        let kind: FaultKind = kind.parse()?;
        // An empty array is what get_user_info sends for a deleted person; no other endpoint
        // has such an answer, so accepting it elsewhere would emulate nothing real.
        if kind == FaultKind::Deleted && endpoint != Endpoint::UserInfo {
            return Err(format!(
                "the fault \"deleted\" only applies to user_info, not {endpoint}"
            ));
        }
        if kind == FaultKind::BadToken && endpoint != Endpoint::Authorize {
            return Err(format!(
                "the fault \"bad_token\" only applies to authorize, not {endpoint}"
            ));
        }
        Ok(Fault { endpoint, kind })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.endpoint, self.kind)
    }
}

/// The HTML a web server sends when PHP behind it crashed.
pub(crate) const HTML_500_BODY: &str = "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// What PHP prints before the answer when `display_errors` is on and something is sloppy.
pub(crate) const PHP_WARNING: &str = "<br />\n<b>Warning</b>:  Undefined array key \"user_id\" in <b>/var/www/html/includes/class-user.php</b> on line <b>2514</b><br />\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_and_print_back() {
        let table = [
            ("authorize=html500", Endpoint::Authorize, FaultKind::Html500),
            ("authorize=reset", Endpoint::Authorize, FaultKind::Reset),
            ("authorize=slow", Endpoint::Authorize, FaultKind::Slow),
            (
                "authorize=bad_json",
                Endpoint::Authorize,
                FaultKind::BadJson,
            ),
            ("authorize=empty", Endpoint::Authorize, FaultKind::Empty),
            (
                "authorize=redirect",
                Endpoint::Authorize,
                FaultKind::Redirect,
            ),
            ("user_info=deleted", Endpoint::UserInfo, FaultKind::Deleted),
            ("user_info=html500", Endpoint::UserInfo, FaultKind::Html500),
            (
                "user_info=truncated",
                Endpoint::UserInfo,
                FaultKind::Truncated,
            ),
            (
                "authorize=oversize",
                Endpoint::Authorize,
                FaultKind::Oversize,
            ),
            ("user_info=drip", Endpoint::UserInfo, FaultKind::Drip),
            ("authorize=stall", Endpoint::Authorize, FaultKind::Stall),
            (
                "user_info=invalid_utf8",
                Endpoint::UserInfo,
                FaultKind::InvalidUtf8,
            ),
            ("authorize=nested", Endpoint::Authorize, FaultKind::Nested),
            (
                "authorize=bad_token",
                Endpoint::Authorize,
                FaultKind::BadToken,
            ),
        ];
        for (text, endpoint, kind) in table {
            let fault: Fault = text.parse().unwrap();
            assert_eq!(fault, Fault { endpoint, kind });
            assert_eq!(fault.to_string(), text);
        }
    }

    #[test]
    fn spellings_are_forgiving() {
        let fault: Fault = "get_user_info=BadJson".parse().unwrap();
        assert_eq!(fault.endpoint, Endpoint::UserInfo);
        assert_eq!(fault.kind, FaultKind::BadJson);
        assert_eq!(
            "Authorize=HTML500".parse::<Fault>().unwrap().kind,
            FaultKind::Html500
        );
    }

    #[test]
    fn nonsense_is_refused_with_a_reason() {
        for (text, reason) in [
            ("authorize", "ENDPOINT=KIND"),
            ("token=slow", "unknown endpoint"),
            ("authorize=explode", "unknown fault"),
            ("authorize=deleted", "only applies to user_info"),
            ("user_info=bad_token", "only applies to authorize"),
        ] {
            let error = text.parse::<Fault>().unwrap_err();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }
}
