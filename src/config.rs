//! The config file: TOML, one table per profile, private because it may hold an app secret.
//!
//! ```toml
//! [default]
//! base-url = "https://pipichat.com"
//! app-id = "123"
//! app-secret = "0123456789abcdef0123456789abcdef"
//! redirect-url = "http://127.0.0.1:8765/callback"
//! token-ttl = 60
//! ```

use crate::fsutil;
use crate::secret::Secret;
use anyhow::{Context, Result};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The settings one profile may keep in the file; any of them may be missing.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ProfileConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Written by people as a number as often as a string, so both are read.
    #[serde(
        default,
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_secret: Option<Secret>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_ttl: Option<u64>,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    Ok(Option::<Id>::deserialize(d)?.map(|id| match id {
        Id::Text(s) => s,
        Id::Number(n) => n.to_string(),
    }))
}

/// The whole file, as read from `path` (empty when the file does not exist).
#[derive(Debug, Default)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub profiles: BTreeMap<String, ProfileConfig>,
}

impl ConfigFile {
    pub fn load(path: &Path) -> Result<ConfigFile> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ConfigFile {
                    path: path.to_path_buf(),
                    profiles: BTreeMap::new(),
                });
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("failed to read config file {}", path.display()));
            }
        };
        // toml's own message quotes the offending line, which may hold the app secret: give
        // only where and what.
        let profiles = toml::from_str(&text).map_err(|e| {
            let place = e
                .span()
                .map(|span| {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    format!(" at line {line}")
                })
                .unwrap_or_default();
            anyhow::anyhow!(
                "failed to parse config file {}{place}: {}",
                path.display(),
                e.message()
            )
        })?;
        Ok(ConfigFile {
            path: path.to_path_buf(),
            profiles,
        })
    }

    pub fn profile(&self, name: &str) -> Option<&ProfileConfig> {
        self.profiles.get(name)
    }

    /// Writes the file atomically with mode 0600.
    pub fn save(&self) -> Result<()> {
        let text = toml::to_string(&self.profiles).context("failed to encode the config file")?;
        fsutil::write_private_atomic(&self.path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_profiles_and_numeric_app_ids() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(
            &path,
            "[default]\napp-id = 123\n[work]\nbase-url = \"https://example.org\"\napp-id = \"77\"\ntoken-ttl = 30\n",
        )
        .unwrap();
        let file = ConfigFile::load(&path).unwrap();
        assert_eq!(
            file.profile("default").unwrap().app_id.as_deref(),
            Some("123")
        );
        let work = file.profile("work").unwrap();
        assert_eq!(work.base_url.as_deref(), Some("https://example.org"));
        assert_eq!(work.token_ttl, Some(30));
        assert!(file.profile("other").is_none());
    }

    #[test]
    fn unknown_keys_and_bad_syntax_are_errors_naming_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, "[default]\napp-idd = 1\n").unwrap();
        let err = format!("{:#}", ConfigFile::load(&path).unwrap_err());
        assert!(
            err.contains("config.toml") && err.contains("app-idd"),
            "{err}"
        );
    }

    #[test]
    fn parse_errors_never_quote_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        let secret = "0123456789abcdef0123456789abcdef";
        for text in [
            format!("[default]\napp_secret = \"{secret}\"\n"),
            format!("[default]\napp-secret = {secret}\n"),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = format!("{:#}", ConfigFile::load(&path).unwrap_err());
            assert!(!err.contains(secret), "{err}");
            assert!(err.contains("at line 2"), "{err}");
        }
    }

    #[test]
    fn save_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        let mut file = ConfigFile::load(&path).unwrap();
        file.profiles
            .entry("default".into())
            .or_default()
            .app_secret = Some(Secret::new("s3"));
        file.save().unwrap();
        let again = ConfigFile::load(&path).unwrap();
        let secret = again
            .profile("default")
            .unwrap()
            .app_secret
            .clone()
            .unwrap();
        assert_eq!(secret.expose(), "s3");
    }
}
