//! pipi in the shell: the completion scripts kept in `completions/` (checked against the
//! command line, and loaded in the real shells that are installed), the man page, the help.
//!
//! When the command line changes, regenerate the committed scripts with
//! `PIPI_REGENERATE_COMPLETIONS=1 cargo test --test it shell::committed_completions`.

use crate::common::{BIN, text};
use clap_complete::{Generator, Shell};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::PowerShell,
    Shell::Elvish,
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn committed(shell: Shell) -> PathBuf {
    root().join("completions").join(shell.file_name("pipi"))
}

/// pipi with nothing from the environment but PATH: these commands need no settings.
fn pipi(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The subcommands `pipi PATH... --help` lists, each with its summary there, without clap's
/// own `help`.
fn listed(path: &[String]) -> Vec<(String, String)> {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let help = text(&pipi(&args).stdout);
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| {
            let line = line.trim_start();
            let (name, summary) = line.split_once(char::is_whitespace)?;
            Some((name.to_string(), summary.trim().to_string()))
        })
        .filter(|(name, _)| name != "help")
        .collect()
}

/// The subcommands `pipi PATH... --help` lists.
fn subcommands(path: &[String]) -> Vec<String> {
    listed(path).into_iter().map(|(name, _)| name).collect()
}

/// Where a program is installed; in CI, a missing one fails the test.
fn installed(program: &str, skipped: &str) -> Option<PathBuf> {
    crate::common::required_program(program, skipped)
}

/// Runs a script in a shell from the repository's root, with a throwaway home.
fn in_shell(shell: &Path, args: &[&str], script: &str) -> String {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(shell)
        .args(args)
        .arg(script)
        .current_dir(root())
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}\n{}",
        shell.display(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn committed_completions_match_the_command_line() {
    let regenerate = std::env::var_os("PIPI_REGENERATE_COMPLETIONS").is_some();
    let mut stale = Vec::new();
    for shell in SHELLS {
        let out = pipi(&["completions", &shell.to_string()]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out.stderr));
        assert!(!out.stdout.is_empty(), "{shell}");
        let path = committed(shell);
        if regenerate {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &out.stdout).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&out.stdout[..]) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "out of date with the command line: {stale:?}\n\
         regenerate with: PIPI_REGENERATE_COMPLETIONS=1 cargo test --test it shell::committed_completions"
    );
}

#[test]
fn bash_loads_the_completions_and_offers_commands_keys_and_shells() {
    let Some(bash) = installed("bash", "loading the bash completions") else {
        return;
    };
    // Drives the completion function as bash does when Tab is pressed.
    let script = r#"
        source completions/pipi.bash || exit 3
        complete -p pipi || exit 4
        offer() {
            COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
            COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
            _pipi pipi "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            echo "$1 ${*:2}: ${COMPREPLY[*]}"
        }
        offer pipi lo
        offer pipi config set ''
        offer pipi completions ''
        offer pipi api get_user_info --me
    "#;
    let out = in_shell(&bash, &["--norc", "--noprofile", "-c"], script);
    let lines: Vec<_> = out.lines().collect();
    assert!(
        lines[0].contains("complete") && lines[0].ends_with(" pipi"),
        "{out}"
    );
    let offered = |prefix: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no line for {prefix}: {out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(offered("pipi lo: "), ["login", "logout"]);
    let keys = offered("pipi config set : ");
    for key in [
        "base-url",
        "app-id",
        "app-secret",
        "redirect-url",
        "token-ttl",
    ] {
        assert!(keys.contains(&key), "{key}: {out}");
    }
    let shells = offered("pipi completions : ");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(shells.contains(&shell), "{shell}: {out}");
    }
    assert_eq!(offered("pipi api get_user_info --me: "), ["--method"]);
}

#[test]
fn zsh_loads_the_completions() {
    let Some(zsh) = installed("zsh", "loading the zsh completions") else {
        return;
    };
    let script = "autoload -Uz compinit && compinit -u -D && source completions/_pipi \
                  && print -r -- $_comps[pipi] && (( $+functions[_pipi] )) && print defined";
    let out = in_shell(&zsh, &["-f", "-c"], script);
    assert_eq!(out, "_pipi\ndefined\n");
}

#[test]
fn fish_loads_the_completions_and_offers_commands() {
    let Some(fish) = installed("fish", "loading the fish completions") else {
        return;
    };
    // clap's fish script completes commands and option values, not positional values.
    let script = "source completions/pipi.fish; and complete -C 'pipi lo'; \
                  and echo ==; and complete -C 'pipi config s'; \
                  and echo ==; and complete -C 'pipi api x --method '";
    let out = in_shell(&fish, &["--no-config", "-c"], script);
    let parts: Vec<Vec<&str>> = out
        .split("==\n")
        .map(|part| part.lines().collect())
        .collect();
    let names = |lines: &[&str]| -> Vec<String> {
        lines
            .iter()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&parts[0]), ["login", "logout"], "{out}");
    assert_eq!(
        parts[1],
        ["set\tCheck a value and save it in the profile's table of the config file"],
        "{out}"
    );
    assert_eq!(names(&parts[2]), ["GET", "POST"], "{out}");
}

#[test]
fn the_man_page_renders_every_command() {
    let out = pipi(&["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(page.contains("\n.TH PIPI 1 "), "{page}");
    let commands = subcommands(&[]);
    assert!(commands.len() >= 12, "{commands:?}");
    for command in commands {
        assert!(
            page.contains(&format!(".SS \"pipi {command}\"")),
            "{command}"
        );
    }
    for needle in [
        "PIPI_DEBUG",
        "NO_COLOR",
        ".SH \"EXIT STATUS\"",
        "config.toml",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    // groff, where installed, reads it without a single warning.
    let Some(groff) = installed("groff", "checking the man page with groff") else {
        return;
    };
    let mut child = Command::new(groff)
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), page.as_bytes()).unwrap();
    let checked = child.wait_with_output().unwrap();
    assert!(checked.status.success());
    assert_eq!(text(&checked.stderr), "");
}

#[test]
fn every_command_has_examples_and_the_top_level_lists_codes_and_variables() {
    fn walk(path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        for sub in subcommands(path) {
            path.push(sub);
            out.push(path.clone());
            walk(path, out);
            path.pop();
        }
    }
    let mut all = Vec::new();
    walk(&mut Vec::new(), &mut all);
    assert!(all.len() >= 15, "{all:?}");
    for path in all {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = pipi(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let help = text(&out.stdout);
        assert!(
            help.contains("Example"),
            "{args:?} has no examples:\n{help}"
        );
    }
    let help = text(&pipi(&["--help"]).stdout);
    for needle in [
        "Exit codes:",
        "130",
        "Environment:",
        "PIPI_DEBUG",
        "PIPI_APP_SECRET",
    ] {
        assert!(help.contains(needle), "{needle}");
    }
}

/// Each command's own help opens with the line its parent lists it with, and the man page
/// carries the same line: no flattened argument group's comment takes a command's summary.
#[test]
fn every_command_opens_its_help_with_the_summary_its_parent_lists() {
    // The man page in plain text: roff's apostrophe and minus back as typed.
    let page = text(&pipi(&["man"]).stdout)
        .replace("\\*(Aq", "'")
        .replace("\\-", "-");
    let mut pending = vec![Vec::<String>::new()];
    let mut checked = 0;
    while let Some(path) = pending.pop() {
        for (name, summary) in listed(&path) {
            let mut sub = path.clone();
            sub.push(name);
            let mut args: Vec<&str> = sub.iter().map(String::as_str).collect();
            args.push("--help");
            let help = text(&pipi(&args).stdout);
            let first = help.lines().next().unwrap_or_default();
            // The listing cuts a long summary at its first sentence; the help has it whole.
            assert!(
                first.starts_with(summary.trim_end_matches('.')),
                "{sub:?}: listed as {summary:?}, but its help opens with {first:?}"
            );
            assert!(!first.contains("--jq"), "{sub:?}: {first:?}");
            let words = summary.split_whitespace().take(4).collect::<Vec<_>>();
            assert!(
                page.contains(&words.join(" ")),
                "{sub:?}: the man page lacks {summary:?}"
            );
            checked += 1;
            pending.push(sub);
        }
    }
    assert!(checked >= 15, "{checked}");
    // The exit codes' column leaves room for its widest entry.
    let help = text(&pipi(&["--help"]).stdout);
    let row = help.lines().find(|line| line.contains("126, 127")).unwrap();
    assert!(row.contains("126, 127  pipi exec"), "{row:?}");
}
