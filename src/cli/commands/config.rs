//! `pipi config`: the profile's settings in the config file, listed, read, changed and
//! removed. Keys, defaults, examples and checks come from the settings table; values are
//! checked on the way in, so that a mistake shows now, with what would be right, rather
//! than at the next login.

use crate::cli::args::{ConfigAction, ConfigArgs};
use crate::cli::exit as error;
use crate::cli::exit::ExitCode;
use crate::cli::failure::Result;
use crate::cli::output as ui;
use crate::cli::settings::table::{self, Setting, Value};
use crate::cli::settings::{Flags, Locations, process_env};
use pipi::{ConfigFile, ConfigProfile, EditableConfig, Secret};

pub fn run(locations: &Locations, flags: &Flags, args: &ConfigArgs) -> Result<ExitCode> {
    match &args.action {
        ConfigAction::Path => {
            ui::print_data(&format!("{}\n", locations.config_path.display()))?;
        }
        ConfigAction::List { show_secrets } => list(locations, flags, *show_secrets)?,
        ConfigAction::Get { key, show_secrets } => get(locations, setting(key)?, *show_secrets)?,
        ConfigAction::Set { key, value } => set(locations, setting(key)?, value.as_deref())?,
        ConfigAction::Unset { key } => unset(locations, setting(key)?)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The setting a key names; clap has already refused anything else.
fn setting(key: &str) -> Result<&'static Setting> {
    table::by_config_key(key).ok_or_else(|| {
        error::usage(
            format!("'{key}' is not a config key"),
            format!("the keys are {}", table::config_keys().join(", ")),
        )
    })
}

fn load(locations: &Locations) -> Result<ConfigFile> {
    crate::cli::settings::load_config(&locations.config_path)
}

/// The key's value in the profile's table, the secret masked unless asked for.
fn stored(conf: &ConfigProfile, setting: &Setting, show_secrets: bool) -> Option<String> {
    let value = conf.get(setting.name)?;
    Some(if setting.secret && !show_secrets {
        pipi::redact::MASK.to_string()
    } else {
        value.clone()
    })
}

/// Tells the person when the environment overrides what the file says.
fn note_environment(setting: &Setting) {
    if process_env(setting.env).is_some() {
        ui::say(&format!(
            "note: {} is set in the environment, and wins over {} in the config file",
            setting.env, setting.name
        ));
    }
}

/// A profile may name both a secret and a command that prints one: the secret wins, and the
/// person is told, since the command would otherwise look as if it were used.
fn note_secret_precedence(conf: Option<&ConfigProfile>) {
    let has = |setting: &Setting| conf.is_some_and(|c| c.get(setting.name).is_some());
    if has(table::APP_SECRET) && has(table::APP_SECRET_COMMAND) {
        ui::say(&format!(
            "note: both {secret} and {command} are set; {secret} wins, and the command is not run \
             (remove one with: pipi config unset {secret})",
            secret = table::APP_SECRET.name,
            command = table::APP_SECRET_COMMAND.name,
        ));
    }
}

/// The profile's table as the file holds it, on stdout; with `-v`, the debug log also
/// shows the value in effect for every setting and where it came from.
fn list(locations: &Locations, flags: &Flags, show_secrets: bool) -> Result<()> {
    let file = load(locations)?;
    let profile = locations.profile();
    crate::cli::settings::log_in_effect(flags, &file, profile, &process_env);
    let mut text = String::new();
    if let Some(conf) = file.profile(profile) {
        for setting in table::config_settings() {
            if let Some(value) = stored(conf, setting, show_secrets) {
                // One setting a line, whatever the value holds: a line feed in it would
                // read as another setting, an escape sequence would act on the terminal.
                // `config get` prints the value exactly.
                text.push_str(&format!(
                    "{} = {}\n",
                    setting.name,
                    ui::escape_untrusted(&value)
                ));
                note_environment(setting);
            }
        }
    }
    note_secret_precedence(file.profile(profile));
    if text.is_empty() {
        ui::say(&format!(
            "Nothing is set for profile '{profile}' in {}.",
            locations.config_path.display()
        ));
    }
    ui::print_data(&text)?;
    Ok(())
}

fn get(locations: &Locations, setting: &Setting, show_secrets: bool) -> Result<()> {
    let file = load(locations)?;
    let profile = locations.profile();
    let value = file
        .profile(profile)
        .and_then(|conf| stored(conf, setting, show_secrets));
    let Some(value) = value else {
        let (name, var) = (setting.name, setting.env);
        let hint = if process_env(var).is_some() {
            format!("{var} is set in the environment, and that is what pipi uses")
        } else if let Some(default) = setting.default {
            format!("pipi uses the default, {default}; to change it: pipi config set {name} VALUE")
        } else if setting.secret {
            format!("set it with: pipi config set {name} (it asks for the secret)")
        } else {
            format!("set it with: pipi config set {name} VALUE")
        };
        return Err(error::hinted(
            format!(
                "{name} is not set for profile '{profile}' in {}",
                locations.config_path.display()
            ),
            hint,
        ));
    };
    note_environment(setting);
    ui::print_data(&format!("{value}\n"))?;
    Ok(())
}

fn set(locations: &Locations, setting: &Setting, value: Option<&str>) -> Result<()> {
    let profile = locations.profile();
    let name = setting.name;
    let mut typed = None;
    let raw = value_to_set(setting, value, profile, &mut typed)?;
    // A value given on the command line that cannot be is a usage error (exit 2).
    let checked = setting
        .check(raw)
        .map_err(|e| error::usage(e.message, e.hint))?;
    for warning in &checked.warnings {
        ui::warn(warning);
    }
    let mut file = EditableConfig::load(&locations.config_path, &table::config_keys())?;
    match &checked.value {
        Value::Text(text) => file.set_text(profile, name, text)?,
        Value::Seconds(n) => {
            file.set_number(profile, name, i64::try_from(*n).unwrap_or(i64::MAX))?
        }
    }
    file.save()?;
    let shown = if setting.secret {
        pipi::redact::MASK.to_string()
    } else {
        checked.value.to_string()
    };
    ui::say(&format!(
        "Set {name} = {} for profile '{profile}' in {}.",
        ui::escape_untrusted(&shown),
        locations.config_path.display()
    ));
    note_environment(setting);
    note_secret_precedence(
        load(locations)
            .ok()
            .as_ref()
            .and_then(|file| file.profile(profile)),
    );
    Ok(())
}

/// The value to set: as given, or, for a secret left out, typed or piped in and kept in
/// `typed`. A secret given on the command line is taken, with a warning.
fn value_to_set<'a>(
    setting: &Setting,
    value: Option<&'a str>,
    profile: &str,
    typed: &'a mut Option<Secret>,
) -> Result<&'a str> {
    match (setting.secret, value) {
        (true, None) => {
            let secret = typed.insert(crate::cli::secret_input::read_secret(
                &format!("App secret for profile '{profile}' (typing is hidden): "),
                "app secret",
            )?);
            Ok(secret.expose())
        }
        (true, Some(value)) => {
            crate::cli::redaction::remember(value);
            ui::warn(
                "a secret given on the command line can be kept in the shell's history and seen \
                 in the process list; next time leave it out, and type or pipe it in",
            );
            Ok(value)
        }
        (false, Some(value)) => Ok(value),
        (false, None) => Err(error::usage(
            format!("'pipi config set {}' needs a value", setting.name),
            format!(
                "such as: pipi config set {} {}",
                setting.name, setting.example
            ),
        )),
    }
}

fn unset(locations: &Locations, setting: &Setting) -> Result<()> {
    let profile = locations.profile();
    let name = setting.name;
    let path = locations.config_path.display();
    let mut file = EditableConfig::load(&locations.config_path, &table::config_keys())?;
    if !file.unset(profile, name) {
        ui::say(&format!(
            "{name} is not set for profile '{profile}' in {path}: nothing to remove."
        ));
        return Ok(());
    }
    file.save()?;
    ui::say(&format!(
        "Removed {name} from profile '{profile}' in {path}."
    ));
    Ok(())
}
