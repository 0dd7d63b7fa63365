//! `kill -9` at many points during `pipi config set` and `pipi login`: whenever pipi dies,
//! the config file and the token cache are the old version or the new one, never torn, and
//! the next write leaves no temporary file behind.
//!
//! Each run is killed after a delay that grows across the span of a whole run, so that the
//! kills fall before, during and after the write; `config set` also has runs killed the
//! moment a temporary file shows up. A kill "lands mid-write" when it leaves a temporary
//! file: the write had begun and not yet been renamed into place.

use crate::common::{Bed, temp_files, text};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn kill_9(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// What a run of kills found.
#[derive(Default, Debug)]
struct Tally {
    kills: u32,
    mid_write: u32,
    old: u32,
    new: u32,
}

impl Tally {
    /// Counts a kill, and whether it landed mid-write: it left a temporary file in `dir`.
    fn killed(&mut self, dir: &Path) {
        self.kills += 1;
        if !temp_files(dir).is_empty() {
            self.mid_write += 1;
        }
    }
}

#[test]
fn kill_9_during_config_set_never_tears_the_file() {
    const RUNS: u32 = 200;
    const AIMED: u32 = 50;
    let bed = Bed::new();
    let path = bed.config_file();
    let dir = path.parent().unwrap().to_path_buf();
    // Large enough that writing and syncing it takes long enough to be hit.
    let (padding, span) = bed.large_config(8_000);

    // One `config set` to `value`, killed once `kill_when` says so; the file must then hold
    // the old text or the whole new one.
    let run_once = |tally: &mut Tally, value: String, kill_when: &dyn Fn(&mut Child)| {
        let before = std::fs::read_to_string(&path).unwrap();
        let mut child = bed
            .pipi(&["config", "set", "app-id", &value])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill_when(&mut child);
        kill_9(&mut child);
        tally.killed(&dir);
        let after = std::fs::read_to_string(&path).unwrap();
        if after == before {
            tally.old += 1;
        } else {
            assert!(
                after.starts_with(&padding) && after.ends_with(&format!("app-id = \"{value}\"\n")),
                "setting {value}: the file is torn"
            );
            tally.new += 1;
        }
    };
    let mut tally = Tally::default();
    for run in 0..RUNS {
        // From the start of the run to a little past its usual end.
        let delay = span * 5 * run / (4 * RUNS);
        run_once(&mut tally, (run + 3).to_string(), &|_| {
            std::thread::sleep(delay)
        });
    }
    // Kills spread in time land mid-write only by chance, and on a busy machine a write is
    // a sliver of a run: these runs aim, killing the moment a temporary file shows up.
    let mut aimed = Tally::default();
    for run in 0..AIMED {
        run_once(&mut aimed, (RUNS + run + 3).to_string(), &|child| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while temp_files(&dir).is_empty()
                && child.try_wait().unwrap().is_none()
                && Instant::now() < deadline
            {}
        });
    }
    // The next write sweeps what the killed runs left.
    let out = bed.run(&["config", "set", "app-id", "1000"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(temp_files(&dir), Vec::<String>::new());
    println!("config set, one run in {span:?}: spread {tally:?}, aimed {aimed:?}");
    assert!(tally.old > 0 && tally.new > 0, "{tally:?}");
    assert!(
        aimed.mid_write > 0,
        "no aimed kill landed mid-write: {aimed:?}"
    );
}

/// A browser that follows the site's redirect into pipi's listener, and gives up quietly
/// when pipi dies under it.
fn browse(url: &str) {
    let client = crate::common::http_builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    if let Ok(mut resp) = client.get(url).send() {
        let mut sink = Vec::new();
        let _ = resp.read_to_end(&mut sink);
    }
}

#[test]
fn kill_9_during_login_never_tears_the_cache() {
    const RUNS: u32 = 100;
    let bed = Bed::new();
    let cache = bed.cache_file("default");
    let dir = bed.cache_dir();
    // The old token: one the site never issued, so that a new one is told apart.
    let old = serde_json::json!({
        "access_token": "0123456789abcdef0123456789abcdef",
        "obtained_at": "2030-01-01T00:00:00Z",
        "expires_at": "2030-01-01T00:01:00Z",
        "base_url": bed.site.base_url(),
        "app_id": bed.site.config().app_id,
        "user": {"user_name": "old"},
    });
    let old_text = format!("{}\n", serde_json::to_string_pretty(&old).unwrap());

    // How long a login takes from the browser's visit to pipi's end.
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    let mut span = Duration::ZERO;
    for _ in 0..3 {
        std::fs::write(&cache, &old_text).unwrap();
        let running = crate::common::Running::watch(&mut bed.pipi(&["login"]));
        let url = bed.opened_url(&running).unwrap();
        let started = Instant::now();
        browse(&url);
        let out = running.finish();
        span = span.max(started.elapsed());
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }

    let mut tally = Tally::default();
    for run in 0..RUNS {
        std::fs::write(&cache, &old_text).unwrap();
        let mut running = crate::common::Running::watch(&mut bed.pipi(&["login"]));
        let url = bed.opened_url(&running).unwrap();
        let browser = std::thread::spawn(move || browse(&url));
        std::thread::sleep(span * 5 * run / (4 * RUNS));
        kill_9(&mut running.child);
        let _ = browser.join();
        tally.killed(&dir);
        let after = std::fs::read_to_string(&cache).unwrap();
        if after == old_text {
            tally.old += 1;
        } else {
            let token: pipi::CachedToken = serde_json::from_str(&after)
                .unwrap_or_else(|e| panic!("run {run}: the cache is torn: {e}"));
            assert_eq!(token.base_url, bed.site.base_url());
            assert_ne!(
                token.access_token.expose(),
                "0123456789abcdef0123456789abcdef"
            );
            tally.new += 1;
        }
    }
    // The next login's write sweeps what the killed runs left.
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    assert_eq!(temp_files(&dir), Vec::<String>::new());
    println!("login, one run in {span:?} from the browser's visit: {tally:?}");
    assert!(tally.old > 0 && tally.new > 0, "{tally:?}");
}
