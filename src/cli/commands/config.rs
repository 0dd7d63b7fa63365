//! `pipi config`: the profile's settings in the config file, listed, read, changed and
//! removed. Values are checked on the way in, so that a mistake shows now, with what would be
//! right, rather than at the next login.

use crate::cli::args::{ConfigAction, ConfigArgs, ConfigKey};
use crate::cli::exit as error;
use crate::cli::output as ui;
use crate::cli::settings::{self, Locations, process_env};
use anyhow::Result;
use pipi::{ConfigFile, EditableConfig, ProfileConfig};
use pipi::{is_loopback, normalize_base_url};
use std::process::ExitCode;
use url::Url;

pub fn run(locations: &Locations, args: &ConfigArgs) -> Result<ExitCode> {
    match &args.action {
        ConfigAction::Path => {
            ui::print_data(&format!("{}\n", locations.config_path.display()))?;
        }
        ConfigAction::List { show_secrets } => list(locations, *show_secrets)?,
        ConfigAction::Get { key, show_secrets } => get(locations, *key, *show_secrets)?,
        ConfigAction::Set { key, value } => set(locations, *key, value.as_deref())?,
        ConfigAction::Unset { key } => unset(locations, *key)?,
    }
    Ok(ExitCode::SUCCESS)
}

const KEYS: [ConfigKey; 5] = [
    ConfigKey::BaseUrl,
    ConfigKey::AppId,
    ConfigKey::AppSecret,
    ConfigKey::RedirectUrl,
    ConfigKey::TokenTtl,
];

/// The key as written in the file.
fn name(key: ConfigKey) -> &'static str {
    match key {
        ConfigKey::BaseUrl => "base-url",
        ConfigKey::AppId => "app-id",
        ConfigKey::AppSecret => "app-secret",
        ConfigKey::RedirectUrl => "redirect-url",
        ConfigKey::TokenTtl => "token-ttl",
    }
}

/// The environment variable that wins over the key.
fn env_var(key: ConfigKey) -> &'static str {
    match key {
        ConfigKey::BaseUrl => "PIPI_BASE_URL",
        ConfigKey::AppId => "PIPI_APP_ID",
        ConfigKey::AppSecret => "PIPI_APP_SECRET",
        ConfigKey::RedirectUrl => "PIPI_REDIRECT_URL",
        ConfigKey::TokenTtl => "PIPI_TOKEN_TTL",
    }
}

/// What pipi uses when the key is set nowhere.
fn default_value(key: ConfigKey) -> Option<String> {
    match key {
        ConfigKey::BaseUrl => Some(settings::DEFAULT_BASE_URL.to_string()),
        ConfigKey::RedirectUrl => Some(settings::DEFAULT_REDIRECT_URL.to_string()),
        ConfigKey::TokenTtl => Some(settings::DEFAULT_TOKEN_TTL_SECS.to_string()),
        ConfigKey::AppId | ConfigKey::AppSecret => None,
    }
}

fn example(key: ConfigKey) -> &'static str {
    match key {
        ConfigKey::BaseUrl => "https://pipichat.com",
        ConfigKey::AppId => "123",
        ConfigKey::AppSecret => "(leave it out, and type or pipe it in)",
        ConfigKey::RedirectUrl => "http://127.0.0.1:8765/callback",
        ConfigKey::TokenTtl => "60",
    }
}

/// The key's value in the profile's table, the secret masked unless asked for.
fn stored(conf: &ProfileConfig, key: ConfigKey, show_secrets: bool) -> Option<String> {
    match key {
        ConfigKey::BaseUrl => conf.base_url.clone(),
        ConfigKey::AppId => conf.app_id.clone(),
        ConfigKey::AppSecret => conf.app_secret.as_ref().map(|s| {
            if show_secrets {
                s.expose().to_string()
            } else {
                pipi::redact::MASK.to_string()
            }
        }),
        ConfigKey::RedirectUrl => conf.redirect_url.clone(),
        ConfigKey::TokenTtl => conf.token_ttl.map(|n| n.to_string()),
    }
}

/// Tells the person when the environment overrides what the file says.
fn note_environment(key: ConfigKey) {
    let var = env_var(key);
    if process_env(var).is_some() {
        ui::say(&format!(
            "note: {var} is set in the environment, and wins over {} in the config file",
            name(key)
        ));
    }
}

fn list(locations: &Locations, show_secrets: bool) -> Result<()> {
    let file = ConfigFile::load(&locations.config_path)?;
    let profile = locations.profile();
    let empty = ProfileConfig::default();
    let conf = file.profile(profile).unwrap_or(&empty);
    let mut text = String::new();
    for key in KEYS {
        if let Some(value) = stored(conf, key, show_secrets) {
            text.push_str(&format!("{} = {value}\n", name(key)));
            note_environment(key);
        }
    }
    if text.is_empty() {
        ui::say(&format!(
            "Nothing is set for profile '{profile}' in {}.",
            locations.config_path.display()
        ));
    }
    ui::print_data(&text)?;
    Ok(())
}

fn get(locations: &Locations, key: ConfigKey, show_secrets: bool) -> Result<()> {
    let file = ConfigFile::load(&locations.config_path)?;
    let profile = locations.profile();
    let value = file
        .profile(profile)
        .and_then(|conf| stored(conf, key, show_secrets));
    let Some(value) = value else {
        let var = env_var(key);
        let hint = if process_env(var).is_some() {
            format!("{var} is set in the environment, and that is what pipi uses")
        } else if let Some(default) = default_value(key) {
            format!(
                "pipi uses the default, {default}; to change it: pipi config set {} VALUE",
                name(key)
            )
        } else if key == ConfigKey::AppSecret {
            "set it with: pipi config set app-secret (it asks for the secret)".to_string()
        } else {
            format!("set it with: pipi config set {} VALUE", name(key))
        };
        return Err(error::hinted(
            format!(
                "{} is not set for profile '{profile}' in {}",
                name(key),
                locations.config_path.display()
            ),
            hint,
        ));
    };
    note_environment(key);
    ui::print_data(&format!("{value}\n"))?;
    Ok(())
}

fn set(locations: &Locations, key: ConfigKey, value: Option<&str>) -> Result<()> {
    let profile = locations.profile();
    let secret;
    let raw = match (key, value) {
        (ConfigKey::AppSecret, None) => {
            secret = crate::cli::secret_input::read_secret(
                &format!("App secret for profile '{profile}' (typing is hidden): "),
                "app secret",
            )?;
            secret.expose()
        }
        (ConfigKey::AppSecret, Some(value)) => {
            ui::warn(
                "a secret given on the command line can be kept in the shell's history and seen \
                 in the process list; next time leave it out, and type or pipe it in",
            );
            value
        }
        (_, Some(value)) => value,
        (_, None) => {
            return Err(error::usage(
                format!("'pipi config set {}' needs a value", name(key)),
                format!("such as: pipi config set {} {}", name(key), example(key)),
            ));
        }
    };
    let checked = check(key, raw)?;
    for warning in &checked.warnings {
        ui::warn(warning);
    }
    let mut file = EditableConfig::load(&locations.config_path)?;
    match checked.value {
        Value::Text(text) => file.set_text(profile, name(key), &text)?,
        Value::Number(n) => file.set_number(profile, name(key), n)?,
    }
    file.save()?;
    let shown = if key == ConfigKey::AppSecret {
        pipi::redact::MASK.to_string()
    } else {
        checked.shown
    };
    ui::say(&format!(
        "Set {} = {shown} for profile '{profile}' in {}.",
        name(key),
        locations.config_path.display()
    ));
    note_environment(key);
    Ok(())
}

fn unset(locations: &Locations, key: ConfigKey) -> Result<()> {
    let profile = locations.profile();
    let path = locations.config_path.display();
    let mut file = EditableConfig::load(&locations.config_path)?;
    if !file.unset(profile, name(key)) {
        ui::say(&format!(
            "{} is not set for profile '{profile}' in {path}: nothing to remove.",
            name(key)
        ));
        return Ok(());
    }
    file.save()?;
    ui::say(&format!(
        "Removed {} from profile '{profile}' in {path}.",
        name(key)
    ));
    Ok(())
}

/// A value as the file holds it.
#[derive(Debug, PartialEq, Eq)]
enum Value {
    Text(String),
    Number(i64),
}

/// A value fit for the file, how to show it, and what the person should know about it.
#[derive(Debug)]
struct Checked {
    value: Value,
    shown: String,
    warnings: Vec<String>,
}

impl Checked {
    fn text(value: String) -> Checked {
        Checked {
            value: Value::Text(value.clone()),
            shown: value,
            warnings: Vec::new(),
        }
    }
}

/// Checks a value for `key`; an error says what is wrong and what would be right. The app
/// secret is never repeated in a message.
fn check(key: ConfigKey, raw: &str) -> Result<Checked> {
    let value = raw.trim();
    match key {
        ConfigKey::BaseUrl => Ok(normalize_base_url(value).map(Checked::text)?),
        ConfigKey::AppId => {
            let digits = !value.is_empty() && value.chars().all(|c| c.is_ascii_digit());
            if !digits || value.len() > 19 || value.chars().all(|c| c == '0') {
                return Err(error::hinted(
                    format!("invalid app id '{value}': Sngine's app ids are whole numbers above 0"),
                    "copy the id from the site's developers dashboard, such as 123",
                ));
            }
            Ok(Checked::text(value.to_string()))
        }
        ConfigKey::AppSecret => {
            if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(error::hinted(
                    "invalid app secret: it is empty or has spaces or control characters in it",
                    "copy the secret from the site's developers dashboard: 32 hexadecimal characters",
                ));
            }
            let mut checked = Checked::text(value.to_string());
            if value.len() != 32 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
                checked.warnings.push(format!(
                    "this app secret is {} characters long and Sngine's are 32 hexadecimal characters: check that it was copied whole",
                    value.chars().count()
                ));
            }
            Ok(checked)
        }
        ConfigKey::RedirectUrl => check_redirect_url(value),
        ConfigKey::TokenTtl => {
            let secs = settings::parse_seconds(value, "token-ttl").map_err(|e| {
                error::hinted(
                    format!("{e:#}"),
                    format!(
                        "such as {}, the lifetime Sngine servers give a token",
                        settings::DEFAULT_TOKEN_TTL_SECS
                    ),
                )
            })?;
            let mut checked = Checked {
                value: Value::Number(i64::try_from(secs).unwrap_or(i64::MAX)),
                shown: secs.to_string(),
                warnings: Vec::new(),
            };
            if secs > settings::DEFAULT_TOKEN_TTL_SECS {
                checked.warnings.push(format!(
                    "Sngine servers expire a token {} seconds after they issue it, whatever this says; \
                     past that pipi would keep a token the server refuses",
                    settings::DEFAULT_TOKEN_TTL_SECS
                ));
            }
            Ok(checked)
        }
    }
}

/// A redirect URL must parse and be http(s); one that pipi's listener cannot catch is kept,
/// with a warning saying what that means.
fn check_redirect_url(value: &str) -> Result<Checked> {
    let hint = "give the redirect URL registered for the app on the site, such as http://127.0.0.1:8765/callback";
    let url = Url::parse(value)
        .map_err(|e| error::hinted(format!("invalid redirect URL '{value}': {e}"), hint))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(error::hinted(
            format!(
                "invalid redirect URL '{value}': the scheme must be http or https, not {}",
                url.scheme()
            ),
            hint,
        ));
    }
    if url.host().is_none() {
        return Err(error::hinted(
            format!("invalid redirect URL '{value}': it has no host"),
            hint,
        ));
    }
    if url.fragment().is_some() {
        return Err(error::hinted(
            format!(
                "invalid redirect URL '{value}': the site appends ?auth_key=KEY to it, and after a '#' the key would never leave the browser"
            ),
            hint,
        ));
    }
    let mut checked = Checked::text(value.to_string());
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

    fn message(err: anyhow::Error) -> String {
        let c = error::classification(&err).unwrap();
        format!("{c} / {}", c.hint().unwrap_or_default())
    }

    #[test]
    fn good_values_are_kept_in_one_spelling() {
        let c = check(ConfigKey::BaseUrl, " https://pipichat.com/ ").unwrap();
        assert_eq!(c.shown, "https://pipichat.com");
        assert_eq!(check(ConfigKey::AppId, "123").unwrap().shown, "123");
        let ttl = check(ConfigKey::TokenTtl, "60").unwrap();
        assert_eq!(ttl.value, Value::Number(60));
        assert!(ttl.warnings.is_empty());
        let c = check(ConfigKey::AppSecret, &"ab12".repeat(8)).unwrap();
        assert!(c.warnings.is_empty());
        let c = check(
            ConfigKey::RedirectUrl,
            "http://127.0.0.1:8765/callback?src=cli",
        )
        .unwrap();
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn bad_values_say_what_would_be_right() {
        let m = message(check(ConfigKey::BaseUrl, "http://pipichat.com").unwrap_err());
        assert!(m.contains("https://pipichat.com"), "{m}");
        let m = message(check(ConfigKey::AppId, "12a").unwrap_err());
        assert!(
            m.contains("whole numbers") && m.contains("such as 123"),
            "{m}"
        );
        assert!(check(ConfigKey::AppId, "0").is_err());
        assert!(check(ConfigKey::AppId, "").is_err());
        let m = message(check(ConfigKey::TokenTtl, "1h").unwrap_err());
        assert!(
            m.contains("whole number of seconds") && m.contains("60"),
            "{m}"
        );
        assert!(check(ConfigKey::TokenTtl, "0").is_err());
        assert!(check(ConfigKey::TokenTtl, "-5").is_err());
        assert!(check(ConfigKey::RedirectUrl, "ftp://127.0.0.1/cb").is_err());
        assert!(check(ConfigKey::RedirectUrl, "127.0.0.1:8765/cb").is_err());
        assert!(check(ConfigKey::RedirectUrl, "http://127.0.0.1:8765/cb#x").is_err());
    }

    #[test]
    fn secrets_are_never_repeated_in_errors() {
        let m = message(check(ConfigKey::AppSecret, "abc def").unwrap_err());
        assert!(!m.contains("abc"), "{m}");
        let c = check(ConfigKey::AppSecret, "short1234").unwrap();
        assert!(!c.warnings[0].contains("short1234"), "{:?}", c.warnings);
        assert!(c.warnings[0].contains("9 characters"), "{:?}", c.warnings);
    }

    #[test]
    fn redirect_urls_pipi_cannot_catch_are_kept_with_a_warning() {
        let c = check(ConfigKey::RedirectUrl, "https://example.org/pipi").unwrap();
        assert!(c.warnings[0].contains("paste"), "{:?}", c.warnings);
        let c = check(ConfigKey::RedirectUrl, "https://127.0.0.1:8765/cb").unwrap();
        assert!(c.warnings[0].contains("plain http"), "{:?}", c.warnings);
    }

    #[test]
    fn long_token_lifetimes_are_kept_with_a_warning() {
        let c = check(ConfigKey::TokenTtl, "3600").unwrap();
        assert_eq!(c.value, Value::Number(3600));
        assert_eq!(c.warnings.len(), 1);
    }
}
