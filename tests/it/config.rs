//! `pipi config` and `pipi profiles`: settings checked on the way into the config file, the
//! secret kept out of sight, and every profile listed with who is logged in.

#[cfg(unix)]
use crate::common::mode;
use crate::common::{Bed, Terminal, text};

use std::process::Output;

/// A bed whose settings come only from the config file.
fn bare() -> Bed {
    let mut bed = Bed::new();
    bed.without_site_variables();
    bed
}

fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn a_profile_set_up_with_config_set_logs_in() {
    let bed = bare();
    let site = bed.site.config().clone();
    let secret = site.app_secret.clone();
    ok(&bed.run(&["config", "set", "base-url", &bed.site.base_url()]));
    ok(&bed.run(&["config", "set", "app-id", &site.app_id]));
    ok(&bed.run(&["config", "set", "redirect-url", &site.redirect_url]));
    let out = bed.run_with_stdin(&["config", "set", "app-secret"], &format!("{secret}\n"));
    ok(&out);
    let err = text(&out.stderr);
    assert!(err.contains("Set app-secret = [redacted]"), "{err}");
    assert!(!err.contains(&secret), "{err}");

    let path = bed.config_file();
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        ok(&bed.run(&["config", "path"])),
        format!("{}\n", path.display())
    );
    let list = ok(&bed.run(&["config", "list"]));
    assert_eq!(
        list,
        format!(
            "base-url = {}\napp-id = {}\napp-secret = [redacted]\nredirect-url = {}\n",
            bed.site.base_url(),
            site.app_id,
            site.redirect_url
        )
    );
    assert_eq!(
        ok(&bed.run(&["config", "get", "app-secret"])),
        "[redacted]\n"
    );
    assert_eq!(
        ok(&bed.run(&["config", "get", "app-secret", "--show-secrets"])),
        format!("{secret}\n")
    );
    assert!(ok(&bed.run(&["config", "list", "--show-secrets"])).contains(&secret));

    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
}

#[test]
fn values_are_checked_with_what_would_be_right() {
    let bed = bare();
    for (args, expect) in [
        (
            &["config", "set", "base-url", "http://pipichat.com"][..],
            "use https://pipichat.com",
        ),
        (
            &["config", "set", "base-url", "pipichat.com"],
            "https://pipichat.com",
        ),
        (&["config", "set", "app-id", "abc"], "such as 123"),
        (
            &["config", "set", "token-ttl", "1h"],
            "whole number of seconds",
        ),
        (
            &["config", "set", "redirect-url", "ftp://127.0.0.1/cb"],
            "http or https",
        ),
    ] {
        let out = bed.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("pipi: error:") && err.contains(expect),
            "{args:?}: {err}"
        );
    }
    assert!(!bed.config_file().exists(), "nothing was written");

    // A value is needed, except for the secret; a key must be one pipi knows.
    let out = bed.run(&["config", "set", "base-url"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("such as: pipi config set base-url https://"));
    let out = bed.run(&["config", "set", "app-idd", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("app-id"));
    let out = bed.run_with_stdin(&["config", "set", "app-secret"], "\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no app secret was given"));
}

#[test]
fn warnings_keep_the_value_and_say_what_it_means() {
    let bed = bare();
    let out = bed.run(&[
        "config",
        "set",
        "redirect-url",
        "https://example.org/pipi/callback",
    ]);
    ok(&out);
    let err = text(&out.stderr);
    assert!(
        err.contains("pipi: warning:") && err.contains("paste it into pipi"),
        "{err}"
    );
    let out = bed.run(&["config", "set", "app-secret", "short-secret"]);
    ok(&out);
    let err = text(&out.stderr);
    assert!(err.contains("shell's history"), "{err}");
    assert!(err.contains("12 characters long"), "{err}");
    assert!(!err.contains("short-secret"), "{err}");
}

#[test]
fn unset_removes_and_the_file_keeps_what_the_person_wrote() {
    let bed = bare();
    let path = bed.config_file();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "# my sites\n[default]\napp-id = 7 # from the dashboard\ntoken-ttl = 30\n\n[work]\napp-id = 8\n",
    )
    .unwrap();
    ok(&bed.run(&["config", "unset", "token-ttl"]));
    ok(&bed.run(&["config", "set", "app-id", "9", "--profile", "work"]));
    let out = bed.run(&["config", "unset", "token-ttl"]);
    ok(&out);
    assert!(text(&out.stderr).contains("nothing to remove"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# my sites\n[default]\napp-id = 7 # from the dashboard\n\n[work]\napp-id = \"9\"\n"
    );
    let out = bed.run(&["config", "get", "token-ttl"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("token-ttl is not set for profile 'default'") && err.contains("default, 60"),
        "{err}"
    );
}

#[test]
fn config_works_while_a_setting_is_broken_and_names_the_environment() {
    let mut bed = bare();
    bed.set("PIPI_TOKEN_TTL", "soon");
    let out = bed.run(&["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let out = bed.run(&["config", "set", "token-ttl", "30"]);
    ok(&out);
    assert!(
        text(&out.stderr).contains("PIPI_TOKEN_TTL is set in the environment"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(ok(&bed.run(&["config", "get", "token-ttl"])), "30\n");

    // A file pipi cannot read is named, and left as it is.
    let path = bed.config_file();
    std::fs::write(&path, "[default]\napp-idd = 1\n").unwrap();
    let out = bed.run(&["config", "set", "app-id", "2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("app-idd"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "[default]\napp-idd = 1\n"
    );
    assert_eq!(
        ok(&bed.run(&["config", "path"])),
        format!("{}\n", path.display())
    );
}

#[test]
fn profiles_lists_who_is_logged_in_where() {
    let bed = Bed::new();
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    ok(&bed.run(&[
        "config",
        "set",
        "base-url",
        "https://example.org",
        "--profile",
        "work",
    ]));
    bed.site.shutdown();

    let table = ok(&bed.run(&["profiles"]));
    let lines: Vec<_> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("  PROFILE  SITE"), "{table}");
    assert!(
        lines[1].starts_with("* default")
            && lines[1].contains("José O'Brien (@jose)")
            && lines[1].ends_with(" left"),
        "{table}"
    );
    assert!(
        lines[2].starts_with("  work") && lines[2].contains("example.org"),
        "{table}"
    );
    assert!(lines[2].ends_with("not logged in"), "{table}");

    let out = bed.run(&["profiles", "--json", "--profile", "work"]);
    let json: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(json[0]["profile"], "default");
    assert_eq!(json[0]["current"], false);
    assert_eq!(json[0]["logged_in"], true);
    assert_eq!(json[0]["user"]["user_name"], "jose");
    assert_eq!(json[1]["profile"], "work");
    assert_eq!(json[1]["current"], true);
    assert_eq!(json[1]["seconds_left"], serde_json::Value::Null);
    assert!(!text(&out.stdout).contains(&bed.token()));
}

/// Types the secret at a real terminal (a pty from `script`), once the prompt shows, and
/// checks that the terminal never showed it.
#[test]
fn a_secret_typed_at_a_terminal_is_not_echoed() {
    let bed = bare();
    let secret = "0123456789abcdef0123456789abcdef";
    let Some(mut terminal) = Terminal::start(
        &bed,
        "config set app-secret",
        "checking hidden input at a terminal",
    ) else {
        return;
    };
    terminal.wait_for("(typing is hidden): ");
    let (status, screen) = terminal.type_and_finish(secret);
    assert!(status.success(), "{screen}");
    assert!(screen.contains("Set app-secret = [redacted]"), "{screen}");
    assert!(
        !screen.contains(secret),
        "the terminal showed the secret: {screen}"
    );
    assert_eq!(
        ok(&bed.run(&["config", "get", "app-secret", "--show-secrets"])),
        format!("{secret}\n")
    );
}

/// `-v config list` shows, beside the file's table, every setting in effect and where it
/// came from, as `-v status` does: the flag, the environment, the file or the default.
#[test]
fn verbose_config_list_shows_each_value_in_effect_and_where_it_came_from() {
    let mut bed = bare();
    bed.set("PIPI_APP_ID", "77");
    ok(&bed.run(&["config", "set", "app-id", "5"]));
    ok(&bed.run(&["config", "set", "token-ttl", "30"]));
    let secret = "0123456789abcdef0123456789abcdef";
    ok(&bed.run_with_stdin(&["config", "set", "app-secret"], &format!("{secret}\n")));

    let out = bed.run(&["-v", "--base-url", "https://flag.example", "config", "list"]);
    assert_eq!(
        ok(&out),
        "app-id = 5\napp-secret = [redacted]\ntoken-ttl = 30\n"
    );
    let err = text(&out.stderr);
    for line in [
        "base-url: https://flag.example (flag --base-url)",
        "app-id: 77 (environment PIPI_APP_ID)",
        "app-secret: [redacted] (config file)",
        "redirect-url: http://127.0.0.1:8765/callback (default)",
        "token-ttl: 30 (config file)",
    ] {
        assert!(err.contains(line), "{line} in:\n{err}");
    }
    assert!(!err.contains(secret), "{err}");

    // Without -v, only the file's table.
    let out = bed.run(&["config", "list"]);
    assert!(!text(&out.stderr).contains("(config file)"));
}

/// A broken value in the config file is named by its key, profile and file, never quoted:
/// it may be a secret pasted under the wrong key.
#[test]
fn a_broken_value_in_the_config_file_is_named_never_quoted() {
    let bed = bare();
    let path = bed.config_file();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let site = bed.site.config().clone();
    let marker = "d41d8cd98f00b204e9800998ecf8427e";
    for (key, value) in [
        ("base-url", format!("ftp://{marker}")),
        ("base-url", format!("http://{marker}.example/")),
        ("base-url", format!("not a url {marker}")),
        ("redirect-url", marker.to_string()),
        ("token-ttl", marker.to_string()),
    ] {
        let mut file = format!(
            "[default]\napp-id = \"{}\"\napp-secret = \"{}\"\n{key} = \"{value}\"\n",
            site.app_id, site.app_secret
        );
        if key != "base-url" {
            file.push_str(&format!("base-url = \"{}\"\n", bed.site.base_url()));
        }
        std::fs::write(&path, &file).unwrap();
        for args in [
            &["login", "--no-browser"][..],
            &["token", "--login"],
            &["exec", "--", "true"],
        ] {
            let out = bed.run(args);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{key} {args:?}: {err}");
            assert!(!err.contains(marker), "{key} {args:?}: {err}");
            assert!(
                err.contains(&format!("{key} of profile 'default' in {}", path.display())),
                "{key} {args:?}: {err}"
            );
            assert!(err.contains(&format!("pipi config get {key}")), "{err}");
        }
    }
}

/// Every secret pipi holds is masked wherever it shows in the `profiles` table, even in a
/// profile's name; the JSON on stdout stays exact.
#[test]
fn the_profiles_table_masks_a_secret_even_in_a_profile_name() {
    let bed = bare();
    let secret = "0123456789abcdef0123456789abcdef";
    let named = format!("x{secret}");
    std::fs::create_dir_all(bed.config_file().parent().unwrap()).unwrap();
    std::fs::write(
        bed.config_file(),
        format!("[work]\napp-secret = \"{secret}\"\n\n[{named}]\napp-id = \"3\"\n"),
    )
    .unwrap();
    let table = ok(&bed.run(&["profiles"]));
    assert!(!table.contains(secret), "{table}");
    assert!(table.contains("x[redacted]"), "{table}");
    let json = ok(&bed.run(&["profiles", "--json"]));
    assert!(json.contains(&named), "{json}");
}

#[test]
fn config_list_keeps_one_setting_a_line_and_get_prints_the_value_exactly() {
    let bed = bare();
    // A value that, printed raw, would turn the terminal red and read as a second setting.
    let value = "pass show x\nbase-url = https://elsewhere.example\u{1b}[31m";
    let out = bed.run(&["config", "set", "app-secret-command", value]);
    ok(&out);
    let escaped = r"pass show x\nbase-url = https://elsewhere.example\x1b[31m";
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("Set app-secret-command = {escaped} for profile")),
        "{err}"
    );
    assert!(!err.contains('\u{1b}'), "{err}");
    // The file holds the value as given.
    let typed = pipi::ConfigFile::load(&bed.config_file(), &["app-secret-command"]).unwrap();
    assert_eq!(
        typed.profile("default").unwrap()["app-secret-command"],
        value
    );
    let list = ok(&bed.run(&["config", "list"]));
    assert_eq!(list, format!("app-secret-command = {escaped}\n"));
    assert_eq!(
        ok(&bed.run(&["config", "get", "app-secret-command"])),
        format!("{value}\n")
    );
}
