//! Every command that talks to the site against every way the site, or what stands in front
//! of it, can answer badly. Each cell logs in for real first, then turns the fault on and
//! runs the command: it must end with one `pipi: error:` line (and at most a `hint:` line
//! after it), exit 1, never panic, print nothing on stdout, and leave the cached token as
//! it was.

use crate::common::{Bed, text};
use pipi::emulator::Fault;
use std::time::{Duration, Instant};

/// The faults, and a phrase the error must hold for each.
const FAULTS: &[(&str, &str)] = &[
    ("html500", "HTTP 500"),
    ("empty", "empty answer"),
    ("truncated", "cut short"),
    ("oversize", "too large to be the API's"),
    ("drip", "did not answer in time"),
    ("stall", "did not answer in time"),
    ("reset", "request failed"),
    ("redirect", "redirect"),
    ("invalid_utf8", "not UTF-8"),
    ("nested", "not JSON"),
];

/// The deadline of each request in the matrix, as `PIPI_HTTP_TIMEOUT`.
const TIMEOUT_SECS: u64 = 2;

/// The commands that talk to the site, and the endpoint each cell breaks.
#[derive(Clone, Copy, Debug)]
enum Cell {
    /// `pipi login`, with the key exchange broken.
    LoginExchange,
    /// `pipi login`, with the profile fetched after the exchange broken.
    LoginProfile,
    Whoami,
    Api,
}

impl Cell {
    fn endpoint(self) -> &'static str {
        match self {
            Cell::LoginExchange => "authorize",
            _ => "user_info",
        }
    }
}

fn run_cell(cell: Cell, fault: &str, expect: &str) {
    let bed = Bed::with(|c| {
        c.slow_delay = Duration::from_secs(10);
        c.drip_interval = Duration::from_secs(1);
    });
    let first = bed.login(&[]);
    assert_eq!(first.code(), 0, "{}", first.stderr());
    let cached = std::fs::read(bed.cache_file("default")).unwrap();

    let spec = format!("{}={fault}", cell.endpoint());
    bed.site.set_faults(vec![spec.parse::<Fault>().unwrap()]);
    let timeout = TIMEOUT_SECS.to_string();
    let started = Instant::now();
    let (code, stdout, stderr) = match cell {
        Cell::LoginExchange | Cell::LoginProfile => {
            let mut bed = bed;
            bed.set("PIPI_HTTP_TIMEOUT", &timeout);
            let login = bed.login(&[]);
            let result = (login.code(), login.output.stdout.clone(), login.stderr());
            check_cache(&bed, &cached, &spec);
            result
        }
        Cell::Whoami | Cell::Api => {
            let args: &[&str] = match cell {
                Cell::Whoami => &["whoami"],
                _ => &["api", "get_user_info"],
            };
            let out = bed
                .pipi(args)
                .env("PIPI_HTTP_TIMEOUT", &timeout)
                .output()
                .unwrap();
            check_cache(&bed, &cached, &spec);
            (
                out.status.code().unwrap_or(-1),
                out.stdout,
                text(&out.stderr),
            )
        }
    };
    let took = started.elapsed();
    let what = format!("{cell:?} {spec} (took {took:?})");

    assert_eq!(code, 1, "{what}: {stderr}");
    assert!(stdout.is_empty(), "{what}: stdout {:?}", text(&stdout));
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    let errors: Vec<usize> = (0..lines.len())
        .filter(|i| lines[*i].starts_with("pipi: error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{what}: {stderr}");
    let error = errors[0];
    let after = &lines[error + 1..];
    assert!(
        after.is_empty() || (after.len() == 1 && after[0].starts_with("hint: ")),
        "{what}: the error is not the end: {stderr}"
    );
    assert!(lines[error].contains(expect), "{what}: {stderr}");
    // Nothing of a page, and never more than the deadline (and the browser's own wait).
    assert!(!lines[error].contains('<'), "{what}: {stderr}");
    assert!(lines[error].chars().count() < 400, "{what}: {stderr}");
    assert!(took < Duration::from_secs(8), "{what}");
}

fn check_cache(bed: &Bed, cached: &[u8], spec: &str) {
    assert_eq!(
        std::fs::read(bed.cache_file("default")).unwrap(),
        cached,
        "{spec}: the cached token changed"
    );
}

fn run_row(cell: Cell) {
    for (fault, expect) in FAULTS {
        run_cell(cell, fault, expect);
    }
}

#[test]
fn login_with_a_broken_key_exchange() {
    run_row(Cell::LoginExchange);
}

#[test]
fn login_with_a_broken_profile() {
    run_row(Cell::LoginProfile);
}

#[test]
fn whoami_with_a_broken_profile() {
    run_row(Cell::Whoami);
}

#[test]
fn api_with_a_broken_answer() {
    run_row(Cell::Api);
}
