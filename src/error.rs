//! Typed errors of the library; the binary maps them to exit codes.

use std::path::PathBuf;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input data is unusable (corrupt PBF, bad register row, nothing to route on).
    /// The binary exits with code 1.
    #[error("{path}: {message}")]
    Data {
        /// The file the problem is in.
        path: PathBuf,
        /// What is wrong, naming the element, row or field.
        message: String,
    },
    /// The request cannot be carried out as asked (unknown category, unwritable output
    /// folder, contradictory flags). The binary exits with code 2.
    #[error("{0}")]
    Usage(String),
    /// An I/O error on a named file. The binary exits with code 2, or 1 when the disk is
    /// full (or a quota spent), which the message then says in words.
    #[error("{path}: {}", io_message(.source))]
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// A data error in `path`.
    pub fn data(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Data {
            path: path.into(),
            message: message.into(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The process exit code for this error: 1 for bad data and for a full disk (the run
    /// was sound, what it had to store did not fit), 2 for usage and other environment errors.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Data { .. } => 1,
            Error::Io { source, .. } if disk_full(source) => 1,
            Error::Usage(_) | Error::Io { .. } => 2,
        }
    }
}

/// Whether `e` says the disk is full or the user's quota is spent (`ENOSPC`, `EDQUOT`).
fn disk_full(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(e.kind(), ErrorKind::StorageFull | ErrorKind::QuotaExceeded)
        || matches!(e.raw_os_error(), Some(28 | 122))
}

/// How an I/O error reads: the system's words, and for a full disk what it means.
fn io_message(e: &std::io::Error) -> String {
    if disk_full(e) {
        format!("the disk is full ({e}); free some space and run again")
    } else {
        e.to_string()
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
