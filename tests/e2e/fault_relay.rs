//! A TCP relay in front of the reference server that injects the faults of
//! a real network: the server down, 500s, 429 with Retry-After, a request
//! cut in the middle of its body, and a reply lost after the server
//! committed. It counts connections and keeps every request body it saw.

use std::{
    collections::VecDeque,
    io::{Read, Write},
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread,
    time::Duration,
};

/// What the relay does with the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward it and its reply.
    Pass,
    /// Close the connection before reading anything: the server is down.
    Down,
    /// Answer with this status (and a Retry-After, in seconds) instead.
    Status(u16, Option<u64>),
    /// Read half the body, then close: cut in the middle of the request.
    CutRequest,
    /// Forward it, let the server commit, then close without the reply.
    LoseReply,
}

#[derive(Default)]
struct Shared {
    faults: Mutex<VecDeque<Fault>>,
    bodies: Mutex<Vec<(String, Vec<u8>)>>,
    connections: AtomicUsize,
    stop: AtomicBool,
}

/// The relay; stops when dropped.
pub struct Relay {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Relay {
    pub fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                s.connections.fetch_add(1, Ordering::SeqCst);
                let s = s.clone();
                thread::spawn(move || handle(stream, upstream, &s));
            }
        });
        Relay { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Faults for the next requests, in order; then requests pass.
    pub fn push(&self, faults: &[Fault]) {
        self.shared.faults.lock().unwrap().extend(faults);
    }

    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Every request seen whole: (request line, body).
    pub fn bodies(&self) -> Vec<(String, Vec<u8>)> {
        self.shared.bodies.lock().unwrap().clone()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn handle(mut client: TcpStream, upstream: SocketAddr, s: &Shared) {
    client.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let fault = s.faults.lock().unwrap().pop_front().unwrap_or(Fault::Pass);
    if fault == Fault::Down {
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let Some((head, body)) = read_request(&mut client, fault == Fault::CutRequest) else {
        return;
    };
    if fault == Fault::CutRequest {
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    s.bodies.lock().unwrap().push((request_line, body.clone()));
    let reply = match fault {
        Fault::Status(code, after) => canned(code, after),
        _ => forward(&head, &body, upstream),
    };
    if fault != Fault::LoseReply {
        let _ = client.write_all(&reply);
    }
    let _ = client.shutdown(Shutdown::Both);
}

/// The request head (as text) and body; with `half`, only half the body.
fn read_request(client: &mut TcpStream, half: bool) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let want = if half { length / 2 } else { length };
    let mut body = buf[head_end..].to_vec();
    while body.len() < want {
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(want.max(if half { 0 } else { body.len() }));
    Some((head, body))
}

fn forward(head: &str, body: &[u8], upstream: SocketAddr) -> Vec<u8> {
    let mut lines: Vec<&str> = head
        .trim_end()
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("connection: close");
    let mut request = lines.join("\r\n").into_bytes();
    request.extend_from_slice(b"\r\n\r\n");
    request.extend_from_slice(body);
    let mut server = TcpStream::connect(upstream).unwrap();
    server.write_all(&request).unwrap();
    let mut reply = Vec::new();
    server.read_to_end(&mut reply).unwrap();
    reply
}

fn canned(code: u16, retry_after: Option<u64>) -> Vec<u8> {
    let body = format!(r#"{{"error":"injected {code}"}}"#);
    let after = retry_after
        .map(|s| format!("retry-after: {s}\r\n"))
        .unwrap_or_default();
    format!(
        "HTTP/1.1 {code} Injected\r\ncontent-type: application/json\r\n{after}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
