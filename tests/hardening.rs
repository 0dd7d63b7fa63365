//! What a hostile server, a tampered file or a careless environment cannot make pipi do:
//! rewrite the terminal, steer a token or a secret elsewhere, or leak a secret to a browser.

mod common;

use common::{Bed, text};
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
