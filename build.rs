//! Links the `pipi` binary with packed relative relocations (RELR) where the toolchain can:
//! the program stays position-independent (its address still randomised), but the loader
//! applies its thousands of relocations from a compact table instead of one 24-byte entry
//! each, which is a noticeable part of what a command as short as `pipi token` costs.
//! Where the linker does not know the option, the binary is linked as usual.

use std::process::{Command, Stdio};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.contains("linux-gnu") && linker_packs_relocations() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether the C compiler that links Rust programs here accepts the option: it links a
/// trivial program with it.
fn linker_packs_relocations() -> bool {
    let cc = std::env::var("RUSTC_LINKER")
        .ok()
        .or_else(|| std::env::var("CC").ok())
        .unwrap_or_else(|| "cc".to_string());
    let out =
        std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("relr-probe");
    let mut child = match Command::new(cc)
        .args(["-x", "c", "-", "-o"])
        .arg(&out)
        .arg("-Wl,-z,pack-relative-relocs")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(_) => return false,
    };
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(b"int main(void) { return 0; }\n");
    }
    child.wait().is_ok_and(|status| status.success())
}
