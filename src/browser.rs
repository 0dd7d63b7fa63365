//! Opening the login page in the person's browser: `PIPI_BROWSER`, else `BROWSER` (a command
//! line; the URL replaces `%s` or is appended), else the system's opener.

use anyhow::{Result, anyhow, bail};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a launcher may run before it counts as a browser that started.
const LAUNCH_GRACE: Duration = Duration::from_secs(3);

/// How the URL will be opened.
#[derive(Debug, PartialEq, Eq)]
pub enum Opener {
    /// A command line from `PIPI_BROWSER` or `BROWSER` (named here).
    CommandLine { var: &'static str, line: String },
    /// The system's own way (xdg-open, open, start, wslview...).
    System,
}

pub fn choose(env: crate::settings::EnvLookup) -> Opener {
    for var in ["PIPI_BROWSER", "BROWSER"] {
        if let Some(line) = env(var).filter(|l| !l.trim().is_empty()) {
            return Opener::CommandLine { var, line };
        }
    }
    Opener::System
}

/// The program and arguments for a browser command line: split on white space, the URL put
/// in place of `%s`, or last.
pub fn command_line(line: &str, url: &str) -> Vec<String> {
    let mut args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    if args.iter().any(|a| a.contains("%s")) {
        for a in &mut args {
            *a = a.replace("%s", url);
        }
    } else {
        args.push(url.to_string());
    }
    args
}

/// Opens `url`; an error means no browser could be started.
pub fn open(opener: &Opener, url: &str) -> Result<()> {
    match opener {
        Opener::CommandLine { var, line } => {
            let args = command_line(line, url);
            let mut cmd = Command::new(&args[0]);
            cmd.args(&args[1..]);
            launch(cmd).map_err(|e| anyhow!("{var} command '{}' failed: {e}", args[0]))
        }
        Opener::System => {
            let mut last = anyhow!("no way to open a browser is known on this system");
            for cmd in open::commands(url) {
                match launch(cmd) {
                    Ok(()) => return Ok(()),
                    Err(e) => last = e,
                }
            }
            Err(last)
        }
    }
}

/// Starts a launcher and waits briefly: a launcher that fails does so at once, while a
/// browser that stays in the foreground must not hold up the login.
fn launch(mut cmd: Command) -> Result<()> {
    // stdout belongs to pipi's data; whatever the browser prints goes to stderr.
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()));
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .spawn()
        .map_err(|e| anyhow!("cannot run {program}: {e}"))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => bail!("{program} exited with {status}"),
            Ok(None) if started.elapsed() >= LAUNCH_GRACE => {
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
            Err(e) => bail!("cannot wait for {program}: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipi_browser_wins_over_browser() {
        let env = |k: &str| match k {
            "PIPI_BROWSER" => Some("firefox --new-window".to_string()),
            "BROWSER" => Some("lynx".to_string()),
            _ => None,
        };
        assert_eq!(
            choose(&env),
            Opener::CommandLine {
                var: "PIPI_BROWSER",
                line: "firefox --new-window".into()
            }
        );
        assert_eq!(choose(&|_| None), Opener::System);
    }

    #[test]
    fn the_url_replaces_percent_s_or_comes_last() {
        assert_eq!(command_line("w3m", "http://u"), ["w3m", "http://u"]);
        assert_eq!(
            command_line("b --url=%s -x", "http://u"),
            ["b", "--url=http://u", "-x"]
        );
    }

    #[test]
    fn failing_or_missing_launchers_are_errors() {
        let line = |l: &str| Opener::CommandLine {
            var: "PIPI_BROWSER",
            line: l.into(),
        };
        assert!(open(&line("/nonexistent/browser"), "http://u").is_err());
        assert!(open(&line("false"), "http://u").is_err());
        assert!(open(&line("true"), "http://u").is_ok());
    }
}
