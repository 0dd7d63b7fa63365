//! What the emulated site remembers between requests: sessions, each person's grant to the
//! app (approval, the current auth key, the current token and its date), deleted people,
//! the clock, and the requests it saw.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::RecordedRequest;
use super::faults::Fault;

/// A person's row in the app's grants, as Sngine keeps one per app and user.
#[derive(Clone, Debug, Default)]
struct Grant {
    approved: bool,
    auth_key: Option<String>,
    access_token: Option<String>,
    /// Seconds since the epoch on the emulator's clock; the server stores a DATETIME,
    /// so whole seconds are all there is.
    token_date: u64,
}

/// What `/api/authorize` finds for a key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Exchange {
    Token(String),
    UnknownKey,
}

/// What `/api/get_user_info` finds for a token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TokenLookup {
    Valid { user_id: String },
    Unknown,
    Expired,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    clock_offset: Duration,
    sessions: HashMap<String, String>,
    grants: HashMap<String, Grant>,
    deleted: HashSet<String>,
    pub faults: Vec<Fault>,
    pub requests: VecDeque<RecordedRequest>,
}

impl State {
    pub fn new(faults: Vec<Fault>) -> State {
        State {
            faults,
            ..State::default()
        }
    }

    /// The emulator's clock, in whole seconds since the epoch (UTC, as the server's `NOW()`).
    pub fn now(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        (real + self.clock_offset).as_secs()
    }

    pub fn advance_clock(&mut self, by: Duration) {
        self.clock_offset = self.clock_offset.saturating_add(by);
    }

    pub fn delete_user(&mut self, user_id: &str) {
        self.deleted.insert(user_id.to_owned());
    }

    pub fn is_deleted(&self, user_id: &str) -> bool {
        self.deleted.contains(user_id)
    }

    /// Starts a session for `user_id` and returns its cookie value.
    pub fn open_session(&mut self, user_id: &str) -> std::io::Result<String> {
        let session = random_hex()?;
        self.sessions.insert(session.clone(), user_id.to_owned());
        Ok(session)
    }

    pub fn close_session(&mut self, session: &str) {
        self.sessions.remove(session);
    }

    pub fn session_user(&self, session: &str) -> Option<&str> {
        self.sessions.get(session).map(String::as_str)
    }

    pub fn is_approved(&self, user_id: &str) -> bool {
        self.grants.get(user_id).is_some_and(|grant| grant.approved)
    }

    pub fn approve(&mut self, user_id: &str) {
        self.grants.entry(user_id.to_owned()).or_default().approved = true;
    }

    /// A fresh auth key for `user_id`, replacing the one before: only the newest works.
    pub fn issue_auth_key(&mut self, user_id: &str) -> std::io::Result<String> {
        let key = random_hex()?;
        self.grants.entry(user_id.to_owned()).or_default().auth_key = Some(key.clone());
        Ok(key)
    }

    /// Uses up `auth_key` and returns the token: the current one if it was issued within
    /// `ttl` (its date unchanged), else a new one dated now.
    pub fn exchange_auth_key(
        &mut self,
        auth_key: &str,
        ttl: Duration,
    ) -> std::io::Result<Exchange> {
        let now = self.now();
        let Some(grant) = self
            .grants
            .values_mut()
            .find(|grant| grant.auth_key.as_deref() == Some(auth_key))
        else {
            return Ok(Exchange::UnknownKey);
        };
        grant.auth_key = None;
        if let Some(token) = &grant.access_token
            && is_fresh(grant.token_date, now, ttl)
        {
            return Ok(Exchange::Token(token.clone()));
        }
        let token = random_hex()?;
        grant.access_token = Some(token.clone());
        grant.token_date = now;
        Ok(Exchange::Token(token))
    }

    pub fn lookup_token(&self, access_token: &str, ttl: Duration) -> TokenLookup {
        let found = self
            .grants
            .iter()
            .find(|(_, grant)| grant.access_token.as_deref() == Some(access_token));
        match found {
            None => TokenLookup::Unknown,
            Some((_, grant)) if !is_fresh(grant.token_date, self.now(), ttl) => {
                TokenLookup::Expired
            }
            Some((user_id, _)) => TokenLookup::Valid {
                user_id: user_id.clone(),
            },
        }
    }
}

/// The server's test: `access_token_date >= NOW() - INTERVAL ttl`.
fn is_fresh(issued_at: u64, now: u64, ttl: Duration) -> bool {
    issued_at >= now.saturating_sub(ttl.as_secs())
}

/// 32 lowercase hex characters from the system's random source, the shape of Sngine's
/// `md5(...)` keys and tokens without their weakness.
pub(crate) fn random_hex() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| std::io::Error::other(error.to_string()))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    #[test]
    fn random_hex_is_32_lowercase_hex() {
        let a = random_hex().unwrap();
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_ne!(a, random_hex().unwrap());
    }

    #[test]
    fn a_key_works_once_and_only_the_newest() {
        let mut state = State::default();
        let old = state.issue_auth_key("1").unwrap();
        let new = state.issue_auth_key("1").unwrap();
        assert_eq!(
            state.exchange_auth_key(&old, TTL).unwrap(),
            Exchange::UnknownKey
        );
        assert!(matches!(
            state.exchange_auth_key(&new, TTL).unwrap(),
            Exchange::Token(_)
        ));
        assert_eq!(
            state.exchange_auth_key(&new, TTL).unwrap(),
            Exchange::UnknownKey
        );
    }

    #[test]
    fn tokens_are_reused_then_expire() {
        let mut state = State::default();
        let key = state.issue_auth_key("1").unwrap();
        let Exchange::Token(first) = state.exchange_auth_key(&key, TTL).unwrap() else {
            panic!("no token");
        };
        state.advance_clock(Duration::from_secs(50));
        let key = state.issue_auth_key("1").unwrap();
        assert_eq!(
            state.exchange_auth_key(&key, TTL).unwrap(),
            Exchange::Token(first.clone())
        );
        assert_eq!(
            state.lookup_token(&first, TTL),
            TokenLookup::Valid {
                user_id: "1".into()
            }
        );
        // The reused token kept its first date, so it expires 60 s after that.
        state.advance_clock(Duration::from_secs(12));
        assert_eq!(state.lookup_token(&first, TTL), TokenLookup::Expired);
        let key = state.issue_auth_key("1").unwrap();
        let Exchange::Token(second) = state.exchange_auth_key(&key, TTL).unwrap() else {
            panic!("no token");
        };
        assert_ne!(second, first);
        assert_eq!(state.lookup_token(&first, TTL), TokenLookup::Unknown);
    }

    #[test]
    fn freshness_includes_the_boundary() {
        assert!(is_fresh(100, 160, TTL));
        assert!(!is_fresh(100, 161, TTL));
        assert!(is_fresh(0, 5, TTL));
    }
}
