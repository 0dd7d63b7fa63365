//! `--jq EXPR` on every command that prints JSON, end to end: the filter runs inside pipi
//! (PATH holds no jq here), strings come out raw, a bad expression stops before any request.

use crate::common::{Bed, text};

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

/// A filter that recurses without end, or builds a value too deep for any stack, fails with
/// a message and exit 1, where it once died of SIGSEGV without a word.
#[test]
fn a_filter_that_runs_out_of_stack_fails_with_a_message() {
    let bed = Bed::new();
    for filter in [
        "def f: [f]; f",
        "def f: 1 + f; f",
        "reduce range(200000) as $i (null; [.])",
    ] {
        let out = bed.run(&["status", "--jq", filter]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{filter}: {stderr}");
        assert!(
            stderr.contains(
                "pipi: error: the --jq filter ran out of stack: it recurses or nests too deep"
            ),
            "{filter}: {stderr}"
        );
        assert!(stderr.contains("hint: "), "{stderr}");
    }
}

/// An expression nested past the bound is refused before it runs (exit 2); one nested
/// deep in keywords, which the bound does not count, runs on the filter's own stack.
#[test]
fn an_expression_nested_too_deep_is_refused_before_it_runs() {
    let bed = Bed::new();
    let before = bed.site.requests().len();
    for (open, close) in [("[", "]"), ("(", ")"), ("{a:", "}"), ("\"\\(", ")\"")] {
        let filter = format!("{}1{}", open.repeat(5000), close.repeat(5000));
        let out = bed.run(&["status", "--jq", &filter]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{open}: {stderr}");
        assert!(
            stderr.contains("pipi: error: invalid --jq expression: it nests deeper than 256"),
            "{open}: {stderr}"
        );
        assert_eq!(text(&out.stdout), "");
    }
    assert_eq!(bed.site.requests().len(), before);
    // Within the bound, it runs.
    let out = bed.run(&[
        "status",
        "--jq",
        &format!("{}.logged_in{}", "[".repeat(200), "]".repeat(200)),
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let nested = format!("{}false{}\n", "[".repeat(200), "]".repeat(200));
    assert_eq!(text(&out.stdout), nested);
    let deep_if = format!(
        "{}.logged_in{}",
        "if true then ".repeat(3000),
        " else 0 end".repeat(3000)
    );
    let out = bed.run(&["status", "--jq", &deep_if]);
    let stderr = text(&out.stderr);
    // Either it runs, or it says it ran out of stack: never a crash without a word.
    match out.status.code() {
        Some(4) => assert_eq!(text(&out.stdout), "false\n"),
        Some(1) => assert!(stderr.contains("ran out of stack"), "{stderr}"),
        other => panic!("{other:?}: {stderr}"),
    }
}

/// `halt` ends the filter and keeps the command's exit code, as the README promises for
/// `status` when not logged in; `halt(N)` ends pipi with N.
#[test]
fn halt_keeps_the_command_s_exit_code() {
    let bed = Bed::new();
    let out = bed.run(&["status", "--jq", "halt"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(text(&out.stderr), "");
    // Results before it are printed; none after.
    let out = bed.run(&["status", "--jq", ".logged_in, halt, .profile"]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(text(&out.stdout), "false\n");
    let out = bed.run(&["status", "--jq", "halt(3)"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stderr), "");
    let logged = logged_in();
    let out = logged.run(&["whoami", "--jq", ".user_name, halt"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "jose\n");
}

/// `halt_error` writes its message on stderr, as jq does: a string as it is, anything else
/// as JSON on a line; then pipi exits 5, or the code given.
#[test]
fn halt_error_writes_its_message_to_stderr() {
    let bed = Bed::new();
    let out = bed.run(&["status", "--jq", "\"not logged in\\n\" | halt_error"]);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(text(&out.stderr), "not logged in\n");
    assert_eq!(text(&out.stdout), "");
    let out = bed.run(&["status", "--jq", "{reason} | halt_error(7)"]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(text(&out.stderr), "{\"reason\":\"no token is cached\"}\n");
    // A control character from the data is shown, not obeyed.
    let out = bed.run(&["status", "--jq", "\"\\u001b[2Jgone\" | halt_error(1)"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "\\x1b[2Jgone");
}
