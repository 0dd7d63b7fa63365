//! A short memory of the tokens obtained lately, kept across logout.
//!
//! Within a token's lifetime the site hands the same token back to every new login, with
//! its original date (PROTOCOL.md). While the token is cached, the cache tells its real end;
//! after a logout the cache is gone, and a login a moment later would count the handed-back
//! token alive for a whole new lifetime. So each login also notes, in `PROFILE.issued`
//! beside the cache, a digest of the token (SHA-256 of the site, the app and the token,
//! never the token itself) with when it was first obtained and when it dies.
//!
//! The record is bounded: entries whose token is dead are dropped at each write, and at most
//! [`MAX_ENTRIES`] are kept, the newest. A record that cannot be read counts as empty: it
//! only ever shortens a token's life as counted, never lengthens it.

use super::door::{self, TOKEN_CACHE};
use super::{CachedToken, rfc3339};
use crate::error::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// At most this many tokens are remembered. A login adds one, and each lives a minute: a
/// few are all a person can have at once.
pub(crate) const MAX_ENTRIES: usize = 32;

/// The record's file name ends so: it is pipi's, like the cache's `.json`.
pub(crate) const SUFFIX: &str = ".issued";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    /// SHA-256, in hex, of the site, the app and the token.
    digest: String,
    #[serde(with = "rfc3339")]
    obtained_at: SystemTime,
    #[serde(with = "rfc3339")]
    expires_at: SystemTime,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    tokens: Vec<Entry>,
}

/// The record of one profile: the file `PROFILE.issued` in the cache directory.
#[derive(Debug, Clone)]
pub(crate) struct IssuedTokens {
    path: PathBuf,
}

impl IssuedTokens {
    pub(crate) fn new(cache_dir: &Path, profile: &str) -> IssuedTokens {
        IssuedTokens {
            path: cache_dir.join(format!("{profile}{SUFFIX}")),
        }
    }

    /// Notes `token`, obtained now, and returns the times it really has: those of its first
    /// login, when the record holds it (the site handed it back), else its own. The caller
    /// holds the cache's lock, so that two logins at once agree: the record is read and
    /// written only there, and a lock of its own would be one more file to open at a moment
    /// a flood on the listener may leave few.
    pub(crate) fn note(
        &self,
        token: &CachedToken,
        now: SystemTime,
    ) -> Result<(SystemTime, SystemTime)> {
        let mut record = self.read();
        let digest = digest(token);
        // An entry dated ahead of the clock is not believed: the clock was set back.
        let known = record
            .tokens
            .iter()
            .find(|e| e.digest == digest && e.obtained_at <= now && e.expires_at > now);
        let times = match known {
            Some(entry) => (entry.obtained_at, entry.expires_at),
            None => (token.obtained_at, token.expires_at),
        };
        record.tokens.retain(|e| e.digest != digest);
        record.tokens.push(Entry {
            digest,
            obtained_at: times.0,
            expires_at: times.1,
        });
        keep_live(&mut record.tokens, now);
        let mut json = serde_json::to_vec_pretty(&record).context("failed to encode the record")?;
        json.push(b'\n');
        door::write(&self.path, &TOKEN_CACHE, &json)?;
        Ok(times)
    }

    /// What the file holds; nothing when it is missing or broken.
    fn read(&self) -> Record {
        match door::read(&self.path, &TOKEN_CACHE) {
            Ok(bytes) => parse(&bytes),
            Err(_) => Record::default(),
        }
    }
}

/// The record in `bytes`; a broken one is empty, and entries that are not a digest are
/// left out.
fn parse(bytes: &[u8]) -> Record {
    let mut record: Record = serde_json::from_slice(bytes).unwrap_or_default();
    record
        .tokens
        .retain(|e| e.digest.len() == 64 && e.digest.bytes().all(|b| b.is_ascii_hexdigit()));
    record
}

/// Drops the dead tokens and keeps the newest [`MAX_ENTRIES`].
fn keep_live(tokens: &mut Vec<Entry>, now: SystemTime) {
    tokens.retain(|e| e.expires_at > now);
    tokens.sort_by_key(|e| std::cmp::Reverse(e.obtained_at));
    tokens.truncate(MAX_ENTRIES);
}

/// SHA-256 of the site, the app and the token, each ended by a NUL so that no two
/// triples give the same input.
fn digest(token: &CachedToken) -> String {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(b"pipi issued token 1\0");
    for part in [
        token.base_url.as_str(),
        token.app_id.as_str(),
        token.access_token.expose(),
    ] {
        context.update(part.as_bytes());
        context.update(b"\0");
    }
    context
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use std::time::Duration;

    fn whole_seconds(t: SystemTime) -> SystemTime {
        let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn token(value: &str, at: SystemTime) -> CachedToken {
        CachedToken {
            access_token: Secret::new(value),
            obtained_at: at,
            expires_at: at + Duration::from_secs(60),
            base_url: "https://pipichat.com".into(),
            app_id: "7".into(),
            user: None,
        }
    }

    #[test]
    fn a_token_handed_back_keeps_the_times_of_its_first_login_and_is_never_stored() {
        let tmp = tempfile::tempdir().unwrap();
        let record = IssuedTokens::new(tmp.path(), "default");
        // Whole seconds, as the file keeps them.
        let t0 = whole_seconds(SystemTime::now());
        let first = token("0123456789abcdef0123456789abcdef", t0);
        assert_eq!(
            record.note(&first, t0).unwrap(),
            (t0, t0 + Duration::from_secs(60))
        );
        let later = t0 + Duration::from_secs(20);
        let again = token("0123456789abcdef0123456789abcdef", later);
        assert_eq!(
            record.note(&again, later).unwrap(),
            (t0, t0 + Duration::from_secs(60)),
            "the real end, not 60 s from the second login"
        );
        // Another token, or the same on another site, is its own.
        let other = token("fedcba9876543210fedcba9876543210", later);
        assert_eq!(record.note(&other, later).unwrap().0, later);
        let mut elsewhere = token("0123456789abcdef0123456789abcdef", later);
        elsewhere.base_url = "https://other.example".into();
        assert_eq!(record.note(&elsewhere, later).unwrap().0, later);
        let text = std::fs::read_to_string(tmp.path().join("default.issued")).unwrap();
        assert!(!text.contains("0123456789abcdef"), "{text}");
        assert!(!text.contains("fedcba9876543210"), "{text}");
    }

    #[test]
    fn dead_tokens_are_dropped_and_the_record_is_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        let record = IssuedTokens::new(tmp.path(), "default");
        let t0 = whole_seconds(SystemTime::now());
        // Three times the bound, a millisecond apart, all alive.
        for i in 0..(3 * MAX_ENTRIES as u64) {
            let at = t0 + Duration::from_millis(i);
            record.note(&token(&format!("{i:032x}"), at), at).unwrap();
        }
        assert_eq!(record.read().tokens.len(), MAX_ENTRIES);
        // Once they are dead, one more login leaves only itself.
        let later = t0 + Duration::from_secs(120);
        record
            .note(&token("0123456789abcdef0123456789abcdef", later), later)
            .unwrap();
        assert_eq!(record.read().tokens.len(), 1);
        // A dead entry does not shorten a token that is obtained again after it died.
        let first = token("0123456789abcdef0123456789abcdef", later);
        let much_later = later + Duration::from_secs(61);
        let again = token("0123456789abcdef0123456789abcdef", much_later);
        record.note(&first, later).unwrap();
        assert_eq!(record.note(&again, much_later).unwrap().0, much_later);
    }

    #[test]
    fn an_entry_dated_after_the_login_is_not_believed() {
        let tmp = tempfile::tempdir().unwrap();
        let record = IssuedTokens::new(tmp.path(), "default");
        let now = whole_seconds(SystemTime::now());
        let ahead = token(
            "0123456789abcdef0123456789abcdef",
            now + Duration::from_secs(3600),
        );
        record
            .note(&ahead, now + Duration::from_secs(3600))
            .unwrap();
        // The clock was set back an hour since that entry was written.
        let fresh = token("0123456789abcdef0123456789abcdef", now);
        assert_eq!(record.note(&fresh, now).unwrap().0, now);
    }
}

/// The reader against arbitrary files: it never panics, and keeps only well-formed entries.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn arbitrary_bytes_are_an_empty_or_well_formed_record(
            bytes in proptest::collection::vec(any::<u8>(), 0..1024),
        ) {
            let record = parse(&bytes);
            for entry in &record.tokens {
                prop_assert_eq!(entry.digest.len(), 64);
            }
        }

        #[test]
        fn entries_with_anything_as_a_digest_keep_only_digests(
            digests in proptest::collection::vec(
                prop_oneof!["[0-9a-f]{64}", any::<String>()], 0..16),
        ) {
            let tokens: Vec<_> = digests
                .iter()
                .map(|d| serde_json::json!({
                    "digest": d,
                    "obtained_at": "2030-01-01T00:00:00Z",
                    "expires_at": "2030-01-01T00:01:00Z",
                }))
                .collect();
            let bytes = serde_json::to_vec(&serde_json::json!({ "tokens": tokens })).unwrap();
            let record = parse(&bytes);
            let expected = digests
                .iter()
                .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
                .count();
            prop_assert_eq!(record.tokens.len(), expected);
        }
    }
}
