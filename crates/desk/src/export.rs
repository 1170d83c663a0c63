//! The employee's data, to take (`tokentally export`, the app's Export).

use jiff::Timestamp;
use serde_json::json;
use tokentally_store::Store;

use crate::DeskError;

/// Every counted call, the pauses, the consent history and every upload
/// with its bytes, as one JSON document.
pub fn export_json(store: &Store) -> Result<String, DeskError> {
    let mut calls = Vec::new();
    store.each_counted(i64::MIN, &mut |c| {
        calls.push(json!({
            "at_ms": c.at_ms, "tool": c.tool, "model": c.model,
            "input": c.tokens.input, "cache_read": c.tokens.cache_read,
            "cache_write": c.tokens.cache_write, "output": c.tokens.output,
            "reasoning": c.tokens.reasoning, "provenance": c.provenance.as_str(),
        }));
    })?;
    let uploads: Vec<_> = store
        .receipts()?
        .into_iter()
        .map(|r| {
            let payload = String::from_utf8_lossy(&r.payload).into_owned();
            json!({ "receipt": r, "payload": payload })
        })
        .collect();
    let doc = json!({
        "exported_at_ms": Timestamp::now().as_millisecond(),
        "calls": calls,
        "pauses": store.pauses()?,
        "consent": store.consent()?,
        "uploads": uploads,
    });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

/// One row per counted call.
pub fn export_csv(store: &Store) -> Result<String, DeskError> {
    let mut out = String::from(
        "time_utc,tool,model,input,cache_read,cache_write,output,reasoning,provenance\n",
    );
    store.each_counted(i64::MIN, &mut |c| {
        let time = Timestamp::from_millisecond(c.at_ms).unwrap_or_default();
        let t = c.tokens;
        // Tool ids and model names hold no commas or quotes.
        out += &format!(
            "{time},{},{},{},{},{},{},{},{}\n",
            c.tool,
            c.model,
            t.input,
            t.cache_read,
            t.cache_write,
            t.output,
            t.reasoning,
            c.provenance.as_str()
        );
    })?;
    Ok(out)
}
