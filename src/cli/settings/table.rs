//! Every setting pipi has, described once: its name, flag, environment variable, config
//! key, default and check. `--help` and `pipi man` list the environment from it, `pipi
//! config` takes its keys, examples and checks from it, and the settings are resolved by it.

use pipi::{is_loopback, normalize_base_url};
use std::time::Duration;
use url::Url;

/// One setting.
#[derive(Debug)]
pub struct Setting {
    /// Its name, which is also its key in the config file when it has one there.
    pub name: &'static str,
    /// The flag that sets it, if any (a secret never has one: `ps` would show it).
    pub flag: Option<&'static str>,
    /// The environment variable that sets it.
    pub env: &'static str,
    /// Whether a profile's table in the config file may hold it.
    pub in_config: bool,
    /// The value when it is set nowhere.
    pub default: Option<&'static str>,
    /// What it does, for `--help` and the man page, on one line: clap wraps it.
    pub about: &'static str,
    /// A value to show in hints.
    pub example: &'static str,
    /// Whether its value is secret: masked unless asked for.
    pub secret: bool,
    /// Checks a value and gives it its type and its one spelling.
    pub check: Check,
}

/// How a setting's value is checked, and what it becomes.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// Text, in one spelling (a base URL normalized, an id trimmed).
    Text(fn(&str) -> Result<Checked<String>, Invalid>),
    /// A number of seconds, kept in the config file as a number.
    Seconds(fn(&str) -> Result<Checked<Duration>, Invalid>),
}

/// A value that passed its check: as it is kept, and what the person should know about it.
#[derive(Debug, PartialEq, Eq)]
pub struct Checked<T> {
    pub value: T,
    pub warnings: Vec<String>,
}

/// A value as the config file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Seconds(u64),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Text(s) => f.write_str(s),
            Value::Seconds(n) => write!(f, "{n}"),
        }
    }
}

impl Setting {
    /// Checks a value as the config file would keep it.
    pub fn check(&self, value: &str) -> Result<Checked<Value>, Invalid> {
        let (value, warnings) = match self.check {
            Check::Text(check) => {
                let c = check(value)?;
                (Value::Text(c.value), c.warnings)
            }
            Check::Seconds(check) => {
                let c = check(value)?;
                (Value::Seconds(c.value.as_secs()), c.warnings)
            }
        };
        Ok(Checked { value, warnings })
    }
}

/// Why a value was refused, and what would be right. A secret is never repeated here.
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid {
    pub message: String,
    pub hint: String,
}

impl<T> Checked<T> {
    fn plain(value: impl Into<T>) -> Result<Checked<T>, Invalid> {
        Ok(Checked {
            value: value.into(),
            warnings: Vec::new(),
        })
    }
}

/// The longest lifetime or timeout pipi takes: a year, far beyond what any site gives.
pub const MAX_SECONDS: u64 = 365 * 24 * 3600;

pub const PROFILE: &Setting = &Setting {
    name: "profile",
    flag: Some("--profile"),
    env: "PIPI_PROFILE",
    in_config: false,
    default: Some("default"),
    about: "profile to use",
    example: "work",
    secret: false,
    check: Check::Text(check_profile),
};

pub const BASE_URL: &Setting = &Setting {
    name: "base-url",
    flag: Some("--base-url"),
    env: "PIPI_BASE_URL",
    in_config: true,
    default: Some("https://pipichat.com"),
    about: "the Sngine site's address",
    example: "https://pipichat.com",
    secret: false,
    check: Check::Text(check_base_url),
};

pub const APP_ID: &Setting = &Setting {
    name: "app-id",
    flag: None,
    env: "PIPI_APP_ID",
    in_config: true,
    default: None,
    about: "the app's id, from the site's developers dashboard",
    example: "123",
    secret: false,
    check: Check::Text(check_app_id),
};

pub const APP_SECRET: &Setting = &Setting {
    name: "app-secret",
    flag: None,
    env: "PIPI_APP_SECRET",
    in_config: true,
    default: None,
    about: "the app's secret (never a flag: ps and the shell's history would show it)",
    example: "(leave it out, and type or pipe it in)",
    secret: true,
    check: Check::Text(check_app_secret),
};

pub const APP_SECRET_COMMAND: &Setting = &Setting {
    name: "app-secret-command",
    flag: None,
    env: "PIPI_APP_SECRET_COMMAND",
    in_config: true,
    default: None,
    about: "a command that prints the app secret (a password manager), run by sh -c when a login needs it; app-secret wins over it at the same level",
    example: "'pass show pipichat/app-secret'",
    secret: false,
    check: Check::Text(check_command),
};

pub const REDIRECT_URL: &Setting = &Setting {
    name: "redirect-url",
    flag: None,
    env: "PIPI_REDIRECT_URL",
    in_config: true,
    default: Some("http://127.0.0.1:8765/callback"),
    about: "the redirect URL registered for the app",
    example: "http://127.0.0.1:8765/callback",
    secret: false,
    check: Check::Text(check_redirect_url),
};

pub const TOKEN_TTL: &Setting = &Setting {
    name: "token-ttl",
    flag: None,
    env: "PIPI_TOKEN_TTL",
    in_config: true,
    default: Some("60"),
    about: "seconds a token lives (60 is what Sngine enforces)",
    example: "60",
    secret: false,
    check: Check::Seconds(check_token_ttl),
};

pub const ACCESS_TOKEN: &Setting = &Setting {
    name: "access-token",
    flag: None,
    env: "PIPI_ACCESS_TOKEN",
    in_config: false,
    default: None,
    about: "a token to use instead of the cache (whoami, token, status, api)",
    example: "0123456789abcdef0123456789abcdef",
    secret: true,
    check: Check::Text(any_text),
};

pub const BROWSER: &Setting = &Setting {
    name: "browser",
    flag: None,
    env: "PIPI_BROWSER",
    in_config: false,
    default: None,
    about: "commands that open the login page, separated by ':' and tried in turn (the URL replaces %s or is appended); else BROWSER",
    example: "firefox",
    secret: false,
    check: Check::Text(any_text),
};

pub const CONFIG_DIR: &Setting = &Setting {
    name: "config-dir",
    flag: None,
    env: "PIPI_CONFIG_DIR",
    in_config: false,
    default: None,
    about: "where config.toml lives",
    example: "~/.config/pipi",
    secret: false,
    check: Check::Text(any_text),
};

pub const CACHE_DIR: &Setting = &Setting {
    name: "cache-dir",
    flag: None,
    env: "PIPI_CACHE_DIR",
    in_config: false,
    default: None,
    about: "where tokens are cached",
    example: "~/.cache/pipi",
    secret: false,
    check: Check::Text(any_text),
};

pub const HTTP_TIMEOUT: &Setting = &Setting {
    name: "http-timeout",
    flag: None,
    env: "PIPI_HTTP_TIMEOUT",
    in_config: false,
    default: Some("30"),
    about: "seconds each request to the site may take, its whole answer included",
    example: "30",
    secret: false,
    check: Check::Seconds(check_seconds),
};

pub const DEBUG: &Setting = &Setting {
    name: "debug",
    flag: Some("-v"),
    env: "PIPI_DEBUG",
    in_config: false,
    default: None,
    about: "1 logs each step on stderr as -v does, 2 as -vv; secrets are always redacted",
    example: "1",
    secret: false,
    check: Check::Text(any_text),
};

pub const NO_COLOR: &Setting = &Setting {
    name: "no-color",
    flag: None,
    env: "NO_COLOR",
    in_config: false,
    default: None,
    about: "set and not empty: no colour on stderr",
    example: "1",
    secret: false,
    check: Check::Text(any_text),
};

/// Every setting, in the order they are listed.
pub const SETTINGS: &[&Setting] = &[
    BASE_URL,
    APP_ID,
    APP_SECRET,
    APP_SECRET_COMMAND,
    REDIRECT_URL,
    PROFILE,
    TOKEN_TTL,
    ACCESS_TOKEN,
    BROWSER,
    CONFIG_DIR,
    CACHE_DIR,
    HTTP_TIMEOUT,
    DEBUG,
    NO_COLOR,
];

/// The settings a profile's table in the config file may hold.
pub fn config_settings() -> impl Iterator<Item = &'static Setting> {
    SETTINGS.iter().copied().filter(|s| s.in_config)
}

/// The config file's keys.
pub fn config_keys() -> Vec<&'static str> {
    config_settings().map(|s| s.name).collect()
}

/// The setting that a config key names.
pub fn by_config_key(key: &str) -> Option<&'static Setting> {
    config_settings().find(|s| s.name == key)
}

impl Setting {
    /// What it does, with its default, for `--help` and the man page.
    pub fn describe(&self) -> String {
        match self.default {
            Some(default) => format!("{} [default: {default}]", self.about),
            None => self.about.to_string(),
        }
    }
}

fn any_text(value: &str) -> Result<Checked<String>, Invalid> {
    Checked::plain(value)
}

fn invalid(message: String, hint: impl Into<String>) -> Invalid {
    Invalid {
        message,
        hint: hint.into(),
    }
}

/// Profile names become file names, so they are kept to a safe alphabet.
fn check_profile(name: &str) -> Result<Checked<String>, Invalid> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.starts_with('-');
    if !ok {
        return Err(invalid(
            format!("invalid profile name '{name}'"),
            "use letters, digits, '-' and '_' (at most 64)",
        ));
    }
    Checked::plain(name)
}

pub fn check_base_url(value: &str) -> Result<Checked<String>, Invalid> {
    match normalize_base_url(value) {
        Ok(url) => Checked::plain(url),
        Err(e) => Err(invalid(e.to_string(), e.hint().unwrap_or_default())),
    }
}

pub fn check_app_id(value: &str) -> Result<Checked<String>, Invalid> {
    let value = value.trim();
    let digits = !value.is_empty() && value.chars().all(|c| c.is_ascii_digit());
    if !digits || value.len() > 19 || value.chars().all(|c| c == '0') {
        return Err(invalid(
            format!("invalid app id '{value}': Sngine's app ids are whole numbers above 0"),
            "copy the id from the site's developers dashboard, such as 123",
        ));
    }
    Checked::plain(value)
}

fn check_app_secret(value: &str) -> Result<Checked<String>, Invalid> {
    let value = value.trim();
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "invalid app secret: it is empty or has spaces or control characters in it".into(),
            "copy the secret from the site's developers dashboard: 32 hexadecimal characters",
        ));
    }
    let mut checked = Checked::plain(value)?;
    if value.len() != 32 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
        checked.warnings.push(format!(
            "this app secret is {} characters long and Sngine's are 32 hexadecimal characters: check that it was copied whole",
            value.chars().count()
        ));
    }
    Ok(checked)
}

/// A command line for the shell: anything but blank.
fn check_command(value: &str) -> Result<Checked<String>, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(
            "the app-secret command is empty".into(),
            "give a command that prints the app secret, such as 'pass show pipichat/app-secret'",
        ));
    }
    Checked::plain(value)
}

/// A whole number of seconds from 1 to [`MAX_SECONDS`].
pub fn parse_seconds(value: &str) -> Result<u64, String> {
    match value.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_SECONDS).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{value}': expected a whole number of seconds from 1 to {MAX_SECONDS}"
        )),
    }
}

pub fn check_seconds(value: &str) -> Result<Checked<Duration>, Invalid> {
    let secs = parse_seconds(value)
        .map_err(|e| invalid(format!("invalid number of seconds {e}"), "such as 30"))?;
    Checked::plain(Duration::from_secs(secs))
}

pub fn check_token_ttl(value: &str) -> Result<Checked<Duration>, Invalid> {
    let enforced = TOKEN_TTL.default.unwrap_or("60");
    let secs = parse_seconds(value).map_err(|e| {
        invalid(
            format!("invalid token-ttl {e}"),
            format!("such as {enforced}, the lifetime Sngine servers give a token"),
        )
    })?;
    let mut warnings = Vec::new();
    if secs > enforced.parse().unwrap_or(60) {
        warnings.push(format!(
            "Sngine servers expire a token {enforced} seconds after they issue it, whatever this says; \
             past that pipi would keep a token the server refuses"
        ));
    }
    Ok(Checked {
        value: Duration::from_secs(secs),
        warnings,
    })
}

/// A redirect URL must parse and be http(s); one that pipi's listener cannot catch is kept,
/// with a warning saying what that means.
pub fn check_redirect_url(value: &str) -> Result<Checked<String>, Invalid> {
    let value = value.trim();
    let hint = "give the redirect URL registered for the app on the site, such as http://127.0.0.1:8765/callback";
    let url = Url::parse(value)
        .map_err(|e| invalid(format!("invalid redirect URL '{value}': {e}"), hint))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(
            format!(
                "invalid redirect URL '{value}': the scheme must be http or https, not {}",
                url.scheme()
            ),
            hint,
        ));
    }
    if url.host().is_none() {
        return Err(invalid(
            format!("invalid redirect URL '{value}': it has no host"),
            hint,
        ));
    }
    if url.fragment().is_some() {
        return Err(invalid(
            format!(
                "invalid redirect URL '{value}': the site appends ?auth_key=KEY to it, and after a '#' the key would never leave the browser"
            ),
            hint,
        ));
    }
    let mut checked = Checked::plain(value)?;
    if !is_loopback(&url) {
        checked.warnings.push(format!(
            "{value} is not on this machine (127.0.0.1, [::1] or localhost), so pipi cannot catch \
             the browser there: after you approve, copy the address the browser lands on (the one \
             with the auth_key in it) and paste it into pipi"
        ));
    } else if url.scheme() == "https" {
        checked.warnings.push(format!(
            "pipi listens on plain http, so it cannot catch the browser at {value}: register \
             http://{}/... for the app, or copy the address the browser lands on and paste it into pipi",
            url.host_str().unwrap_or("127.0.0.1")
        ));
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(invalid: Invalid) -> String {
        format!("{} / {}", invalid.message, invalid.hint)
    }

    fn text(checked: Result<Checked<String>, Invalid>) -> String {
        checked.unwrap().value
    }

    #[test]
    fn texts_are_one_line_each_for_the_help_to_wrap() {
        for setting in SETTINGS {
            assert!(!setting.about.contains('\n'), "{}", setting.name);
        }
    }

    #[test]
    fn names_and_variables_are_unique_and_keys_are_the_config_file_s() {
        let mut names: Vec<_> = SETTINGS.iter().map(|s| s.name).collect();
        let mut vars: Vec<_> = SETTINGS.iter().map(|s| s.env).collect();
        names.sort_unstable();
        names.dedup();
        vars.sort_unstable();
        vars.dedup();
        assert_eq!(names.len(), SETTINGS.len());
        assert_eq!(vars.len(), SETTINGS.len());
        assert_eq!(
            config_keys(),
            [
                "base-url",
                "app-id",
                "app-secret",
                "app-secret-command",
                "redirect-url",
                "token-ttl"
            ]
        );
        // Every default passes its own check.
        for setting in SETTINGS {
            if let Some(default) = setting.default {
                assert!(setting.check(default).is_ok(), "{}", setting.name);
            }
        }
    }

    #[test]
    fn good_values_are_kept_in_one_spelling() {
        assert_eq!(
            text(check_base_url(" https://pipichat.com/ ")),
            "https://pipichat.com"
        );
        assert_eq!(text(check_app_id("123")), "123");
        let ttl = check_token_ttl("60").unwrap();
        assert_eq!(ttl.value, Duration::from_secs(60));
        assert!(ttl.warnings.is_empty());
        assert!(
            check_app_secret(&"ab12".repeat(8))
                .unwrap()
                .warnings
                .is_empty()
        );
        let c = check_redirect_url("http://127.0.0.1:8765/callback?src=cli").unwrap();
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn bad_values_say_what_would_be_right() {
        let m = message(check_base_url("http://pipichat.com").unwrap_err());
        assert!(m.contains("https://pipichat.com"), "{m}");
        let m = message(check_app_id("12a").unwrap_err());
        assert!(
            m.contains("whole numbers") && m.contains("such as 123"),
            "{m}"
        );
        assert!(check_app_id("0").is_err());
        assert!(check_app_id("").is_err());
        let m = message(check_token_ttl("1h").unwrap_err());
        assert!(
            m.contains("whole number of seconds") && m.contains("60"),
            "{m}"
        );
        assert!(check_token_ttl("0").is_err());
        assert!(check_token_ttl("-5").is_err());
        assert!(check_seconds(&u64::MAX.to_string()).is_err());
        assert!(check_redirect_url("ftp://127.0.0.1/cb").is_err());
        assert!(check_redirect_url("127.0.0.1:8765/cb").is_err());
        assert!(check_redirect_url("http://127.0.0.1:8765/cb#x").is_err());
        assert!(check_profile("../x").is_err());
        assert!(check_profile("-x").is_err());
        assert!(check_profile("work_2").is_ok());
    }

    #[test]
    fn secrets_are_never_repeated_in_errors() {
        let m = message(check_app_secret("abc def").unwrap_err());
        assert!(!m.contains("abc"), "{m}");
    }

    #[test]
    fn warnings_explain_values_that_will_not_work_as_hoped() {
        let c = check_token_ttl("3600").unwrap();
        assert_eq!(c.value, Duration::from_secs(3600));
        assert!(c.warnings[0].contains("60 seconds"), "{:?}", c.warnings);
        let c = check_redirect_url("https://app.example/callback").unwrap();
        assert!(c.warnings[0].contains("paste"), "{:?}", c.warnings);
        let c = check_redirect_url("https://127.0.0.1:8765/cb").unwrap();
        assert!(c.warnings[0].contains("plain http"), "{:?}", c.warnings);
        let c = check_app_secret("short").unwrap();
        assert!(c.warnings[0].contains("5 characters"), "{:?}", c.warnings);
    }
}
