//! The command-line layer: `args` holds the clap types, `settings` turns flags, the
//! environment and the config file into one plain struct, `commands` has one file per
//! subcommand, `session` what several commands share (the current token, a login), and
//! `output` owns stdout and stderr. `failure` is what ends a command without success, and
//! `exit` maps it to an exit code and a hint; errors print once, here.

mod args;
mod commands;
mod debug;
mod exit;
mod failure;
mod filter_thread;
mod interrupt;
mod jq;
mod output;
mod progress;
mod redaction;
mod secret_input;
mod session;
mod settings;

use crate::cli::exit::ExitCode;
use args::{Apart, Cli, Command, Deferred};
use commands::{
    api, completions, config, demo, exec, login, logout, man, mock, profiles, status, token, whoami,
};
use failure::{Failure, Result};
use settings::{Flags, Locations, Settings, process_env};

/// Entry point of the binary: parse, run, and turn the outcome into an exit code. Errors
/// print once, here.
pub fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and the version are data, on stdout as clap writes them; a usage error may
            // quote a stray argument, a secret given by mistake, so it is masked and escaped
            // as everything else on stderr.
            if e.use_stderr() {
                output::say(e.render().to_string().trim_end());
            } else {
                let _ = e.print();
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    if let Err(failure) = settings::check_environment(&|name| std::env::var_os(name)) {
        return end(&failure);
    }
    // A command that writes files or waits must end cleanly on a signal; one that only
    // reads ends the system's way, with the same exit status, and spares a thread.
    if cli.command.writes_or_waits() {
        interrupt::install();
    }
    let env_level = process_env("PIPI_DEBUG");
    debug::enable(debug::level_from(cli.verbose, env_level.as_deref()));
    log::debug!(
        "pipi {} on {}-{}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    let started = std::time::Instant::now();
    let outcome = run(cli);
    let took = started.elapsed().as_millis();
    match outcome {
        Ok(code) => {
            log::debug!("done in {took}ms");
            code
        }
        Err(failure) => {
            if failure.error().is_some() {
                log::debug!("failed in {took}ms, exit code {}", exit::code(&failure));
            }
            end(&failure)
        }
    }
}

/// Ends on a failure: its error, if it has one to report, printed once with its hint, and
/// its exit code. A reader that closed stdout early (`pipi whoami | head -1`) is no error,
/// and a `--jq` filter that halted has said what it had to.
fn end(failure: &Failure) -> ExitCode {
    if let Some(error) = failure.error() {
        output::report(error);
    }
    ExitCode::from(exit::code(failure))
}

/// The command line, parsed. The help's footer (exit codes, environment) is only built when
/// help may be shown, so that a command that prints no help does not pay for it.
fn parse() -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let mut command = Cli::command();
    if std::env::args_os()
        .skip(1)
        .any(|a| a == "-h" || a == "--help" || a == "help")
    {
        command = command.after_help(args::after_help());
    }
    let mut matches = command.try_get_matches_from_mut(std::env::args_os())?;
    let (profile, base_url) = args::site_flags_below(&matches);
    let cli = Cli::from_arg_matches_mut(&mut matches)
        .map(|cli| Cli {
            profile: profile.or(cli.profile),
            base_url: base_url.or(cli.base_url),
            ..cli
        })
        .map_err(|e| e.format(&mut command));
    // Both live until pipi ends, which frees everything at once: taking them apart piece by
    // piece would be work for nothing.
    std::mem::forget(matches);
    std::mem::forget(command);
    cli
}

/// Runs a command. Settings are resolved only for the commands that use them: completions
/// and the man page need nothing, and `config` and `profiles` need only to know where the
/// files are, so that they work while a setting is broken (that is when they are needed).
fn run(cli: Cli) -> Result<ExitCode> {
    let flags = Flags {
        profile: cli.profile,
        base_url: cli.base_url,
    };
    match cli.command {
        Command::Completions(Apart(args)) => completions::run(&args),
        Command::Man => man::run(),
        Command::Config(Deferred(args)) => config::run(&locations(&flags)?, &flags, &args),
        Command::Profiles(Deferred(args)) => profiles::run(&locations(&flags)?, &args),
        Command::Login(Deferred(args)) => login::run(&settings(&flags)?, &args),
        Command::Whoami(Deferred(args)) => whoami::run(&settings(&flags)?, &args),
        Command::Token(Deferred(args)) => token::run(&settings(&flags)?, &args),
        Command::Exec(Deferred(args)) => exec::run(&settings(&flags)?, &args),
        Command::Status(Deferred(args)) => status::run(&settings(&flags)?, &args),
        Command::Logout(_) => logout::run(&locations(&flags)?),
        Command::Api(Deferred(args)) => api::run(&settings(&flags)?, &args),
        // The emulator commands stand apart from the person's settings and files.
        Command::Mock(Apart(args)) => {
            refuse_site_flags(&flags, "mock")?;
            mock::run(&args)
        }
        Command::Demo(Apart(args)) => {
            refuse_site_flags(&flags, "demo")?;
            demo::run(&args)
        }
    }
}

/// `pipi mock` is the site and `pipi demo` brings its own: a profile or a base URL given
/// before their name would be ignored, so it is refused rather than silently dropped. After
/// their name clap refuses them, as they are not theirs.
fn refuse_site_flags(flags: &Flags, command: &str) -> Result<()> {
    let given: Vec<&str> = [
        flags.profile.as_ref().map(|_| "--profile"),
        flags.base_url.as_ref().map(|_| "--base-url"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if given.is_empty() {
        return Ok(());
    }
    Err(exit::usage(
        format!(
            "{} {} no meaning for pipi {command}",
            given.join(" and "),
            if given.len() > 1 { "have" } else { "has" }
        ),
        format!("pipi {command} uses its own emulated site and a throwaway profile; leave it out"),
    ))
}

fn settings(flags: &Flags) -> Result<Settings> {
    let settings = Settings::resolve(flags, &process_env)?;
    settings.log();
    Ok(settings)
}

fn locations(flags: &Flags) -> Result<Locations> {
    let locations = Locations::resolve(flags, &process_env)?;
    locations.log();
    Ok(locations)
}
