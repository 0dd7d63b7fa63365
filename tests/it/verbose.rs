//! Debug mode (`-v`, `-vv`, `PIPI_DEBUG`) logs each step on stderr and never a secret; colour
//! shows on a terminal's stderr only, and never with `NO_COLOR`.

use crate::common::{BIN, Bed, text};
use pipi::emulator::{Fault, Generation};
use std::process::Output;

/// The secrets of a bed after a login: the app secret, the auth key the browser carried, and
/// the token.
struct Secrets {
    app_secret: String,
    auth_key: String,
    token: String,
}

impl Secrets {
    /// Fails if any secret shows in the output; `pipi token` alone may print the token, on
    /// stdout.
    fn assert_absent(&self, what: &str, out: &Output, token_on_stdout: bool) {
        let stdout = text(&out.stdout);
        let stderr = text(&out.stderr);
        for (name, value) in [
            ("app secret", &self.app_secret),
            ("auth key", &self.auth_key),
            ("token", &self.token),
        ] {
            assert!(
                !stderr.contains(value.as_str()),
                "{what}: the {name} is on stderr:\n{stderr}"
            );
            let allowed = token_on_stdout && name == "token";
            assert!(
                allowed || !stdout.contains(value.as_str()),
                "{what}: the {name} is on stdout:\n{stdout}"
            );
        }
        assert!(
            !stdout.contains('\x1b') && !stderr.contains('\x1b'),
            "{what}: colour off a terminal"
        );
    }
}

/// Logs in with `-vv` against a server that needs the GET fallback (the secret in the URL),
/// and returns what the browser carried.
fn login(bed: &Bed, args: &[&str]) -> (Output, String) {
    let mut all = args.to_vec();
    all.push("login");
    let running = crate::common::Running::watch(&mut bed.pipi(&all));
    let url = bed.opened_url(&running).expect("pipi opened no URL");
    let visit = crate::common::follow(&url);
    let out = running.finish();
    let auth_key = visit
        .url
        .split("auth_key=")
        .nth(1)
        .expect("the browser came back without a key")
        .to_string();
    (out, auth_key)
}

#[test]
fn every_command_logs_its_steps_and_no_secret() {
    let mut bed = Bed::with(|c| c.generation = Generation::Get);
    let app_secret = bed.site.config().app_secret.clone();
    let (out, auth_key) = login(&bed, &["-vv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let secrets = Secrets {
        app_secret: app_secret.clone(),
        auth_key,
        token: bed.token(),
    };
    assert_eq!(secrets.auth_key.len(), 32);
    secrets.assert_absent("login", &out, false);
    let log = text(&out.stderr);
    for step in [
        "pipi: debug: [",
        "base-url: http://127.0.0.1:",
        "(environment PIPI_BASE_URL)",
        "app-secret: [redacted] (environment PIPI_APP_SECRET)",
        "token-ttl: 60s (default)",
        "listener: waiting for GET http://127.0.0.1:",
        "listener: the redirect: GET /callback?auth_key=[redacted]",
        "request: POST http://127.0.0.1:",
        "body: app_id=4242&app_secret=[redacted]&auth_key=[redacted]",
        "trying GET",
        "/api/authorize?app_id=4242&app_secret=[redacted]&auth_key=[redacted]",
        "answer body: {\"access_token\":\"[redacted]\"}",
        "/api/get_user_info?access_token=[redacted]",
        "answer: 200 OK (application/json, ",
        "request header: content-type: application/x-www-form-urlencoded",
        "answer header: content-type: application/json",
        "done in ",
    ] {
        assert!(log.contains(step), "the log lacks {step:?}:\n{log}");
    }

    // A profile whose secret lives in the config file.
    let path = bed.config_file();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        format!("[filed]\napp-id = 4242\napp-secret = \"{app_secret}\"\n"),
    )
    .unwrap();

    let commands: &[&[&str]] = &[
        &["-v", "whoami"],
        &["-vv", "whoami", "--raw"],
        &["-vv", "status"],
        &["-v", "status", "--json"],
        &["-vv", "api", "get_user_info"],
        &["-vv", "api", "get_user_info", "-X", "POST", "-f", "a=b"],
        &["-vv", "api", "no_such_endpoint"],
        &["-v", "profiles"],
        &["-v", "profiles", "--json"],
        &["-v", "config", "list", "--profile", "filed"],
        &["-v", "config", "get", "app-secret", "--profile", "filed"],
        &[
            "-v",
            "config",
            "set",
            "token-ttl",
            "30",
            "--profile",
            "filed",
        ],
        &["-v", "config", "unset", "token-ttl", "--profile", "filed"],
        &["-v", "config", "path"],
        &["-vv", "whoami", "--profile", "filed"],
        &["-v", "completions", "bash"],
        &["-v", "man"],
    ];
    for args in commands {
        let out = bed.run(args);
        secrets.assert_absent(&format!("{args:?}"), &out, false);
        assert!(
            text(&out.stderr).contains("pipi: debug: ["),
            "{args:?} logged nothing"
        );
    }

    let out = bed.run(&["-vv", "token"]);
    assert_eq!(text(&out.stdout), format!("{}\n", secrets.token));
    secrets.assert_absent("token", &out, true);

    let out = bed.run_with_stdin(
        &["-vv", "config", "set", "app-secret", "--profile", "filed"],
        &app_secret,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    secrets.assert_absent("config set app-secret", &out, false);

    // PIPI_DEBUG does what -v does, and a server error's body is logged masked too.
    bed.set("PIPI_DEBUG", "2");
    bed.site
        .set_faults(vec!["user_info=html500".parse::<Fault>().unwrap()]);
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(1));
    let log = text(&out.stderr);
    assert!(log.contains("answer: 500 Internal Server Error"), "{log}");
    assert!(log.contains("answer body: "), "{log}");
    secrets.assert_absent("PIPI_DEBUG=2 whoami", &out, false);
    bed.site.set_faults(Vec::new());

    bed.unset("PIPI_DEBUG");
    let out = bed.run(&["-v", "logout"]);
    secrets.assert_absent("logout", &out, false);
}

#[test]
fn without_the_flag_nothing_is_logged() {
    let mut bed = Bed::new();
    let out = bed.run(&["status"]);
    assert!(!text(&out.stderr).contains("debug"));
    bed.set("PIPI_DEBUG", "0");
    let out = bed.run(&["status"]);
    assert!(!text(&out.stderr).contains("debug"));
}

/// Runs pipi on a terminal (a pty from `script`) and returns what the terminal showed.
fn on_a_terminal(bed: &Bed, args: &str, extra: &[(&str, &str)]) -> Option<String> {
    let script = crate::common::script_program("checking colour on a terminal")?;
    let out = bed
        .command(script)
        .args(["-q", "-e", "-c", &format!("{BIN} {args}"), "/dev/null"])
        .envs(extra.iter().copied())
        .env("TERM", "xterm")
        .output()
        .unwrap();
    Some(text(&out.stdout))
}

#[test]
fn stderr_is_coloured_on_a_terminal_unless_no_color() {
    let bed = Bed::new();
    let Some(screen) = on_a_terminal(&bed, "whoami", &[]) else {
        return;
    };
    assert!(
        screen.contains("pipi: \x1b[1;31merror:\x1b[0m not logged in"),
        "{screen:?}"
    );
    assert!(
        screen.contains("\x1b[36mhint:\x1b[0m run 'pipi login'"),
        "{screen:?}"
    );

    let screen = on_a_terminal(&bed, "whoami", &[("NO_COLOR", "1")]).unwrap();
    assert!(screen.contains("pipi: error: not logged in"), "{screen:?}");
    assert!(!screen.contains('\x1b'), "{screen:?}");

    // Data on stdout is never coloured, even on a terminal.
    let screen = on_a_terminal(&bed, "config path", &[]).unwrap();
    assert!(!screen.contains('\x1b'), "{screen:?}");
}
