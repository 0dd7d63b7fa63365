//! The thread `--jq` filters are compiled and run on: a stack of a known, generous size, and
//! a message instead of a silent crash when a filter still runs past it.
//!
//! jaq evaluates, prints and drops values recursively, so a filter that recurses without
//! end (`def f: [f]; f`) or builds a value nested hundreds of thousands deep overflows any
//! stack. std reports an overflow on the threads it starts, except where its runtime set-up
//! is skipped: pipi's own C `main` on Linux with glibc (see `main.rs`). There the kernel's
//! guard page ends the process with SIGSEGV and no word. So the filter runs on a thread of
//! its own, sized by [`STACK`], which on Linux with glibc watches its own guard page, as std
//! does: a fault there prints the error and exits 1. Elsewhere std's own report stands.
//! Only `--jq` pays for the thread; `pipi token` never starts one.

use super::failure::{Context, Result};

/// The filter thread's stack. Only the pages a filter touches are memory; the size is what
/// lets honest filters over the site's small answers run, and bounds a runaway one.
pub const STACK: usize = 64 * 1024 * 1024;

/// Runs `work` on a thread with a [`STACK`]-sized stack and waits for it.
pub fn run<T: Send>(work: impl FnOnce() -> T + Send) -> Result<T> {
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("pipi-jq".into())
            .stack_size(STACK)
            .spawn_scoped(scope, || {
                #[cfg(all(target_os = "linux", target_env = "gnu"))]
                let _watch = overflow::Watch::start();
                work()
            })
            .context("cannot start a thread for the --jq filter")?;
        match thread.join() {
            Ok(value) => Ok(value),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The report of an overflow on the filter thread, in place of std's.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod overflow {
    use std::ptr::null_mut;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// What is printed, as pipi prints its errors; a signal handler can only write bytes.
    const MESSAGE: &[u8] =
        b"pipi: error: the --jq filter ran out of stack: it recurses or nests too deep\n\
        hint: bound the recursion, or build the value less deep\n";
    /// The size of the stack the handler runs on, while the filter's own is used up.
    const ALT_STACK: usize = 64 * 1024;

    /// The filter thread's guard region: a fault in it is the stack overflowing.
    static GUARD_LOW: AtomicUsize = AtomicUsize::new(0);
    static GUARD_HIGH: AtomicUsize = AtomicUsize::new(0);

    /// The handler and its stack, installed for as long as the filter thread runs.
    pub struct Watch {
        alt_stack: *mut libc::c_void,
    }

    impl Watch {
        /// Called on the filter thread: finds its guard page, gives it a stack to report on,
        /// and installs the handler.
        pub fn start() -> Watch {
            // SAFETY: plain system calls on this thread's own attributes and on memory
            // mapped here; the handler only reads atomics, writes and exits.
            unsafe {
                let page = usize::try_from(libc::sysconf(libc::_SC_PAGESIZE)).unwrap_or(4096);
                let mut attr: libc::pthread_attr_t = std::mem::zeroed();
                if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) == 0 {
                    let (mut low, mut size, mut guard) = (null_mut(), 0, 0);
                    if libc::pthread_attr_getstack(&attr, &mut low, &mut size) == 0 {
                        libc::pthread_attr_getguardsize(&attr, &mut guard);
                        let low = low as usize;
                        // glibc keeps the guard right under the usable stack; a page either
                        // side covers a fault just at its edge.
                        GUARD_LOW.store(low.saturating_sub(guard + page), Ordering::SeqCst);
                        GUARD_HIGH.store(low + page, Ordering::SeqCst);
                    }
                    libc::pthread_attr_destroy(&mut attr);
                }
                let alt_stack = libc::mmap(
                    null_mut(),
                    ALT_STACK,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                );
                if alt_stack == libc::MAP_FAILED {
                    return Watch {
                        alt_stack: null_mut(),
                    };
                }
                let stack = libc::stack_t {
                    ss_sp: alt_stack,
                    ss_flags: 0,
                    ss_size: ALT_STACK,
                };
                libc::sigaltstack(&stack, null_mut());
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_fault as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(libc::SIGSEGV, &action, null_mut());
                libc::sigaction(libc::SIGBUS, &action, null_mut());
                Watch { alt_stack }
            }
        }
    }

    impl Drop for Watch {
        fn drop(&mut self) {
            // SAFETY: back to the default actions, then the stack they no longer use freed.
            unsafe {
                libc::signal(libc::SIGSEGV, libc::SIG_DFL);
                libc::signal(libc::SIGBUS, libc::SIG_DFL);
                GUARD_LOW.store(0, Ordering::SeqCst);
                GUARD_HIGH.store(0, Ordering::SeqCst);
                if !self.alt_stack.is_null() {
                    let off = libc::stack_t {
                        ss_sp: null_mut(),
                        ss_flags: libc::SS_DISABLE,
                        ss_size: 0,
                    };
                    libc::sigaltstack(&off, null_mut());
                    libc::munmap(self.alt_stack, ALT_STACK);
                }
            }
        }
    }

    /// A fault in the guard region is the filter's stack overflowing: say so and exit 1.
    /// Any other fault is no overflow: the default action comes back, and the fault,
    /// happening again, ends the process as it would have.
    extern "C" fn on_fault(
        signal: libc::c_int,
        info: *mut libc::siginfo_t,
        _context: *mut libc::c_void,
    ) {
        // SAFETY: only async-signal-safe calls: reading the kernel's siginfo, write, _exit,
        // signal.
        unsafe {
            let address = (*info).si_addr() as usize;
            let (low, high) = (
                GUARD_LOW.load(Ordering::SeqCst),
                GUARD_HIGH.load(Ordering::SeqCst),
            );
            if low < high && (low..high).contains(&address) {
                libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
                libc::_exit(1);
            }
            libc::signal(signal, libc::SIG_DFL);
        }
    }
}
