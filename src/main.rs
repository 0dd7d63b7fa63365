//! The `pipi` command: a thin layer over the `pipi` library. It parses the command line,
//! resolves settings, runs one command, and turns the outcome into output and an exit code.
//!
//! On Linux with glibc the program starts at a C `main` of its own, without std's runtime set-up: that
//! set-up reads all of `/proc/self/maps` through `sscanf` to place a guard page under the
//! main thread's stack, which was a fifth of everything `pipi token` did. What pipi needs of
//! it is done here: SIGPIPE ignored (a closed stdout is then an error pipi reports, or ends
//! on quietly), the three standard descriptors open (so that no file pipi opens can take the
//! place of stdout), a panic turned into exit code 101, and stdout flushed at the end. A
//! stack overflow still stops the program, by the kernel's guard page, only without std's
//! message; the one thing that can recurse without bound, a `--jq` filter, runs on a thread
//! that reports it (`cli/filter_thread.rs`).

// Only with glibc: std reads the arguments there from glibc's start-up, while on musl it
// reads them in the very set-up skipped here. And not in the unit-test build, whose `main`
// is the test harness's.
#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]

mod cli;

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(test))))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(cli::main().0)
}

#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    use std::io::Write;
    start_like_std();
    // std's runtime turns a panic into exit code 101; an unwind out of this function would
    // abort instead.
    let code = std::panic::catch_unwind(cli::main).map_or(101, |code| code.0);
    let _ = std::io::stdout().flush();
    std::ffi::c_int::from(code)
}

/// What std's runtime does before `main` that pipi relies on.
#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
fn start_like_std() {
    // SAFETY: setting a signal's disposition to SIG_IGN, before any other thread exists,
    // and checking and opening file descriptors: plain system calls with valid arguments.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        for fd in 0..=2 {
            if libc::fcntl(fd, libc::F_GETFD) == -1
                && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
            {
                // The lowest free descriptor is `fd` itself.
                let devnull = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if devnull != fd {
                    libc::abort();
                }
            }
        }
    }
}
