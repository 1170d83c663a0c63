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

    /// A key within this group: its first half is the group's, so the
    /// records of one group are neighbours in the store and can be found by
    /// a range, without an index of their own.
    pub fn member(&self, parts: &[&[u8]]) -> Key {
        let mut all: Vec<&[u8]> = vec![&self.0];
        all.extend_from_slice(parts);
        let own = Key::of(&all);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.0[..8]);
        bytes[8..].copy_from_slice(&own.0[8..]);
        Key(bytes)
    }

    /// The first and last keys a [`Key::member`] of this group can have.
    pub fn member_range(&self) -> (Key, Key) {
        let mut low = [0u8; 16];
        low[..8].copy_from_slice(&self.0[..8]);
        let mut high = [0xFFu8; 16];
        high[..8].copy_from_slice(&self.0[..8]);
        (Key(low), Key(high))
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
    fn members_of_a_group_fall_in_its_range_and_differ() {
        let group = Key::of(&[b"msg_1"]);
        let (low, high) = group.member_range();
        let a = group.member(&[b"req_1"]);
        let b = group.member(&[b"req_2"]);
        assert_ne!(a, b);
        for k in [a, b, group.member(&[])] {
            assert!(low <= k && k <= high);
        }
        let other = Key::of(&[b"msg_2"]).member(&[b"req_1"]);
        assert!(!(low <= other && other <= high));
    }

    #[test]
    fn round_trips_through_bytes() {
        let k = Key::of(&[b"msg_01"]);
        assert_eq!(Key::from_slice(k.as_bytes()), Some(k));
        assert_eq!(Key::from_slice(&[1, 2, 3]), None);
    }
}
