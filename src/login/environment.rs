//! Where pipi runs, as far as logging in goes: over SSH, with or without a display, in WSL,
//! with stdin a terminal or not. Read once from the process; decided on by `browser` and the
//! login's caller.

use std::io::IsTerminal;

/// Reads one environment variable; tests pass their own.
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, with empty values counted as unset.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The operating system, as it matters for opening a browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Os {
    Linux,
    Macos,
    Windows,
    /// The BSDs and other Unix-likes: a browser needs an X11 or Wayland display, as on Linux.
    OtherUnix,
}

impl Os {
    pub(crate) fn current() -> Os {
        if cfg!(target_os = "linux") || cfg!(target_os = "android") {
            Os::Linux
        } else if cfg!(target_os = "macos") {
            Os::Macos
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::OtherUnix
        }
    }
}

/// The facts that decide whether and how a browser can be opened, and whether stdin may
/// carry a pasted address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Environment {
    pub(crate) os: Os,
    /// An SSH session: the person's screen is on another machine.
    pub(crate) ssh: bool,
    /// `DISPLAY` or `WAYLAND_DISPLAY` is set: a graphical session (or a forwarded one).
    pub(crate) display: bool,
    /// The Windows Subsystem for Linux: the browser is on the Windows side.
    pub(crate) wsl: bool,
    pub(crate) stdin_is_terminal: bool,
}

impl Environment {
    /// This process's environment.
    pub(crate) fn current() -> Environment {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok();
        Environment::detect(
            &process_env,
            Os::current(),
            release.as_deref(),
            std::io::stdin().is_terminal(),
        )
    }

    /// The environment that these variables, this system, this kernel release
    /// (`/proc/sys/kernel/osrelease`, where there is one) and this stdin make.
    pub(crate) fn detect(
        env: EnvLookup,
        os: Os,
        kernel_release: Option<&str>,
        stdin_is_terminal: bool,
    ) -> Environment {
        let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
        let wsl = os == Os::Linux
            && (set("WSL_DISTRO_NAME")
                || set("WSL_INTEROP")
                || kernel_release.is_some_and(|r| r.to_ascii_lowercase().contains("microsoft")));
        Environment {
            os,
            ssh: set("SSH_CONNECTION") || set("SSH_CLIENT") || set("SSH_TTY"),
            display: set("DISPLAY") || set("WAYLAND_DISPLAY"),
            wsl,
            stdin_is_terminal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(vars: &[(&str, &str)], os: Os, release: Option<&str>) -> Environment {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        Environment::detect(&lookup, os, release, true)
    }

    #[test]
    fn ssh_and_displays_come_from_the_environment() {
        let e = detect(
            &[("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22")],
            Os::Linux,
            None,
        );
        assert!(e.ssh && !e.display && !e.wsl);
        assert!(detect(&[("SSH_TTY", "/dev/pts/0")], Os::Linux, None).ssh);
        assert!(detect(&[("WAYLAND_DISPLAY", "wayland-0")], Os::Linux, None).display);
        assert!(detect(&[("DISPLAY", ":0")], Os::OtherUnix, None).display);
        assert!(!detect(&[("DISPLAY", "")], Os::Linux, None).display);
        assert!(!detect(&[], Os::Macos, None).ssh);
    }

    #[test]
    fn wsl_is_known_by_its_variables_or_its_kernel() {
        assert!(detect(&[("WSL_DISTRO_NAME", "Ubuntu")], Os::Linux, None).wsl);
        assert!(detect(&[("WSL_INTEROP", "/run/WSL/1_interop")], Os::Linux, None).wsl);
        // WSL 2 and WSL 1 kernels, as `sudo` or a cleared environment leave them.
        let wsl2 = "5.15.167.4-microsoft-standard-WSL2\n";
        assert!(detect(&[], Os::Linux, Some(wsl2)).wsl);
        assert!(detect(&[], Os::Linux, Some("4.4.0-19041-Microsoft")).wsl);
        assert!(!detect(&[], Os::Linux, Some("6.8.0-45-generic")).wsl);
        assert!(!detect(&[("WSL_DISTRO_NAME", "Ubuntu")], Os::Macos, None).wsl);
    }
}
