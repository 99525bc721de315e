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
    /// An I/O error on a named file. The binary exits with code 2.
    #[error("{path}: {source}")]
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

    /// The process exit code for this error: 1 for bad data, 2 for usage and environment.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Data { .. } => 1,
            Error::Usage(_) | Error::Io { .. } => 2,
        }
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
