//! Plain HTTP/1.1 on loopback for the proxy tests: a fake provider that
//! records raw requests and answers with canned bodies, a raw client, and
//! the list of addresses a process listens on.

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex},
    time::Duration,
};

/// A canned reply for requests whose path starts with `path`.
pub struct Canned {
    pub path: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// A provider on 127.0.0.1 that answers from canned replies.
pub struct FakeProvider {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl FakeProvider {
    pub fn start(canned: Vec<Canned>) -> FakeProvider {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let Some(request) = read_message(&mut stream) else {
                    continue;
                };
                let head = String::from_utf8_lossy(&request).into_owned();
                let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                log.lock().unwrap().push(request);
                let reply = canned.iter().find(|c| path.starts_with(c.path));
                let (headers, body) = match reply {
                    Some(c) => (c.headers.clone(), c.body.clone()),
                    None => (Vec::new(), b"{\"error\":\"no canned reply\"}".to_vec()),
                };
                let status = if reply.is_some() {
                    "200 OK"
                } else {
                    "404 Not Found"
                };
                let mut out = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (name, value) in headers {
                    out += &format!("{name}: {value}\r\n");
                }
                out += "\r\n";
                let _ = stream.write_all(out.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        FakeProvider { port, received }
    }
}

/// Reads one HTTP/1.1 message with a Content-Length body.
fn read_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(buf)
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Sends `request` (which must say `Connection: close`) and returns the
/// reply's status line and body.
pub fn send(port: u16, request: &[u8]) -> (String, Vec<u8>) {
    try_send(port, request).unwrap()
}

/// [`send`], for a server that may die mid-request.
pub fn try_send(port: u16, request: &[u8]) -> std::io::Result<(String, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    let head_end = find(&reply, b"\r\n\r\n").map_or(reply.len(), |i| i + 4);
    let status = String::from_utf8_lossy(&reply[..head_end])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let head = String::from_utf8_lossy(&reply[..head_end]).to_ascii_lowercase();
    let body = reply[head_end..].to_vec();
    // The proxy may re-frame a reply as chunks: undo that to compare bytes.
    if head.contains("transfer-encoding: chunked") {
        return Ok((status, dechunk(&body)));
    }
    Ok((status, body))
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = find(body, b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&body[..i]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[i + 2..i + 2 + size]);
        body = &body[i + 2 + size + 2..];
    }
    out
}

/// A POST with a JSON body.
pub fn post(path: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        out += &format!("{name}: {value}\r\n");
    }
    out += "\r\n";
    out += body;
    out.into_bytes()
}

/// The local addresses of the TCP sockets `pid` listens on, as
/// `/proc/net/tcp{,6}` writes them (hex).
pub fn listening(pid: u32) -> Vec<String> {
    let mut inodes = std::collections::HashSet::new();
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        if let Ok(target) = std::fs::read_link(fd.path()) {
            let t = target.to_string_lossy().into_owned();
            if let Some(inode) = t.strip_prefix("socket:[").and_then(|s| s.strip_suffix(']')) {
                inodes.insert(inode.to_owned());
            }
        }
    }
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // st 0A is LISTEN; column 9 is the inode.
            if cols.len() > 9 && cols[3] == "0A" && inodes.contains(cols[9]) {
                out.push(cols[1].to_owned());
            }
        }
    }
    out
}

/// Whether a `/proc/net/tcp{,6}` address is loopback (127.0.0.0/8, ::1).
pub fn is_loopback(hex_addr: &str) -> bool {
    let ip = hex_addr.split(':').next().unwrap_or_default();
    match ip.len() {
        // Little-endian: 127.a.b.c is written ..7F.
        8 => ip.ends_with("7F"),
        32 => ip == "00000000000000000000000001000000",
        _ => false,
    }
}
