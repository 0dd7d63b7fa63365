//! `--jq EXPR` on every command that prints JSON, end to end: the filter runs inside pipi
//! (PATH holds no jq here), strings come out raw, a bad expression stops before any request.

mod common;

use common::{Bed, text};

fn logged_in() -> Bed {
    let bed = Bed::new();
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    bed
}

/// A PATH with nothing on it: no jq to fall back on.
fn without_jq(bed: &mut Bed) {
    let empty = bed.dir.path().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    bed.set("PATH", empty.display().to_string());
}

#[test]
fn whoami_jq_prints_strings_raw_and_values_as_json() {
    let mut bed = logged_in();
    without_jq(&mut bed);
    let out = bed.run(&["whoami", "--jq", ".user_name"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "jose\n");
    assert_eq!(text(&out.stderr), "");

    let out = bed.run(&[
        "whoami",
        "--jq",
        ".user_firstname, {id: .user_id, verified: (.user_verified == \"1\")}",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0], "José");
    let second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(second["id"], "1");
    assert!(second["verified"].is_boolean());

    // --raw filters the server's body as received: entities and the user_info wrapper.
    let out = bed.run(&["whoami", "--raw", "--jq", ".user_info.user_firstname"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Jos&eacute;\n");
}

#[test]
fn a_bad_expression_exits_2_before_any_request() {
    let bed = logged_in();
    let before = bed.site.requests().len();
    for command in [
        vec!["whoami"],
        vec!["api", "get_user_info"],
        vec!["status"],
        vec!["profiles"],
        vec!["login"],
    ] {
        let mut args = command.clone();
        args.extend(["--jq", ".user_name |"]);
        let out = bed.run(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{command:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "", "{command:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(
                "pipi: error: invalid --jq expression '.user_name |': expected term at the end"
            ),
            "{command:?}: {stderr}"
        );
        assert!(stderr.contains("hint: "), "{stderr}");
    }
    let out = bed.run(&["whoami", "--jq", "no_such_filter"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("undefined filter 'no_such_filter'"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(bed.site.requests().len(), before, "no request was sent");
    assert!(!bed.browser_was_started(), "no browser was opened");
}

#[test]
fn an_error_while_the_filter_runs_exits_1_after_the_results_before_it() {
    let bed = logged_in();
    let out = bed.run(&["whoami", "--jq", ".user_name, (.user_name | .x)"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "jose\n");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("pipi: error: the --jq expression failed"),
        "{stderr}"
    );
    let out = bed.run(&["whoami", "--jq", "error(\"no way\")"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no way"));
}

#[test]
fn status_profiles_api_and_login_take_it_too() {
    let mut bed = logged_in();
    // The browser stand-in is a shell script, which needs the system's PATH.
    let login = bed.login(&["--jq", ".user_name"]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    assert_eq!(login.stdout(), "jose\n");

    without_jq(&mut bed);
    // --jq implies --json where a command has it.
    let out = bed.run(&["status", "--jq", ".logged_in, .user.user_name, .profile"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "true\njose\ndefault\n");

    let out = bed.run(&[
        "profiles",
        "--json",
        "--jq",
        ".[] | select(.current) | .profile",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "default\n");

    let out = bed.run(&["api", "get_user_info", "--jq", ".user_info.user_name"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "jose\n");
}

#[test]
fn the_exit_code_of_the_command_stays_when_filtered() {
    let bed = Bed::new();
    // Not logged in: status still exits 4, its JSON filtered.
    let out = bed.run(&["status", "--jq", ".reason"]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(text(&out.stdout), "no token is cached\n");
    // And a command that fails before printing prints nothing.
    let out = bed.run(&["whoami", "--jq", "."]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn results_stream_out_as_they_come_and_a_closed_pipe_ends_a_filter_that_never_does() {
    use std::io::{BufRead, BufReader};
    let bed = Bed::new();
    let mut child = bed
        .pipi(&["status", "--jq", "repeat(.logged_in)"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..3 {
        assert_eq!(lines.next().unwrap().unwrap(), "false");
    }
    // The reader goes away: pipi ends quietly instead of filling memory forever.
    drop(lines);
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "pipi went on after its reader left"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
