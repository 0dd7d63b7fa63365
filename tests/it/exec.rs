//! `pipi exec -- COMMAND` and `pipi token --login` end to end: a live token handed over
//! without a request, a login first when none will last, exit codes and signals passed
//! through.

use crate::common::{BIN, Bed, Running, text};
use std::process::Stdio;
use std::time::Duration;

/// Prints the two variables, then exits 3.
const SHOW_ENV: &str = "printf '%s %s\\n' \"$PIPI_ACCESS_TOKEN\" \"$PIPI_BASE_URL\"; exit 3";

fn logged_in() -> Bed {
    let bed = Bed::new();
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    bed
}

#[test]
fn a_live_token_is_handed_over_without_a_request_and_the_exit_code_passes_through() {
    let bed = logged_in();
    let before = bed.site.requests().len();
    let out = bed.run(&["exec", "--", "sh", "-c", SHOW_ENV]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("{} {}\n", bed.token(), bed.site.base_url())
    );
    assert_eq!(
        text(&out.stderr),
        "",
        "nothing to say when no login was needed"
    );
    assert_eq!(bed.site.requests().len(), before, "no request at all");
    assert!(!bed.browser_was_started());
}

#[test]
fn with_no_token_it_logs_in_first_then_runs_the_command() {
    let bed = Bed::new();
    let run = bed.run_following(&["exec", "--", "sh", "-c", SHOW_ENV]);
    assert_eq!(run.code(), 3, "{}", run.stderr());
    assert!(
        run.stderr()
            .contains("Not logged in (profile 'default'): logging in."),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("Logged in as"), "{}", run.stderr());
    // The token given to the command is the one now cached.
    assert_eq!(
        run.stdout(),
        format!("{} {}\n", bed.token(), bed.site.base_url())
    );
}

#[test]
fn pipi_inside_the_command_uses_the_token_it_was_given() {
    let bed = logged_in();
    // Without the cache, only the variables can tell the inner pipi who is logged in.
    let out = bed
        .pipi(&["exec", "--", BIN, "whoami", "--jq", ".user_name"])
        .env("PIPI_CACHE_DIR", bed.dir.path().join("cache"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "jose\n");

    let inner = format!("PIPI_CACHE_DIR=/nonexistent {BIN} token");
    let out = bed.run(&["exec", "--", "sh", "-c", &inner]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{}\n", bed.token()));
}

#[test]
fn a_missing_or_unrunnable_program_gives_the_shells_codes() {
    let bed = logged_in();
    let out = bed.run(&["exec", "--", "no-such-program-here", "x"]);
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("pipi: error: cannot run 'no-such-program-here': no such command"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");

    let script = bed.dir.path().join("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let out = bed.run(&["exec", "--", script.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126));
    assert!(
        text(&out.stderr).contains("permission denied"),
        "{}",
        text(&out.stderr)
    );

    let out = bed.run(&["exec"]);
    assert_eq!(out.status.code(), Some(2), "no command is a usage error");
}

#[cfg(unix)]
#[test]
fn a_command_killed_by_a_signal_ends_pipi_the_same_way() {
    use std::os::unix::process::ExitStatusExt;
    let bed = logged_in();
    // pipi became the command: its end is the command's own, which a shell shows as
    // 128 + N.
    let out = bed.run(&["exec", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.signal(), Some(15), "{:?}", out.status);
    let out = bed.run(&["exec", "--", "sh", "-c", "kill -KILL $$"]);
    assert_eq!(out.status.signal(), Some(9), "{:?}", out.status);
    let out = bed
        .command("sh")
        .args([
            "-c",
            &format!("{BIN} exec -- sh -c 'kill -TERM $$'; echo $?"),
        ])
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout), "143\n", "{}", text(&out.stderr));
}

/// The command is pipi's own process: `$$` in it is the process id pipi was started as.
#[cfg(unix)]
#[test]
fn the_command_takes_pipi_s_place() {
    let bed = logged_in();
    let child = bed
        .pipi(&["exec", "--", "sh", "-c", "echo $$"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stdout), format!("{pid}\n"));
}

/// A group kill (`kill -TERM -- -PGID`, as `timeout`, CI runners and service managers send)
/// reaches the command once: there is no pipi left in between to pass it on a second time.
#[cfg(unix)]
#[test]
fn a_group_kill_reaches_the_command_exactly_once() {
    use std::os::unix::process::CommandExt;
    let bed = logged_in();
    // Waits up to a minute for a first SIGTERM, however late it comes, counts those that come in
    // the second after it, and says how many.
    let counter = bed.dir.path().join("count-terms.sh");
    std::fs::write(
        &counter,
        "n=0; trap 'n=$((n+1))' TERM; echo ready >&2\n\
         i=0; while [ $n -eq 0 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n\
         i=0; while [ $i -lt 10 ]; do sleep 0.1; i=$((i+1)); done; echo \"terms=$n\"\n",
    )
    .unwrap();
    let mut command = bed.pipi(&["exec", "--", "sh", counter.to_str().unwrap()]);
    // A process group of its own, as a job in a shell or a CI step has.
    command
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let running = Running::new(command.spawn().unwrap());
    assert!(running.wait_for("ready"));
    let group = format!("-{}", running.child.id());
    let kill = std::process::Command::new("kill")
        .args(["-TERM", "--", &group])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = running.finish();
    assert_eq!(text(&out.stdout), "terms=1\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
}

/// pipi exec running a shell that says when it has its trap, and exits 7 on `signal`.
fn trapping(bed: &Bed, signal: &str) -> Running {
    let script = format!(
        "trap 'echo got-{signal} >&2; exit 7' {signal}; echo ready >&2; \
         while :; do sleep 0.05; done"
    );
    Running::watch(&mut bed.pipi(&["exec", "--", "sh", "-c", &script]))
}

#[test]
fn sigterm_and_sigint_sent_to_pipi_are_passed_on_to_the_command() {
    let bed = logged_in();
    for signal in ["TERM", "INT"] {
        let running = trapping(&bed, signal);
        assert!(running.wait_for("ready"));
        running.signal(signal);
        let out = running.finish();
        // The signal sent to pipi's process id reached the command, whose exit code is pipi's.
        assert_eq!(
            out.status.code(),
            Some(7),
            "{signal}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stderr).contains(&format!("got-{signal}")));
    }
}

#[test]
fn a_failed_login_runs_nothing() {
    let mut bed = Bed::new();
    bed.set("PIPI_APP_SECRET", "0".repeat(32));
    let marker = bed.dir.path().join("ran");
    let touch = format!("touch '{}'", marker.display());
    let run = bed.run_following(&["exec", "--", "sh", "-c", &touch]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(run.stderr().contains("app secret"), "{}", run.stderr());
    assert!(!marker.exists(), "the command did not run");
    assert_eq!(run.stdout(), "");
}

#[test]
fn min_left_must_be_below_the_token_lifetime() {
    let bed = logged_in();
    let out = bed.run(&["exec", "--min-left", "60", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--min-left 60s is not less than a token's lifetime (60s"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_token_about_to_expire_is_waited_out_then_replaced() {
    // Tokens of 3 s, so that the test waits a few seconds, not a minute.
    let mut bed = Bed::with(|c| c.token_ttl = Duration::from_secs(3));
    bed.set("PIPI_TOKEN_TTL", "3");
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    let old = bed.token();
    std::thread::sleep(Duration::from_millis(1300));
    // Less than 2 s are left: the site would hand back the same token until it expires.
    let run = bed.run_following(&["exec", "--min-left", "2", "--", "sh", "-c", SHOW_ENV]);
    assert_eq!(run.code(), 3, "{}", run.stderr());
    assert!(
        run.stderr().contains("less than 2s")
            && run
                .stderr()
                .contains("the site hands back the same token until it expires, so pipi waits"),
        "{}",
        run.stderr()
    );
    let new = bed.token();
    assert_ne!(new, old, "a new token");
    assert_eq!(run.stdout(), format!("{new} {}\n", bed.site.base_url()));
}

#[test]
fn a_wait_longer_than_a_few_seconds_is_refused_not_slept() {
    let bed = logged_in();
    // 20 s have passed, for pipi and for the site: the token has 40 s left.
    crate::common::age_file(&bed.cache_file("default"), Duration::from_secs(20));
    bed.site.advance_clock(Duration::from_secs(20));
    let before = bed.site.requests().len();
    let marker = bed.dir.path().join("ran");
    let touch = format!("touch '{}'", marker.display());
    let started = std::time::Instant::now();
    let out = bed.run(&["exec", "--min-left", "58", "--", "sh", "-c", &touch]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    // The figures depend on how long the steps above took on a busy machine; what holds is
    // how they agree: the time left, under the 40 s the site gives it, is what --min-left
    // may ask, and the wait is a second past it.
    let seconds_after = |marker: &str| -> u64 {
        let at = stderr
            .find(marker)
            .unwrap_or_else(|| panic!("{marker}: {stderr}"))
            + marker.len();
        let digits: String = stderr[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits
            .parse()
            .unwrap_or_else(|_| panic!("{marker}: {stderr}"))
    };
    let left = seconds_after("pipi: error: the token of profile 'default' has ");
    assert!(
        (1..=40).contains(&left)
            && stderr.contains(&format!("has {left}s left, less than the 58s asked for, and the site hands back the same token until it expires")),
        "{stderr}"
    );
    let wait = seconds_after("hint: run it again in ");
    assert!(wait == left + 1 || wait == left + 2, "{stderr}");
    assert_eq!(seconds_after("or with --min-left "), left, "{stderr}");
    assert!(!marker.exists(), "the command did not run");
    assert_eq!(bed.site.requests().len(), before, "no login was tried");
    assert!(!bed.browser_was_started());
    // It said so at once rather than after the 40 s a wait would take.
    assert!(started.elapsed() < Duration::from_secs(30));
    // The same for token --login, which prints no token.
    let out = bed.run(&["token", "--login", "--min-left", "58"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn the_access_token_variable_is_passed_as_it_is() {
    let mut bed = Bed::new();
    bed.set("PIPI_ACCESS_TOKEN", "a".repeat(32));
    let out = bed.run(&["exec", "--", "sh", "-c", SHOW_ENV]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("{} {}\n", "a".repeat(32), bed.site.base_url())
    );
    assert!(bed.site.requests().is_empty());
}

#[test]
fn token_login_makes_no_request_when_a_live_token_is_cached() {
    let bed = logged_in();
    let before = bed.site.requests().len();
    let out = bed.run(&["token", "--login"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{}\n", bed.token()));
    assert_eq!(text(&out.stderr), "");
    assert_eq!(
        bed.site.requests().len(),
        before,
        "no request reached the site"
    );
    assert!(!bed.browser_was_started());
}

#[test]
fn token_login_logs_in_when_none_is_alive() {
    let bed = Bed::new();
    let run = bed.run_following(&["token", "--login"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(run.stdout(), format!("{}\n", bed.token()));
    assert!(run.stderr().contains("logging in"), "{}", run.stderr());
}

#[test]
fn token_login_that_fails_prints_no_token() {
    let mut bed = Bed::new();
    bed.set("PIPI_APP_ID", "999");
    let run = bed.run_following(&["token", "--login"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(run.stdout(), "");
    let out = bed.run(&["token", "--min-left", "5"]);
    assert_eq!(out.status.code(), Some(2), "--min-left needs --login");
}

#[test]
fn the_terminal_s_ctrl_c_reaches_the_command_once() {
    let bed = logged_in();
    let Some(script) = crate::common::script_program("Ctrl-C at a terminal is not tested") else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "script(1) is needed in CI"
        );
        return;
    };
    // The command waits up to a minute for a first SIGINT, however late it comes, counts those
    // that come in the second after it, and says how many.
    let counter = bed.dir.path().join("count-ints.sh");
    std::fs::write(
        &counter,
        "n=0; trap 'n=$((n+1))' INT; echo ready\n\
         i=0; while [ $n -eq 0 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n\
         i=0; while [ $i -lt 10 ]; do sleep 0.1; i=$((i+1)); done; echo \"ints=$n\"\n",
    )
    .unwrap();
    let line = format!("{BIN} -v exec -- sh {}", counter.display());
    let mut child = bed
        .command(script)
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let screen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let reader = {
        let screen = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = std::io::Read::read(&mut stdout, &mut buf) {
                if n == 0 {
                    break;
                }
                screen
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !screen.lock().unwrap().contains("ready") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        screen.lock().unwrap().contains("ready"),
        "the command never said it was ready: {}",
        screen.lock().unwrap()
    );
    // Ctrl-C typed at the terminal: the line discipline signals the foreground group.
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"\x03").unwrap();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let screen = screen.lock().unwrap().clone();
    // script(1)'s own status is its shell's, which the terminal's Ctrl-C may have ended
    // too; what counts is what the command saw.
    assert!(screen.contains("ints=1"), "{status}: {screen}");
}

/// Five runs started at once with no token (`xargs -P`, `make -j`, parallel CI steps): one
/// logs in, with one browser, while the others wait for it, then find its token.
fn five_at_once(args: &[&str]) {
    let bed = Bed::new();
    let runs: Vec<Running> = (0..5)
        .map(|_| Running::watch(&mut bed.pipi(args)))
        .collect();
    let waiting = "Another pipi is logging in on profile 'default': waiting for it to finish.";
    // The browser is held back until the four others wait for the one logging in, which
    // waits for the browser: then each URL the browser command was given is visited once.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let waiters = || {
        runs.iter()
            .filter(|r| r.lines().iter().any(|l| l.contains(waiting)))
            .count()
    };
    while waiters() < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(waiters(), 4, "four runs wait for the fifth's login");
    let opened = bed.dir.path().join("opened-urls");
    let mut visited = 0;
    while !runs.iter().all(Running::exited) && std::time::Instant::now() < deadline {
        let urls: Vec<String> = std::fs::read_to_string(&opened)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        for url in &urls[visited..] {
            crate::common::follow(url);
        }
        visited = urls.len();
        std::thread::sleep(Duration::from_millis(10));
    }
    let outputs: Vec<_> = runs.into_iter().map(Running::finish).collect();
    let opens = std::fs::read_to_string(&opened).unwrap_or_default();
    assert_eq!(
        opens.lines().count(),
        1,
        "one browser for five runs: {opens}"
    );
    let token = bed.token();
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), format!("{token}\n"));
    }
    let exchanges = bed.methods_seen("/api/authorize").len();
    // The app check and the exchange of the one login; the others made no request.
    assert_eq!(exchanges, 2, "{:?}", bed.methods_seen("/api/authorize"));
}

#[test]
fn five_execs_at_once_with_no_token_open_the_browser_once_and_all_run() {
    five_at_once(&[
        "exec",
        "--",
        "sh",
        "-c",
        "printf '%s\\n' \"$PIPI_ACCESS_TOKEN\"",
    ]);
}

#[test]
fn five_token_logins_at_once_open_the_browser_once_and_all_print_the_token() {
    five_at_once(&["token", "--login"]);
}
