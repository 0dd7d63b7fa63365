//! `pipi profiles`: every profile pipi knows, from the config file's tables and the token
//! cache, with who is logged in on each and for how long. No network: it reads files only.

use crate::cli::args::ProfilesArgs;
use crate::cli::exit::ExitCode;
use crate::cli::failure::Result;
use crate::cli::output as ui;
use crate::cli::redaction;
use crate::cli::session::{self, TokenState};
use crate::cli::settings::{self, Locations, table};
use pipi::site_label;
use pipi::{CachedToken, TokenCache};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::SystemTime;
use unicode_width::UnicodeWidthStr;

pub fn run(locations: &Locations, args: &ProfilesArgs) -> Result<ExitCode> {
    let output = ui::JsonOutput::new(args.jq.jq.as_deref())?;
    let file = settings::load_config(&locations.config_path)?;
    settings::check_cache_dir(&locations.cache_dir, locations.profile())?;
    // The table is for people, so every secret pipi holds is masked in it, wherever it
    // shows (even in a profile's name): the app secrets of every table and of the
    // environment, as the tokens of the caches are once read.
    let secrets = file
        .profiles
        .values()
        .filter_map(|conf| conf.get(table::APP_SECRET.name).cloned())
        .chain(settings::process_env(table::APP_SECRET.env));
    for secret in secrets {
        redaction::remember(&secret);
    }
    // A table's name becomes a file name in the cache directory: one that is no profile name
    // (`../x`, `/etc/y`) is said and left out, never opened.
    let mut names: BTreeSet<String> = BTreeSet::new();
    for name in file.profiles.keys() {
        match table::PROFILE.check(name) {
            Ok(_) => {
                names.insert(name.clone());
            }
            Err(invalid) => ui::warn(&format!(
                "ignoring the table [{}] of {}: {}",
                ui::escape_untrusted(name),
                locations.config_path.display(),
                invalid.message
            )),
        }
    }
    names.extend(cached_profiles(&locations.cache_dir));
    names.insert(locations.profile().to_string());

    let now = SystemTime::now();
    let rows: Vec<Row> = names
        .iter()
        .map(|name| {
            let cached = session::load_or_warn(&TokenCache::new(&locations.cache_dir, name));
            let configured = file
                .profile(name)
                .and_then(|c| c.get(table::BASE_URL.name).cloned());
            Row::new(name, name == locations.profile(), configured, cached, now)
        })
        .collect();

    if args.json || output.is_filtered() {
        output.print(&Value::Array(rows.iter().map(Row::json).collect()))?;
    } else {
        ui::print_data(&table(&rows))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Profile names with a token file in the cache directory.
fn cached_profiles(cache_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(cache_dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry
                .file_name()
                .to_str()?
                .strip_suffix(".json")?
                .to_string();
            table::PROFILE.check(&name).is_ok().then_some(name)
        })
        .collect()
}

/// One profile, as listed.
struct Row {
    name: String,
    current: bool,
    base_url: Option<String>,
    cached: Option<CachedToken>,
    /// Whether the cached token is alive, as `status` judges it.
    live: bool,
    seconds_left: Option<u64>,
    state: String,
}

impl Row {
    fn new(
        name: &str,
        current: bool,
        configured: Option<String>,
        cached: Option<CachedToken>,
        now: SystemTime,
    ) -> Row {
        let token = cached.as_ref().map(|c| TokenState::of(c, now));
        let state = match token {
            None => "not logged in".to_string(),
            Some(TokenState::Live { left }) => format!("{} left", ui::duration(left)),
            Some(TokenState::Expired { ago }) => format!("expired {} ago", ui::duration(ago)),
            Some(TokenState::DatedAhead { ahead }) => {
                format!("dated {} ahead (clock set back)", ui::duration(ahead))
            }
        };
        // The site a token belongs to is the one it came from; without one, the one set.
        let base_url = cached.as_ref().map(|c| c.base_url.clone()).or(configured);
        Row {
            name: name.to_string(),
            current,
            base_url,
            live: token.is_some_and(TokenState::is_live),
            seconds_left: token.map(|t| t.left().as_secs()),
            cached,
            state,
        }
    }

    fn account(&self) -> Option<String> {
        let user = self.cached.as_ref()?.user.as_ref()?;
        Some(pipi::display_name(user))
    }

    fn json(&self) -> Value {
        json!({
            "profile": self.name,
            "current": self.current,
            "base_url": self.base_url,
            "logged_in": self.live,
            "expires_at": self.cached.as_ref().map(|c| pipi::format_time(c.expires_at)),
            "seconds_left": self.seconds_left,
            "user": self.cached.as_ref().and_then(|c| c.user.clone()),
        })
    }
}

/// The rows as aligned columns, the profile in use marked with `*`, as `git branch` does.
/// Cells are aligned by the columns a terminal gives them (two for 花子), and what came
/// from outside (the account's name, the site) has its controls escaped: the table is for
/// people, and a name must not be able to rewrite it. Secrets are masked, as on stderr.
fn table(rows: &[Row]) -> String {
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|row| {
            [
                format!("{} {}", if row.current { "*" } else { " " }, row.name),
                row.base_url
                    .as_deref()
                    .map_or_else(|| "-".to_string(), site_label),
                row.account().unwrap_or_else(|| "-".to_string()),
                row.state.clone(),
            ]
            .map(|cell| ui::escape_untrusted(&redaction::redact(&cell)))
        })
        .collect();
    let header = ["  PROFILE", "SITE", "ACCOUNT", "TOKEN"].map(str::to_string);
    let mut widths = [0; 4];
    for line in std::iter::once(&header).chain(&cells) {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(cell.width());
        }
    }
    let mut text = String::new();
    for line in std::iter::once(&header).chain(&cells) {
        let mut out = String::new();
        for (i, cell) in line.iter().enumerate() {
            if i + 1 == line.len() {
                out.push_str(cell);
            } else {
                let pad = widths[i] - cell.width() + 2;
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            }
        }
        text.push_str(out.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipi::Secret;
    use std::time::Duration;

    #[test]
    fn rows_say_who_where_and_how_long() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let token = CachedToken {
            access_token: Secret::new("t"),
            obtained_at: now,
            expires_at: now + Duration::from_secs(42),
            base_url: "https://pipichat.com".into(),
            app_id: "1".into(),
            user: Some(
                json!({"user_name": "jose", "user_firstname": "José", "user_lastname": "O'Brien"}),
            ),
        };
        let rows = [
            Row::new("default", true, None, Some(token), now),
            Row::new("work", false, Some("https://a.org".into()), None, now),
        ];
        let text = table(&rows);
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(
            lines[0],
            "  PROFILE  SITE          ACCOUNT               TOKEN"
        );
        assert_eq!(
            lines[1],
            "* default  pipichat.com  José O'Brien (@jose)  42s left"
        );
        assert_eq!(
            lines[2],
            "  work     a.org         -                     not logged in"
        );
        assert_eq!(rows[0].json()["seconds_left"], 42);
        assert_eq!(rows[1].json()["logged_in"], false);
    }

    fn token_for(user: Value, now: SystemTime, left: Duration) -> CachedToken {
        CachedToken {
            access_token: Secret::new("t"),
            obtained_at: now,
            expires_at: now + left,
            base_url: "https://pipichat.com".into(),
            app_id: "1".into(),
            user: Some(user),
        }
    }

    #[test]
    fn columns_align_by_display_width() {
        // Each of 花子 山田's characters takes two columns of a terminal.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let hanako =
            json!({"user_name": "hanako", "user_firstname": "花子", "user_lastname": "山田"});
        let jose =
            json!({"user_name": "jose", "user_firstname": "José", "user_lastname": "O'Brien"});
        let rows = [
            Row::new(
                "a",
                true,
                None,
                Some(token_for(hanako, now, Duration::from_secs(42))),
                now,
            ),
            Row::new(
                "b",
                false,
                None,
                Some(token_for(jose, now, Duration::from_secs(42))),
                now,
            ),
        ];
        let text = table(&rows);
        let columns: Vec<usize> = text
            .lines()
            .map(|line| {
                let at = line
                    .find("42s left")
                    .or_else(|| line.find("TOKEN"))
                    .unwrap();
                line[..at].width()
            })
            .collect();
        assert!(
            columns.iter().all(|c| *c == columns[0]),
            "{columns:?}\n{text}"
        );
    }

    #[test]
    fn names_from_the_server_cannot_rewrite_the_table() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let evil = json!({"user_name": "x", "user_firstname": "\u{1b}[2K\rroot\u{202e}", "user_lastname": "a\nb"});
        let row = Row::new(
            "a",
            true,
            None,
            Some(token_for(evil, now, Duration::from_secs(9))),
            now,
        );
        let text = table(&[row]);
        assert!(
            text.contains("\\x1b[2K\\rroot\\u{202e} a\\nb (@x)"),
            "{text}"
        );
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert_eq!(text.lines().count(), 2, "{text}");
    }

    #[test]
    fn a_token_with_less_than_a_second_left_is_live_as_status_says() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let token = token_for(json!({}), now, Duration::from_millis(500));
        assert!(TokenState::of(&token, now).is_live());
        let row = Row::new("a", true, None, Some(token), now);
        assert_eq!(row.json()["logged_in"], true);
        assert_eq!(row.json()["seconds_left"], 0);
    }
}
