//! An absolute `http(s)` URL split into what one backend request needs: where to connect, the
//! `Host` header and the request target. The URL is read in place, without `http::Uri`'s copy
//! and allocations, every request; and checked as strictly as the request head needs: no
//! control characters or spaces anywhere, host names of DNS or IP-literal characters, numeric
//! ports. Like `http::Uri`, the path and query may hold UTF-8 (a raw path a client sent).

use std::borrow::Cow;

/// A URL's parts for one request.
#[derive(Debug, PartialEq, Eq)]
pub struct Target<'a> {
    /// `https://` (else `http://`).
    pub https: bool,
    /// The host, without an IPv6 literal's brackets: what is connected to.
    pub host: &'a str,
    /// The port, the scheme's default when the URL has none.
    pub port: u16,
    /// The authority without userinfo: the `Host` header. Credentials in a URL must not travel
    /// in a header (RFC 9110 §7.2).
    pub host_header: &'a str,
    /// Path and query, `/` when the path is empty; a fragment is never sent (RFC 9110 §7.1).
    pub path: Cow<'a, str>,
}

/// Why a URL cannot be requested.
#[derive(Debug, PartialEq, Eq)]
pub enum TargetError {
    /// Not a URL, or not one a request can be made from.
    Invalid,
    /// A scheme other than `http` or `https`.
    UnsupportedScheme(String),
}

/// Splits `url`.
pub fn parse(url: &str) -> Result<Target<'_>, TargetError> {
    use TargetError::Invalid;
    let (scheme, rest) = url.split_once("://").ok_or(Invalid)?;
    let https = if scheme.eq_ignore_ascii_case("https") {
        true
    } else if scheme.eq_ignore_ascii_case("http") {
        false
    } else {
        return Err(TargetError::UnsupportedScheme(scheme.to_owned()));
    };
    // One pass: where the authority ends, where a fragment starts, and no control or space
    // (which could break the request head; UTF-8 beyond ASCII cannot, and the host's own
    // characters are checked below). A fragment is not sent, so not read.
    let (mut end, mut fragment) = (None, rest.len());
    for (i, b) in rest.bytes().enumerate() {
        match b {
            b'#' => {
                end.get_or_insert(i);
                fragment = i;
                break;
            }
            b'/' | b'?' => {
                end.get_or_insert(i);
            }
            b if b.is_ascii_graphic() || !b.is_ascii() => {}
            _ => return Err(Invalid),
        }
    }
    let (authority, tail) = rest[..fragment].split_at(end.unwrap_or(fragment));
    let host_header = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match host_header.strip_prefix('[') {
        Some(literal) => {
            let (host, after) = literal.split_once(']').ok_or(Invalid)?;
            let ipv6 = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
            if host.is_empty() || !host.bytes().all(ipv6) {
                return Err(Invalid);
            }
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or(Invalid)?),
            };
            (host, port)
        }
        None => {
            let (host, port) = match host_header.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (host_header, None),
            };
            let name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
            if host.is_empty() || !host.bytes().all(name) {
                return Err(Invalid);
            }
            (host, port)
        }
    };
    let port = match port {
        // An empty port is the default one (RFC 3986 §3.2.3).
        None | Some("") => {
            if https {
                443
            } else {
                80
            }
        }
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => p.parse().map_err(|_| Invalid)?,
        Some(_) => return Err(Invalid),
    };
    let path = if tail.starts_with('/') {
        Cow::Borrowed(tail)
    } else {
        // Empty, or a query alone: the origin form starts with `/` (RFC 9112 §3.2.1).
        Cow::Owned(format!("/{tail}"))
    };
    Ok(Target {
        https,
        host,
        port,
        host_header,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str) -> (bool, &str, u16, &str, String) {
        let t = parse(url).unwrap_or_else(|e| panic!("{url}: {e:?}"));
        (t.https, t.host, t.port, t.host_header, t.path.into_owned())
    }

    #[test]
    fn urls_split_into_connection_host_and_target() {
        assert_eq!(
            ok("http://a.example:8080/p/q?x=1&y=%20#frag"),
            (
                false,
                "a.example",
                8080,
                "a.example:8080",
                "/p/q?x=1&y=%20".into()
            )
        );
        assert_eq!(ok("HTTPS://Host"), (true, "Host", 443, "Host", "/".into()));
        assert_eq!(ok("http://h:/x"), (false, "h", 80, "h:", "/x".into()));
        assert_eq!(ok("http://h?x=1"), (false, "h", 80, "h", "/?x=1".into()));
        assert_eq!(ok("http://h#f"), (false, "h", 80, "h", "/".into()));
        assert_eq!(
            ok("https://[::1]:9443/v"),
            (true, "::1", 9443, "[::1]:9443", "/v".into())
        );
        assert_eq!(
            ok("http://[fe80::1]"),
            (false, "fe80::1", 80, "[fe80::1]", "/".into())
        );
        assert_eq!(
            ok("http://user:pw@10.0.0.1:81/u"),
            (false, "10.0.0.1", 81, "10.0.0.1:81", "/u".into())
        );
        assert_eq!(ok("http://h/{a}|b"), (false, "h", 80, "h", "/{a}|b".into()));
        assert_eq!(
            ok("http://h/\u{e9}?q=\u{e9}"),
            (false, "h", 80, "h", "/\u{e9}?q=\u{e9}".into())
        );
    }

    #[test]
    fn urls_that_could_break_the_request_head_are_refused() {
        for url in [
            "",
            "h/p",
            "http://h/a b",
            "http://h/a\r\nx: y",
            "http://h/\t",
            "http://h/\u{7f}",
            "http://h\u{e9}/",
            "http:///p",
            "http://:80/p",
            "http://h:99999/",
            "http://h:8x/",
            "http://h:-1/",
            "http://h:1:2/",
            "http://[::1/",
            "http://[]/",
            "http://[::1]x/",
            "http://[g::1]/",
            "http://h$x/",
            "http://u@/p",
        ] {
            assert_eq!(parse(url), Err(TargetError::Invalid), "{url:?}");
        }
        assert_eq!(
            parse("ftp://x/"),
            Err(TargetError::UnsupportedScheme("ftp".into()))
        );
    }
}
