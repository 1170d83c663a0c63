//! Which host names mean this machine's loopback: the DNS-rebinding guard
//! of the proxy and the telemetry receiver.

use std::net::IpAddr;

/// True when `host` (a Host header or URI authority, port optional) names
/// the loopback interface: `localhost` and `*.localhost` (which resolvers
/// must keep on this machine), `127.0.0.1` (any of 127/8) or `[::1]`. A page
/// that rebinds its own domain to 127.0.0.1 still sends its domain as Host,
/// and is refused.
pub fn is_loopback_host(host: &str) -> bool {
    let name = strip_port(host.trim())
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    let name = name.as_str();
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The host without a `:port`, leaving a bracketed IPv6 address whole.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // `[::1]:4318` → `[::1]`; a malformed `[::1` stays as it is.
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        // Exactly one colon: a port. More than one, unbracketed, is not a
        // valid Host and is left whole (and refused).
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_with_and_without_ports_are_accepted() {
        for host in [
            "localhost",
            "LOCALHOST:4318",
            "127.0.0.1",
            "127.0.0.1:4318",
            "[::1]",
            "[::1]:4318",
            "127.1.2.3:80",
            "api.localhost:47310",
            "localhost.",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn other_names_are_refused() {
        for host in [
            "",
            "evil.example",
            "evil.example:4318",
            "localhost.evil.example",
            "10.0.0.1:4318",
            "[::2]:4318",
            "127.0.0.1:abc",
            "[::1",
            "0.0.0.0:4318",
            "[::]",
            "localhost.evil.example.",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
