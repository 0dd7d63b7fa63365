//! What pipi keeps on disk: the token cache (`cache`), the config file (`config`), the
//! atomic, private writes both go through (`atomic`), the lock held across each change
//! (`lock`), the record of tokens obtained lately (`issued`), the careful reading of files others may have touched (`read`), and the checks
//! of who owns the directories and who else may read them (`private`).

pub(crate) mod atomic;
pub(crate) mod cache;
pub(crate) mod config;
pub(crate) mod issued;
pub(crate) mod lock;
pub(crate) mod private;
pub(crate) mod read;

pub(crate) use cache::rfc3339;
pub use cache::{CachedToken, LoginLock, Lookup, TokenCache};
pub use config::{ConfigFile, EditableConfig, Profile};
