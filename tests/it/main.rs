//! The integration tests, as one binary: every module below is one file of tests, and
//! `common` is their test bed. One binary links the dependency graph once, where a
//! binary per file linked it once each.

mod common;

mod admin;
mod api;
#[cfg(unix)]
mod browser;
mod check;
mod config;
mod emulator;
mod exec;
mod fault_matrix;
#[cfg(unix)]
mod files;
mod hardening;
mod jq;
#[cfg(unix)]
mod kill;
mod library;
mod login;
mod login_anywhere;
mod mock_and_demo;
#[cfg(unix)]
mod readme;
mod secret_command;
mod session;
mod shell;
mod verbose;
mod whoami;
