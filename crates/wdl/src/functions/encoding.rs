//! Base64, binary, data-URI and URI-component functions.
//!
//! Binary results are content envelopes (`{"$content-type", "$content"}`),
//! as the runtime returns them. Where the runtime keeps the caller's base64
//! text verbatim (observed: `base64ToBinary('aGVsbG8 gd29ybGQ=')` keeps the
//! space) we do too.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::error::ExprError;
use crate::functions::Args;
use crate::text::{to_json_text, to_text};
use crate::value::{Obj, Val, decode_b64};

/// The bytes a value stands for: a content envelope's payload, otherwise the
/// UTF-8 of its display form.
fn bytes_of(v: &Val) -> Vec<u8> {
    match v.as_content() {
        Some(c) => c.bytes,
        None => to_text(v).into_bytes(),
    }
}

fn envelope_verbatim(content_type: &str, b64: &str) -> Val {
    Val::Object(Obj(vec![
        (
            "$content-type".to_owned(),
            Val::Str(content_type.to_owned()),
        ),
        ("$content".to_owned(), Val::Str(b64.to_owned())),
    ]))
}

pub(crate) fn base64(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    Ok(Val::Str(B64.encode(bytes_of(a.get(0)))))
}

fn bad_base64(a: &Args) -> ExprError {
    a.invalid("was invoked with a parameter that is not a valid base64 string.")
}

pub(crate) fn base64_to_string(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let bytes = decode_b64(a.str(0)?).ok_or_else(|| bad_base64(a))?;
    Ok(Val::Str(String::from_utf8_lossy(&bytes).into_owned()))
}

pub(crate) fn base64_to_binary(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let text = a.str(0)?;
    decode_b64(text).ok_or_else(|| bad_base64(a))?;
    Ok(envelope_verbatim("application/octet-stream", text))
}

/// `binary(value)`: the value's bytes as `application/octet-stream`.
pub(crate) fn binary(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    if *a.get(0) == Val::Null {
        return Err(a.type_error(0, "a string, a number, an array or an object"));
    }
    Ok(Val::binary(&bytes_of(a.get(0))))
}

/// `dataUri(value)`: strings are `text/plain`, XML keeps its content type,
/// everything else is serialised as `application/json` (observed).
pub(crate) fn data_uri(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let v = a.get(0);
    let (ct, bytes) = match v {
        Val::Null => return Err(a.type_error(0, "a value that is not null")),
        Val::Str(s) => ("text/plain;charset=utf-8".to_owned(), s.as_bytes().to_vec()),
        Val::Array(_) => (
            "application/json;charset=utf-8".to_owned(),
            to_json_text(v).into_bytes(),
        ),
        Val::Object(_) => match v.as_content() {
            Some(c) => (c.content_type.clone(), c.bytes),
            None => (
                "application/json;charset=utf-8".to_owned(),
                to_json_text(v).into_bytes(),
            ),
        },
        other => (
            "application/json;charset=utf-8".to_owned(),
            to_text(other).into_bytes(),
        ),
    };
    Ok(Val::Str(format!("data:{ct};base64,{}", B64.encode(bytes))))
}

/// A parsed `data:` URI.
struct DataUri {
    content_type: String,
    charset: Option<String>,
    base64: bool,
    data: String,
}

const KNOWN_CHARSETS: &[&str] = &[
    "utf-8",
    "utf8",
    "us-ascii",
    "ascii",
    "utf-16",
    "utf-16le",
    "utf-16be",
    "unicode",
    "iso-8859-1",
    "latin1",
    "windows-1252",
    "utf-32",
];

fn parse_data_uri(uri: &str) -> Result<DataUri, String> {
    let bad = || {
        format!(
            "the value '{}' is not a valid data URI.",
            uri.chars().take(60).collect::<String>()
        )
    };
    let rest = uri
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("data:"))
        .map(|_| &uri[5..])
        .ok_or_else(bad)?;
    let (header, data) = rest.split_once(',').ok_or_else(bad)?;
    let mut parts: Vec<&str> = header.split(';').collect();
    let mut base64 = false;
    if parts.len() == 1 && parts[0].eq_ignore_ascii_case("base64") {
        base64 = true;
        parts[0] = "";
    } else if parts.len() > 1
        && parts
            .last()
            .is_some_and(|p| p.eq_ignore_ascii_case("base64"))
    {
        base64 = true;
        parts.pop();
    }
    let mime = parts[0].trim();
    if !mime.is_empty() && (mime.matches('/').count() != 1 || mime.contains(' ')) {
        return Err(bad());
    }
    let mut charset = None;
    for p in &parts[1..] {
        let (k, v) = p.split_once('=').ok_or_else(bad)?;
        if k.is_empty() || v.contains('=') {
            return Err(bad());
        }
        if k.eq_ignore_ascii_case("charset") {
            if !KNOWN_CHARSETS.iter().any(|c| c.eq_ignore_ascii_case(v)) {
                return Err(format!(
                    "the character set '{v}' of the data URI is not supported."
                ));
            }
            charset = Some(v.to_owned());
        }
    }
    let mut ct = if mime.is_empty() {
        "text/plain".to_owned()
    } else {
        parts[0].to_owned()
    };
    for p in &parts[1..] {
        ct.push(';');
        ct.push_str(p);
    }
    Ok(DataUri {
        content_type: ct,
        charset,
        base64,
        data: data.to_owned(),
    })
}

/// Percent-decoding; with `plus_is_space` a `+` becomes a space (data URIs).
pub(crate) fn percent_decode(s: &str, plus_is_space: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |x: u8| char::from(x).to_digit(16);
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    out
}

fn data_uri_bytes(a: &Args, d: &DataUri) -> Result<Vec<u8>, ExprError> {
    if d.base64 {
        decode_b64(&d.data).ok_or_else(|| bad_base64(a))
    } else {
        Ok(percent_decode(&d.data, true))
    }
}

pub(crate) fn data_uri_to_binary(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let d = parse_data_uri(a.str(0)?).map_err(|m| a.invalid(m))?;
    if d.base64 {
        data_uri_bytes(a, &d)?;
        return Ok(envelope_verbatim(&d.content_type, &d.data));
    }
    Ok(Val::content(&d.content_type, &data_uri_bytes(a, &d)?))
}

/// `dataUriToString`: only UTF-8 (or unspecified) character sets decode
/// (observed: `charset=ascii` is refused).
pub(crate) fn data_uri_to_string(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let d = parse_data_uri(a.str(0)?).map_err(|m| a.invalid(m))?;
    if let Some(cs) = &d.charset
        && !cs.eq_ignore_ascii_case("utf-8")
    {
        return Err(a.invalid(format!("cannot decode the character set '{cs}'.")));
    }
    let bytes = data_uri_bytes(a, &d)?;
    Ok(Val::Str(String::from_utf8_lossy(&bytes).into_owned()))
}

/// .NET `Uri.EscapeDataString`: everything but `A–Z a–z 0–9 - _ . ~` is
/// percent-encoded as UTF-8 with upper-case hex.
pub(crate) fn escape_data_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn uri_component(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    Ok(Val::Str(escape_data_string(&to_text(a.get(0)))))
}

pub(crate) fn uri_component_to_string(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let bytes = percent_decode(a.str(0)?, false);
    Ok(Val::Str(String::from_utf8_lossy(&bytes).into_owned()))
}

pub(crate) fn uri_component_to_binary(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    Ok(Val::binary(&percent_decode(a.str(0)?, false)))
}
