//! URI parsing functions, following .NET `System.Uri` for absolute URIs.

use crate::error::ExprError;
use crate::functions::Args;
use crate::value::Val;

/// The parts of an absolute URI.
struct Parts<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<u16>,
    path: &'a str,
    query: &'a str,
}

fn default_port(scheme: &str) -> i64 {
    match scheme {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        "ftp" => 21,
        "sftp" | "ssh" => 22,
        "telnet" => 23,
        "smtp" => 25,
        "ldap" => 389,
        "ldaps" => 636,
        _ => -1,
    }
}

fn split(uri: &str) -> Option<Parts<'_>> {
    let uri = uri.trim();
    let (scheme, rest) = uri.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return None;
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let after = &rest[authority_end..];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        let (h, tail) = v6.split_once(']')?;
        let port = tail.strip_prefix(':').map(str::parse).transpose().ok()?;
        (&host_port[..h.len() + 2], port)
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) if !p.is_empty() => (h, Some(p.parse().ok()?)),
            Some((h, _)) => (h, None),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let after = after.split('#').next().unwrap_or("");
    let (path, query) = match after.find('?') {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, ""),
    };
    Some(Parts {
        scheme,
        host,
        port,
        path,
        query,
    })
}

fn parts<'a>(a: &'a Args) -> Result<Parts<'a>, ExprError> {
    a.exactly(1)?;
    let s = a.str(0)?;
    split(s).ok_or_else(|| {
        a.invalid(format!(
            "was invoked with a parameter that is not valid. The value '{s}' is not an absolute URI."
        ))
    })
}

pub(crate) fn uri_host(a: &mut Args) -> Result<Val, ExprError> {
    Ok(Val::Str(parts(a)?.host.to_ascii_lowercase()))
}

/// `uriPath`: `/` when the URI has no path (documented).
pub(crate) fn uri_path(a: &mut Args) -> Result<Val, ExprError> {
    let p = parts(a)?;
    Ok(Val::Str(if p.path.is_empty() {
        "/".to_owned()
    } else {
        p.path.to_owned()
    }))
}

pub(crate) fn uri_path_and_query(a: &mut Args) -> Result<Val, ExprError> {
    let p = parts(a)?;
    let path = if p.path.is_empty() { "/" } else { p.path };
    Ok(Val::Str(format!("{path}{}", p.query)))
}

/// `uriPort`: the scheme's default port when none is given (documented).
pub(crate) fn uri_port(a: &mut Args) -> Result<Val, ExprError> {
    let p = parts(a)?;
    Ok(Val::Int(p.port.map_or_else(
        || default_port(&p.scheme.to_ascii_lowercase()),
        i64::from,
    )))
}

/// `uriQuery`: includes the leading `?`.
pub(crate) fn uri_query(a: &mut Args) -> Result<Val, ExprError> {
    Ok(Val::Str(parts(a)?.query.to_owned()))
}

pub(crate) fn uri_scheme(a: &mut Args) -> Result<Val, ExprError> {
    Ok(Val::Str(parts(a)?.scheme.to_ascii_lowercase()))
}
