//! SHA-256 of input files, in hex: what `summary.json` and a batch's fingerprint record so a
//! run can be traced to (and skipped for) the exact bytes it read.
//!
//! A bottom-layer module, beside [`crate::error`]: the pipeline hashes the extract, a batch
//! its inputs, and [`crate::spatial::elevation`] every tile as it reads it; none of them may
//! reach up into another for it.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The length in bytes and hex SHA-256 of the file at `path`, read in 1 MiB pieces.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened or read.
pub(crate) fn sha256_of(path: &Path) -> Result<(u64, String)> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((bytes, hex(&hasher.finalize())))
}

/// SHA-256 of `bytes` in hex (a file already read, as [`sha256_of`] would hash it).
pub(crate) fn sha256_of_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of a digest, two digits per byte.
fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_bytes_hash_alike() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_of_bytes(b"abc"), abc);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc.txt");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(sha256_of(&path).unwrap(), (3, abc.to_string()));
    }
}
