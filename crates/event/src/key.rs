//! Identifiers reduced to 128-bit hashes.

use std::fmt;

/// A 128-bit hash of an identifier (a session id, a message id, a request id).
///
/// The store keeps keys, not the ids themselves: they are enough to dedupe and
/// to join two views of one call, and they say nothing about the work.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(pub [u8; 16]);

impl Key {
    /// Hashes the parts in order; each part is length-prefixed so that
    /// ("ab", "c") and ("a", "bc") differ.
    pub fn of(parts: &[&[u8]]) -> Self {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        for part in parts {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        Key(hasher.digest128().to_be_bytes())
    }

    /// The raw bytes, as stored.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Rebuilds a key from stored bytes; `None` unless exactly 16 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        Some(Key(bytes.try_into().ok()?))
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0[..6] {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_delimited() {
        assert_ne!(Key::of(&[b"ab", b"c"]), Key::of(&[b"a", b"bc"]));
        assert_eq!(Key::of(&[b"x"]), Key::of(&[b"x"]));
    }

    #[test]
    fn round_trips_through_bytes() {
        let k = Key::of(&[b"msg_01"]);
        assert_eq!(Key::from_slice(k.as_bytes()), Some(k));
        assert_eq!(Key::from_slice(&[1, 2, 3]), None);
    }
}
