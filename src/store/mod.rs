//! What pipi keeps on disk: the token cache (`cache`), the config file (`config`) and the
//! record of tokens obtained lately (`issued`), all opened only through `door`, which holds
//! every file and directory to one rule of who may own and change it. Behind the door: the
//! atomic, private writes (`atomic`), the lock held across each change (`lock`), and the
//! careful reading of files others may have touched (`read`).

pub(crate) mod atomic;
pub(crate) mod cache;
pub(crate) mod config;
pub(crate) mod door;
pub(crate) mod issued;
pub(crate) mod lock;
pub(crate) mod read;

pub(crate) use cache::rfc3339;
pub use cache::{CachedToken, LoginLock, Lookup, TokenCache};
pub use config::{ConfigFile, EditableConfig, Profile};
