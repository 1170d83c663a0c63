//! An incremental server-sent-events splitter: bytes in, the `data` of
//! each event out. Lines may end in `\n`, `\r\n` or `\r`, anywhere across
//! chunk boundaries; several `data:` lines join with `\n`; comments, `event:`,
//! `id:` and `retry:` lines are skipped (every API we read repeats the event
//! type inside its data). Data bytes go straight into a bounded [`Capture`],
//! never into a line buffer first.

use super::capture::{Capture, Captured};

/// The longest field name we care about is `data`; longer names are skipped.
const FIELD_NAME_MAX: usize = 8;

#[derive(Debug, Default)]
pub(crate) struct SseSplitter {
    line: Line,
    /// The previous chunk ended in `\r`: a `\n` opening this one is its pair.
    after_cr: bool,
    data: Capture,
    /// At least one `data` line arrived for the event being read.
    has_data: bool,
}

#[derive(Debug)]
enum Line {
    /// Reading the field name, up to `:` or the end of the line.
    Field {
        name: [u8; FIELD_NAME_MAX],
        len: usize,
    },
    /// In a `data:` value; `at_start` until its first byte (one space is
    /// dropped there).
    Data { at_start: bool },
    /// Any other field, or a comment.
    Skip,
}

impl Default for Line {
    fn default() -> Self {
        Line::Field {
            name: [0; FIELD_NAME_MAX],
            len: 0,
        }
    }
}

impl SseSplitter {
    pub(crate) fn feed(&mut self, mut chunk: &[u8], on_event: &mut impl FnMut(Captured<'_>)) {
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
        }
        while let Some(at) = memchr::memchr2(b'\n', b'\r', chunk) {
            self.line_bytes(&chunk[..at]);
            self.end_line(on_event);
            let mut next = at + 1;
            if chunk[at] == b'\r' {
                match chunk.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            chunk = &chunk[next..];
        }
        self.line_bytes(chunk);
    }

    /// The body ended: an event that was not closed by a blank line is still
    /// handed out (a cut-off stream may hold usage in it; a truncated JSON
    /// payload will simply not parse).
    pub(crate) fn end(&mut self, on_event: &mut impl FnMut(Captured<'_>)) {
        self.end_line(on_event);
        self.dispatch(on_event);
    }

    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.data.held()
    }

    fn line_bytes(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match &mut self.line {
                Line::Field { name, len } => match memchr::memchr(b':', bytes) {
                    Some(colon) => {
                        let is_data =
                            append_name(name, len, &bytes[..colon]) && &name[..*len] == b"data";
                        bytes = &bytes[colon + 1..];
                        self.line = if is_data {
                            self.open_data()
                        } else {
                            Line::Skip
                        };
                    }
                    None => {
                        if !append_name(name, len, bytes) {
                            self.line = Line::Skip;
                        }
                        return;
                    }
                },
                Line::Data { at_start } => {
                    if *at_start {
                        *at_start = false;
                        if let Some(rest) = bytes.strip_prefix(b" ") {
                            bytes = rest;
                        }
                    }
                    self.data.push(bytes);
                    return;
                }
                Line::Skip => return,
            }
        }
    }

    fn open_data(&mut self) -> Line {
        if self.has_data {
            self.data.push(b"\n");
        }
        self.has_data = true;
        Line::Data { at_start: true }
    }

    fn end_line(&mut self, on_event: &mut impl FnMut(Captured<'_>)) {
        match std::mem::take(&mut self.line) {
            Line::Field { len: 0, .. } => self.dispatch(on_event),
            // A bare `data` line: a data field with an empty value.
            Line::Field { name, len } if &name[..len] == b"data" => {
                self.open_data();
            }
            Line::Field { .. } | Line::Data { .. } | Line::Skip => {}
        }
    }

    fn dispatch(&mut self, on_event: &mut impl FnMut(Captured<'_>)) {
        if self.has_data {
            on_event(self.data.view());
        }
        self.data.clear();
        self.has_data = false;
    }
}

/// Appends to a field name; false once it is longer than any name we read.
fn append_name(name: &mut [u8; FIELD_NAME_MAX], len: &mut usize, bytes: &[u8]) -> bool {
    let end = *len + bytes.len();
    if end > FIELD_NAME_MAX {
        return false;
    }
    name[*len..end].copy_from_slice(bytes);
    *len = end;
    true
}
