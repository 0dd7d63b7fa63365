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
        }
    }
}

/// The bytes of the regular file at `path` (a symbolic link is followed), at most
/// [`MAX_FILE_SIZE`] of them.
pub(crate) fn read_small_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    let file =
        super::atomic::patiently(|| open_without_blocking(path)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ReadError::Missing,
            _ => ReadError::Io(e),
        })?;
    // The checks are made on what was opened, not on the path, which may change meanwhile.
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(kind_of(&meta.file_type())));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(ReadError::TooLarge(meta.len()));
    }
    // The file may grow after the check: read one byte past the cap at most, to tell.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Opens for reading with `O_NONBLOCK`, so that a FIFO opens at once (and is then refused)
/// instead of waiting for a writer that never comes. On a regular file the flag changes
/// nothing.
#[cfg(unix)]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )?;
    Ok(File::from(fd))
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
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
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let started = std::time::Instant::now();
        let err = read_small_file(&fifo).unwrap_err();
        assert!(matches!(err, ReadError::NotAFile("a FIFO")), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let err = read_small_file(Path::new("/dev/zero")).unwrap_err();
        assert!(matches!(err, ReadError::NotAFile("a device")), "{err}");
    }
}
