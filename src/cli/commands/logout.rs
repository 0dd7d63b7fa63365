//! `pipi logout`: forgets the profile's token and snapshot. Sngine has no way to revoke a
//! token, so the person is told when the old one dies by itself.

use crate::cli::exit::ExitCode;
use crate::cli::failure::Result;
use crate::cli::output as ui;
use crate::cli::settings::Locations;
use pipi::{Lookup, TokenCache};
use std::time::SystemTime;

/// Needs only where the cache is, so that it works even while the config file is broken.
pub fn run(locations: &Locations) -> Result<ExitCode> {
    crate::cli::settings::check_cache_dir(&locations.cache_dir, locations.profile())?;
    let cache = TokenCache::new(&locations.cache_dir, locations.profile());
    let profile = locations.profile();
    let previous = cache.load();
    if let Lookup::Found(token) = &previous {
        crate::cli::redaction::remember_token(token);
    }
    if !cache.remove()? {
        ui::say(&format!(
            "Not logged in (profile '{profile}'): nothing to forget."
        ));
        return Ok(ExitCode::SUCCESS);
    }
    ui::say(&format!(
        "Logged out (profile '{profile}'): the token is forgotten."
    ));
    let note = "The site has no way to revoke a token";
    match previous {
        Lookup::Found(token) => match token.time_left(SystemTime::now()) {
            Some(left) => ui::say(&format!(
                "{note}: the old one keeps working until it expires at {} (in {}).",
                pipi::format_time(token.expires_at),
                ui::duration(left)
            )),
            None => ui::say(&format!("{note}; the old one had already expired.")),
        },
        _ => ui::say(&format!(
            "{note}; tokens die by themselves within their lifetime."
        )),
    }
    Ok(ExitCode::SUCCESS)
}
