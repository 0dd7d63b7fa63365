//! The one door to pipi's files. Every file pipi reads settings or tokens from, or writes,
//! is opened here, under one rule, the one OpenSSH's `StrictModes` holds `~/.ssh` to:
//!
//! - A directory pipi keeps files in must belong to the person and be writable by nobody
//!   else. Otherwise it is refused: whoever else can write in it could plant a link or a
//!   file there, so nothing in it is read, written or run.
//! - A file read from it must belong to the person (or to root) and be writable by nobody
//!   else, for the same reason: nothing in it is used.
//! - Inside a directory only the person can write, links are the person's own and keep
//!   working: a config file that links into a dotfiles repository is read through the link,
//!   and written through it too, atomically in its target's directory, which must pass the
//!   same rule.
//! - What pipi creates (temporary files, lock files) is never created through a link, and a
//!   file reached through a link is never changed in place (made private, for one).
//!
//! The checks of owners and modes are Unix's; on Windows the profile's directories are
//! private to the person to begin with, and only the rest holds.

use super::read::{ReadError, open_regular, read_opened};
use super::{atomic, lock};
use crate::error::Error;
#[cfg(unix)]
use crate::error::ErrorKind;
use crate::error::{Context, Result};
use std::path::{Path, PathBuf};

/// A kind of file pipi keeps, and the names its messages give it and its directory.
pub(crate) struct Kind {
    /// "token cache directory".
    pub(crate) dir: &'static str,
    /// "token cache".
    pub(crate) file: &'static str,
    /// Whether pipi alone writes these files: then one others can read is made private on
    /// sight. The person's own files (the config file) are not changed behind their back.
    pub(crate) pipis_own: bool,
    /// Whether a write through a link replaces the link's target (the person's file, kept
    /// in a dotfiles repository) rather than the link itself (pipi's own file).
    pub(crate) write_through_links: bool,
}

/// The token cache: `PROFILE.json` files, pipi's alone.
pub(crate) const TOKEN_CACHE: Kind = Kind {
    dir: "token cache directory",
    file: "token cache",
    pipis_own: true,
    write_through_links: false,
};

/// The config file, the person's.
pub(crate) const CONFIG: Kind = Kind {
    dir: "config directory",
    file: "config file",
    pipis_own: false,
    write_through_links: true,
};

/// Mode bits that let group or others change a file, or a directory's entries.
#[cfg(unix)]
const WRITABLE_BY_OTHERS: u32 = 0o022;

/// Mode bits that let someone other than the owner in.
#[cfg(unix)]
const OPEN_TO_OTHERS: u32 = 0o077;

/// The directory `path` is in.
pub(crate) fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Refuses `dir` when it belongs to another user or others can write in it. A directory
/// that does not exist passes: there is nothing in it to trust or not.
pub(crate) fn check_dir(dir: &Path, what: &str) -> std::result::Result<(), Error> {
    #[cfg(unix)]
    checked_dir(dir, what)?;
    #[cfg(not(unix))]
    let _ = (dir, what);
    Ok(())
}

/// What the system says of `dir`, once it has passed the rule; `None` when there is nothing
/// there. A link to the directory is followed when it is the person's (or root's): the path
/// is theirs to give. A link someone else made (in `/tmp`, say) is not: it could lead pipi
/// into any directory of the person's.
#[cfg(unix)]
fn checked_dir(dir: &Path, what: &str) -> std::result::Result<Option<std::fs::Metadata>, Error> {
    use std::os::unix::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    if let Ok(link) = std::fs::symlink_metadata(dir)
        && link.file_type().is_symlink()
        && link.uid() != me
        && link.uid() != 0
    {
        return Err(Error::new(
            ErrorKind::File,
            format!(
                "{what} {} is a link made by another user (uid {}), not by you (uid {me}); \
                 pipi does not follow it",
                dir.display(),
                link.uid()
            ),
        )
        .with_hint("use a directory of your own"));
    }
    let Ok(meta) = std::fs::metadata(dir) else {
        return Ok(None);
    };
    dir_rule(dir, what, me, meta.uid(), meta.mode())?;
    Ok(Some(meta))
}

/// The rule for a directory, from who `me` is and the directory's owner and mode.
#[cfg(unix)]
fn dir_rule(
    dir: &Path,
    what: &str,
    me: u32,
    uid: u32,
    mode: u32,
) -> std::result::Result<(), Error> {
    let shown = dir.display();
    if uid != me {
        return Err(Error::new(
            ErrorKind::File,
            format!(
                "{what} {shown} belongs to another user (uid {uid}), not to you (uid {me}); \
                 pipi keeps tokens and secrets only in directories of your own, and uses \
                 nothing in this one"
            ),
        )
        .with_hint(format!("if it is yours, as root: chown {me} '{shown}'")));
    }
    if mode & WRITABLE_BY_OTHERS != 0 {
        return Err(Error::new(
            ErrorKind::File,
            format!(
                "{what} {shown} can be written by other users (mode {:o}), who could plant \
                 files or links in it; pipi uses nothing in it",
                mode & 0o7777
            ),
        )
        .with_hint(format!("to fix it: chmod 700 '{shown}'")));
    }
    Ok(())
}

/// Refuses a file that belongs to another user (root aside) or that others can change,
/// from who `me` is and the file's owner and mode.
#[cfg(unix)]
fn file_rule(
    path: &Path,
    kind: &Kind,
    me: u32,
    uid: u32,
    mode: u32,
) -> std::result::Result<(), Error> {
    let (what, shown) = (kind.file, path.display());
    if uid != me && uid != 0 {
        return Err(Error::new(
            ErrorKind::File,
            format!(
                "{what} {shown} belongs to another user (uid {uid}), not to you (uid {me}); \
                 pipi uses nothing in it"
            ),
        )
        .with_hint(format!(
            "if it is yours, as root: chown {me} '{shown}'; or remove it"
        )));
    }
    if mode & WRITABLE_BY_OTHERS != 0 {
        return Err(Error::new(
            ErrorKind::File,
            format!(
                "{what} {shown} can be changed by other users (mode {:o}); pipi uses \
                 nothing in it",
                mode & 0o7777
            ),
        )
        .with_hint(format!("to fix it: chmod 600 '{shown}'")));
    }
    Ok(())
}

/// Creates `dir` (and its missing parents, readable by the owner only) if it is not there,
/// then holds it to the rule: the directory a file is about to be written in.
pub(crate) fn prepare_dir(dir: &Path, what: &str) -> Result<()> {
    atomic::create_private_dir(dir)?;
    check_dir(dir, what)?;
    Ok(())
}

/// The bytes of the file of `kind` at `path`, when it and its directory pass the rule: a
/// regular file of at most 1 MiB, never a FIFO waited on. A file of pipi's own that others
/// can read is made private, unless it was reached through a link.
pub(crate) fn read(path: &Path, kind: &Kind) -> std::result::Result<Vec<u8>, ReadError> {
    check_dir(dir_of(path), kind.dir).map_err(ReadError::Refused)?;
    let opened = open_regular(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = rustix::process::geteuid().as_raw();
        file_rule(path, kind, me, opened.meta.uid(), opened.meta.mode())
            .map_err(ReadError::Refused)?;
        if kind.pipis_own && !opened.through_link {
            make_private(path, &opened);
        }
    }
    // Owners and modes are Unix's; elsewhere a file is read as it is.
    #[cfg(not(unix))]
    let _ = (kind.pipis_own, opened.through_link);
    read_opened(opened)
}

/// Makes an open file of pipi's own private (0600) when others may read it: on the open
/// file itself, so that nothing but the file read is changed.
#[cfg(unix)]
fn make_private(path: &Path, opened: &super::read::Opened) {
    use std::os::unix::fs::PermissionsExt;
    let mode = opened.meta.permissions().mode() & 0o777;
    if mode & OPEN_TO_OTHERS != 0
        && rustix::fs::fchmod(&opened.file, rustix::fs::Mode::from_raw_mode(0o600)).is_ok()
    {
        log::debug!("made {} private (it was {mode:o})", path.display());
    }
}

/// Replaces the file of `kind` at `path` with `contents`, atomically, with mode 0600: in its
/// directory, or, for a kind written through links, in the directory of the link's target.
pub(crate) fn write(path: &Path, kind: &Kind, contents: &[u8]) -> Result<()> {
    prepare_dir(dir_of(path), kind.dir)?;
    let target = if kind.write_through_links {
        link_target(path)?
    } else {
        None
    };
    match target {
        Some(target) => {
            check_dir(
                dir_of(&target),
                &format!("directory of {}'s target", kind.file),
            )?;
            atomic::write_private_atomic(&target, contents)
        }
        None => atomic::write_private_atomic(path, contents),
    }
}

/// Where the link at `path` leads, when there is one: the person's, since only they can
/// write the directory it is in.
fn link_target(path: &Path) -> Result<Option<PathBuf>> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(path)
            .map(Some)
            .with_context(|| format!("failed to follow the link {}", path.display())),
        _ => Ok(None),
    }
}

/// Takes the lock that guards the file of `kind` at `path` (see the `lock` module), creating its
/// directory if needed; the lock file is never opened through a link.
pub(crate) fn lock(path: &Path, kind: &Kind) -> Result<lock::FileLock> {
    lock_within(path, kind, lock::PATIENCE, &mut || {})
}

/// As [`lock`], waiting up to `patience` while another process holds it; `on_wait` is
/// called once, when the wait begins.
pub(crate) fn lock_within(
    path: &Path,
    kind: &Kind,
    patience: std::time::Duration,
    on_wait: &mut dyn FnMut(),
) -> Result<lock::FileLock> {
    prepare_dir(dir_of(path), kind.dir)?;
    lock::lock_within(path, patience, on_wait)
}

/// Removes the file of `kind` at `path` (a link itself, never its target); `false` if there
/// was none.
pub(crate) fn remove(path: &Path, kind: &Kind) -> Result<bool> {
    check_dir(dir_of(path), kind.dir)?;
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
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

/// Holds `dir` to the rule, then makes it private (0700) when others may enter it and it
/// holds nothing but pipi's files. Returns what was done, for the person to read.
pub(crate) fn secure_dir(
    dir: &Path,
    what: &str,
    own: &dyn Fn(&str) -> bool,
) -> std::result::Result<Option<String>, Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        // One look at the directory, for the rule and for what may be made private.
        let Some(meta) = checked_dir(dir, what)? else {
            return Ok(None);
        };
        let mode = meta.mode() & 0o777;
        if mode & OPEN_TO_OTHERS != 0
            && holds_only_pipi_files(dir, own)
            && std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).is_ok()
        {
            log::debug!("made {what} {} private (it was {mode:o})", dir.display());
            return Ok(Some(format!(
                "{what} {} was open to other users (mode {mode:o}); pipi made it 0700",
                dir.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, what, own);
    Ok(None)
}

/// A config file that holds the app secret and that others can read, with the `chmod` that
/// fixes it. The file is the person's: pipi does not change it behind their back, but each
/// run says so until it is fixed. (One that others can change is refused when read.)
pub(crate) fn secret_readable_warning(path: &Path, holds_secret: bool) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (holds_secret && mode & 0o044 != 0).then(|| {
            format!(
                "config file {} holds an app secret and other users can read it \
                 (mode {mode:o}); to fix it: chmod 600 '{}'",
                path.display(),
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (path, holds_secret);
        None
    }
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

    /// A uid that is not this process's, for files given away (as root only).
    const NOBODY: u32 = 65534;

    fn is_root() -> bool {
        rustix::process::geteuid().is_root()
    }

    /// Whether the test may give files away to another user, which takes root. Elsewhere
    /// the rest of it is skipped with a note, but not in CI, where the tests run as root.
    fn can_give_away() -> bool {
        if is_root() {
            return true;
        }
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "giving a file away takes root, and in CI this test must run whole"
        );
        eprintln!("skipped: giving a file away to another user takes root");
        false
    }

    #[test]
    fn a_directory_of_pipi_files_is_made_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("default.json"), "{}").unwrap();
        std::fs::write(dir.join("default.json.lock"), "").unwrap();
        set_mode(&dir, 0o755);
        let note = secure_dir(&dir, "token cache directory", &pipi_json)
            .unwrap()
            .unwrap();
        assert!(note.contains("mode 755") && note.contains("0700"), "{note}");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(
            secure_dir(&dir, "token cache directory", &pipi_json).unwrap(),
            None
        );
    }

    #[test]
    fn a_directory_others_can_write_is_refused_with_its_chmod_and_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("shared");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        set_mode(&dir, 0o755);
        assert_eq!(
            secure_dir(&dir, "config directory", &pipi_json).unwrap(),
            None
        );
        assert_eq!(mode(&dir), 0o755);
        for loose in [0o777, 0o775, 0o757, 0o1777] {
            set_mode(&dir, loose);
            let err = secure_dir(&dir, "config directory", &pipi_json).unwrap_err();
            assert!(
                err.to_string().contains("can be written by other users"),
                "{err}"
            );
            assert_eq!(
                err.hint(),
                Some(format!("to fix it: chmod 700 '{}'", dir.display()).as_str())
            );
            let file = dir.join("default.json");
            std::fs::write(&file, "{}").unwrap();
            let refused = read(&file, &TOKEN_CACHE).unwrap_err();
            assert!(matches!(refused, ReadError::Refused(_)), "{refused}");
            assert!(write(&file, &TOKEN_CACHE, b"x").is_err());
            assert!(lock(&file, &TOKEN_CACHE).is_err());
            assert!(remove(&file, &TOKEN_CACHE).is_err());
            assert_eq!(std::fs::read(&file).unwrap(), b"{}");
        }
    }

    #[test]
    fn a_config_file_others_can_read_is_named_only_when_it_holds_a_secret() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, "").unwrap();
        set_mode(&path, 0o644);
        assert!(secret_readable_warning(&path, false).is_none());
        let warning = secret_readable_warning(&path, true).unwrap();
        assert!(warning.contains("chmod 600"), "{warning}");
        assert_eq!(mode(&path), 0o644, "the person's file is not changed");
        set_mode(&path, 0o600);
        assert!(secret_readable_warning(&path, true).is_none());
    }

    #[test]
    fn a_file_others_can_change_is_refused_and_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, "[default]\n").unwrap();
        for loose in [0o666, 0o620, 0o602] {
            set_mode(&path, loose);
            let err = read(&path, &CONFIG).unwrap_err();
            let ReadError::Refused(err) = err else {
                panic!("not refused: {err}")
            };
            assert!(
                err.to_string().contains("can be changed by other users"),
                "{err}"
            );
            assert_eq!(
                err.hint(),
                Some(format!("to fix it: chmod 600 '{}'", path.display()).as_str())
            );
            assert_eq!(mode(&path), loose);
        }
    }

    #[test]
    fn a_cache_file_is_made_private_but_never_through_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("default.json");
        std::fs::write(&path, "{}").unwrap();
        set_mode(&path, 0o644);
        assert_eq!(read(&path, &TOKEN_CACHE).unwrap(), b"{}");
        assert_eq!(mode(&path), 0o600);
        // Reached through a link, the file is read but not changed.
        let elsewhere = tmp.path().join("elsewhere.json");
        std::fs::write(&elsewhere, "{}").unwrap();
        set_mode(&elsewhere, 0o644);
        let link = tmp.path().join("work.json");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        assert_eq!(read(&link, &TOKEN_CACHE).unwrap(), b"{}");
        assert_eq!(mode(&elsewhere), 0o644);
        // The person's config file is never changed either.
        let config = tmp.path().join("config.toml");
        std::fs::write(&config, "").unwrap();
        set_mode(&config, 0o644);
        read(&config, &CONFIG).unwrap();
        assert_eq!(mode(&config), 0o644);
    }

    #[test]
    fn a_directory_of_another_user_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        check_dir(tmp.path(), "token cache directory").unwrap();
        check_dir(&tmp.path().join("not-yet"), "token cache directory").unwrap();
        // As root, a directory given away; as anyone else, one of root's.
        let foreign = if is_root() {
            let dir = tmp.path().join("theirs");
            std::fs::create_dir(&dir).unwrap();
            std::os::unix::fs::chown(&dir, Some(NOBODY), Some(NOBODY)).unwrap();
            dir
        } else {
            std::path::PathBuf::from("/")
        };
        let err = check_dir(&foreign, "token cache directory").unwrap_err();
        assert!(err.to_string().contains("belongs to another user"), "{err}");
        assert!(err.hint().unwrap().contains("chown"), "{err:?}");
    }

    #[test]
    fn the_rules_by_owner_and_mode() {
        let (dir, file) = (Path::new("/d"), Path::new("/d/config.toml"));
        let me = 1000;
        // Directories: the person's own, written by nobody else.
        assert!(dir_rule(dir, "config directory", me, me, 0o40700).is_ok());
        assert!(dir_rule(dir, "config directory", me, me, 0o40755).is_ok());
        for (uid, mode) in [(0, 0o40700), (65534, 0o40700), (me, 0o40770), (me, 0o41777)] {
            let err = dir_rule(dir, "config directory", me, uid, mode).unwrap_err();
            assert!(err.to_string().starts_with("config directory /d "), "{err}");
        }
        // Files: the person's or root's, changed by nobody else.
        for uid in [me, 0] {
            assert!(file_rule(file, &CONFIG, me, uid, 0o100644).is_ok());
        }
        for (uid, mode, said) in [
            (65534, 0o100600, "belongs to another user (uid 65534)"),
            (me, 0o100664, "can be changed by other users (mode 664)"),
            (0, 0o100646, "can be changed by other users (mode 646)"),
        ] {
            let err = file_rule(file, &CONFIG, me, uid, mode).unwrap_err();
            assert!(err.to_string().contains(said), "{err}");
            assert!(err.to_string().contains("pipi uses nothing in it"), "{err}");
        }
    }

    #[test]
    fn a_link_to_a_directory_is_followed_only_when_the_person_made_it() {
        let tmp = tempfile::tempdir().unwrap();
        let mine = tmp.path().join("mine");
        std::fs::create_dir(&mine).unwrap();
        set_mode(&mine, 0o700);
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&mine, &link).unwrap();
        check_dir(&link, "token cache directory").unwrap();
        if !can_give_away() {
            return;
        }
        std::os::unix::fs::lchown(&link, Some(NOBODY), Some(NOBODY)).unwrap();
        let err = check_dir(&link, "token cache directory").unwrap_err();
        assert!(
            err.to_string()
                .contains("is a link made by another user (uid 65534)"),
            "{err}"
        );
        assert!(write(&link.join("default.json"), &TOKEN_CACHE, b"{}").is_err());
        assert!(!mine.join("default.json").exists());
    }

    #[test]
    fn a_file_of_another_user_is_refused_and_roots_is_not() {
        if !can_give_away() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, "[default]\n").unwrap();
        std::os::unix::fs::chown(&path, Some(NOBODY), None).unwrap();
        let err = read(&path, &CONFIG).unwrap_err();
        assert!(
            err.to_string()
                .contains("belongs to another user (uid 65534)"),
            "{err}"
        );
        std::os::unix::fs::chown(&path, Some(0), None).unwrap();
        read(&path, &CONFIG).unwrap();
    }
}

/// The door against every mode a directory and a file can have: it lets a file through
/// exactly when neither can be written by others, and changes nothing but the mode of a
/// file of pipi's own that others could only read.
#[cfg(all(test, unix))]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::os::unix::fs::PermissionsExt;

    fn set_mode(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    proptest! {
        // Each case makes a directory and a file.
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn a_file_is_read_exactly_when_nobody_else_can_write_it_or_its_directory(
            // The owner keeps read, write and search, so that the test can clean up.
            dir_mode in (0u32..0o1000).prop_map(|m| m | 0o700),
            file_mode in (0u32..0o1000).prop_map(|m| m | 0o600),
            pipis_own in any::<bool>(),
        ) {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("d");
            std::fs::create_dir(&dir).unwrap();
            let path = dir.join("f");
            std::fs::write(&path, "content").unwrap();
            set_mode(&path, file_mode);
            set_mode(&dir, dir_mode);
            let kind = if pipis_own { &TOKEN_CACHE } else { &CONFIG };
            let outcome = read(&path, kind);
            let loose = dir_mode & 0o022 != 0 || file_mode & 0o022 != 0;
            match &outcome {
                Ok(bytes) => prop_assert_eq!(bytes.as_slice(), b"content".as_slice()),
                Err(e) => prop_assert!(matches!(e, ReadError::Refused(_)), "{}", e),
            }
            prop_assert_eq!(outcome.is_ok(), !loose, "dir {:o} file {:o}", dir_mode, file_mode);
            prop_assert_eq!(mode(&dir), dir_mode);
            let expected = if pipis_own && !loose && file_mode & 0o077 != 0 { 0o600 } else { file_mode };
            prop_assert_eq!(mode(&path), expected);
        }
    }
}
