//! Recursive-descent parser for the C# subset: precedence climbing for operators, postfix
//! chains for member access, calls and indexers, and a small statement grammar for blocks.

mod stmt;

use super::ExprError;
use super::ast::{Arg, BinOp, Code, Expr, ExprKind, Lit, Part, TypeName, UnOp};
use super::lexer::{Piece, Tok, Token, lex};

/// Deepest syntactic nesting accepted.
const MAX_DEPTH: usize = 100;
/// Tallest expression tree accepted (long member chains and operator chains grow trees
/// without nesting; this bounds the recursion of everything that walks the tree).
const MAX_AST_DEPTH: u32 = 128;

/// Parses a whole `@(…)` or `@{…}` value; `base` is the offset of the `@` in the document.
pub fn parse_code(src: &str, base: usize) -> Result<Code, ExprError> {
    let (block, inner) = if let Some(rest) = src.strip_prefix("@(") {
        (false, rest.strip_suffix(')'))
    } else if let Some(rest) = src.strip_prefix("@{") {
        (true, rest.strip_suffix('}'))
    } else {
        return Err(ExprError::new(base, "an expression starts with @( or @{"));
    };
    let inner = inner.ok_or_else(|| ExprError::new(base, "unterminated expression"))?;
    let mut p = Parser::new(lex(inner, base + 2)?);
    let code = if block {
        let mut stmts = Vec::new();
        while !p.at_eof() {
            stmts.push(p.stmt()?);
        }
        Code::Block(stmts)
    } else {
        Code::Expr(p.expr()?)
    };
    if !p.at_eof() {
        return Err(p.err("unexpected token after the expression"));
    }
    Ok(code)
}

/// Parses a bare expression (an interpolation hole); `base` is its offset.
pub fn parse_expr(src: &str, base: usize) -> Result<Expr, ExprError> {
    let mut p = Parser::new(lex(src, base)?);
    let e = p.expr()?;
    if !p.at_eof() {
        return Err(p.err("unexpected token after the expression"));
    }
    Ok(e)
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

fn binop(tok: &Tok) -> Option<(BinOp, u8)> {
    let Tok::Punct(p) = tok else { return None };
    Some(match *p {
        "??" => (BinOp::Coalesce, 1),
        "||" => (BinOp::Or, 2),
        "&&" => (BinOp::And, 3),
        "==" => (BinOp::Eq, 4),
        "!=" => (BinOp::Ne, 4),
        "<" => (BinOp::Lt, 5),
        "<=" => (BinOp::Le, 5),
        ">" => (BinOp::Gt, 5),
        ">=" => (BinOp::Ge, 5),
        "+" => (BinOp::Add, 6),
        "-" => (BinOp::Sub, 6),
        "*" => (BinOp::Mul, 7),
        "/" => (BinOp::Div, 7),
        "%" => (BinOp::Rem, 7),
        _ => return None,
    })
}

impl Parser {
    fn new(toks: Vec<Token>) -> Self {
        Self {
            toks,
            pos: 0,
            depth: 0,
        }
    }

    fn peek(&self) -> &Tok {
        self.peek_at(0)
    }

    fn peek_at(&self, n: usize) -> &Tok {
        self.toks
            .get(self.pos + n)
            .or(self.toks.last())
            .map_or(&Tok::Eof, |t| &t.tok)
    }

    fn offset(&self) -> usize {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map_or(0, |t| t.offset)
    }

    fn at_eof(&self) -> bool {
        matches!(self.peek(), Tok::Eof)
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn err(&self, msg: &str) -> ExprError {
        let found = match self.peek() {
            Tok::Eof => "end of expression".to_owned(),
            Tok::Punct(p) => format!("'{p}'"),
            Tok::Ident(i) => format!("'{i}'"),
            _ => "a literal".to_owned(),
        };
        ExprError::new(self.offset(), &format!("{msg} (found {found})"))
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
    }

    fn eat(&mut self, p: &str) -> bool {
        if self.is_punct(p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: &str) -> Result<(), ExprError> {
        if self.eat(p) {
            Ok(())
        } else {
            Err(self.err(&format!("expected '{p}'")))
        }
    }

    fn ident(&mut self) -> Result<String, ExprError> {
        match self.bump() {
            Tok::Ident(s) => Ok(s),
            _ => {
                self.pos -= 1;
                Err(self.err("expected a name"))
            }
        }
    }

    fn tall(&self, e: &Expr) -> Result<(), ExprError> {
        if e.depth > MAX_AST_DEPTH {
            return Err(ExprError::new(
                e.offset,
                "expression is too long or nested too deeply",
            ));
        }
        Ok(())
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("expression nested too deeply"));
        }
        Ok(())
    }

    // ---------------------------------------------------------------- expressions

    fn expr(&mut self) -> Result<Expr, ExprError> {
        self.enter()?;
        let e = self.conditional();
        self.depth -= 1;
        let e = e?;
        self.tall(&e)?;
        Ok(e)
    }

    fn conditional(&mut self) -> Result<Expr, ExprError> {
        let c = self.binary(0)?;
        if self.eat("?") {
            let t = self.expr()?;
            self.expect(":")?;
            let f = self.expr()?;
            let offset = c.offset;
            return Ok(Expr::new(
                ExprKind::Cond(Box::new(c), Box::new(t), Box::new(f)),
                offset,
            ));
        }
        if self.is_punct("=>") {
            return Err(self.err("lambdas are not supported"));
        }
        Ok(c)
    }

    fn binary(&mut self, min: u8) -> Result<Expr, ExprError> {
        let mut lhs = self.unary()?;
        loop {
            if let Tok::Ident(w) = self.peek()
                && (w == "is" || w == "as")
                && min <= 5
            {
                let is = w == "is";
                self.bump();
                let ty = self.type_name()?;
                let offset = lhs.offset;
                let kind = if is {
                    ExprKind::Is(Box::new(lhs), ty)
                } else {
                    ExprKind::As(Box::new(lhs), ty)
                };
                lhs = Expr::new(kind, offset);
                self.tall(&lhs)?;
                continue;
            }
            let Some((op, prec)) = binop(self.peek()) else {
                break;
            };
            if prec < min {
                break;
            }
            self.bump();
            self.enter()?;
            // `??` is right-associative; everything else is left-associative.
            let rhs = if op == BinOp::Coalesce {
                self.binary(prec)
            } else {
                self.binary(prec + 1)
            };
            self.depth -= 1;
            let rhs = rhs?;
            let offset = lhs.offset;
            lhs = Expr::new(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), offset);
            self.tall(&lhs)?;
        }
        if matches!(self.peek(), Tok::Punct("&" | "|")) {
            return Err(self.err("bitwise operators are not supported"));
        }
        Ok(lhs)
    }

    fn type_name(&mut self) -> Result<TypeName, ExprError> {
        let offset = self.offset();
        let name = self.ident()?;
        let ty = TypeName::from_name(&name)
            .ok_or_else(|| ExprError::new(offset, &format!("unsupported type '{name}'")))?;
        if self.is_punct("[") && matches!(self.peek_at(1), Tok::Punct("]")) {
            self.pos += 2;
            return ty
                .array()
                .ok_or_else(|| ExprError::new(offset, &format!("unsupported type '{name}[]'")));
        }
        if ty == TypeName::ByteArray {
            return Err(ExprError::new(offset, "unsupported type 'byte'"));
        }
        Ok(ty)
    }

    /// `(T)x`: a parenthesised type name followed by something that starts an operand.
    fn cast_ahead(&self) -> Option<usize> {
        let Tok::Ident(name) = self.peek_at(1) else {
            return None;
        };
        TypeName::from_name(name)?;
        let close = if matches!(self.peek_at(2), Tok::Punct("[")) {
            4
        } else {
            2
        };
        if !matches!(self.peek_at(close), Tok::Punct(")")) {
            return None;
        }
        match self.peek_at(close + 1) {
            Tok::Ident(w) => (!matches!(w.as_str(), "is" | "as")).then_some(close),
            Tok::Punct("(" | "!")
            | Tok::Str(_)
            | Tok::Int(_)
            | Tok::Double(_)
            | Tok::Char(_)
            | Tok::Interp(_) => Some(close),
            _ => None,
        }
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        let offset = self.offset();
        let op = match self.peek() {
            Tok::Punct("!") => Some(UnOp::Not),
            Tok::Punct("-") => Some(UnOp::Neg),
            Tok::Punct("+") => {
                self.bump();
                return self.unary();
            }
            Tok::Punct("++" | "--") => {
                return Err(self.err("increment operators are not supported"));
            }
            _ => None,
        };
        self.enter()?;
        let result = if let Some(op) = op {
            self.bump();
            self.unary()
                .map(|e| Expr::new(ExprKind::Unary(op, Box::new(e)), offset))
        } else if self.is_punct("(") && self.cast_ahead().is_some() {
            self.bump();
            let ty = self.type_name();
            match ty {
                Ok(ty) => self
                    .expect(")")
                    .and_then(|()| self.unary())
                    .map(|e| Expr::new(ExprKind::Cast(ty, Box::new(e)), offset)),
                Err(e) => Err(e),
            }
        } else {
            self.postfix()
        };
        self.depth -= 1;
        result
    }

    fn generic_ahead(&self) -> bool {
        matches!(self.peek(), Tok::Punct("<"))
            && matches!(self.peek_at(1), Tok::Ident(n) if TypeName::from_name(n).is_some())
            && (matches!(self.peek_at(2), Tok::Punct(">"))
                || (matches!(self.peek_at(2), Tok::Punct("["))
                    && matches!(self.peek_at(4), Tok::Punct(">"))))
    }

    fn args(&mut self) -> Result<Vec<Arg>, ExprError> {
        let mut args = Vec::new();
        if self.eat(")") {
            return Ok(args);
        }
        loop {
            let name = match (self.peek(), self.peek_at(1)) {
                (Tok::Ident(n), Tok::Punct(":")) => {
                    let n = n.clone();
                    self.pos += 2;
                    Some(n)
                }
                (Tok::Ident(w), _) if w == "out" || w == "ref" => {
                    return Err(self.err("out and ref arguments are not supported"));
                }
                _ => None,
            };
            let value = self.expr()?;
            args.push(Arg { name, value });
            if self.eat(")") {
                return Ok(args);
            }
            self.expect(",")?;
        }
    }

    fn postfix(&mut self) -> Result<Expr, ExprError> {
        let mut e = self.primary()?;
        loop {
            self.tall(&e)?;
            let offset = self.offset();
            let cond = if self.eat(".") {
                false
            } else if self.eat("?.") {
                true
            } else if self.is_punct("[") || self.is_punct("?[") {
                let cond = self.is_punct("?[");
                self.bump();
                let index = self.expr()?;
                self.expect("]")?;
                e = Expr::new(
                    ExprKind::Index {
                        target: Box::new(e),
                        index: Box::new(index),
                        cond,
                    },
                    offset,
                );
                continue;
            } else {
                return Ok(e);
            };
            let name = self.ident()?;
            let generic = if self.generic_ahead() {
                self.bump();
                let ty = self.type_name()?;
                self.expect(">")?;
                Some(ty)
            } else {
                None
            };
            if self.eat("(") {
                let args = self.args()?;
                e = Expr::new(
                    ExprKind::Call {
                        target: Box::new(e),
                        method: name,
                        generic,
                        args,
                        cond,
                    },
                    offset,
                );
            } else if generic.is_some() {
                return Err(self.err("expected '(' after a generic argument"));
            } else {
                e = Expr::new(
                    ExprKind::Member {
                        target: Box::new(e),
                        name,
                        cond,
                    },
                    offset,
                );
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let offset = self.offset();
        let lit = |l| Ok(Expr::new(ExprKind::Lit(l), offset));
        match self.bump() {
            Tok::Int(i) => lit(Lit::Int(i)),
            Tok::Double(d) => lit(Lit::Double(d)),
            Tok::Str(s) => lit(Lit::Str(s)),
            Tok::Char(c) => lit(Lit::Char(c)),
            Tok::Interp(pieces) => {
                let mut parts = Vec::new();
                for piece in pieces {
                    parts.push(match piece {
                        Piece::Lit(s) => Part::Lit(s),
                        Piece::Hole {
                            src,
                            offset,
                            format,
                        } => Part::Expr(self.hole(&src, offset)?, format),
                    });
                }
                Ok(Expr::new(ExprKind::Interp(parts), offset))
            }
            Tok::Punct("(") => {
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Ident(w) => match w.as_str() {
                "true" => lit(Lit::Bool(true)),
                "false" => lit(Lit::Bool(false)),
                "null" => lit(Lit::Null),
                "new" => self.new_expr(offset),
                "typeof" | "default" | "nameof" | "checked" | "await" => {
                    self.pos -= 1;
                    Err(self.err(&format!("'{w}' is not supported")))
                }
                _ => Ok(Expr::new(ExprKind::Name(w), offset)),
            },
            _ => {
                self.pos -= 1;
                Err(self.err("expected an operand"))
            }
        }
    }

    /// Parses an interpolation hole with this parser's nesting depth, so nested
    /// interpolated strings cannot recurse without bound.
    fn hole(&self, src: &str, offset: usize) -> Result<Expr, ExprError> {
        let mut p = Parser::new(lex(src, offset)?);
        p.depth = self.depth + 1;
        let e = p.expr()?;
        if !p.at_eof() {
            return Err(p.err("unexpected token after the expression"));
        }
        Ok(e)
    }

    fn new_expr(&mut self, offset: usize) -> Result<Expr, ExprError> {
        if !self.is_punct("[") {
            let ty = self.ident()?;
            if !(self.is_punct("[") && matches!(self.peek_at(1), Tok::Punct("]"))) {
                return Err(ExprError::new(
                    offset,
                    &format!("object creation ('new {ty}') is not supported"),
                ));
            }
        }
        self.expect("[")?;
        self.expect("]")?;
        self.expect("{")?;
        let mut items = Vec::new();
        while !self.eat("}") {
            items.push(self.expr()?);
            if !self.eat(",") {
                self.expect("}")?;
                break;
            }
        }
        Ok(Expr::new(ExprKind::Array(items), offset))
    }
}

#[cfg(test)]
mod tests;
