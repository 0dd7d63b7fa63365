//! Logs in to a Sngine site through the browser and prints the person's profile as JSON.
//!
//!     PIPI_APP_ID=123 PIPI_APP_SECRET=... cargo run --example login
//!
//! The app's registered redirect URL must be http://127.0.0.1:8765/callback.

use pipi::{Login, Secret};
use std::env::var;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let site = var("PIPI_BASE_URL").unwrap_or_else(|_| "https://pipichat.com".into());
    let secret = Secret::new(var("PIPI_APP_SECRET")?);
    let done = Login::new(
        pipi::SiteUrl::new(&site)?,
        &var("PIPI_APP_ID")?,
        secret,
        pipi::RedirectUrl::new("http://127.0.0.1:8765/callback")?,
    )
    .open_browser(|url, abort| pipi::choose_browser(&["BROWSER"], &[]).open(url, abort))
    .on_progress(|step| eprintln!("{step:?}"))
    .run()?;
    println!("{}", serde_json::to_string_pretty(&done.user)?);
    Ok(())
}
