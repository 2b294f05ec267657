//! Load-time checking: every name, member and method an expression uses must be one the
//! evaluator supports, and a block must return on every path. APIM only finds these at
//! runtime; we refuse them with a position before any request arrives.

use super::ExprError;
use super::ast::{Code, Expr, ExprKind, Part, Stmt};
use super::types::{Kind, Ty};
use super::value::Class;

/// Checks a parsed expression or block.
pub fn check(code: &Code, base: usize) -> Result<(), ExprError> {
    let mut c = Checker { locals: Vec::new() };
    match code {
        Code::Expr(e) => c.expr(e).map(|_| ()),
        Code::Block(stmts) => {
            c.block(stmts)?;
            if !returns(stmts) {
                return Err(ExprError::new(base, "not all code paths return a value"));
            }
            Ok(())
        }
    }
}

/// Whether a statement list returns on every path.
fn returns(stmts: &[Stmt]) -> bool {
    stmts.iter().any(|s| match s {
        Stmt::Return(_) => true,
        Stmt::If { then, els, .. } => returns(then) && returns(els),
        _ => false,
    })
}

fn describe(t: Ty) -> String {
    match t {
        Ty::Static(c) => format!("{c:?}"),
        Ty::Str => "string".into(),
        Ty::Int => "int".into(),
        Ty::Bool => "bool".into(),
        Ty::StrArray => "string[]".into(),
        Ty::Any => "object".into(),
        Ty::Dict => "IReadOnlyDictionary".into(),
        Ty::Response => "IResponse".into(),
        Ty::Request => "IRequest".into(),
        Ty::Body => "IMessageBody".into(),
        Ty::Url => "IUrl".into(),
        Ty::Context => "context".into(),
        Ty::Json => "JToken".into(),
        other => format!("{other:?}"),
    }
}

struct Checker {
    locals: Vec<(String, Ty)>,
}

impl Checker {
    fn block(&mut self, stmts: &[Stmt]) -> Result<(), ExprError> {
        let mark = self.locals.len();
        for s in stmts {
            self.stmt(s)?;
        }
        self.locals.truncate(mark);
        Ok(())
    }

    fn stmt(&mut self, s: &Stmt) -> Result<(), ExprError> {
        match s {
            Stmt::Decl {
                name,
                ty,
                init,
                offset,
            } => {
                let init_ty = self.expr(init)?;
                if self.local(name).is_some() || name == "context" {
                    return Err(ExprError::new(
                        *offset,
                        &format!("'{name}' is already defined"),
                    ));
                }
                let ty = ty.map_or(init_ty, Ty::from_type_name);
                self.locals.push((name.clone(), ty));
            }
            Stmt::Assign {
                name,
                value,
                offset,
            } => {
                self.expr(value)?;
                if self.local(name).is_none() {
                    return Err(ExprError::new(*offset, &format!("unknown local '{name}'")));
                }
            }
            Stmt::If { cond, then, els } => {
                self.expr(cond)?;
                self.block(then)?;
                self.block(els)?;
            }
            Stmt::Return(e) | Stmt::Expr(e) => {
                self.expr(e)?;
            }
        }
        Ok(())
    }

    fn local(&self, name: &str) -> Option<Ty> {
        self.locals
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, t)| *t)
    }

    fn expr(&mut self, e: &Expr) -> Result<Ty, ExprError> {
        let err = |msg: String| ExprError::new(e.offset, &msg);
        Ok(match &e.kind {
            ExprKind::Lit(l) => match l {
                super::ast::Lit::Null => Ty::Any,
                super::ast::Lit::Bool(_) => Ty::Bool,
                super::ast::Lit::Int(_) => Ty::Int,
                super::ast::Lit::Double(_) => Ty::Double,
                super::ast::Lit::Str(_) => Ty::Str,
                super::ast::Lit::Char(_) => Ty::Char,
            },
            ExprKind::Interp(parts) => {
                for p in parts {
                    if let Part::Expr(e, _) = p {
                        self.expr(e)?;
                    }
                }
                Ty::Str
            }
            ExprKind::Name(n) => {
                if let Some(t) = self.local(n) {
                    t
                } else if n == "context" {
                    Ty::Context
                } else if let Some(c) = Class::from_name(n) {
                    Ty::Static(c)
                } else {
                    return Err(err(format!("unknown name '{n}'")));
                }
            }
            ExprKind::Member { target, name, .. } => {
                let t = self.expr(target)?;
                match t.member(name) {
                    Some((Kind::Prop, result)) => result.unwrap_or(Ty::Any),
                    Some((Kind::Method(..), _)) => {
                        return Err(err(format!(
                            "'{name}' is a method of {}; call it",
                            describe(t)
                        )));
                    }
                    None => {
                        return Err(err(format!(
                            "'{name}' is not a supported member of {}",
                            describe(t)
                        )));
                    }
                }
            }
            ExprKind::Call {
                target,
                method,
                generic,
                args,
                ..
            } => {
                let t = self.expr(target)?;
                for a in args {
                    self.expr(&a.value)?;
                }
                match t.member(method) {
                    Some((Kind::Method(min, max), result)) => {
                        let n = args.len();
                        if n < usize::from(min) || n > usize::from(max) {
                            return Err(err(format!(
                                "{}.{method} takes {min} to {max} arguments, not {n}",
                                describe(t)
                            )));
                        }
                        match (result, generic) {
                            (Some(r), None) => r,
                            (Some(_), Some(_)) if t != Ty::Any => {
                                return Err(err(format!("{method} is not generic")));
                            }
                            (_, Some(g)) => Ty::from_type_name(*g),
                            (None, None) if method == "As" || method == "Value" => {
                                return Err(err(format!(
                                    "{method} needs a type argument, e.g. {method}<string>"
                                )));
                            }
                            (_, None) => Ty::Any,
                        }
                    }
                    Some((Kind::Prop, _)) => {
                        return Err(err(format!("'{method}' is a property, not a method")));
                    }
                    None => {
                        return Err(err(format!(
                            "'{method}' is not a supported method of {}",
                            describe(t)
                        )));
                    }
                }
            }
            ExprKind::Index { target, index, .. } => {
                let t = self.expr(target)?;
                self.expr(index)?;
                t.index()
                    .ok_or_else(|| err(format!("{} cannot be indexed", describe(t))))?
            }
            ExprKind::Unary(op, inner) => {
                let t = self.expr(inner)?;
                match op {
                    super::ast::UnOp::Not => Ty::Bool,
                    super::ast::UnOp::Neg => t,
                }
            }
            ExprKind::Binary(op, l, r) => {
                use super::ast::BinOp::*;
                let (lt, rt) = (self.expr(l)?, self.expr(r)?);
                match op {
                    Or | And | Eq | Ne | Lt | Le | Gt | Ge => Ty::Bool,
                    Add if lt == Ty::Str || rt == Ty::Str => Ty::Str,
                    Sub if lt == Ty::DateTime && rt == Ty::DateTime => Ty::TimeSpan,
                    Coalesce if lt == rt => lt,
                    _ if lt == rt
                        && matches!(lt, Ty::Int | Ty::Double | Ty::DateTime | Ty::TimeSpan) =>
                    {
                        lt
                    }
                    _ => Ty::Any,
                }
            }
            ExprKind::Cond(c, t, f) => {
                self.expr(c)?;
                let (tt, ft) = (self.expr(t)?, self.expr(f)?);
                if tt == ft { tt } else { Ty::Any }
            }
            ExprKind::Cast(t, inner) | ExprKind::As(inner, t) => {
                self.expr(inner)?;
                Ty::from_type_name(*t)
            }
            ExprKind::Is(inner, _) => {
                self.expr(inner)?;
                Ty::Bool
            }
            ExprKind::Array(items) => {
                for i in items {
                    self.expr(i)?;
                }
                Ty::StrArray
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parser::parse_code;

    fn ok(src: &str) {
        let code = parse_code(src, 0).unwrap();
        check(&code, 0).unwrap_or_else(|e| panic!("{src}: {e:?}"));
    }

    fn fails(src: &str, offset: usize, needle: &str) {
        let code = parse_code(src, 0).unwrap();
        let e = check(&code, 0).unwrap_err();
        assert_eq!(e.offset, offset, "{src}: {}", e.message);
        assert!(e.message.contains(needle), "{src}: {}", e.message);
    }

    #[test]
    fn accepts_the_common_subset() {
        ok(
            r#"@(context.Request.Headers.GetValueOrDefault("Authorization", "").Split(' ')[1].AsJwt()?.Claims["sub"].FirstOrDefault())"#,
        );
        ok(r#"@((string)context.Variables["a"] + context.Subscription.Id.ToUpper())"#);
        ok(r#"@(context.Variables.GetValueOrDefault<int>("n", 0) > 3 ? "a" : "b")"#);
        ok(
            r#"@(((IResponse)context.Variables["r"]).Body.As<JObject>(preserveContent: true)["a"].ToString())"#,
        );
        ok(r#"@(String.Format("{0}-{1}", DateTime.UtcNow.ToString("o"), Guid.NewGuid()))"#);
        ok(
            r#"@("East Asia".Equals(context.Deployment.Region, StringComparison.OrdinalIgnoreCase))"#,
        );
        ok(
            r#"@{ var h = context.Request.Headers.GetValueOrDefault("x", ""); if (h.Length > 0) { return h; } return "none"; }"#,
        );
        // Members on object are accepted when any supported type has them.
        ok(r#"@(context.Variables["x"].ToString().Length)"#);
    }

    #[test]
    fn refuses_unknown_members_with_their_position() {
        fails(
            "@(context.Requets.Method)",
            9,
            "'Requets' is not a supported member of context",
        );
        fails("@(context.Request.Method.Frobnicate())", 24, "'Frobnicate'");
        fails("@(context.Variables[\"x\"].Frob)", 24, "'Frob'");
        fails("@(foo.Bar)", 2, "unknown name 'foo'");
        fails(
            "@(context.Request.Method.Substring())",
            24,
            "takes 1 to 2 arguments",
        );
        fails("@(context.Request.Body.As())", 22, "needs a type argument");
        fails("@(context.Request.Method())", 17, "is a property");
        fails("@{ var a = 1; }", 0, "not all code paths return");
        fails("@{ if (true) { return 1; } }", 0, "not all code paths");
        fails("@{ x = 1; return x; }", 3, "unknown local 'x'");
    }
}
