//! Site addresses: a base URL checked and given one spelling, the login page's URL, whether
//! a host is this machine, and how a site is named to people.

use crate::error::{Result, failure};
use url::{Host, Url};

/// A site's base URL, checked and given its one spelling (no trailing slash): the
/// site a [`crate::Login`] logs in to. A type of its own, so that it cannot be given where
/// the redirect URL is expected:
///
/// ```compile_fail
/// # fn main() -> pipi::Result<()> {
/// use pipi::{Login, RedirectUrl, Secret, SiteUrl};
/// let site = SiteUrl::new("https://pipichat.com")?;
/// let redirect = RedirectUrl::new("http://127.0.0.1:8765/callback")?;
/// let login = Login::new(redirect, "123", Secret::new("s"), site);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteUrl(String);

impl SiteUrl {
    /// Checks a base URL: `https://`, or `http://` on this machine only.
    pub fn new(raw: &str) -> Result<SiteUrl> {
        normalize_base_url(raw).map(SiteUrl)
    }

    /// The URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The redirect URL registered for an app on the site, where the site sends the browser
/// back with the key. A type of its own, so that it cannot be given where the site's URL
/// is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUrl(String);

impl RedirectUrl {
    /// Checks that the URL parses; whether a listener here can catch it is the login's
    /// business (an address elsewhere is pasted instead).
    pub fn new(raw: &str) -> Result<RedirectUrl> {
        match Url::parse(raw) {
            Ok(_) => Ok(RedirectUrl(raw.to_string())),
            Err(e) => Err(failure(
                format!("invalid redirect URL '{raw}': {e}"),
                "use the redirect URL registered for the app, such as http://127.0.0.1:8765/callback",
            )
            .with_setting(crate::error::Setting::RedirectUrl)),
        }
    }

    /// The URL as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SiteUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for RedirectUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The login page of a site for an app: where the browser is sent.
pub fn oauth_url(base_url: &str, app_id: &str) -> String {
    let mut url = format!("{base_url}/api/oauth?");
    url.push_str(
        &url::form_urlencoded::Serializer::new(String::new())
            .append_pair("app_id", app_id)
            .finish(),
    );
    url
}

/// Whether a URL's host is this machine (127.0.0.0/8, ::1 or `localhost`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks a base URL and gives it one spelling (no trailing slash), before any connection.
/// Plain `http://` is refused unless the host is loopback: the app secret and tokens would
/// travel in clear.
pub fn normalize_base_url(raw_input: &str) -> Result<String> {
    let hint = "a base URL looks like https://pipichat.com (the site's address, where Sngine runs)";
    // Messages show the URL as given, but never a password in it, even one the parser
    // could not make sense of (`https://me:hunter2@[bad`).
    let shown = without_userinfo(raw_input);
    let raw = shown.as_str();
    let url = Url::parse(raw_input.trim())
        .map_err(|e| failure(format!("invalid base URL '{raw}': {e}"), hint))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(failure(
            "refusing a base URL with a user name or password in it: it would be shown and sent everywhere".to_string(),
            hint,
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            let mut https = url.clone();
            let _ = https.set_scheme("https");
            return Err(failure(
                format!(
                    "refusing plain http:// for {raw}: the app secret and tokens would travel in clear"
                ),
                format!("use {}", https.as_str().trim_end_matches('/')),
            ));
        }
        other => {
            return Err(failure(
                format!("invalid base URL '{raw}': the scheme must be https, not {other}"),
                hint,
            ));
        }
    }
    if url.host().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err(failure(
            format!("invalid base URL '{raw}': expected a site address without query or fragment"),
            hint,
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// A URL as written, with whatever stands before an `@` in its authority (a user name and
/// password) replaced by `[redacted]`. Done on the text, so that it works on URLs no parser
/// accepts.
fn without_userinfo(raw: &str) -> String {
    let Some((scheme, rest)) = raw.split_once("://") else {
        return raw.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}@{}", crate::redact::MASK, &rest[at + 1..]),
        None => raw.to_string(),
    }
}

/// How a site is named to people: its host, with the port and path when there are any.
pub fn site_label(base_url: &str) -> String {
    base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_url_encodes_the_app_id() {
        assert_eq!(
            oauth_url("https://a.org", "12"),
            "https://a.org/api/oauth?app_id=12"
        );
        assert_eq!(
            oauth_url("https://a.org", "1&x=2"),
            "https://a.org/api/oauth?app_id=1%26x%3D2"
        );
    }

    #[test]
    fn base_urls_are_checked_and_normalized() {
        assert_eq!(
            normalize_base_url("https://pipichat.com/").unwrap(),
            "https://pipichat.com"
        );
        assert_eq!(
            normalize_base_url("https://a.org/sngine/").unwrap(),
            "https://a.org/sngine"
        );
        assert_eq!(
            normalize_base_url("http://127.0.0.1:9/").unwrap(),
            "http://127.0.0.1:9"
        );
        assert_eq!(
            normalize_base_url("http://localhost:9").unwrap(),
            "http://localhost:9"
        );
        assert_eq!(
            normalize_base_url("http://[::1]:9").unwrap(),
            "http://[::1]:9"
        );
        let err = normalize_base_url("http://pipichat.com").unwrap_err();
        assert!(err.to_string().contains("clear"), "{err}");
        assert_eq!(err.hint(), Some("use https://pipichat.com"));
        assert!(normalize_base_url("ftp://x.org").is_err());
        assert!(normalize_base_url("pipichat.com").is_err());
        assert!(normalize_base_url("https://x.org/?a=1").is_err());
        let err = normalize_base_url("https://me:pw@x.org").unwrap_err();
        assert!(!err.to_string().contains("pw"), "{err}");
    }

    #[test]
    fn a_password_is_never_shown_even_in_a_url_that_does_not_parse() {
        for raw in [
            "https://me:hunter2@[bad",
            "https://me:hunter2@x y.org",
            "ftp://me:hunter2@x.org",
            "http://me:hunter2@example.com/a@b",
            "https://me:hunter2@x.org/?a=1",
        ] {
            let err = normalize_base_url(raw).unwrap_err();
            assert!(
                !err.to_string().contains("hunter2") && !err.to_string().contains("me:"),
                "{raw}: {err}"
            );
        }
        assert_eq!(
            without_userinfo("https://me:pw@[bad/x@y"),
            "https://[redacted]@[bad/x@y"
        );
        assert_eq!(without_userinfo("https://x.org/a@b"), "https://x.org/a@b");
    }

    #[test]
    fn site_labels() {
        assert_eq!(site_label("https://pipichat.com"), "pipichat.com");
        assert_eq!(site_label("http://127.0.0.1:4000"), "127.0.0.1:4000");
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Base URLs as people write them, and as an attacker would: schemes in any case,
        /// hosts that look like this machine without being it, ports, paths, user names,
        /// queries and fragments.
        fn base_url() -> impl Strategy<Value = String> {
            (
                prop_oneof![
                    Just("https"),
                    Just("http"),
                    Just("HTTP"),
                    Just("HtTpS"),
                    Just("ftp"),
                    Just("file")
                ],
                proptest::option::of(prop_oneof![Just("me@"), Just("me:hunter2@"), Just(":@")]),
                prop_oneof![
                    proptest::sample::select(
                        &[
                            "pipichat.com",
                            "127.0.0.1",
                            "localhost",
                            "LOCALHOST",
                            "127.0.0.1.evil.com",
                            "0x7f.1",
                            "[::1]",
                            "[::ffff:127.0.0.1]",
                            "localhost.evil.com",
                            "127.1",
                            "2130706433",
                            "evil.com",
                            "xn--pipicht-9za.com",
                            "[fe80::1]",
                            "",
                        ][..]
                    )
                    .prop_map(str::to_string),
                    "[a-z0-9.-]{1,20}",
                ],
                proptest::option::of(0u32..70000),
                "(/[a-zA-Z0-9._~%-]{0,8}){0,3}/?",
                proptest::option::of("[a-z=&]{0,8}"),
                proptest::option::of("[a-z]{0,5}"),
                "[ ]{0,2}",
            )
                .prop_map(|(scheme, user, host, port, path, query, fragment, pad)| {
                    let mut url = format!("{pad}{scheme}://{}{host}", user.unwrap_or(""));
                    if let Some(port) = port {
                        url.push_str(&format!(":{port}"));
                    }
                    url.push_str(&path);
                    if let Some(q) = query {
                        url.push_str(&format!("?{q}"));
                    }
                    if let Some(f) = fragment {
                        url.push_str(&format!("#{f}"));
                    }
                    url.push_str(&pad);
                    url
                })
        }

        fn check(raw: &str) -> Result<(), TestCaseError> {
            match normalize_base_url(raw) {
                Ok(normal) => {
                    // One spelling: it normalises to itself.
                    prop_assert_eq!(normalize_base_url(&normal).unwrap(), normal.clone());
                    let url = Url::parse(&normal).unwrap();
                    // Plain http only to this machine.
                    prop_assert!(
                        url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url)),
                        "{}",
                        normal
                    );
                    prop_assert!(url.query().is_none() && url.fragment().is_none());
                    prop_assert!(url.username().is_empty() && url.password().is_none());
                    prop_assert!(!normal.ends_with('/'));
                }
                Err(e) => {
                    prop_assert!(!e.to_string().contains("hunter2"), "{}", e);
                }
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4000))]

            #[test]
            fn base_urls_normalise_once_and_never_to_plain_http_elsewhere(raw in base_url()) {
                check(&raw)?;
            }

            #[test]
            fn any_text_as_a_base_url_never_panics(raw in any::<String>()) {
                check(&raw)?;
            }
        }
    }
}
