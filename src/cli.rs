//! The command line, as clap types only; `commands` turns them into work.

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Exit codes:
  0    success
  1    failure (network, server, config, files)
  2    usage error
  4    authentication needed: no token, an expired token, or one the server refuses
  130  interrupted

Environment:
  PIPI_BASE_URL       base URL of the Sngine site [default: https://pipichat.com]
  PIPI_APP_ID         the app's id, from the site's developers dashboard
  PIPI_APP_SECRET     the app's secret (never a flag: it would show in ps and history)
  PIPI_REDIRECT_URL   the redirect URL registered for the app [default: http://127.0.0.1:8765/callback]
  PIPI_PROFILE        profile to use [default: default]
  PIPI_TOKEN_TTL      seconds a token lives [default: 60, what Sngine servers enforce]
  PIPI_ACCESS_TOKEN   a token to use instead of the cache (whoami, token, status)
  PIPI_BROWSER        command that opens the login page (the URL replaces %s or is appended); else BROWSER
  PIPI_CONFIG_DIR     where config.toml lives
  PIPI_CACHE_DIR      where tokens are cached
  PIPI_HTTP_TIMEOUT   seconds to wait for the site's answers [default: 30]";

/// Log in to PipiChat, or any Sngine site, from the terminal.
#[derive(Debug, Parser)]
#[command(name = "pipi", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Profile to use: each has its own site, app and token
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Base URL of the Sngine site [default: https://pipichat.com]
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in through the browser and cache the token
    #[command(after_help = "Examples:\n  pipi login\n  pipi login --profile work --timeout 60")]
    Login(LoginArgs),
    /// Print the profile of the logged-in person as JSON
    #[command(after_help = "Examples:\n  pipi whoami | jq -r .user_name\n  pipi whoami --raw")]
    Whoami(WhoamiArgs),
    /// Print the cached access token (no network)
    #[command(
        after_help = "Example:\n  curl \"https://pipichat.com/api/get_user_info?access_token=$(pipi token)\""
    )]
    Token,
    /// Say who is logged in, where, and for how long (no network)
    #[command(after_help = "Examples:\n  pipi status\n  pipi status --json | jq .expires_at")]
    Status(StatusArgs),
    /// Forget the cached token and profile snapshot
    Logout,
    /// Run an emulated Sngine site on this machine, to develop and test against offline
    #[command(
        after_help = "Example:\n  pipi mock --port 0 --fault user_info=slow\n\n\
        It prints the export lines that point pipi at it."
    )]
    Mock(MockArgs),
    /// Show the whole login flow against a built-in emulated site, offline
    #[command(
        after_help = "Example:\n  pipi demo --no-browser | jq -r .user_name\n\n\
        It never touches your config or token cache."
    )]
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Seconds to wait for the browser to come back
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,

    /// Also print the profile as JSON on stdout
    #[arg(long)]
    pub json: bool,

    /// Start no browser: print the login URL to open anywhere (a laptop, a phone), then
    /// take the address the browser was sent to, or its key, pasted on stdin
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// Print the server's answer as received, entities and all
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
pub struct MockArgs {
    /// Port to listen on, on 127.0.0.1; 0 picks a free one
    #[arg(long, default_value_t = MOCK_PORT)]
    pub port: u16,

    /// Seconds a token lives (real servers: 60)
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub token_ttl: u64,

    /// Which Sngine generation /api/authorize behaves like: get (up to 4.0.3), post (4.0.4 and later) or both
    #[arg(long, value_name = "GEN", default_value = "both", value_parser = ["get", "post", "both"])]
    pub generation: String,

    /// The registered app's id
    #[arg(long, value_name = "ID")]
    pub app_id: Option<String>,

    /// The registered app's secret (a fake one: this is the emulator's own)
    #[arg(long, value_name = "SECRET")]
    pub app_secret: Option<String>,

    /// The app's registered redirect URL, where the site sends the browser
    #[arg(long, value_name = "URL")]
    pub redirect_url: Option<String>,

    /// Count every browser as signed in as this person (a user_id or handle)
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,

    /// Skip the sign-in and consent pages: /api/oauth redirects at once
    #[arg(long)]
    pub auto_approve: bool,

    /// Load the people from a JSON file (an array of user_info objects)
    #[arg(long, value_name = "FILE")]
    pub users: Option<std::path::PathBuf>,

    /// Make an endpoint misbehave: authorize or user_info = html500, reset, slow, badjson, empty, redirect, or deleted (user_info)
    #[arg(long, value_name = "ENDPOINT=KIND")]
    pub fault: Vec<String>,

    /// Milliseconds added before every answer
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,
}

/// The port `pipi mock` listens on by default, next to the default redirect URL's 8765.
pub const MOCK_PORT: u16 = 8764;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Walk the sign-in and consent pages with the built-in HTTP client, even if a browser could be opened
    #[arg(long)]
    pub no_browser: bool,

    /// Seconds to wait for the browser to come back
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print the status as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
