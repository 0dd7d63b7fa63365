//! Who owns pipi's directories and who else may touch them. A directory that belongs to
//! another user is refused: its owner could read the token or swap the config file. What is
//! pipi's alone (a directory holding only its files, a token cache file) is made private on
//! sight; what the person may share or have written themselves (another directory, the
//! config file) is left as it is, with a warning that gives the `chmod` that fixes it.

use crate::error::{Error, ErrorKind};
use std::path::Path;

/// Mode bits that let someone other than the owner in.
#[cfg(unix)]
const OTHERS: u32 = 0o077;

/// Refuses `dir` when it exists and belongs to another user. `what` names it for the message
/// ("token cache directory").
pub(crate) fn check_owner(dir: &Path, what: &str) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(dir) else {
            return Ok(());
        };
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return Err(Error::new(
                ErrorKind::File,
                format!(
                    "{what} {} belongs to another user (uid {}), not to you (uid {me}); \
                     pipi keeps tokens and secrets only in directories of your own",
                    dir.display(),
                    meta.uid()
                ),
            )
            .with_hint("use a directory of your own")
            .into());
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, what);
    Ok(())
}

/// The mode bits of `path` that let others in, if any.
#[cfg(unix)]
fn open_bits(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & OTHERS != 0).then_some(mode)
}

/// Whether every entry of `dir` is one of pipi's files: then the directory is pipi's alone
/// and may be made private without asking. `own` tells pipi's file names.
#[cfg(unix)]
fn holds_only_pipi_files(dir: &Path, own: &dyn Fn(&str) -> bool) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries
        .flatten()
        .all(|e| e.file_name().to_str().is_some_and(own))
}

/// Whether a name is one of the files pipi writes beside its own: lock and temporary files.
pub(crate) fn is_helper_file(name: &str) -> bool {
    name.ends_with(".lock") || (name.starts_with(".pipi-") && name.ends_with(".tmp"))
}

/// Makes `dir` private (0700) when others may enter it and it holds nothing but pipi's
/// files; otherwise, says what is open and the `chmod` that closes it. Returns what was done
/// or found, for the person to read; nothing when all is well.
pub(crate) fn secure_dir(dir: &Path, what: &str, own: &dyn Fn(&str) -> bool) -> Option<String> {
    #[cfg(unix)]
    {
        let mode = open_bits(dir)?;
        if holds_only_pipi_files(dir, own) && chmod(dir, 0o700) {
            log::debug!("made {what} {} private (it was {mode:o})", dir.display());
            return Some(format!(
                "{what} {} was open to other users (mode {mode:o}); pipi made it 0700",
                dir.display()
            ));
        }
        // Entering and listing only shows names; writing lets others swap pipi's files.
        if mode & 0o022 == 0 {
            return None;
        }
        Some(format!(
            "{what} {} can be written by other users (mode {mode:o}), who could replace \
             pipi's files in it; to fix it: chmod 700 '{}'",
            dir.display(),
            dir.display()
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, what, own);
        None
    }
}

/// Makes a file of pipi's own (a token cache file) private (0600) when others may read it.
pub(crate) fn secure_own_file(path: &Path) {
    #[cfg(unix)]
    if let Some(mode) = open_bits(path)
        && chmod(path, 0o600)
    {
        log::debug!("made {} private (it was {mode:o})", path.display());
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// What is wrong with the config file's modes, each with the `chmod` that fixes it. The file
/// is the person's: pipi does not change it behind their back, but each run says so until
/// it is fixed. Readable by others matters only when it holds the app secret; writable by
/// others always does, since whoever can change it can send the next login elsewhere.
pub(crate) fn config_file_warnings(path: &Path, holds_secret: bool) -> Vec<String> {
    let mut warnings = Vec::new();
    #[cfg(unix)]
    if let Some(mode) = open_bits(path) {
        let fix = format!("to fix it: chmod 600 '{}'", path.display());
        if mode & 0o022 != 0 {
            warnings.push(format!(
                "config file {} can be changed by other users (mode {mode:o}); {fix}",
                path.display()
            ));
        } else if holds_secret && mode & 0o044 != 0 {
            warnings.push(format!(
                "config file {} holds an app secret and other users can read it \
                 (mode {mode:o}); {fix}",
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, holds_secret);
    warnings
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).is_ok()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn set_mode(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn pipi_json(name: &str) -> bool {
        name.ends_with(".json") || is_helper_file(name)
    }

    #[test]
    fn a_directory_of_pipi_files_is_made_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("default.json"), "{}").unwrap();
        std::fs::write(dir.join("default.json.lock"), "").unwrap();
        set_mode(&dir, 0o755);
        let note = secure_dir(&dir, "token cache directory", &pipi_json).unwrap();
        assert!(note.contains("mode 755") && note.contains("0700"), "{note}");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(secure_dir(&dir, "token cache directory", &pipi_json), None);
    }

    #[test]
    fn a_shared_directory_is_left_with_a_chmod_when_others_can_write() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("shared");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        set_mode(&dir, 0o755);
        assert_eq!(secure_dir(&dir, "config directory", &pipi_json), None);
        assert_eq!(mode(&dir), 0o755);
        set_mode(&dir, 0o777);
        let warning = secure_dir(&dir, "config directory", &pipi_json).unwrap();
        assert!(
            warning.contains(&format!("chmod 700 '{}'", dir.display())),
            "{warning}"
        );
        assert_eq!(mode(&dir), 0o777);
    }

    #[test]
    fn a_config_file_others_can_read_is_named_only_when_it_holds_a_secret() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, "").unwrap();
        set_mode(&path, 0o644);
        assert!(config_file_warnings(&path, false).is_empty());
        let warnings = config_file_warnings(&path, true);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("chmod 600"), "{warnings:?}");
        assert_eq!(mode(&path), 0o644, "the person's file is not changed");
        set_mode(&path, 0o666);
        assert!(config_file_warnings(&path, false)[0].contains("changed by other users"));
        set_mode(&path, 0o600);
        assert!(config_file_warnings(&path, true).is_empty());
    }

    #[test]
    fn a_cache_file_is_made_private() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("default.json");
        std::fs::write(&path, "{}").unwrap();
        set_mode(&path, 0o644);
        secure_own_file(&path);
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_directory_of_another_user_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        check_owner(tmp.path(), "token cache directory").unwrap();
        check_owner(&tmp.path().join("not-yet"), "token cache directory").unwrap();
        // As root, a directory given away; as anyone else, one of root's.
        let foreign = if rustix::process::geteuid().is_root() {
            let dir = tmp.path().join("theirs");
            std::fs::create_dir(&dir).unwrap();
            std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
            dir
        } else {
            std::path::PathBuf::from("/")
        };
        let err = check_owner(&foreign, "token cache directory").unwrap_err();
        assert!(err.to_string().contains("belongs to another user"), "{err}");
    }
}
