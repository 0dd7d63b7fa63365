//! What pipi keeps on disk: the token cache (`cache`), the config file (`config`), and the
//! atomic, private writes both go through (`atomic`).

pub(crate) mod atomic;
pub(crate) mod cache;
pub(crate) mod config;

pub(crate) use cache::rfc3339;
pub use cache::{CachedToken, Lookup, TokenCache};
pub use config::{ConfigFile, EditableConfig, Profile};
