//! Reading the complete lines added to a file since an offset.
//!
//! Only whole lines are handed out: a half-written last line stays unread
//! until its newline arrives, and the offset after a read is always the end
//! of the last complete line, so a checkpoint never points into a line.

use std::{
    fs::File,
    io::{self, Read, Seek, SeekFrom},
};

/// Bytes read per system call, and the granularity of checkpoints.
pub const CHUNK: usize = 4 << 20;
/// The smallest read buffer (a read of a few appended lines).
const SMALLEST_BUFFER: usize = 64 << 10;
/// Lines longer than this are skipped (and counted), not buffered.
pub const MAX_LINE: usize = 48 << 20;

/// One line handed to the parser.
#[derive(Debug)]
pub enum Line<'a> {
    /// A complete line, without its newline.
    Complete(&'a [u8]),
    /// A line longer than [`MAX_LINE`], dropped unread.
    Oversized,
}

/// What receives the lines of a read.
pub trait LineSink {
    /// One line and the offset it starts at.
    fn line(&mut self, line: Line<'_>, offset: u64);
    /// Called after each read with the offset just after the last complete
    /// line and the bytes that read consumed; false stops the read.
    fn chunk(&mut self, end: u64, consumed: &[u8]) -> bool;
}

/// Reads lines from `offset` to the end of the file into `sink`; returns
/// the final offset.
pub fn read_lines(
    file: &mut File,
    offset: u64,
    buf: &mut Vec<u8>,
    sink: &mut dyn LineSink,
) -> io::Result<u64> {
    file.seek(SeekFrom::Start(offset))?;
    // A few new lines need a few KiB, not a whole chunk zero-filled: the
    // long-running agent reads small appends all day.
    let unread = file.metadata()?.len().saturating_sub(offset);
    let want = (unread as usize).clamp(SMALLEST_BUFFER, CHUNK);
    if buf.len() < want {
        buf.resize(want, 0);
    }
    // `start` is the file offset of buf[0]; buf[..filled] holds unread bytes.
    let mut start = offset;
    let mut filled = 0usize;
    let mut skipping = false;
    loop {
        if filled == buf.len() {
            if buf.len() < MAX_LINE {
                let grown = (buf.len() * 2).min(MAX_LINE);
                buf.resize(grown, 0);
            } else {
                // The line is longer than we buffer: drop what we hold and
                // skip to its newline.
                start += filled as u64;
                filled = 0;
                skipping = true;
            }
        }
        let n = read_some(file, &mut buf[filled..])?;
        if n == 0 {
            break;
        }
        let mut consumed = 0usize;
        for nl in memchr::memchr_iter(b'\n', &buf[filled..filled + n]) {
            let end = filled + nl;
            if skipping {
                sink.line(Line::Oversized, start);
                skipping = false;
            } else {
                sink.line(Line::Complete(&buf[consumed..end]), start + consumed as u64);
            }
            consumed = end + 1;
        }
        filled += n;
        if consumed > 0 {
            let go_on = sink.chunk(start + consumed as u64, &buf[..consumed]);
            buf.copy_within(consumed..filled, 0);
            filled -= consumed;
            start += consumed as u64;
            if !go_on {
                break;
            }
        }
    }
    if buf.len() > 2 * CHUNK {
        // Give back the memory a long line needed.
        buf.truncate(CHUNK);
        buf.shrink_to(CHUNK);
    }
    Ok(start)
}

fn read_some(file: &mut File, into: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(into) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    struct Lines(Vec<(String, u64)>);

    impl LineSink for Lines {
        fn line(&mut self, line: Line<'_>, at: u64) {
            match line {
                Line::Complete(l) => self.0.push((String::from_utf8_lossy(l).into_owned(), at)),
                Line::Oversized => self.0.push(("<oversized>".into(), at)),
            }
        }

        fn chunk(&mut self, _end: u64, _consumed: &[u8]) -> bool {
            true
        }
    }

    fn collect(bytes: &[u8], offset: u64) -> (Vec<(String, u64)>, u64) {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        let mut lines = Lines(Vec::new());
        let end = read_lines(&mut file, offset, &mut Vec::new(), &mut lines).unwrap();
        (lines.0, end)
    }

    #[test]
    fn a_half_written_last_line_waits_for_its_newline() {
        let (lines, end) = collect(b"a\nbb\nccc", 0);
        assert_eq!(lines, vec![("a".into(), 0), ("bb".into(), 2)]);
        assert_eq!(end, 5);
        let (lines, end) = collect(b"a\nbb\nccc\n", end);
        assert_eq!(lines, vec![("ccc".into(), 5)]);
        assert_eq!(end, 9);
    }

    #[test]
    fn lines_longer_than_a_chunk_are_read_whole() {
        let long = "x".repeat(CHUNK * 2 + 17);
        let text = format!("{long}\nshort\n");
        let (lines, end) = collect(text.as_bytes(), 0);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].0.len(), long.len());
        assert_eq!(lines[1], ("short".into(), long.len() as u64 + 1));
        assert_eq!(end, text.len() as u64);
    }

    #[test]
    fn lines_longer_than_the_limit_are_skipped_and_the_next_one_is_read() {
        let mut text = vec![b'y'; MAX_LINE + 10];
        text.extend_from_slice(b"\nok\n");
        let (lines, end) = collect(&text, 0);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].0, "<oversized>");
        assert_eq!(lines[1].0, "ok");
        assert_eq!(end, text.len() as u64);
    }
}
