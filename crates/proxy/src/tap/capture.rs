//! A bounded buffer for one JSON payload (an SSE event's data, one element
//! of a JSON body). Small payloads are kept whole; a payload larger than
//! [`WHOLE_LIMIT`] keeps only its head (where ids and models sit) and its
//! tail (where usage sits), so a 100 MB body never costs more than a few
//! hundred KiB here.

/// Payloads up to this size are kept whole and parsed normally.
pub(crate) const WHOLE_LIMIT: usize = 1024 * 1024;
/// Bytes kept from the start of an oversized payload.
const HEAD: usize = 16 * 1024;
/// Bytes kept from the end of an oversized payload.
const TAIL: usize = 64 * 1024;
/// Capacity kept between payloads; a larger buffer is released.
const KEEP_CAPACITY: usize = 64 * 1024;

#[derive(Debug, Default)]
pub(crate) struct Capture {
    buf: Vec<u8>,
    /// When oversized: `buf[..head_len]` is the head, the rest the tail.
    head_len: usize,
    oversized: bool,
    /// Bytes of an oversized payload that were dropped between head and tail.
    dropped: u64,
}

/// What a [`Capture`] holds.
#[derive(Debug)]
pub(crate) enum Captured<'b> {
    Whole(&'b [u8]),
    Oversized {
        head: &'b [u8],
        tail: &'b [u8],
        dropped: u64,
    },
}

impl Capture {
    /// Bytes of memory held (tests check the bounds).
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.buf.capacity()
    }

    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        if !self.oversized {
            let need = self.buf.len() + bytes.len();
            if need <= WHOLE_LIMIT {
                // Grow by doubling, but never past the limit.
                if need > self.buf.capacity() {
                    let target = (need * 2).clamp(need, WHOLE_LIMIT);
                    self.buf.reserve_exact(target - self.buf.len());
                }
                self.buf.extend_from_slice(bytes);
                return;
            }
            self.oversized = true;
            if self.buf.len() < HEAD {
                let take = (HEAD - self.buf.len()).min(bytes.len());
                self.buf.extend_from_slice(&bytes[..take]);
                bytes = &bytes[take..];
            }
            self.head_len = HEAD.min(self.buf.len());
            // What came after the head so far: only its last TAIL bytes stay.
            if self.buf.len() > self.head_len + TAIL {
                let cut = self.buf.len() - TAIL;
                self.dropped += (cut - self.head_len) as u64;
                self.buf.drain(self.head_len..cut);
            }
        }
        if bytes.len() >= TAIL {
            self.dropped += (self.buf.len() - self.head_len) as u64;
            self.buf.truncate(self.head_len);
            self.dropped += (bytes.len() - TAIL) as u64;
            bytes = &bytes[bytes.len() - TAIL..];
        }
        self.buf.extend_from_slice(bytes);
        // Trim only when the tail doubled: amortised, one copy per TAIL bytes.
        if self.buf.len() > self.head_len + 2 * TAIL {
            let cut = self.buf.len() - TAIL;
            self.dropped += (cut - self.head_len) as u64;
            self.buf.drain(self.head_len..cut);
        }
    }

    pub(crate) fn view(&self) -> Captured<'_> {
        if self.oversized {
            Captured::Oversized {
                head: &self.buf[..self.head_len],
                tail: &self.buf[self.head_len..],
                dropped: self.dropped,
            }
        } else {
            Captured::Whole(&self.buf)
        }
    }

    /// Bytes held plus bytes dropped: the payload's full length.
    pub(crate) fn len(&self) -> u64 {
        self.buf.len() as u64 + self.dropped
    }

    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf.shrink_to(KEEP_CAPACITY);
        }
        self.head_len = 0;
        self.oversized = false;
        self.dropped = 0;
    }
}
