//! `pipi token`, `status` and `logout`: the cache, read with no network, and forgotten.

mod common;

use common::{Bed, text};
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
