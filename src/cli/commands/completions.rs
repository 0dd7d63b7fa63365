//! `pipi completions SHELL`: the completion script for a shell, made from the command line's
//! own definition so that it cannot fall behind it. The scripts are also kept, generated, in
//! the repository's `completions/` folder, and a test fails when they drift.

use crate::cli::args::{Cli, CompletionsArgs};
use crate::cli::exit::ExitCode;
use crate::cli::failure::Result;
use clap::CommandFactory;
use clap_complete::Shell;

pub fn run(args: &CompletionsArgs) -> Result<ExitCode> {
    crate::cli::output::print_data(&script(args.shell))?;
    Ok(ExitCode::SUCCESS)
}

/// The completion script for `shell`, as text.
pub fn script(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "pipi", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_the_commands() {
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::PowerShell,
            Shell::Elvish,
        ] {
            let text = script(shell);
            for name in ["login", "whoami", "config", "completions"] {
                assert!(text.contains(name), "{shell}: {name}");
            }
        }
    }
}
