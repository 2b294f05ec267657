//! Finding the end of a C# region (`@(…)` / `@{…}`) inside rawxml: balanced brackets,
//! skipping string literals (regular, verbatim `@"…"`, interpolated `$"…{hole}…"` with nested
//! quotes in holes), char literals and comments. Bounded nesting, never panics.

use super::xml::XmlError;

/// Deepest bracket nesting accepted inside one expression.
const MAX_EXPR_DEPTH: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    Paren,
    Bracket,
    Brace,
    /// An interpolated string; `true` when verbatim (`$@"…"`).
    Interp(bool),
    /// A `{…}` hole inside an interpolated string.
    Hole,
}

/// Scans the C# region starting at `start` (which holds `@(` or `@{`) and returns the offset
/// just past its matching closer.
pub fn scan_expression(b: &[u8], start: usize) -> Result<usize, XmlError> {
    let err = |offset: usize, message: &str| XmlError {
        offset: offset.min(b.len()),
        message: message.to_owned(),
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = start + 1;
    loop {
        if stack.len() > MAX_EXPR_DEPTH {
            return Err(err(i, "expression nested too deeply"));
        }
        let Some(&c) = b.get(i) else {
            return Err(err(start, "unterminated expression"));
        };
        if let Some(Frame::Interp(verbatim)) = stack.last().copied() {
            let next = b.get(i + 1).copied();
            match c {
                b'{' if next == Some(b'{') => i += 2,
                b'}' if next == Some(b'}') => i += 2,
                b'{' => {
                    stack.push(Frame::Hole);
                    i += 1;
                }
                b'"' if verbatim && next == Some(b'"') => i += 2,
                b'"' => {
                    stack.pop();
                    i += 1;
                }
                b'\\' if !verbatim => i += 2,
                _ => i += 1,
            }
            continue;
        }
        let next = b.get(i + 1).copied();
        let next2 = b.get(i + 2).copied();
        match c {
            b'"' => {
                i = skip_string(b, i + 1, false).ok_or_else(|| err(i, "unterminated string"))?
            }
            b'@' if next == Some(b'"') => {
                i = skip_string(b, i + 2, true).ok_or_else(|| err(i, "unterminated string"))?;
            }
            b'$' if next == Some(b'"') => {
                stack.push(Frame::Interp(false));
                i += 2;
            }
            b'$' | b'@' if matches!((next, next2), (Some(b'@' | b'$'), Some(b'"'))) => {
                stack.push(Frame::Interp(true));
                i += 3;
            }
            b'\'' => i = skip_char(b, i + 1).ok_or_else(|| err(i, "unterminated char literal"))?,
            b'/' if next == Some(b'/') => {
                while b.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            b'/' if next == Some(b'*') => {
                let end = b
                    .get(i + 2..)
                    .and_then(|r| r.windows(2).position(|w| w == b"*/"))
                    .ok_or_else(|| err(i, "unterminated comment"))?;
                i += end + 4;
            }
            b'(' => {
                stack.push(Frame::Paren);
                i += 1;
            }
            b'[' => {
                stack.push(Frame::Bracket);
                i += 1;
            }
            b'{' => {
                stack.push(Frame::Brace);
                i += 1;
            }
            b')' | b']' | b'}' => {
                let ok = matches!(
                    (stack.pop(), c),
                    (Some(Frame::Paren), b')')
                        | (Some(Frame::Bracket), b']')
                        | (Some(Frame::Brace | Frame::Hole), b'}')
                );
                if !ok {
                    return Err(err(i, "unbalanced bracket in expression"));
                }
                i += 1;
                if stack.is_empty() {
                    return Ok(i);
                }
            }
            _ => i += 1,
        }
    }
}

/// Skips a string body starting after its opening quote; returns the offset past the close.
fn skip_string(b: &[u8], mut i: usize, verbatim: bool) -> Option<usize> {
    loop {
        match b.get(i)? {
            b'\\' if !verbatim => i += 2,
            b'"' if verbatim && b.get(i + 1) == Some(&b'"') => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

fn skip_char(b: &[u8], mut i: usize) -> Option<usize> {
    let limit = i + 12;
    while i < limit {
        match b.get(i)? {
            b'\\' => i += 2,
            b'\'' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}
