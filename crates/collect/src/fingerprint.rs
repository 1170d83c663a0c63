//! Knowing a file again: its identity on disk and hashes of its first bytes
//! and of the bytes before the checkpoint.

use std::{
    fs::{File, Metadata},
    io::{self, Read, Seek, SeekFrom},
};

/// How many leading bytes identify a file's content.
pub const HEAD_LEN: u64 = 1024;
/// How many bytes before the checkpoint show that nothing before it changed.
pub const TAIL_LEN: u64 = 64;

/// Device and inode (or volume serial and file index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// Device.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
}

impl Identity {
    /// The identity of an open file's metadata.
    #[cfg(unix)]
    pub fn of(meta: &Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Identity {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }

    /// The identity of an open file's metadata (Windows: the content hashes
    /// alone identify the file, as std exposes no stable file index).
    #[cfg(not(unix))]
    pub fn of(_meta: &Metadata) -> Self {
        Identity { dev: 0, ino: 0 }
    }
}

/// Modification time in nanoseconds since the epoch (0 if unknown).
pub fn mtime_ns(meta: &Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Hash of a byte window.
pub fn hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// Reads `len` bytes at `start`, fewer at the end of the file.
pub fn read_window(file: &mut File, start: u64, len: u64) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(start))?;
    let mut out = Vec::with_capacity(len as usize);
    file.take(len).read_to_end(&mut out)?;
    Ok(out)
}

/// The head hash of a file: (bytes covered, hash).
pub fn head(file: &mut File, size: u64) -> io::Result<(u64, u64)> {
    let bytes = read_window(file, 0, size.min(HEAD_LEN))?;
    Ok((bytes.len() as u64, hash(&bytes)))
}

/// The hash of the bytes just before `offset`.
pub fn tail(file: &mut File, offset: u64) -> io::Result<u64> {
    let start = offset.saturating_sub(TAIL_LEN);
    Ok(hash(&read_window(file, start, offset - start)?))
}
