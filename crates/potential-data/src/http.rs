//! A minimal HTTP/1.1 GET client over `std::net::TcpStream`: plain `http://` only (no TLS), one
//! request per connection (`Connection: close`), `Range` requests, `Content-Length`, chunked and
//! read-to-close bodies, redirects between `http://` URLs. Enough to fetch files from a mirror or a
//! loopback test server, with no dependency.

use crate::error::{DataError, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;
use std::time::Instant;

/// An `http://host[:port]/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Url {
    pub(crate) fn parse(url: &str) -> Result<Self> {
        let bad = |reason: &str| DataError::Http { url: url.into(), reason: reason.into() };
        let rest = if let Some(r) = url.strip_prefix("http://") {
            r
        } else if url.starts_with("https://") {
            return Err(bad("https is not supported (plain http only; use an http:// mirror)"));
        } else {
            return Err(bad("not an http:// URL"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| bad("bad port"))?),
            _ => (authority, 80),
        };
        if host.is_empty() || host.contains(['@', ' ', ':']) {
            return Err(bad("bad host"));
        }
        Ok(Self { host: host.into(), port, path: path.into() })
    }

    /// Resolve a `Location` header against this URL.
    fn join(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.into()
        } else if location.starts_with('/') {
            format!("http://{}:{}{}", self.host, self.port, location)
        } else {
            let dir = self.path.rsplit_once('/').map_or("", |(d, _)| d);
            format!("http://{}:{}{}/{}", self.host, self.port, dir, location)
        }
    }
}

enum BodyMode {
    Length(u64),
    Chunked { left_in_chunk: u64, done: bool },
    Close,
}

/// A connection whose reads wait at most `timeout` each and fail once `deadline` has passed: a
/// server that trickles a byte now and then never trips a per-read timeout, but cannot keep a
/// fetch running past its deadline.
pub(crate) struct Conn {
    stream: TcpStream,
    timeout: Duration,
    deadline: Option<Instant>,
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let passed = || {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the fetch's overall deadline passed (--deadline)",
            )
        };
        let wait = match self.deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(passed());
                }
                left.min(self.timeout)
            }
            None => self.timeout,
        };
        self.stream.set_read_timeout(Some(wait))?;
        match self.stream.read(buf) {
            // A read cut short by the deadline (not by --timeout) says so.
            Err(e)
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
                    && self.deadline.is_some_and(|d| Instant::now() >= d) =>
            {
                Err(passed())
            }
            r => r,
        }
    }
}

/// The body of a response. A `Content-Length` body that ends early reads as
/// `ErrorKind::UnexpectedEof`, so a cut connection is never mistaken for a complete file.
pub(crate) struct Body {
    src: BufReader<Conn>,
    mode: BodyMode,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.mode {
            BodyMode::Close => self.src.read(buf),
            BodyMode::Length(0) => Ok(0),
            BodyMode::Length(left) => {
                let want = buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                let k = self.src.read(&mut buf[..want])?;
                if k == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!("connection closed with {left} bytes of the body missing"),
                    ));
                }
                *left -= k as u64;
                Ok(k)
            }
            BodyMode::Chunked { done: true, .. } => Ok(0),
            BodyMode::Chunked { left_in_chunk, done } => {
                if *left_in_chunk == 0 {
                    let mut line = String::new();
                    self.src.read_line(&mut line)?;
                    let size_txt = line.trim().split(';').next().unwrap_or("");
                    let size = u64::from_str_radix(size_txt, 16).map_err(|_| {
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("bad chunk size {line:?}"),
                        )
                    })?;
                    if size == 0 {
                        // Trailers until an empty line.
                        loop {
                            line.clear();
                            if self.src.read_line(&mut line)? == 0 || line.trim().is_empty() {
                                break;
                            }
                        }
                        *done = true;
                        return Ok(0);
                    }
                    *left_in_chunk = size;
                }
                let want = buf.len().min(usize::try_from(*left_in_chunk).unwrap_or(usize::MAX));
                let k = self.src.read(&mut buf[..want])?;
                if k == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "connection closed mid-chunk",
                    ));
                }
                *left_in_chunk -= k as u64;
                if *left_in_chunk == 0 {
                    let mut crlf = String::new();
                    self.src.read_line(&mut crlf)?;
                }
                Ok(k)
            }
        }
    }
}

/// A response: status, headers (names lower-cased) and the body.
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The body length announced by `Content-Length`, if any.
    pub(crate) fn content_length(&self) -> Option<u64> {
        self.header("content-length").and_then(|v| v.trim().parse().ok())
    }
}

/// GET `url`, asking for bytes from `range_from` on when it is non-zero; follows up to 5 redirects.
/// Every read waits at most `timeout`, and none starts after `deadline` (see [`Conn`]).
pub(crate) fn get(
    url: &str,
    range_from: u64,
    timeout: Duration,
    deadline: Option<Instant>,
) -> Result<Response> {
    let mut url = url.to_string();
    for _ in 0..=5 {
        let resp = get_once(&url, range_from, timeout, deadline)?;
        if matches!(resp.status, 301 | 302 | 303 | 307 | 308) {
            let loc = resp.header("location").ok_or_else(|| DataError::Http {
                url: url.clone(),
                reason: format!("redirect {} without a Location", resp.status),
            })?;
            url = Url::parse(&url)?.join(loc);
            continue;
        }
        return Ok(resp);
    }
    Err(DataError::Http { url, reason: "too many redirects".into() })
}

fn get_once(url: &str, range_from: u64, timeout: Duration, deadline: Option<Instant>) -> Result<Response> {
    let u = Url::parse(url)?;
    let err = |reason: String| DataError::Http { url: url.into(), reason };
    let addrs: Vec<_> = (u.host.as_str(), u.port)
        .to_socket_addrs()
        .map_err(|e| err(format!("cannot resolve {}: {e}", u.host)))?
        .collect();
    let mut last = None;
    let mut stream = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let stream = stream.ok_or_else(|| {
        err(format!("cannot connect: {}", last.map_or("no address".to_string(), |e| e.to_string())))
    })?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| err(e.to_string()))?;
    stream.set_write_timeout(Some(timeout)).map_err(|e| err(e.to_string()))?;
    let host_hdr = if u.port == 80 { u.host.clone() } else { format!("{}:{}", u.host, u.port) };
    let mut req = format!(
        "GET {} HTTP/1.1\r\nHost: {host_hdr}\r\nUser-Agent: potential/{}\r\nAccept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n",
        u.path,
        env!("CARGO_PKG_VERSION")
    );
    if range_from > 0 {
        req.push_str(&format!("Range: bytes={range_from}-\r\n"));
    }
    req.push_str("\r\n");
    (&stream).write_all(req.as_bytes()).map_err(|e| err(format!("sending the request: {e}")))?;

    let mut src = BufReader::with_capacity(1 << 16, Conn { stream, timeout, deadline });
    let mut line = String::new();
    let read_line = |src: &mut BufReader<Conn>, line: &mut String| -> Result<()> {
        line.clear();
        let k = src
            .by_ref()
            .take(16 * 1024)
            .read_line(line)
            .map_err(|e| err(format!("reading the response: {e}")))?;
        if k == 0 {
            return Err(err("connection closed before the response header ended".into()));
        }
        Ok(())
    };
    read_line(&mut src, &mut line)?;
    let mut parts = line.split_whitespace();
    let (Some(proto), Some(code)) = (parts.next(), parts.next()) else {
        return Err(err(format!("bad status line {line:?}")));
    };
    if !proto.starts_with("HTTP/1.") {
        return Err(err(format!("bad status line {line:?}")));
    }
    let status: u16 = code.parse().map_err(|_| err(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        read_line(&mut src, &mut line)?;
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        if headers.len() > 200 {
            return Err(err("too many header lines".into()));
        }
        let (k, v) = l.split_once(':').ok_or_else(|| err(format!("bad header line {l:?}")))?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let find = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let mode = if find("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        BodyMode::Chunked { left_in_chunk: 0, done: false }
    } else if let Some(v) = find("content-length") {
        BodyMode::Length(v.trim().parse().map_err(|_| err(format!("bad Content-Length {v:?}")))?)
    } else {
        BodyMode::Close
    };
    Ok(Response { status, headers, body: Body { src, mode } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        assert_eq!(
            Url::parse("http://127.0.0.1:8080/a/b.gz").unwrap(),
            Url { host: "127.0.0.1".into(), port: 8080, path: "/a/b.gz".into() }
        );
        assert_eq!(Url::parse("http://example.org").unwrap().path, "/");
        assert!(Url::parse("https://x/").is_err());
        assert!(Url::parse("ftp://x/").is_err());
        assert!(Url::parse("http://:80/").is_err());
        let u = Url::parse("http://h:1/d/f").unwrap();
        assert_eq!(u.join("g"), "http://h:1/d/g");
        assert_eq!(u.join("/g"), "http://h:1/g");
    }
}
