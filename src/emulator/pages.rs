//! The HTML pages of the emulated site: home, sign-in, consent, errors. Small, valid and
//! escaped, with `data-pipi` hooks on the forms so that a headless walker can find them.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

/// The site's name, in titles and headings.
const SITE_NAME: &str = "PipiChat (emulated)";

/// One person offered on the sign-in page.
pub(crate) struct SigninChoice<'a> {
    pub user_id: &'a str,
    pub user_name: &'a str,
    pub display_name: String,
}

/// What the consent page needs to say.
pub(crate) struct Consent<'a> {
    pub app_id: &'a str,
    pub app_name: &'a str,
    pub app_domain: &'a str,
    pub display_name: &'a str,
    pub user_id: &'a str,
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} | {}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        text(title),
        text(SITE_NAME),
    )
}

pub(crate) fn home(signed_in_as: Option<&str>, oauth_url: &str) -> String {
    let who = match signed_in_as {
        Some(name) => format!(
            "<p data-pipi=\"signed-in\">Signed in as {}. <a href=\"/signout\">Sign out</a></p>",
            text(name)
        ),
        None => "<p data-pipi=\"signed-out\">Not signed in. <a href=\"/signin\">Sign in</a></p>"
            .to_owned(),
    };
    layout(
        "Home",
        &format!(
            "<h1>{}</h1>\n{who}\n<p><a href=\"{}\">Log in With PipiTrend</a></p>",
            text(SITE_NAME),
            attr(oauth_url)
        ),
    )
}

/// The sign-in page: one form per person; `next` is where to go once signed in.
pub(crate) fn signin(people: &[SigninChoice<'_>], next: &str, error: Option<&str>) -> String {
    let mut body = String::from("<h1>Sign in</h1>\n");
    if let Some(error) = error {
        body.push_str(&format!(
            "<p data-pipi=\"error\" role=\"alert\">{}</p>\n",
            text(error)
        ));
    }
    if people.is_empty() {
        body.push_str("<p>This site has no one to sign in as.</p>\n");
    }
    body.push_str("<ul>\n");
    for person in people {
        body.push_str(&format!(
            "<li><form method=\"post\" action=\"/signin\" data-pipi=\"signin\" \
             data-user-id=\"{id}\" data-user-name=\"{handle}\">\
             <input type=\"hidden\" name=\"user_id\" value=\"{id}\">\
             <input type=\"hidden\" name=\"next\" value=\"{next}\">\
             <button type=\"submit\">Sign in as {name} (@{handle_text})</button></form></li>\n",
            id = attr(person.user_id),
            handle = attr(person.user_name),
            next = attr(next),
            name = text(&person.display_name),
            handle_text = text(person.user_name),
        ));
    }
    body.push_str("</ul>");
    layout("Sign in", &body)
}

/// The consent page: the app, what it will receive, continue or cancel.
pub(crate) fn consent(consent: &Consent<'_>) -> String {
    let body = format!(
        "<h1>Log in With PipiTrend</h1>\n\
         <p><strong data-pipi=\"app-name\">{app}</strong> (<span data-pipi=\"app-domain\">{domain}</span>) \
         will receive your name, email address, profile picture.</p>\n\
         <form method=\"post\" action=\"/oauth/approve\" data-pipi=\"approve\" data-user-id=\"{user_id}\">\
         <input type=\"hidden\" name=\"app_id\" value=\"{app_id}\">\
         <button type=\"submit\">Continue as {name}</button></form>\n\
         <p><a href=\"/\" data-pipi=\"cancel\">Cancel</a></p>",
        app = text(consent.app_name),
        domain = text(consent.app_domain),
        user_id = attr(consent.user_id),
        app_id = attr(consent.app_id),
        name = text(consent.display_name),
    );
    layout("Log in With PipiTrend", &body)
}

/// The page Sngine shows for an unknown or disabled app, and for other dead ends.
pub(crate) fn error(message: &str) -> String {
    layout(
        "Error",
        &format!(
            "<h1>Error</h1>\n<p data-pipi=\"error\">{}</p>\n<p><a href=\"/\">Home</a></p>",
            text(message)
        ),
    )
}

pub(crate) fn not_found() -> String {
    layout(
        "404 Not Found",
        "<h1>404 Not Found</h1>\n<p data-pipi=\"error\">The page you requested does not exist.</p>\n<p><a href=\"/\">Home</a></p>",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_dynamic_is_escaped() {
        let people = [SigninChoice {
            user_id: "1\"><script>",
            user_name: "<b>",
            display_name: "José O'Brien & <i>co</i>".to_owned(),
        }];
        let page = signin(&people, "/api/oauth?app_id=1&x=\"", Some("<oops>"));
        assert!(!page.contains("<script>"));
        assert!(!page.contains("<b>"));
        assert!(!page.contains("<i>"));
        assert!(!page.contains("<oops>"));
        assert!(page.contains("José O'Brien &amp; &lt;i&gt;co&lt;/i&gt;"));
        assert!(page.contains("value=\"/api/oauth?app_id=1&amp;x=&quot;\""));

        let page = consent(&Consent {
            app_id: "4242",
            app_name: "<app>",
            app_domain: "a&b",
            display_name: "José O'Brien",
            user_id: "1",
        });
        assert!(page.contains("&lt;app&gt;"));
        assert!(page.contains("a&amp;b"));
        assert!(page.contains("Continue as José O'Brien"));
        assert!(page.contains("will receive your name, email address, profile picture"));
        assert!(page.contains("<a href=\"/\" data-pipi=\"cancel\">Cancel</a>"));
    }
}
