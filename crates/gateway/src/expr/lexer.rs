//! Tokens of the C# subset used in policy expressions.

use super::ExprError;

/// A piece of an interpolated string.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Literal text (escapes and `{{`/`}}` already decoded).
    Lit(String),
    /// A `{expr[:format]}` hole: its source and offset, for a nested parse.
    Hole {
        /// The expression source.
        src: String,
        /// Offset of `src` in the enclosing expression.
        offset: usize,
        /// The format after `:`, if any.
        format: Option<String>,
    },
}

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// Identifier or keyword.
    Ident(String),
    /// Integer literal.
    Int(i64),
    /// Real literal.
    Double(f64),
    /// String literal (decoded).
    Str(String),
    /// Char literal.
    Char(char),
    /// Interpolated string.
    Interp(Vec<Piece>),
    /// Operator or punctuation.
    Punct(&'static str),
    /// End of input.
    Eof,
}

/// A token with its byte offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Byte offset in the expression source.
    pub offset: usize,
}

const PUNCTS: [&str; 37] = [
    "??=", "?.", "?[", "??", "==", "!=", "<=", ">=", "&&", "||", "=>", "++", "--", "+=", "-=", "(",
    ")", "{", "}", "[", "]", ".", ",", ";", ":", "?", "!", "<", ">", "+", "-", "*", "/", "%", "=",
    "&", "|",
];

/// Splits `src` into tokens; `base` is added to every offset.
pub fn lex(src: &str, base: usize) -> Result<Vec<Token>, ExprError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let err = |offset: usize, msg: &str| ExprError::new(base + offset, msg);
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let end = src
                .get(i + 2..)
                .and_then(|r| r.find("*/"))
                .ok_or_else(|| err(i, "unterminated comment"))?;
            i += end + 4;
            continue;
        }
        let tok = if c.is_ascii_alphabetic()
            || c == b'_'
            || (c == b'@' && b.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic()))
        {
            if c == b'@' {
                i += 1;
            }
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            Tok::Ident(src.get(s..i).unwrap_or("").to_owned())
        } else if c.is_ascii_digit() {
            let (tok, end) = number(src, i).ok_or_else(|| err(i, "invalid number"))?;
            i = end;
            tok
        } else if c == b'"' {
            let (s, end) =
                string(src, i + 1, false).ok_or_else(|| err(i, "unterminated string"))?;
            i = end;
            Tok::Str(s)
        } else if c == b'@' && b.get(i + 1) == Some(&b'"') {
            let (s, end) = string(src, i + 2, true).ok_or_else(|| err(i, "unterminated string"))?;
            i = end;
            Tok::Str(s)
        } else if c == b'$' || (c == b'@' && b.get(i + 1) == Some(&b'$')) {
            let verbatim = c == b'@' || b.get(i + 1) == Some(&b'@');
            let open = if verbatim { i + 3 } else { i + 2 };
            if b.get(open - 1) != Some(&b'"') {
                return Err(err(i, "unexpected '$'"));
            }
            let (pieces, end) = interpolated(src, open, verbatim, base)?;
            i = end;
            Tok::Interp(pieces)
        } else if c == b'\'' {
            let (ch, end) = char_lit(src, i + 1).ok_or_else(|| err(i, "invalid char literal"))?;
            i = end;
            Tok::Char(ch)
        } else if let Some(p) = PUNCTS
            .iter()
            .find(|p| src.get(i..).is_some_and(|r| r.starts_with(**p)))
        {
            i += p.len();
            Tok::Punct(p)
        } else {
            let ch = src.get(i..).and_then(|r| r.chars().next()).unwrap_or('?');
            return Err(err(i, &format!("unexpected character {ch:?}")));
        };
        out.push(Token {
            tok,
            offset: base + start,
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        offset: base + b.len(),
    });
    Ok(out)
}

fn number(src: &str, start: usize) -> Option<(Tok, usize)> {
    let b = src.as_bytes();
    let mut i = start;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut real = false;
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        real = true;
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    let digits: String = src.get(start..i)?.chars().filter(|c| *c != '_').collect();
    let suffix = b.get(i).copied().map(|c| c.to_ascii_lowercase());
    match suffix {
        Some(b'd' | b'f' | b'm') => {
            i += 1;
            real = true;
        }
        Some(b'l') if !real => i += 1,
        _ => {}
    }
    if b.get(i).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let tok = if real {
        Tok::Double(digits.parse().ok()?)
    } else {
        Tok::Int(digits.parse().ok()?)
    };
    Some((tok, i))
}

fn escape(src: &str, i: usize) -> Option<(char, usize)> {
    let c = src.get(i..)?.chars().next()?;
    Some(match c {
        'n' => ('\n', i + 1),
        'r' => ('\r', i + 1),
        't' => ('\t', i + 1),
        '0' => ('\0', i + 1),
        '\\' | '"' | '\'' => (c, i + 1),
        'u' => {
            let hex = src.get(i + 1..i + 5)?;
            (char::from_u32(u32::from_str_radix(hex, 16).ok()?)?, i + 5)
        }
        _ => return None,
    })
}

/// Decodes a string body after its opening quote; returns it and the offset past the close.
fn string(src: &str, mut i: usize, verbatim: bool) -> Option<(String, usize)> {
    let mut out = String::new();
    loop {
        let c = src.get(i..)?.chars().next()?;
        match c {
            '"' if verbatim && src.get(i + 1..)?.starts_with('"') => {
                out.push('"');
                i += 2;
            }
            '"' => return Some((out, i + 1)),
            '\\' if !verbatim => {
                let (e, next) = escape(src, i + 1)?;
                out.push(e);
                i = next;
            }
            _ => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
}

fn char_lit(src: &str, i: usize) -> Option<(char, usize)> {
    let c = src.get(i..)?.chars().next()?;
    let (ch, next) = if c == '\\' {
        escape(src, i + 1)?
    } else {
        (c, i + c.len_utf8())
    };
    (src.get(next..)?.starts_with('\'')).then_some((ch, next + 1))
}

/// Reads an interpolated string body; holes are returned as source for a nested parse.
fn interpolated(
    src: &str,
    mut i: usize,
    verbatim: bool,
    base: usize,
) -> Result<(Vec<Piece>, usize), ExprError> {
    let open = i;
    let unterminated = || ExprError::new(base + open, "unterminated interpolated string");
    let mut pieces = Vec::new();
    let mut lit = String::new();
    loop {
        let c = src
            .get(i..)
            .and_then(|r| r.chars().next())
            .ok_or_else(unterminated)?;
        let next = src.get(i + 1..).and_then(|r| r.chars().next());
        match c {
            '{' if next == Some('{') => {
                lit.push('{');
                i += 2;
            }
            '}' if next == Some('}') => {
                lit.push('}');
                i += 2;
            }
            '"' if verbatim && next == Some('"') => {
                lit.push('"');
                i += 2;
            }
            '"' => {
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(lit));
                }
                return Ok((pieces, i + 1));
            }
            '\\' if !verbatim => {
                let (e, n) =
                    escape(src, i + 1).ok_or_else(|| ExprError::new(base + i, "invalid escape"))?;
                lit.push(e);
                i = n;
            }
            '{' => {
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                let (hole, end) = hole(src, i + 1, base)?;
                pieces.push(hole);
                i = end;
            }
            _ => {
                lit.push(c);
                i += c.len_utf8();
            }
        }
    }
}

/// Reads one hole starting after `{`; returns it and the offset past `}`.
fn hole(src: &str, start: usize, base: usize) -> Result<(Piece, usize), ExprError> {
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    let mut colon = None;
    loop {
        let Some(&c) = b.get(i) else {
            return Err(ExprError::new(
                base + start,
                "unterminated interpolation hole",
            ));
        };
        match c {
            b'"' => {
                let (_, end) = string(src, i + 1, false)
                    .ok_or_else(|| ExprError::new(base + i, "unterminated string"))?;
                i = end;
                continue;
            }
            b'\'' => {
                let (_, end) = char_lit(src, i + 1)
                    .ok_or_else(|| ExprError::new(base + i, "invalid char literal"))?;
                i = end;
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b':' if depth == 0 && colon.is_none() => colon = Some(i),
            b'}' if depth == 0 => {
                let expr_end = colon.unwrap_or(i);
                let piece = Piece::Hole {
                    src: src.get(start..expr_end).unwrap_or("").to_owned(),
                    offset: base + start,
                    format: colon.map(|c| src.get(c + 1..i).unwrap_or("").to_owned()),
                };
                return Ok((piece, i + 1));
            }
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src, 0).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn literals_and_operators() {
        assert_eq!(
            toks(r#"a?.b ?? "x\"y" + @"p""q" != 'c' && 1.5 >= 2L"#),
            vec![
                Tok::Ident("a".into()),
                Tok::Punct("?."),
                Tok::Ident("b".into()),
                Tok::Punct("??"),
                Tok::Str("x\"y".into()),
                Tok::Punct("+"),
                Tok::Str("p\"q".into()),
                Tok::Punct("!="),
                Tok::Char('c'),
                Tok::Punct("&&"),
                Tok::Double(1.5),
                Tok::Punct(">="),
                Tok::Int(2),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn interpolation_holes_keep_offsets_and_formats() {
        let t = lex(r#"$"k-{v["x"]}:{n:D2}{{}}""#, 10).unwrap();
        let Tok::Interp(pieces) = &t[0].tok else {
            panic!()
        };
        assert_eq!(pieces[0], Piece::Lit("k-".into()));
        assert_eq!(
            pieces[1],
            Piece::Hole {
                src: r#"v["x"]"#.into(),
                offset: 15,
                format: None
            }
        );
        assert_eq!(pieces[2], Piece::Lit(":".into()));
        assert_eq!(
            pieces[3],
            Piece::Hole {
                src: "n".into(),
                offset: 24,
                format: Some("D2".into())
            }
        );
        assert_eq!(pieces[4], Piece::Lit("{}".into()));
    }

    #[test]
    fn errors_have_offsets() {
        for (src, at) in [
            ("\"abc", 0),
            ("a # b", 2),
            ("$\"{x", 3),
            ("'ab'", 0),
            ("1x", 0),
        ] {
            let e = lex(src, 0).unwrap_err();
            assert_eq!(e.offset, at, "{src}");
        }
    }
}
