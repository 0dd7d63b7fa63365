//! The emulator's setup as JSON: the shape the admin API takes and a setup file holds
//! (apps, people, faults, token lifetime, latency), read and checked before anything uses it.

use std::time::Duration;

use crate::error::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::config::{App, Config};
use super::faults::Fault;
use super::users::first_repeat;

/// What stands for a secret the admin API does not show.
pub(crate) const MASKED: &str = "[redacted]";

/// The longest token lifetime a setup may ask for: a day.
pub(crate) const MAX_TOKEN_TTL_SECS: u64 = 24 * 3600;
/// The longest latency a setup may ask for: a minute.
pub(crate) const MAX_LATENCY_MS: u64 = 60_000;
/// How far the clock may be moved at once: ten years.
pub(crate) const MAX_ADVANCE_SECS: u64 = 10 * 365 * 24 * 3600;

/// An app as JSON: `{"app_id","app_secret","redirect_url"}`, and a name if wanted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppSpec {
    app_id: Value,
    app_secret: String,
    redirect_url: String,
    app_name: Option<String>,
}

impl AppSpec {
    /// The app, checked: digits for the id, a secret without spaces, an http(s) URL.
    pub fn check(self) -> crate::Result<App> {
        let app_id = match self.app_id {
            Value::String(text) => text,
            Value::Number(number) => number.to_string(),
            _ => bail!("app_id: expected digits"),
        };
        if app_id.is_empty()
            || app_id.len() > 18
            || !app_id.bytes().all(|b| b.is_ascii_digit())
            || app_id.bytes().all(|b| b == b'0')
        {
            bail!("app_id: expected digits, not all zero, at most 18 of them");
        }
        if self.app_secret.is_empty()
            || self.app_secret.len() > 256
            || self
                .app_secret
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            bail!("app_secret: expected 1 to 256 characters without spaces");
        }
        let url = url::Url::parse(&self.redirect_url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
        if url.is_none() || self.redirect_url.len() > 2048 {
            bail!("redirect_url: expected an http or https URL");
        }
        let app_name = self.app_name.unwrap_or_else(|| format!("app {app_id}"));
        if app_name.chars().count() > 100 || app_name.chars().any(char::is_control) {
            bail!("app_name: expected at most 100 characters on one line");
        }
        Ok(App {
            app_id,
            app_secret: self.app_secret,
            app_name,
            redirect_url: self.redirect_url,
        })
    }
}

/// A fault as JSON: `{"endpoint":"authorize","kind":"html500","times":1}`; with no
/// `times`, until it is cleared.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultSpec {
    endpoint: String,
    kind: String,
    times: Option<u32>,
}

impl FaultSpec {
    pub fn check(self) -> crate::Result<(Fault, Option<u32>)> {
        let fault: Fault = format!("{}={}", self.endpoint, self.kind)
            .parse()
            .map_err(crate::error::failed)?;
        if self.times == Some(0) {
            bail!("times: expected 1 or more, or no times for a fault until cleared");
        }
        Ok((fault, self.times))
    }
}

/// Token lifetime and latency as JSON: `{"token_ttl":60,"latency_ms":0}`, either left out.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsSpec {
    pub token_ttl: Option<u64>,
    pub latency_ms: Option<u64>,
}

impl SettingsSpec {
    pub fn check(&self) -> crate::Result<(Option<Duration>, Option<Duration>)> {
        let ttl = match self.token_ttl {
            Some(secs) if !(1..=MAX_TOKEN_TTL_SECS).contains(&secs) => {
                bail!("token_ttl: expected 1 to {MAX_TOKEN_TTL_SECS} seconds")
            }
            other => other.map(Duration::from_secs),
        };
        let latency = match self.latency_ms {
            Some(ms) if ms > MAX_LATENCY_MS => {
                bail!("latency_ms: expected 0 to {MAX_LATENCY_MS} milliseconds")
            }
            other => other.map(Duration::from_millis),
        };
        Ok((ttl, latency))
    }
}

/// A whole setup: what a setup file holds. The first app is the default one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetupSpec {
    #[serde(default)]
    apps: Vec<AppSpec>,
    users: Option<Vec<Value>>,
    #[serde(default)]
    faults: Vec<FaultSpec>,
    token_ttl: Option<u64>,
    latency_ms: Option<u64>,
}

/// People as JSON: one `user_info` object or an array of them, each checked as a file's.
pub(crate) fn people_from(value: Value) -> crate::Result<Vec<Map<String, Value>>> {
    let items = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => bail!("expected a user_info object or an array of them"),
    };
    super::users::people_from_items(items)
}

/// Lays a setup file's text over `config`: what it names replaces what `config` had.
pub fn apply_setup(text: &str, config: &mut Config) -> crate::Result<()> {
    let spec: SetupSpec = serde_json::from_str(text).context("not a valid setup")?;
    let mut apps = spec
        .apps
        .into_iter()
        .enumerate()
        .map(|(index, app)| app.check().with_context(|| format!("apps[{index}]")))
        .collect::<crate::Result<Vec<App>>>()?;
    if let Some((index, id)) = first_repeat(apps.iter().map(|app| app.app_id.clone())) {
        bail!("apps[{index}]: app_id {id} is used twice");
    }
    if apps.len() > super::state::MAX_APPS {
        bail!("apps: at most {} apps", super::state::MAX_APPS);
    }
    if let Some(users) = spec.users {
        let people = people_from(Value::Array(users))?;
        if people.is_empty() {
            bail!("users: the site needs at least one person to sign in as");
        }
        if people.len() > super::state::MAX_PEOPLE {
            bail!("users: at most {} people", super::state::MAX_PEOPLE);
        }
        config.users = people;
    }
    let (ttl, latency) = SettingsSpec {
        token_ttl: spec.token_ttl,
        latency_ms: spec.latency_ms,
    }
    .check()?;
    if let Some(ttl) = ttl {
        config.token_ttl = ttl;
    }
    if let Some(latency) = latency {
        config.latency = latency;
    }
    let mut faults = Vec::new();
    let mut counted = Vec::new();
    for (index, fault) in spec.faults.into_iter().enumerate() {
        match fault.check().with_context(|| format!("faults[{index}]"))? {
            (fault, None) => faults.push(fault),
            (fault, Some(times)) => counted.push((fault, times)),
        }
    }
    if faults.len() + counted.len() > super::state::MAX_FAULTS {
        bail!("faults: at most {}", super::state::MAX_FAULTS);
    }
    config.faults = faults;
    config.counted_faults = counted;
    if !apps.is_empty() {
        let default = apps.remove(0);
        config.app_id = default.app_id;
        config.app_secret = default.app_secret;
        config.app_name = default.app_name;
        config.redirect_url = default.redirect_url;
        config.apps = apps;
    }
    Ok(())
}

/// The setup of `config` as a setup file holds it, to start one from.
pub fn setup_of(config: &Config) -> Value {
    let apps: Vec<Value> = std::iter::once(config.default_app())
        .chain(config.apps.iter().cloned())
        .map(|app| app_json(&app))
        .collect();
    let faults: Vec<Value> = config
        .faults
        .iter()
        .map(|fault| fault_json(fault, None))
        .chain(
            config
                .counted_faults
                .iter()
                .map(|(fault, times)| fault_json(fault, Some(*times))),
        )
        .collect();
    json!({
        "apps": apps,
        "users": config.users,
        "faults": faults,
        "token_ttl": config.token_ttl.as_secs(),
        "latency_ms": u64::try_from(config.latency.as_millis()).unwrap_or(u64::MAX),
    })
}

/// An app as the admin API shows it: its secret too, which is the emulator's own and which
/// whoever drives the emulator set or must know.
pub(crate) fn app_json(app: &App) -> Value {
    json!({
        "app_id": app.app_id,
        "app_secret": app.app_secret,
        "app_name": app.app_name,
        "redirect_url": app.redirect_url,
    })
}

pub(crate) fn fault_json(fault: &Fault, times: Option<u32>) -> Value {
    json!({
        "endpoint": fault.endpoint.to_string(),
        "kind": fault.kind.to_string(),
        "times": times,
    })
}

/// Reads a JSON body as `T`, with the reason it is not one.
pub(crate) fn from_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> crate::Result<T> {
    serde_json::from_slice(body)
        .map_err(|error| crate::error::failed(format!("malformed JSON: {error}")))
}

/// The setup, for the admin API's answers: the same keys as a setup file.
#[derive(Debug, Serialize)]
pub(crate) struct SettingsView {
    pub token_ttl: u64,
    pub latency_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_default_setup_reads_back_as_the_default() {
        let text = setup_of(&Config::default()).to_string();
        let mut config = Config {
            token_ttl: Duration::from_secs(5),
            ..Config::default()
        };
        apply_setup(&text, &mut config).unwrap();
        assert_eq!(setup_of(&config), setup_of(&Config::default()));
    }

    #[test]
    fn a_setup_names_apps_faults_and_settings() {
        let mut config = Config::default();
        apply_setup(
            r#"{"apps":[{"app_id":"7","app_secret":"s","redirect_url":"http://127.0.0.1:1/cb"},
                        {"app_id":8,"app_secret":"t","redirect_url":"https://a.example/cb","app_name":"A"}],
                "faults":[{"endpoint":"authorize","kind":"html500","times":2},
                          {"endpoint":"user_info","kind":"slow"}],
                "token_ttl":5,"latency_ms":10}"#,
            &mut config,
        )
        .unwrap();
        assert_eq!(config.app_id, "7");
        assert_eq!(config.apps[0].app_id, "8");
        assert_eq!(config.apps[0].app_name, "A");
        assert_eq!(config.counted_faults.len(), 1);
        assert_eq!(config.faults.len(), 1);
        assert_eq!(config.token_ttl, Duration::from_secs(5));
        assert_eq!(config.users.len(), Config::default().users.len());
    }

    #[test]
    fn bad_setups_say_where() {
        for (text, reason) in [
            ("{", "not a valid setup"),
            (r#"{"colour":1}"#, "unknown field"),
            (
                r#"{"apps":[{"app_id":"x","app_secret":"s","redirect_url":"http://h/"}]}"#,
                "apps[0]",
            ),
            (
                r#"{"apps":[{"app_id":"1","app_secret":"a b","redirect_url":"http://h/"}]}"#,
                "app_secret",
            ),
            (
                r#"{"apps":[{"app_id":"1","app_secret":"s","redirect_url":"ftp://h/"}]}"#,
                "redirect_url",
            ),
            (
                r#"{"faults":[{"endpoint":"authorize","kind":"melt"}]}"#,
                "unknown fault",
            ),
            (
                r#"{"faults":[{"endpoint":"authorize","kind":"slow","times":0}]}"#,
                "times",
            ),
            (r#"{"token_ttl":0}"#, "token_ttl"),
            (r#"{"latency_ms":600000}"#, "latency_ms"),
            (r#"{"users":[]}"#, "at least one person"),
            (r#"{"users":[{"user_id":"1"},{"user_id":1}]}"#, "used twice"),
        ] {
            let error = apply_setup(text, &mut Config::default()).unwrap_err();
            let error = format!("{error:#}");
            assert!(error.contains(reason), "{text}: {error}");
        }
    }

    proptest! {
        #[test]
        fn any_text_is_a_setup_or_an_error(text in "\\PC{0,200}") {
            let mut config = Config::default();
            let _ = apply_setup(&text, &mut config);
        }

        #[test]
        fn any_json_value_is_people_or_an_error(
            id in "[0-9a-z ]{0,6}", name in "\\PC{0,20}", number in any::<i64>()
        ) {
            let value = json!([{"user_id": id, "user_name": name, "n": number}]);
            if let Ok(people) = people_from(value) {
                prop_assert!(people[0]["user_id"].as_str().is_some_and(|id| !id.trim().is_empty()));
            }
        }
    }
}
