//! HTTP/1.1 framing for the backend client, without I/O (RFC 9112): the request head, the
//! response head and how its body is delimited, and chunked decoding. The client owns the
//! sockets ([`super::client`]); everything here works on byte slices, so it is tested byte by
//! byte, including input split at every position.

use std::io::Write as _;

use bytes::Bytes;
use http::Method;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::engine::forward::is_hop_by_hop;

/// Most response headers accepted.
const MAX_HEADERS: usize = 128;

/// A malformed message from the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError(pub String);

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(msg: impl Into<String>) -> WireError {
    WireError(msg.into())
}

/// How a response body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (HEAD, 1xx, 204, 304, or `Content-Length: 0`).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the backend closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug)]
pub struct ResponseHead {
    /// Status code.
    pub status: u16,
    /// Headers as received, less the connection's own (hop-by-hop) fields.
    pub headers: HeaderMap,
    /// How the body is delimited.
    pub framing: Framing,
    /// Whether the connection may carry another request afterwards.
    pub keep_alive: bool,
}

/// Writes the request head and, when small, the body, into `out`: one buffer, one write.
/// `Host` comes from `authority` unless `headers` has one; `Content-Length` and
/// `Transfer-Encoding` are always this function's, from `body`.
pub fn encode_request(
    method: &Method,
    target: &str,
    authority: &str,
    headers: &HeaderMap,
    body: &[u8],
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    if !headers.contains_key(header::HOST) {
        out.extend_from_slice(b"host: ");
        out.extend_from_slice(authority.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for (name, value) in headers {
        if name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    // RFC 9110 §8.6: a length goes with every body, and with an empty one when the method
    // gives content a meaning.
    let bodiless = matches!(
        *method,
        Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS | Method::TRACE
    );
    if !body.is_empty() || !bodiless {
        // Writing into a Vec cannot fail.
        let _ = write!(out, "content-length: {}\r\n", body.len());
    }
    out.extend_from_slice(b"\r\n");
}

/// An upper bound of what [`encode_request`] writes for the head, so the buffer is allocated
/// once (a bearer token alone is over a kilobyte).
pub fn request_head_len(
    method: &Method,
    target: &str,
    authority: &str,
    headers: &HeaderMap,
) -> usize {
    let fields: usize = headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    // Request line, `host: …`, `content-length: <20 digits>` and the blank line.
    method.as_str().len() + target.len() + 12 + authority.len() + 8 + fields + 40 + 2
}

/// Whether the request asks to close the connection afterwards.
pub fn request_closes(headers: &HeaderMap) -> bool {
    has_token(headers, "close")
}

fn has_token(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Parses a response head at the start of `buf`: `Ok(None)` until it is complete, then the
/// bytes it took and the head. Interim (1xx) responses come back like any other; the caller
/// skips them. Header values are slices of `buf`, not copies.
///
/// The connection's own fields (RFC 9110 §7.6.1: `Connection`, the fields it names, and the
/// other hop-by-hop ones) are read here for framing and keep-alive, and left out of
/// `headers`, which holds what may be forwarded.
pub fn parse_response_head(
    buf: &Bytes,
    method: &Method,
) -> Result<Option<(usize, ResponseHead)>, WireError> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut slots);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(bad(format!("invalid response head: {e}"))),
    };
    let status = resp.code.unwrap_or(0);
    let minor = resp.version.unwrap_or(0);
    if status == 101 {
        return Err(bad("unexpected 101 Switching Protocols"));
    }
    let connection = Connection::read(resp.headers);
    let mut headers = HeaderMap::with_capacity(resp.headers.len());
    for h in resp.headers.iter() {
        if is_hop_by_hop(h.name) || (connection.names_others && connection.names(h.name)) {
            continue;
        }
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| bad(format!("invalid header name {:?}", h.name)))?;
        let value = HeaderValue::from_maybe_shared(buf.slice_ref(h.value))
            .map_err(|_| bad(format!("invalid value of header {}", h.name)))?;
        headers.append(name, value);
    }
    let mut keep_alive = if minor >= 1 {
        !connection.close
    } else {
        connection.keep_alive
    };
    let framing = if *method == Method::HEAD
        || (100..200).contains(&status)
        || status == 204
        || status == 304
    {
        Framing::Empty
    } else if let Some(chunked_last) = connection.chunked_last {
        // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, and such a message must
        // not be followed by another on the same connection.
        if headers.contains_key(header::CONTENT_LENGTH) {
            keep_alive = false;
        }
        if chunked_last {
            Framing::Chunked
        } else {
            keep_alive = false;
            Framing::UntilClose
        }
    } else if let Some(n) = content_length(&headers)? {
        if n == 0 {
            Framing::Empty
        } else {
            Framing::Length(n)
        }
    } else {
        keep_alive = false;
        Framing::UntilClose
    };
    Ok(Some((
        len,
        ResponseHead {
            status,
            headers,
            framing,
            keep_alive,
        },
    )))
}

/// A field value as text, if ASCII (as `HeaderValue::to_str` reads it).
fn ascii(value: &[u8]) -> Option<&str> {
    std::str::from_utf8(value).ok().filter(|v| v.is_ascii())
}

/// What a response's `Connection` and `Transfer-Encoding` fields say, read from the parsed
/// slots (neither is kept in the forwarded headers).
struct Connection<'a> {
    slots: &'a [httparse::Header<'a>],
    close: bool,
    keep_alive: bool,
    /// `Connection` names a field that is not hop-by-hop anyway (rare): it must go too.
    names_others: bool,
    /// With `Transfer-Encoding`: whether its last coding is `chunked`.
    chunked_last: Option<bool>,
}

impl<'a> Connection<'a> {
    fn read(slots: &'a [httparse::Header<'a>]) -> Self {
        let mut c = Connection {
            slots,
            close: false,
            keep_alive: false,
            names_others: false,
            chunked_last: None,
        };
        for token in c.tokens() {
            c.close |= token.eq_ignore_ascii_case("close");
            c.keep_alive |= token.eq_ignore_ascii_case("keep-alive");
            c.names_others |= !is_hop_by_hop(token);
        }
        for h in slots {
            if h.name.eq_ignore_ascii_case("transfer-encoding") {
                let last = ascii(h.value)
                    .unwrap_or("?")
                    .split(',')
                    .map(str::trim)
                    .rfind(|t| !t.is_empty());
                // A later field's last coding is the message's last one.
                if let Some(t) = last {
                    c.chunked_last = Some(t.eq_ignore_ascii_case("chunked"));
                } else {
                    c.chunked_last.get_or_insert(false);
                }
            }
        }
        c
    }

    /// The tokens of every `Connection` field.
    fn tokens(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.slots
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("connection"))
            .flat_map(|h| ascii(h.value).unwrap_or("").split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    /// Whether `Connection` names the field `name`.
    fn names(&self, name: &str) -> bool {
        self.tokens().any(|t| t.eq_ignore_ascii_case(name))
    }
}

/// Whether `buf` holds a blank line (`\n\n` or `\n\r\n`), without which no head is complete:
/// a cheap test before parsing. Only the line ends are visited (`memchr`), not every byte.
pub fn has_blank_line(buf: &[u8]) -> bool {
    memchr::memchr_iter(b'\n', buf).any(|i| match buf.get(i + 1) {
        Some(b'\n') => true,
        Some(b'\r') => buf.get(i + 2) == Some(&b'\n'),
        _ => false,
    })
}

/// The `Content-Length`, if any; differing or malformed values are an error (RFC 9112 §6.3,
/// item 5), repeated equal ones are one value.
fn content_length(headers: &HeaderMap) -> Result<Option<u64>, WireError> {
    let mut found: Option<u64> = None;
    for v in headers.get_all(header::CONTENT_LENGTH) {
        for part in v.as_bytes().split(|b| *b == b',') {
            let part = part.trim_ascii();
            let n = (!part.is_empty() && part.iter().all(u8::is_ascii_digit))
                .then(|| std::str::from_utf8(part).ok()?.parse::<u64>().ok())
                .flatten()
                .ok_or_else(|| bad("invalid Content-Length"))?;
            if found.is_some_and(|f| f != n) {
                return Err(bad("conflicting Content-Length values"));
            }
            found = Some(n);
        }
    }
    Ok(found)
}

/// Decodes a chunked body as it arrives.
#[derive(Debug, Default)]
pub struct Chunked {
    in_trailers: bool,
    done: bool,
}

impl Chunked {
    /// Whether the last chunk and the trailers were read.
    pub fn done(&self) -> bool {
        self.done
    }

    /// Decodes the complete chunks at the start of `buf` into `out` (which must stay within
    /// `max` bytes) and returns how many bytes of `buf` they took; a chunk not yet complete is
    /// left for the next call. Trailer fields are read and dropped.
    pub fn decode(
        &mut self,
        buf: &[u8],
        out: &mut Vec<u8>,
        max: usize,
    ) -> Result<usize, WireError> {
        let mut at = 0;
        while !self.done {
            let rest = &buf[at..];
            if self.in_trailers {
                let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else {
                    return Ok(at);
                };
                at += end + 2;
                self.done = end == 0;
                continue;
            }
            let (size_len, size) = match httparse::parse_chunk_size(rest) {
                Ok(httparse::Status::Complete(c)) => c,
                Ok(httparse::Status::Partial) => return Ok(at),
                Err(_) => return Err(bad("invalid chunk size")),
            };
            if size == 0 {
                at += size_len;
                self.in_trailers = true;
                continue;
            }
            let size = usize::try_from(size)
                .ok()
                .filter(|s| out.len().saturating_add(*s) <= max)
                .ok_or_else(|| bad(format!("response body over {max} bytes")))?;
            let end = size_len + size;
            if rest.len() < end + 2 {
                return Ok(at);
            }
            if &rest[end..end + 2] != b"\r\n" {
                return Err(bad("chunk not followed by CRLF"));
            }
            out.extend_from_slice(&rest[size_len..end]);
            at += end + 2;
        }
        Ok(at)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(raw: &[u8], method: &Method) -> Result<Option<(usize, ResponseHead)>, WireError> {
        parse_response_head(&Bytes::copy_from_slice(raw), method)
    }

    fn head(raw: &str) -> ResponseHead {
        parse(raw.as_bytes(), &Method::GET).unwrap().unwrap().1
    }

    #[test]
    fn request_head_has_host_length_and_the_caller_headers() {
        let mut h = HeaderMap::new();
        h.insert("x-a", HeaderValue::from_static("1"));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("999"));
        h.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        let mut out = Vec::new();
        encode_request(&Method::POST, "/p?q=1", "b:8080", &h, b"hello", &mut out);
        assert!(out.len() <= request_head_len(&Method::POST, "/p?q=1", "b:8080", &h));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "POST /p?q=1 HTTP/1.1\r\nhost: b:8080\r\nx-a: 1\r\ncontent-length: 5\r\n\r\n"
        );
        let mut out = Vec::new();
        h.clear();
        h.insert(header::HOST, HeaderValue::from_static("front"));
        encode_request(&Method::GET, "/", "b", &h, b"", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "GET / HTTP/1.1\r\nhost: front\r\n\r\n"
        );
        let mut out = Vec::new();
        let huge = vec![b'7'; 1 << 20];
        encode_request(&Method::PUT, "/", "b", &HeaderMap::new(), &huge, &mut out);
        assert!(out.len() <= request_head_len(&Method::PUT, "/", "b", &HeaderMap::new()));
        assert!(out.ends_with(b"content-length: 1048576\r\n\r\n"));
        let mut out = Vec::new();
        encode_request(&Method::PUT, "/", "b", &HeaderMap::new(), b"", &mut out);
        assert!(
            String::from_utf8(out)
                .unwrap()
                .ends_with("content-length: 0\r\n\r\n")
        );
    }

    #[test]
    fn framing_follows_rfc_9112() {
        let h = head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX: y\r\n\r\n");
        assert_eq!(
            (h.status, h.framing, h.keep_alive),
            (200, Framing::Length(12), true)
        );
        assert_eq!(h.headers["x"], "y");
        let h = head("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n");
        assert_eq!(h.framing, Framing::Length(3));
        let h = head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, true));
        let h = head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, false));
        let h = head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::UntilClose, false));
        let h = head("HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::UntilClose, false));
        let h = head("HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::Empty, true));
        let h = head("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: Close\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::Empty, false));
        let h = head("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n");
        assert!(!h.keep_alive);
        let h = head("HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n");
        assert!(h.keep_alive);
        let h = head("HTTP/1.1 100 Continue\r\n\r\n");
        assert_eq!((h.status, h.framing), (100, Framing::Empty));
        let (_, h) = parse(
            b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
            &Method::HEAD,
        )
        .unwrap()
        .unwrap();
        assert_eq!(h.framing, Framing::Empty);
    }

    #[test]
    fn the_connections_own_fields_are_read_not_kept() {
        let h = head(
            "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Private\r\nKeep-Alive: timeout=5\r\n\
             X-Private: 1\r\nX-Kept: 2\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: , chunked\r\n\
             Upgrade: h2c\r\nTE: trailers\r\nTrailer: X-T\r\nProxy-Authenticate: Basic\r\n\r\n",
        );
        assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, true));
        let names: Vec<&str> = h.headers.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["x-kept"]);
        // Named in Connection in any case; a later Transfer-Encoding field's last coding counts.
        let h = head(
            "HTTP/1.1 200 OK\r\nx-private: 1\r\nCONNECTION: X-PRIVATE\r\nConnection: close\r\n\
             Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\nX-Kept: 2\r\n\r\n",
        );
        assert_eq!((h.framing, h.keep_alive), (Framing::UntilClose, false));
        let names: Vec<&str> = h.headers.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["x-kept"]);
        for name in [
            "te",
            "trailer",
            "upgrade",
            "connection",
            "Keep-Alive",
            "transfer-encoding",
        ] {
            assert!(is_hop_by_hop(name), "{name}");
        }
        for name in [
            "tf",
            "trailers",
            "connexion",
            "x-upgrade",
            "content-length",
            "",
        ] {
            assert!(!is_hop_by_hop(name), "{name}");
        }
    }

    #[test]
    fn malformed_heads_are_errors_and_partial_heads_wait() {
        for raw in [
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols\r\n\r\n",
            "HTTX/1.1 200 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        ] {
            assert!(parse(raw.as_bytes(), &Method::GET).is_err(), "{raw:?}");
        }
        let full = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        for cut in 0..full.len() - 2 {
            assert!(
                parse(&full[..cut], &Method::GET).unwrap().is_none(),
                "{cut}"
            );
        }
        let (n, _) = parse(full, &Method::GET).unwrap().unwrap();
        assert_eq!(&full[n..], b"ok");
        // A complete head always holds a blank line (the client parses only then), with CRLF
        // or bare LF line ends.
        let lf = b"HTTP/1.1 204 No Content\nX: y\n\n";
        for raw in [&full[..], &lf[..]] {
            for cut in 0..=raw.len() {
                if parse(&raw[..cut], &Method::GET).is_ok_and(|h| h.is_some()) {
                    assert!(has_blank_line(&raw[..cut]), "{cut}");
                }
            }
        }
        assert!(parse(lf, &Method::GET).unwrap().is_some());
        assert!(!has_blank_line(b"HTTP/1.1 200 OK\r\nX: y\r\n"));
    }

    #[test]
    fn chunked_bodies_decode_however_they_arrive() {
        let wire = b"5;ext=1\r\nhello\r\n1\r\n \r\nB\r\nchunked rfc\r\n0\r\nTrailer: x\r\n\r\nNEXT";
        let body_end = wire.len() - 4;
        // Fed one growing prefix at a time, as reads would deliver it.
        for step in 1..=wire.len() {
            let mut dec = Chunked::default();
            let (mut buf, mut out, mut fed) = (Vec::new(), Vec::new(), 0);
            while !dec.done() {
                let next = (fed + step).min(wire.len());
                buf.extend_from_slice(&wire[fed..next]);
                fed = next;
                let used = dec.decode(&buf, &mut out, 1024).unwrap();
                buf.drain(..used);
                assert!(fed < wire.len() || dec.done(), "stalled at step {step}");
            }
            assert_eq!(out, b"hello chunked rfc", "step {step}");
            assert_eq!(fed - buf.len(), body_end, "nothing past the body is taken");
        }
    }

    #[test]
    fn bad_chunks_and_oversized_bodies_are_errors() {
        let mut out = Vec::new();
        assert!(Chunked::default().decode(b"zz\r\n", &mut out, 10).is_err());
        assert!(
            Chunked::default()
                .decode(b"2\r\nabX\r\n", &mut out, 10)
                .is_err()
        );
        assert!(Chunked::default().decode(b"b\r\n", &mut out, 10).is_err());
        assert!(
            Chunked::default()
                .decode(b"ffffffffffffffffff\r\n", &mut out, 10)
                .is_err()
        );
    }
}
