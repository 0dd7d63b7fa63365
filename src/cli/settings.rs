//! Settings for one run: each comes from a flag, else the environment, else the config file,
//! else a default, and remembers where it came from.

use super::exit;
use anyhow::{Result, bail};
use pipi::{ConfigFile, ProfileConfig, Secret};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_PROFILE: &str = "default";
pub const DEFAULT_BASE_URL: &str = "https://pipichat.com";
pub const DEFAULT_REDIRECT_URL: &str = "http://127.0.0.1:8765/callback";
/// What every Sngine server enforces, whatever its documentation says.
pub const DEFAULT_TOKEN_TTL_SECS: u64 = 60;
const DEFAULT_HTTP_TIMEOUT_SECS: u64 = 30;

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
    /// The raw value; [`Settings::base_url`] validates it.
    pub base_url_raw: Sourced<String>,
    pub app_id: Option<Sourced<String>>,
    pub app_secret: Option<Sourced<Secret>>,
    pub redirect_url: Sourced<String>,
    pub token_ttl: Sourced<Duration>,
    /// `PIPI_ACCESS_TOKEN`: used instead of the cache by whoami, token and status.
    pub env_token: Option<Secret>,
    pub config_path: PathBuf,
    pub cache_dir: PathBuf,
    pub http_timeout: Duration,
}

/// Reads one environment variable; tests pass their own.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, with empty values counted as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
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
        let profile = pick(
            flags.profile.clone(),
            "--profile",
            "PIPI_PROFILE",
            None,
            env,
        )
        .unwrap_or_else(|| default(DEFAULT_PROFILE.to_string()));
        validate_profile_name(&profile.value)?;
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
        let file = ConfigFile::load(&config_path)?;
        let empty = ProfileConfig::default();
        let conf = file.profile(&profile.value).unwrap_or(&empty);

        let base_url_raw = pick(
            flags.base_url.clone(),
            "--base-url",
            "PIPI_BASE_URL",
            conf.base_url.clone(),
            env,
        )
        .unwrap_or_else(|| default(DEFAULT_BASE_URL.to_string()));
        let app_id = pick(None, "", "PIPI_APP_ID", conf.app_id.clone(), env);
        let app_secret = pick(
            None,
            "",
            "PIPI_APP_SECRET",
            conf.app_secret.as_ref().map(|s| s.expose().to_string()),
            env,
        )
        .map(|s| Sourced {
            value: Secret::new(s.value),
            source: s.source,
        });
        let redirect_url = pick(
            None,
            "",
            "PIPI_REDIRECT_URL",
            conf.redirect_url.clone(),
            env,
        )
        .unwrap_or_else(|| default(DEFAULT_REDIRECT_URL.to_string()));

        let token_ttl = match pick(
            None,
            "",
            "PIPI_TOKEN_TTL",
            conf.token_ttl.map(|n| n.to_string()),
            env,
        ) {
            Some(s) => Sourced {
                value: Duration::from_secs(parse_seconds(&s.value, "token lifetime")?),
                source: s.source,
            },
            None => default(Duration::from_secs(DEFAULT_TOKEN_TTL_SECS)),
        };
        let http_timeout = match env("PIPI_HTTP_TIMEOUT") {
            Some(v) => Duration::from_secs(parse_seconds(&v, "PIPI_HTTP_TIMEOUT")?),
            None => Duration::from_secs(DEFAULT_HTTP_TIMEOUT_SECS),
        };

        Ok(Settings {
            profile,
            base_url_raw,
            app_id,
            app_secret,
            redirect_url,
            token_ttl,
            env_token: env("PIPI_ACCESS_TOKEN").map(Secret::new),
            config_path,
            cache_dir,
            http_timeout,
        })
    }

    pub fn profile(&self) -> &str {
        &self.profile.value
    }

    /// Tells the debug log every setting and where it came from; the secret stays masked.
    pub fn log(&self) {
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
        line("base-url", Some(&self.base_url_raw));
        line("app-id", self.app_id.as_ref());
        line("app-secret", self.app_secret.as_ref());
        line("redirect-url", Some(&self.redirect_url));
        let ttl = Sourced {
            value: format!("{}s", self.token_ttl.value.as_secs()),
            source: self.token_ttl.source.clone(),
        };
        line("token-ttl", Some(&ttl));
        log::debug!("http timeout: {}s", self.http_timeout.as_secs());
        if self.env_token.is_some() {
            log::debug!("access token: PIPI_ACCESS_TOKEN, instead of the cache");
        }
    }

    /// The base URL, checked: `https://`, or `http://` on a loopback host only.
    pub fn base_url(&self) -> Result<String> {
        Ok(pipi::normalize_base_url(&self.base_url_raw.value)?)
    }

    /// The app's id and secret, or an error that says exactly what to set and where.
    pub fn app_credentials(&self) -> Result<(&str, &Secret)> {
        let profile = self.profile();
        let table = format!("[{profile}]");
        let path = self.config_path.display();
        match (&self.app_id, &self.app_secret) {
            (Some(id), Some(secret)) => Ok((&id.value, &secret.value)),
            (id, secret) => {
                let mut missing = Vec::new();
                if id.is_none() {
                    missing.push(("app id", "PIPI_APP_ID", "app-id"));
                }
                if secret.is_none() {
                    missing.push(("app secret", "PIPI_APP_SECRET", "app-secret"));
                }
                let what: Vec<_> = missing.iter().map(|m| m.0).collect();
                let vars: Vec<_> = missing.iter().map(|m| m.1).collect();
                let keys: Vec<_> = missing.iter().map(|m| m.2).collect();
                Err(exit::hinted(
                    format!("no {} for profile '{profile}'", what.join(" and no ")),
                    format!(
                        "set {} in the environment, or {} in the {table} table of {path}; \
                         the site's developers dashboard shows both when you register an app",
                        vars.join(" and "),
                        keys.join(" and "),
                    ),
                ))
            }
        }
    }
}

fn default<T>(value: T) -> Sourced<T> {
    Sourced {
        value,
        source: Source::Default,
    }
}

/// Flag, else environment, else config file.
fn pick(
    flag: Option<String>,
    flag_name: &'static str,
    env_name: &'static str,
    from_file: Option<String>,
    env: EnvLookup,
) -> Option<Sourced<String>> {
    let flag = flag.filter(|v| !v.is_empty()).map(|value| Sourced {
        value,
        source: Source::Flag(flag_name),
    });
    flag.or_else(|| {
        env(env_name).map(|value| Sourced {
            value,
            source: Source::Env(env_name),
        })
    })
    .or_else(|| {
        from_file.filter(|v| !v.is_empty()).map(|value| Sourced {
            value,
            source: Source::ConfigFile,
        })
    })
}

/// The longest lifetime or timeout pipi takes: a year, far beyond what any site gives.
pub const MAX_SECONDS: u64 = 365 * 24 * 3600;

pub fn parse_seconds(value: &str, what: &str) -> Result<u64> {
    match value.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_SECONDS).contains(&n) => Ok(n),
        _ => bail!(
            "invalid {what} '{value}': expected a whole number of seconds from 1 to {MAX_SECONDS}"
        ),
    }
}

/// Profile names become file names, so they are kept to a safe alphabet.
pub fn validate_profile_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.starts_with('-');
    if !ok {
        return Err(exit::usage(
            format!("invalid profile name '{name}'"),
            "use letters, digits, '-' and '_' (at most 64)",
        ));
    }
    Ok(())
}

fn directories(env: EnvLookup) -> Result<(PathBuf, PathBuf)> {
    let project = directories::ProjectDirs::from("", "", "pipi");
    let config = env("PIPI_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| project.as_ref().map(|p| p.config_dir().to_path_buf()));
    let cache = env("PIPI_CACHE_DIR")
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
        assert_eq!(s.base_url_raw.value, "https://file.example");
        assert_eq!(s.base_url_raw.source, Source::ConfigFile);
        assert_eq!(s.redirect_url.source, Source::Default);

        let env = [("PIPI_BASE_URL", "https://env.example")];
        let s = resolve(Flags::default(), &env, file).unwrap();
        assert_eq!(s.base_url_raw.source, Source::Env("PIPI_BASE_URL"));

        let flags = Flags {
            base_url: Some("https://flag.example".into()),
            ..Flags::default()
        };
        let s = resolve(flags, &env, file).unwrap();
        assert_eq!(s.base_url_raw.value, "https://flag.example");
        assert_eq!(s.app_id.unwrap().value, "5");
    }

    #[test]
    fn profiles_read_their_own_table() {
        let file = "[default]\napp-id = 1\n[work]\napp-id = 2\ntoken-ttl = 3600\n";
        let s = resolve(Flags::default(), &[("PIPI_PROFILE", "work")], file).unwrap();
        assert_eq!(s.profile(), "work");
        assert_eq!(s.app_id.unwrap().value, "2");
        assert_eq!(s.token_ttl.value, Duration::from_secs(3600));
    }

    #[test]
    fn missing_credentials_say_what_to_set() {
        let s = resolve(Flags::default(), &[("PIPI_APP_ID", "9")], "").unwrap();
        let err = s.app_credentials().unwrap_err();
        let c = exit::classification(&err).unwrap();
        assert_eq!(c.to_string(), "no app secret for profile 'default'");
        let hint = c.hint().unwrap();
        assert!(
            hint.contains("PIPI_APP_SECRET") && hint.contains("app-secret"),
            "{hint}"
        );
        assert!(!hint.contains("PIPI_APP_ID"), "{hint}");
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(resolve(Flags::default(), &[("PIPI_TOKEN_TTL", "0")], "").is_err());
        let huge = u64::MAX.to_string();
        assert!(resolve(Flags::default(), &[("PIPI_TOKEN_TTL", huge.as_str())], "").is_err());
        assert!(resolve(Flags::default(), &[("PIPI_PROFILE", "../x")], "").is_err());
    }
}
