//! The app secret printed by a command (a password manager), end to end: how it runs, what
//! wins when a secret is given too, how failures read, and that it lands in no file.

use crate::common::{Bed, text};
use std::path::Path;

/// A stand-in for `pass` on PATH: `pass show pipichat/app-secret` prints the secret (and a
/// second line, as pass does with metadata), and says on stderr that it was asked.
fn fake_pass(bed: &mut Bed) {
    let bin = bed.dir.path().join("manager-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/bin/sh\n[ \"$1 $2\" = 'show pipichat/app-secret' ] || exit 1\n\
         echo 'pass: unlocking the store' >&2\nprintf '%s\\nurl: pipichat.com\\n' '{}'\n",
        bed.site.config().app_secret
    );
    let path = bin.join("pass");
    std::fs::write(&path, script).unwrap();
    crate::common::make_executable(&path);
    let search = format!("{}:{}", bin.display(), bed.vars["PATH"]);
    bed.set("PATH", search);
}

/// Every file under `dir`, read as text.
fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            let content = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            found.push((path.display().to_string(), content));
        }
    }
    found
}

#[test]
fn a_login_takes_the_secret_from_the_command_and_writes_it_nowhere() {
    let mut bed = Bed::new();
    fake_pass(&mut bed);
    bed.unset("PIPI_APP_SECRET");
    bed.set("PIPI_APP_SECRET_COMMAND", "pass show pipichat/app-secret");
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    // The manager's own messages reach the person.
    assert!(
        login.stderr().contains("pass: unlocking the store"),
        "{}",
        login.stderr()
    );
    let secret = &bed.site.config().app_secret;
    assert!(!login.stderr().contains(secret.as_str()));
    for (path, content) in files_under(bed.dir.path()) {
        if path.ends_with("/manager-bin/pass") {
            continue;
        }
        assert!(
            !content.contains(secret.as_str()),
            "the secret is in {path}"
        );
    }
}

#[test]
fn the_config_file_takes_the_command_and_lists_it() {
    let mut bed = Bed::new();
    fake_pass(&mut bed);
    bed.unset("PIPI_APP_SECRET");
    let out = bed.run(&[
        "config",
        "set",
        "app-secret-command",
        "pass show pipichat/app-secret",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = bed.run(&["config", "list"]);
    assert_eq!(
        text(&out.stdout),
        "app-secret-command = pass show pipichat/app-secret\n",
        "the command is no secret: it is shown"
    );
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());

    let out = bed.run(&["config", "set", "app-secret-command", "  "]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("the app-secret command is empty"));
}

#[test]
fn a_failing_command_is_named_with_its_status_before_any_browser() {
    let mut bed = Bed::new();
    bed.unset("PIPI_APP_SECRET");
    bed.set(
        "PIPI_APP_SECRET_COMMAND",
        "echo 'vault is locked' >&2; exit 3",
    );
    let out = bed.run(&["login"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("pipi: error: the app-secret command 'echo 'vault is locked' >&2; exit 3' (from environment PIPI_APP_SECRET_COMMAND) failed: exit status: 3"),
        "{stderr}"
    );
    assert!(stderr.contains("vault is locked"), "{stderr}");
    assert!(!bed.browser_was_started());
    assert!(bed.site.requests().is_empty());

    bed.set("PIPI_APP_SECRET_COMMAND", "true");
    let out = bed.run(&["login"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("printed no secret"));
}

#[test]
fn a_secret_given_directly_wins_over_a_command_at_the_same_level() {
    let mut bed = Bed::new();
    let marker = bed.dir.path().join("command-ran");
    let command = format!("touch '{}'; exit 9", marker.display());
    // Both in the environment: the secret is used and the command never runs.
    bed.set("PIPI_APP_SECRET_COMMAND", command.as_str());
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    assert!(!marker.exists());

    // Both in the file: the same, and config list says so.
    bed.unset("PIPI_APP_SECRET")
        .unset("PIPI_APP_SECRET_COMMAND");
    let secret = bed.site.config().app_secret.clone();
    let out = bed.run_with_stdin(&["config", "set", "app-secret"], &format!("{secret}\n"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = bed.run(&["config", "set", "app-secret-command", &command]);
    assert!(
        text(&out.stderr)
            .contains("both app-secret and app-secret-command are set; app-secret wins"),
        "{}",
        text(&out.stderr)
    );
    let out = bed.run(&["config", "list"]);
    assert!(text(&out.stderr).contains("app-secret wins"));
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    assert!(!marker.exists());

    // A command in the environment wins over a secret in the file, as the environment
    // wins over the file for every setting.
    bed.set("PIPI_APP_SECRET_COMMAND", command.as_str());
    let out = bed.run(&["login"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(marker.exists());
}

#[test]
fn commands_that_need_no_secret_do_not_run_it() {
    let mut bed = Bed::new();
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    let marker = bed.dir.path().join("command-ran");
    bed.unset("PIPI_APP_SECRET");
    bed.set(
        "PIPI_APP_SECRET_COMMAND",
        format!("touch '{}'; exit 1", marker.display()),
    );
    for args in [
        vec!["whoami"],
        vec!["token"],
        vec!["token", "--login"],
        vec!["status"],
        vec!["exec", "--", "true"],
    ] {
        let out = bed.run(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert!(!marker.exists(), "a live token needs no app secret");
}

#[cfg(unix)]
#[test]
fn the_login_waits_for_the_command_not_for_what_it_leaves_holding_its_output() {
    let mut bed = Bed::new();
    bed.unset("PIPI_APP_SECRET");
    let pid_file = bed.dir.path().join("background-pid");
    // The background process keeps the command's output open for 300 s and writes nothing.
    bed.set(
        "PIPI_APP_SECRET_COMMAND",
        format!(
            "echo {}; sleep 300 2>/dev/null & echo $! > '{}'",
            bed.site.config().app_secret,
            pid_file.display()
        ),
    );
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    // The login is over while what the command left behind still runs.
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let pid = rustix::process::Pid::from_raw(pid).unwrap();
    assert!(
        rustix::process::test_kill_process(pid).is_ok(),
        "the login waited for the background process to end"
    );
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).unwrap();
}
