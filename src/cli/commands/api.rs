//! `pipi api ENDPOINT`: any endpoint of the site's API, called with the cached token, its JSON
//! answer on stdout, as `gh api` does: for the endpoints forks of Sngine add, and whatever
//! later versions bring. Errors and exit codes are those of `whoami`.

use crate::cli::args::{ApiArgs, ApiMethod};
use crate::cli::exit::ExitCode;
use crate::cli::failure::Result;
use crate::cli::session;
use crate::cli::settings::Settings;
use pipi::{Client, Error, Method, Refusal};

pub fn run(settings: &Settings, args: &ApiArgs) -> Result<ExitCode> {
    let endpoint = endpoint_path(&args.endpoint)?;
    let output = crate::cli::output::JsonOutput::new(args.jq.jq.as_deref())?;
    let current = session::current_token(settings)?;
    let site = Client::new(&current.base_url, settings.http_timeout)?;
    let method = match args.method {
        ApiMethod::Get => Method::Get,
        ApiMethod::Post => Method::Post,
    };
    let answer = site
        .call(method, &endpoint, &current.token, &args.fields)
        .map_err(|e| explain_unknown_endpoint(e, &endpoint))
        .map_err(|e| current.explain(e, settings.profile()))?;
    if args.raw && !output.is_filtered() {
        crate::cli::output::print_body(&answer.raw)?;
    } else {
        output.print(&answer.json)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The endpoint as a path under `BASE/api/`, checked by the library, with the way to give
/// parameters on this command line.
fn endpoint_path(raw: &str) -> Result<String> {
    pipi::endpoint_path(raw).map_err(|e| {
        e.with_hint(
            "give the endpoint's name, such as get_user_info, and its parameters with -f \
             KEY=VALUE; the site comes from --base-url, PIPI_BASE_URL or the config file",
        )
        .into()
    })
}

/// Sngine answers `invalid parameters` for an endpoint it does not have.
fn explain_unknown_endpoint(err: Error, endpoint: &str) -> Error {
    if err.refusal() != Some(&Refusal::InvalidParameters) {
        return err;
    }
    Error::new(
        err.kind().clone(),
        format!("the site has no endpoint '{endpoint}', or it wants other parameters: {err:#}"),
    )
    .with_hint(
        "check the name and the parameters; every Sngine site has get_user_info, and forks add their own",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_plain_paths_under_the_api() {
        assert_eq!(endpoint_path("get_user_info").unwrap(), "get_user_info");
        assert_eq!(
            endpoint_path("/api/get_user_info").unwrap(),
            "get_user_info"
        );
        assert_eq!(endpoint_path("get_user_info/").unwrap(), "get_user_info");
        assert_eq!(endpoint_path("posts/list.v2").unwrap(), "posts/list.v2");
        for bad in [
            "",
            "/",
            "../admin",
            "a/../b",
            "a//b",
            "https://evil.example/api/x",
            "get_user_info?access_token=x",
            "a b",
            "a%2e%2e",
            "é",
        ] {
            let err = endpoint_path(bad).unwrap_err();
            assert_eq!(crate::cli::exit::code(&err), 2, "{bad}");
        }
    }
}
