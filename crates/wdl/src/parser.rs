//! Recursive-descent parser for expressions.
//!
//! Grammar (research note §7.2):
//!
//! ```text
//! expr    := primary postfix*
//! primary := STRING | NUMBER | true | false | null | IDENT '(' [expr (',' expr)*] ')'
//! postfix := '.' IDENT | '?.' IDENT | '[' expr ']' | '?[' expr ']'
//! ```
//!
//! Lexing happens on demand because whether `.5` is a number or a member
//! access depends on where the parser is. Identifiers are any run of
//! characters other than `.,(){}@[]?'"` and whitespace, so function names may
//! contain `-`. Nesting is limited to [`MAX_DEPTH`] so hostile input cannot
//! overflow the stack of either the parser or the evaluator.

use crate::ast::{Accessor, Expr};
use crate::error::ParseError;

/// Deepest nesting of calls and index expressions accepted.
pub const MAX_DEPTH: usize = 100;

/// Parses a complete expression (the text after the leading `@`).
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut p = Parser { src: text, pos: 0 };
    let expr = p.expr(0)?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.unexpected("EndOfData"));
    }
    Ok(expr)
}

/// Parses an expression starting at byte `start` and stops at the first
/// character that cannot continue it; returns the expression and the byte
/// offset just past it (after trailing whitespace). Used for `@{…}`.
pub(crate) fn parse_prefix(text: &str, start: usize) -> Result<(Expr, usize), ParseError> {
    let mut p = Parser {
        src: text,
        pos: start,
    };
    let expr = p.expr(0)?;
    p.skip_ws();
    Ok((expr, p.pos))
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

fn is_ident_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '.' | ',' | '(' | ')' | '{' | '}' | '@' | '[' | ']' | '?' | '\'' | '"'
        )
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            position: self.pos,
            message: message.into(),
        }
    }

    /// The runtime's token name for what is at the current position.
    fn actual_token(&self) -> &'static str {
        match self.peek() {
            None => "EndOfData",
            Some('(') => "LeftParenthesis",
            Some(')') => "RightParenthesis",
            Some('[') => "LeftSquareBracket",
            Some(']') => "RightSquareBracket",
            Some('{') => "LeftCurlyBracket",
            Some('}') => "RightCurlyBracket",
            Some(',') => "Comma",
            Some('.') => "Dot",
            Some('?') => "QuestionMark",
            Some('\'') => "StringLiteral",
            Some('"') => "DoubleQuote",
            Some('@') => "AtSign",
            Some(c) if c.is_ascii_digit() => "IntegerLiteral",
            Some(_) => "Identifier",
        }
    }

    fn unexpected(&self, expected: &str) -> ParseError {
        if self.peek() == Some('"') {
            return self.error(
                "double quotes are not valid here; string literals use single quotes ('text').",
            );
        }
        self.error(format!(
            "expected token '{expected}' and actual '{}'.",
            self.actual_token()
        ))
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!(
                "the expression is nested more than {MAX_DEPTH} levels deep."
            )));
        }
        self.skip_ws();
        let base = self.primary(depth)?;
        let mut path = Vec::new();
        loop {
            self.skip_ws();
            let null_safe = self.peek() == Some('?');
            let after_q = if null_safe {
                self.peek_at(1)
            } else {
                self.peek()
            };
            match after_q {
                Some('.') => {
                    if null_safe {
                        self.bump();
                    }
                    self.bump();
                    self.skip_ws();
                    let name = self.ident();
                    if name.is_empty() {
                        return Err(self.unexpected("Identifier"));
                    }
                    path.push(Accessor::Property { name, null_safe });
                }
                Some('[') => {
                    if null_safe {
                        self.bump();
                    }
                    self.bump();
                    let index = self.expr(depth + 1)?;
                    self.skip_ws();
                    if self.peek() != Some(']') {
                        return Err(self.unexpected("RightSquareBracket"));
                    }
                    self.bump();
                    path.push(Accessor::Index {
                        index: Box::new(index),
                        null_safe,
                    });
                }
                _ if null_safe => return Err(self.error("expected '.' or '[' after '?'.")),
                _ => break,
            }
        }
        if path.is_empty() {
            Ok(base)
        } else {
            Ok(Expr::Access {
                base: Box::new(base),
                path,
            })
        }
    }

    fn ident(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_char) {
            self.bump();
        }
        self.src[start..self.pos].to_owned()
    }

    fn starts_number(&self) -> bool {
        let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
        match self.peek() {
            Some(c) if c.is_ascii_digit() => true,
            Some('.') => digit(self.peek_at(1)),
            Some('+' | '-') => {
                digit(self.peek_at(1)) || (self.peek_at(1) == Some('.') && digit(self.peek_at(2)))
            }
            _ => false,
        }
    }

    fn primary(&mut self, depth: usize) -> Result<Expr, ParseError> {
        match self.peek() {
            Some('\'') => self.string(),
            Some('+' | '-' | '.') | Some('0'..='9') if self.starts_number() => self.number(),
            Some(c) if is_ident_char(c) && c != '+' && c != '-' => self.call_or_keyword(depth),
            _ => Err(self.unexpected("Identifier")),
        }
    }

    fn string(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(ParseError {
                        position: start,
                        message: "the string literal is not terminated.".to_owned(),
                    });
                }
                Some('\'') => {
                    if self.peek() == Some('\'') {
                        self.bump();
                        out.push('\'');
                    } else {
                        return Ok(Expr::Str(out));
                    }
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        if matches!(self.peek(), Some('+' | '-')) {
            self.bump();
        }
        let mut is_float = false;
        let mut digits = 0;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            digits += 1;
        }
        if self.peek() == Some('.') {
            is_float = true;
            self.bump();
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
                digits += 1;
            }
        }
        if digits == 0 {
            return Err(self.error("a number needs at least one digit."));
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            is_float = true;
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            let exp_start = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
            if self.pos == exp_start {
                return Err(self.error("the exponent of a number needs digits."));
            }
        }
        // `1e1.1`, `1abc`: a number must end at a delimiter.
        if self
            .peek()
            .is_some_and(|c| c == '.' || (is_ident_char(c) && c != '+' && c != '-'))
        {
            return Err(self.error(format!(
                "the number '{}' is not valid.",
                &self.src[start..self.pos.min(start + 40)]
            )));
        }
        let text = &self.src[start..self.pos];
        let text = text.strip_prefix('+').unwrap_or(text);
        if is_float {
            text.parse::<f64>()
                .map(Expr::Float)
                .map_err(|_| self.error(format!("the number '{text}' is not valid.")))
        } else {
            text.parse::<i64>().map(Expr::Int).map_err(|_| ParseError {
                position: start,
                message: format!("the integer '{text}' is out of range."),
            })
        }
    }

    fn call_or_keyword(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let start = self.pos;
        let name = self.ident();
        self.skip_ws();
        if self.peek() != Some('(') {
            return match name.to_ascii_lowercase().as_str() {
                "true" => Ok(Expr::Bool(true)),
                "false" => Ok(Expr::Bool(false)),
                "null" => Ok(Expr::Null),
                _ => {
                    let mut e = self.unexpected("LeftParenthesis");
                    if self.peek().is_none() {
                        e.position = start;
                    }
                    Err(e)
                }
            };
        }
        self.bump();
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.bump();
            return Ok(Expr::Call { name, args });
        }
        loop {
            args.push(self.expr(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some(')') => {
                    self.bump();
                    return Ok(Expr::Call { name, args });
                }
                _ => return Err(self.unexpected("RightParenthesis")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_literals_and_calls() {
        assert_eq!(parse("1").unwrap(), Expr::Int(1));
        assert_eq!(parse("+.5").unwrap(), Expr::Float(0.5));
        assert_eq!(parse("'don''t'").unwrap(), Expr::Str("don't".into()));
        assert!(matches!(
            parse("concat('a', 'b')").unwrap(),
            Expr::Call { .. }
        ));
        assert!(matches!(
            parse("a()?['b'].c[0]").unwrap(),
            Expr::Access { .. }
        ));
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "'a','b'",
            "'a'}",
            "()",
            "",
            "concat",
            "concat('a')('c')",
            "+",
            "+1e",
            "1e",
            "1e+",
            "1e1.1",
            "++1",
            "--1",
            "string( { \"name\": 1 } )",
            "9223372036854775808",
            "a(?",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
