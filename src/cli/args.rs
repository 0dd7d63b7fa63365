//! The command line, as clap types only; `commands` turns them into work.
//!
//! The exit codes (`exit::CODES`) and the settings (`settings::table`) are described once,
//! as data: the top-level `--help` and the man page are both made from them.

use super::exit;
use super::settings::table::{self, MAX_SECONDS, SETTINGS};
use clap::builder::PossibleValuesParser;
use clap::{ArgAction, ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueEnum};
use pipi::emulator::{Fault, Generation};

/// Every environment variable pipi reads and what it does, from the settings table.
pub fn environment() -> Vec<(&'static str, String)> {
    SETTINGS.iter().map(|s| (s.env, s.describe())).collect()
}

/// A two-column list for `--help`, 80 columns wide, its text wrapped and continuation
/// lines indented under it. Clap leaves the help's closing part as it is given: it wraps
/// its own columns only.
fn columns<T: AsRef<str>>(rows: &[(&str, T)]) -> String {
    let width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0) + 2;
    let mut text = String::new();
    for (name, meaning) in rows {
        for (i, line) in wrap(meaning.as_ref(), 80 - 2 - width).iter().enumerate() {
            let first = if i == 0 { *name } else { "" };
            text.push_str(&format!("  {first:<width$}{line}\n"));
        }
    }
    text
}

/// `text` in lines of at most `width` columns, broken between words; a `[default: ...]`
/// stays whole.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut rest = paragraph;
        while !rest.is_empty() {
            let end = if rest.starts_with("[default:") {
                rest.find(']').map_or(rest.len(), |i| i + 1)
            } else {
                rest.find(' ').unwrap_or(rest.len())
            };
            let word = &rest[..end];
            rest = rest[end..].trim_start_matches(' ');
            if !line.is_empty() && line.len() + 1 + word.len() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// The top-level help's closing part: exit codes and environment variables.
pub fn after_help() -> String {
    format!(
        "Exit codes:\n{}\nEnvironment:\n{}\nSee 'pipi COMMAND --help' for examples, and 'pipi man' for the whole manual.",
        columns(exit::CODES),
        columns(&environment())
    )
}

/// Log in to PipiChat, or any Sngine site, from the terminal.
///
/// 'pipi login' opens the site's login page in the browser, catches the redirect on this
/// machine, trades the one-time key for an access token and caches it; 'pipi whoami' and 'pipi
/// api' call the site with it, and 'pipi token' prints it for scripts. Sngine tokens live one
/// minute. Each profile has its own site, app and token.
#[derive(Debug, Parser)]
#[command(name = "pipi", version)]
pub struct Cli {
    /// Profile to use: each has its own site, app and token
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Base URL of the Sngine site [default: https://pipichat.com]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Log each step on stderr, secrets redacted; -vv also logs the server's answers
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// A subcommand's own arguments, defined only once that subcommand is the one given: clap
/// then builds one command's arguments instead of every command's, which was a fifth of
/// what `pipi token` did. `pipi man` and the completions build the whole tree as before.
#[derive(Debug)]
pub struct Deferred<T>(pub T);

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

impl<T: Args> Args for Deferred<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        with_site_flags(cmd).defer(T::augment_args)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        with_site_flags(cmd).defer(T::augment_args_for_update)
    }
}

/// A command that stands apart from profiles and sites (`mock`, `demo`, `completions`):
/// its arguments deferred as `Deferred`'s are, without `--profile` and `--base-url`, so that
/// its help, the man page and the completions do not offer what it would refuse.
#[derive(Debug)]
pub struct Apart<T>(pub T);

impl<T: FromArgMatches> FromArgMatches for Apart<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Apart)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

impl<T: Args> Args for Apart<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(T::augment_args)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(T::augment_args_for_update)
    }
}

/// `--profile` and `--base-url` on a command that uses them, global below it so that
/// `config list --profile work` takes them too; `pipi --profile work CMD` is the top
/// level's own. Clap's id, the flag, its value's name and its help.
const SITE_FLAGS: [(&str, &str, &str, &str); 2] = [
    (
        "profile",
        "profile",
        "NAME",
        "Profile to use: each has its own site, app and token",
    ),
    (
        "base_url",
        "base-url",
        "URL",
        "Base URL of the Sngine site [default: https://pipichat.com]",
    ),
];

fn with_site_flags(mut cmd: clap::Command) -> clap::Command {
    for (id, long, value_name, help) in SITE_FLAGS {
        cmd = cmd.arg(
            clap::Arg::new(id)
                .long(long)
                .value_name(value_name)
                .help(help)
                .global(true),
        );
    }
    cmd
}

/// The site flags given after the command's name (`pipi config list --profile work`), the
/// innermost first.
pub fn site_flags_below(matches: &ArgMatches) -> (Option<String>, Option<String>) {
    let Some((_, sub)) = matches.subcommand() else {
        return (None, None);
    };
    let (profile, base_url) = site_flags_below(sub);
    let own = |id: &str| sub.try_get_one::<String>(id).ok().flatten().cloned();
    (
        profile.or_else(|| own("profile")),
        base_url.or_else(|| own("base_url")),
    )
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in through the browser and cache the token
    #[command(after_help = "Examples:\n  pipi login\n  pipi login --profile work --timeout 60")]
    Login(Deferred<LoginArgs>),
    /// Print the profile of the logged-in person as JSON
    #[command(after_help = "Examples:\n  pipi whoami | jq -r .user_name\n  pipi whoami --raw")]
    Whoami(Deferred<WhoamiArgs>),
    /// Print the cached access token (no network), or with --login a live one
    #[command(after_help = "\
Examples:
  curl \"https://pipichat.com/api/get_user_info?access_token=$(pipi token)\"
  token=$(pipi token --login) || exit    (logs in only when no live token is cached)")]
    Token(Deferred<TokenArgs>),
    /// Run a command with a live token in its environment, logging in first if needed
    #[command(after_help = "\
The command gets PIPI_ACCESS_TOKEN and PIPI_BASE_URL in its environment, so that
any tool, and pipi itself, uses that token. pipi logs in first when no token is
cached or the cached one has less than --min-left seconds to live; a token alive
but too short-lived is waited out when that takes at most 11 seconds, else refused.
Runs of one profile take turns at logging in. On Unix the command then takes pipi's
place: its exit status is pipi's, and every signal (Ctrl-C, kill, a group kill)
reaches it once. 127 when it cannot be found, 126 when it cannot run. stdin is the
command's: the login never reads it.

Examples:
  pipi exec -- sh -c 'curl -s \"$PIPI_BASE_URL/api/get_user_info?access_token=$PIPI_ACCESS_TOKEN\"'
  pipi exec --profile work --min-left 30 -- ./sync-profile.py
  pipi exec -- pipi whoami --jq .user_name")]
    Exec(Deferred<ExecArgs>),
    /// Say who is logged in, where, and for how long (no network)
    #[command(after_help = "Examples:\n  pipi status\n  pipi status --json | jq .expires_at")]
    Status(Deferred<StatusArgs>),
    /// Forget the cached token and profile snapshot
    #[command(after_help = "Examples:\n  pipi logout\n  pipi logout --profile work")]
    Logout(Deferred<LogoutArgs>),
    /// Run an emulated Sngine site on this machine, to develop and test against offline
    #[command(after_help = "\
It prints the export lines that point pipi at it (--env-file writes them to a
file). Its admin API under /__pipi/ (health, users, apps, faults, settings,
clock, requests, reset) takes and gives JSON; off loopback it needs a bearer
token, from --admin-token or PIPI_MOCK_ADMIN_TOKEN.

Examples:
  pipi mock --port 0 --fault user_info=slow
  pipi mock --port 0 --print-port-to port --env-file mock.env &
  pipi mock --print-config > site.json; pipi mock --config site.json
  PIPI_MOCK_ADMIN_TOKEN=s3cret pipi mock --listen 0.0.0.0:8764")]
    Mock(Apart<Box<MockArgs>>),
    /// Show the whole login flow against a built-in emulated site, offline
    #[command(
        after_help = "Example:\n  pipi demo --no-browser | jq -r .user_name\n\n\
        It never touches your config or token cache."
    )]
    Demo(Apart<DemoArgs>),
    /// Call an endpoint of the site's API with the cached token and print its JSON answer
    #[command(after_help = "\
Examples:
  pipi api get_user_info
  pipi api get_user_info | jq -r .user_info.user_name
  pipi api some_fork_endpoint -f page=2 -f q=hello
  pipi api some_fork_endpoint --method POST -f text='hi there'")]
    Api(Deferred<ApiArgs>),
    /// Show and change the config file's settings, per profile
    #[command(after_help = "\
Examples:
  pipi config set base-url https://pipichat.com
  pipi config set app-id 123
  pipi config set app-secret          (asks for it, hidden)
  pass pipichat/secret | pipi config set app-secret
  pipi config set app-secret-command 'pass show pipichat/app-secret'
  pipi config list --profile work
  pipi config get base-url
  pipi config unset token-ttl
  $EDITOR \"$(pipi config path)\"")]
    Config(Deferred<ConfigArgs>),
    /// List the profiles, who is logged in on each, and for how long (no network)
    #[command(
        after_help = "Examples:\n  pipi profiles\n  pipi profiles --json | jq -r '.[].profile'"
    )]
    Profiles(Deferred<ProfilesArgs>),
    /// Print the completion script for a shell
    #[command(after_help = "\
Examples:
  pipi completions bash > ~/.local/share/bash-completion/completions/pipi
  pipi completions zsh > ~/.zfunc/_pipi          (with fpath+=(~/.zfunc) in ~/.zshrc)
  pipi completions fish > ~/.config/fish/completions/pipi.fish
  pipi completions powershell >> $PROFILE
  pipi completions elvish > ~/.config/elvish/lib/pipi.elv")]
    Completions(Apart<CompletionsArgs>),
    /// Print the manual page, in roff
    #[command(after_help = "\
Examples:
  pipi man | man -l -
  pipi man > ~/.local/share/man/man1/pipi.1")]
    Man,
}

impl Command {
    /// Whether the command may write a file or wait on something (a browser, a child, a
    /// server), and so must handle signals itself. Only commands that just read and print
    /// are left out; a new command counts as one that does.
    pub fn writes_or_waits(&self) -> bool {
        let logs_in = matches!(self, Command::Token(Deferred(args)) if args.login);
        logs_in
            || !matches!(
                self,
                Command::Token(_)
                    | Command::Whoami(_)
                    | Command::Status(_)
                    | Command::Api(_)
                    | Command::Profiles(_)
                    | Command::Completions(_)
                    | Command::Man
            )
    }
}

// `logout` takes only the site flags. A plain comment: a doc comment here would replace the
// command's summary in its help.
#[derive(Debug, Args)]
pub struct LogoutArgs {}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Seconds to wait for the browser to come back
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=MAX_WAIT_SECS))]
    pub timeout: u64,

    /// Also print the profile as JSON on stdout
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub jq: JqArgs,

    /// Start no browser: print the login URL to open anywhere (a laptop, a phone), then
    /// take the address the browser was sent to, or its key, pasted on stdin
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Log in first when no live token is cached (through the browser, as 'pipi login');
    /// with a live one, no request is made
    #[arg(long)]
    pub login: bool,

    /// With --login: log in also when the cached token has less than this to live
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_MIN_LEFT, requires = "login")]
    pub min_left: u64,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Log in first when the cached token has less than this to live
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_MIN_LEFT)]
    pub min_left: u64,

    /// Seconds to wait for the browser to come back, when a login is needed
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=MAX_WAIT_SECS))]
    pub timeout: u64,

    /// The command to run and its arguments, after --
    #[arg(
        value_name = "COMMAND",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_hint = clap::ValueHint::CommandWithArguments
    )]
    pub command: Vec<std::ffi::OsString>,
}

/// How long a token must still live for `exec` and `token --login` to use it.
pub const DEFAULT_MIN_LEFT: u64 = 10;

#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// Print the server's answer as received, entities and all
    #[arg(long)]
    pub raw: bool,

    #[command(flatten)]
    pub jq: JqArgs,
}

#[derive(Debug, Args)]
pub struct MockArgs {
    /// Port to listen on, on 127.0.0.1; 0 picks a free one
    #[arg(long, default_value_t = MOCK_PORT, conflicts_with = "listen")]
    pub port: u16,

    /// Address and port to listen on instead, e.g. 0.0.0.0:8764 in a container; off
    /// loopback the admin API needs --admin-token
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<std::net::SocketAddr>,

    /// The bearer token the admin API (/__pipi/) requires; also PIPI_MOCK_ADMIN_TOKEN
    #[arg(long, value_name = "TOKEN")]
    pub admin_token: Option<String>,

    /// Once serving, write the port to FILE (atomically), for a script to wait on
    #[arg(long, value_name = "FILE")]
    pub print_port_to: Option<std::path::PathBuf>,

    /// Once serving, write the export lines that point pipi at the site to FILE, for '. FILE'
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<std::path::PathBuf>,

    /// Set the site up from a JSON file of the admin API's shape (apps, users, faults,
    /// token_ttl, latency_ms); flags given too win
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// Print the site's setup as JSON, a file to start --config from, and exit
    #[arg(long)]
    pub print_config: bool,

    /// Show app secrets, keys and tokens in the request record /__pipi/requests gives
    #[arg(long)]
    pub log_secrets: bool,

    /// Seconds a token lives [default: 60, as real servers]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=MAX_SECONDS))]
    pub token_ttl: Option<u64>,

    /// Which Sngine generation /api/authorize behaves like: get (up to 4.0.3), post (4.0.4 and later) or both
    #[arg(long, value_name = "GEN", value_enum, default_value_t = SngineGeneration::Both)]
    pub generation: SngineGeneration,

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

    /// Make an endpoint misbehave: authorize or user_info = html500, reset, slow, stall, drip, badjson, truncated, invalid_utf8, nested, oversize, empty, redirect, deleted (user_info), or bad_token (authorize)
    #[arg(long, value_name = "ENDPOINT=KIND", value_parser = clap::value_parser!(Fault))]
    pub fault: Vec<Fault>,

    /// Milliseconds added before every answer [default: 0]
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub latency: Option<u64>,
}

/// Which Sngine generation the emulator's `/api/authorize` behaves like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SngineGeneration {
    /// Up to 4.0.3: the query string only
    Get,
    /// 4.0.4 and later: a form-encoded POST body only
    Post,
    /// Either
    Both,
}

impl From<SngineGeneration> for Generation {
    fn from(g: SngineGeneration) -> Generation {
        match g {
            SngineGeneration::Get => Generation::Get,
            SngineGeneration::Post => Generation::Post,
            SngineGeneration::Both => Generation::Both,
        }
    }
}

/// The longest a login waits for the browser: a day.
pub const MAX_WAIT_SECS: u64 = 24 * 3600;

/// The port `pipi mock` listens on by default, next to the default redirect URL's 8765.
pub const MOCK_PORT: u16 = 8764;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Walk the sign-in and consent pages with the built-in HTTP client, even if a browser could be opened
    #[arg(long)]
    pub no_browser: bool,

    /// Seconds to wait for the browser to come back
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=MAX_WAIT_SECS))]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print the status as JSON on stdout
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub jq: JqArgs,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The endpoint, as in BASE/api/ENDPOINT: get_user_info, or one a fork of Sngine adds
    #[arg(value_name = "ENDPOINT")]
    pub endpoint: String,

    /// A parameter to send, as KEY=VALUE; repeat for more
    #[arg(short = 'f', long = "field", value_name = "KEY=VALUE", value_parser = parse_field)]
    pub fields: Vec<(String, String)>,

    /// GET sends the parameters in the query string, as Sngine's API reads them; POST sends
    /// them as a form (the token stays in the query string)
    #[arg(short = 'X', long, value_enum, default_value_t = ApiMethod::Get)]
    pub method: ApiMethod,

    /// Print the server's answer as received instead of pretty-printed
    #[arg(long)]
    pub raw: bool,

    #[command(flatten)]
    pub jq: JqArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum ApiMethod {
    Get,
    Post,
}

/// `KEY=VALUE`, with a key that is not the token pipi adds itself.
fn parse_field(raw: &str) -> Result<(String, String), String> {
    let Some((key, value)) = raw.split_once('=') else {
        return Err(format!("expected KEY=VALUE, such as page=2, not '{raw}'"));
    };
    if key.is_empty() {
        return Err(format!("the key is empty in '{raw}': expected KEY=VALUE"));
    }
    if key == "access_token" {
        return Err(
            "pipi adds access_token itself from the cache; to use another token set PIPI_ACCESS_TOKEN"
                .to_string(),
        );
    }
    Ok((key.to_string(), value.to_string()))
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: ConfigAction,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the profile's settings from the config file, one KEY = VALUE a line
    #[command(
        after_help = "Examples:\n  pipi config list\n  pipi config list --profile work --show-secrets"
    )]
    List {
        /// Print the app secret instead of [redacted]
        #[arg(long)]
        show_secrets: bool,
    },
    /// Print one setting of the profile from the config file
    #[command(
        after_help = "Examples:\n  pipi config get base-url\n  pipi config get app-secret --show-secrets | wl-copy"
    )]
    Get {
        #[arg(value_parser = config_keys())]
        key: String,
        /// Print the app secret instead of [redacted]
        #[arg(long)]
        show_secrets: bool,
    },
    /// Check a value and save it in the profile's table of the config file
    #[command(after_help = "\
With no VALUE, app-secret is read from standard input (hidden on a terminal),
so that it never lands in the shell's history.

Examples:
  pipi config set base-url https://pipichat.com
  pipi config set app-id 123 --profile work
  pipi config set app-secret
  pass pipichat/app-secret | pipi config set app-secret
  pipi config set app-secret-command 'op read \"op://Private/PipiChat app/secret\"'

When a profile has both app-secret and app-secret-command, app-secret wins.")]
    Set {
        #[arg(value_parser = config_keys())]
        key: String,
        /// The value; leave it out for app-secret to type or pipe it in
        value: Option<String>,
    },
    /// Remove a setting from the profile's table of the config file
    #[command(after_help = "Example:\n  pipi config unset token-ttl --profile work")]
    Unset {
        #[arg(value_parser = config_keys())]
        key: String,
    },
    /// Print the config file's path
    #[command(after_help = "Example:\n  $EDITOR \"$(pipi config path)\"")]
    Path,
}

/// The keys of the config file, each with what it is, for `--help` and completion.
fn config_keys() -> PossibleValuesParser {
    PossibleValuesParser::new(
        table::config_settings().map(|s| clap::builder::PossibleValue::new(s.name).help(s.about)),
    )
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Print the profiles as a JSON array on stdout
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub jq: JqArgs,
}

// `--jq EXPR`, shared by every command that prints JSON. A plain comment: a doc comment on a
// flattened struct would replace the summary of every command that flattens it.
#[derive(Debug, Args)]
pub struct JqArgs {
    /// Filter the JSON with a jq expression, built in (no jq needed): each result on its
    /// own line, strings raw; implies --json where the command has it
    #[arg(long, value_name = "EXPR")]
    pub jq: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_environment_list_fits_80_columns() {
        let help = after_help();
        for line in help.lines() {
            assert!(line.len() <= 80, "{line}");
        }
        assert!(
            help.contains("[default: http://127.0.0.1:8765/callback]"),
            "{help}"
        );
    }

    proptest::proptest! {
        #[test]
        fn wrapping_keeps_every_word_in_order_within_the_width(
            words in proptest::collection::vec("[a-z]{1,12}", 0..40),
            width in 12usize..60,
        ) {
            let text = words.join(" ");
            let lines = wrap(&text, width);
            let joined = lines.join(" ");
            proptest::prop_assert_eq!(joined.trim(), text.as_str());
            for line in &lines {
                proptest::prop_assert!(line.len() <= width, "{:?}", line);
            }
        }
    }

    #[test]
    fn fields_are_key_value_pairs() {
        assert_eq!(parse_field("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert_eq!(parse_field("a="), Ok(("a".into(), String::new())));
        assert!(parse_field("a").is_err());
        assert!(parse_field("=b").is_err());
        assert!(parse_field("access_token=x").is_err());
    }

    #[test]
    fn every_environment_variable_is_in_the_help_within_80_columns() {
        let help = after_help();
        for (name, _) in environment() {
            assert!(help.contains(name), "{name}");
        }
        for line in help.lines() {
            assert!(line.chars().count() <= 80, "{line}");
        }
    }
}
