//! Settings for one run: each comes from a flag, else the environment, else the config file,
//! else a default, and remembers where it came from. What each setting is, is in `table`.

pub mod secret_command;
pub mod table;

use super::exit;
use super::failure::{Failure, Result};
use super::redaction;
use pipi::{ConfigFile, ConfigProfile, Secret};
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;
use table::Setting;

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = match table::PROFILE.default {
    Some(name) => name,
    None => "default",
};

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    ConfigFile,
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(name) => write!(f, "flag {name}"),
            Source::Env(name) => write!(f, "environment {name}"),
            Source::ConfigFile => f.write_str("config file"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

/// A setting checked once, when the settings are resolved: its typed value, or, when it
/// failed its check, the error that using it raises. That error waits for a command that
/// needs the value: `status` still reports on a profile whose base URL is broken, and
/// `whoami` needs no redirect URL.
pub type Usable<T> = Result<T, Unusable>;

/// A setting's value that failed its check.
#[derive(Debug, Clone)]
pub struct Unusable {
    /// The value as it was written, for `status` to show.
    written: String,
    message: String,
    hint: String,
}

impl Unusable {
    /// The error a command that needs the value stops with (exit 1).
    pub fn error(&self) -> Failure {
        exit::hinted(self.message.clone(), self.hint.clone())
    }
}

/// The flags that can override settings, as given on the command line.
#[derive(Debug, Default, Clone)]
pub struct Flags {
    pub profile: Option<String>,
    pub base_url: Option<String>,
}

/// Everything a command may need to know, resolved once before any work.
#[derive(Debug)]
pub struct Settings {
    pub profile: Sourced<String>,
    pub base_url: Sourced<Usable<String>>,
    pub app_id: Option<Sourced<Usable<String>>>,
    pub app_secret: Option<Sourced<AppSecret>>,
    /// The base URL the config file gives the profile alongside its app secret (or the
    /// command that gives it): the one site that secret may be sent to. In its one spelling,
    /// or as written when it fails its check.
    pub secret_site: Option<std::result::Result<String, String>>,
    pub redirect_url: Sourced<Usable<String>>,
    pub token_ttl: Sourced<Duration>,
    /// `PIPI_ACCESS_TOKEN`: used instead of the cache by whoami, token and status.
    pub env_token: Option<Secret>,
    pub config_path: PathBuf,
    pub cache_dir: PathBuf,
    pub http_timeout: Duration,
}

/// Where the app secret comes from: given as it is, or printed by a command (a password
/// manager), which runs only when a login needs it.
#[derive(Debug, Clone)]
pub enum AppSecret {
    Given(Secret),
    Command(String),
}

impl fmt::Display for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppSecret::Given(secret) => secret.fmt(f),
            AppSecret::Command(command) => write!(f, "printed by the command '{command}'"),
        }
    }
}

/// Reads one environment variable; tests pass their own.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, with empty values counted as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Refuses a variable pipi reads whose value is not UTF-8, naming it (a usage error, exit
/// 2). Taken as unset, as `std::env::var` would have it, a `PIPI_BASE_URL` would quietly
/// send the login, and the app secret with it, to the default site.
pub fn check_environment(read: &dyn Fn(&str) -> Option<OsString>) -> Result<()> {
    for setting in table::SETTINGS {
        let name = setting.env;
        if name.starts_with("PIPI_") && read(name).is_some_and(|v| v.to_str().is_none()) {
            return Err(exit::usage(
                format!("{name} is set to something that is not UTF-8 text"),
                format!("set it again as UTF-8 text, or remove it: unset {name}"),
            ));
        }
    }
    Ok(())
}

/// Where pipi keeps its files and which profile is in use: all that the commands managing
/// those files need, so that they still work while a setting is broken.
#[derive(Debug)]
pub struct Locations {
    pub profile: Sourced<String>,
    pub config_path: PathBuf,
    pub cache_dir: PathBuf,
}

impl Locations {
    pub fn resolve(flags: &Flags, env: EnvLookup) -> Result<Locations> {
        let (config_dir, cache_dir) = directories(env)?;
        let profile = pick(table::PROFILE, flags.profile.clone(), None, env)
            .unwrap_or_else(|| default(table::PROFILE));
        if let Err(invalid) = table::PROFILE.check(&profile.value) {
            return Err(exit::usage(invalid.message, invalid.hint));
        }
        Ok(Locations {
            profile,
            config_path: config_dir.join("config.toml"),
            cache_dir,
        })
    }

    pub fn profile(&self) -> &str {
        &self.profile.value
    }

    /// Tells the debug log where the files are and which profile is in use.
    pub fn log(&self) {
        if !log::log_enabled!(log::Level::Debug) {
            return;
        }
        log::debug!("profile: {} ({})", self.profile.value, self.profile.source);
        let state = if self.config_path.exists() {
            "exists"
        } else {
            "not there"
        };
        log::debug!("config file: {} ({state})", self.config_path.display());
        log::debug!("token cache: {}", self.cache_dir.display());
    }
}

impl Settings {
    pub fn resolve(flags: &Flags, env: EnvLookup) -> Result<Settings> {
        let Locations {
            profile,
            config_path,
            cache_dir,
        } = Locations::resolve(flags, env)?;
        let file = load_config(&config_path)?;
        check_cache_dir(&cache_dir, &profile.value)?;
        let conf = file.profile(&profile.value);
        let checker = Checker {
            profile: &profile.value,
            config_path: &config_path,
            conf,
            env,
        };
        let base_url = checker.usable(
            table::BASE_URL,
            table::check_base_url,
            checker.found(table::BASE_URL, flags.base_url.clone()),
            "is not a usable site address",
        );
        let app_id = pick(table::APP_ID, None, conf, env)
            .map(|raw| checker.usable(table::APP_ID, table::check_app_id, raw, "is not an app id"));
        let redirect_url = checker.usable(
            table::REDIRECT_URL,
            table::check_redirect_url,
            checker.found(table::REDIRECT_URL, None),
            "is not a usable redirect URL",
        );
        let token_ttl = checker.seconds(table::TOKEN_TTL, table::check_token_ttl)?;
        let http_timeout = checker.seconds(table::HTTP_TIMEOUT, table::check_seconds)?;

        Ok(Settings {
            secret_site: secret_site(conf),
            app_secret: app_secret(conf, env),
            profile,
            base_url,
            app_id,
            redirect_url,
            token_ttl,
            env_token: env(table::ACCESS_TOKEN.env).map(redaction::secret),
            config_path,
            cache_dir,
            http_timeout: http_timeout.value,
        })
    }

    pub fn profile(&self) -> &str {
        &self.profile.value
    }

    /// Tells the debug log every setting and where it came from; the secret stays masked.
    pub fn log(&self) {
        if !log::log_enabled!(log::Level::Debug) {
            return;
        }
        fn line<T: fmt::Display>(name: &str, value: Option<&Sourced<T>>) {
            match value {
                Some(v) => log::debug!("{name}: {} ({})", v.value, v.source),
                None => log::debug!("{name}: not set"),
            }
        }
        Locations {
            profile: self.profile.clone(),
            config_path: self.config_path.clone(),
            cache_dir: self.cache_dir.clone(),
        }
        .log();
        line(table::BASE_URL.name, Some(&shown(&self.base_url)));
        line(table::APP_ID.name, self.app_id.as_ref().map(shown).as_ref());
        line(table::APP_SECRET.name, self.app_secret.as_ref());
        line(table::REDIRECT_URL.name, Some(&shown(&self.redirect_url)));
        let ttl = Sourced {
            value: format!("{}s", self.token_ttl.value.as_secs()),
            source: self.token_ttl.source.clone(),
        };
        line(table::TOKEN_TTL.name, Some(&ttl));
        log::debug!("http timeout: {}s", self.http_timeout.as_secs());
        if self.env_token.is_some() {
            log::debug!("access token: PIPI_ACCESS_TOKEN, instead of the cache");
        }
    }

    /// The base URL: `https://`, or `http://` on a loopback host only.
    pub fn base_url(&self) -> Result<&str> {
        usable(&self.base_url)
    }

    /// The base URL to show: in its one spelling, or as written when it is broken.
    pub fn base_url_shown(&self) -> &str {
        shown(&self.base_url).value
    }

    /// The redirect URL registered for the app.
    pub fn redirect_url(&self) -> Result<&str> {
        usable(&self.redirect_url)
    }

    /// The app's id and secret, or an error that says exactly what to set and where. A
    /// secret from a command is fetched now, by running it.
    pub fn app_credentials(&self) -> Result<(&str, Secret)> {
        let profile = self.profile();
        let table = format!("[{profile}]");
        let path = self.config_path.display();
        match (&self.app_id, &self.app_secret) {
            (Some(id), Some(secret)) => {
                let id = usable(id)?;
                // Checked before a secret command runs: its secret is not to be fetched
                // for a site it will not be sent to.
                self.check_secret_site(&secret.source)?;
                let secret = match &secret.value {
                    AppSecret::Given(secret) => secret.clone(),
                    AppSecret::Command(command) => {
                        secret_command::run(command, &secret.source.to_string())?
                    }
                };
                Ok((id, secret))
            }
            (id, secret) => {
                let mut missing = Vec::new();
                if id.is_none() {
                    missing.push(("app id", table::APP_ID.env, table::APP_ID.name));
                }
                if secret.is_none() {
                    missing.push(("app secret", table::APP_SECRET.env, table::APP_SECRET.name));
                }
                let what: Vec<_> = missing.iter().map(|m| m.0).collect();
                let vars: Vec<_> = missing.iter().map(|m| m.1).collect();
                let keys: Vec<_> = missing.iter().map(|m| m.2).collect();
                let from_a_command = if secret.is_none() {
                    format!(
                        " (or {} to have a password manager print the secret)",
                        table::APP_SECRET_COMMAND.name
                    )
                } else {
                    String::new()
                };
                Err(exit::hinted(
                    format!("no {} for profile '{profile}'", what.join(" and no ")),
                    format!(
                        "set {} in the environment, or {}{from_a_command} in the {table} table \
                         of {path}; the site's developers dashboard shows both when you register an app",
                        vars.join(" and "),
                        keys.join(" and "),
                    ),
                ))
            }
        }
    }
}

impl Settings {
    /// An app secret from the config file goes only to the site the same table names: a
    /// `--base-url` or a leftover `PIPI_BASE_URL` that points elsewhere is refused before
    /// any request, since the secret would be sent to that other site. A secret (or secret
    /// command) given in the environment with the override is the person's own choice,
    /// and goes.
    fn check_secret_site(&self, secret_source: &Source) -> Result<()> {
        let Some(bound) = &self.secret_site else {
            return Ok(());
        };
        let overridden = matches!(self.base_url.source, Source::Flag(_) | Source::Env(_));
        if *secret_source != Source::ConfigFile || !overridden {
            return Ok(());
        }
        let wanted = self.base_url()?;
        let bound = match bound {
            Ok(site) if site == wanted => return Ok(()),
            Ok(site) | Err(site) => site,
        };
        let profile = self.profile();
        Err(exit::usage(
            format!(
                "refusing to send the app secret of profile '{profile}' to {wanted} (from {}): \
                 {} binds it to {bound}",
                self.base_url.source,
                self.config_path.display()
            ),
            format!(
                "use one profile per site: add a table for {wanted} with its own base-url, app-id \
                 and app-secret, and pick it with --profile; or give that site's secret in {}",
                table::APP_SECRET.env
            ),
        ))
    }
}

/// The site the config file's table binds its app secret (or secret command) to, if it
/// holds both.
fn secret_site(conf: Option<&ConfigProfile>) -> Option<std::result::Result<String, String>> {
    let in_file = |setting: &Setting| {
        conf.and_then(|c| c.get(setting.name))
            .filter(|v| !v.is_empty())
            .cloned()
    };
    let written = in_file(table::APP_SECRET)
        .or_else(|| in_file(table::APP_SECRET_COMMAND))
        .and(in_file(table::BASE_URL))?;
    Some(
        table::check_base_url(&written)
            .map(|c| c.value)
            .map_err(|_| written),
    )
}

/// A setting's value, or the error that it failed its check.
fn usable(setting: &Sourced<Usable<String>>) -> Result<&str> {
    match &setting.value {
        Ok(value) => Ok(value),
        Err(unusable) => Err(unusable.error()),
    }
}

/// A setting as the debug log shows it: its value in one spelling, or as written.
fn shown(setting: &Sourced<Usable<String>>) -> Sourced<&str> {
    Sourced {
        value: match &setting.value {
            Ok(value) => value,
            Err(unusable) => &unusable.written,
        },
        source: setting.source.clone(),
    }
}

/// Finds settings and checks them against the table, for one profile of one config file.
struct Checker<'a> {
    profile: &'a str,
    config_path: &'a std::path::Path,
    conf: Option<&'a ConfigProfile>,
    env: EnvLookup<'a>,
}

impl Checker<'_> {
    /// A setting's value from the flag, the environment or the config file, else its
    /// default.
    fn found(&self, setting: &'static Setting, flag: Option<String>) -> Sourced<String> {
        pick(setting, flag, self.conf, self.env).unwrap_or_else(|| default(setting))
    }

    /// A number of seconds, which every command needs: a bad one stops the run here.
    fn seconds(
        &self,
        setting: &'static Setting,
        check: fn(&str) -> Result<table::Checked<Duration>, table::Invalid>,
    ) -> Result<Sourced<Duration>> {
        let problem = format!(
            "is not a whole number of seconds from 1 to {}",
            table::MAX_SECONDS
        );
        let checked = self.usable(setting, check, self.found(setting, None), &problem);
        let value = checked.value.map_err(|unusable| unusable.error())?;
        Ok(Sourced {
            value,
            source: checked.source,
        })
    }

    /// A value checked by `check`, its setting's check in the table. An error about a
    /// value from the config file says `problem` and names the key, never the value; one
    /// from elsewhere says where it came from.
    fn usable<T>(
        &self,
        setting: &Setting,
        check: fn(&str) -> Result<table::Checked<T>, table::Invalid>,
        raw: Sourced<String>,
        problem: &str,
    ) -> Sourced<Usable<T>> {
        let value = check(&raw.value)
            .map(|checked| checked.value)
            .map_err(|invalid| {
                let (message, hint) = if raw.source == Source::ConfigFile {
                    broken_in_file(setting, self.profile, self.config_path, problem)
                } else {
                    (
                        format!("{} (from {})", invalid.message, raw.source),
                        invalid.hint,
                    )
                };
                Unusable {
                    written: raw.value.clone(),
                    message,
                    hint,
                }
            });
        Sourced {
            value,
            source: raw.source,
        }
    }
}

/// The app secret, given or from a command: a secret given directly wins over a command at
/// the same level, and the environment over the config file. So `PIPI_APP_SECRET`, then
/// `PIPI_APP_SECRET_COMMAND`, then `app-secret`, then `app-secret-command`: a command set
/// for one run in the environment still wins over a secret kept in the file.
fn app_secret(file: Option<&ConfigProfile>, env: EnvLookup) -> Option<Sourced<AppSecret>> {
    let no_env: EnvLookup = &|_| None;
    let given = |s: Sourced<String>| Sourced {
        value: AppSecret::Given(redaction::secret(s.value)),
        source: s.source,
    };
    let command = |s: Sourced<String>| Sourced {
        value: AppSecret::Command(s.value),
        source: s.source,
    };
    pick(table::APP_SECRET, None, None, env)
        .map(given)
        .or_else(|| pick(table::APP_SECRET_COMMAND, None, None, env).map(command))
        .or_else(|| pick(table::APP_SECRET, None, file, no_env).map(given))
        .or_else(|| pick(table::APP_SECRET_COMMAND, None, file, no_env).map(command))
}

/// Tells the debug log each setting in effect for a profile and where it came from, as
/// [`Settings::log`] does, but without checking any value: `pipi config` has to work while
/// one is broken. Secrets stay masked.
pub fn log_in_effect(flags: &Flags, file: &ConfigFile, profile: &str, env: EnvLookup) {
    if !log::log_enabled!(log::Level::Debug) {
        return;
    }
    let conf = file.profile(profile);
    for setting in table::config_settings() {
        let shown = if setting.name == table::APP_SECRET.name {
            app_secret(conf, env).map(|s| (s.value.to_string(), s.source))
        } else if setting.name == table::APP_SECRET_COMMAND.name {
            // Folded into the app secret above: the one of the two in effect.
            continue;
        } else {
            let flag = (setting.name == table::BASE_URL.name)
                .then(|| flags.base_url.clone())
                .flatten();
            pick(setting, flag, conf, env)
                .or_else(|| setting.default.map(|_| default(setting)))
                .map(|s| {
                    let value = if setting.secret {
                        pipi::redact::MASK.to_string()
                    } else {
                        s.value
                    };
                    (value, s.source)
                })
        };
        match shown {
            Some((value, source)) => log::debug!("{}: {value} ({source})", setting.name),
            None => log::debug!("{}: not set", setting.name),
        }
    }
}

/// A setting's default, as set nowhere else.
fn default(setting: &Setting) -> Sourced<String> {
    Sourced {
        value: setting.default.unwrap_or_default().to_string(),
        source: Source::Default,
    }
}

/// Flag, else environment, else the profile's table in the config file.
fn pick(
    setting: &'static Setting,
    flag: Option<String>,
    file: Option<&ConfigProfile>,
    env: EnvLookup,
) -> Option<Sourced<String>> {
    let flag = flag.filter(|v| !v.is_empty()).map(|value| Sourced {
        value,
        source: Source::Flag(setting.flag.unwrap_or(setting.name)),
    });
    flag.or_else(|| {
        env(setting.env).map(|value| Sourced {
            value,
            source: Source::Env(setting.env),
        })
    })
    .or_else(|| {
        file.filter(|_| setting.in_config)
            .and_then(|table| table.get(setting.name))
            .filter(|v| !v.is_empty())
            .map(|value| Sourced {
                value: value.clone(),
                source: Source::ConfigFile,
            })
    })
}

/// An error about a value in the config file names the key, the profile and the file,
/// never the value: it may be a secret pasted under the wrong key. The person who wants to
/// see it asks for it with `pipi config get`.
fn broken_in_file(
    setting: &Setting,
    profile: &str,
    config_path: &std::path::Path,
    problem: &str,
) -> (String, String) {
    let name = setting.name;
    let example = setting.example;
    (
        format!(
            "{name} of profile '{profile}' in {} {problem}",
            config_path.display()
        ),
        format!(
            "see it with: pipi config get {name}; change it with: pipi config set {name} {example}"
        ),
    )
}

/// Reads the config file, refused (exit 1) when others could have changed it or its
/// directory, and warns about who else may read it.
pub fn load_config(path: &std::path::Path) -> Result<ConfigFile> {
    let file = ConfigFile::load(path, &table::config_keys())?;
    for warning in &file.warnings {
        crate::cli::output::warn(warning);
    }
    Ok(file)
}

/// Refuses a cache directory that belongs to another user or that others can write in,
/// before any work (exit 1), and says when pipi made it private.
pub fn check_cache_dir(cache_dir: &std::path::Path, profile: &str) -> Result<()> {
    let note = pipi::TokenCache::new(cache_dir, profile)
        .check_dir()
        .map_err(|e| {
            let elsewhere = format!("set {} to a directory of your own", table::CACHE_DIR.env);
            let hint = match e.hint() {
                Some(fix) => format!("{fix}; or {elsewhere}"),
                None => elsewhere,
            };
            e.with_hint(hint)
        })?;
    if let Some(note) = note {
        crate::cli::output::warn(&note);
    }
    Ok(())
}

fn directories(env: EnvLookup) -> Result<(PathBuf, PathBuf)> {
    let project = directories::ProjectDirs::from("", "", "pipi");
    let config = env(table::CONFIG_DIR.env)
        .map(PathBuf::from)
        .or_else(|| project.as_ref().map(|p| p.config_dir().to_path_buf()));
    let cache = env(table::CACHE_DIR.env)
        .map(PathBuf::from)
        .or_else(|| project.as_ref().map(|p| p.cache_dir().to_path_buf()));
    match (config, cache) {
        (Some(config), Some(cache)) => Ok((config, cache)),
        _ => Err(exit::hinted(
            "cannot find a home directory for pipi's config and cache",
            "set PIPI_CONFIG_DIR and PIPI_CACHE_DIR",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(flags: Flags, vars: &[(&str, &str)], config: &str) -> Result<Settings> {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("config.toml"), config).unwrap();
        let mut map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.insert("PIPI_CONFIG_DIR".into(), tmp.path().display().to_string());
        map.insert("PIPI_CACHE_DIR".into(), tmp.path().display().to_string());
        Settings::resolve(&flags, &|k| map.get(k).cloned())
    }

    #[test]
    fn flag_beats_environment_beats_file_beats_default() {
        let file = "[default]\nbase-url = \"https://file.example\"\napp-id = 5\n";
        let s = resolve(Flags::default(), &[], file).unwrap();
        assert_eq!(s.base_url().unwrap(), "https://file.example");
        assert_eq!(s.base_url.source, Source::ConfigFile);
        assert_eq!(s.redirect_url.source, Source::Default);

        let env = [("PIPI_BASE_URL", "https://env.example")];
        let s = resolve(Flags::default(), &env, file).unwrap();
        assert_eq!(s.base_url.source, Source::Env("PIPI_BASE_URL"));

        let flags = Flags {
            base_url: Some("https://flag.example".into()),
            ..Flags::default()
        };
        let s = resolve(flags, &env, file).unwrap();
        assert_eq!(s.base_url().unwrap(), "https://flag.example");
        assert_eq!(s.app_id.unwrap().value.unwrap(), "5");
    }

    #[test]
    fn profiles_read_their_own_table() {
        let file = "[default]\napp-id = 1\n[work]\napp-id = 2\ntoken-ttl = 3600\n";
        let s = resolve(Flags::default(), &[("PIPI_PROFILE", "work")], file).unwrap();
        assert_eq!(s.profile(), "work");
        assert_eq!(s.app_id.unwrap().value.unwrap(), "2");
        assert_eq!(s.token_ttl.value, Duration::from_secs(3600));
    }

    #[test]
    fn missing_credentials_say_what_to_set() {
        let s = resolve(Flags::default(), &[("PIPI_APP_ID", "9")], "").unwrap();
        let err = s.app_credentials().unwrap_err();
        let c = err.error().unwrap();
        assert_eq!(c.to_string(), "no app secret for profile 'default'");
        let hint = c.hint().unwrap();
        assert!(
            hint.contains("PIPI_APP_SECRET") && hint.contains("app-secret"),
            "{hint}"
        );
        assert!(!hint.contains("PIPI_APP_ID"), "{hint}");
    }

    #[test]
    fn a_given_secret_wins_over_a_command_at_the_same_level() {
        let both = "[default]\napp-secret = \"file\"\napp-secret-command = \"echo file-cmd\"\n";
        let command_only = "[default]\napp-secret-command = \"echo file-cmd\"\n";
        let secret_only = "[default]\napp-secret = \"file\"\n";
        let env_secret = ("PIPI_APP_SECRET", "env");
        let env_command = ("PIPI_APP_SECRET_COMMAND", "echo env-cmd");
        type Vars<'a> = &'a [(&'a str, &'a str)];
        let cases: [(Vars, &str, &str); 6] = [
            (
                &[env_secret, env_command],
                both,
                "[redacted] (environment PIPI_APP_SECRET)",
            ),
            (
                &[env_command],
                both,
                "printed by the command 'echo env-cmd' (environment PIPI_APP_SECRET_COMMAND)",
            ),
            (&[], both, "[redacted] (config file)"),
            (
                &[],
                command_only,
                "printed by the command 'echo file-cmd' (config file)",
            ),
            (
                &[env_secret],
                command_only,
                "[redacted] (environment PIPI_APP_SECRET)",
            ),
            (
                &[env_command],
                secret_only,
                "printed by the command 'echo env-cmd' (environment PIPI_APP_SECRET_COMMAND)",
            ),
        ];
        for (vars, file, expected) in cases {
            let s = resolve(Flags::default(), vars, file).unwrap();
            let secret = s.app_secret.unwrap();
            assert_eq!(format!("{} ({})", secret.value, secret.source), expected);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_variable_that_is_not_utf8_is_a_usage_error_naming_it() {
        use std::os::unix::ffi::OsStringExt;
        let broken = |name: &'static str| {
            move |asked: &str| {
                (asked == name).then(|| OsString::from_vec(b"https://a.example/\xff".to_vec()))
            }
        };
        for name in [
            "PIPI_BASE_URL",
            "PIPI_PROFILE",
            "PIPI_ACCESS_TOKEN",
            "PIPI_CONFIG_DIR",
        ] {
            let err = check_environment(&broken(name)).unwrap_err();
            assert_eq!(exit::code(&err), 2, "{err:#}");
            assert!(format!("{err:#}").starts_with(name), "{err:#}");
        }
        // Other variables are not pipi's business, and UTF-8 is fine.
        check_environment(&broken("LANG")).unwrap();
        check_environment(&|_| Some(OsString::from("https://a.example"))).unwrap();
    }

    #[test]
    fn a_broken_value_is_checked_once_and_raised_where_it_is_needed() {
        let vars = [
            ("PIPI_BASE_URL", "http://pipichat.com"),
            ("PIPI_REDIRECT_URL", "ftp://127.0.0.1/cb"),
            ("PIPI_APP_ID", "12a"),
            ("PIPI_APP_SECRET", "s"),
        ];
        let s = resolve(Flags::default(), &vars, "").unwrap();
        assert_eq!(s.base_url_shown(), "http://pipichat.com");
        for (err, from) in [
            (s.base_url().unwrap_err(), "PIPI_BASE_URL"),
            (s.redirect_url().unwrap_err(), "PIPI_REDIRECT_URL"),
            (s.app_credentials().unwrap_err(), "PIPI_APP_ID"),
        ] {
            assert_eq!(exit::code(&err), 1, "{err:#}");
            let c = err.error().unwrap();
            assert!(
                c.to_string()
                    .ends_with(&format!("(from environment {from})")),
                "{c}"
            );
            assert!(c.hint().is_some(), "{c:?}");
        }
        let file = "[default]\nbase-url = \"ftp://s3cr3t\"\n";
        let s = resolve(Flags::default(), &[], file).unwrap();
        let c = format!("{:#}", s.base_url().unwrap_err());
        assert!(
            c.contains("base-url of profile 'default'") && !c.contains("s3cr3t"),
            "{c}"
        );
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(resolve(Flags::default(), &[("PIPI_TOKEN_TTL", "0")], "").is_err());
        let huge = u64::MAX.to_string();
        assert!(resolve(Flags::default(), &[("PIPI_TOKEN_TTL", huge.as_str())], "").is_err());
        assert!(resolve(Flags::default(), &[("PIPI_PROFILE", "../x")], "").is_err());
    }

    #[test]
    fn a_secret_from_the_file_goes_only_to_the_site_the_file_names() {
        let file = "[default]\nbase-url = \"https://a.example\"\napp-id = 5\napp-secret = \"s3cr3t-of-site-a\"\n";
        let elsewhere = Flags {
            base_url: Some("https://b.example".into()),
            ..Flags::default()
        };
        for (flags, vars) in [
            (elsewhere.clone(), &[][..]),
            (
                Flags::default(),
                &[("PIPI_BASE_URL", "https://b.example")][..],
            ),
        ] {
            let s = resolve(flags, vars, file).unwrap();
            let err = s.app_credentials().unwrap_err();
            assert_eq!(exit::code(&err), 2, "{err:#}");
            let c = err.error().unwrap();
            assert!(c.to_string().contains("https://b.example"), "{c}");
            assert!(c.hint().unwrap().contains("one profile per site"), "{c:?}");
            assert!(!format!("{err:#}").contains("s3cr3t"), "{err:#}");
        }
        // The same site spelled another way, the file's own site, or a secret given in the
        // environment with the override: all go.
        let same = Flags {
            base_url: Some("https://A.example/".into()),
            ..Flags::default()
        };
        assert!(resolve(same, &[], file).unwrap().app_credentials().is_ok());
        assert!(
            resolve(Flags::default(), &[], file)
                .unwrap()
                .app_credentials()
                .is_ok()
        );
        let env_secret = [("PIPI_APP_SECRET", "another-sites-secret")];
        let s = resolve(elsewhere.clone(), &env_secret, file).unwrap();
        assert!(s.app_credentials().is_ok());
        // A secret command in the file is bound the same way, and refused before it runs.
        let tmp = tempfile::tempdir().unwrap();
        let ran = tmp.path().join("ran");
        let command = format!(
            "[default]\nbase-url = \"https://a.example\"\napp-id = 5\napp-secret-command = \"touch '{}'; echo s\"\n",
            ran.display()
        );
        let s = resolve(elsewhere.clone(), &[], &command).unwrap();
        assert_eq!(exit::code(&s.app_credentials().unwrap_err()), 2);
        assert!(!ran.exists(), "the command ran for a refused site");
        // A file with a secret and no site of its own binds it to nothing.
        let unbound = "[default]\napp-id = 5\napp-secret = \"s3cr3t-of-site-a\"\n";
        assert!(
            resolve(elsewhere, &[], unbound)
                .unwrap()
                .app_credentials()
                .is_ok()
        );
    }
}
