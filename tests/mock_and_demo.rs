//! `pipi demo` and `pipi mock`: the emulated site as people use it, through the real binary.

mod common;

use common::{Bed, Running, text};
use std::process::{Command, Stdio};

/// pipi with an environment that has only a home, config and cache of its own.
fn bare(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(common::BIN);
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
        let child = bare(dir.path(), &all)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let running = Running::new(child);
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
    let client = reqwest::blocking::Client::builder()
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
    let out = bare(dir.path(), &["demo", "--profile", "work"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--profile has no meaning for pipi demo"));
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
