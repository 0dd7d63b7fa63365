//! The config file: TOML, one table per profile, private because it may hold an app secret.
//! It is read whole into one table of keys and text values per profile ([`ConfigFile`]),
//! which the settings check, and changed key by key in place ([`EditableConfig`]), keeping
//! what the person wrote around the key.
//!
//! ```toml
//! [default]
//! base-url = "https://pipichat.com"
//! app-id = "123"
//! app-secret = "0123456789abcdef0123456789abcdef"
//! redirect-url = "http://127.0.0.1:8765/callback"
//! token-ttl = 60
//! ```

use super::door::{self, CONFIG, dir_of};
use super::{lock, read::ReadError};
use crate::error::{Context, Result};
use crate::error::{Error, ErrorKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One profile's table: each key and its value as text (numbers and booleans too).
pub type Profile = BTreeMap<String, String>;

/// A value as a profile's table may hold it, as text: text, a whole number or a boolean.
/// Anything else is refused by its type alone: the value itself may be the secret.
fn scalar_text(value: toml::Value) -> std::result::Result<String, &'static str> {
    match value {
        toml::Value::String(s) => Ok(s),
        toml::Value::Integer(n) => Ok(n.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        toml::Value::Float(_) => Err("a decimal number"),
        toml::Value::Datetime(_) => Err("a date"),
        toml::Value::Array(_) => Err("a list"),
        toml::Value::Table(_) => Err("a table"),
    }
}

/// Reads the file's text as tables of keys, refusing keys not in `keys`. Errors say where
/// and what, naming keys and tables but never quoting a value.
fn parse_profiles(
    path: &Path,
    text: &str,
    keys: &[&str],
    what: &str,
) -> Result<BTreeMap<String, Profile>> {
    // Only the syntax is checked here; the shape is checked below, by hand, because serde's
    // messages for a value of the wrong type quote the value.
    let raw: toml::Table =
        toml::from_str(text).map_err(|e| parse_error(what, path, text, e.span(), e.message()))?;
    let file = path.display();
    let mut profiles = BTreeMap::new();
    for (name, table) in raw {
        let toml::Value::Table(table) = table else {
            let place = line_of_key(text, "", &name)
                .map(|n| format!(" at line {n}"))
                .unwrap_or_default();
            return Err(Error::new(
                ErrorKind::File,
                format!("{what} {file}{place}: '{name}' is set outside of any [profile] table"),
            )
            .with_hint("put each key under its profile's table, such as [default]"));
        };
        let mut profile = Profile::new();
        for (key, value) in table {
            let place = line_of_key(text, &name, &key)
                .map(|n| format!(" at line {n}"))
                .unwrap_or_default();
            if !keys.contains(&key.as_str()) {
                return Err(Error::new(
                    ErrorKind::File,
                    format!("{what} {file}{place}: unknown key '{key}' in [{name}]"),
                )
                .with_hint(format!("the keys are {}", keys.join(", "))));
            }
            let value = scalar_text(value).map_err(|kind| {
                Error::new(
                    ErrorKind::File,
                    format!(
                        "{what} {file}{place}: '{key}' in [{name}] is {kind}; \
                         it must be text, a whole number or true or false"
                    ),
                )
            })?;
            profile.insert(key, value);
        }
        profiles.insert(name, profile);
    }
    Ok(profiles)
}

/// The line where `key` is set in the table `[table]`, for a message that points at it.
fn line_of_key(text: &str, table: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = header.trim().trim_matches('"').to_string();
        } else if current == table
            && line
                .split('=')
                .next()
                .is_some_and(|k| k.trim().trim_matches('"') == key)
        {
            return Some(i + 1);
        }
    }
    None
}

/// A TOML error, said without the TOML parsers' own rendering, which quotes the offending
/// lines: they may hold the app secret. Only where, and what.
fn parse_error(
    what: &str,
    path: &Path,
    text: &str,
    span: Option<std::ops::Range<usize>>,
    message: &str,
) -> Error {
    let place = span
        .map(|span| {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!(" at line {line}")
        })
        .unwrap_or_default();
    crate::error::failed(format!("{what} {}{place}: {message}", path.display()))
}

/// The file's text; a file that does not exist reads as empty. Only a regular file of at
/// most 1 MiB is read: a FIFO left in its place is not waited on, a huge file not loaded.
/// A file or directory that others could have changed is refused whole (see `door`).
fn read_text(path: &Path) -> Result<String> {
    let context = || format!("failed to read config file {}", path.display());
    match door::read(path, &CONFIG) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| crate::error::failed("it is not UTF-8 text"))
            .with_context(context),
        Err(ReadError::Missing) => Ok(String::new()),
        // Said as it is: the message names the file or directory, and the hint the fix.
        Err(ReadError::Refused(e)) => Err(e),
        Err(e) => Err(crate::error::failed(e.to_string())).with_context(context),
    }
}

/// The key that holds a secret, which makes a file others can read a problem.
const SECRET_KEY: &str = "app-secret";

/// Holds the directory to the rule (see `door`), and says what was made private or should
/// be: a directory holding nothing but the config file is pipi's, and is made private; a
/// file holding the secret that others can read is named, with its fix.
fn mode_warnings(path: &Path, holds_secret: bool) -> Result<Vec<String>> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let mut warnings: Vec<String> = door::secure_dir(dir_of(path), CONFIG.dir, &|n| {
        n == name || door::is_helper_file(n)
    })?
    .into_iter()
    .collect();
    warnings.extend(door::secret_readable_warning(path, holds_secret));
    Ok(warnings)
}

/// The whole file, as read from `path` (empty when the file does not exist).
#[derive(Debug, Default)]
pub struct ConfigFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Each profile's table, by name.
    pub profiles: BTreeMap<String, Profile>,
    /// What others may read of the file or its directory, each with the `chmod` that fixes
    /// it (or what pipi fixed itself): for the person to read. (What others could change is
    /// refused: the file is not read at all.)
    pub warnings: Vec<String>,
}

impl ConfigFile {
    /// Reads the file at `path`; a missing file is an empty one. Keys other than `keys`
    /// are refused, naming the file and the key (never quoting a value: it may be a secret).
    /// On Unix, a file that another user owns (root aside) or that others can change, or
    /// one in a directory that another user owns or others can write, is refused whole,
    /// naming the `chmod` that fixes it.
    pub fn load(path: &Path, keys: &[&str]) -> crate::Result<ConfigFile> {
        ConfigFile::read(path, keys).map_err(file_error)
    }

    fn read(path: &Path, keys: &[&str]) -> Result<ConfigFile> {
        let text = read_text(path)?;
        let profiles = parse_profiles(path, &text, keys, "failed to parse config file")?;
        let holds_secret = profiles.values().any(|p| p.contains_key(SECRET_KEY));
        Ok(ConfigFile {
            path: path.to_path_buf(),
            warnings: mode_warnings(path, holds_secret)?,
            profiles,
        })
    }

    /// The table of profile `name`, if the file has one.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }
}

/// The file as the person wrote it, changed one key at a time: comments, order and layout
/// survive, and nothing is written that [`ConfigFile::load`] would refuse.
///
/// From [`load`](Self::load) until it is dropped it holds the file's lock (a
/// `config.toml.lock` beside it), so that two programs changing the file at once each see
/// the other's change instead of writing over it.
pub struct EditableConfig {
    path: PathBuf,
    doc: toml_edit::DocumentMut,
    keys: Vec<&'static str>,
    _lock: lock::FileLock,
}

impl EditableConfig {
    /// Reads the file at `path` for changing; a missing file is an empty one. What is saved
    /// must hold only `keys`. The file and its directory are held to the same rule as by
    /// [`ConfigFile::load`].
    pub fn load(path: &Path, keys: &[&'static str]) -> crate::Result<EditableConfig> {
        EditableConfig::read(path, keys).map_err(file_error)
    }

    fn read(path: &Path, keys: &[&'static str]) -> Result<EditableConfig> {
        let lock = door::lock(path, &CONFIG)
            .with_context(|| format!("failed to lock config file {}", path.display()))?;
        let text = read_text(path)?;
        let doc = text.parse::<toml_edit::DocumentMut>().map_err(|e| {
            parse_error(
                "failed to parse config file",
                path,
                &text,
                e.span(),
                e.message(),
            )
        })?;
        Ok(EditableConfig {
            path: path.to_path_buf(),
            doc,
            keys: keys.to_vec(),
            _lock: lock,
        })
    }

    /// Sets `key` in the profile's table, adding the table if needed.
    pub fn set_text(&mut self, profile: &str, key: &str, value: &str) -> crate::Result<()> {
        self.set(profile, key, value.into()).map_err(file_error)
    }

    /// Sets `key` to a whole number in the profile's table, creating the table if needed.
    pub fn set_number(&mut self, profile: &str, key: &str, value: i64) -> crate::Result<()> {
        self.set(profile, key, value.into()).map_err(file_error)
    }

    fn set(&mut self, profile: &str, key: &str, value: toml_edit::Value) -> Result<()> {
        let path = self.path.display();
        let table = self
            .doc
            .entry(profile)
            .or_insert_with(toml_edit::table)
            .as_table_like_mut()
            .with_context(|| format!("'{profile}' in config file {path} is not a table"))?;
        table.insert(key, toml_edit::Item::Value(value));
        Ok(())
    }

    /// Removes `key` from the profile's table, and the table once it is empty; `false` if the
    /// key was not there.
    pub fn unset(&mut self, profile: &str, key: &str) -> bool {
        let Some(table) = self
            .doc
            .get_mut(profile)
            .and_then(toml_edit::Item::as_table_like_mut)
        else {
            return false;
        };
        let removed = table.remove(key).is_some();
        if table.is_empty() {
            self.doc.remove(profile);
        }
        removed
    }

    /// Writes the file atomically with mode 0600, after checking that pipi can read it back.
    /// A symbolic link (a dotfiles manager's) is kept: its target is what gets replaced.
    pub fn save(&self) -> crate::Result<()> {
        self.write().map_err(file_error)
    }

    fn write(&self) -> Result<()> {
        let text = self.doc.to_string();
        parse_profiles(
            &self.path,
            &text,
            &self.keys,
            "the change would leave an invalid config file",
        )?;
        door::write(&self.path, &CONFIG, text.as_bytes())
            .with_context(|| format!("failed to write config file {}", self.path.display()))
    }
}

/// Every failure of the config file is a file error, with its whole context.
fn file_error(e: Error) -> Error {
    e.or_kind(ErrorKind::File)
}

/// The keys pipi's command line gives the file, for the tests.
#[cfg(test)]
const KEYS: [&str; 5] = [
    "base-url",
    "app-id",
    "app-secret",
    "redirect-url",
    "token-ttl",
];

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
        let file = ConfigFile::load(&path, &KEYS).unwrap();
        assert_eq!(file.profile("default").unwrap()["app-id"], "123");
        let work = file.profile("work").unwrap();
        assert_eq!(work["base-url"], "https://example.org");
        assert_eq!(work["token-ttl"], "30");
        assert!(file.profile("other").is_none());
    }

    #[test]
    fn unknown_keys_and_bad_syntax_are_errors_naming_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, "[default]\napp-idd = 1\n").unwrap();
        let err = format!("{:#}", ConfigFile::load(&path, &KEYS).unwrap_err());
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
            let err = format!("{:#}", ConfigFile::load(&path, &KEYS).unwrap_err());
            assert!(!err.contains(secret), "{err}");
            assert!(err.contains("at line 2"), "{err}");
        }
    }

    #[test]
    fn values_in_the_wrong_place_or_of_the_wrong_type_are_named_not_quoted() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        let secret = "0123456789abcdef0123456789abcdef";
        for (text, said) in [
            (
                format!("app-secret = \"{secret}\"\n"),
                "at line 1: 'app-secret' is set outside of any [profile] table",
            ),
            (
                format!("[default]\n\napp-secret = [\"{secret}\"]\n"),
                "at line 3: 'app-secret' in [default] is a list",
            ),
            (
                "[default]\ntoken-ttl = 1.5\n".to_string(),
                "'token-ttl' in [default] is a decimal number",
            ),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = format!("{:#}", ConfigFile::load(&path, &KEYS).unwrap_err());
            assert!(!err.contains(secret), "{err}");
            assert!(err.contains(said), "{err}");
        }
    }

    #[test]
    fn edits_keep_comments_and_other_profiles() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        let before =
            "# my sites\n[default]\napp-id = 1 # from the dashboard\n\n[work]\ntoken-ttl = 30\n";
        std::fs::write(&path, before).unwrap();
        let mut file = EditableConfig::load(&path, &KEYS).unwrap();
        file.set_text("default", "base-url", "https://a.org")
            .unwrap();
        assert!(file.unset("work", "token-ttl"));
        assert!(!file.unset("work", "token-ttl"));
        file.set_number("new", "token-ttl", 90).unwrap();
        file.save().unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert!(
            after.starts_with("# my sites\n[default]\napp-id = 1 # from the dashboard\n"),
            "{after}"
        );
        assert!(after.contains("base-url = \"https://a.org\""), "{after}");
        assert!(!after.contains("[work]"), "{after}");
        let typed = ConfigFile::load(&path, &KEYS).unwrap();
        assert_eq!(typed.profile("new").unwrap()["token-ttl"], "90");
    }

    #[test]
    fn edits_that_would_break_the_file_are_not_written() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, "[default]\napp-idd = 1\n").unwrap();
        let mut file = EditableConfig::load(&path, &KEYS).unwrap();
        file.set_text("default", "app-id", "2").unwrap();
        let err = format!("{:#}", file.save().unwrap_err());
        assert!(err.contains("app-idd"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[default]\napp-idd = 1\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_file_is_changed_through_its_link() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("dotfiles-config.toml");
        std::fs::write(&real, "[default]\napp-id = 1\n").unwrap();
        let link = tmp.path().join("config.toml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut file = EditableConfig::load(&link, &KEYS).unwrap();
        file.set_text("default", "app-id", "2").unwrap();
        file.save().unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(
            std::fs::read_to_string(&real)
                .unwrap()
                .contains("app-id = \"2\"")
        );
    }
}

/// The readers against arbitrary text: they never panic, and never quote it in an error.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A secret that must never show in an error.
    const MARKER: &str = "f00dfacef00dfacef00dfacef00dface";

    /// TOML-like text: fragments of real config files, mixed with arbitrary characters.
    fn toml_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("[default]\n".to_string()),
            Just("[work]\n".to_string()),
            Just("[\"a b\"]\n".to_string()),
            Just("[[default]]\n".to_string()),
            Just(format!("app-secret = \"{MARKER}\"\n")),
            Just(format!("app-secret = {MARKER}\n")),
            Just(format!("app-secret = '''{MARKER}\n")),
            Just(format!("{MARKER}\n")),
            Just("app-id = 123\n".to_string()),
            Just("token-ttl = 1e400\n".to_string()),
            Just("token-ttl = 99999999999999999999\n".to_string()),
            Just("base-url = { a = 1 }\n".to_string()),
            Just("base-url = [1, \"x\"]\n".to_string()),
            Just("redirect-url = 1979-05-27T07:32:00Z\n".to_string()),
            Just("\"app-id\" = \"1\"\n".to_string()),
            Just("a.b.c = 1\n".to_string()),
            Just("# comment\n".to_string()),
            Just("=\n".to_string()),
            Just("\"\n".to_string()),
            any::<String>(),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn arbitrary_text_never_panics_nor_quotes_the_file(text in toml_like()) {
            let path = Path::new("config.toml");
            match parse_profiles(path, &text, &KEYS, "failed to parse config file") {
                Ok(profiles) => {
                    for profile in profiles.values() {
                        for key in profile.keys() {
                            prop_assert!(KEYS.contains(&key.as_str()), "{}", key);
                        }
                    }
                }
                Err(e) => {
                    let message = format!("{e:#}");
                    prop_assert!(!message.contains(MARKER), "{}", message);
                    prop_assert!(message.contains("config.toml"), "{}", message);
                }
            }
            if let Err(e) = text.parse::<toml_edit::DocumentMut>() {
                let message = format!(
                    "{:#}",
                    parse_error("failed to parse", path, &text, e.span(), e.message())
                );
                prop_assert!(!message.contains(MARKER), "{}", message);
            }
        }

        #[test]
        fn arbitrary_bytes_in_the_file_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_profiles(Path::new("c.toml"), &text, &KEYS, "failed");
            let _ = text.parse::<toml_edit::DocumentMut>();
        }
    }
}
