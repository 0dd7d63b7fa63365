//! The token cache: one private JSON file per profile with the token, its times, the site and
//! app it belongs to, and the profile snapshot taken at login.

use super::atomic;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;
use anyhow::Context;
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
    /// Time left by the local clock; `None` once expired.
    pub fn time_left(&self, now: SystemTime) -> Option<Duration> {
        self.expires_at
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

    /// Reads the file; a broken one is [`Lookup::Unusable`], never an error, so that a
    /// login can replace it.
    pub fn load(&self) -> Lookup {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Missing,
            Err(e) => {
                return Lookup::Unusable(format!(
                    "failed to read token cache {}: {e}",
                    self.path.display()
                ));
            }
        };
        match serde_json::from_slice(&bytes) {
            Ok(token) => Lookup::Found(token),
            // serde_json's own message can quote the file, token included: say only what
            // kind of trouble it is and where.
            Err(e) => Lookup::Unusable(format!(
                "ignoring unreadable token cache {}: {} at line {} column {}",
                self.path.display(),
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

    /// Replaces the file with `token`, atomically: a reader sees the old token or the new
    /// one, never half of either.
    pub fn save(&self, token: &CachedToken) -> Result<()> {
        let write = || -> anyhow::Result<()> {
            let mut json =
                serde_json::to_vec_pretty(token).context("failed to encode the token cache")?;
            json.push(b'\n');
            atomic::write_private_atomic(&self.path, &json)
                .with_context(|| format!("failed to write token cache {}", self.path.display()))
        };
        write().map_err(|e| Error::new(ErrorKind::File, format!("{e:#}")))
    }

    /// Deletes the file; `false` if there was none.
    pub fn remove(&self) -> Result<bool> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::new(
                ErrorKind::File,
                format!("failed to remove token cache {}: {e}", self.path.display()),
            )),
        }
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
    fn unix_seconds_are_read() {
        let json = r#"{"access_token":"x","obtained_at":1800000000,"expires_at":1800000060,
            "base_url":"https://a.org","app_id":"1","user":null}"#;
        let t: CachedToken = serde_json::from_str(json).unwrap();
        assert_eq!(t.time_left(t.obtained_at), Some(Duration::from_secs(60)));
        assert_eq!(t.time_left(t.expires_at), None);
    }
}
