//! The front door of the emulated site: checks the host, applies faults, and hands each
//! path to its page (`oauth`, `pages`) or API endpoint (`api`).

use super::api;
use super::faults::{Endpoint, FaultKind, HTML_500_BODY, PHP_WARNING};
use super::oauth;
use super::pages;
use super::site::{Site, html};
use crate::http::{Request, Response};

/// What to do with a request.
pub(crate) enum Answer {
    Respond(Response),
    /// Close the connection without a word.
    Reset,
    /// Send the head at once and the body a byte at a time.
    Drip(Response),
    /// Say nothing for a while, then close the connection.
    Stall,
}

/// Answers one request.
pub(crate) fn answer(site: &Site, request: &Request) -> Answer {
    // A Sngine site sends any request that names another host (or scheme) than its
    // configured URL to its home page.
    let host_matches = request
        .header("host")
        .is_some_and(|host| host.eq_ignore_ascii_case(&site.host));
    if !host_matches {
        return Answer::Respond(Response::redirect(&site.home_url()));
    }
    let path = request.path.as_str();
    if let Some(endpoint) = api_endpoint(path) {
        // The module switch is checked before anything else the API does.
        if site.config.developers_disabled {
            return Answer::Respond(if endpoint == "oauth" {
                html(200, pages::error(api::DEVELOPERS_DISABLED))
            } else {
                api::json_response(&api::error(api::DEVELOPERS_DISABLED))
            });
        }
        return match endpoint {
            "authorize" => with_fault(site, Endpoint::Authorize, |_| {
                match api::authorize(site, request) {
                    Ok(value) => api::json_response(&value),
                    Err(_) => Response::new(500, "text/html", HTML_500_BODY),
                }
            }),
            "get_user_info" => with_fault(site, Endpoint::UserInfo, |deleted| {
                api::json_response(&api::get_user_info(site, request, deleted))
            }),
            "oauth" => Answer::Respond(oauth::oauth(site, request)),
            _ => Answer::Respond(api::json_response(&api::unknown_endpoint())),
        };
    }
    let response = match (request.method.as_str(), path) {
        (_, "/" | "/index.php") => oauth::home(site, request),
        ("POST", "/signin") => oauth::signin(site, request),
        (_, "/signin") => oauth::signin_page(site, request),
        ("POST", "/oauth/approve") => oauth::approve(site, request),
        (_, "/signout") => oauth::signout(site, request),
        _ => html(404, pages::not_found()),
    };
    Answer::Respond(response)
}

/// `/api/NAME` or `/api/NAME/` gives NAME (empty for `/api/` itself); deeper paths are not
/// endpoints, as the site's rewrite rule takes one segment only.
fn api_endpoint(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/api")
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))?;
    let rest = rest.trim_start_matches('/');
    let name = rest.strip_suffix('/').unwrap_or(rest);
    (!name.contains('/')).then_some(name)
}

/// Runs `handler` (given whether to answer as for a deleted person) under the fault set on
/// `endpoint`, if any. Faults that stand for something in front of PHP answer without
/// running it, so they use up no key.
fn with_fault(site: &Site, endpoint: Endpoint, handler: impl FnOnce(bool) -> Response) -> Answer {
    let fault = site.state().take_fault(endpoint);
    match fault {
        None => Answer::Respond(handler(false)),
        Some(FaultKind::Deleted) => Answer::Respond(handler(true)),
        Some(fault) => match in_front_of_php(site, &fault) {
            Some(answer) => answer,
            None => spoil(site, &fault, handler(false)),
        },
    }
}

/// The answer of a fault that stands for something in front of PHP (a proxy's error page,
/// a dropped connection), which PHP never sees; `None` for the others.
fn in_front_of_php(site: &Site, fault: &FaultKind) -> Option<Answer> {
    Some(match fault {
        FaultKind::Html500 => Answer::Respond(Response::new(500, "text/html", HTML_500_BODY)),
        FaultKind::Reset => Answer::Reset,
        FaultKind::Empty => Answer::Respond(Response::new(200, "application/json", "")),
        FaultKind::Redirect => Answer::Respond(Response::redirect(&site.home_url())),
        FaultKind::Stall => Answer::Stall,
        FaultKind::Nested => {
            let depth = 100_000;
            let mut body = vec![b'['; depth];
            body.resize(2 * depth, b']');
            Answer::Respond(Response::new(200, "application/json", body))
        }
        _ => return None,
    })
}

/// The handler's `response` as `fault` changes it on its way out.
fn spoil(site: &Site, fault: &FaultKind, mut response: Response) -> Answer {
    match fault {
        FaultKind::Slow => site.sleep(site.config.slow_delay),
        FaultKind::BadJson => {
            let mut body = PHP_WARNING.as_bytes().to_vec();
            body.append(&mut response.body);
            response.body = body;
        }
        FaultKind::Truncated => response.body.truncate(response.body.len() / 2),
        FaultKind::Oversize => {
            let mut body = vec![b' '; 2 << 20];
            body.append(&mut response.body);
            response.body = body;
        }
        FaultKind::Drip => return Answer::Drip(response),
        FaultKind::InvalidUtf8 => {
            if let Some(at) = find(&response.body, b"\":\"") {
                // 0xC3 starts a two-byte sequence that '(' cannot continue; 0xFF is never UTF-8.
                let at = at + 3;
                response.body.splice(at..at, [0xC3, b'(', 0xFF]);
            }
        }
        FaultKind::BadToken => {
            if let Some(at) = find(&response.body, b"\"access_token\":\"") {
                // After the token's first 16 characters: JSON escapes that decode to ESC,
                // BEL, a newline and a NUL.
                let at = at + "\"access_token\":\"".len() + 16;
                let bad = br"\u001b]0;owned\u0007\n\u0000";
                response.body.splice(at..at, bad.iter().copied());
            }
        }
        _ => {}
    }
    Answer::Respond(response)
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_name_their_endpoint() {
        let table = [
            ("/api/authorize", Some("authorize")),
            ("/api/authorize/", Some("authorize")),
            ("/api/get_user_info", Some("get_user_info")),
            ("/api/", Some("")),
            ("/api", Some("")),
            ("/api/a/b", None),
            ("/apix/authorize", None),
            ("/", None),
        ];
        for (path, expected) in table {
            assert_eq!(api_endpoint(path), expected, "{path}");
        }
    }
}
