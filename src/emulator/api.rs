//! The JSON endpoints, `/api/authorize` and `/api/get_user_info`, with Sngine's checks in
//! Sngine's order and its English messages.

use serde_json::{Map, Value, json};

use super::config::Generation;
use super::params::{Params, is_blank};
use super::php_json;
use super::site::Site;
use super::state::{Exchange, TokenLookup};
use crate::http::{Request, Response};

pub(crate) const INVALID_PARAMETERS: &str = "Bad Request, invalid parameters";
pub(crate) const INVALID_APP_ID: &str = "Bad Request, invalid app_id";
pub(crate) const INVALID_APP_SECRET: &str = "Bad Request, invalid app_secret";
pub(crate) const INVALID_AUTH_KEY: &str = "Bad Request, invalid auth_key";
pub(crate) const UNKNOWN_APP: &str =
    "We're sorry, but the application you're trying to use doesn't exist or has been disabled";
pub(crate) const INVALID_ACCESS_TOKEN: &str = "Bad Request, invalid access_token";
pub(crate) const EXPIRED_ACCESS_TOKEN: &str = "Bad Request, expired access_token";
/// Sngine 4.x's wording; 2.7 said "This feature has been disabled by the admin".
pub(crate) const DEVELOPERS_DISABLED: &str = "The developers module has been disabled by the admin";

/// Every API answer: status 200 and JSON, errors included.
pub(crate) fn json_response(value: &Value) -> Response {
    Response::new(200, "application/json", php_json::encode(value))
}

pub(crate) fn error(message: &str) -> Value {
    json!({"error": true, "message": message})
}

/// `/api/authorize`: app_id, app_secret and auth_key, from where this generation reads them.
/// Fails only when the system's random source does.
pub(crate) fn authorize(site: &Site, request: &Request) -> std::io::Result<Value> {
    let params = authorize_params(site.config.generation, request);
    let app_id = params.get("app_id");
    if is_blank(app_id) {
        return Ok(error(INVALID_APP_ID));
    }
    let mut state = site.state();
    let Some(app) = state.app(app_id.unwrap_or_default()) else {
        return Ok(error(UNKNOWN_APP));
    };
    let app_id = app.app_id.clone();
    let app_secret = params.get("app_secret");
    if is_blank(app_secret) || app_secret != Some(app.app_secret.as_str()) {
        return Ok(error(INVALID_APP_SECRET));
    }
    let Some(auth_key) = params.get("auth_key").filter(|key| !is_blank(Some(key))) else {
        return Ok(error(INVALID_AUTH_KEY));
    };
    let exchange = state.exchange_auth_key(&app_id, auth_key)?;
    Ok(match exchange {
        Exchange::Token(token) => json!({"access_token": token}),
        Exchange::UnknownKey => error(INVALID_AUTH_KEY),
    })
}

/// Sngine up to 4.0.3 reads `$_GET`, 4.0.4 and later `$_POST`, which PHP fills only from a
/// POST with a form-encoded body; a JSON body leaves it empty.
fn authorize_params(generation: Generation, request: &Request) -> Params {
    let query = || Params::parse(&request.query);
    let body = || {
        if request.method == "POST" && is_form(request) {
            Params::parse(&request.body_text())
        } else {
            Params::default()
        }
    };
    match generation {
        Generation::Get => query(),
        Generation::Post => body(),
        Generation::Both => query().overlaid_with(&body()),
    }
}

fn is_form(request: &Request) -> bool {
    request.header("content-type").is_some_and(|value| {
        value.split(';').next().is_some_and(|kind| {
            kind.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    })
}

/// `/api/get_user_info`: the token from the query string, whatever the method.
/// `deleted` answers `[]` for any good token, as for a person who no longer exists.
pub(crate) fn get_user_info(site: &Site, request: &Request, deleted: bool) -> Value {
    let params = Params::parse(&request.query);
    let Some(token) = params
        .get("access_token")
        .filter(|token| !is_blank(Some(token)))
    else {
        return error(INVALID_ACCESS_TOKEN);
    };
    let state = site.state();
    let user_id = match state.lookup_token(token) {
        TokenLookup::Unknown => return error(INVALID_ACCESS_TOKEN),
        TokenLookup::Expired => return error(EXPIRED_ACCESS_TOKEN),
        TokenLookup::Valid { user_id } => user_id,
    };
    if deleted || state.is_deleted(&user_id) {
        return Value::Array(Vec::new());
    }
    match state.people.get(&user_id) {
        Some(person) => json!({"user_info": Value::Object(Map::clone(person))}),
        // The row is gone: the query found nothing and PHP encoded an empty array.
        None => Value::Array(Vec::new()),
    }
}

/// Any other `/api/...` endpoint.
pub(crate) fn unknown_endpoint() -> Value {
    error(INVALID_PARAMETERS)
}
