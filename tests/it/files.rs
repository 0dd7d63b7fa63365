//! pipi's files against what others can do to them: special files and huge files where the
//! cache or the config should be, directories and files other users can touch, signals in
//! the middle of a write, and pipi runs that change the same file at once.

use crate::common::{Bed, mode, temp_files, text};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd`, failing the test (after killing it) if it has not ended within `limit`.
fn run_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}; it printed: {}",
                text(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // mkfifo(1) rather than rustix, whose mkfifoat is not there on every Unix (macOS).
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success());
}

const LIMIT: Duration = Duration::from_secs(10);

// Item: special files in the cache directory.

#[test]
fn a_fifo_at_the_cache_path_blocks_no_command() {
    let bed = Bed::new();
    mkfifo(&bed.cache_file("default"));
    for (args, code) in [
        (&["token"][..], 4),
        (&["status"][..], 4),
        (&["profiles"][..], 0),
    ] {
        let out = run_within(&mut bed.pipi(args), LIMIT);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(
            err.contains("warning: ignoring token cache") && err.contains("a FIFO"),
            "{args:?}: {err}"
        );
        assert!(out.status.code() == Some(0) || err.contains("not logged in"));
    }
}

#[test]
fn a_huge_cache_file_is_not_read() {
    let bed = Bed::new();
    let path = bed.cache_file("default");
    std::fs::create_dir_all(bed.cache_dir()).unwrap();
    // 300 MB long but sparse: the disk holds nothing, and reading it would fill memory.
    std::fs::File::create(&path)
        .unwrap()
        .set_len(300_000_000)
        .unwrap();
    // With less memory than the file's size: reading it whole would fail.
    let mut token = bed.command("sh");
    token.args([
        "-c",
        "ulimit -v 250000 && exec \"$0\" token",
        crate::common::BIN,
    ]);
    let out = run_within(&mut token, LIMIT);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("300000000 bytes long"), "{err}");
    assert!(err.contains("not logged in"), "{err}");
    // A login replaces it, as it does any unusable cache.
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    assert!(std::fs::metadata(&path).unwrap().len() < 10_000);
}

#[test]
fn a_fifo_or_huge_config_file_is_an_error_not_a_hang() {
    let bed = Bed::new();
    let path = bed.config_file();
    mkfifo(&path);
    for args in [&["status"][..], &["config", "list"][..], &["profiles"][..]] {
        let out = run_within(&mut bed.pipi(args), LIMIT);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("failed to read config file") && err.contains("a FIFO"),
            "{args:?}: {err}"
        );
    }
    // `config set` refuses too, and leaves the FIFO where it is rather than replacing it.
    let out = run_within(&mut bed.pipi(&["config", "set", "app-id", "5"]), LIMIT);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    std::fs::remove_file(&path).unwrap();
    std::fs::File::create(&path)
        .unwrap()
        .set_len(2_000_000)
        .unwrap();
    let out = run_within(&mut bed.pipi(&["status"]), LIMIT);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("2000000 bytes long"), "{err}");
}

// Item: directories and files others can touch.

#[test]
fn a_cache_directory_others_can_enter_is_made_private() {
    let bed = Bed::new();
    assert_eq!(bed.login(&[]).code(), 0);
    let dir = bed.cache_dir();
    let file = bed.cache_file("default");
    set_mode(&dir, 0o755);
    set_mode(&file, 0o644);
    let out = bed.run(&["status"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("was open to other users (mode 755); pipi made it 0700"),
        "{err}"
    );
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&file), 0o600);
    // Once private, nothing more is said.
    let out = bed.run(&["status"]);
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
}

/// The commands that read or write the token cache, and what each exits with when the
/// cache directory is refused.
const CACHE_COMMANDS: [&[&str]; 5] = [
    &["token"],
    &["status"],
    &["logout"],
    &["login"],
    &["profiles"],
];

#[test]
fn a_directory_others_can_write_is_refused_with_its_chmod() {
    for loose in [0o777, 0o770, 0o1777] {
        // The token cache directory.
        let bed = Bed::new();
        let dir = bed.cache_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("someone-elses.txt"), "hello").unwrap();
        set_mode(&dir, loose);
        for args in CACHE_COMMANDS {
            let out = run_within(&mut bed.pipi(args), LIMIT);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
            assert!(
                err.contains(&format!(
                    "pipi: error: token cache directory {} can be written by other users (mode {loose:o})",
                    dir.display()
                )) && err.contains(&format!("hint: to fix it: chmod 700 '{}'", dir.display())),
                "{args:?}: {err}"
            );
        }
        let now = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o7777;
        assert_eq!(now, loose, "the directory was changed");
        assert!(
            !bed.cache_file("default").exists(),
            "a login wrote the cache"
        );
        // The config directory.
        let bed = Bed::new();
        let path = bed.config_file();
        let dir = path.parent().unwrap().to_path_buf();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&path, "[default]\napp-id = 5\n").unwrap();
        set_mode(&dir, loose);
        for args in [
            &["status"][..],
            &["login"][..],
            &["config", "list"][..],
            &["config", "set", "app-id", "6"][..],
            &["profiles"][..],
        ] {
            let out = run_within(&mut bed.pipi(args), LIMIT);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
            assert!(
                err.contains(&format!(
                    "config directory {} can be written by other users (mode {loose:o})",
                    dir.display()
                )) && err.contains(&format!("chmod 700 '{}'", dir.display())),
                "{args:?}: {err}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[default]\napp-id = 5\n"
        );
        // Fixed as the message says, all is well again.
        set_mode(&dir, 0o700);
        let out = bed.run(&["config", "set", "app-id", "6"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
}

/// A file of someone else's that a link planted in pipi's directory points at: owned by
/// another user where the tests can give it away, mode 644.
fn victim(bed: &Bed) -> PathBuf {
    let path = bed.dir.path().join("victim");
    std::fs::write(&path, "the victim's own text\n").unwrap();
    set_mode(&path, 0o644);
    if rustix::process::geteuid().is_root() {
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
    }
    path
}

fn assert_untouched(victim: &Path) {
    assert_eq!(mode(victim), 0o644, "{} was chmodded", victim.display());
    assert_eq!(
        std::fs::read_to_string(victim).unwrap(),
        "the victim's own text\n",
        "{} was written",
        victim.display()
    );
}

#[test]
fn links_planted_in_a_directory_others_can_write_are_never_followed() {
    // The cache file and its lock, linked to a file elsewhere and to a place where a file
    // would be made.
    let bed = Bed::new();
    let victim = victim(&bed);
    let made_there = bed.dir.path().join("made-through-the-link");
    let dir = bed.cache_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(&victim, bed.cache_file("default")).unwrap();
    std::os::unix::fs::symlink(&made_there, dir.join("default.json.lock")).unwrap();
    set_mode(&dir, 0o777);
    for args in CACHE_COMMANDS {
        let out = run_within(&mut bed.pipi(args), LIMIT);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert_untouched(&victim);
    assert!(
        !made_there.exists(),
        "a lock file was made through the link"
    );
    // The config file, linked to a file elsewhere.
    let bed = Bed::new();
    let victim = self::victim(&bed);
    let path = bed.config_file();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    set_mode(path.parent().unwrap(), 0o777);
    for args in [
        &["config", "set", "app-id", "5"][..],
        &["config", "unset", "app-id"][..],
    ] {
        let out = run_within(&mut bed.pipi(args), LIMIT);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert_untouched(&victim);
}

#[test]
fn files_pipi_makes_are_never_made_through_a_link_even_in_a_private_directory() {
    let bed = Bed::new();
    assert_eq!(bed.login(&[]).code(), 0);
    let made_there = bed.dir.path().join("made-through-the-link");
    let lock = bed.cache_dir().join("default.json.lock");
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(&made_there, &lock).unwrap();
    let logout = run_within(&mut bed.pipi(&["logout"]), LIMIT);
    let login = bed.login(&[]);
    for (code, err) in [
        (logout.status.code(), text(&logout.stderr)),
        (Some(login.code()), login.stderr()),
    ] {
        assert_eq!(code, Some(1), "{err}");
        assert!(
            err.contains(&format!(
                "the lock file {} is a symbolic link",
                lock.display()
            )),
            "{err}"
        );
    }
    assert!(
        !made_there.exists(),
        "a lock file was made through the link"
    );
    // A cache file that is a link, in the person's own directory: theirs, so it is read,
    // but `status` never makes its target private through it.
    std::fs::remove_file(&lock).unwrap();
    let elsewhere = bed.dir.path().join("kept-elsewhere.json");
    std::fs::rename(bed.cache_file("default"), &elsewhere).unwrap();
    set_mode(&elsewhere, 0o644);
    std::os::unix::fs::symlink(&elsewhere, bed.cache_file("default")).unwrap();
    let out = bed.run(&["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(mode(&elsewhere), 0o644, "status chmodded through the link");
}

#[test]
fn a_config_file_linked_into_a_dotfiles_repository_is_read_and_written_through_the_link() {
    let mut bed = Bed::new();
    bed.without_site_variables();
    let dotfiles = bed.dir.path().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    let real = dotfiles.join("pipi.toml");
    let site = bed.site.config().clone();
    std::fs::write(
        &real,
        format!(
            "# kept in git\n[default]\nbase-url = \"{}\"\napp-id = \"{}\"\n",
            bed.site.base_url(),
            site.app_id
        ),
    )
    .unwrap();
    let path = bed.config_file();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    set_mode(path.parent().unwrap(), 0o700);
    std::os::unix::fs::symlink(&real, &path).unwrap();
    let out = bed.run(&["config", "get", "app-id"]);
    assert_eq!(
        text(&out.stdout),
        format!("{}\n", site.app_id),
        "{}",
        text(&out.stderr)
    );
    for (key, value) in [
        ("redirect-url", site.redirect_url.as_str()),
        ("app-secret", site.app_secret.as_str()),
    ] {
        let out = bed.run(&["config", "set", key, value]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    assert!(
        std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written = std::fs::read_to_string(&real).unwrap();
    assert!(written.starts_with("# kept in git\n"), "{written}");
    assert!(written.contains(&site.app_secret), "{written}");
    assert_eq!(mode(&real), 0o600);
    assert!(
        temp_files(&dotfiles).is_empty(),
        "{:?}",
        temp_files(&dotfiles)
    );
    // And the login uses what it holds.
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    // The target's directory is held to the same rule before pipi writes in it.
    set_mode(&dotfiles, 0o777);
    let before = std::fs::read_to_string(&real).unwrap();
    let out = bed.run(&["config", "set", "app-id", "99"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "directory of config file's target {} can be written by other users",
            // As the link is followed: /tmp is itself a link on some systems.
            std::fs::canonicalize(&dotfiles).unwrap().display()
        )),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&real).unwrap(), before);
    assert!(temp_files(&dotfiles).is_empty());
}

/// Whether the test may give files away to another user, which takes root. Elsewhere it
/// is skipped with a note, but not in CI, where the tests run as root.
fn can_give_away(test: &str) -> bool {
    if rustix::process::geteuid().is_root() {
        return true;
    }
    assert!(
        !std::env::var("CI").is_ok_and(|v| v == "true"),
        "{test} gives files away to another user, which takes root; in CI it must run"
    );
    eprintln!("skipped {test}: giving files away to another user takes root");
    false
}

/// A config file holding an app-secret-command that leaves a mark when it runs.
fn config_with_command(bed: &mut Bed, mark: &Path) -> PathBuf {
    bed.unset("PIPI_APP_SECRET");
    let path = bed.config_file();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        format!(
            "[default]\napp-secret-command = \"touch '{}'; echo {}\"\n",
            mark.display(),
            bed.site.config().app_secret
        ),
    )
    .unwrap();
    path
}

fn assert_config_refused(bed: &Bed, mark: &Path, said: &str) {
    for args in [
        &["login"][..],
        &["token", "--login"][..],
        &["status"][..],
        &["config", "list"][..],
    ] {
        let out = run_within(&mut bed.pipi(args), LIMIT);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(said) && err.contains("pipi uses nothing in it"),
            "{args:?}: {err}"
        );
        assert!(
            !mark.exists(),
            "{args:?} ran the command in a refused config file"
        );
    }
    assert!(bed.methods_seen("/api/authorize").is_empty());
}

#[test]
fn a_config_file_others_can_change_is_refused_and_its_command_never_runs() {
    let mut bed = Bed::new();
    let mark = bed.dir.path().join("command-ran");
    let path = config_with_command(&mut bed, &mark);
    set_mode(&path, 0o666);
    assert_config_refused(
        &bed,
        &mark,
        &format!(
            "config file {} can be changed by other users (mode 666)",
            path.display()
        ),
    );
    // Fixed as the hint says, the same file is used.
    set_mode(&path, 0o600);
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    assert!(mark.exists());
}

#[test]
fn a_config_file_of_another_user_is_refused_and_its_command_never_runs() {
    if !can_give_away("a_config_file_of_another_user_is_refused_and_its_command_never_runs") {
        return;
    }
    let mut bed = Bed::new();
    let mark = bed.dir.path().join("command-ran");
    let path = config_with_command(&mut bed, &mark);
    set_mode(&path, 0o600);
    std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
    assert_config_refused(
        &bed,
        &mark,
        &format!(
            "config file {} belongs to another user (uid 65534)",
            path.display()
        ),
    );
}

#[test]
fn a_cache_file_of_another_user_or_that_others_can_change_is_not_used() {
    for give_away in [false, true] {
        if give_away
            && !can_give_away("a_cache_file_of_another_user_or_that_others_can_change_is_not_used")
        {
            return;
        }
        let bed = Bed::new();
        assert_eq!(bed.login(&[]).code(), 0);
        let path = bed.cache_file("default");
        let said = if give_away {
            std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
            "belongs to another user (uid 65534)"
        } else {
            set_mode(&path, 0o666);
            "can be changed by other users (mode 666)"
        };
        let out = bed.run(&["token"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{err}");
        assert!(err.contains(said) && err.contains("not logged in"), "{err}");
        assert!(out.stdout.is_empty());
        // A login replaces it with a file of pipi's own.
        let login = bed.login(&[]);
        assert_eq!(login.code(), 0, "{}", login.stderr());
        assert_eq!(mode(&path), 0o600);
        assert_eq!(bed.run(&["token"]).status.code(), Some(0));
    }
}

#[test]
fn a_config_file_others_can_read_holding_the_secret_gets_a_chmod() {
    let mut bed = Bed::new();
    bed.without_site_variables();
    let path = bed.config_file();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let site = bed.site.config().clone();
    std::fs::write(
        &path,
        format!(
            "[default]\nbase-url = \"{}\"\napp-id = \"{}\"\napp-secret = \"{}\"\n",
            bed.site.base_url(),
            site.app_id,
            site.app_secret
        ),
    )
    .unwrap();
    set_mode(&path, 0o644);
    let out = bed.run(&["status"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("holds an app secret and other users can read it (mode 644)")
            && err.contains(&format!("chmod 600 '{}'", path.display())),
        "{err}"
    );
    assert!(!err.contains(&site.app_secret), "{err}");
    // The person's file is theirs: pipi says so each time, but does not change it.
    assert_eq!(mode(&path), 0o644);
    // The same file without the secret is nobody else's business.
    std::fs::write(&path, "[default]\napp-id = \"7\"\n").unwrap();
    let err = text(&bed.run(&["status"]).stderr);
    assert!(!err.contains("chmod"), "{err}");
}

/// A directory that belongs to someone else: as root, one given away; as anyone else, one
/// of root's that already exists.
fn foreign_dir(bed: &Bed) -> PathBuf {
    if rustix::process::geteuid().is_root() {
        let dir = bed.dir.path().join("theirs");
        std::fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        dir
    } else {
        PathBuf::from("/")
    }
}

#[test]
fn a_directory_of_another_user_is_refused() {
    let mut bed = Bed::new();
    let theirs = foreign_dir(&bed).display().to_string();
    bed.set("PIPI_CACHE_DIR", &theirs);
    for args in [
        &["token"][..],
        &["status"][..],
        &["logout"][..],
        &["login"][..],
    ] {
        let out = run_within(&mut bed.pipi(args), LIMIT);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(&format!(
                "token cache directory {theirs} belongs to another user"
            )) && err.contains(&format!("chown {}", rustix::process::geteuid().as_raw()))
                && err.contains("or set PIPI_CACHE_DIR to a directory of your own"),
            "{args:?}: {err}"
        );
    }
    let mut bed = Bed::new();
    bed.set("PIPI_CONFIG_DIR", &theirs);
    for args in [&["status"][..], &["config", "set", "app-id", "5"][..]] {
        let out = run_within(&mut bed.pipi(args), LIMIT);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(&format!(
                "config directory {theirs} belongs to another user"
            )),
            "{args:?}: {err}"
        );
    }
}

// Item: signals in the middle of a write.

/// A process id not in use: a child that has ended and been waited for.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn the_next_write_sweeps_temporary_files_a_killed_pipi_left() {
    let bed = Bed::new();
    let dir = bed.config_file().parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&dir).unwrap();
    let left = dir.join(format!(".pipi-{}-Qz81xw.tmp", dead_pid()));
    std::fs::write(
        &left,
        "[default]\napp-secret = \"0123456789abcdef0123456789abcdef\"\n",
    )
    .unwrap();
    let out = bed.run(&["config", "set", "app-id", "5"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!left.exists(), "{:?}", temp_files(&dir));
    assert!(temp_files(&dir).is_empty());
}

/// Runs `config set` over and over, each time sending `signal` after a delay that grows
/// across the span of a run, and checks after each that the file is the old one or the new
/// one and that no temporary file is there. Returns how many runs the signal ended.
fn signal_during_config_set(signal: &str, runs: u32) -> u32 {
    let bed = Bed::new();
    let path = bed.config_file();
    let dir = path.parent().unwrap().to_path_buf();
    let (_, span) = bed.large_config(12_000);
    let mut ended_by_signal = 0;
    for run in 0..runs {
        let before = std::fs::read_to_string(&path).unwrap();
        let value = (run + 2).to_string();
        let mut child = bed
            .pipi(&["config", "set", "app-id", &value])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // From the start of the run to a little past its usual end.
        std::thread::sleep(span * 5 * run / (4 * runs));
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status();
        let status = child.wait().unwrap();
        if status.code() != Some(0) {
            ended_by_signal += 1;
        }
        let after = std::fs::read_to_string(&path).unwrap();
        assert!(
            after == before || after.ends_with(&format!("app-id = \"{value}\"\n")),
            "run {run}: the file is neither the old one nor the new one"
        );
        let left = temp_files(&dir);
        assert!(left.is_empty(), "run {run} ({status}) left {left:?}");
    }
    ended_by_signal
}

#[test]
fn a_signal_during_a_write_leaves_no_temporary_file() {
    let mut ended = 0;
    for signal in ["TERM", "INT", "HUP"] {
        ended += signal_during_config_set(signal, 40);
    }
    println!("signals ended {ended} of 120 runs of config set");
    assert!(ended > 0, "no signal landed before the end of a run");
}

// Item: concurrent writers.

#[test]
fn parallel_config_sets_lose_nothing() {
    let bed = Bed::new();
    for round in 0..3 {
        let children: Vec<_> = (0..12)
            .map(|i| {
                let profile = format!("p{}", i % 6);
                let (key, value) = if i < 6 {
                    ("app-id", format!("{}{i}", round + 1))
                } else {
                    ("token-ttl", format!("{}", 100 + i))
                };
                bed.pipi(&["--profile", &profile, "config", "set", key, &value])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        }
        let file = pipi::ConfigFile::load(
            &bed.config_file(),
            &[
                "base-url",
                "app-id",
                "app-secret",
                "redirect-url",
                "token-ttl",
            ],
        )
        .unwrap();
        for i in 0..6 {
            let profile = file
                .profile(&format!("p{i}"))
                .unwrap_or_else(|| panic!("round {round}: profile p{i} lost"));
            assert_eq!(
                profile["app-id"],
                format!("{}{i}", round + 1),
                "round {round}"
            );
            assert_eq!(
                profile["token-ttl"],
                format!("{}", 106 + i),
                "round {round}"
            );
        }
    }
}
