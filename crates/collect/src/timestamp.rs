//! RFC 3339 timestamps as written by the tools, to milliseconds since the epoch.

/// Parses `2026-03-02T10:15:01.120Z` (any offset, any fraction).
pub(crate) fn parse_ms(raw: &str) -> Option<i64> {
    let ts: jiff::Timestamp = raw.parse().ok()?;
    Some(ts.as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::parse_ms;

    #[test]
    fn parses_utc_and_offsets() {
        assert_eq!(parse_ms("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(parse_ms("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_ms("yesterday"), None);
    }
}
