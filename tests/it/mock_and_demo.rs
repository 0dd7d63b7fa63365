//! `pipi demo` and `pipi mock`: the emulated site as people use it, through the real binary.

use crate::common::{Bed, Running, text};
use std::process::{Command, Stdio};

/// pipi with an environment that has only a home, config and cache of its own.
fn bare(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(crate::common::BIN);
    cmd.args(args)
        .env_clear()
        .env("HOME", dir.join("home"))
        .env("PIPI_CONFIG_DIR", dir.join("config"))
        .env("PIPI_CACHE_DIR", dir.join("cache"))
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::null());
    cmd
}

#[test]
fn demo_runs_the_whole_flow_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    for args in [vec!["demo", "--no-browser"], vec!["demo"]] {
        let mut cmd = bare(dir.path(), &args);
        cmd.env("TMPDIR", &tmp);
        // With no --no-browser, a browser that cannot start sends the demo to its own walker.
        cmd.env("PIPI_BROWSER", "/nonexistent/browser");
        let out = cmd.output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        let user: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(user["user_name"], "jose");
        assert_eq!(user["user_firstname"], "José");
        assert!(
            err.contains("Walking the sign-in and consent pages"),
            "{err}"
        );
        assert!(err.contains("Logged in as José O'Brien (@jose)"), "{err}");
        assert!(
            err.contains("What just happened") && err.contains("pipi login"),
            "{err}"
        );
        if args.len() == 1 {
            assert!(err.contains("No browser could be opened"), "{err}");
        }
    }
    // The person's own config and cache were never touched, and the scratch space is gone.
    for sub in ["config", "cache", "home"] {
        assert!(!dir.path().join(sub).exists(), "{sub} was created");
    }
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
}

/// The demo's site and its walker speak plain http on loopback, so a machine without a
/// certificate store (a bare container, an empty root) runs it: here the store the TLS
/// library would read is a missing file and an empty directory.
#[cfg(target_os = "linux")]
#[test]
fn demo_runs_without_a_certificate_store() {
    let dir = tempfile::tempdir().unwrap();
    let no_certs = dir.path().join("no-certs");
    std::fs::create_dir(&no_certs).unwrap();
    let out = bare(dir.path(), &["demo", "--no-browser"])
        .env("SSL_CERT_FILE", no_certs.join("missing.pem"))
        .env("SSL_CERT_DIR", &no_certs)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let user: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(user["user_name"], "jose");
}

/// A running `pipi mock`, and what it announced.
struct Mock {
    running: Running,
    base_url: String,
    app_id: String,
    app_secret: String,
}

impl Mock {
    fn start(args: &[&str]) -> Mock {
        let dir = tempfile::tempdir().unwrap();
        let mut all = vec!["mock", "--port", "0"];
        all.extend_from_slice(args);
        let running = Running::watch(&mut bare(dir.path(), &all));
        assert!(
            running.wait_for("export PIPI_REDIRECT_URL="),
            "{:?}",
            running.lines()
        );
        let lines = running.lines();
        let export = |name: &str| {
            let prefix = format!("  export {name}=");
            lines
                .iter()
                .find_map(|l| l.strip_prefix(&prefix))
                .unwrap()
                .to_string()
        };
        Mock {
            base_url: export("PIPI_BASE_URL"),
            app_id: export("PIPI_APP_ID"),
            app_secret: export("PIPI_APP_SECRET"),
            running,
        }
    }

    fn stop(self) -> std::process::Output {
        self.running.interrupt();
        self.running.finish()
    }
}

#[test]
fn mock_serves_sign_in_consent_and_the_api_then_stops_on_ctrl_c() {
    // The app's redirect URL is a listener of this test's, standing in for an app.
    let app = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let redirect = format!("http://{}/cb", app.local_addr().unwrap());
    let mock = Mock::start(&["--redirect-url", &redirect, "--token-ttl", "120"]);
    let oauth = format!("{}/api/oauth?app_id={}", mock.base_url, mock.app_id);

    // A fresh browser sees the sign-in page first.
    let client = crate::common::http_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(&oauth).send().unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().unwrap();
    assert!(page.contains("data-pipi=\"signin\""), "{page}");

    // Sign in as the second person, consent, and land on the app with a key.
    let serve = std::thread::spawn(move || answer_once(&app));
    let walked = pipi::emulator::walk(&oauth, Some("2")).unwrap();
    serve.join().unwrap();
    assert!(
        walked
            .final_url
            .starts_with(&format!("{redirect}?auth_key=")),
        "{}",
        walked.final_url
    );
    let key = walked
        .final_url
        .split("auth_key=")
        .nth(1)
        .unwrap()
        .to_string();

    let answer: serde_json::Value = client
        .post(format!("{}/api/authorize", mock.base_url))
        .form(&[
            ("app_id", &mock.app_id),
            ("app_secret", &mock.app_secret),
            ("auth_key", &key),
        ])
        .send()
        .unwrap()
        .text()
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    let token = answer["access_token"].as_str().unwrap().to_string();
    let user: serde_json::Value = client
        .get(format!(
            "{}/api/get_user_info?access_token={token}",
            mock.base_url
        ))
        .send()
        .unwrap()
        .text()
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    assert_eq!(user["user_info"]["user_id"], "2");

    let app_secret = mock.app_secret.clone();
    let out = mock.stop();
    assert_eq!(out.status.code(), Some(0));
    let log = text(&out.stderr);
    assert!(log.contains("stopped"), "{log}");
    // One line a request, secrets redacted.
    assert!(
        log.contains("/api/authorize") && log.contains("/api/get_user_info"),
        "{log}"
    );
    for secret in [&token, &key, &app_secret] {
        let after_banner = log.split("Requests:").nth(1).unwrap();
        assert!(!after_banner.contains(secret.as_str()), "{log}");
    }
}

#[test]
fn pipi_login_against_mock_with_a_fault() {
    let mut bed = Bed::new();
    let redirect = bed.vars["PIPI_REDIRECT_URL"].clone();
    let mock = Mock::start(&[
        "--redirect-url",
        &redirect,
        "--auto-approve",
        "--fault",
        "user_info=html500",
    ]);
    bed.set("PIPI_BASE_URL", &mock.base_url);
    let login = bed.login(&[]);
    assert_eq!(login.code(), 1, "{}", login.stderr());
    assert!(login.stderr().contains("HTTP 500"), "{}", login.stderr());
    assert!(!bed.cache_file("default").exists());
    assert_eq!(mock.stop().status.code(), Some(0));
}

#[test]
fn mock_stops_cleanly_on_sigterm_too() {
    let mock = Mock::start(&[]);
    let killed = Command::new("kill")
        .args(["-TERM", &mock.running.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = mock.running.finish();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("pipi mock: stopped."));
}

#[test]
fn mock_refuses_bad_options_and_a_taken_port() {
    let dir = tempfile::tempdir().unwrap();
    let out = bare(dir.path(), &["mock", "--fault", "authorize=melt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("'authorize=melt'") && err.contains("--fault"),
        "{err}"
    );
    let out = bare(dir.path(), &["mock", "--generation", "3.9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("possible values: get, post, both"));
    let out = bare(dir.path(), &["mock", "--user", "nobody"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("choose one of: 1 (@jose)"),
        "{}",
        text(&out.stderr)
    );
    // The site flags are not the emulator commands': before their name they are refused
    // with a reason, after it they are unknown, and their help does not offer them.
    let out = bare(dir.path(), &["--profile", "work", "demo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--profile has no meaning for pipi demo"));
    for command in ["demo", "mock"] {
        for flag in ["--profile", "--base-url"] {
            let out = bare(dir.path(), &[command, flag, "x"]).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{command} {flag}");
            assert!(
                text(&out.stderr).contains("unexpected argument"),
                "{command} {flag}"
            );
        }
        let help = bare(dir.path(), &[command, "--help"]).output().unwrap();
        let help = text(&help.stdout);
        assert!(
            !help.contains("--profile") && !help.contains("--base-url"),
            "{help}"
        );
        // Nor do the man page's section on the command and the completions for it.
        let man = text(&bare(dir.path(), &["man"]).output().unwrap().stdout);
        let section = man
            .split(".SS \"")
            .find(|s| s.starts_with(&format!("pipi {command}\"")))
            .unwrap();
        assert!(
            !section.contains("profile") && !section.contains("base\\-url"),
            "{section}"
        );
        let fish = text(
            &bare(dir.path(), &["completions", "fish"])
                .output()
                .unwrap()
                .stdout,
        );
        let offered = format!("__fish_pipi_using_subcommand {command}\" -l profile");
        assert!(!fish.contains(&offered), "{command}");
    }
    // Commands that use a site still offer them, after their name as before it.
    let fish = text(
        &bare(dir.path(), &["completions", "fish"])
            .output()
            .unwrap()
            .stdout,
    );
    assert!(fish.contains("__fish_pipi_using_subcommand whoami\" -l profile"));
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port().to_string();
    let out = bare(dir.path(), &["mock", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--port 0"),
        "{}",
        text(&out.stderr)
    );
}

/// Answers one request with a 200, as the app's page would.
fn answer_once(app: &std::net::TcpListener) {
    use std::io::{BufRead, BufReader, Write};
    let (mut stream, _) = app.accept().unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap() > 0 && line != "\r\n" {
        line.clear();
    }
    stream
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        .unwrap();
}

/// A browser that starts but never comes back (a text browser, or `curl` in `BROWSER`)
/// would leave the person waiting in silence: the demo says what to try instead, and its
/// wait is short by default.
#[test]
fn demo_says_what_to_try_when_the_browser_stays_silent() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bare(dir.path(), &["demo"]);
    // Starts, succeeds, and never visits the page.
    cmd.env("PIPI_BROWSER", "true")
        .env("PIPI_DEMO_HINT_AFTER", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let running = Running::new(cmd.spawn().unwrap());
    assert!(running.wait_for("Waiting up to 2m for the site"));
    assert!(running.wait_for("press Ctrl-C and run: pipi demo --no-browser"));
    running.interrupt();
    let out = running.finish();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));

    // A browser that comes back before the hint is due leaves it unsaid.
    let mut cmd = bare(dir.path(), &["demo", "--no-browser"]);
    let out = cmd.env("PIPI_DEMO_HINT_AFTER", "1").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("has not come back"));
}

#[cfg(unix)]
/// A tests/outside/ file.
fn outside(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/outside")
        .join(name)
}

/// Another program's test suite, in Python, drives `pipi mock` as its users' CI would: port
/// file, health, --env-file, a second app, `pipi login` through it, the clock, a fault for
/// one request, the log (tests/outside/mock_client.py says each step).
#[cfg(unix)]
#[test]
fn a_python_suite_drives_the_mock_from_outside() {
    let Some(python) = crate::common::required_program("python3", "the mock driven from Python")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(python)
        .arg(outside("mock_client.py"))
        .arg(crate::common::BIN)
        .arg(dir.path())
        .arg(crate::common::free_port().to_string())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout).trim(), "ok");
}

/// The site's own PHP sample, as the redirect URL of a second app registered through the
/// admin API, logs in: it trades the key with a GET and gets the person who signed in.
#[cfg(unix)]
#[test]
fn the_sites_php_sample_logs_in_through_a_second_app() {
    let Some(php) = crate::common::required_program("php", "the site's PHP sample") else {
        return;
    };
    let site =
        pipi::emulator::Emulator::bind(pipi::emulator::Config::default(), "127.0.0.1:0").unwrap();
    let port = crate::common::free_port();
    let app_secret = "fedcba9876543210fedcba9876543210";
    let client = crate::common::http();
    let registered = client
        .post(format!("{}/__pipi/apps", site.base_url()))
        .body(
            serde_json::json!({
                "app_id": "31",
                "app_secret": app_secret,
                "redirect_url": format!("http://127.0.0.1:{port}/my_redirect_url.php"),
            })
            .to_string(),
        )
        .send()
        .unwrap();
    assert_eq!(registered.status(), 200);
    let server = Command::new(php)
        .args(["-S", &format!("127.0.0.1:{port}"), "-t"])
        .arg(outside(""))
        .env("PIPI_SITE", site.base_url())
        .env("PIPI_SAMPLE_APP_ID", "31")
        .env("PIPI_SAMPLE_APP_SECRET", app_secret)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let server = Running::new(server);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < until, "php -S never listened");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let walked = pipi::emulator::walk(
        &format!("{}/api/oauth?app_id=31", site.base_url()),
        Some("2"),
    )
    .unwrap();
    drop(server);
    assert_eq!(walked.status, 200, "{}", walked.body);
    let answer: serde_json::Value = serde_json::from_str(&walked.body).unwrap();
    assert_eq!(answer["user_info"]["user_id"], "2", "{}", walked.body);
    // The sample sent the secret in the query string, as pre-4.0.4 servers read it.
    let authorize: Vec<_> = site
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/authorize")
        .collect();
    assert_eq!(authorize.len(), 1);
    assert_eq!(authorize[0].method, "GET");
    assert!(authorize[0].query.contains("app_id=31"));
}

/// A `pipi mock` started with a port file, its log going to a file.
#[cfg(unix)]
fn mock_with_port_file(dir: &std::path::Path, args: &[&str]) -> (std::process::Child, String) {
    let port_file = dir.join("port");
    let log = std::fs::File::create(dir.join("mock.log")).unwrap();
    let mut all = vec!["mock", "--port", "0", "--print-port-to"];
    let port_path = port_file.display().to_string();
    all.push(&port_path);
    all.extend_from_slice(args);
    let child = bare(dir, &all)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let port = loop {
        if let Ok(text) = std::fs::read_to_string(&port_file)
            && let Ok(port) = text.trim().parse::<u16>()
        {
            break port;
        }
        assert!(std::time::Instant::now() < until, "no port file");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    (child, format!("http://127.0.0.1:{port}"))
}

/// A value from /proc/PID/status, in kB.
#[cfg(target_os = "linux")]
fn proc_status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.trim().strip_suffix("kB"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// 300 form POSTs of a megabyte each: the mock keeps a bounded record with each body cut and
/// its size noted, holds at most 100 MB, and logs at most 5 MB.
#[cfg(target_os = "linux")]
#[test]
fn a_flood_of_large_bodies_is_recorded_and_logged_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = mock_with_port_file(dir.path(), &[]);
    let client = crate::common::http();
    let body = format!("app_id=4242&note={}", "k".repeat((1 << 20) - 17));
    assert_eq!(body.len(), 1 << 20);
    for _ in 0..300 {
        let answer = client
            .post(format!("{base}/api/authorize"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .unwrap();
        assert_eq!(answer.status(), 200);
    }
    let seen = client
        .get(format!("{base}/__pipi/requests?path=/api/authorize"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let seen: serde_json::Value = serde_json::from_str(&seen).unwrap();
    let seen = seen.as_array().unwrap();
    assert!(!seen.is_empty() && seen.len() <= 300, "{}", seen.len());
    for request in seen {
        assert_eq!(request["body_bytes"], 1 << 20);
        assert_eq!(request["body_truncated"], true);
        assert!(request["body"].as_str().unwrap().len() <= 4096);
    }
    let resident_kb = proc_status_kb(child.id(), "VmRSS:");
    let peak_kb = proc_status_kb(child.id(), "VmHWM:");
    child.kill().unwrap();
    child.wait().unwrap();
    let logged = std::fs::metadata(dir.path().join("mock.log"))
        .unwrap()
        .len();
    eprintln!(
        "after 300 POSTs of 1 MiB: {resident_kb} kB resident, {peak_kb} kB at peak, {logged} bytes logged"
    );
    assert!(resident_kb <= 100 * 1024, "{resident_kb} kB resident");
    assert!(logged <= 5 << 20, "{logged} bytes logged");
    let log = std::fs::read_to_string(dir.path().join("mock.log")).unwrap();
    let lines = log
        .lines()
        .filter(|l| l.starts_with("POST /api/authorize"))
        .count();
    assert_eq!(lines, 300);
    assert!(log.contains("kkk... (1048576 bytes)"), "the size is noted");
}

#[cfg(unix)]
/// An admin call to a running mock: the status and the body.
fn admin_call(base: &str, method: &str, route: &str, token: Option<&str>) -> (u16, String) {
    let client = crate::common::http();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client.request(method, format!("{base}/__pipi/{route}"));
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let answer = request.send().unwrap();
    (answer.status().as_u16(), answer.text().unwrap())
}

/// --admin-token (or PIPI_MOCK_ADMIN_TOKEN) makes the admin API require it, on loopback too;
/// the health check stays open for readiness.
#[cfg(unix)]
#[test]
fn mock_requires_the_admin_token_it_is_given() {
    for (args, env) in [
        (vec!["--admin-token", "t0ken"], None),
        (vec![], Some("t0ken")),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let port_file = dir.path().join("port");
        let mut cmd = bare(dir.path(), &["mock", "--port", "0", "--print-port-to"]);
        cmd.arg(&port_file)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(token) = env {
            cmd.env("PIPI_MOCK_ADMIN_TOKEN", token);
        }
        let mut child = cmd.spawn().unwrap();
        let base = wait_for_port(&port_file);
        assert_eq!(admin_call(&base, "GET", "health", None).0, 200);
        assert_eq!(admin_call(&base, "GET", "apps", None).0, 401);
        assert_eq!(admin_call(&base, "GET", "apps", Some("nope")).0, 401);
        assert_eq!(admin_call(&base, "GET", "apps", Some("t0ken")).0, 200);
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[cfg(unix)]
fn wait_for_port(port_file: &std::path::Path) -> String {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(port_file)
            && let Ok(port) = text.trim().parse::<u16>()
        {
            return format!("http://127.0.0.1:{port}");
        }
        assert!(std::time::Instant::now() < until, "no port file");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// --listen on another loopback address: still loopback, so the admin API is open, and the
/// export lines and the port name it.
#[cfg(target_os = "linux")]
#[test]
fn mock_listens_where_told_and_writes_its_env_file() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("mock.env");
    let port_file = dir.path().join("port");
    let mut child = bare(
        dir.path(),
        &["mock", "--listen", "127.0.0.2:0", "--env-file"],
    )
    .arg(&env_file)
    .arg("--print-port-to")
    .arg(&port_file)
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let port = wait_for_port(&port_file)
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let base = format!("http://127.0.0.2:{port}");
    assert_eq!(admin_call(&base, "GET", "apps", None).0, 200);
    // The export lines, sourced by a shell, point pipi at the site.
    let exports = std::fs::read_to_string(&env_file).unwrap();
    assert!(
        exports.contains(&format!("export PIPI_BASE_URL={base}\n")),
        "{exports}"
    );
    assert!(exports.contains("export PIPI_APP_SECRET=5ebe2294ecd0e0f08eab7690d2a6ee69\n"));
    let sourced = Command::new("sh")
        .arg("-c")
        .arg(". \"$1\" && printf '%s %s' \"$PIPI_APP_ID\" \"$PIPI_REDIRECT_URL\"")
        .arg("sh")
        .arg(&env_file)
        .output()
        .unwrap();
    assert_eq!(text(&sourced.stdout), "4242 http://127.0.0.1:8765/callback");
    assert_eq!(
        crate::common::mode(&env_file) & 0o077,
        0,
        "the env file is private"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// --print-config prints a setup that --config reads back, flags given on top of it.
#[test]
fn mock_prints_a_setup_and_starts_from_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = bare(dir.path(), &["mock", "--print-config", "--token-ttl", "7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut setup: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(setup["token_ttl"], 7);
    assert_eq!(setup["apps"][0]["app_id"], "4242");
    setup["apps"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"app_id": "55", "app_secret": "x", "redirect_url": "http://127.0.0.1:9/cb"}));
    setup["faults"] = serde_json::json!([{"endpoint": "authorize", "kind": "html500", "times": 1}]);
    let file = dir.path().join("site.json");
    std::fs::write(&file, setup.to_string()).unwrap();
    let out = bare(
        dir.path(),
        &["mock", "--print-config", "--latency", "5", "--config"],
    )
    .arg(&file)
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let read_back: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(read_back["apps"][1]["app_id"], "55");
    assert_eq!(read_back["token_ttl"], 7);
    assert_eq!(read_back["latency_ms"], 5);
    assert_eq!(read_back["faults"][0]["times"], 1);
    std::fs::write(&file, r#"{"apps": [{"app_id": "x"}]}"#).unwrap();
    let out = bare(dir.path(), &["mock", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("invalid setup file") && err.contains("site.json"),
        "{err}"
    );
}

/// 40,000 people from --users: the site comes up, holds them all, and its banner names ten
/// and counts the rest instead of printing a line of all of them.
#[cfg(unix)]
#[test]
fn mock_starts_with_forty_thousand_people() {
    let dir = tempfile::tempdir().unwrap();
    let people: Vec<serde_json::Value> = (1..=40_000)
        .map(|i| serde_json::json!({"user_id": i.to_string(), "user_name": format!("u{i}")}))
        .collect();
    let users = dir.path().join("users.json");
    std::fs::write(&users, serde_json::Value::Array(people).to_string()).unwrap();
    let (mut child, base) = mock_with_port_file(dir.path(), &["--users", users.to_str().unwrap()]);
    let (status, listed) = admin_call(&base, "GET", "users", None);
    assert_eq!(status, 200);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 40_000);
    assert_eq!(listed[39_999]["user_name"], "u40000");
    child.kill().unwrap();
    child.wait().unwrap();
    let log = std::fs::read_to_string(dir.path().join("mock.log")).unwrap();
    assert!(
        log.contains("; and 39990 more"),
        "{}",
        &log[..log.len().min(2000)]
    );
    assert!(log.len() < 4096, "{} bytes of banner", log.len());
}
