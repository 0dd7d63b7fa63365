//! A real browser: headless Chromium opens the login URL against the emulator, follows the
//! site's redirect into `pipi login`'s listener, and renders the page that names who logged
//! in. Once with no clicks (the site approves at once), for a `127.0.0.1` and a `localhost`
//! redirect URL; once driven through the sign-in and consent pages with clicks, over
//! WebDriver (chromedriver).
//!
//! Chromium runs with a fresh profile and without its background services: it must reach
//! nothing but loopback.

use crate::common::{Bed, Running, text};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The flags every Chromium here runs with: headless, as root too, and quiet on the network.
fn chromium_flags(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ]
    .into_iter()
    .map(str::to_string)
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

fn chromium(skipped: &str) -> Option<PathBuf> {
    crate::common::required_program("chromium", skipped)
}

/// `pipi login` with PIPI_BROWSER set to Chromium printing the page it ends on, and what
/// that page said.
fn login_in_chromium(bed: &mut Bed, chromium: &Path) -> (std::process::Output, String) {
    let profile = bed.dir.path().join("chromium-profile");
    let dom = bed.dir.path().join("dom.html");
    let script = bed.dir.path().join("chromium.sh");
    let flags: Vec<String> = chromium_flags(&profile)
        .iter()
        .map(|f| format!("'{f}'"))
        .collect();
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec '{}' {} --dump-dom \"$1\" > '{}' 2> '{}'\n",
            chromium.display(),
            flags.join(" "),
            dom.display(),
            bed.dir.path().join("chromium.log").display()
        ),
    )
    .unwrap();
    crate::common::make_executable(&script);
    bed.set("PIPI_BROWSER", script.display().to_string());
    let out = bed
        .pipi(&["login", "--timeout", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    // Chromium prints the page once it has loaded, after pipi has answered it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut page = String::new();
    while Instant::now() < deadline {
        page = std::fs::read_to_string(&dom).unwrap_or_default();
        if page.contains("</html>") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if !page.contains("</html>") {
        let log = std::fs::read_to_string(bed.dir.path().join("chromium.log")).unwrap_or_default();
        panic!(
            "Chromium printed no page; pipi said:\n{}\nChromium said:\n{log}",
            text(&out.stderr)
        );
    }
    (out, page)
}

fn check_redirect_into_pipi(redirect_host: &str) {
    let Some(chromium) = chromium("logging in with a real browser") else {
        return;
    };
    let port = crate::common::free_port_both();
    let mut bed = Bed::with(|c| c.redirect_url = format!("http://{redirect_host}:{port}/callback"));
    let (out, page) = login_in_chromium(&mut bed, &chromium);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("Logged in as José O'Brien (@jose)"), "{err}");
    assert!(
        page.contains("pipi is now logged in as José O'Brien"),
        "the page Chromium rendered: {page}"
    );
    assert_eq!(bed.cache_json("default")["user"]["user_name"], "jose");
}

#[test]
fn chromium_follows_the_redirect_to_127_0_0_1() {
    check_redirect_into_pipi("127.0.0.1");
}

#[test]
fn chromium_follows_the_redirect_to_localhost() {
    check_redirect_into_pipi("localhost");
}

/// A WebDriver session in Chromium, through chromedriver on a loopback port: just the few
/// commands a person's clicks need.
struct Driver {
    server: Child,
    base: String,
    session: String,
    http: reqwest::blocking::Client,
    _profile: tempfile::TempDir,
}

impl Driver {
    fn start(chromedriver: &Path, chromium: &Path) -> Driver {
        let port = crate::common::free_port();
        let server = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http = crate::common::http_builder()
            .timeout(Duration::from_secs(60))
            .no_proxy()
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http
                .get(format!("{base}/status"))
                .send()
                .ok()
                .and_then(|r| r.bytes().ok())
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let mut driver = Driver {
            server,
            base,
            session: String::new(),
            http,
            _profile: profile,
        };
        let created = driver.call(
            "POST",
            "/session",
            json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium.display().to_string(),
                    "args": chromium_flags(driver._profile.path()),
                },
            }}}),
        );
        driver.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        driver
    }

    /// One WebDriver command; its `value`.
    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "POST" => self
                .http
                .post(&url)
                .header("content-type", "application/json")
                .body(body.to_string()),
            "DELETE" => self.http.delete(&url),
            _ => self.http.get(&url),
        };
        let answer: Value = serde_json::from_slice(&request.send().unwrap().bytes().unwrap())
            .unwrap_or_else(|e| panic!("chromedriver answered {path} with no JSON: {e}"));
        answer.get("value").cloned().unwrap_or(Value::Null)
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    fn go(&self, url: &str) {
        self.call("POST", &self.session_path("/url"), json!({ "url": url }));
    }

    /// Clicks the element `css` picks, once the page shows it.
    fn click(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found = self.call(
                "POST",
                &self.session_path("/element"),
                json!({"using": "css selector", "value": css}),
            );
            if let Some(id) = found
                .as_object()
                .and_then(|o| o.values().next())
                .and_then(Value::as_str)
                .filter(|_| found.get("error").is_none())
            {
                self.call(
                    "POST",
                    &self.session_path(&format!("/element/{id}/click")),
                    json!({}),
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no {css} on the page: {}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn page_text(&self) -> String {
        self.call(
            "POST",
            &self.session_path("/execute/sync"),
            json!({"script": "return document.body ? document.body.innerText : ''", "args": []}),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Waits until the page's text holds `needle`; the text.
    fn wait_for_text(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let page = self.page_text();
            if page.contains(needle) {
                return page;
            }
            assert!(Instant::now() < deadline, "no {needle:?} in: {page}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self
                .http
                .delete(format!("{}{}", self.base, self.session_path("")))
                .send();
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

#[test]
fn chromium_signs_in_and_approves_with_clicks() {
    let Some(chromium) = chromium("logging in with clicks in a real browser") else {
        return;
    };
    let Some(chromedriver) =
        crate::common::required_program("chromedriver", "logging in with clicks in a real browser")
    else {
        return;
    };
    // Nobody signed in, nothing approved: the site shows both pages.
    let bed = Bed::with(|c| c.auto_approve = false);
    let running = Running::watch(&mut bed.pipi(&["login", "--timeout", "60"]));
    let url = bed.opened_url(&running).expect("pipi opened no URL");
    let driver = Driver::start(&chromedriver, &chromium);
    driver.go(&url);
    driver.wait_for_text("Sign in as");
    driver.click("form[data-pipi=signin][data-user-name=jose] button");
    driver.wait_for_text("Continue as");
    driver.click("form[data-pipi=approve] button");
    let page = driver.wait_for_text("pipi is now logged in as");
    assert!(
        page.contains("pipi is now logged in as José O'Brien"),
        "{page}"
    );
    drop(driver);
    let out = running.finish();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("Logged in as José O'Brien (@jose)"), "{err}");
    assert_eq!(bed.cache_json("default")["user"]["user_name"], "jose");
}
