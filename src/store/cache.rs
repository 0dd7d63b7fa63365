//! The token cache: one private JSON file per profile with the token, its times, the site and
//! app it belongs to, and the profile snapshot taken at login.

use super::door::{self, TOKEN_CACHE};
use super::issued::{self, IssuedTokens};
use super::lock;
use super::read::ReadError;
use crate::error::Context;
use crate::error::{ErrorKind, Result};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// What a successful login leaves behind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedToken {
    /// The token the site issued.
    pub access_token: Secret,
    /// When the site issued it (or first handed it back).
    #[serde(with = "rfc3339")]
    pub obtained_at: SystemTime,
    /// When it dies, by the local clock; the site is the judge.
    #[serde(with = "rfc3339")]
    pub expires_at: SystemTime,
    /// The site it belongs to: it is never sent anywhere else.
    pub base_url: String,
    /// The app it was issued to.
    pub app_id: String,
    /// The `user_info` object at login, entity-decoded; null if it was never fetched.
    pub user: Option<serde_json::Value>,
}

impl CachedToken {
    /// Time left by the local clock; `None` once expired, and `None` for a token dated in
    /// the future (see [`CachedToken::dated_ahead`]), whose time left cannot be told. It is
    /// never more than the token's lifetime, from when it was obtained to when it expires.
    pub fn time_left(&self, now: SystemTime) -> Option<Duration> {
        if self.dated_ahead(now).is_some() {
            return None;
        }
        self.expires_at
            .duration_since(now)
            .ok()
            .filter(|d| !d.is_zero())
    }

    /// How far in the future the token says it was obtained, if it does: the clock was
    /// set back since (by hand, or a virtual machine restored from a snapshot). Such a
    /// token is not counted alive: by the site's clock it may well be long dead.
    pub fn dated_ahead(&self, now: SystemTime) -> Option<Duration> {
        self.obtained_at
            .duration_since(now)
            .ok()
            .filter(|d| !d.is_zero())
    }
}

/// What reading the cache found.
#[derive(Debug)]
pub enum Lookup {
    /// There is no file: not logged in.
    Missing,
    /// The token, read.
    Found(CachedToken),
    /// The file exists but cannot be read or parsed; the message names it. It counts as
    /// "not logged in" and is replaced by the next login.
    Unusable(String),
}

/// The cache file of one profile.
#[derive(Debug, Clone)]
pub struct TokenCache {
    path: PathBuf,
}

impl TokenCache {
    /// The cache of `profile` in `cache_dir`: the file `PROFILE.json`.
    pub fn new(cache_dir: &Path, profile: &str) -> TokenCache {
        TokenCache {
            path: cache_dir.join(format!("{profile}.json")),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory the file is in.
    fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    /// Checks the directory before use: refuses one that belongs to another user or that
    /// others can write in, and makes one that holds only pipi's files private (0700) when
    /// others may enter it. Returns a sentence for the person when it changed something.
    /// [`load`](Self::load), [`save`](Self::save) and [`remove`](Self::remove) refuse such
    /// a directory too; this says so before any work.
    pub fn check_dir(&self) -> Result<Option<String>> {
        door::secure_dir(self.dir(), TOKEN_CACHE.dir, &|name| {
            name.ends_with(".json") || name.ends_with(issued::SUFFIX) || door::is_helper_file(name)
        })
    }

    /// Reads the file; a broken one is [`Lookup::Unusable`], never an error, so that a
    /// login can replace it. Anything but a regular file of at most 1 MiB is broken: a FIFO
    /// or a device is not opened for reading, and a huge file is not read. So is a file
    /// that another user owns or others can change, or one in a directory others can write
    /// in: nothing in it is used. A file others can read is made private (not through a
    /// link).
    pub fn load(&self) -> Lookup {
        self.read_with(parse::<CachedToken>)
    }

    /// [`TokenCache::load`] without the profile snapshot (`user` is `None`), for callers
    /// that need only the token and its site: parsing the snapshot is a good part of what
    /// `pipi token` would do otherwise.
    pub fn load_token(&self) -> Lookup {
        self.read_with(parse::<TokenOnly>)
    }

    /// Reads the file and hands its bytes to `parse`, or says why there are none.
    fn read_with(&self, parse: fn(&Path, &[u8]) -> Lookup) -> Lookup {
        let bytes = match door::read(&self.path, &TOKEN_CACHE) {
            Ok(bytes) => bytes,
            Err(ReadError::Missing) => return Lookup::Missing,
            Err(ReadError::Refused(e)) => {
                return Lookup::Unusable(format!("ignoring the token cache: {e}"));
            }
            Err(e @ ReadError::Io(_)) => {
                return Lookup::Unusable(format!(
                    "failed to read token cache {}: {e}",
                    self.path.display()
                ));
            }
            Err(e) => {
                return Lookup::Unusable(format!(
                    "ignoring token cache {}: {e}",
                    self.path.display()
                ));
            }
        };
        parse(&self.path, &bytes)
    }

    /// Replaces the file with `token`, atomically: a reader sees the old token or the new
    /// one, never half of either.
    pub fn save(&self, token: &CachedToken) -> Result<()> {
        self.change(|_| Ok(token.clone())).map(drop)
    }

    /// The profile this cache is for: its file's name without `.json`.
    fn profile(&self) -> std::borrow::Cow<'_, str> {
        self.path.file_stem().unwrap_or_default().to_string_lossy()
    }

    /// The record of the tokens this profile obtained lately, beside the cache file.
    fn issued(&self) -> IssuedTokens {
        let profile = self.profile();
        IssuedTokens::new(self.dir(), &profile)
    }

    /// Saves the token of a login. Within its minute the server hands back the token it
    /// issued before, with its old date: then the times of the first login are kept rather
    /// than the token's life extended, whether that token is still cached or was logged out
    /// of since (the record of tokens obtained lately remembers it). The read and the write
    /// are one step under the cache's lock, so that a concurrent login cannot slip in
    /// between. Returns the token as saved.
    pub(crate) fn save_login(&self, token: CachedToken) -> Result<CachedToken> {
        self.change(move |earlier| {
            let mut token = token;
            let now = SystemTime::now();
            // Times dated ahead of the clock are not believed (see `dated_ahead`).
            if let Lookup::Found(old) = earlier
                && old.access_token == token.access_token
                && old.base_url == token.base_url
                && old.app_id == token.app_id
                && old.dated_ahead(now).is_none()
            {
                token.obtained_at = old.obtained_at;
                token.expires_at = old.expires_at;
            }
            match self.issued().note(&token, now) {
                Ok((obtained_at, expires_at)) => {
                    token.obtained_at = obtained_at;
                    token.expires_at = expires_at;
                }
                // It can only shorten a life as counted: without it, the cache still does.
                Err(e) => log::debug!("could not keep the record of tokens obtained lately: {e:#}"),
            }
            Ok(token)
        })
    }

    /// Reads the file, makes the new token from what was there, and writes it, holding the
    /// cache's lock throughout.
    fn change(&self, make: impl FnOnce(Lookup) -> Result<CachedToken>) -> Result<CachedToken> {
        let change = || -> Result<CachedToken> {
            let _lock = door::lock(&self.path, &TOKEN_CACHE)?;
            let token = make(self.load())?;
            let mut json =
                serde_json::to_vec_pretty(&token).context("failed to encode the token cache")?;
            json.push(b'\n');
            door::write(&self.path, &TOKEN_CACHE, &json)?;
            Ok(token)
        };
        change().map_err(|e| {
            e.context(format!(
                "failed to write token cache {}",
                self.path.display()
            ))
            .or_kind(ErrorKind::File)
        })
    }

    /// Takes the profile's login lock (the file `PROFILE.login.lock` beside the cache),
    /// waiting up to `patience` while another process holds it, and calling `on_wait` once
    /// when that wait begins. A program that logs in only when no good token is cached
    /// takes it first, then reads the cache again: when several start at once with no
    /// token, one logs in while the others wait, and then find its token. The lock is
    /// released when the value is dropped, or when its holder ends, even by `kill -9`.
    pub fn lock_login(&self, patience: Duration, mut on_wait: impl FnMut()) -> Result<LoginLock> {
        let profile = self.profile();
        let target = self.dir().join(format!("{profile}.login"));
        let mut take = || -> Result<LoginLock> {
            Ok(LoginLock {
                _lock: door::lock_within(&target, &TOKEN_CACHE, patience, &mut on_wait)?,
            })
        };
        take().map_err(|e| {
            e.context(format!(
                "failed to take the login lock of profile '{profile}'"
            ))
            .or_kind(ErrorKind::File)
        })
    }

    /// Deletes the file; `false` if there was none.
    pub fn remove(&self) -> Result<bool> {
        let remove = || -> Result<bool> {
            let _lock = door::lock(&self.path, &TOKEN_CACHE)?;
            door::remove(&self.path, &TOKEN_CACHE)
        };
        remove().map_err(|e| {
            e.context(format!(
                "failed to remove token cache {}",
                self.path.display()
            ))
            .or_kind(ErrorKind::File)
        })
    }
}

/// A profile's login lock, held while the value lives (see [`TokenCache::lock_login`]).
#[derive(Debug)]
pub struct LoginLock {
    _lock: lock::FileLock,
}

/// The cache file's fields but the profile snapshot, which is read past unparsed.
#[derive(Deserialize)]
struct TokenOnly {
    access_token: Secret,
    #[serde(with = "rfc3339")]
    obtained_at: SystemTime,
    #[serde(with = "rfc3339")]
    expires_at: SystemTime,
    base_url: String,
    app_id: String,
    #[serde(default, rename = "user")]
    _user: serde::de::IgnoredAny,
}

impl From<TokenOnly> for CachedToken {
    fn from(t: TokenOnly) -> CachedToken {
        CachedToken {
            access_token: t.access_token,
            obtained_at: t.obtained_at,
            expires_at: t.expires_at,
            base_url: t.base_url,
            app_id: t.app_id,
            user: None,
        }
    }
}

/// The cache file's bytes as a token; anything else is unusable.
fn parse<T: serde::de::DeserializeOwned + Into<CachedToken>>(path: &Path, bytes: &[u8]) -> Lookup {
    match serde_json::from_slice::<T>(bytes) {
        // A value that is not a token's shape is not printed nor handed on, whoever wrote
        // it there: the file counts as broken, and the next login replaces it.
        Ok(token) => {
            let token: CachedToken = token.into();
            match crate::site::token::check_token(token.access_token.expose()) {
                Ok(()) => Lookup::Found(token),
                Err(problem) => Lookup::Unusable(format!(
                    "ignoring unreadable token cache {}: its token is malformed: {problem}",
                    path.display()
                )),
            }
        }
        // serde_json's own message can quote the file, token included: say only what
        // kind of trouble it is and where.
        Err(e) => Lookup::Unusable(format!(
            "ignoring unreadable token cache {}: {} at line {} column {}",
            path.display(),
            match e.classify() {
                serde_json::error::Category::Syntax => "not valid JSON",
                serde_json::error::Category::Eof => "cut short",
                serde_json::error::Category::Data => "missing or wrong fields",
                serde_json::error::Category::Io => "unreadable",
            },
            e.line(),
            e.column()
        )),
    }
}

/// Times as RFC 3339 UTC strings; Unix seconds are read too. Times run from 1970 to the end
/// of year 9999, what RFC 3339 can write; anything else in a file is refused, not a panic.
pub(crate) mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    /// 9999-12-31T23:59:59Z.
    const LAST_SECOND: u64 = 253_402_300_799;

    /// The latest time that can be written.
    pub fn latest() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(LAST_SECOND)
    }

    pub fn format(t: SystemTime) -> String {
        humantime::format_rfc3339_seconds(t.min(latest()).max(UNIX_EPOCH)).to_string()
    }

    pub fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Time {
            Text(String),
            Unix(u64),
        }
        match Time::deserialize(d)? {
            Time::Text(s) => humantime::parse_rfc3339_weak(&s).map_err(D::Error::custom),
            Time::Unix(n) if n <= LAST_SECOND => Ok(UNIX_EPOCH + Duration::from_secs(n)),
            Time::Unix(n) => Err(D::Error::custom(format!("time {n} is past the year 9999"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CachedToken {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        CachedToken {
            access_token: Secret::new("0123456789abcdef0123456789abcdef"),
            obtained_at: t,
            expires_at: t + Duration::from_secs(60),
            base_url: "https://pipichat.com".into(),
            app_id: "7".into(),
            user: Some(serde_json::json!({"user_name": "jose"})),
        }
    }

    #[test]
    fn round_trips_with_rfc3339_times() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(tmp.path(), "default");
        assert!(matches!(cache.load(), Lookup::Missing));
        cache.save(&sample()).unwrap();
        let text = std::fs::read_to_string(cache.path()).unwrap();
        assert!(
            text.contains("\"expires_at\": \"2027-01-15T08:01:00Z\""),
            "{text}"
        );
        let Lookup::Found(back) = cache.load() else {
            panic!("not found")
        };
        assert_eq!(back.expires_at, sample().expires_at);
        assert_eq!(back.access_token, sample().access_token);
        assert!(cache.remove().unwrap());
        assert!(!cache.remove().unwrap());
    }

    #[test]
    fn corrupt_files_are_unusable_not_fatal() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(tmp.path(), "default");
        std::fs::write(cache.path(), "{\"access_token\": 12").unwrap();
        let Lookup::Unusable(msg) = cache.load() else {
            panic!("expected unusable")
        };
        assert!(msg.contains("default.json"), "{msg}");
    }

    #[test]
    fn times_out_of_range_are_refused_or_clamped() {
        let json = r#"{"access_token":"x","obtained_at":1,"expires_at":300000000000,
            "base_url":"https://a.org","app_id":"1","user":null}"#;
        assert!(serde_json::from_str::<CachedToken>(json).is_err());
        let far = rfc3339::latest() + Duration::from_secs(1_000_000);
        assert_eq!(rfc3339::format(far), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn warnings_about_a_corrupt_cache_never_quote_it() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(tmp.path(), "default");
        std::fs::write(cache.path(), "\"0123456789abcdef0123456789abcdef\"").unwrap();
        let Lookup::Unusable(msg) = cache.load() else {
            panic!("expected unusable")
        };
        assert!(!msg.contains("0123456789abcdef"), "{msg}");
        assert!(msg.contains("missing or wrong fields at line 1"), "{msg}");
    }

    #[test]
    fn concurrent_logins_keep_the_times_of_the_first() {
        // Eight logins that got the same token back save at once, each with its own clock
        // reading: the first to save sets the times, and every other keeps them, so the
        // token's life is never extended. Without the lock, two could each read "no token
        // yet" and the last write would win.
        let tmp = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(tmp.path(), "default");
        let barrier = std::sync::Barrier::new(8);
        // Times a little in the past, in whole seconds as the file keeps them: a token
        // dated ahead of the clock is not believed.
        let start = SystemTime::UNIX_EPOCH
            + Duration::from_secs(
                SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
                    - 10,
            );
        let saved: Vec<CachedToken> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8u64)
                .map(|i| {
                    let (cache, barrier) = (&cache, &barrier);
                    s.spawn(move || {
                        let mut token = sample();
                        token.obtained_at = start + Duration::from_secs(i);
                        token.expires_at = token.obtained_at + Duration::from_secs(60);
                        barrier.wait();
                        cache.save_login(token).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let Lookup::Found(on_disk) = cache.load() else {
            panic!("nothing saved")
        };
        for token in &saved {
            assert_eq!(token.expires_at, on_disk.expires_at);
            assert_eq!(token.obtained_at, on_disk.obtained_at);
        }
    }

    #[test]
    fn unix_seconds_are_read() {
        let json = r#"{"access_token":"0123456789abcdef","obtained_at":1800000000,"expires_at":1800000060,
            "base_url":"https://a.org","app_id":"1","user":null}"#;
        let t: CachedToken = serde_json::from_str(json).unwrap();
        assert_eq!(t.time_left(t.obtained_at), Some(Duration::from_secs(60)));
        assert_eq!(t.time_left(t.expires_at), None);
    }
}

/// The reader against arbitrary files: it never panics, never quotes what it read, and
/// finds a token only in a well-formed cache, with every field of the right type.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    const CASES: u32 = 4096;
    /// Text that must never show in a message about a broken file.
    const MARKER: &str = "f00dfacef00dfacef00dfacef00dface";

    /// A value for a time field: right (RFC 3339 text or Unix seconds in range) or wrong.
    fn time_value() -> impl Strategy<Value = (Value, bool)> {
        prop_oneof![
            (0u64..=253_402_300_799).prop_map(|n| (json!(n), true)),
            (0u64..=253_402_300_799).prop_map(|n| {
                let t = std::time::UNIX_EPOCH + Duration::from_secs(n);
                (
                    json!(humantime::format_rfc3339_seconds(t).to_string()),
                    true,
                )
            }),
            (253_402_300_800u64..).prop_map(|n| (json!(n), false)),
            any::<i64>()
                .prop_filter("negative", |n| *n < 0)
                .prop_map(|n| (json!(n), false)),
            any::<f64>()
                .prop_filter("not whole", |f| f.fract() != 0.0)
                .prop_map(|f| (json!(f), false)),
            "[^0-9]{0,12}".prop_map(|s| (json!(s), false)),
            Just((Value::Null, false)),
            Just((json!([1, 2]), false)),
        ]
    }

    /// A value for a text field: text is right, anything else is wrong.
    fn text_value() -> impl Strategy<Value = (Value, bool)> {
        prop_oneof![
            3 => any::<String>().prop_map(|s| (json!(s), true)),
            1 => any::<i64>().prop_map(|n| (json!(n), false)),
            1 => any::<bool>().prop_map(|b| (json!(b), false)),
            1 => Just((Value::Null, false)),
            1 => Just((json!({"a": 1}), false)),
        ]
    }

    /// Any JSON value for `user`, which may be anything, or null.
    fn user_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<String>().prop_map(|s| json!({ "user_name": s })),
            any::<i64>().prop_map(|n| json!(n)),
        ]
    }

    /// A value for the token: right only when it has a token's shape.
    fn token_value() -> impl Strategy<Value = (Value, bool)> {
        prop_oneof![
            3 => "[0-9a-f]{32}".prop_map(|s| (json!(s), true)),
            3 => any::<String>().prop_map(|s| {
                let right = crate::site::token::check_token(&s).is_ok();
                (json!(s), right)
            }),
            1 => "[0-9a-f]{8}[\\x00\\n\\x1b ][0-9a-f]{8}".prop_map(|s| (json!(s), false)),
            1 => any::<i64>().prop_map(|n| (json!(n), false)),
            1 => Just((Value::Null, false)),
        ]
    }

    prop_compose! {
        /// A cache-like object: each field present or not, right or wrong, plus extras.
        fn cache_object()(
            token in proptest::option::weighted(0.9, token_value()),
            obtained in proptest::option::weighted(0.9, time_value()),
            expires in proptest::option::weighted(0.9, time_value()),
            base_url in proptest::option::weighted(0.9, text_value()),
            app_id in proptest::option::weighted(0.9, text_value()),
            user in proptest::option::of(user_value()),
            extra in proptest::option::of(("[a-z_]{1,8}", any::<String>())),
        ) -> (Value, bool) {
            let mut object = Map::new();
            let mut well_formed = true;
            for (name, field) in [
                ("access_token", token),
                ("obtained_at", obtained),
                ("expires_at", expires),
                ("base_url", base_url),
                ("app_id", app_id),
            ] {
                match field {
                    Some((value, right)) => {
                        object.insert(name.into(), value);
                        well_formed &= right;
                    }
                    None => well_formed = false,
                }
            }
            // `user` may be left out: null, as a cache written before the snapshot existed.
            if let Some(user) = user {
                object.insert("user".into(), user);
            }
            if let Some((key, value)) = extra
                && !object.contains_key(&key)
            {
                object.insert(key, json!(value));
            }
            (Value::Object(object), well_formed)
        }
    }

    fn assert_quiet(lookup: &Lookup) {
        if let Lookup::Unusable(message) = lookup {
            assert!(!message.contains(MARKER), "{message}");
            assert!(
                message.starts_with("ignoring unreadable token cache"),
                "{message}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(CASES))]

        #[test]
        fn arbitrary_bytes_never_panic_nor_yield_a_token(
            bytes in proptest::collection::vec(any::<u8>(), 0..512),
            marker_at in any::<prop::sample::Index>(),
        ) {
            let mut bytes = bytes;
            let at = marker_at.index(bytes.len() + 1);
            bytes.splice(at..at, MARKER.bytes());
            let lookup = parse::<CachedToken>(Path::new("c.json"), &bytes);
            assert_quiet(&lookup);
            let token_only = parse::<TokenOnly>(Path::new("c.json"), &bytes);
            assert_quiet(&token_only);
            prop_assert_eq!(
                matches!(lookup, Lookup::Found(_)),
                matches!(token_only, Lookup::Found(_))
            );
            // Random bytes are, in practice, never a well-formed cache; if ever they were,
            // they would have to be a JSON object with the fields.
            if let Lookup::Found(_) = lookup {
                let value: Value = serde_json::from_slice(&bytes).unwrap();
                prop_assert!(value.get("access_token").is_some_and(Value::is_string));
            }
        }

        #[test]
        fn a_token_only_from_a_well_formed_cache((object, well_formed) in cache_object()) {
            let mut text = serde_json::to_vec(&object).unwrap();
            let lookup = parse::<CachedToken>(Path::new("c.json"), &text);
            assert_quiet(&lookup);
            prop_assert_eq!(matches!(lookup, Lookup::Found(_)), well_formed, "{}", object);
            // Skipping the profile snapshot takes and refuses the same files.
            let token_only = parse::<TokenOnly>(Path::new("c.json"), &text);
            prop_assert_eq!(matches!(token_only, Lookup::Found(_)), well_formed, "{}", object);
            // Cut short anywhere, it is never a token.
            let cut = text.len() / 2;
            text.truncate(cut);
            let lookup = parse::<CachedToken>(Path::new("c.json"), &text);
            assert_quiet(&lookup);
            prop_assert!(!matches!(lookup, Lookup::Found(_)));
        }
    }

    proptest! {
        // Each case writes and reads a real file: fewer of them.
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn a_file_of_arbitrary_bytes_is_never_a_token(
            bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        ) {
            let tmp = tempfile::tempdir().unwrap();
            let cache = TokenCache::new(tmp.path(), "default");
            std::fs::write(cache.path(), &bytes).unwrap();
            let lookup = cache.load();
            prop_assert!(matches!(lookup, Lookup::Unusable(_)), "{:?}", lookup);
        }
    }
}
