//! The README's examples, run as written: every `sh` and `console` block, in order, against
//! the emulator in this process, as a new user would type them, in a sandbox home.
//!
//! The convention (CONTRIBUTING.md says it for people who add a section):
//! - a ` ```sh ` block is a script: it runs with `sh -e` and must exit 0;
//! - a ` ```console ` block is a transcript: each `$ ` line (with its `\` continuation lines)
//!   runs with `sh -c`, stderr into stdout, must exit 0, and must print the lines below it.
//!   In those lines `[..]` stands for any text within a line, and a line `...` for any
//!   number of lines (as trycmd and snapbox write them);
//! - what a block leaves running in the background is stopped when it ends;
//! - a block right after `<!-- not run: WHY -->` is not run, and counted: it needs a real
//!   site, a real browser, a person, or the network;
//! - other languages (`toml`, `rust`) are not shell and are left alone; a block with no
//!   language is refused, so that nothing escapes by accident.
//!
//! The test stands in for the site and the app registration: `PIPI_BASE_URL`,
//! `PIPI_APP_ID`, `PIPI_APP_SECRET` and `PIPI_REDIRECT_URL` point at the emulator (whose app
//! is the README's, id 123), and the browser is `curl` following the site's redirects into
//! pipi's listener. `HOME` is a fresh directory whose `~/.cargo/bin` holds pipi, as
//! `cargo install` leaves it.

use crate::common::{free_port, required_program, text};
use pipi::emulator::{Config, Emulator};
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The app the README registers, so that its examples hold the emulator's own values.
const APP_ID: &str = "123";
const APP_SECRET: &str = "0123456789abcdef0123456789abcdef";

/// Longer than any example takes (a login is milliseconds), short enough that a command
/// left waiting for a browser or a person fails the test rather than hanging it.
const DEADLINE: Duration = Duration::from_secs(60);

#[derive(Debug, PartialEq)]
struct Block {
    /// The line of its opening fence, for messages.
    line: usize,
    lang: String,
    body: String,
    /// Why it is not run, from the comment before it.
    not_run: Option<String>,
}

/// The fenced blocks of a Markdown text, each with the `not run` comment before it, if any.
fn blocks(markdown: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut lines = markdown.lines().enumerate();
    let mut last_text: Option<&str> = None;
    while let Some((n, line)) = lines.next() {
        let trimmed = line.trim_start();
        let Some(lang) = trimmed.strip_prefix("```") else {
            if !trimmed.is_empty() {
                last_text = Some(trimmed);
            }
            continue;
        };
        let indent = line.len() - trimmed.len();
        let mut body = String::new();
        for (_, inner) in lines.by_ref() {
            if inner.trim_start().starts_with("```") {
                break;
            }
            body.push_str(inner.get(indent..).unwrap_or(inner.trim_start()));
            body.push('\n');
        }
        let not_run = last_text
            .and_then(|t| t.strip_prefix("<!-- not run:"))
            .and_then(|t| t.strip_suffix("-->"))
            .map(|why| why.trim().to_string());
        found.push(Block {
            line: n + 1,
            lang: lang.trim().to_string(),
            body,
            not_run,
        });
        last_text = None;
    }
    found
}

/// A transcript's commands, each with the output shown under it.
fn transcript(body: &str) -> Vec<(String, Vec<String>)> {
    let mut steps: Vec<(String, Vec<String>)> = Vec::new();
    let mut continued = false;
    for line in body.lines() {
        if continued {
            let (command, _) = steps.last_mut().unwrap();
            command.push('\n');
            command.push_str(line);
            continued = line.ends_with('\\');
        } else if let Some(command) = line.strip_prefix("$ ") {
            steps.push((command.to_string(), Vec::new()));
            continued = command.ends_with('\\');
        } else if let Some((_, output)) = steps.last_mut() {
            output.push(line.to_string());
        } else {
            panic!("a console block must start with a '$ ' line: {line:?}");
        }
    }
    steps
}

/// One line against its pattern, where `[..]` is any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("[..]").collect();
    let (first, rest) = parts.split_first().unwrap();
    let Some(mut left) = line.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return left.is_empty();
    };
    for part in middle {
        match left.find(part) {
            Some(at) => left = &left[at + part.len()..],
            None => return false,
        }
    }
    left.ends_with(last)
}

/// Lines against patterns, where a pattern `...` is any number of lines.
fn lines_match(patterns: &[String], lines: &[&str]) -> bool {
    match patterns.split_first() {
        None => lines.is_empty(),
        Some((p, rest)) if p == "..." => (0..=lines.len()).any(|i| lines_match(rest, &lines[i..])),
        Some((p, rest)) => {
            lines.first().is_some_and(|l| line_matches(p, l)) && lines_match(rest, &lines[1..])
        }
    }
}

/// Where the examples run: a fresh home, pipi where `cargo install` puts it, and the
/// emulator standing in for the site.
struct Sandbox {
    _site: Emulator,
    _dir: tempfile::TempDir,
    home: PathBuf,
    work: PathBuf,
    vars: Vec<(String, String)>,
}

impl Sandbox {
    fn new() -> Sandbox {
        let redirect_url = format!("http://127.0.0.1:{}/callback", free_port());
        let site = Emulator::start(
            Config {
                app_id: APP_ID.into(),
                app_secret: APP_SECRET.into(),
                redirect_url: redirect_url.clone(),
                auto_approve: true,
                ..Config::default()
            },
            TcpListener::bind("127.0.0.1:0").unwrap(),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let work = dir.path().join("work");
        let bin = home.join(".cargo/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        std::os::unix::fs::symlink(crate::common::BIN, bin.join("pipi")).unwrap();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let vars = [
            ("HOME", home.display().to_string()),
            ("PATH", path),
            ("LANG", "C.UTF-8".into()),
            ("PIPI_BASE_URL", site.base_url()),
            ("PIPI_APP_ID", APP_ID.into()),
            ("PIPI_APP_SECRET", APP_SECRET.into()),
            ("PIPI_REDIRECT_URL", redirect_url),
            ("PIPI_BROWSER", "curl -fsSL -o /dev/null".into()),
        ]
        .map(|(k, v)| (k.to_string(), v))
        .to_vec();
        Sandbox {
            _site: site,
            _dir: dir,
            home,
            work,
            vars,
        }
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.work)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs a shell with `args`; its exit code and what it printed, stderr into stdout.
    fn sh(&self, args: &[&str]) -> (Option<i32>, String) {
        let (reader, writer) = std::io::pipe().unwrap();
        let mut child = self
            .command("sh")
            .args(args)
            .stdout(writer.try_clone().unwrap())
            .stderr(writer)
            // Its own process group, so that all of it can be stopped at the deadline.
            .process_group(0)
            .spawn()
            .unwrap();
        let read = std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = { reader }.read_to_end(&mut out);
            out
        });
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() > DEADLINE {
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        // The block is over (or out of time): what it left running in the background (a
        // `pipi mock &`) is stopped with it, and lets go of the pipe.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = child.wait();
        let out = text(&read.join().unwrap());
        (status.and_then(|s| s.code()), out)
    }
}

fn run_script(sandbox: &Sandbox, block: &Block) -> Result<(), String> {
    let (code, out) = sandbox.sh(&["-e", "-c", &block.body]);
    if code == Some(0) {
        return Ok(());
    }
    Err(format!(
        "exited {code:?} (None: still running after {DEADLINE:?}):\n{}\nit printed:\n{out}",
        block.body
    ))
}

fn run_transcript(sandbox: &Sandbox, block: &Block) -> Result<(), String> {
    for (command, shown) in transcript(&block.body) {
        let (code, out) = sandbox.sh(&["-c", &command]);
        let lines: Vec<&str> = out.lines().collect();
        if code != Some(0) {
            return Err(format!("$ {command}\nexited {code:?}; it printed:\n{out}"));
        }
        if !lines_match(&shown, &lines) {
            return Err(format!(
                "$ {command}\nprinted:\n{out}\nwhere the README shows:\n{}",
                shown.join("\n")
            ));
        }
    }
    Ok(())
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

#[test]
fn every_example_in_the_readme_runs_as_written() {
    // What the examples use beyond pipi: the shell, curl as the browser, jq in pipes.
    for program in ["sh", "curl", "jq"] {
        if required_program(program, "running the README's examples").is_none() {
            return;
        }
    }
    let sandbox = Sandbox::new();
    let (mut run, mut not_run) = (0, 0);
    let mut failures = Vec::new();
    for block in blocks(&readme()) {
        assert!(
            !block.lang.is_empty(),
            "README.md:{}: a fenced block names its language (sh, console, toml...)",
            block.line
        );
        let shell = matches!(block.lang.as_str(), "sh" | "console");
        if !shell {
            continue;
        }
        if let Some(why) = &block.not_run {
            assert!(!why.is_empty(), "README.md:{}: say why", block.line);
            not_run += 1;
            continue;
        }
        run += 1;
        let result = match block.lang.as_str() {
            "sh" => run_script(&sandbox, &block),
            _ => run_transcript(&sandbox, &block),
        };
        if let Err(e) = result {
            failures.push(format!("README.md:{}: {e}", block.line));
        }
    }
    eprintln!(
        "README: {run} examples run, {not_run} not run (marked: need a real site, browser, person or network)"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(run > 0, "no example was run");

    // The install block left a manual page where `man` finds it on a fresh home: beside
    // the PATH directory that holds pipi. Checked with man-db, Linux's man.
    if cfg!(target_os = "linux")
        && required_program("man", "finding the installed manual page").is_some()
    {
        let (code, out) = sandbox.sh(&["-c", "man -w pipi"]);
        let page = sandbox.home.join(".cargo/share/man/man1/pipi.1");
        assert_eq!(code, Some(0), "{out}");
        assert_eq!(out.trim(), page.display().to_string());
    }
    for completion in [
        ".local/share/bash-completion/completions/pipi",
        ".zfunc/_pipi",
        ".config/fish/completions/pipi.fish",
    ] {
        let path = sandbox.home.join(completion);
        assert!(
            std::fs::metadata(&path).is_ok_and(|m| m.len() > 0),
            "{}",
            path.display()
        );
    }
}

/// The anchor GitHub gives a heading: lower case, spaces as hyphens, and only letters,
/// digits, `-` and `_` kept.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Every link within the README (`](#...)`) leads to one of its headings.
#[test]
fn every_link_within_the_readme_leads_to_a_heading() {
    let readme = readme();
    let mut in_block = false;
    let mut anchors = Vec::new();
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
        } else if !in_block && line.starts_with('#') {
            anchors.push(anchor(line.trim_start_matches('#')));
        }
    }
    let links: Vec<&str> = readme
        .split("](#")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .collect();
    assert!(!links.is_empty());
    for link in links {
        assert!(
            anchors.iter().any(|a| a == link),
            "#{link} is no heading of README.md"
        );
    }
    assert_eq!(
        anchor("Filtering JSON: `--jq EXPR`"),
        "filtering-json---jq-expr"
    );
}

#[test]
fn blocks_carry_their_language_and_their_reason_not_to_run() {
    let md = "text\n\n<!-- not run: needs a real site -->\n\n```sh\npipi login\n```\n\n  ```console\n  $ a \\\n    b\n  out\n  ```\n```toml\nx = 1\n```\n";
    let found = blocks(md);
    assert_eq!(found.len(), 3);
    assert_eq!(found[0].not_run.as_deref(), Some("needs a real site"));
    assert_eq!(found[0].body, "pipi login\n");
    assert_eq!(found[1].lang, "console");
    assert_eq!(found[1].not_run, None);
    assert_eq!(
        transcript(&found[1].body),
        vec![("a \\\n  b".to_string(), vec!["out".to_string()])]
    );
    assert_eq!(found[2].lang, "toml");
}

#[test]
fn placeholders_match_what_varies_and_nothing_else() {
    let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(line_matches(
        "at http://127.0.0.1:[..]/x",
        "at http://127.0.0.1:4242/x"
    ));
    assert!(line_matches("[..]", ""));
    assert!(line_matches("a[..]b[..]c", "a1b2b3c"));
    assert!(!line_matches("a[..]b", "a1c"));
    assert!(!line_matches("exact", "exact "));
    assert!(lines_match(&p(&["a", "...", "z"]), &["a", "b", "c", "z"]));
    assert!(lines_match(&p(&["a", "...", "z"]), &["a", "z"]));
    assert!(lines_match(&p(&["..."]), &[]));
    assert!(!lines_match(&p(&["a", "z"]), &["a", "b", "z"]));
    assert!(!lines_match(&p(&["a"]), &["a", "extra"]));
}

proptest::proptest! {
    /// Any text read as Markdown gives blocks without a panic, and a line matches itself.
    #[test]
    fn any_markdown_parses_and_any_line_matches_itself(md in "(```[a-z]{0,4}\n|<!-- not run: x -->\n|\\$ [a-z \\\\]{0,6}\n|[a-z.\\[\\] ]{0,8}\n){0,12}") {
        for block in blocks(&md) {
            if block.lang == "console" && block.body.starts_with("$ ") {
                let _ = transcript(&block.body);
            }
        }
        for line in md.lines() {
            if !line.contains("[..]") {
                proptest::prop_assert!(line_matches(line, line));
            }
        }
    }
}

/// What a block leaves running in the background is stopped when the block ends, so that
/// its output can be read to the end and nothing outlives the test.
#[test]
fn a_block_that_leaves_a_program_running_ends_with_it() {
    if required_program("sh", "running the README's examples").is_none() {
        return;
    }
    let sandbox = Sandbox::new();
    let (code, out) = sandbox.sh(&["-c", "sleep 600 & echo started"]);
    assert_eq!((code, out.as_str()), (Some(0), "started\n"));
}
