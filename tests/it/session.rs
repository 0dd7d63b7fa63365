//! `pipi token`, `status` and `logout`: the cache, read with no network, and forgotten.

use crate::common::{Bed, text};
use std::time::SystemTime;

fn logged_in(bed: &Bed, args: &[&str]) {
    let login = bed.login(args);
    assert_eq!(login.code(), 0, "{}", login.stderr());
}

#[test]
fn token_prints_the_cached_token_without_the_network() {
    let bed = Bed::new();
    logged_in(&bed, &[]);
    let token = bed.token();
    bed.site.shutdown();
    let out = bed.run(&["token"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{token}\n"));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn token_and_status_need_a_live_token() {
    let bed = Bed::new();
    for args in [&["token"][..], &["status"]] {
        let out = bed.run(args);
        assert_eq!(out.status.code(), Some(4), "{args:?}");
        assert!(text(&out.stderr).contains("pipi login"), "{args:?}");
        assert_eq!(out.stdout, b"", "{args:?}");
    }
    logged_in(&bed, &[]);
    let mut cache = bed.cache_json("default");
    cache["expires_at"] = "2001-01-01T00:00:00Z".into();
    std::fs::write(bed.cache_file("default"), cache.to_string()).unwrap();
    let out = bed.run(&["token"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("expired"));
    let out = bed.run(&["status", "--json"]);
    assert_eq!(out.status.code(), Some(4));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["logged_in"], false);
    assert_eq!(
        status["user"]["user_name"], "jose",
        "the snapshot is still shown"
    );
}

#[test]
fn status_says_who_where_and_how_long_and_never_the_token() {
    let bed = Bed::new();
    logged_in(&bed, &[]);
    let token = bed.token();
    bed.site.shutdown();

    let out = bed.run(&["status"]);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(
        err.contains("José O'Brien (@jose)") && err.contains("profile 'default'"),
        "{err}"
    );
    assert!(err.contains("expires in"), "{err}");
    assert_eq!(out.stdout, b"");

    let out = bed.run(&["status", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["logged_in"], true);
    assert_eq!(status["profile"], "default");
    assert_eq!(status["base_url"], bed.site.base_url());
    assert_eq!(status["user"]["user_firstname"], "José");
    let expires = humantime::parse_rfc3339(status["expires_at"].as_str().unwrap()).unwrap();
    assert!(expires > SystemTime::now());
    let left = status["seconds_left"].as_u64().unwrap();
    assert!((1..=60).contains(&left), "{left}");
    for o in [&out.stdout, &out.stderr] {
        assert!(!text(o).contains(&token));
    }
}

#[test]
fn status_json_always_answers_even_for_another_site() {
    let mut bed = Bed::new();
    logged_in(&bed, &[]);
    bed.set("PIPI_BASE_URL", "https://other.example");
    let out = bed.run(&["status", "--json"]);
    assert_eq!(out.status.code(), Some(4));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["logged_in"], false);
    assert_eq!(status["base_url"], "https://other.example");
    assert!(
        status["reason"].as_str().unwrap().contains("is for"),
        "{status}"
    );
}

#[test]
fn token_prints_the_access_token_variable() {
    let mut bed = Bed::new();
    bed.set("PIPI_ACCESS_TOKEN", "b".repeat(32));
    let out = bed.run(&["token"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), format!("{}\n", "b".repeat(32)));
}

#[test]
fn status_with_the_access_token_variable() {
    let mut bed = Bed::new();
    bed.set("PIPI_ACCESS_TOKEN", "a".repeat(32));
    let out = bed.run(&["status", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["logged_in"], true);
    assert_eq!(status["token_source"], "PIPI_ACCESS_TOKEN");
    assert_eq!(status["user"], serde_json::Value::Null);
    assert!(!text(&out.stdout).contains(&"a".repeat(32)));
}

#[test]
fn logout_forgets_the_token_and_says_it_cannot_be_revoked() {
    let bed = Bed::new();
    logged_in(&bed, &[]);
    let out = bed.run(&["logout"]);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(
        err.contains("Logged out") && err.contains("no way to revoke"),
        "{err}"
    );
    assert!(err.contains("keeps working until"), "{err}");
    assert!(!bed.cache_file("default").exists());
    assert_eq!(bed.run(&["token"]).status.code(), Some(4));
    let again = bed.run(&["logout"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again.stderr).contains("nothing to forget"));
}

#[test]
fn profiles_keep_separate_tokens() {
    let bed = Bed::new();
    logged_in(&bed, &[]);
    let mut work = Bed::with(|c| c.signed_in_user = Some("2".into()));
    // The same cache and config directories, another site and account.
    for k in ["PIPI_CONFIG_DIR", "PIPI_CACHE_DIR"] {
        let v = bed.vars[k].clone();
        work.set(k, v);
    }
    logged_in(&work, &["--profile", "work"]);
    assert!(bed.cache_file("default").exists() && bed.cache_file("work").exists());
    let default_token = text(&bed.run(&["token"]).stdout);
    let work_token = text(&work.run(&["token", "--profile", "work"]).stdout);
    assert_ne!(default_token, work_token);
    let a: serde_json::Value = serde_json::from_slice(&bed.run(&["whoami"]).stdout).unwrap();
    let b: serde_json::Value =
        serde_json::from_slice(&work.run(&["whoami", "--profile", "work"]).stdout).unwrap();
    assert_ne!(a["user_id"], b["user_id"]);
    assert_eq!(
        work.run(&["logout", "--profile", "work"]).status.code(),
        Some(0)
    );
    assert!(bed.cache_file("default").exists());
}

#[test]
fn usage_errors_exit_2_and_help_lists_exit_codes() {
    let bed = Bed::new();
    assert_eq!(bed.run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(bed.run(&["login", "--timeout", "0"]).status.code(), Some(2));
    assert_eq!(
        bed.run(&["--profile", "../etc", "token"]).status.code(),
        Some(2)
    );
    let help = bed.run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let help = text(&help.stdout);
    for needle in [
        "Exit codes:",
        "  4         authentication needed",
        "PIPI_APP_SECRET",
        "130",
    ] {
        assert!(help.contains(needle), "{needle}");
    }
}

#[test]
fn logout_works_while_the_config_file_is_broken() {
    let bed = Bed::new();
    logged_in(&bed, &[]);
    let config = bed.dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "[default\n").unwrap();
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("failed to parse config file"));
    let out = bed.run(&["logout"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!bed.cache_file("default").exists());
}

/// The fault that makes the site's token hold an escape sequence, a newline and a NUL.
fn bad_token_fault() -> Vec<pipi::emulator::Fault> {
    vec!["authorize=bad_token".parse().unwrap()]
}

#[test]
fn a_token_of_the_wrong_shape_from_the_site_fails_the_login_and_nothing_is_kept() {
    // With no token before: nothing is cached at all.
    let bed = Bed::new();
    bed.site.set_faults(bad_token_fault());
    let run = bed.login(&[]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let err = run.stderr();
    assert!(
        err.contains(
            "pipi: error: failed to exchange the auth key for a token: the site sent a token pipi does not accept: it holds an escape character at character 17"
        ),
        "{err}"
    );
    assert!(err.contains("hint: nothing was kept"), "{err}");
    assert!(!err.contains('\u{1b}') && !err.contains("owned"), "{err}");
    assert!(!bed.cache_file("default").exists());
    assert_eq!(run.stdout(), "");

    // With a working token cached: it stays, and keeps working.
    bed.site.set_faults(vec![]);
    logged_in(&bed, &[]);
    let good = bed.token();
    bed.site.set_faults(bad_token_fault());
    let run = bed.login(&[]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(bed.token(), good);
    let out = bed.run(&["token"]);
    assert_eq!(text(&out.stdout), format!("{good}\n"));
}

#[test]
fn exec_and_token_login_run_nothing_with_a_token_of_the_wrong_shape() {
    let bed = Bed::new();
    bed.site.set_faults(bad_token_fault());
    let marker = bed.dir.path().join("ran");
    let touch = format!("touch '{}'", marker.display());
    let run = bed.run_following(&["exec", "--", "sh", "-c", &touch]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(run.stderr().contains("does not accept"), "{}", run.stderr());
    assert!(!marker.exists());
    let run = bed.run_following(&["token", "--login"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert_eq!(run.stdout(), "");
}

#[test]
fn a_malformed_token_in_the_cache_or_the_environment_is_never_printed_nor_passed_on() {
    let mut bed = Bed::new();
    logged_in(&bed, &[]);
    let mut cache = bed.cache_json("default");
    cache["access_token"] = "0123456789abcdef\u{1b}[2K\n\u{0}".into();
    std::fs::write(bed.cache_file("default"), cache.to_string()).unwrap();
    let said = "its token is malformed: it holds an escape character at character 17";
    let out = bed.run(&["token"]);
    let err = text(&out.stderr);
    assert!(err.contains(said), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
    assert_eq!(out.stdout, b"");
    assert_eq!(out.status.code(), Some(4), "counts as not logged in");
    // exec logs in for a token of its own rather than pass that one on.
    let run = bed.run_following(&["exec", "--", "sh", "-c", "printf %s \"$PIPI_ACCESS_TOKEN\""]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains(said), "{}", run.stderr());
    assert!(run.visit.is_some(), "it logged in");
    assert_eq!(run.stdout(), bed.token());

    bed.set("PIPI_ACCESS_TOKEN", "0123456789abcdef0123456789abcdef\n");
    let marker = bed.dir.path().join("ran");
    let touch = format!("touch '{}'", marker.display());
    for args in [
        &["token"][..],
        &["exec", "--", "sh", "-c", &touch],
        &["whoami"],
        &["status"],
    ] {
        let out = bed.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(
                "pipi: error: PIPI_ACCESS_TOKEN does not hold a token: it holds white space at character 33"
            ),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(out.stdout, b"");
    }
    assert!(!marker.exists());
}

/// Sets the cached token's times: obtained `obtained` seconds from now (negative: ago),
/// living `life` seconds.
fn date_cache(bed: &Bed, obtained: i64, life: u64) {
    let now = SystemTime::now();
    let at = if obtained >= 0 {
        now + std::time::Duration::from_secs(obtained as u64)
    } else {
        now - std::time::Duration::from_secs(obtained.unsigned_abs())
    };
    let mut cache = bed.cache_json("default");
    cache["obtained_at"] = pipi::format_time(at).into();
    cache["expires_at"] = pipi::format_time(at + std::time::Duration::from_secs(life)).into();
    std::fs::write(bed.cache_file("default"), cache.to_string()).unwrap();
}

#[test]
fn a_cache_dated_in_the_future_is_not_live_and_says_why() {
    // The clock was set back five hours since the login (or a snapshot was restored).
    let bed = Bed::new();
    logged_in(&bed, &[]);
    date_cache(&bed, 5 * 3600, 60);
    let out = bed.run(&["status", "--json"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["logged_in"], false);
    assert_eq!(status["seconds_left"], 0);
    let reason = status["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("the token is dated 4h 59m")
            || reason.starts_with("the token is dated 5h"),
        "{reason}"
    );
    assert!(
        reason.contains("in the future: the clock was set back"),
        "{reason}"
    );
    let out = bed.run(&["status"]);
    assert!(
        text(&out.stderr).contains("not logged in: the token is dated"),
        "{}",
        text(&out.stderr)
    );
    let out = bed.run(&["token"]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(out.stdout, b"");
    let out = bed.run(&["profiles"]);
    assert!(
        text(&out.stdout).contains("clock set back"),
        "{}",
        text(&out.stdout)
    );

    // token --login and exec log in again instead of handing out the dead token.
    for args in [&["token", "--login"][..], &["exec", "--", "true"]] {
        date_cache(&bed, 5 * 3600, 60);
        let run = bed.run_following(args);
        assert_eq!(run.code(), 0, "{args:?}: {}", run.stderr());
        assert!(
            run.stderr().contains("the token is dated") && run.stderr().contains("logging in."),
            "{}",
            run.stderr()
        );
        assert!(run.visit.is_some(), "the browser was opened");
        // The new times are the clock's: at most a lifetime left.
        let out = bed.run(&["status", "--json"]);
        let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(status["logged_in"], true, "{status}");
        assert!(status["seconds_left"].as_u64().unwrap() <= 60, "{status}");
    }
}

#[test]
fn a_token_handed_back_after_logout_keeps_its_real_end() {
    let bed = Bed::new();
    logged_in(&bed, &[]);
    let token = bed.token();
    let first_end = bed.cache_json("default")["expires_at"].clone();
    let out = bed.run(&["logout"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!bed.cache_file("default").exists());
    // What is kept across logout says nothing of the token itself.
    let record = bed.cache_dir().join("default.issued");
    let kept = std::fs::read_to_string(&record).unwrap();
    assert!(
        !kept.contains(&token) && !kept.contains(&token[..8]),
        "{kept}"
    );

    // 20 s pass, for pipi and for the site.
    crate::common::age_file(&record, std::time::Duration::from_secs(20));
    bed.site.advance_clock(std::time::Duration::from_secs(20));
    let real_end = humantime::parse_rfc3339(first_end.as_str().unwrap()).unwrap()
        - std::time::Duration::from_secs(20);

    // Within the minute the site hands back the same token, with its first date.
    logged_in(&bed, &[]);
    assert_eq!(bed.token(), token, "the site handed back the same token");
    let out = bed.run(&["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        status["expires_at"],
        pipi::format_time(real_end).as_str(),
        "{status}"
    );
    let left = status["seconds_left"].as_u64().unwrap();
    assert!(left <= 40, "{status}");

    // token --login and exec --min-left judge by that end: 40 s left is enough for 30...
    let out = bed.run(&["token", "--login", "--min-left", "30"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{token}\n"));
    let out = bed.run(&[
        "exec",
        "--min-left",
        "30",
        "--",
        "sh",
        "-c",
        "echo \"$PIPI_ACCESS_TOKEN\"",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{token}\n"));
    // ...and not for 45, which a fresh 60 s would have promised.
    for args in [
        &["token", "--login", "--min-left", "45"][..],
        &["exec", "--min-left", "45", "--", "true"],
    ] {
        let out = bed.run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("less than the 45s asked for"),
            "{}",
            text(&out.stderr)
        );
    }

    // The site agrees on that end: a second before it the token works, a second after it
    // is expired.
    let site_now_to_end = real_end
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    bed.site
        .advance_clock(site_now_to_end.saturating_sub(std::time::Duration::from_secs(2)));
    let out = bed.run(&["whoami", "--jq", ".user_name"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    bed.site.advance_clock(std::time::Duration::from_secs(4));
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("expired access_token"));
}
