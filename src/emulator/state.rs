//! What the emulated site remembers between requests, and what its admin API may change:
//! the registered apps, the people, the token lifetime and latency, the faults in force,
//! sessions, each person's grant to each app (approval, the current auth key, the current
//! token and its date), deleted people, the clock, and the requests it saw.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::config::{App, Config};
use super::faults::{Endpoint, Fault, FaultKind};
use super::params::intval;
use super::record::Record;
use super::users::People;

/// How many apps a site holds, the default one included.
pub(crate) const MAX_APPS: usize = 100;
/// How many people a site holds.
pub(crate) const MAX_PEOPLE: usize = 100_000;
/// How many faults can be in force at once.
pub(crate) const MAX_FAULTS: usize = 64;
/// How many browser sessions are kept; the oldest is forgotten first.
const MAX_SESSIONS: usize = 10_000;

/// A person's row in an app's grants, as Sngine keeps one per app and user.
#[derive(Clone, Debug, Default)]
struct Grant {
    approved: bool,
    auth_key: Option<String>,
    access_token: Option<String>,
    /// Seconds since the epoch on the emulator's clock; the server stores a DATETIME,
    /// so whole seconds are all there is.
    token_date: u64,
}

/// Whose grant: the app's id and the person's.
type GrantKey = (String, String);

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

/// A fault in force, for the next `remaining` requests to its endpoint or until cleared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ActiveFault {
    pub fault: Fault,
    pub remaining: Option<u32>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    clock_offset: Duration,
    /// The default app first.
    pub apps: Vec<App>,
    pub people: People,
    pub token_ttl: Duration,
    pub latency: Duration,
    pub faults: Vec<ActiveFault>,
    sessions: HashMap<String, String>,
    session_order: std::collections::VecDeque<String>,
    grants: HashMap<GrantKey, Grant>,
    deleted: HashSet<String>,
    pub requests: Record,
}

impl State {
    /// The start state of a site set up by `config`.
    pub fn new(config: &Config) -> State {
        let mut apps = vec![config.default_app()];
        apps.extend(config.apps.iter().cloned());
        State {
            apps,
            people: People::new(config.users.clone()),
            token_ttl: config.token_ttl,
            latency: config.latency,
            faults: config
                .faults
                .iter()
                .map(|fault| ActiveFault {
                    fault: fault.clone(),
                    remaining: None,
                })
                .chain(
                    config
                        .counted_faults
                        .iter()
                        .map(|(fault, times)| ActiveFault {
                            fault: fault.clone(),
                            remaining: Some(*times),
                        }),
                )
                .collect(),
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

    /// Moves the clock forward: the one way the site's time changes, for tests in process
    /// and for the admin API alike.
    pub fn advance_clock(&mut self, by: Duration) {
        self.clock_offset = self.clock_offset.saturating_add(by);
    }

    /// How far the clock was moved forward.
    pub fn clock_offset(&self) -> Duration {
        self.clock_offset
    }

    /// The registered app `app_id` names, compared the way PHP's `intval` reads it.
    pub fn app(&self, app_id: &str) -> Option<&App> {
        let wanted = intval(app_id);
        if wanted <= 0 {
            return None;
        }
        self.apps.iter().find(|app| intval(&app.app_id) == wanted)
    }

    /// The fault in force on `endpoint`, used up by this request.
    pub fn take_fault(&mut self, endpoint: Endpoint) -> Option<FaultKind> {
        let at = self
            .faults
            .iter()
            .position(|active| active.fault.endpoint == endpoint)?;
        let kind = self.faults[at].fault.kind;
        if let Some(remaining) = &mut self.faults[at].remaining {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                self.faults.remove(at);
            }
        }
        Some(kind)
    }

    pub fn delete_user(&mut self, user_id: &str) {
        self.deleted.insert(user_id.to_owned());
    }

    /// Whether this person may sign in and be looked up: on the site and not deleted.
    pub fn is_present(&self, user_id: &str) -> bool {
        self.people.contains(user_id) && !self.deleted.contains(user_id)
    }

    pub fn is_deleted(&self, user_id: &str) -> bool {
        self.deleted.contains(user_id)
    }

    /// Starts a session for `user_id` and returns its cookie value.
    pub fn open_session(&mut self, user_id: &str) -> std::io::Result<String> {
        let session = random_hex()?;
        if self.session_order.len() >= MAX_SESSIONS
            && let Some(oldest) = self.session_order.pop_front()
        {
            self.sessions.remove(&oldest);
        }
        self.sessions.insert(session.clone(), user_id.to_owned());
        self.session_order.push_back(session.clone());
        Ok(session)
    }

    pub fn close_session(&mut self, session: &str) {
        self.sessions.remove(session);
    }

    pub fn session_user(&self, session: &str) -> Option<&str> {
        self.sessions.get(session).map(String::as_str)
    }

    pub fn is_approved(&self, app_id: &str, user_id: &str) -> bool {
        self.grants
            .get(&(app_id.to_owned(), user_id.to_owned()))
            .is_some_and(|grant| grant.approved)
    }

    pub fn approve(&mut self, app_id: &str, user_id: &str) {
        self.grant(app_id, user_id).approved = true;
    }

    fn grant(&mut self, app_id: &str, user_id: &str) -> &mut Grant {
        self.grants
            .entry((app_id.to_owned(), user_id.to_owned()))
            .or_default()
    }

    /// A fresh auth key for `user_id` and this app, replacing the one before: only the
    /// newest works.
    pub fn issue_auth_key(&mut self, app_id: &str, user_id: &str) -> std::io::Result<String> {
        let key = random_hex()?;
        self.grant(app_id, user_id).auth_key = Some(key.clone());
        Ok(key)
    }

    /// Uses up `auth_key`, if this app issued it, and returns the token: the current one if
    /// it was issued within the token lifetime (its date unchanged), else a new one dated now.
    pub fn exchange_auth_key(&mut self, app_id: &str, auth_key: &str) -> std::io::Result<Exchange> {
        let now = self.now();
        let ttl = self.token_ttl;
        let Some(grant) = self
            .grants
            .iter_mut()
            .find(|((app, _), grant)| app == app_id && grant.auth_key.as_deref() == Some(auth_key))
            .map(|(_, grant)| grant)
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

    pub fn lookup_token(&self, access_token: &str) -> TokenLookup {
        let found = self
            .grants
            .iter()
            .find(|(_, grant)| grant.access_token.as_deref() == Some(access_token));
        match found {
            None => TokenLookup::Unknown,
            Some((_, grant)) if !is_fresh(grant.token_date, self.now(), self.token_ttl) => {
                TokenLookup::Expired
            }
            Some(((_, user_id), _)) => TokenLookup::Valid {
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
        let mut state = State::new(&Config::default());
        let old = state.issue_auth_key("4242", "1").unwrap();
        let new = state.issue_auth_key("4242", "1").unwrap();
        assert_eq!(
            state.exchange_auth_key("4242", &old).unwrap(),
            Exchange::UnknownKey
        );
        assert!(matches!(
            state.exchange_auth_key("4242", &new).unwrap(),
            Exchange::Token(_)
        ));
        assert_eq!(
            state.exchange_auth_key("4242", &new).unwrap(),
            Exchange::UnknownKey
        );
    }

    #[test]
    fn tokens_are_reused_then_expire() {
        let mut state = State::new(&Config::default());
        let key = state.issue_auth_key("4242", "1").unwrap();
        let Exchange::Token(first) = state.exchange_auth_key("4242", &key).unwrap() else {
            panic!("no token");
        };
        state.advance_clock(Duration::from_secs(50));
        let key = state.issue_auth_key("4242", "1").unwrap();
        assert_eq!(
            state.exchange_auth_key("4242", &key).unwrap(),
            Exchange::Token(first.clone())
        );
        assert_eq!(
            state.lookup_token(&first),
            TokenLookup::Valid {
                user_id: "1".into()
            }
        );
        // The reused token kept its first date, so it expires 60 s after that.
        state.advance_clock(Duration::from_secs(12));
        assert_eq!(state.lookup_token(&first), TokenLookup::Expired);
        let key = state.issue_auth_key("4242", "1").unwrap();
        let Exchange::Token(second) = state.exchange_auth_key("4242", &key).unwrap() else {
            panic!("no token");
        };
        assert_ne!(second, first);
        assert_eq!(state.lookup_token(&first), TokenLookup::Unknown);
    }

    #[test]
    fn a_key_is_exchanged_only_by_the_app_it_was_issued_for() {
        let mut state = State::new(&Config::default());
        let key = state.issue_auth_key("4242", "1").unwrap();
        assert_eq!(
            state.exchange_auth_key("7", &key).unwrap(),
            Exchange::UnknownKey
        );
        assert!(matches!(
            state.exchange_auth_key("4242", &key).unwrap(),
            Exchange::Token(_)
        ));
    }

    #[test]
    fn a_fault_for_n_requests_is_used_up() {
        let mut state = State::new(&Config::default());
        state.faults.push(ActiveFault {
            fault: "authorize=html500".parse().unwrap(),
            remaining: Some(2),
        });
        assert_eq!(state.take_fault(Endpoint::UserInfo), None);
        assert_eq!(
            state.take_fault(Endpoint::Authorize),
            Some(FaultKind::Html500)
        );
        assert_eq!(
            state.take_fault(Endpoint::Authorize),
            Some(FaultKind::Html500)
        );
        assert_eq!(state.take_fault(Endpoint::Authorize), None);
    }

    #[test]
    fn sessions_are_bounded() {
        let mut state = State::new(&Config::default());
        let first = state.open_session("1").unwrap();
        for _ in 0..MAX_SESSIONS {
            state.open_session("1").unwrap();
        }
        assert_eq!(state.sessions.len(), MAX_SESSIONS);
        assert_eq!(state.session_user(&first), None);
    }

    #[test]
    fn freshness_includes_the_boundary() {
        assert!(is_fresh(100, 160, TTL));
        assert!(!is_fresh(100, 161, TTL));
        assert!(is_fresh(0, 5, TTL));
    }
}
