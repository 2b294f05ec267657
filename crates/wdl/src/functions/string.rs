//! String functions.
//!
//! Positions and lengths count UTF-16 code units, as .NET strings do, so
//! `length('😀')` is 2 like in the runtime.

use crate::error::ExprError;
use crate::functions::Args;
use crate::text::to_text;
use crate::value::Val;
use crate::{culture, numfmt};

/// The documented cap on strings built by `concat`, `join`, `replace`….
pub(crate) const MAX_STRING_CHARS: usize = 104_857_600;

pub(crate) fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

pub(crate) fn from_utf16(units: &[u16]) -> String {
    String::from_utf16_lossy(units)
}

/// Simple lower-case folding per UTF-16 unit, so indexes stay valid for
/// case-insensitive searches.
fn fold(units: &[u16]) -> Vec<u16> {
    units
        .iter()
        .map(|&u| {
            let Some(c) = char::from_u32(u32::from(u)) else {
                return u;
            };
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) if (l as u32) <= 0xFFFF => l as u16,
                _ => u,
            }
        })
        .collect()
}

/// All positions where `needle` occurs in `hay` (overlapping allowed).
fn find_all(hay: &[u16], needle: &[u16]) -> Vec<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return Vec::new();
    }
    (0..=hay.len() - needle.len())
        .filter(|&i| hay[i..i + needle.len()] == *needle)
        .collect()
}

pub(crate) fn check_size(len: usize) -> Result<(), ExprError> {
    if len > MAX_STRING_CHARS {
        return Err(ExprError::limit(format!(
            "the resulting string would exceed {MAX_STRING_CHARS} characters"
        )));
    }
    Ok(())
}

pub(crate) fn concat(a: &mut Args) -> Result<Val, ExprError> {
    a.count(1, None)?;
    let mut out = String::new();
    for i in 0..a.len() {
        out.push_str(&to_text(a.get(i)));
        check_size(out.len())?;
    }
    Ok(Val::Str(out))
}

fn two_strings<'a>(a: &'a Args) -> Result<(&'a str, &'a str), ExprError> {
    a.exactly(2)?;
    Ok((a.str(0)?, a.str(1)?))
}

/// `startsWith` and `endsWith` ignore case (documented).
pub(crate) fn starts_with(a: &mut Args) -> Result<Val, ExprError> {
    let (text, search) = two_strings(a)?;
    Ok(Val::Bool(
        fold(&utf16(text)).starts_with(&fold(&utf16(search))),
    ))
}

pub(crate) fn ends_with(a: &mut Args) -> Result<Val, ExprError> {
    let (text, search) = two_strings(a)?;
    Ok(Val::Bool(
        fold(&utf16(text)).ends_with(&fold(&utf16(search))),
    ))
}

/// `indexOf` ignores case (documented); an empty search text is found at 0.
pub(crate) fn index_of(a: &mut Args) -> Result<Val, ExprError> {
    let (text, search) = two_strings(a)?;
    if search.is_empty() {
        return Ok(Val::Int(0));
    }
    let found = find_all(&fold(&utf16(text)), &fold(&utf16(search)));
    Ok(Val::Int(found.first().map_or(-1, |&i| i as i64)))
}

/// `lastIndexOf` ignores case; the empty cases follow the documented table.
pub(crate) fn last_index_of(a: &mut Args) -> Result<Val, ExprError> {
    let (text, search) = two_strings(a)?;
    let text = utf16(text);
    if search.is_empty() {
        return Ok(Val::Int(if text.is_empty() {
            0
        } else {
            text.len() as i64 - 1
        }));
    }
    let found = find_all(&fold(&text), &fold(&utf16(search)));
    Ok(Val::Int(found.last().map_or(-1, |&i| i as i64)))
}

/// `nthIndexOf(text, search, n)`: the n-th occurrence (ignoring case);
/// a negative n counts from the end; -1 when there are fewer occurrences.
pub(crate) fn nth_index_of(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(3)?;
    let (text, search, n) = (a.str(0)?, a.str(1)?, a.int(2)?);
    if n == 0 {
        return Err(a.invalid("expects its third parameter 'occurrence' to be a non-zero integer."));
    }
    let found = find_all(&fold(&utf16(text)), &fold(&utf16(search)));
    let pick = if n > 0 {
        found.get((n - 1) as usize)
    } else {
        let back = n.unsigned_abs() as usize;
        found.len().checked_sub(back).and_then(|i| found.get(i))
    };
    Ok(Val::Int(pick.map_or(-1, |&i| i as i64)))
}

/// `length` works on strings and arrays only (observed: objects, null,
/// numbers, XML and binary are errors).
pub(crate) fn length(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    match a.get(0) {
        Val::Str(s) => Ok(Val::Int(s.encode_utf16().count() as i64)),
        Val::Array(items) => Ok(Val::Int(items.len() as i64)),
        _ => Err(a.type_error(0, "an array or a string")),
    }
}

/// `replace` is literal and case-sensitive and replaces every occurrence.
pub(crate) fn replace(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(3)?;
    let (text, old, new) = (a.str(0)?, a.str(1)?, a.str(2)?);
    if old.is_empty() {
        return Err(a.invalid("failed: String cannot be of zero length. (Parameter 'oldValue')"));
    }
    let count = text.matches(old).count();
    check_size(text.len() + count.saturating_mul(new.len()))?;
    Ok(Val::Str(text.replace(old, new)))
}

/// `slice(text, start, end?)`: negative positions count from the end and
/// everything is clamped, so it never fails on range.
pub(crate) fn slice(a: &mut Args) -> Result<Val, ExprError> {
    a.count(2, Some(3))?;
    let text = utf16(a.str(0)?);
    let len = text.len() as i64;
    let clamp = |i: i64| {
        let i = if i < 0 { i.saturating_add(len) } else { i };
        i.clamp(0, len) as usize
    };
    let start = clamp(a.int(1)?);
    let end = if a.has(2) {
        clamp(a.int(2)?)
    } else {
        len as usize
    };
    if end <= start {
        return Ok(Val::Str(String::new()));
    }
    Ok(Val::Str(from_utf16(&text[start..end])))
}

/// `split` is literal; an empty delimiter returns the whole text.
pub(crate) fn split(a: &mut Args) -> Result<Val, ExprError> {
    let (text, delim) = two_strings(a)?;
    if delim.is_empty() {
        return Ok(Val::Array(vec![Val::Str(text.to_owned())]));
    }
    Ok(Val::Array(
        text.split(delim).map(|s| Val::Str(s.to_owned())).collect(),
    ))
}

/// `substring` is strict about its range, unlike `slice` (message observed).
pub(crate) fn substring(a: &mut Args) -> Result<Val, ExprError> {
    a.count(2, Some(3))?;
    let text = utf16(a.str(0)?);
    let start = a.int(1)?;
    let len = text.len() as i64;
    let count = if a.has(2) {
        a.int(2)?
    } else {
        len.saturating_sub(start)
    };
    if start < 0 || count < 0 || start.saturating_add(count) > len {
        return Err(a.invalid(
            "parameters are out of range: 'start index' and 'length' must be non-negative integers and their sum must be no larger than the length of the string.",
        ));
    }
    let (s, e) = (start as usize, (start + count) as usize);
    Ok(Val::Str(from_utf16(&text[s..e])))
}

/// Invariant-culture case mapping: one-to-one only, and the Turkish dotted
/// and dotless i are left alone (observed).
fn map_case(s: &str, upper: bool) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, 'İ' | 'ı') {
                return c;
            }
            let mut mapped: Box<dyn Iterator<Item = char>> = if upper {
                Box::new(c.to_uppercase())
            } else {
                Box::new(c.to_lowercase())
            };
            match (mapped.next(), mapped.next()) {
                (Some(m), None) => m,
                _ => c,
            }
        })
        .collect()
}

pub(crate) fn to_lower(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    Ok(Val::Str(map_case(a.str(0)?, false)))
}

pub(crate) fn to_upper(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    Ok(Val::Str(map_case(a.str(0)?, true)))
}

/// `trim` removes all Unicode white space, including U+3000.
pub(crate) fn trim(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    Ok(Val::Str(a.str(0)?.trim().to_owned()))
}

/// `guid(format?)` with the .NET formats N, D, B, P and X.
pub(crate) fn guid(a: &mut Args) -> Result<Val, ExprError> {
    a.count(0, Some(1))?;
    let format = a.opt_str(0)?.unwrap_or("D");
    let g = a.ctx.new_guid();
    let d = g.hyphenated().to_string();
    let out = match format {
        "D" | "d" | "" => d,
        "N" | "n" => g.simple().to_string(),
        "B" | "b" => format!("{{{d}}}"),
        "P" | "p" => format!("({d})"),
        "X" | "x" => {
            let b = g.as_bytes();
            let hex =
                |r: std::ops::Range<usize>| r.map(|i| format!("{:02x}", b[i])).collect::<String>();
            let tail = (8..16)
                .map(|i| format!("0x{:02x}", b[i]))
                .collect::<Vec<_>>()
                .join(",");
            format!(
                "{{0x{},0x{},0x{},{{{}}}}}",
                hex(0..4),
                hex(4..6),
                hex(6..8),
                tail
            )
        }
        _ => {
            return Err(a.invalid(
                "was invoked with a format that is not valid. The format must be one of 'N', 'D', 'B', 'P' or 'X'.",
            ));
        }
    };
    Ok(Val::Str(out))
}

/// `formatNumber(number, format, locale?)`: .NET numeric formatting.
pub(crate) fn format_number(a: &mut Args) -> Result<Val, ExprError> {
    a.count(2, Some(3))?;
    let n = a.num(0)?;
    let format = a.str(1)?;
    let locale = a.opt_str(2)?.unwrap_or("en-US");
    let culture = culture::find(locale).ok_or_else(|| {
        a.invalid(format!(
            "was invoked with a locale '{locale}' that is not valid or has no associated culture."
        ))
    })?;
    numfmt::number::format(n, format, culture)
        .map(Val::Str)
        .map_err(|m| a.invalid(m))
}
