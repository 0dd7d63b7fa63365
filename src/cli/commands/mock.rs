//! `pipi mock`: an emulated Sngine site in the foreground on loopback, for developing and
//! testing scripts against a site whose tokens die in a minute.

use crate::cli::args::MockArgs;
use crate::cli::exit as error;
use crate::cli::exit::ExitCode;
use crate::cli::failure::{Context, Result};
use crate::cli::output as ui;
use crate::cli::settings::process_env;
use pipi::emulator::{self, AdminAccess, Emulator, Generation};
use serde_json::{Map, Value};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The variable that gives the admin API's token, as --admin-token does.
const ADMIN_TOKEN_VAR: &str = "PIPI_MOCK_ADMIN_TOKEN";
/// The largest setup file read: ample for the most people a site holds.
const MAX_SETUP_FILE: u64 = 64 << 20;
/// How many people the banner names; the rest are counted.
const PEOPLE_SHOWN: usize = 10;

pub fn run(args: &MockArgs) -> Result<ExitCode> {
    let addr = args
        .listen
        .unwrap_or(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)));
    let token = args
        .admin_token
        .clone()
        .or_else(|| process_env(ADMIN_TOKEN_VAR));
    let mut config = config_from(args)?;
    config.admin = admin_access(addr.ip(), token);
    if args.print_config {
        ui::print_json(&emulator::setup_of(&config))?;
        return Ok(ExitCode::SUCCESS);
    }
    let listener = TcpListener::bind(addr).map_err(|e| {
        error::hinted(
            format!("cannot listen on {addr}: {e}"),
            "choose another port with --port, or --port 0 for any free one",
        )
    })?;
    let site = Arc::new(Emulator::start(config, listener).context("failed to start the emulator")?);
    let stopper = Arc::clone(&site);
    let _interrupt = crate::cli::interrupt::subscribe(move |_| stopper.shutdown());
    announce(&site);
    if site.config().admin == AdminAccess::Closed {
        ui::warn(&format!(
            "the admin API is closed: the site listens beyond loopback; give it a token with --admin-token or {ADMIN_TOKEN_VAR}"
        ));
    }
    // The settings before the port: a script that waits for the port finds both.
    if let Some(path) = &args.env_file {
        write_atomically(path, export_lines(&site).as_bytes())
            .with_context(|| format!("failed to write the export lines to {}", path.display()))?;
    }
    if let Some(path) = &args.print_port_to {
        let port = format!("{}\n", site.local_addr().port());
        write_atomically(path, port.as_bytes())
            .with_context(|| format!("failed to write the port to {}", path.display()))?;
    }
    site.wait();
    ui::say("pipi mock: stopped.");
    Ok(ExitCode::SUCCESS)
}

/// Who may use the admin API: with a token, whoever sends it; without one, anyone on
/// loopback (only this machine reaches it) and nobody on any other address.
fn admin_access(ip: IpAddr, token: Option<String>) -> AdminAccess {
    match token {
        Some(token) => AdminAccess::Token(token),
        None if ip.is_loopback() => AdminAccess::Open,
        None => AdminAccess::Closed,
    }
}

/// Writes `contents` to `path` through a temporary file beside it, readable by the owner
/// only, so that a reader waiting for the file never sees half of it.
fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map(drop).map_err(|e| e.error)
}

/// The settings in layers: defaults, then the setup file, then the flags given.
fn config_from(args: &MockArgs) -> Result<emulator::Config> {
    let mut config = emulator::Config::default();
    if let Some(path) = &args.config {
        let text = read_bounded(path)
            .with_context(|| format!("failed to read setup file {}", path.display()))?;
        emulator::apply_setup(&text, &mut config)
            .with_context(|| format!("invalid setup file {}", path.display()))?;
    }
    if let Some(path) = &args.users {
        config.users = emulator::load_users(path)?;
    }
    if config.users.is_empty() {
        return Err(error::failed(
            "the site needs at least one person to sign in as",
        ));
    }
    if let Some(wanted) = &args.user {
        config.signed_in_user = Some(find_user_id(&config.users, wanted)?);
    }
    if let Some(app_id) = &args.app_id {
        config.app_id = app_id.clone();
    }
    if let Some(app_secret) = &args.app_secret {
        config.app_secret = app_secret.clone();
    }
    if let Some(redirect_url) = &args.redirect_url {
        config.redirect_url = redirect_url.clone();
    }
    if let Some(secs) = args.token_ttl {
        config.token_ttl = Duration::from_secs(secs);
    }
    if let Some(ms) = args.latency {
        config.latency = Duration::from_millis(ms);
    }
    if !args.fault.is_empty() {
        config.faults = args.fault.clone();
        config.counted_faults.clear();
    }
    config.generation = args.generation.into();
    config.auto_approve = args.auto_approve;
    config.reveal_secrets = args.log_secrets;
    config.log = Some(emulator::LogSink::new(ui::say));
    Ok(config)
}

fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_SETUP_FILE + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SETUP_FILE {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB",
            MAX_SETUP_FILE >> 20
        )));
    }
    Ok(text)
}

/// A person's `user_id`, found by id or handle.
fn find_user_id(users: &[Map<String, Value>], wanted: &str) -> Result<String> {
    let field = |u: &Map<String, Value>, name: &str| {
        u.get(name).and_then(Value::as_str).map(str::to_string)
    };
    users
        .iter()
        .find(|u| {
            field(u, "user_id").as_deref() == Some(wanted)
                || field(u, "user_name").as_deref() == Some(wanted)
        })
        .and_then(|u| field(u, "user_id"))
        .ok_or_else(|| {
            let known: Vec<String> = users
                .iter()
                .map(|u| {
                    format!(
                        "{} (@{})",
                        field(u, "user_id").unwrap_or_default(),
                        field(u, "user_name").unwrap_or_default()
                    )
                })
                .collect();
            error::usage(
                format!("no person '{wanted}' on the site"),
                format!("choose one of: {}", known.join(", ")),
            )
        })
}

/// Tells, on stderr, where the site is and how to point pipi at it.
fn announce(site: &Emulator) {
    let c = site.config();
    let base = site.base_url();
    let faults: Vec<String> = c.faults.iter().map(ToString::to_string).collect();
    ui::say(&format!(
        "pipi mock: an emulated Sngine site at {base} (Ctrl-C to stop)"
    ));
    ui::say(&format!("  app id        {}", c.app_id));
    // The emulator's secret is made up, and the person needs it: shown as it is.
    ui::say_unmasked(&format!("  app secret    {}", c.app_secret));
    ui::say(&format!("  redirect URL  {}", c.redirect_url));
    ui::say(&format!(
        "  tokens        live {}; authorize reads {}",
        ui::duration(c.token_ttl),
        match c.generation {
            Generation::Get => "the query string only (Sngine up to 4.0.3)",
            Generation::Post => "a form POST body only (Sngine 4.0.4 and later)",
            Generation::Both => "a form POST body or the query string",
        }
    ));
    ui::say(&format!("  pages         {}", pages(c)));
    ui::say(&format!("  people        {}", people(c).join("; ")));
    if !faults.is_empty() {
        ui::say(&format!("  faults        {}", faults.join(", ")));
    }
    if !c.latency.is_zero() {
        ui::say(&format!("  latency       {} ms", c.latency.as_millis()));
    }
    if !c.apps.is_empty() {
        let ids: Vec<&str> = c.apps.iter().map(|app| app.app_id.as_str()).collect();
        ui::say(&format!("  other apps    {}", ids.join(", ")));
    }
    ui::say(&format!(
        "  admin API     {base}/__pipi/ ({})",
        match c.admin {
            AdminAccess::Open => "open on loopback",
            AdminAccess::Token(_) => "bearer token required",
            AdminAccess::Closed => "closed",
        }
    ));
    ui::say("Point pipi at it:");
    for line in export_lines(site).lines() {
        ui::say_unmasked(&format!("  {line}"));
    }
    ui::say("Requests:");
}

/// The first people of the site, by id and name, and how many more there are.
fn people(c: &emulator::Config) -> Vec<String> {
    let mut people: Vec<String> = c
        .users
        .iter()
        .take(PEOPLE_SHOWN)
        .map(|u| {
            let user = pipi::decode_user_info(u.clone());
            let id = user.get("user_id").and_then(Value::as_str).unwrap_or("?");
            format!("{id}: {}", pipi::display_name(&Value::Object(user.clone())))
        })
        .collect();
    if c.users.len() > PEOPLE_SHOWN {
        people.push(format!("and {} more", c.users.len() - PEOPLE_SHOWN));
    }
    people
}

/// The pages a login goes through on the site.
fn pages(c: &emulator::Config) -> String {
    if c.auto_approve {
        "none (--auto-approve: /api/oauth redirects at once)".to_string()
    } else if let Some(id) = &c.signed_in_user {
        format!("consent on the first visit, already signed in as {id}")
    } else {
        "sign-in, then consent on the first visit".to_string()
    }
}

/// `export NAME=VALUE` lines that point pipi at the site, for a shell to source.
fn export_lines(site: &Emulator) -> String {
    let c = site.config();
    let base = site.base_url();
    [
        ("PIPI_BASE_URL", base.as_str()),
        ("PIPI_APP_ID", c.app_id.as_str()),
        ("PIPI_APP_SECRET", c.app_secret.as_str()),
        ("PIPI_REDIRECT_URL", c.redirect_url.as_str()),
    ]
    .iter()
    .map(|(name, value)| format!("export {name}={}\n", shell_quote(value)))
    .collect()
}

/// A value as one shell word: left alone when it is plainly safe, else single-quoted, so an
/// export line pastes as it reads (a redirect URL may hold `?` and `&`).
fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_api_is_open_only_on_loopback_without_a_token() {
        let loopback: [IpAddr; 3] = [
            "127.0.0.1".parse().unwrap(),
            "127.0.0.2".parse().unwrap(),
            "::1".parse().unwrap(),
        ];
        let beyond: [IpAddr; 4] = [
            "0.0.0.0".parse().unwrap(),
            "::".parse().unwrap(),
            "192.168.1.10".parse().unwrap(),
            "2001:db8::1".parse().unwrap(),
        ];
        for ip in loopback {
            assert_eq!(admin_access(ip, None), AdminAccess::Open, "{ip}");
        }
        for ip in beyond {
            assert_eq!(admin_access(ip, None), AdminAccess::Closed, "{ip}");
        }
        for ip in loopback.into_iter().chain(beyond) {
            assert_eq!(
                admin_access(ip, Some("t".into())),
                AdminAccess::Token("t".into()),
                "{ip}"
            );
        }
    }

    #[test]
    fn export_values_paste_as_one_word() {
        assert_eq!(
            shell_quote("http://127.0.0.1:8764"),
            "http://127.0.0.1:8764"
        );
        assert_eq!(
            shell_quote("http://h/cb?src=cli&x=1"),
            "'http://h/cb?src=cli&x=1'"
        );
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
