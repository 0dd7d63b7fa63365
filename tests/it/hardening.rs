//! What a hostile server, a tampered file or a careless environment cannot make pipi do:
//! rewrite the terminal, steer a token or a secret elsewhere, or leak a secret to a browser.

use crate::common::{Bed, text};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;

/// The seeded people, the first of whom (the one the site signs in) is named to erase the
/// terminal's line and write another name in its place.
fn hostile_people() -> Vec<serde_json::Map<String, Value>> {
    let mut users = pipi::emulator::seed_users();
    users[0].insert(
        "user_firstname".into(),
        Value::from("\u{1b}[2K\rLogged in as Victim\u{202e}"),
    );
    users
}

/// What a terminal would act on, other than the line feeds that end each line.
fn has_raw_controls(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    })
}

#[test]
fn a_name_from_the_server_is_shown_escaped_wherever_it_is_written_for_people() {
    let bed = Bed::with(|c| c.users = hostile_people());
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    let err = login.stderr();
    assert!(
        err.contains(r"Logged in as \x1b[2K\rLogged in as Victim\u{202e} O'Brien (@jose) on"),
        "{err}"
    );
    assert!(!has_raw_controls(&err), "{err:?}");

    let status = bed.run(&["status"]);
    let err = text(&status.stderr);
    assert!(
        err.contains(r"account: \x1b[2K\rLogged in as Victim"),
        "{err}"
    );
    assert!(!has_raw_controls(&err), "{err:?}");

    let profiles = bed.run(&["profiles"]);
    let table = text(&profiles.stdout);
    assert!(table.contains(r"\x1b[2K\rLogged in as Victim"), "{table}");
    assert!(!has_raw_controls(&table), "{table:?}");

    // Data on stdout stays exact: the name as the server gave it.
    let json = bed.run(&["status", "--json"]);
    let status: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        status["user"]["user_firstname"],
        "\u{1b}[2K\rLogged in as Victim\u{202e}"
    );
    let whoami = bed.run(&["whoami"]);
    let user: Value = serde_json::from_slice(&whoami.stdout).unwrap();
    assert_eq!(
        user["user_firstname"],
        "\u{1b}[2K\rLogged in as Victim\u{202e}"
    );
}

/// A site on 127.0.0.1 that answers every request with `body` as JSON, whatever was asked.
fn site_answering(body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn a_message_from_the_server_cannot_retitle_the_terminal() {
    let site = site_answering(
        r#"{"error":true,"message":"\u001b]0;pwned\u0007Bad Request\r\npipi: error: fake"}"#,
    );
    let mut bed = Bed::new();
    bed.set("PIPI_BASE_URL", &site);
    bed.set("PIPI_ACCESS_TOKEN", "0123456789abcdef0123456789abcdef");
    let out = bed.run(&["whoami"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(r"the server said: \x1b]0;pwned\x07Bad Request\r\npipi: error: fake"),
        "{err}"
    );
    assert!(!has_raw_controls(&err), "{err:?}");
    // One error line: the message cannot start a line of its own.
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("pipi: error: "), "{err}");
}

#[test]
fn a_tampered_cache_cannot_steer_the_token_to_plain_http_or_a_query() {
    let bed = Bed::new();
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    let mut bed = bed;
    // Nothing names a site: the one in the cache is used, and it is checked first.
    bed.unset("PIPI_BASE_URL");
    let original = bed.cache_json("default");
    for tampered in [
        "http://example.invalid",
        "https://example.invalid/?to=elsewhere",
        "javascript:alert(1)",
    ] {
        let mut cache = original.clone();
        cache["base_url"] = tampered.into();
        std::fs::write(bed.cache_file("default"), cache.to_string()).unwrap();
        for command in [&["whoami"][..], &["token"], &["api", "get_user_info"]] {
            let out = bed.run(command);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(4), "{tampered} {command:?}: {err}");
            assert!(
                err.contains("names a site pipi does not send tokens to"),
                "{tampered} {command:?}: {err}"
            );
            assert_eq!(out.stdout, b"", "{tampered} {command:?}");
        }
    }
}

#[test]
fn the_browser_gets_no_secret_in_its_environment() {
    let mut bed = Bed::new();
    let dump = bed.dir.path().join("browser-env");
    let browser = bed.dir.path().join("env-browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nenv > '{}'\nprintf '%s\\n' \"$1\" >> '{}'\n",
            dump.display(),
            bed.dir.path().join("opened-urls").display()
        ),
    )
    .unwrap();
    crate::common::make_executable(&browser);
    bed.set("PIPI_BROWSER", browser.display().to_string());
    bed.set("PIPI_ACCESS_TOKEN", "0123456789abcdef0123456789abcdef");
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    let env = std::fs::read_to_string(&dump).unwrap();
    // The dump is the browser's whole environment: what is not secret is still there.
    assert!(env.contains("PIPI_APP_ID="), "{env}");
    assert!(!env.contains("PIPI_APP_SECRET"), "{env}");
    assert!(!env.contains("PIPI_ACCESS_TOKEN"), "{env}");
    assert!(!env.contains(&bed.site.config().app_secret), "{env}");
}

#[test]
fn a_secret_from_the_config_file_is_not_sent_to_an_overriding_site() {
    let mut bed = Bed::new();
    let other = Bed::new();
    let config = bed.dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!(
            "[default]\nbase-url = \"{}\"\napp-id = \"{}\"\napp-secret = \"{}\"\nredirect-url = \"{}\"\n",
            bed.site.base_url(),
            bed.site.config().app_id,
            bed.site.config().app_secret,
            bed.site.config().redirect_url
        ),
    )
    .unwrap();
    bed.without_site_variables();
    let elsewhere = other.site.base_url();
    for out in [
        bed.run(&["login", "--base-url", &elsewhere]),
        bed.pipi(&["login"])
            .env("PIPI_BASE_URL", &elsewhere)
            .output()
            .unwrap(),
    ] {
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("refusing to send the app secret"), "{err}");
        assert!(err.contains("hint: use one profile per site"), "{err}");
        assert!(!err.contains(&bed.site.config().app_secret), "{err}");
    }
    assert!(other.site.requests().is_empty());
    assert!(bed.site.requests().is_empty());
    // The file's own site still works.
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
}

#[test]
fn a_base_url_that_does_not_parse_never_shows_its_password() {
    let mut bed = Bed::new();
    bed.set("PIPI_ACCESS_TOKEN", "0123456789abcdef0123456789abcdef");
    let out = bed.run(&["whoami", "--base-url", "https://me:hunter2@[bad"]);
    let err = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("invalid base URL"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn a_piped_secret_over_64_kib_is_refused_not_cut() {
    let bed = Bed::new();
    let before = bed.run_with_stdin(&["config", "set", "app-secret"], "first-secret-0001\n");
    assert_eq!(before.status.code(), Some(0), "{}", text(&before.stderr));
    let config = bed.config_file();
    let saved = std::fs::read(&config).unwrap();
    let long = format!("{}\n", "a".repeat(70 * 1024));
    let out = bed.run_with_stdin(&["config", "set", "app-secret"], &long);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("more than 64 KiB"), "{err}");
    assert_eq!(std::fs::read(&config).unwrap(), saved, "nothing was saved");
}

#[test]
fn browser_entries_separated_by_colons_are_tried_in_turn() {
    let mut bed = Bed::new();
    // A program whose path has a space, quoted, after one that does not exist.
    let dir = bed.dir.path().join("My Browsers");
    std::fs::create_dir_all(&dir).unwrap();
    let program = dir.join("open url");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$2\" >> '{}'\n",
            bed.dir.path().join("opened-urls").display()
        ),
    )
    .unwrap();
    crate::common::make_executable(&program);
    bed.set(
        "PIPI_BROWSER",
        format!(
            "/nonexistent/browser:\"{}\" --new-tab %s",
            program.display()
        ),
    );
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
}

#[test]
fn a_second_ctrl_c_during_demo_leaves_no_temporary_directory() {
    let mut bed = Bed::new();
    let tmp = bed.dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    bed.set("TMPDIR", tmp.display().to_string());
    // The "browser" is Ctrl-C pressed twice while the demo waits for it.
    let browser = bed.dir.path().join("impatient.sh");
    std::fs::write(
        &browser,
        "#!/bin/sh\nkill -INT $PPID\nsleep 0.3\nkill -INT $PPID\nsleep 2\n",
    )
    .unwrap();
    crate::common::make_executable(&browser);
    bed.set("PIPI_BROWSER", browser.display().to_string());
    let out = bed.run(&["demo"]);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[cfg(unix)]
#[test]
fn a_setting_in_the_environment_that_is_not_utf8_is_a_usage_error_naming_it() {
    use std::os::unix::ffi::OsStrExt;
    let bed = Bed::new();
    for name in [
        "PIPI_BASE_URL",
        "PIPI_PROFILE",
        "PIPI_ACCESS_TOKEN",
        "PIPI_APP_SECRET",
    ] {
        for args in [
            &["token", "--login"][..],
            &["status"][..],
            &["config", "list"][..],
        ] {
            let out = bed
                .pipi(args)
                .env(name, std::ffi::OsStr::from_bytes(b"https://a.example/\xff"))
                .output()
                .unwrap();
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {err}");
            assert!(
                err.contains(&format!(
                    "pipi: error: {name} is set to something that is not UTF-8"
                )),
                "{name} {args:?}: {err}"
            );
            assert!(out.stdout.is_empty());
        }
    }
    // Nothing was sent anywhere, the app secret least of all.
    assert!(bed.methods_seen("/api/authorize").is_empty());
}
