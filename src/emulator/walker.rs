//! A headless browser for the emulator's "Log in With" pages, used when no real browser
//! can be opened: it follows redirects by hand, keeps the site's session cookie, signs in,
//! approves, and follows the final redirect to the app with its `auth_key`.
//!
//! It finds its way by the `data-pipi` hooks the emulator puts on its forms, so it walks
//! the emulator only; a real site wants a password.

use std::fmt;
use std::time::Duration;

use crate::error::{Context, Error, ErrorKind, Result};

/// Ends the walk with a failure said in these words.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(Error::new(ErrorKind::Failed, format!($($arg)*)))
    };
}
use reqwest::blocking::Client;
use reqwest::redirect::Policy;
use url::Url;

/// More than any honest walk needs (oauth, sign-in, back to oauth, consent, app).
const MAX_HOPS: usize = 12;
const TIMEOUT: Duration = Duration::from_secs(30);

/// Where the walk ended: the app's redirect URL (with its `auth_key`) and what it answered.
#[derive(Clone)]
pub struct WalkOutcome {
    /// The URL the site finally sent the browser to, `auth_key` included.
    pub final_url: String,
    /// The status the app's redirect URL answered with.
    pub status: u16,
    /// The body it answered with (invalid UTF-8 replaced).
    pub body: String,
}

impl fmt::Debug for WalkOutcome {
    // The final URL carries a live auth key; Debug output ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalkOutcome")
            .field("final_url", &without_key(&self.final_url))
            .field("status", &self.status)
            .field("body", &self.body)
            .finish()
    }
}

/// A URL as the walker shows it in errors and debug output: the one-time `auth_key` masked,
/// since such text ends up in logs.
fn without_key(url: &str) -> String {
    let mut shown = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(at) = rest.find("auth_key=") {
        let (before, after) = rest.split_at(at + "auth_key=".len());
        shown.push_str(before);
        shown.push_str("[redacted]");
        rest = &after[after.find(['&', '?', '#']).unwrap_or(after.len())..];
    }
    shown.push_str(rest);
    shown
}

/// Walks from `oauth_url` to the app's redirect URL, signing in as `as_user` (a `user_id`
/// or a handle; the first person offered when None) and approving the app if asked.
/// `as_user` only matters if the sign-in page shows up: a site that counts the browser as
/// signed in already, or approves at once, decides who it is.
pub fn walk(oauth_url: &str, as_user: Option<&str>) -> Result<WalkOutcome> {
    let start = Url::parse(oauth_url).with_context(|| format!("invalid oauth URL {oauth_url}"))?;
    if !matches!(start.scheme(), "http" | "https") {
        bail!(
            "the oauth URL must be http or https, not {}",
            start.scheme()
        );
    }
    let client = client_for(&start)?;
    let site = start.origin();
    let mut jar = CookieJar::default();
    let mut step = Step::Get(start);
    for _ in 0..MAX_HOPS {
        let answer = fetch(&client, &mut jar, &step, &site)?;
        if step.is_final() {
            return Ok(WalkOutcome {
                final_url: answer.url.to_string(),
                status: answer.status,
                body: answer.body,
            });
        }
        step = if (300..400).contains(&answer.status) {
            follow(&answer, &site)?
        } else {
            fill_in(&answer, as_user)?
        };
    }
    bail!("gave up after {MAX_HOPS} hops without reaching the app's redirect URL")
}

/// An HTTP client that follows no redirect on its own.
fn client_for(start: &Url) -> Result<Client> {
    // A walk that starts on plain http (the emulator on loopback) has no use for the system's
    // certificate store, and must not need one: `pipi demo` runs where there is none, in a
    // bare container or an empty root.
    let tls = crate::http::tls_config(start.scheme() != "http").context("failed to set up TLS")?;
    Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(Policy::none())
        // The emulator is on loopback: a proxy from the environment would not reach it.
        .no_proxy()
        .timeout(TIMEOUT)
        .build()
        .context("failed to set up the HTTP client")
}

/// What one request was answered with.
struct Answer {
    url: Url,
    status: u16,
    location: Option<String>,
    body: String,
}

/// Makes `step`'s request, with the site's cookies if it goes to the site, and keeps the
/// cookies the site sets.
fn fetch(client: &Client, jar: &mut CookieJar, step: &Step, site: &url::Origin) -> Result<Answer> {
    let url = step.url().clone();
    let to_site = url.origin() == *site;
    let mut request = match step {
        Step::Get(url) | Step::Final(url) => client.get(url.clone()),
        Step::Post(url, fields) => client.post(url.clone()).form(fields),
    };
    if to_site && let Some(cookies) = jar.header() {
        request = request.header(reqwest::header::COOKIE, cookies);
    }
    let response = request
        .send()
        // reqwest's own message repeats the URL, auth_key and all.
        .map_err(reqwest::Error::without_url)
        .with_context(|| format!("failed to reach {}", without_key(url.as_str())))?;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    if to_site {
        for value in response.headers().get_all(reqwest::header::SET_COOKIE) {
            if let Ok(value) = value.to_str() {
                jar.store(value);
            }
        }
    }
    let body = response
        .bytes()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .with_context(|| format!("failed to read the answer of {}", without_key(url.as_str())))?;
    Ok(Answer {
        url,
        status,
        location,
        body,
    })
}

/// The step after a redirect: the last one if it carries the auth key, else on within the
/// site; a redirect elsewhere without a key ends the walk.
fn follow(answer: &Answer, site: &url::Origin) -> Result<Step> {
    let (url, status) = (&answer.url, answer.status);
    let Some(location) = &answer.location else {
        bail!(
            "{} answered {status} without a Location",
            without_key(url.as_str())
        );
    };
    let next = url
        .join(location)
        .with_context(|| format!("invalid redirect to {}", without_key(location)))?;
    if next.query_pairs().any(|(name, _)| name == "auth_key") || location.contains("auth_key=") {
        Ok(Step::Final(next))
    } else if next.origin() == *site {
        Ok(Step::Get(next))
    } else {
        bail!(
            "the site sent the browser to {} without an auth_key",
            without_key(next.as_str())
        )
    }
}

/// The step after a page: its sign-in form, as `as_user`, or its consent form, approved.
fn fill_in(answer: &Answer, as_user: Option<&str>) -> Result<Step> {
    let (url, status, body) = (&answer.url, answer.status, &answer.body);
    if status != 200 {
        bail!(
            "the site answered {status} at {}: {}",
            without_key(url.as_str()),
            excerpt(body)
        );
    }
    let signin_forms = find_forms(body, "signin");
    if !signin_forms.is_empty() {
        let form = choose_person(&signin_forms, as_user)?;
        return Ok(Step::Post(form.action_url(url)?, form.fields.clone()));
    }
    if let Some(form) = find_forms(body, "approve").into_iter().next() {
        return Ok(Step::Post(form.action_url(url)?, form.fields));
    }
    bail!(
        "the site showed a page with neither a sign-in nor a consent form at {}: {}",
        without_key(url.as_str()),
        excerpt(body)
    )
}

/// The next request the walker makes.
enum Step {
    Get(Url),
    Post(Url, Vec<(String, String)>),
    /// The redirect that carries the auth key: its answer ends the walk.
    Final(Url),
}

impl Step {
    fn url(&self) -> &Url {
        match self {
            Step::Get(url) | Step::Post(url, _) | Step::Final(url) => url,
        }
    }

    fn is_final(&self) -> bool {
        matches!(self, Step::Final(_))
    }
}

/// The site's cookies, by name; one site, so domains and paths do not matter.
#[derive(Default)]
struct CookieJar {
    cookies: Vec<(String, String)>,
}

impl CookieJar {
    fn store(&mut self, set_cookie: &str) {
        let mut attributes = set_cookie.split(';');
        let Some((name, value)) = attributes.next().and_then(|pair| pair.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim(), value.trim());
        let expired =
            attributes.any(|attribute| attribute.trim().eq_ignore_ascii_case("max-age=0"));
        self.cookies.retain(|(known, _)| known != name);
        if !expired {
            self.cookies.push((name.to_owned(), value.to_owned()));
        }
    }

    fn header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

/// A form found on a page: its attributes and the named inputs inside it.
#[derive(Clone, Debug)]
struct Form {
    attributes: Vec<(String, String)>,
    fields: Vec<(String, String)>,
}

impl Form {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn action_url(&self, page: &Url) -> Result<Url> {
        let action = self.attribute("action").unwrap_or("");
        page.join(action)
            .with_context(|| format!("invalid form action {action:?}"))
    }
}

fn choose_person<'a>(forms: &'a [Form], as_user: Option<&str>) -> Result<&'a Form> {
    let Some(who) = as_user else {
        return forms.first().context("the sign-in page offers no one");
    };
    let found = forms.iter().find(|form| {
        form.attribute("data-user-id") == Some(who) || form.attribute("data-user-name") == Some(who)
    });
    match found {
        Some(form) => Ok(form),
        None => {
            let offered: Vec<String> = forms
                .iter()
                .map(|form| {
                    format!(
                        "{} (id {})",
                        form.attribute("data-user-name").unwrap_or("?"),
                        form.attribute("data-user-id").unwrap_or("?")
                    )
                })
                .collect();
            bail!(
                "no one called {who:?} on the sign-in page (offered: {})",
                offered.join(", ")
            )
        }
    }
}

/// The forms of `html` whose `data-pipi` attribute is `hook`.
fn find_forms(html: &str, hook: &str) -> Vec<Form> {
    let mut forms = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<form") {
        let after = &rest[start + "<form".len()..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let attributes = parse_attributes(&after[..tag_end]);
        let inner_and_rest = &after[tag_end + 1..];
        let inner_end = inner_and_rest
            .find("</form>")
            .unwrap_or(inner_and_rest.len());
        let inner = &inner_and_rest[..inner_end];
        rest = &inner_and_rest[inner_end..];
        let form = Form {
            attributes,
            fields: inputs(inner),
        };
        if form.attribute("data-pipi") == Some(hook) {
            forms.push(form);
        }
    }
    forms
}

/// The named `<input>`s of a form's inner HTML, as (name, value).
fn inputs(html: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<input") {
        let after = &rest[start + "<input".len()..];
        let tag_end = after.find('>').unwrap_or(after.len());
        let attributes = parse_attributes(&after[..tag_end]);
        let get = |name: &str| {
            attributes
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        if let Some(name) = get("name") {
            fields.push((name, get("value").unwrap_or_default()));
        }
        rest = &after[tag_end..];
    }
    fields
}

/// `a="x" b='y' c=z d` as pairs, names lowercased and values entity-decoded.
fn parse_attributes(tag: &str) -> Vec<(String, String)> {
    let mut attributes = Vec::new();
    let tag = tag.trim_end_matches('/');
    let mut chars = tag.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut name_end = start;
        while let Some(&(at, c)) = chars.peek() {
            if c.is_whitespace() || c == '=' {
                break;
            }
            name_end = at + c.len_utf8();
            chars.next();
        }
        let name = tag[start..name_end].to_ascii_lowercase();
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek().is_some_and(|(_, c)| *c == '=') {
            chars.next();
            while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                chars.next();
            }
            let quote = chars
                .peek()
                .map(|(_, c)| *c)
                .filter(|c| *c == '"' || *c == '\'');
            if quote.is_some() {
                chars.next();
            }
            for (_, c) in chars.by_ref() {
                let ends = match quote {
                    Some(quote) => c == quote,
                    None => c.is_whitespace(),
                };
                if ends {
                    break;
                }
                value.push(c);
            }
        }
        if !name.is_empty() {
            attributes.push((name, html_escape::decode_html_entities(&value).into_owned()));
        }
    }
    attributes
}

/// The start of a page's text, tags dropped, for error messages.
fn excerpt(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = html_escape::decode_html_entities(&text);
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut joined = words.join(" ");
    if joined.chars().count() > 200 {
        joined = joined.chars().take(200).collect::<String>() + "...";
    }
    if joined.is_empty() {
        "(empty page)".to_owned()
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<ul>
<li><form method="post" action="/signin" data-pipi="signin" data-user-id="1" data-user-name="jose"><input type="hidden" name="user_id" value="1"><input type="hidden" name="next" value="/api/oauth?app_id=4242&amp;x=1"><button type="submit">Sign in as Jos&eacute;</button></form></li>
<li><form method='post' action=/signin data-pipi=signin data-user-id="2" data-user-name="hanako"><input type="hidden" name="user_id" value="2" /><input type=submit></form></li>
</ul>
<form data-pipi="search"><input name="q"></form>"#;

    #[test]
    fn finds_forms_by_hook() {
        let forms = find_forms(PAGE, "signin");
        assert_eq!(forms.len(), 2);
        assert_eq!(forms[0].attribute("action"), Some("/signin"));
        assert_eq!(
            forms[0].fields,
            vec![
                ("user_id".to_owned(), "1".to_owned()),
                ("next".to_owned(), "/api/oauth?app_id=4242&x=1".to_owned()),
            ]
        );
        assert_eq!(forms[1].attribute("data-user-name"), Some("hanako"));
        assert_eq!(
            forms[1].fields,
            vec![("user_id".to_owned(), "2".to_owned())]
        );
        assert_eq!(find_forms(PAGE, "search")[0].fields[0].0, "q");
        assert!(find_forms(PAGE, "approve").is_empty());
    }

    #[test]
    fn chooses_by_id_or_handle() {
        let forms = find_forms(PAGE, "signin");
        assert_eq!(
            choose_person(&forms, None)
                .unwrap()
                .attribute("data-user-id"),
            Some("1")
        );
        assert_eq!(
            choose_person(&forms, Some("hanako"))
                .unwrap()
                .attribute("data-user-id"),
            Some("2")
        );
        assert_eq!(
            choose_person(&forms, Some("2"))
                .unwrap()
                .attribute("data-user-name"),
            Some("hanako")
        );
        let error = choose_person(&forms, Some("nobody"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("jose (id 1), hanako (id 2)"), "{error}");
    }

    #[test]
    fn the_jar_keeps_and_forgets() {
        let mut jar = CookieJar::default();
        assert_eq!(jar.header(), None);
        jar.store("xs=abc; Path=/; HttpOnly");
        jar.store("other=1");
        assert_eq!(jar.header().as_deref(), Some("xs=abc; other=1"));
        jar.store("xs=deleted; Path=/; Max-Age=0");
        assert_eq!(jar.header().as_deref(), Some("other=1"));
        jar.store("garbage");
        assert_eq!(jar.header().as_deref(), Some("other=1"));
    }

    #[test]
    fn excerpts_are_short_text() {
        assert_eq!(excerpt("<p>We&#039;re <b>sorry</b></p>"), "We're sorry");
        assert_eq!(excerpt(""), "(empty page)");
        assert!(excerpt(&"x ".repeat(500)).ends_with("..."));
    }

    #[test]
    fn urls_lose_their_keys_as_the_walker_shows_them() {
        assert_eq!(
            without_key("http://h/cb?src=cli?auth_key=abc"),
            "http://h/cb?src=cli?auth_key=[redacted]"
        );
        assert_eq!(
            without_key("http://h/cb?auth_key=abc&x=1&auth_key=def"),
            "http://h/cb?auth_key=[redacted]&x=1&auth_key=[redacted]"
        );
        assert_eq!(without_key("http://h/cb"), "http://h/cb");
    }

    #[test]
    fn outcome_debug_hides_the_key() {
        let outcome = WalkOutcome {
            final_url: "http://127.0.0.1:1/cb?auth_key=0123456789abcdef".to_owned(),
            status: 200,
            body: String::new(),
        };
        let debug = format!("{outcome:?}");
        assert!(!debug.contains("0123456789abcdef"));
        assert!(debug.contains("auth_key=[redacted]"));
    }
}
