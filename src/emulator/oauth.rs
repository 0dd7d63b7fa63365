//! The browser side of "Log in With": `/api/oauth`, the sign-in and consent pages, and the
//! redirect that carries the auth key to the app.

use super::api::UNKNOWN_APP;
use super::config::App;
use super::pages::{self, Consent, SigninChoice};
use super::params::Params;
use super::site::{Site, html};
use super::users;
use crate::http::{Request, Response};

/// The session cookie, named as Sngine names it.
const SESSION_COOKIE: &str = "xs";

/// `/api/oauth?app_id=ID`.
pub(crate) fn oauth(site: &Site, request: &Request) -> Response {
    let query = Params::parse(&request.query);
    let Some(app_id) = query.get("app_id") else {
        return html(404, pages::not_found());
    };
    let Some(app) = site.state().app(app_id).cloned() else {
        return html(200, pages::error(UNKNOWN_APP));
    };
    let user = signed_in_user(site, request).or_else(|| {
        if site.config.auto_approve {
            first_person(site)
        } else {
            None
        }
    });
    let Some(user_id) = user else {
        return signin_response(site, &request.target(), None);
    };
    if site.config.auto_approve || site.state().is_approved(&app.app_id, &user_id) {
        return redirect_with_key(site, &app, &user_id);
    }
    let Some(person) = site.state().people.get(&user_id).cloned() else {
        return signin_response(site, &request.target(), None);
    };
    let display_name = users::display_name(&person);
    let page = pages::consent(&Consent {
        app_id: &app.app_id,
        app_name: &app.app_name,
        app_domain: &app_domain(&app.redirect_url),
        display_name: &display_name,
        user_id: &user_id,
    });
    html(200, page)
}

/// `POST /oauth/approve`: the consent page's "Continue as" button.
pub(crate) fn approve(site: &Site, request: &Request) -> Response {
    let form = Params::parse(&request.body_text());
    let app_id = form.get("app_id").unwrap_or_default();
    let Some(app) = site.state().app(app_id).cloned() else {
        return html(200, pages::error(UNKNOWN_APP));
    };
    let Some(user_id) = signed_in_user(site, request) else {
        // The session is gone; going through /api/oauth again shows the sign-in page.
        let oauth_path = format!("/api/oauth?app_id={}", app.app_id);
        return Response::redirect(&oauth_path);
    };
    site.state().approve(&app.app_id, &user_id);
    redirect_with_key(site, &app, &user_id)
}

/// `GET /signin`.
pub(crate) fn signin_page(site: &Site, request: &Request) -> Response {
    let query = Params::parse(&request.query);
    let next = safe_next(query.get("next").unwrap_or("/"));
    signin_response(site, next, None)
}

/// `POST /signin`: signs the browser in as the chosen person and sends it back.
pub(crate) fn signin(site: &Site, request: &Request) -> Response {
    let form = Params::parse(&request.body_text());
    let next = safe_next(form.get("next").unwrap_or("/")).to_owned();
    let chosen = form
        .get("user_id")
        .filter(|user_id| site.state().is_present(user_id));
    let Some(user_id) = chosen else {
        return signin_response(site, &next, Some("No one by that id can sign in here."));
    };
    match site.state().open_session(user_id) {
        Ok(session) => Response::redirect(&next).with_header(
            "Set-Cookie",
            &format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax"),
        ),
        Err(_) => html(500, pages::error("The site could not start a session.")),
    }
}

/// `/signout`: forgets the session.
pub(crate) fn signout(site: &Site, request: &Request) -> Response {
    if let Some(session) = session_cookie(request) {
        site.state().close_session(session);
    }
    Response::redirect("/").with_header(
        "Set-Cookie",
        &format!("{SESSION_COOKIE}=deleted; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
    )
}

/// `/`: who is signed in, and a "Log in With" link to try.
pub(crate) fn home(site: &Site, request: &Request) -> Response {
    let name = signed_in_user(site, request).and_then(|user_id| {
        let state = site.state();
        state
            .people
            .get(&user_id)
            .map(|person| users::display_name(person))
    });
    let oauth_path = format!("/api/oauth?app_id={}", site.config.app_id);
    html(200, pages::home(name.as_deref(), &oauth_path))
}

/// The 302 to the app: its redirect URL and the key glued on by plain string joining, as
/// Sngine builds it (no check for an existing `?`, no encoding).
fn redirect_with_key(site: &Site, app: &App, user_id: &str) -> Response {
    match site.state().issue_auth_key(&app.app_id, user_id) {
        Ok(key) => Response::redirect(&format!("{}?auth_key={key}", app.redirect_url)),
        Err(_) => html(500, pages::error("The site could not make a key.")),
    }
}

/// How many people the sign-in page offers; a site loaded with thousands shows the first.
const SIGNIN_CHOICES: usize = 200;

fn signin_response(site: &Site, next: &str, error: Option<&str>) -> Response {
    let state = site.state();
    let people: Vec<SigninChoice<'_>> = state
        .people
        .iter()
        .filter(|(user_id, _)| !state.is_deleted(user_id))
        .take(SIGNIN_CHOICES)
        .map(|(user_id, person)| SigninChoice {
            user_id,
            user_name: users::field(person, "user_name"),
            display_name: users::display_name(person),
        })
        .collect();
    html(200, pages::signin(&people, next, error))
}

/// Who this browser is signed in as: its session, else the configured `signed_in_user`;
/// deleted people are signed out.
fn signed_in_user(site: &Site, request: &Request) -> Option<String> {
    let state = site.state();
    let from_session = session_cookie(request).and_then(|session| state.session_user(session));
    from_session
        .or(site.config.signed_in_user.as_deref())
        .filter(|user_id| state.is_present(user_id))
        .map(str::to_owned)
}

fn first_person(site: &Site) -> Option<String> {
    let state = site.state();
    state
        .people
        .iter()
        .map(|(user_id, _)| user_id)
        .find(|user_id| !state.is_deleted(user_id))
        .map(str::to_owned)
}

fn session_cookie(request: &Request) -> Option<&str> {
    request
        .header("cookie")?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// Where a sign-in may send the browser: a path on this site, never another site.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

/// The host of the app's redirect URL, shown on the consent page.
fn app_domain(redirect_url: &str) -> String {
    url::Url::parse(redirect_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| redirect_url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_the_site() {
        assert_eq!(safe_next("/api/oauth?app_id=1"), "/api/oauth?app_id=1");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next(""), "/");
    }

    #[test]
    fn the_app_domain_comes_from_the_redirect_url() {
        assert_eq!(app_domain("http://127.0.0.1:8765/callback"), "127.0.0.1");
        assert_eq!(
            app_domain("https://app.example.com/cb?x=1"),
            "app.example.com"
        );
        assert_eq!(app_domain("not a url"), "not a url");
    }
}
