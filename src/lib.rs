//! Log in to a Sngine site ("Log in With PipiTrend" on [PipiChat](https://pipichat.com), or
//! any other) from a program, and call its API with the token.
//!
//! Sngine's developer API sends a person's browser to the site's login page, which sends it
//! back to the app's registered redirect URL with a one-time `auth_key`; the app trades the
//! key for an access token, which lives 60 seconds, and reads the person's user info with it.
//! This crate does each step as real Sngine servers (2.7 to 4.2) do it, quirks included, and
//! is the library under the `pipi` command-line tool.
//!
//! - [`Login`]: the whole flow as a builder. It listens on the redirect URL on this
//!   machine, opens the login page with the opener you give it, takes a pasted address when
//!   no listener can catch the browser, exchanges the key and fetches the user info. It prints
//!   nothing: it reports [`Progress`] to your callback, and stops on a [`Cancel`].
//! - [`Client`]: one site's API: [`Client::exchange_auth_key`], [`Client::user_info`] and
//!   [`Client::call`] for any other endpoint. Every answer is checked, since Sngine reports
//!   errors with HTTP 200.
//! - [`TokenCache`]: a token per profile in a private file, written atomically.
//! - [`emulator`]: a Sngine site in-process, to test your program against offline.
//! - [`Error`]: one error type, whose [`ErrorKind`] tells authentication needed, a refusal
//!   by the site (classified as a [`Refusal`]), network and file errors apart, and which
//!   of the caller's settings is at fault ([`Setting`]).
//!
//! ```no_run
//! use pipi::{Client, Login, RedirectUrl, Secret, SiteUrl, TokenCache};
//!
//! fn main() -> pipi::Result<()> {
//!     let cache = TokenCache::new(std::path::Path::new("/tmp/my-app"), "default");
//!     let login = Login::new(
//!         SiteUrl::new("https://pipichat.com")?,
//!         "123",
//!         Secret::new("0123456789abcdef0123456789abcdef"),
//!         RedirectUrl::new("http://127.0.0.1:8765/callback")?,
//!     )
//!     .cache(cache)
//!     .open_browser(|url, abort| pipi::choose_browser(&["BROWSER"], &[]).open(url, abort))
//!     .on_progress(|step| eprintln!("{step:?}"))
//!     .run()?;
//!     let site = Client::new(&login.token.base_url, std::time::Duration::from_secs(30))?;
//!     let user_info = site.user_info(&login.token.access_token)?;
//!     println!("{}", user_info.user["user_name"]);
//!     Ok(())
//! }
//! ```
//!
//! The crate logs each request and step through the [`log`](https://docs.rs/log) facade
//! (debug level; the server's answers at trace level). In those records and in its error
//! messages, the secrets a call was made with (app secret, auth key, token) are masked, as is
//! any value written after a secret's name ([`redact`]). The crate changes no process-wide
//! state: a [`Secret`] only wraps its value, and what else a program masks in its own output
//! is its choice, with a [`redact::Known`] of its own.

#![warn(missing_docs)]

pub mod emulator;
mod error;
pub(crate) mod http;
#[cfg(test)]
mod log_capture;
mod login;
pub mod redact;
mod secret;
mod site;
mod store;

pub use error::{Error, ErrorKind, Refusal, Result, Setting};
pub use login::{
    Abort, Browser, BrowserChoice, Cancel, LoggedIn, Login, NoBrowser, Paste, PasteFrom, Progress,
    WaitingFor,
};
pub use secret::Secret;
pub use site::token::{TOKEN_LENGTH, TokenProblem, check_token};
pub use site::url::{RedirectUrl, SiteUrl, oauth_url, site_label};
pub use site::user::display_name;
// Helpers pipi's command line shares with the library: public for that program, not part
// of the library's face (a program checks a base URL with `SiteUrl::new`).
#[doc(hidden)]
pub use site::url::{is_loopback, normalize_base_url};
#[doc(hidden)]
pub use site::user::decode as decode_user_info;
pub use site::{Answer, Client, Method, UserInfo, endpoint_path};
pub use store::{CachedToken, LoginLock, Lookup, TokenCache};
// The config file, as pipi's command line reads and edits it: public for that program, not
// part of the library's face.
#[doc(hidden)]
pub use store::{ConfigFile, EditableConfig, Profile as ConfigProfile};

/// The browser the person would expect here: the command line in the first of
/// `command_vars` that is set (`["BROWSER"]` is the convention; a program may put its own
/// variable first), else the Windows side's in WSL, else the system's opener; or none over
/// SSH without a display, or with no display at all. The browser is started without the
/// variables named in `hidden`: a program's secrets are of no use to it, and its
/// extensions, crash reporters and child processes would all inherit them.
pub fn choose_browser(command_vars: &[&'static str], hidden: &[&str]) -> BrowserChoice {
    login::browser::choose(command_vars, hidden)
}

/// For a program about to end on a signal (Ctrl-C, SIGTERM): lets the files this crate is
/// writing finish, waiting up to `within`, and removes the temporary files of any write that
/// did not, so that no copy of a token or secret is left behind. No write starts after this
/// call: one attempted fails with [`ErrorKind::Interrupted`]. True when every write
/// finished in time.
///
/// Call it right before `std::process::exit` in a signal handler that exits; a program that
/// lets its `main` return after a signal needs no call.
pub fn finish_writes(within: std::time::Duration) -> bool {
    store::atomic::finish_writes(within)
}

/// Formats a point in time as pipi writes it: RFC 3339, to the second, in UTC.
#[doc(hidden)]
pub fn format_time(t: std::time::SystemTime) -> String {
    store::rfc3339::format(t)
}
