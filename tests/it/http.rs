//! A small HTTP/1.1 file server on 127.0.0.1 for download tests, able to misbehave on
//! purpose: 404, 5xx a given number of times, a stall mid-body (every time or once), a
//! body cut short (every time or once), a throttled body. It honours `Range: bytes=N-` so resumes can be tested, and counts
//! requests and bytes sent per path. Only the loopback address is ever used.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    None,
    /// Answer 404 to everything.
    NotFound,
    /// Answer 500 to the next N requests, then serve normally.
    ServerError(u32),
    /// Send the headers and the first N bytes, then go silent (until the server stops).
    Stall(usize),
    /// Like `Stall`, for the next request only.
    StallOnce(usize),
    /// Send the headers (full Content-Length) and the first N bytes, then close, every time.
    Truncate(usize),
    /// Like `Truncate`, for the next request only.
    TruncateOnce(usize),
    /// Like `TruncateOnce`, and then `IgnoreRange`.
    TruncateOnceThenIgnoreRange(usize),
    /// Answer a `Range` request with the whole body and 200, as servers that do not
    /// resume do (the `Range` is still recorded).
    IgnoreRange,
    /// Send the body at about this many bytes per second.
    Throttle(usize),
    /// Answer 302 with `Location: /<path>`.
    Redirect(String),
}

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    faults: HashMap<String, Fault>,
    requests: HashMap<String, u32>,
    ranges: Vec<String>,
}

pub struct Server {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (state, stop) = (state.clone(), stop.clone());
                    std::thread::spawn(move || {
                        let _ = serve(stream, &state, &stop);
                    });
                }
            })
        };
        Server {
            addr,
            state,
            stop,
            thread: Some(thread),
        }
    }

    pub fn add(&self, path: &str, bytes: Vec<u8>) -> String {
        self.state
            .lock()
            .unwrap()
            .files
            .insert(path.to_string(), bytes);
        self.url(path)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn fault(&self, path: &str, fault: Fault) {
        self.state
            .lock()
            .unwrap()
            .faults
            .insert(path.to_string(), fault);
    }

    pub fn requests(&self, path: &str) -> u32 {
        self.state
            .lock()
            .unwrap()
            .requests
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Every `Range` header received, in order.
    pub fn ranges(&self) -> Vec<String> {
        self.state.lock().unwrap().ranges.clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>, stop: &AtomicBool) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .trim_start_matches('/')
        .to_string();
    let mut range_start = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("range")
        {
            let value = value.trim().to_string();
            range_start = value
                .strip_prefix("bytes=")
                .and_then(|v| v.split('-').next())
                .and_then(|v| v.parse::<usize>().ok());
            state.lock().unwrap().ranges.push(value);
        }
    }
    let (body, fault) = {
        let mut state = state.lock().unwrap();
        *state.requests.entry(path.clone()).or_default() += 1;
        let fault = state.faults.get(&path).cloned().unwrap_or(Fault::None);
        let next = match &fault {
            Fault::ServerError(n) if *n > 1 => Some(Fault::ServerError(n - 1)),
            Fault::ServerError(_) | Fault::TruncateOnce(_) | Fault::StallOnce(_) => {
                Some(Fault::None)
            }
            Fault::TruncateOnceThenIgnoreRange(_) => Some(Fault::IgnoreRange),
            _ => None,
        };
        if let Some(next) = next {
            state.faults.insert(path.clone(), next);
        }
        (state.files.get(&path).cloned(), fault)
    };
    let mut out = stream;
    if let Fault::Redirect(to) = &fault {
        return out.write_all(
            format!("HTTP/1.1 302 Found\r\nLocation: /{to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
    }
    let body = match (body, &fault) {
        (_, Fault::NotFound) | (None, _) => {
            return out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found");
        }
        (_, Fault::ServerError(_)) => {
            return out.write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops");
        }
        (Some(body), _) => body,
    };
    let start = range_start
        .filter(|&s| s <= body.len())
        .filter(|_| fault != Fault::IgnoreRange);
    let head = match start {
        Some(s) if s == body.len() && !body.is_empty() => {
            return out.write_all(format!("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", body.len()).as_bytes());
        }
        Some(s) => format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {s}-{}/{}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n",
            body.len() - 1,
            body.len(),
            body.len() - s
        ),
        None => format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n",
            body.len()
        ),
    };
    out.write_all(head.as_bytes())?;
    let body = &body[start.unwrap_or(0)..];
    match fault {
        Fault::Stall(n) | Fault::StallOnce(n) => {
            out.write_all(&body[..n.min(body.len())])?;
            out.flush()?;
            // Silent until the client hangs up (its read returns), bounded by a minute.
            let mut stream = out;
            stream.set_read_timeout(Some(Duration::from_secs(60)))?;
            let _ = std::io::Read::read(&mut stream, &mut [0u8; 1]);
            Ok(())
        }
        Fault::Truncate(n) | Fault::TruncateOnce(n) | Fault::TruncateOnceThenIgnoreRange(n) => {
            out.write_all(&body[..n.min(body.len())])?;
            out.shutdown(std::net::Shutdown::Both)
        }
        Fault::Throttle(rate) => {
            let chunk = (rate / 20).max(1);
            for part in body.chunks(chunk) {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                out.write_all(part)?;
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(())
        }
        _ => out.write_all(body),
    }
}
