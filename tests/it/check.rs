//! The app is checked before the browser opens: one refused exchange at `/api/authorize`
//! tells a wrong base URL, a disabled developers module, an unknown app or a wrong secret in
//! a moment, with the setting to fix, instead of after a 5-minute wait or a sign-in.

use crate::common::{Bed, Browser, free_port, text};
use pipi::emulator::Fault;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// Runs `pipi login` and checks that it failed at once, before any browser: the error, in
/// one string with its hint.
fn fails_before_the_browser(bed: &Bed) -> String {
    let started = Instant::now();
    let out = bed.run(&["login"]);
    let took = started.elapsed();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(took < Duration::from_secs(5), "took {took:?}: {stderr}");
    assert!(!bed.browser_was_started(), "{stderr}");
    assert!(!stderr.contains("Waiting"), "{stderr}");
    assert_eq!(text(&out.stdout), "");
    assert!(!bed.cache_file("default").exists());
    assert!(stderr.contains("pipi: error: "), "{stderr}");
    assert!(stderr.contains("\nhint: "), "{stderr}");
    stderr
}

/// What the site saw: path and method of each request.
fn seen(bed: &Bed) -> Vec<(String, String)> {
    bed.site
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect()
}

#[test]
fn an_unknown_app_is_named_with_the_setting_to_fix() {
    let mut bed = Bed::new();
    bed.set("PIPI_APP_ID", "999");
    let err = fails_before_the_browser(&bed);
    assert!(
        err.contains("has no app with the id 999, or the app is disabled"),
        "{err}"
    );
    assert!(
        err.contains("hint: check the app id") && err.contains("PIPI_APP_ID"),
        "{err}"
    );
    // One request, and no visit to the login page.
    assert_eq!(
        seen(&bed),
        [("POST".to_string(), "/api/authorize".to_string())]
    );
}

#[test]
fn a_wrong_secret_is_named_before_anyone_signs_in() {
    let mut bed = Bed::new();
    bed.set("PIPI_APP_SECRET", "f".repeat(32));
    let err = fails_before_the_browser(&bed);
    assert!(err.contains("refused the app secret of app 4242"), "{err}");
    assert!(err.contains("invalid app_secret"), "{err}");
    assert!(err.contains("app-secret-command"), "{err}");
    assert!(!err.contains(&"f".repeat(32)), "{err}");
}

#[test]
fn a_disabled_developers_module_is_named() {
    let bed = Bed::with(|c| c.developers_disabled = true);
    let err = fails_before_the_browser(&bed);
    assert!(err.contains("developers module"), "{err}");
    assert!(err.contains("turned off"), "{err}");
}

#[test]
fn a_base_url_that_is_not_a_sngine_site_is_named() {
    // The emulator's host, under a path where it has no API: an HTML 404.
    let mut bed = Bed::new();
    let wrong = format!("{}/forum", bed.site.base_url());
    bed.set("PIPI_BASE_URL", wrong);
    let err = fails_before_the_browser(&bed);
    assert!(err.contains("does not answer as a Sngine site"), "{err}");
    assert!(err.contains("HTTP 404"), "{err}");
    assert!(err.contains("hint: check the base URL"), "{err}");

    // Nothing listening there at all.
    let mut bed = Bed::new();
    bed.set("PIPI_BASE_URL", format!("http://127.0.0.1:{}", free_port()));
    let err = fails_before_the_browser(&bed);
    assert!(err.contains("does not answer as a Sngine site"), "{err}");
    assert!(err.contains("could not connect"), "{err}");

    // A redirect (http instead of https, or the wrong host name) keeps its own hint.
    let bed = Bed::with(|c| c.faults = vec!["authorize=redirect".parse::<Fault>().unwrap()]);
    let err = fails_before_the_browser(&bed);
    assert!(err.contains("redirect"), "{err}");
    assert!(err.contains("http vs https"), "{err}");
}

#[test]
fn a_refused_check_leaves_a_working_token_alone() {
    let mut bed = Bed::new();
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    let before = std::fs::read(bed.cache_file("default")).unwrap();
    bed.set("PIPI_APP_ID", "999");
    let out = bed.run(&["login"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(bed.cache_file("default")).unwrap(), before);
}

/// A site that answers every request with a refusal in French, as a translated Sngine does.
fn translated_site() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.read(&mut buf);
            let body = r#"{"error":true,"message":"Requ\u00eate invalide"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn an_answer_pipi_cannot_read_lets_the_login_go_on_and_the_timeout_names_the_redirect_url() {
    let mut bed = Bed::new();
    bed.set("PIPI_BASE_URL", translated_site());
    let login = bed.login_with(&["--timeout", "2"], Browser::None);
    let err = login.stderr();
    assert_eq!(login.code(), 1, "{err}");
    assert!(
        err.contains("warning: could not check the app before the login")
            && err.contains("Requête invalide"),
        "{err}"
    );
    assert!(bed.browser_was_started(), "the login went on: {err}");
    assert!(err.contains("timed out after 2s"), "{err}");
    let redirect_url = &bed.vars["PIPI_REDIRECT_URL"];
    assert!(
        err.contains(&format!(
            "the redirect URL registered for the app is not {redirect_url}"
        )),
        "{err}"
    );
    assert!(err.contains("PIPI_REDIRECT_URL"), "{err}");
}

#[test]
fn a_redirect_url_that_differs_from_the_registered_one_is_named_when_the_wait_ends() {
    // The site sends the browser to another port than the one pipi listens on.
    let mut bed = Bed::new();
    let theirs = bed.vars["PIPI_REDIRECT_URL"].clone();
    let ours = format!("http://127.0.0.1:{}/callback", free_port());
    bed.set("PIPI_REDIRECT_URL", ours.as_str());
    let login = bed.login_with(&["--timeout", "2"], Browser::None);
    let err = login.stderr();
    assert_eq!(login.code(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "the redirect URL registered for the app is not {ours}"
        )),
        "{err}"
    );
    assert!(
        !err.contains(&theirs),
        "pipi cannot know the registered one: {err}"
    );
    assert!(err.contains("pipi login --no-browser"), "{err}");
}
