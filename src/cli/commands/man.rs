//! `pipi man`: the whole manual as one roff page, made from the command line's own definition:
//! every command with its options and examples, the environment variables, the files and the
//! exit codes.

use crate::cli::args::{Cli, environment};
use crate::cli::exit::CODES as EXIT_CODES;
use crate::cli::exit::ExitCode;
use crate::cli::failure::{Context, Result};
use clap::CommandFactory;
use clap_mangen::Man;
use roff::{Roff, bold, roman};

pub fn run() -> Result<ExitCode> {
    let page = page().context("failed to render the manual page")?;
    crate::cli::output::print_data(&page)?;
    Ok(ExitCode::SUCCESS)
}

/// The manual page, in roff.
pub fn page() -> std::io::Result<String> {
    let mut cli = Cli::command();
    // Building fills in each subcommand's full name (`pipi config set`) and global options.
    cli.build();
    let man = Man::new(cli.clone()).title("PIPI").manual("pipi manual");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;

    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    roff.to_writer(&mut out)?;
    for command in commands(&cli) {
        command_section(&mut out, command)?;
    }

    let mut roff = Roff::new();
    roff.control("SH", ["ENVIRONMENT"]);
    roff.text([roman(
        "Settings are taken from a flag, else the environment, else the profile's table in \
         the config file, else the default.",
    )]);
    for (name, meaning) in environment() {
        roff.control("TP", []);
        roff.text([bold(name)]);
        roff.text([roman(meaning.replace('\n', " "))]);
    }
    roff.control("SH", ["FILES"]);
    for (path, meaning) in FILES {
        roff.control("TP", []);
        roff.text([bold(*path)]);
        roff.text([roman(*meaning)]);
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in EXIT_CODES {
        roff.control("TP", []);
        roff.text([bold(*code)]);
        roff.text([roman(meaning.replace('\n', " "))]);
    }
    roff.to_writer(&mut out)?;
    man.render_version_section(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

const FILES: &[(&str, &str)] = &[
    (
        "$PIPI_CONFIG_DIR/config.toml",
        "The config file: one table per profile, with the keys base-url, app-id, app-secret, app-secret-command, \
         redirect-url and token-ttl. Without PIPI_CONFIG_DIR it is ~/.config/pipi/config.toml \
         on Linux (or under $XDG_CONFIG_HOME) and ~/Library/Application Support/pipi/config.toml \
         on macOS; 'pipi config path' prints it. Written with mode 0600. Refused, with the chmod \
         that fixes it, while another user owns it (root aside) or others can change it, or \
         while its directory is another user's or others can write in it; a link to it from \
         a private directory is followed.",
    ),
    (
        "$PIPI_CACHE_DIR/PROFILE.json",
        "The token of each profile, with its times, site and a snapshot of the profile. Without \
         PIPI_CACHE_DIR it is under ~/.cache/pipi on Linux (or $XDG_CACHE_HOME/pipi) and \
         ~/Library/Caches/pipi on macOS. Written with mode 0600. The directory is refused while \
         another user owns it or others can write in it.",
    ),
];

/// The subcommands worth a section: not clap's own `help`, nor hidden ones.
fn commands(parent: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    parent
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
}

/// One command's section: what it does, its synopsis, its own options (the global ones are
/// listed once, at the top), its examples, then its subcommands.
fn command_section(out: &mut Vec<u8>, command: &clap::Command) -> std::io::Result<()> {
    let name = command.get_bin_name().unwrap_or(command.get_name());
    let mut roff = Roff::new();
    roff.control("SS", [name]);
    if let Some(about) = command.get_long_about().or(command.get_about()) {
        roff.text([roman(about.to_string())]);
    }
    roff.control("PP", []);
    roff.to_writer(out)?;

    let own = command.clone().mut_args(|arg| {
        if arg.is_global_set() || arg.get_id() == "help" {
            arg.hide(true)
        } else {
            arg
        }
    });
    let man = Man::new(own);
    out.extend(without_headings(&man, Man::render_synopsis_section)?);
    out.extend(without_headings(&man, Man::render_options_section)?);

    if let Some(after) = command.get_after_long_help().or(command.get_after_help()) {
        let mut roff = Roff::new();
        roff.control("PP", []);
        roff.control("nf", []);
        for line in after.to_string().lines() {
            roff.text([roman(line)]);
        }
        roff.control("fi", []);
        roff.to_writer(out)?;
    }
    for sub in commands(command) {
        command_section(out, sub)?;
    }
    Ok(())
}

/// A part of a subcommand's page without its `.SH` heading, to sit under the command's own
/// heading in the one page.
fn without_headings(
    man: &Man,
    render: fn(&Man, &mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    render(man, &mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let kept: String = text
        .lines()
        .filter(|line| !line.starts_with(".SH "))
        .map(|line| format!("{line}\n"))
        .collect();
    Ok(kept.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_covers_every_command_variable_and_exit_code() {
        let page = page().unwrap();
        let cli = Cli::command();
        for command in commands(&cli) {
            let heading = format!(".SS \"pipi {}\"", command.get_name());
            assert!(page.contains(&heading), "{heading}");
            for sub in commands(command) {
                let heading = format!(".SS \"pipi {} {}\"", command.get_name(), sub.get_name());
                assert!(page.contains(&heading), "{heading}");
            }
        }
        for (name, _) in environment() {
            assert!(page.contains(name), "{name}");
        }
        for (code, _) in EXIT_CODES {
            assert!(page.contains(&format!("\\fB{code}\\fR")), "{code}");
        }
        for section in [
            "NAME",
            "SYNOPSIS",
            "OPTIONS",
            "COMMANDS",
            "ENVIRONMENT",
            "FILES",
        ] {
            assert!(page.contains(&format!(".SH {section}")), "{section}");
        }
        assert!(page.contains(".SH \"EXIT STATUS\""));
    }
}
