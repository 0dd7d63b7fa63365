//! `pipi login` end to end: the real binary, the emulated site, a real HTTP client as browser.

#[cfg(unix)]
use crate::common::mode;
use crate::common::{Bed, Browser, free_port, text};
use pipi::emulator::{Fault, Generation};
use std::time::{Duration, Instant};

#[test]
fn login_caches_the_token_with_the_profile_and_says_who() {
    let bed = Bed::new();
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    let site = pipi::site_label(&bed.site.base_url());
    assert!(
        login
            .stderr()
            .contains(&format!("Logged in as José O'Brien (@jose) on {site}")),
        "{}",
        login.stderr()
    );
    assert_eq!(login.stdout(), "", "login prints no data without --json");

    let cache = bed.cache_json("default");
    let token = cache["access_token"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(cache["base_url"], bed.site.base_url());
    assert_eq!(cache["app_id"], bed.site.config().app_id);
    assert_eq!(cache["user"]["user_firstname"], "José");
    let obtained = humantime::parse_rfc3339(cache["obtained_at"].as_str().unwrap()).unwrap();
    let expires = humantime::parse_rfc3339(cache["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        expires.duration_since(obtained).unwrap(),
        Duration::from_secs(60)
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&bed.cache_file("default")), 0o600);
        assert_eq!(mode(&bed.cache_dir()), 0o700);
    }

    // The browser landed on pipi's page, which names the person and shows no key or token.
    let visit = login.visit.as_ref().unwrap();
    assert!(
        visit.url.starts_with(&bed.site.config().redirect_url),
        "{}",
        visit.url
    );
    assert!(visit.url.contains("auth_key="));
    assert_eq!(visit.status, 200);
    assert!(
        visit.body.contains("Jos&eacute;") || visit.body.contains("José"),
        "{}",
        visit.body
    );
    let key = visit.url.split("auth_key=").nth(1).unwrap().to_string();
    assert!(!visit.body.contains(&key) && !visit.body.contains(token));
    assert_eq!(visit.headers["cache-control"], "no-store");
    assert_eq!(visit.headers["referrer-policy"], "no-referrer");

    // The check of the app before the browser opened, then the exchange: the key went in a
    // POST body, never in a URL; the secret neither.
    let secret = &bed.site.config().app_secret;
    let requests = bed.site.requests();
    let authorize: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/api/authorize")
        .collect();
    assert_eq!(authorize.len(), 2, "{authorize:?}");
    assert!(
        authorize[0]
            .body
            .contains("auth_key=pipi-checks-the-app-with-no-key")
    );
    assert!(authorize[1].body.contains(&format!("auth_key={key}")));
    for request in &authorize {
        assert_eq!(request.method, "POST");
        assert!(request.body.contains(secret.as_str()));
    }
    assert!(requests.iter().all(|r| !r.query.contains(secret.as_str())));
    // Nothing secret on the terminal either.
    assert!(!login.stderr().contains(token) && !login.stderr().contains(secret.as_str()));
}

#[test]
fn login_json_prints_the_decoded_profile_on_stdout() {
    let bed = Bed::new();
    let login = bed.login(&["--json"]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    let user: serde_json::Value = serde_json::from_str(&login.stdout()).unwrap();
    assert_eq!(user["user_name"], "jose");
    assert_eq!(user["user_lastname"], "O'Brien");
}

#[test]
fn every_server_generation_is_handled() {
    // The check of the app comes first and learns how the server reads the exchange.
    for (generation, methods) in [
        (Generation::Post, vec!["POST", "POST"]),
        (Generation::Both, vec!["POST", "POST"]),
        // A server before 4.0.4 reads only the query: the check's POST is refused, its GET
        // tells the rest, and the exchange goes as a GET at once.
        (Generation::Get, vec!["POST", "GET", "GET"]),
    ] {
        let bed = Bed::with(|c| c.generation = generation);
        let login = bed.login(&[]);
        assert_eq!(login.code(), 0, "{generation:?}: {}", login.stderr());
        let seen = bed.methods_seen("/api/authorize");
        assert_eq!(seen, methods, "{generation:?}");
    }
}

#[test]
fn a_second_login_within_the_minute_keeps_the_first_times() {
    let bed = Bed::new();
    assert_eq!(bed.login(&[]).code(), 0);
    let first = bed.cache_json("default");
    std::thread::sleep(Duration::from_millis(1100));
    let again = bed.login(&[]);
    assert_eq!(again.code(), 0, "{}", again.stderr());
    let second = bed.cache_json("default");
    assert_eq!(
        first["access_token"], second["access_token"],
        "the server hands back the same token"
    );
    assert_eq!(first["obtained_at"], second["obtained_at"]);
    assert_eq!(first["expires_at"], second["expires_at"]);
}

#[test]
fn a_failed_login_leaves_the_working_token_alone() {
    let mut bed = Bed::new();
    assert_eq!(bed.login(&[]).code(), 0);
    let before = std::fs::read(bed.cache_file("default")).unwrap();

    bed.set("PIPI_APP_SECRET", "0".repeat(32));
    let login = bed.login(&[]);
    assert_eq!(login.code(), 1);
    let err = login.stderr();
    assert!(
        err.contains("pipi: error:") && err.contains("invalid app_secret"),
        "{err}"
    );
    assert!(err.contains("hint: check the app secret"), "{err}");
    // The check found it before any browser was opened.
    assert!(login.visit.is_none());
    assert_eq!(std::fs::read(bed.cache_file("default")).unwrap(), before);
    // Only an `invalid app_id` refusal sends the exchange again as a GET, secret in the URL:
    // the first login's check and exchange, then this one's check.
    let methods = bed.methods_seen("/api/authorize");
    assert_eq!(methods, ["POST", "POST", "POST"]);

    // A profile that cannot be fetched fails the login too, and the old token stays.
    bed.set("PIPI_APP_SECRET", bed.site.config().app_secret.clone());
    bed.site
        .set_faults(vec!["user_info=html500".parse::<Fault>().unwrap()]);
    let login = bed.login(&[]);
    assert_eq!(login.code(), 1, "{}", login.stderr());
    assert_eq!(std::fs::read(bed.cache_file("default")).unwrap(), before);
}

#[test]
fn server_faults_fail_the_login_clearly_and_write_nothing() {
    for (fault, expect) in [
        ("authorize=html500", "HTTP 500"),
        ("authorize=badjson", "not JSON"),
        ("authorize=empty", "empty answer"),
        ("authorize=redirect", "redirect"),
        ("authorize=reset", "request failed"),
        ("authorize=slow", "did not answer in time"),
        ("user_info=deleted", "no user for this token"),
        ("user_info=html500", "HTTP 500"),
    ] {
        let mut bed = Bed::with(|c| {
            c.faults = vec![fault.parse::<Fault>().unwrap()];
            c.slow_delay = Duration::from_secs(5);
        });
        bed.set("PIPI_HTTP_TIMEOUT", "1");
        let login = bed.login(&[]);
        let err = login.stderr();
        assert_eq!(login.code(), 1, "{fault}: {err}");
        assert!(err.contains(expect), "{fault}: {err}");
        assert!(
            !err.contains("<html") && !err.contains("<!DOCTYPE"),
            "{fault}: {err}"
        );
        assert!(!bed.cache_file("default").exists(), "{fault}");
    }
}

#[test]
fn a_redirect_url_with_a_query_is_joined_plainly_and_still_caught() {
    let port = free_port();
    let bed = Bed::with(|c| c.redirect_url = format!("http://127.0.0.1:{port}/callback?src=cli"));
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    let visit = login.visit.unwrap();
    assert!(
        visit.url.contains("/callback?src=cli?auth_key="),
        "{}",
        visit.url
    );
}

#[test]
fn missing_credentials_are_named_before_anything_starts() {
    let mut bed = Bed::new();
    bed.unset("PIPI_APP_SECRET");
    let out = bed.run(&["login"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("no app secret for profile 'default'"), "{err}");
    assert!(
        err.contains("PIPI_APP_SECRET") && err.contains("config.toml"),
        "{err}"
    );
    assert!(bed.site.requests().is_empty());
}

#[test]
fn credentials_and_settings_come_from_the_config_file() {
    let mut bed = Bed::new();
    let config = format!(
        "[work]\nbase-url = \"{}\"\napp-id = {}\napp-secret = \"{}\"\nredirect-url = \"{}\"\ntoken-ttl = 3600\n",
        bed.site.base_url(),
        bed.site.config().app_id,
        bed.site.config().app_secret,
        bed.site.config().redirect_url
    );
    std::fs::create_dir_all(bed.dir.path().join("config")).unwrap();
    std::fs::write(bed.dir.path().join("config/config.toml"), config).unwrap();
    bed.without_site_variables();
    let login = bed.login(&["--profile", "work"]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    assert!(
        login.stderr().contains("(profile 'work')"),
        "{}",
        login.stderr()
    );
    let cache = bed.cache_json("work");
    let obtained = humantime::parse_rfc3339(cache["obtained_at"].as_str().unwrap()).unwrap();
    let expires = humantime::parse_rfc3339(cache["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        expires.duration_since(obtained).unwrap(),
        Duration::from_secs(3600)
    );
    assert!(!bed.cache_file("default").exists());
}

#[test]
fn plain_http_to_a_remote_site_is_refused_before_connecting() {
    let mut bed = Bed::new();
    bed.set("PIPI_BASE_URL", "http://pipichat.com");
    let out = bed.run(&["login"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("refusing plain http://"), "{err}");
    assert!(err.contains("hint: use https://pipichat.com"), "{err}");
}

#[test]
fn a_taken_port_is_reported_at_once() {
    let bed = Bed::new();
    let redirect = url::Url::parse(&bed.site.config().redirect_url).unwrap();
    let addr = format!("127.0.0.1:{}", redirect.port().unwrap());
    let _holder = std::net::TcpListener::bind(&addr).unwrap();
    let started = Instant::now();
    let out = bed.run(&["login"]);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&addr) && err.contains("already in use"),
        "{err}"
    );
    assert!(err.contains("PIPI_REDIRECT_URL"), "{err}");
}

#[test]
fn the_timeout_ends_the_wait_and_says_for_what() {
    let bed = Bed::new();
    let login = bed.login_with(&["--timeout", "1"], Browser::None);
    assert_eq!(login.code(), 1);
    let err = login.stderr();
    assert!(
        err.contains("timed out after 1s waiting for the browser"),
        "{err}"
    );
    assert!(!bed.cache_file("default").exists());
}

#[test]
fn ctrl_c_stops_the_wait_with_130_and_writes_nothing() {
    let bed = Bed::new();
    let running = bed.start_login(&[]);
    assert!(running.wait_for("Waiting up to"));
    running.interrupt();
    let out = running.finish();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("pipi: error: interrupted"));
    assert!(!bed.cache_file("default").exists());
}

#[test]
fn sigterm_and_sighup_stop_the_wait_with_the_codes_shells_use() {
    for (signal, code) in [("TERM", 143), ("HUP", 129)] {
        let bed = Bed::new();
        let running = bed.start_login(&[]);
        assert!(running.wait_for("Waiting up to"));
        running.signal(signal);
        let out = running.finish();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{signal}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stderr).contains("pipi: error: interrupted"));
        assert!(!bed.cache_file("default").exists());
    }
}

#[test]
fn junk_before_the_redirect_is_refused_and_the_wait_goes_on() {
    let bed = Bed::new();
    let running = bed.start_login(&[]);
    let url = bed.opened_url(&running).unwrap();
    let redirect = bed.site.config().redirect_url.clone();
    let origin = redirect.trim_end_matches("/callback").to_string();
    let client = crate::common::http();
    let status = |r: reqwest::blocking::RequestBuilder| r.send().unwrap().status().as_u16();
    assert_eq!(status(client.get(format!("{origin}/favicon.ico"))), 404);
    assert_eq!(status(client.post(format!("{redirect}?auth_key=abc"))), 405);
    assert_eq!(
        status(
            client
                .get(format!("{redirect}?auth_key=abc"))
                .header("Host", "evil.example")
        ),
        400
    );
    assert_eq!(status(client.get(format!("{redirect}?nothing=here"))), 400);
    let visit = crate::common::follow(&url);
    assert_eq!(visit.status, 200);
    let out = running.finish();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn the_token_lifetime_comes_from_the_environment() {
    let mut bed = Bed::new();
    bed.set("PIPI_TOKEN_TTL", "45");
    assert_eq!(bed.login(&[]).code(), 0);
    let cache = bed.cache_json("default");
    let obtained = humantime::parse_rfc3339(cache["obtained_at"].as_str().unwrap()).unwrap();
    let expires = humantime::parse_rfc3339(cache["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        expires.duration_since(obtained).unwrap(),
        Duration::from_secs(45)
    );
}

#[test]
fn browser_is_used_when_pipi_browser_is_unset() {
    let mut bed = Bed::new();
    let script = bed.vars["PIPI_BROWSER"].clone();
    bed.unset("PIPI_BROWSER").set("BROWSER", script);
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    assert!(!login.stderr().contains("could not open a browser"));
}

#[test]
fn without_a_browser_the_url_is_printed_and_the_wait_goes_on() {
    let mut bed = Bed::new();
    bed.set("PIPI_BROWSER", "/nonexistent/browser");
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    let err = login.stderr();
    assert!(err.contains("could not open a browser"), "{err}");
    assert!(
        err.contains(&format!(
            "Open this URL to log in: {}",
            bed.site.oauth_url()
        )),
        "{err}"
    );
}

/// A browser command that returns only when its page is done (a text browser, Firefox when
/// it was not running yet, headless Chromium) must not hold up a login whose redirect has
/// arrived: waiting to see whether it fails used to add three seconds.
#[test]
fn a_browser_in_the_foreground_does_not_hold_up_the_login() {
    let mut bed = Bed::new();
    // It records the URL for the test to follow, then stays, its output kept off pipi's
    // stderr so that nothing waits for it to end.
    bed.browser_script(
        "printf '%s\\n' \"$1\" >> \"$(dirname \"$0\")/opened-urls\"\n\
         exec sleep 5 >/dev/null 2>&1\n",
    );
    let started = Instant::now();
    let login = bed.login(&[]);
    let took = started.elapsed();
    assert_eq!(login.code(), 0, "{}", login.stderr());
    // Waiting for the browser took over 3 s; a loaded machine still does it in well under.
    assert!(
        took < Duration::from_millis(2500),
        "the login took {took:?}"
    );
    assert!(!login.stderr().contains("could not open a browser"));
}

/// The same with a browser that follows the redirects itself, in the foreground: the page it
/// waits for is the one pipi sends once the login is done.
#[test]
fn a_browser_that_comes_back_in_the_foreground_does_not_wait_for_itself() {
    if crate::common::required_program("curl", "a foreground curl browser").is_none() {
        return;
    }
    let mut bed = Bed::new();
    bed.browser_script("exec curl -sL -o /dev/null \"$1\"\n");
    let started = Instant::now();
    let login = bed.login_with(&[], Browser::None);
    let took = started.elapsed();
    assert_eq!(login.code(), 0, "{}", login.stderr());
    // Waiting for the browser took over 3 s; a loaded machine still does it in well under.
    assert!(
        took < Duration::from_millis(2500),
        "the login took {took:?}"
    );
    assert!(
        login.stderr().contains("Logged in as José O'Brien (@jose)"),
        "{}",
        login.stderr()
    );
}

#[test]
fn a_stale_key_does_not_end_the_wait_for_the_good_one() {
    let bed = Bed::new();
    let running = bed.start_login(&[]);
    let url = bed.opened_url(&running).unwrap();
    // Two visits to the login page: the second key replaces the first.
    let no_redirects = crate::common::http_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let location = |_: u8| {
        no_redirects.get(&url).send().unwrap().headers()["location"]
            .to_str()
            .unwrap()
            .to_string()
    };
    let stale = location(1);
    let fresh = location(2);
    assert_ne!(stale, fresh);
    let refused = crate::common::follow(&stale);
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("still waiting"), "{}", refused.body);
    let visit = crate::common::follow(&fresh);
    assert_eq!(visit.status, 200, "{}", visit.body);
    let out = running.finish();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("invalid auth_key; still waiting"), "{err}");
}
