//! Random tokens, codes and ids, and the hashes that are all the server keeps
//! of tokens and codes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::ServerError;

/// Prefixes make a leaked token recognisable to secret scanners.
pub(crate) const DEVICE_TOKEN_PREFIX: &str = "ttd_";
pub(crate) const ADMIN_TOKEN_PREFIX: &str = "tta_";
pub(crate) const CODE_PREFIX: &str = "ttc_";

fn random_bytes<const N: usize>() -> Result<[u8; N], ServerError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| ServerError::Random(e.to_string()))?;
    Ok(buf)
}

/// A secret of 256 random bits, base64url, with a prefix.
pub(crate) fn new_secret(prefix: &str) -> Result<String, ServerError> {
    Ok(format!(
        "{prefix}{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)
    ))
}

/// An id of 128 random bits, hex, with a prefix: unguessable, fine in URLs.
pub(crate) fn new_id(prefix: &str) -> Result<String, ServerError> {
    Ok(format!("{prefix}{}", hex(&random_bytes::<16>()?)))
}

/// What is stored of a token or code: its SHA-256, hex. The secrets are
/// 256 random bits, so a plain hash is enough (no salt or stretching).
pub(crate) fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Names an admin gives (people, teams, admin tokens): short, and made of the
/// characters of user names and e-mail addresses, so no sentence fits.
pub(crate) fn check_label(what: &'static str, value: &str) -> Result<(), ServerError> {
    let ok = (1..=96).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@+-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ServerError::BadLabel {
            what,
            value: value.to_owned(),
        })
    }
}

/// Milliseconds since the epoch, now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_256_bits_and_distinct() {
        let a = new_secret(DEVICE_TOKEN_PREFIX).expect("random");
        let b = new_secret(DEVICE_TOKEN_PREFIX).expect("random");
        assert_ne!(a, b);
        assert_eq!(a.len(), DEVICE_TOKEN_PREFIX.len() + 43);
        assert_eq!(hash("abc").len(), 64);
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn labels_refuse_text() {
        assert!(check_label("person", "ana.lima@example.com").is_ok());
        for bad in ["", "two words", "semi;colon", &"x".repeat(97), "é"] {
            assert!(check_label("person", bad).is_err(), "{bad}");
        }
    }
}
