//! An incremental splitter for JSON bodies: a single object (a non-streamed
//! response) or an array of objects streamed one by one (Gemini's
//! `:streamGenerateContent` without `alt=sse`). It tracks only nesting and
//! strings, so each top-level object is handed out as soon as it closes,
//! held in a bounded [`Capture`].

use super::capture::{Capture, Captured};

#[derive(Debug, Default)]
pub(crate) struct JsonSplitter {
    /// Nesting depth inside the current object; 0 between objects.
    depth: u32,
    in_string: bool,
    escaped: bool,
    value: Capture,
}

impl JsonSplitter {
    pub(crate) fn feed(&mut self, chunk: &[u8], on_value: &mut impl FnMut(Captured<'_>)) {
        let mut start = (self.depth > 0).then_some(0);
        let mut at = 0;
        while at < chunk.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    at += 1;
                    continue;
                }
                // Jump to the next quote or backslash: strings are most bytes.
                match memchr::memchr2(b'"', b'\\', &chunk[at..]) {
                    Some(off) => {
                        at += off;
                        if chunk[at] == b'"' {
                            self.in_string = false;
                        } else {
                            self.escaped = true;
                        }
                    }
                    None => break,
                }
                at += 1;
                continue;
            }
            let byte = chunk[at];
            if self.depth == 0 {
                // Between values: the array's brackets, commas and
                // whitespace; only objects are read.
                if byte == b'{' {
                    self.depth = 1;
                    start = Some(at);
                }
            } else {
                match byte {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth -= 1;
                        if self.depth == 0 {
                            if let Some(from) = start.take() {
                                self.value.push(&chunk[from..=at]);
                            }
                            on_value(self.value.view());
                            self.value.clear();
                        }
                    }
                    _ => {}
                }
            }
            at += 1;
        }
        if let Some(from) = start {
            self.value.push(&chunk[from..]);
        }
    }

    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.value.held()
    }

    /// Bytes of an object that never closed (the body was cut off).
    pub(crate) fn unfinished_len(&self) -> u64 {
        if self.depth > 0 { self.value.len() } else { 0 }
    }
}
