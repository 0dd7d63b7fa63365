//! The test bed: a real emulator of the site in this process on 127.0.0.1:0, temporary config
//! and cache directories, the real pipi binary with a cleared environment, and a "browser"
//! that is a real HTTP client following the site's redirects into pipi's listener.

#![allow(dead_code)]

use pipi::emulator::{Config, Emulator};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_pipi");

/// Where test ports are picked: below the range the system takes the local ends of
/// outgoing connections from (32768 and up on Linux), so that a test holding hundreds of
/// client connections cannot take a port another test's listener is about to bind.
const TEST_PORTS: std::ops::Range<u16> = 20000..32000;

/// A port nobody listens on right now, on 127.0.0.1 (and on ::1 too when `both`).
fn pick_port(both: bool) -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    // Test binaries run side by side: each starts at its own place in the range.
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let span = TEST_PORTS.end - TEST_PORTS.start;
    let seed = (std::process::id() % u32::from(span)) as u16;
    for _ in 0..span {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed).wrapping_add(seed) % span;
        let port = TEST_PORTS.start + offset;
        let v4 = TcpListener::bind(("127.0.0.1", port));
        if v4.is_ok() && (!both || !has_ipv6() || TcpListener::bind(("::1", port)).is_ok()) {
            return port;
        }
    }
    panic!("no free port in {TEST_PORTS:?}");
}

pub fn free_port() -> u16 {
    pick_port(false)
}

pub struct Bed {
    pub site: Emulator,
    pub dir: tempfile::TempDir,
    pub vars: BTreeMap<String, String>,
}

/// What the browser saw at the end of the redirects: pipi's page.
#[derive(Debug)]
pub struct Visit {
    pub url: String,
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// A finished `pipi login`, and what its browser saw.
#[derive(Debug)]
pub struct Login {
    pub output: Output,
    pub visit: Option<Visit>,
}

impl Login {
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
}

impl Bed {
    /// A site whose browser session is signed in and has approved the app: `/api/oauth`
    /// redirects at once, as the real site does on a second visit.
    pub fn new() -> Bed {
        Bed::with(|_| {})
    }

    pub fn with(tweak: impl FnOnce(&mut Config)) -> Bed {
        let mut config = Config {
            auto_approve: true,
            redirect_url: format!("http://127.0.0.1:{}/callback", free_port()),
            ..Config::default()
        };
        tweak(&mut config);
        let site = Emulator::start(config, TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let browser = dir.path().join("browser.sh");
        std::fs::write(
            &browser,
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> \"$(dirname \"$0\")/opened-urls\"\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            make_executable(&browser);
        }
        let mut vars = BTreeMap::new();
        let d = dir.path();
        for (k, v) in [
            ("PIPI_CONFIG_DIR", d.join("config").display().to_string()),
            ("PIPI_CACHE_DIR", d.join("cache").display().to_string()),
            ("HOME", d.join("home").display().to_string()),
            ("PIPI_BASE_URL", site.base_url()),
            ("PIPI_APP_ID", site.config().app_id.clone()),
            ("PIPI_APP_SECRET", site.config().app_secret.clone()),
            ("PIPI_REDIRECT_URL", site.config().redirect_url.clone()),
            ("PIPI_BROWSER", browser.display().to_string()),
            ("PATH", std::env::var("PATH").unwrap_or_default()),
        ] {
            vars.insert(k.to_string(), v);
        }
        Bed { site, dir, vars }
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Bed {
        self.vars.insert(key.to_string(), value.into());
        self
    }

    pub fn unset(&mut self, key: &str) -> &mut Bed {
        self.vars.remove(key);
        self
    }

    /// Leaves the site, the app and the redirect URL to the config file.
    pub fn without_site_variables(&mut self) -> &mut Bed {
        for var in [
            "PIPI_BASE_URL",
            "PIPI_APP_ID",
            "PIPI_APP_SECRET",
            "PIPI_REDIRECT_URL",
        ] {
            self.vars.remove(var);
        }
        self
    }

    /// A program run with exactly this bed's environment, stdin empty.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear().envs(&self.vars).stdin(Stdio::null());
        cmd
    }

    /// pipi with exactly this bed's environment.
    pub fn pipi(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(BIN);
        cmd.args(args);
        cmd
    }

    /// The HTTP methods of the requests the site saw on `path`, oldest first.
    pub fn methods_seen(&self, path: &str) -> Vec<String> {
        self.site
            .requests()
            .into_iter()
            .filter(|r| r.path == path)
            .map(|r| r.method)
            .collect()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.pipi(args).output().unwrap()
    }

    /// Runs pipi with `input` on its stdin, then closed.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .pipi(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// The config file pipi reads in this bed.
    pub fn config_file(&self) -> PathBuf {
        self.dir.path().join("config").join("config.toml")
    }

    /// A config file made large by `lines` lines of the person's comments, so that writing
    /// and syncing it takes a while, with `app-id` set by one `config set`. Returns the
    /// comments, which every later version of the file starts with, and how long that one
    /// `config set` took, to spread signals over a run.
    pub fn large_config(&self, lines: usize) -> (String, std::time::Duration) {
        let path = self.config_file();
        let padding =
            "# a note the person keeps in the file, about the sites and apps\n".repeat(lines);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("{padding}[default]\napp-id = \"0\"\n")).unwrap();
        let started = std::time::Instant::now();
        let out = self.run(&["config", "set", "app-id", "1"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        (padding, started.elapsed())
    }

    pub fn cache_file(&self, profile: &str) -> PathBuf {
        self.cache_dir().join(format!("{profile}.json"))
    }

    pub fn cache_json(&self, profile: &str) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.cache_file(profile)).unwrap()).unwrap()
    }

    /// The cached token of the default profile.
    pub fn token(&self) -> String {
        self.cache_json("default")["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Runs `pipi login ARGS`, plays the browser on the URL that pipi opened, and waits.
    pub fn login(&self, args: &[&str]) -> Login {
        self.login_with(args, Browser::Follow)
    }

    pub fn login_with(&self, args: &[&str], browser: Browser) -> Login {
        let mut all = vec!["login"];
        all.extend_from_slice(args);
        self.run_with_browser(&all, browser)
    }

    /// Runs pipi ARGS (any command that may log in), plays the browser on the URL it opens,
    /// if it opens one, and waits.
    pub fn run_following(&self, args: &[&str]) -> Login {
        self.run_with_browser(args, Browser::Follow)
    }

    fn run_with_browser(&self, all: &[&str], browser: Browser) -> Login {
        let running = Running::watch(&mut self.pipi(all));
        let visit = match browser {
            Browser::Follow => self.opened_url(&running).map(|url| follow(&url)),
            Browser::None => None,
        };
        Login {
            output: running.finish(),
            visit,
        }
    }

    /// The URL pipi asked the browser to open: from the browser command, or, when that
    /// could not run, from the line pipi printed on stderr.
    pub fn opened_url(&self, running: &Running) -> Option<String> {
        let file = self.dir.path().join("opened-urls");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(text) = std::fs::read_to_string(&file)
                && let Some(line) = text.lines().last()
            {
                let _ = std::fs::remove_file(&file);
                return Some(line.to_string());
            }
            if let Some(url) = running.stderr_url() {
                return Some(url);
            }
            if running.exited() {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

pub enum Browser {
    /// Open the URL and follow every redirect, as a browser would.
    Follow,
    /// Never come back.
    None,
}

/// A pipi process whose stderr is read as it comes.
pub struct Running {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    seen: std::cell::RefCell<Vec<String>>,
    stdout: Option<std::thread::JoinHandle<Vec<u8>>>,
}

/// A test that fails halfway leaves no pipi behind.
impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Running {
    /// Starts `command` with stdin a pipe the test writes to, and stdout and stderr read as
    /// they come.
    pub fn spawn(command: &mut Command) -> Running {
        Running::watch(command.stdin(Stdio::piped()))
    }

    /// Starts `command` with stdout and stderr read as they come, and stdin as the command
    /// has it.
    pub fn watch(command: &mut Command) -> Running {
        let child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Running::new(child)
    }

    pub fn new(mut child: Child) -> Running {
        let stderr = child.stderr.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdout = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stdout, &mut buf);
            buf
        });
        Running {
            child,
            lines,
            seen: Default::default(),
            stdout: Some(stdout),
        }
    }

    fn drain(&self) {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.borrow_mut().push(line);
        }
    }

    /// Waits until a stderr line contains `needle`; false, after saying what pipi printed,
    /// when it does not come: pipi's stderr closed without it, or 20 s went by. Every line
    /// is waited for as it comes, so none is missed for having come late.
    pub fn wait_for(&self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if self.seen.borrow().iter().any(|l| l.contains(needle)) {
                return true;
            }
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => self.seen.borrow_mut().push(line),
                Err(_) => break,
            }
        }
        eprintln!(
            "pipi printed, without {needle:?}:\n{}",
            self.seen.borrow().join("\n")
        );
        false
    }

    /// Sends SIGINT, as Ctrl-C in a terminal does.
    pub fn interrupt(&self) {
        self.signal("INT");
    }

    /// Sends a signal by name (`TERM`, `HUP`).
    pub fn signal(&self, name: &str) {
        let killed = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
    }

    /// The stderr lines seen so far.
    pub fn lines(&self) -> Vec<String> {
        self.drain();
        self.seen.borrow().clone()
    }

    fn stderr_url(&self) -> Option<String> {
        self.drain();
        self.seen
            .borrow()
            .iter()
            .find_map(|l| l.strip_prefix("Open this URL to log in: "))
            .map(str::to_string)
    }

    pub fn exited(&self) -> bool {
        // try_wait needs &mut self; /proc tells as well.
        is_gone(self.child.id())
    }

    pub fn finish(mut self) -> Output {
        let status = self.child.wait().unwrap();
        let stdout = self
            .stdout
            .take()
            .map(|t| t.join().unwrap())
            .unwrap_or_default();
        // The reader thread ends at EOF, once the process is gone.
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.borrow_mut().push(line);
        }
        let mut stderr = self.seen.take().join("\n");
        stderr.push('\n');
        Output {
            status,
            stdout,
            stderr: stderr.into_bytes(),
        }
    }
}

/// Whether process `pid` is gone or a zombie, read from /proc; where there is no /proc, it
/// cannot be told, and the callers' deadlines end the wait.
fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => Path::new("/proc/self").exists(),
    }
}

/// A browser: GET the URL and follow redirects (the site's 302 into pipi's listener).
pub fn follow(url: &str) -> Visit {
    let client = http_builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let resp = client.get(url).send().unwrap();
    Visit {
        url: resp.url().to_string(),
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.text().unwrap(),
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Where `program` is installed (searched on PATH), for a test that needs it. Where it is
/// not: in CI (`CI=true`) the test fails, since a check that silently skips there proves
/// nothing; elsewhere `None`, after a note saying what is skipped without it.
pub fn required_program(program: &str, skipped: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "{program} is not installed, and in CI {skipped} must not be skipped: install it"
            );
        }
        eprintln!("note: {program} is not installed, so {skipped} is skipped");
    }
    found
}

/// script(1), which runs a program at a real terminal (a pty); see [`required_program`].
pub fn script_program(skipped: &str) -> Option<PathBuf> {
    required_program("script", skipped)
}

/// A pipi command line run at a real terminal (a pty from script(1)): what the terminal
/// shows can be waited for, and typed into.
pub struct Terminal {
    child: std::process::Child,
    shown: std::sync::mpsc::Receiver<Vec<u8>>,
    screen: Vec<u8>,
}

impl Terminal {
    /// Runs `pipi ARGS` (one shell line) at a terminal, in the bed's environment; `None`
    /// without script(1), as [`required_program`] says.
    pub fn start(bed: &Bed, args: &str, skipped: &str) -> Option<Terminal> {
        let script = script_program(skipped)?;
        let mut child = bed
            .command(script)
            .args(["-q", "-e", "-c", &format!("{BIN} {args}"), "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let (tx, shown) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 1024];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Some(Terminal {
            child,
            shown,
            screen: Vec::new(),
        })
    }

    /// Waits up to 20 s for the terminal to show `needle`; panics with the screen if not.
    pub fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !text(&self.screen).contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.shown.recv_timeout(left) {
                Ok(more) => self.screen.extend(more),
                Err(_) => panic!(
                    "the terminal never showed {needle:?}: {}",
                    text(&self.screen)
                ),
            }
        }
    }

    /// Types `line` and Enter, waits for pipi to end, and returns its status and all the
    /// terminal showed.
    pub fn type_and_finish(mut self, line: &str) -> (std::process::ExitStatus, String) {
        use std::io::Write;
        let mut stdin = self.child.stdin.take().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        let status = self.child.wait().unwrap();
        drop(stdin);
        while let Ok(more) = self.shown.recv_timeout(Duration::from_secs(2)) {
            self.screen.extend(more);
        }
        (status, text(&self.screen))
    }
}

/// The names of pipi's temporary files (`.pipi-*.tmp`) in `dir`.
pub fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".pipi-") && n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// A builder of HTTP clients for the tests' own requests (the browser's part, raw calls to
/// the emulator), with ring for TLS as pipi has it, so that the tests build no second
/// cryptography library.
pub fn http_builder() -> reqwest::blocking::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        // Another test may have installed it first: either is ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::blocking::Client::builder()
}

/// An HTTP client for the tests' own requests (see [`http_builder`]).
pub fn http() -> reqwest::blocking::Client {
    http_builder().build().unwrap()
}

/// Makes a file executable, as a script run as a program must be on Unix.
pub fn make_executable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Mode bits of a file or directory.
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Whether this machine can listen on ::1.
pub fn has_ipv6() -> bool {
    TcpListener::bind("[::1]:0").is_ok()
}

/// A port nobody listens on right now, on 127.0.0.1 and, where there is IPv6, on ::1.
pub fn free_port_both() -> u16 {
    pick_port(true)
}

impl Bed {
    /// `pipi login ARGS` with stdin a pipe the test writes to, and stderr read as it comes.
    pub fn start_login(&self, args: &[&str]) -> Running {
        let mut all = vec!["login"];
        all.extend_from_slice(args);
        Running::spawn(&mut self.pipi(&all))
    }

    /// What a browser's address bar shows after approving: the redirect URL with a fresh
    /// key, which the site sends the browser to. Nothing follows it.
    pub fn redirect_address(&self) -> String {
        let client = http_builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let resp = client.get(self.site.oauth_url()).send().unwrap();
        assert_eq!(resp.status().as_u16(), 302);
        resp.headers()["location"].to_str().unwrap().to_string()
    }

    /// A directory of stand-ins for the system's browser launchers (xdg-open, gio,
    /// wslview, cmd.exe...), each writing its last argument where `opened_url` looks, put
    /// first on PATH; PIPI_BROWSER is unset so that they are the only way to a browser.
    pub fn fake_system_openers(&mut self) -> &mut Bed {
        let bin = self.dir.path().join("fake-bin");
        std::fs::create_dir_all(&bin).unwrap();
        let script = format!(
            "#!/bin/sh\nfor a in \"$@\"; do last=$a; done\nprintf '%s\\n' \"$last\" >> '{}'\n",
            self.dir.path().join("opened-urls").display()
        );
        for name in [
            "xdg-open",
            "gio",
            "gnome-open",
            "kde-open6",
            "kde-open5",
            "kde-open",
            "open",
            "wslview",
            "cmd.exe",
            "powershell.exe",
        ] {
            let path = bin.join(name);
            std::fs::write(&path, &script).unwrap();
            make_executable(&path);
        }
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        self.set("PATH", path);
        self.unset("PIPI_BROWSER");
        self
    }

    /// Makes PIPI_BROWSER a shell script with this body, which gets the URL as `$1`.
    pub fn browser_script(&mut self, body: &str) -> &mut Bed {
        let path = self.dir.path().join("browser-script.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
        make_executable(&path);
        self.set("PIPI_BROWSER", path.display().to_string())
    }

    /// Whether any browser or launcher was started so far.
    pub fn browser_was_started(&self) -> bool {
        self.dir.path().join("opened-urls").exists()
    }
}

impl Running {
    /// Writes to the process's stdin, as a person pasting.
    pub fn type_in(&mut self, text: &str) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().expect("stdin is a pipe");
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Closes the process's stdin (Ctrl-D).
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }
}

/// Moves every time in a pipi file (the cache, the record of tokens obtained lately) back
/// by `by`, as if that much time had passed since pipi wrote it.
pub fn age_file(path: &std::path::Path, by: Duration) {
    fn age(value: &mut serde_json::Value, by: Duration) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    if key == "obtained_at" || key == "expires_at" {
                        let t = humantime::parse_rfc3339(value.as_str().unwrap()).unwrap();
                        *value = humantime::format_rfc3339_seconds(t - by).to_string().into();
                    } else {
                        age(value, by);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| age(v, by)),
            _ => {}
        }
    }
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    age(&mut json, by);
    std::fs::write(path, serde_json::to_vec(&json).unwrap()).unwrap();
}
