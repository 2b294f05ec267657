//! The statement grammar of `@{ … }` blocks: declarations, assignments, `if`/`else`,
//! `return` and expression statements. Loops and exceptions are refused with a position.

use super::Parser;
use crate::expr::ExprError;
use crate::expr::ast::{BinOp, Expr, ExprKind, Stmt, TypeName};
use crate::expr::lexer::Tok;

impl Parser {
    fn block_or_stmt(&mut self) -> Result<Vec<Stmt>, ExprError> {
        if self.eat("{") {
            let mut out = Vec::new();
            while !self.eat("}") {
                if self.at_eof() {
                    return Err(self.err("expected '}'"));
                }
                out.push(self.stmt()?);
            }
            Ok(out)
        } else {
            Ok(vec![self.stmt()?])
        }
    }

    /// A declaration's type, if the next tokens are `Type name =`.
    fn decl_type(&self) -> Option<(Option<TypeName>, usize)> {
        let Tok::Ident(first) = self.peek() else {
            return None;
        };
        let (ty, len) = if first == "var" {
            (None, 1)
        } else {
            let ty = TypeName::from_name(first)?;
            if matches!(self.peek_at(1), Tok::Punct("["))
                && matches!(self.peek_at(2), Tok::Punct("]"))
            {
                (Some(ty.array()?), 3)
            } else {
                (Some(ty), 1)
            }
        };
        matches!(self.peek_at(len), Tok::Ident(_)).then_some((ty, len))
    }

    pub(super) fn stmt(&mut self) -> Result<Stmt, ExprError> {
        self.enter()?;
        let s = self.stmt_inner();
        self.depth -= 1;
        s
    }

    fn stmt_inner(&mut self) -> Result<Stmt, ExprError> {
        if let Tok::Ident(word) = self.peek().clone() {
            match word.as_str() {
                "return" => {
                    self.bump();
                    let e = self.expr()?;
                    self.expect(";")?;
                    return Ok(Stmt::Return(e));
                }
                "if" => {
                    self.bump();
                    self.expect("(")?;
                    let cond = self.expr()?;
                    self.expect(")")?;
                    let then = self.block_or_stmt()?;
                    let els = if matches!(self.peek(), Tok::Ident(w) if w == "else") {
                        self.bump();
                        self.block_or_stmt()?
                    } else {
                        Vec::new()
                    };
                    return Ok(Stmt::If { cond, then, els });
                }
                "foreach" | "for" | "while" | "do" | "switch" | "try" | "throw" | "using"
                | "break" | "continue" => {
                    return Err(self.err(&format!("the '{word}' statement is not supported")));
                }
                _ => {}
            }
            if let Some((ty, len)) = self.decl_type() {
                self.pos += len;
                let offset = self.offset();
                let name = self.ident()?;
                if !self.eat("=") {
                    return Err(self.err("a local declaration needs an initializer"));
                }
                let init = self.expr()?;
                self.expect(";")?;
                return Ok(Stmt::Decl {
                    name,
                    ty,
                    init,
                    offset,
                });
            }
            if let Tok::Punct(op @ ("=" | "+=" | "-=")) = self.peek_at(1).clone() {
                let offset = self.offset();
                self.bump();
                self.bump();
                let rhs = self.expr()?;
                self.expect(";")?;
                let value = match op {
                    "=" => rhs,
                    _ => {
                        let op = if op == "+=" { BinOp::Add } else { BinOp::Sub };
                        let current = Expr::new(ExprKind::Name(word.clone()), offset);
                        Expr::new(
                            ExprKind::Binary(op, Box::new(current), Box::new(rhs)),
                            offset,
                        )
                    }
                };
                return Ok(Stmt::Assign {
                    name: word,
                    value,
                    offset,
                });
            }
        }
        let e = self.expr()?;
        self.expect(";")?;
        Ok(Stmt::Expr(e))
    }
}
