//! Reading pipi's own small files without trusting what sits at their path: anyone who can
//! write the directory can leave a FIFO there (which would block a plain open forever), a
//! device, or a file of hundreds of megabytes. Only a regular file of sensible size is read.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The most a cache or config file can hold. Each is a few KiB; anything near this is not
/// one of pipi's files, and is not read into memory.
pub(crate) const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// Why a file at the path could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Nothing is there.
    Missing,
    /// Something other than a regular file is there: named, not opened for reading.
    NotAFile(&'static str),
    /// A regular file, larger than [`MAX_FILE_SIZE`]; its size in bytes.
    TooLarge(u64),
    /// The system refused.
    Io(std::io::Error),
    /// The file or its directory breaks the rule of who may own and change it
    /// (`super::door`): nothing in it is used.
    Refused(crate::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Missing => f.write_str("there is no such file"),
            ReadError::NotAFile(kind) => write!(f, "it is {kind}, not a regular file"),
            ReadError::TooLarge(size) => write!(
                f,
                "it is {size} bytes long, more than the {} KiB such a file can be",
                MAX_FILE_SIZE / 1024
            ),
            ReadError::Io(e) => e.fmt(f),
            ReadError::Refused(e) => e.fmt(f),
        }
    }
}

/// A regular file, open for reading, with what the system says of it.
pub(crate) struct Opened {
    pub(crate) file: File,
    /// Read from the open file, not from the path, which may change meanwhile.
    pub(crate) meta: std::fs::Metadata,
    /// Whether the path was a symbolic link, followed to get here.
    pub(crate) through_link: bool,
}

/// The bytes of the regular file at `path` (a symbolic link is followed), at most
/// [`MAX_FILE_SIZE`] of them.
#[cfg(test)]
pub(crate) fn read_small_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    read_opened(open_regular(path)?)
}

/// Opens the regular file at `path` for reading, following a symbolic link, and says
/// whether it did. Anything but a regular file of at most [`MAX_FILE_SIZE`] is refused
/// without reading a byte of it.
pub(crate) fn open_regular(path: &Path) -> Result<Opened, ReadError> {
    let missing = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::Missing,
        _ => ReadError::Io(e),
    };
    // Without following first: a link is told apart on the open itself, not by a look at
    // the path that could be out of date by the time of the open.
    let (file, through_link) = match super::atomic::retry_while_short_of_descriptors(|| {
        open_without_blocking(path, false)
    }) {
        Ok(file) => (file, false),
        Err(e) if is_link_refused(&e) => (
            super::atomic::retry_while_short_of_descriptors(|| open_without_blocking(path, true))
                .map_err(missing)?,
            true,
        ),
        Err(e) => return Err(missing(e)),
    };
    // The checks are made on what was opened, not on the path, which may change meanwhile.
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(kind_of(&meta.file_type())));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(ReadError::TooLarge(meta.len()));
    }
    Ok(Opened {
        file,
        meta,
        through_link,
    })
}

/// The bytes of a file opened by [`open_regular`], at most [`MAX_FILE_SIZE`] of them.
pub(crate) fn read_opened(opened: Opened) -> Result<Vec<u8>, ReadError> {
    // The file may grow after the check: read one byte past the cap at most, to tell.
    let mut bytes = Vec::with_capacity(usize::try_from(opened.meta.len()).unwrap_or(0));
    opened
        .file
        .take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Whether an open without following links failed because the path is a link: `ELOOP`
/// on Linux and macOS, `EMLINK` on FreeBSD.
fn is_link_refused(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        use rustix::io::Errno;
        e.raw_os_error().is_some_and(|code| {
            code == Errno::LOOP.raw_os_error() || code == Errno::MLINK.raw_os_error()
        })
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Opens for reading with `O_NONBLOCK`, so that a FIFO opens at once (and is then refused)
/// instead of waiting for a writer that never comes. On a regular file the flag changes
/// nothing. Unless `follow`, a link at the path is refused (`O_NOFOLLOW`).
#[cfg(unix)]
fn open_without_blocking(path: &Path, follow: bool) -> std::io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    if !follow {
        flags |= OFlags::NOFOLLOW;
    }
    let fd = rustix::fs::open(path, flags, Mode::empty())?;
    Ok(File::from(fd))
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path, _follow: bool) -> std::io::Result<File> {
    File::open(path)
}

/// What kind of thing sits where a file was expected, for a message.
fn kind_of(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_small_file_and_says_when_there_is_none() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        assert!(matches!(read_small_file(&path), Err(ReadError::Missing)));
        std::fs::write(&path, "hello").unwrap();
        assert_eq!(read_small_file(&path).unwrap(), b"hello");
    }

    #[test]
    fn refuses_a_directory_and_a_large_file_without_reading_it() {
        let tmp = tempfile::tempdir().unwrap();
        let err = read_small_file(tmp.path()).unwrap_err();
        assert!(matches!(err, ReadError::NotAFile("a directory")), "{err}");
        // Sparse: 300 MB long, nothing written, so the test itself stays small.
        let big = tmp.path().join("big");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(300 * 1024 * 1024)
            .unwrap();
        let err = read_small_file(&big).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge(314_572_800)), "{err}");
        assert!(err.to_string().contains("1024 KiB"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_at_once() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("fifo");
        // mkfifo(1) rather than rustix, whose mkfifoat is not there on every Unix (macOS).
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let started = std::time::Instant::now();
        let err = read_small_file(&fifo).unwrap_err();
        assert!(matches!(err, ReadError::NotAFile("a FIFO")), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let err = read_small_file(Path::new("/dev/zero")).unwrap_err();
        assert!(matches!(err, ReadError::NotAFile("a device")), "{err}");
    }
}
