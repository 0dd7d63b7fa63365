//! Opening the login page in the person's browser, and deciding whether there is one to
//! open: the first of the caller's variables that holds a command line (such as `BROWSER`, a
//! list of them separated by `:`, each tried in turn; the URL replaces `%s` or is appended),
//! else the Windows side's browser in WSL,
//! else the system's opener, unless the screen is on another machine (SSH) or there is none
//! (no display).

use super::Abort;
use super::environment::{EnvLookup, Environment, Os, process_env};
use crate::error::{self, Error, ErrorKind};
use crate::error::{Result, bail};
use std::collections::VecDeque;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a launcher may run before it counts as a browser that started.
const LAUNCH_GRACE: Duration = Duration::from_secs(3);

/// A way to open the login page here, chosen by [`crate::choose_browser`].
#[derive(Debug, PartialEq, Eq)]
pub struct Browser {
    opener: Opener,
    /// Variables the browser is started without: the caller's secrets.
    hidden: Vec<String>,
}

impl Browser {
    /// Starts the browser on `url` and returns as soon as it runs, without waiting for it:
    /// a browser that stays in the foreground until its page is done (a text browser,
    /// Firefox when it was not running yet, curl) must not hold up a login whose redirect
    /// has arrived. An error means none could be started; a browser that fails soon after
    /// (exits non-zero within a few seconds) is reported to `on_failure`, on another thread.
    pub fn start(
        &self,
        url: &str,
        on_failure: impl FnOnce(Error) + Send + 'static,
    ) -> error::Result<()> {
        start(&self.opener, &self.hidden, url, move |outcome| {
            if let Err(e) = outcome {
                on_failure(failed(e));
            }
        })
        .map_err(failed)
    }

    /// [`Browser::start`] as a [`crate::Login`] opener: a browser that fails soon after
    /// starting is reported through `abort`, and the login shows the URL and goes on waiting.
    pub fn open(&self, url: &str, abort: Abort) -> error::Result<()> {
        self.start(url, move |e| abort.browser_failed(e))
    }
}

fn failed(e: Error) -> Error {
    e
}

/// Whether a browser can be opened here, and how.
#[derive(Debug, PartialEq, Eq)]
pub enum BrowserChoice {
    /// This one.
    Open(Browser),
    /// None should be started; the reason, for one line.
    Skip(&'static str),
}

impl BrowserChoice {
    /// [`Browser::open`] with the browser chosen, or an error that says why none is started.
    pub fn open(&self, url: &str, abort: Abort) -> error::Result<()> {
        match self {
            BrowserChoice::Open(browser) => browser.open(url, abort),
            BrowserChoice::Skip(why) => Err(Error::new(
                ErrorKind::Failed,
                format!("no browser is started: {why}"),
            )),
        }
    }
}

/// The choice for this process: its environment, system and `PATH`; `command_vars` are the
/// variables that may name a browser command line, first first, and `hidden` the variables
/// the browser must not inherit.
pub(crate) fn choose(command_vars: &[&'static str], hidden: &[&str]) -> BrowserChoice {
    let on_path = |program: &str| on_path(&process_env, program);
    match choose_for(
        &process_env,
        command_vars,
        &Environment::current(),
        &on_path,
    ) {
        Choice::Open(opener) => BrowserChoice::Open(Browser {
            opener,
            hidden: hidden.iter().map(|v| v.to_string()).collect(),
        }),
        Choice::Skip(why) => BrowserChoice::Skip(why),
    }
}

/// How the URL will be opened.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Opener {
    /// A command line from one of the caller's variables (named here).
    CommandLine { var: &'static str, line: String },
    /// WSL: the Windows side's default browser, through the first of these that starts, and
    /// the `WSLENV` to extend (read from the environment the choice was made in).
    Windows {
        launchers: Vec<WindowsLauncher>,
        wslenv: Option<String>,
    },
    /// The system's own way (xdg-open, open, start...).
    System,
}

/// A way to reach Windows' default browser from WSL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WindowsLauncher {
    /// `wslview`, from wslu: made for this.
    Wslview,
    /// `cmd.exe /c start "" URL`, with cmd's special characters escaped.
    Cmd,
    /// `powershell.exe Start-Process`, the URL passed in the environment.
    PowerShell,
}

/// Whether to open a browser here, and how.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Choice {
    Open(Opener),
    /// No browser should be started; the reason, for one line on the terminal.
    Skip(&'static str),
}

/// A command line the person set wins over everything, SSH included: it is how a remote
/// session sends URLs back to the person's machine (an editor's remote helper, for one).
fn explicit(env: EnvLookup, command_vars: &[&'static str]) -> Option<Opener> {
    command_vars.iter().copied().find_map(|var| {
        env(var)
            .filter(|l| !entries(l).is_empty())
            .map(|line| Opener::CommandLine { var, line })
    })
}

/// The command lines in a browser variable, in order. `BROWSER` is a list separated as
/// `PATH` is (`:`, or `;` on Windows), as xdg-open and Python's `webbrowser` read it, so
/// that a person can name fallbacks (`BROWSER=firefox:w3m`); empty entries are skipped.
pub(crate) fn entries(line: &str) -> Vec<&str> {
    let separator = if cfg!(windows) { ';' } else { ':' };
    line.split(separator)
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect()
}

/// Decides how to open the login page in this environment. `on_path` tells whether a
/// program can be found on `PATH`.
pub(crate) fn choose_for(
    env: EnvLookup,
    command_vars: &[&'static str],
    place: &Environment,
    on_path: &dyn Fn(&str) -> bool,
) -> Choice {
    if let Some(opener) = explicit(env, command_vars) {
        return Choice::Open(opener);
    }
    // Before WSL: over SSH into WSL, the Windows desktop is not the person's either.
    if place.ssh && !place.display {
        return Choice::Skip("this is an SSH session without a display");
    }
    if place.wsl {
        let launchers: Vec<_> = [
            (WindowsLauncher::Wslview, "wslview"),
            (WindowsLauncher::Cmd, "cmd.exe"),
            (WindowsLauncher::PowerShell, "powershell.exe"),
        ]
        .into_iter()
        .filter(|(_, program)| on_path(program))
        .map(|(launcher, _)| launcher)
        .collect();
        if launchers.is_empty() {
            return Choice::Skip(
                "this is WSL, and none of wslview, cmd.exe or powershell.exe is on PATH to reach Windows",
            );
        }
        return Choice::Open(Opener::Windows {
            launchers,
            wslenv: env("WSLENV"),
        });
    }
    if matches!(place.os, Os::Linux | Os::OtherUnix) && !place.display {
        return Choice::Skip("there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)");
    }
    Choice::Open(Opener::System)
}

/// Whether `program` is an executable file in one of `PATH`'s directories.
pub(crate) fn on_path(env: EnvLookup, program: &str) -> bool {
    let Some(path) = env("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// The program and arguments for one browser command line, the URL put in place of `%s`,
/// or last. An entry that is the path of a file is that program, spaces and all, as
/// Python's `webbrowser` takes it; any other is split as a shell would, quotes included
/// (`"/opt/My Browser/run" --new-window`), but never run by a shell.
pub(crate) fn command_line(entry: &str, url: &str) -> Result<Vec<String>> {
    let entry = entry.trim();
    let mut args = if !entry.contains("%s") && Path::new(entry).is_file() {
        vec![entry.to_string()]
    } else {
        shlex::split(entry)
            .ok_or_else(|| error::failed(format!("'{entry}' has a quote that is not closed")))?
    };
    if args.is_empty() {
        bail!("the command line is empty");
    }
    if args.iter().any(|a| a.contains("%s")) {
        for a in &mut args {
            *a = a.replace("%s", url);
        }
    } else {
        args.push(url.to_string());
    }
    Ok(args)
}

/// What runs to open `url` through a Windows launcher: program, arguments, and variables
/// to add to its environment.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Launch {
    pub(crate) program: &'static str,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(&'static str, String)>,
}

impl WindowsLauncher {
    /// The command for `url`, or `None` when the URL cannot be handed over safely (cmd.exe
    /// and WSL's argument passing both break on spaces and quotes, which a URL built by pipi
    /// never has).
    pub(crate) fn launch(self, url: &str, wslenv: Option<&str>) -> Option<Launch> {
        let plain = !url.is_empty() && url.chars().all(|c| c.is_ascii_graphic() && c != '"');
        match self {
            WindowsLauncher::Wslview => Some(Launch {
                program: "wslview",
                args: vec![url.to_string()],
                env: vec![],
            }),
            // The empty argument is start's window title; without it, start would take the
            // URL for the title.
            WindowsLauncher::Cmd => plain.then(|| Launch {
                program: "cmd.exe",
                args: vec!["/c".into(), "start".into(), String::new(), cmd_escape(url)],
                env: vec![],
            }),
            // The URL travels in a variable (WSLENV forwards it to Windows), so that
            // PowerShell never parses it.
            WindowsLauncher::PowerShell => Some(Launch {
                program: "powershell.exe",
                args: [
                    "-NoProfile",
                    "-NonInteractive",
                    "-Command",
                    "Start-Process -FilePath $env:PIPI_OPEN_URL",
                ]
                .map(str::to_string)
                .to_vec(),
                env: vec![
                    ("PIPI_OPEN_URL", url.to_string()),
                    ("WSLENV", wslenv_with("PIPI_OPEN_URL", wslenv)),
                ],
            }),
        }
    }
}

/// Escapes a URL for cmd.exe's command line: a caret before each character cmd would act
/// on (`&` would end the command), and one after each `%`, so that `%xx%` is never read as
/// a variable (cmd drops the caret afterwards).
pub(crate) fn cmd_escape(url: &str) -> String {
    let mut out = String::with_capacity(url.len() + 8);
    for c in url.chars() {
        match c {
            '^' | '&' | '|' | '<' | '>' | '(' | ')' => {
                out.push('^');
                out.push(c);
            }
            '%' => out.push_str("%^"),
            _ => out.push(c),
        }
    }
    out
}

/// `WSLENV` with `name` added to what the environment already forwards to Windows.
fn wslenv_with(name: &str, existing: Option<&str>) -> String {
    match existing {
        Some(existing) if !existing.is_empty() => format!("{name}:{existing}"),
        _ => name.to_string(),
    }
}

/// Opens `url` and waits to see how the launch went: an error means no browser could be
/// started, or every launcher failed within [`LAUNCH_GRACE`].
#[cfg(test)]
fn open(opener: &Opener, url: &str) -> Result<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    start(opener, &[], url, move |outcome| {
        let _ = tx.send(outcome);
    })?;
    rx.recv()
        .unwrap_or_else(|_| Err(error::failed("the browser launcher vanished")))
}

/// Starts the browser on `url` and returns as soon as a launcher runs, without waiting for
/// it: a browser that stays in the foreground until its page is done (a text browser,
/// Firefox when it was not running yet, curl) must not hold up a login whose redirect has
/// arrived. An error means no launcher could be started at all. How the launch ends is told
/// to `outcome` later, on another thread: an error once every launcher failed (exited
/// non-zero within [`LAUNCH_GRACE`], or could not run), success otherwise.
pub(crate) fn start(
    opener: &Opener,
    hidden: &[String],
    url: &str,
    outcome: impl FnOnce(Result<()>) + Send + 'static,
) -> Result<()> {
    let mut launchers = Launchers::new(opener, url);
    launchers.hidden = hidden.to_vec();
    let running = launchers.start_next()?;
    std::thread::spawn(move || {
        let (mut child, mut program) = running;
        while let Err(e) = settle(&mut child, &program) {
            launchers.failed(e);
            match launchers.start_next() {
                Ok(next) => (child, program) = next,
                Err(e) => return outcome(Err(e)),
            }
        }
        outcome(Ok(()));
        // The browser runs on, and is reaped whenever it ends; nothing waits for that.
        let _ = child.wait();
    });
    Ok(())
}

/// The commands that can open the URL, tried in turn until one works.
struct Launchers {
    queue: VecDeque<Command>,
    /// Why the last one failed (or why there are none).
    last: Error,
    /// For command lines: the variable they came from, and why each that was tried failed,
    /// all told since the person named them all.
    named: Option<(&'static str, Vec<String>)>,
    /// Variables the commands are started without.
    hidden: Vec<String>,
}

impl Launchers {
    fn new(opener: &Opener, url: &str) -> Launchers {
        match opener {
            Opener::CommandLine { var, line } => {
                let mut failures = Vec::new();
                let mut queue = VecDeque::new();
                for entry in entries(line) {
                    match command_line(entry, url) {
                        Ok(args) => {
                            let mut cmd = Command::new(&args[0]);
                            cmd.args(&args[1..]);
                            queue.push_back(cmd);
                        }
                        Err(e) => failures.push(format!("{e:#}")),
                    }
                }
                Launchers {
                    queue,
                    last: error::failed("nothing to run"),
                    named: Some((var, failures)),
                    hidden: Vec::new(),
                }
            }
            Opener::Windows { launchers, wslenv } => Launchers {
                queue: launchers
                    .iter()
                    .filter_map(|launcher| launcher.launch(url, wslenv.as_deref()))
                    .map(|spec| {
                        let mut cmd = Command::new(spec.program);
                        cmd.args(&spec.args)
                            .envs(spec.env.iter().map(|(k, v)| (k, v)));
                        cmd
                    })
                    .collect(),
                last: error::failed("no way to reach Windows' browser from WSL is known"),
                named: None,
                hidden: Vec::new(),
            },
            Opener::System => Launchers {
                queue: open::commands(url).into(),
                last: error::failed("no way to open a browser is known on this system"),
                named: None,
                hidden: Vec::new(),
            },
        }
    }

    /// Records why the launcher just tried failed.
    fn failed(&mut self, e: Error) {
        if let Some((_, failures)) = &mut self.named {
            failures.push(format!("{e:#}"));
        }
        self.last = e;
    }

    /// Starts the next command that will run; the error, once none is left, says why the
    /// last one failed (every one, for command lines).
    fn start_next(&mut self) -> Result<(Child, String)> {
        while let Some(mut cmd) = self.queue.pop_front() {
            // stdout belongs to pipi's data; whatever the browser prints goes to stderr.
            // stdin may be where the person pastes the address: the browser must not read it.
            cmd.stdin(Stdio::null())
                .stdout(Stdio::from(std::io::stderr()));
            for name in &self.hidden {
                cmd.env_remove(name);
            }
            let program = cmd.get_program().to_string_lossy().into_owned();
            match cmd.spawn() {
                Ok(child) => return Ok((child, program)),
                Err(e) => self.failed(error::failed(format!("cannot run {program}: {e}"))),
            }
        }
        let last = std::mem::replace(&mut self.last, error::failed("nothing to run"));
        Err(match &self.named {
            Some((var, failures)) if !failures.is_empty() => {
                error::failed(format!("{var} command failed: {}", failures.join("; ")))
            }
            Some((var, _)) => error::failed(format!("{var} command failed: {last}")),
            None => last,
        })
    }
}

/// Waits until a started launcher exits or has run for [`LAUNCH_GRACE`]: a launcher that
/// fails does so at once, while one still running by then is a browser that started.
fn settle(child: &mut Child, program: &str) -> Result<()> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => bail!("{program} exited with {status}"),
            Ok(None) if started.elapsed() >= LAUNCH_GRACE => return Ok(()),
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
            Err(e) => bail!("cannot wait for {program}: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variables pipi's command line reads, first first.
    const COMMAND_VARS: &[&str] = &["PIPI_BROWSER", "BROWSER"];

    fn choose_for_test(
        env: EnvLookup,
        place: &Environment,
        on_path: &dyn Fn(&str) -> bool,
    ) -> Choice {
        choose_for(env, COMMAND_VARS, place, on_path)
    }

    fn place(os: Os) -> Environment {
        Environment {
            os,
            ssh: false,
            display: false,
            wsl: false,
            stdin_is_terminal: true,
        }
    }

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    const NOTHING_ON_PATH: &dyn Fn(&str) -> bool = &|_| false;

    #[test]
    fn pipi_browser_wins_over_browser() {
        let env = vars(&[
            ("PIPI_BROWSER", "firefox --new-window"),
            ("BROWSER", "lynx"),
        ]);
        let desktop = Environment {
            display: true,
            ..place(Os::Linux)
        };
        assert_eq!(
            choose_for_test(&env, &desktop, NOTHING_ON_PATH),
            Choice::Open(Opener::CommandLine {
                var: "PIPI_BROWSER",
                line: "firefox --new-window".into()
            })
        );
        let env = vars(&[("BROWSER", "lynx")]);
        assert!(matches!(
            choose_for_test(&env, &desktop, NOTHING_ON_PATH),
            Choice::Open(Opener::CommandLine { var: "BROWSER", .. })
        ));
        assert_eq!(
            choose_for_test(&vars(&[]), &desktop, NOTHING_ON_PATH),
            Choice::Open(Opener::System)
        );
    }

    #[test]
    fn over_ssh_only_a_display_or_a_chosen_command_opens_a_browser() {
        let ssh = Environment {
            ssh: true,
            ..place(Os::Linux)
        };
        assert!(matches!(
            choose_for_test(&vars(&[]), &ssh, NOTHING_ON_PATH),
            Choice::Skip(why) if why.contains("SSH")
        ));
        // On a Mac too: `open` would show the page on the Mac's own screen.
        let mac = Environment {
            ssh: true,
            ..place(Os::Macos)
        };
        assert!(matches!(
            choose_for_test(&vars(&[]), &mac, NOTHING_ON_PATH),
            Choice::Skip(_)
        ));
        let forwarded = Environment {
            display: true,
            ..ssh.clone()
        };
        assert_eq!(
            choose_for_test(&vars(&[]), &forwarded, NOTHING_ON_PATH),
            Choice::Open(Opener::System)
        );
        let helper = vars(&[("BROWSER", "/home/me/.editor-server/bin/browser.sh")]);
        assert!(matches!(
            choose_for_test(&helper, &ssh, NOTHING_ON_PATH),
            Choice::Open(Opener::CommandLine { .. })
        ));
        // SSH into WSL: the Windows desktop belongs to the remote machine.
        let wsl_ssh = Environment { wsl: true, ..ssh };
        assert!(matches!(
            choose_for_test(&vars(&[]), &wsl_ssh, &|_| true),
            Choice::Skip(_)
        ));
    }

    #[test]
    fn without_a_display_linux_and_the_bsds_open_nothing() {
        for os in [Os::Linux, Os::OtherUnix] {
            assert!(matches!(
                choose_for_test(&vars(&[]), &place(os), NOTHING_ON_PATH),
                Choice::Skip(why) if why.contains("no display")
            ));
        }
        for os in [Os::Macos, Os::Windows] {
            assert_eq!(
                choose_for_test(&vars(&[]), &place(os), NOTHING_ON_PATH),
                Choice::Open(Opener::System)
            );
        }
    }

    #[test]
    fn wsl_opens_the_windows_browser_with_what_is_on_path() {
        let wsl = Environment {
            wsl: true,
            ..place(Os::Linux)
        };
        let only = |names: &'static [&'static str]| move |p: &str| names.contains(&p);
        use WindowsLauncher::*;
        let windows = |launchers| {
            Choice::Open(Opener::Windows {
                launchers,
                wslenv: None,
            })
        };
        assert_eq!(
            choose_for_test(
                &vars(&[]),
                &wsl,
                &only(&["wslview", "cmd.exe", "powershell.exe"])
            ),
            windows(vec![Wslview, Cmd, PowerShell])
        );
        assert_eq!(
            choose_for_test(&vars(&[]), &wsl, &only(&["cmd.exe", "powershell.exe"])),
            windows(vec![Cmd, PowerShell])
        );
        assert_eq!(
            choose_for_test(&vars(&[]), &wsl, &only(&["powershell.exe"])),
            windows(vec![PowerShell])
        );
        // A WSL with a display (WSLg) still prefers Windows' own browser.
        let wslg = Environment {
            display: true,
            ..wsl.clone()
        };
        assert_eq!(
            choose_for_test(&vars(&[]), &wslg, &only(&["cmd.exe"])),
            windows(vec![Cmd])
        );
        // Interop turned off: nothing reaches Windows.
        assert!(matches!(
            choose_for_test(&vars(&[]), &wsl, NOTHING_ON_PATH),
            Choice::Skip(why) if why.contains("WSL")
        ));
    }

    #[test]
    fn windows_launchers_hand_the_url_over_intact() {
        let url = "https://a.org/api/oauth?app_id=1&x=%41b(c)";
        assert_eq!(
            WindowsLauncher::Wslview.launch(url, None).unwrap().args,
            [url]
        );
        let cmd = WindowsLauncher::Cmd.launch(url, None).unwrap();
        assert_eq!(cmd.program, "cmd.exe");
        assert_eq!(
            cmd.args,
            [
                "/c",
                "start",
                "",
                "https://a.org/api/oauth?app_id=1^&x=%^41b^(c^)"
            ]
        );
        assert_eq!(WindowsLauncher::Cmd.launch("https://a.org/a b", None), None);
        assert_eq!(WindowsLauncher::Cmd.launch("https://a.org/\"x", None), None);
        let ps = WindowsLauncher::PowerShell.launch(url, None).unwrap();
        assert_eq!(ps.program, "powershell.exe");
        assert!(
            ps.args.iter().all(|a| !a.contains("a.org")),
            "{:?}",
            ps.args
        );
        assert_eq!(ps.env[0], ("PIPI_OPEN_URL", url.to_string()));
        assert_eq!(ps.env[1].0, "WSLENV");
        assert!(ps.env[1].1.starts_with("PIPI_OPEN_URL"));
    }

    #[test]
    fn cmd_escaping_covers_what_cmd_acts_on() {
        assert_eq!(cmd_escape("a&b|c<d>e^f"), "a^&b^|c^<d^>e^^f");
        assert_eq!(cmd_escape("%PATH%"), "%^PATH%^");
        assert_eq!(cmd_escape("https://x.org/?a=1"), "https://x.org/?a=1");
    }

    #[test]
    fn programs_are_found_on_path() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("wslview");
        std::fs::write(&program, "#!/bin/sh\n").unwrap();
        let path = dir.path().display().to_string();
        let pairs = [("PATH", path.as_str())];
        let env = vars(&pairs);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert!(!on_path(&env, "wslview"), "not executable yet");
            std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        assert!(on_path(&env, "wslview"));
        assert!(!on_path(&env, "cmd.exe"));
        assert!(!on_path(&vars(&[]), "wslview"));
    }

    #[test]
    fn the_url_replaces_percent_s_or_comes_last() {
        let line = |entry: &str| command_line(entry, "http://u").unwrap();
        assert_eq!(line("w3m"), ["w3m", "http://u"]);
        assert_eq!(line("b --url=%s -x"), ["b", "--url=http://u", "-x"]);
        // Quotes hold a path with spaces together, as a shell would.
        assert_eq!(
            line("\"/opt/My Browser/run\" --new-window"),
            ["/opt/My Browser/run", "--new-window", "http://u"]
        );
        assert_eq!(line("'/opt/a b/run' %s"), ["/opt/a b/run", "http://u"]);
        assert!(command_line("\"/opt/unclosed", "http://u").is_err());
    }

    #[test]
    fn an_existing_program_with_spaces_in_its_path_needs_no_quotes() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("My Browser");
        std::fs::write(&program, "#!/bin/sh\n").unwrap();
        let entry = program.display().to_string();
        assert_eq!(
            command_line(&entry, "http://u").unwrap(),
            [entry.as_str(), "http://u"]
        );
    }

    #[test]
    fn browser_is_a_list_tried_in_order() {
        assert_eq!(entries("firefox:w3m"), ["firefox", "w3m"]);
        assert_eq!(
            entries(" : firefox --new-window %s ::lynx"),
            ["firefox --new-window %s", "lynx"]
        );
        assert!(entries(":::").is_empty());
        let env = vars(&[("BROWSER", ":")]);
        let desktop = Environment {
            display: true,
            ..place(Os::Linux)
        };
        assert_eq!(
            choose_for_test(&env, &desktop, NOTHING_ON_PATH),
            Choice::Open(Opener::System),
            "a list of nothing names no browser"
        );
        let list = |l: &str| Opener::CommandLine {
            var: "BROWSER",
            line: l.into(),
        };
        assert!(open(&list("/nonexistent/browser:true"), "http://u").is_ok());
        assert!(open(&list("false:true"), "http://u").is_ok());
        let err = open(&list("/nonexistent/a:false"), "http://u").unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains("/nonexistent/a") && err.contains("false exited"),
            "{err}"
        );
    }

    #[test]
    fn wslenv_comes_from_the_environment_the_choice_was_made_in() {
        let wsl = Environment {
            wsl: true,
            ..place(Os::Linux)
        };
        let env = vars(&[("WSLENV", "USERPROFILE/p")]);
        let Choice::Open(Opener::Windows { wslenv, .. }) =
            choose_for_test(&env, &wsl, &|p| p == "powershell.exe")
        else {
            panic!("no Windows opener");
        };
        assert_eq!(wslenv.as_deref(), Some("USERPROFILE/p"));
        let ps = WindowsLauncher::PowerShell
            .launch("http://u", wslenv.as_deref())
            .unwrap();
        assert_eq!(
            ps.env[1],
            ("WSLENV", "PIPI_OPEN_URL:USERPROFILE/p".to_string())
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

    #[test]
    fn start_returns_while_the_launcher_runs_and_reports_its_failure_later() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("browser");
        std::fs::write(&script, "#!/bin/sh\nsleep 0.5\nexit 3\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let opener = Opener::CommandLine {
            var: "BROWSER",
            line: script.display().to_string(),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let began = Instant::now();
        start(&opener, &[], "http://u", move |outcome| {
            let _ = tx.send(outcome);
        })
        .unwrap();
        assert!(began.elapsed() < Duration::from_millis(400));
        let err = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap()
            .unwrap_err();
        assert!(err.to_string().contains("exited with"), "{err}");
        assert!(err.to_string().starts_with("BROWSER command"), "{err}");
    }
}
