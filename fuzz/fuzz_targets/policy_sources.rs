//! The managed policy sources' conversions to JSON, then the parser.
//!
//! Layout: a byte, then (low bit 0) a property list, XML or binary, as
//! macOS delivers it, or (1) registry values: records split by 0 bytes,
//! each a type byte (DWORD, QWORD, SZ, MULTI_SZ), the name, 1, the data
//! (numbers in decimal, MULTI_SZ items split by 1).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentally_policy::{
    parse,
    source::{RegData, plist_to_json, registry_to_json},
};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let doc = if which & 1 == 0 {
        let Ok(value) = plist::Value::from_reader(std::io::Cursor::new(rest)) else {
            return;
        };
        plist_to_json(&value)
    } else {
        registry_to_json(&registry_values(rest))
    };
    if let Ok(doc) = doc {
        parse(&doc, "fuzz");
    }
});

fn registry_values(bytes: &[u8]) -> Vec<(String, RegData)> {
    let mut values = Vec::new();
    for record in bytes.split(|b| *b == 0) {
        let Some((&kind, record)) = record.split_first() else {
            continue;
        };
        let text = String::from_utf8_lossy(record);
        let (name, value) = text.split_once('\u{1}').unwrap_or((&text, ""));
        let data = match kind % 4 {
            0 => RegData::Dword(value.parse().unwrap_or(0)),
            1 => RegData::Qword(value.parse().unwrap_or(0)),
            2 => RegData::Sz(value.to_owned()),
            _ => RegData::MultiSz(value.split('\u{1}').map(str::to_owned).collect()),
        };
        values.push((name.to_owned(), data));
    }
    values
}
