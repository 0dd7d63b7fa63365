//! One module per subcommand. None calls another: what two of them share is in
//! `cli::session`, or in the library.

pub mod api;
pub mod completions;
pub mod config;
pub mod demo;
pub mod exec;
pub mod login;
pub mod logout;
pub mod man;
pub mod mock;
pub mod profiles;
pub mod status;
pub mod token;
pub mod whoami;
