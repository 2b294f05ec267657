//! The tree-walking interpreter. Recursion depth is bounded by the parser's nesting limit,
//! and there are no loops in the subset, so evaluation time is bounded by the expression size.

use std::sync::Arc;

use super::ast::{BinOp, Code, Expr, ExprKind, Lit, Part, Stmt, UnOp};
use super::value::{Class, Obj, Value};
use super::{EvalError, Host, format, members, ops};

/// Evaluates a compiled expression or block.
pub fn run(code: &Code, host: &mut dyn Host) -> Result<Value, EvalError> {
    let mut ev = Eval {
        host,
        locals: Vec::new(),
    };
    match code {
        Code::Expr(e) => ev.expr(e),
        Code::Block(stmts) => ev
            .block(stmts)?
            .ok_or_else(|| EvalError("not all code paths return a value".into())),
    }
}

pub(super) fn null_reference() -> EvalError {
    EvalError("Object reference not set to an instance of an object.".into())
}

/// Interpreter state: the host and the locals of a block.
pub(super) struct Eval<'h> {
    pub host: &'h mut dyn Host,
    locals: Vec<(String, Value)>,
}

impl Eval<'_> {
    fn block(&mut self, stmts: &[Stmt]) -> Result<Option<Value>, EvalError> {
        let mark = self.locals.len();
        let mut result = None;
        for s in stmts {
            if let Some(v) = self.stmt(s)? {
                result = Some(v);
                break;
            }
        }
        self.locals.truncate(mark);
        Ok(result)
    }

    fn stmt(&mut self, s: &Stmt) -> Result<Option<Value>, EvalError> {
        match s {
            Stmt::Decl { name, ty, init, .. } => {
                let mut v = self.expr(init)?;
                if let Some(ty) = ty {
                    v = ops::cast(&v, *ty)?;
                }
                self.locals.push((name.clone(), v));
            }
            Stmt::Assign { name, value, .. } => {
                let v = self.expr(value)?;
                if let Some(slot) = self.locals.iter_mut().rev().find(|(n, _)| n == name) {
                    slot.1 = v;
                }
            }
            Stmt::If { cond, then, els } => {
                let c = self.expr(cond)?;
                let branch = if ops::truth(&c)? { then } else { els };
                return self.block(branch);
            }
            Stmt::Return(e) => return self.expr(e).map(Some),
            Stmt::Expr(e) => {
                self.expr(e)?;
            }
        }
        Ok(None)
    }

    pub fn expr(&mut self, e: &Expr) -> Result<Value, EvalError> {
        match &e.kind {
            ExprKind::Lit(l) => Ok(match l {
                Lit::Null => Value::Null,
                Lit::Bool(b) => Value::Bool(*b),
                Lit::Int(i) => Value::Int(*i),
                Lit::Double(d) => Value::Double(*d),
                Lit::Str(s) => Value::str(s.as_str()),
                Lit::Char(c) => Value::Char(*c),
            }),
            ExprKind::Interp(parts) => {
                let mut out = String::new();
                for p in parts {
                    match p {
                        Part::Lit(s) => out.push_str(s),
                        Part::Expr(e, format) => {
                            let v = self.expr(e)?;
                            out.push_str(&format::format_value(&v, format.as_deref())?);
                        }
                    }
                }
                Ok(Value::str(out))
            }
            ExprKind::Name(n) => {
                if let Some((_, v)) = self.locals.iter().rev().find(|(k, _)| k == n) {
                    return Ok(v.clone());
                }
                if n == "context" {
                    return Ok(Value::Obj(Obj::Context));
                }
                Class::from_name(n)
                    .map(Value::Static)
                    .ok_or_else(|| EvalError(format!("unknown name '{n}'")))
            }
            ExprKind::Member { target, name, cond } => {
                let t = self.expr(target)?;
                if matches!(t, Value::Null) {
                    return if *cond {
                        Ok(Value::Null)
                    } else {
                        Err(null_reference())
                    };
                }
                members::property(self, t, name)
            }
            ExprKind::Index {
                target,
                index,
                cond,
            } => {
                let t = self.expr(target)?;
                if matches!(t, Value::Null) {
                    return if *cond {
                        Ok(Value::Null)
                    } else {
                        Err(null_reference())
                    };
                }
                let i = self.expr(index)?;
                members::index(self, &t, &i)
            }
            ExprKind::Call {
                target,
                method,
                generic,
                args,
                cond,
            } => {
                let t = self.expr(target)?;
                if matches!(t, Value::Null) {
                    return if *cond {
                        Ok(Value::Null)
                    } else {
                        Err(null_reference())
                    };
                }
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push((a.name.clone(), self.expr(&a.value)?));
                }
                members::call(self, t, method, *generic, values)
            }
            ExprKind::Unary(op, inner) => {
                let v = self.expr(inner)?;
                match (op, v) {
                    (UnOp::Not, v) => Ok(Value::Bool(!ops::truth(&v)?)),
                    (UnOp::Neg, Value::Int(i)) => {
                        i.checked_neg().map(Value::Int).ok_or_else(|| {
                            EvalError("Arithmetic operation resulted in an overflow.".into())
                        })
                    }
                    (UnOp::Neg, Value::Double(d)) => Ok(Value::Double(-d)),
                    (UnOp::Neg, Value::TimeSpan(t)) => Ok(Value::TimeSpan(t.saturating_neg())),
                    (UnOp::Neg, v) => Err(EvalError(format!(
                        "Operator '-' cannot be applied to operand of type '{}'",
                        v.type_name()
                    ))),
                }
            }
            ExprKind::Binary(op, l, r) => {
                let lv = self.expr(l)?;
                match op {
                    BinOp::And => {
                        if !ops::truth(&lv)? {
                            return Ok(Value::Bool(false));
                        }
                        let rv = self.expr(r)?;
                        Ok(Value::Bool(ops::truth(&rv)?))
                    }
                    BinOp::Or => {
                        if ops::truth(&lv)? {
                            return Ok(Value::Bool(true));
                        }
                        let rv = self.expr(r)?;
                        Ok(Value::Bool(ops::truth(&rv)?))
                    }
                    BinOp::Coalesce => {
                        if matches!(lv, Value::Null) {
                            self.expr(r)
                        } else {
                            Ok(lv)
                        }
                    }
                    _ => {
                        let rv = self.expr(r)?;
                        ops::binary(*op, &lv, &rv)
                    }
                }
            }
            ExprKind::Cond(c, t, f) => {
                let cv = self.expr(c)?;
                if ops::truth(&cv)? {
                    self.expr(t)
                } else {
                    self.expr(f)
                }
            }
            ExprKind::Cast(ty, inner) => {
                let v = self.expr(inner)?;
                ops::cast(&v, *ty)
            }
            ExprKind::As(inner, ty) => {
                let v = self.expr(inner)?;
                Ok(ops::as_type(&v, *ty))
            }
            ExprKind::Is(inner, ty) => {
                let v = self.expr(inner)?;
                Ok(Value::Bool(ops::is_type(&v, *ty)))
            }
            ExprKind::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    match self.expr(i)? {
                        Value::Str(s) => out.push(s.to_string()),
                        Value::Char(c) => out.push(c.to_string()),
                        other => {
                            return Err(EvalError(format!(
                                "array elements must be strings or chars, not {}",
                                other.type_name()
                            )));
                        }
                    }
                }
                Ok(Value::StrArray(Arc::new(out)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{TestHost, eval_str};
    use super::super::value::Value;

    #[test]
    fn operators_and_short_circuit() {
        let mut h = TestHost::default();
        assert_eq!(
            eval_str(r#"@(1 + 2 * 3 == 7 && "a" + 1 == "a1")"#, &mut h),
            "True"
        );
        // The right side is not evaluated when the left decides.
        assert_eq!(
            eval_str(
                r#"@(false && context.Variables["missing"] == null)"#,
                &mut h
            ),
            "False"
        );
        assert_eq!(eval_str(r#"@(null ?? "d")"#, &mut h), "d");
        assert_eq!(eval_str(r#"@(3 > 2 ? "y" : "n")"#, &mut h), "y");
        assert_eq!(eval_str("@(7 / 2 + 7 % 2 - -1)", &mut h), "5");
        assert!(eval_str("@(1 / 0)", &mut h).starts_with("ERR"));
        assert_eq!(eval_str("@(!(1 == 2))", &mut h), "True");
    }

    #[test]
    fn null_conditionals_and_null_references() {
        let mut h = TestHost::default();
        assert_eq!(
            eval_str("@(context.Subscription?.Id ?? \"anon\")", &mut h),
            "anon"
        );
        assert_eq!(
            eval_str("@(context.Subscription.Id)", &mut h),
            "ERR Object reference not set to an instance of an object."
        );
    }

    #[test]
    fn blocks_with_locals_and_if() {
        let mut h = TestHost {
            headers: vec![("X-Name".into(), vec!["Ada".into()])],
            ..TestHost::default()
        };
        let src = r#"@{
            var n = context.Request.Headers.GetValueOrDefault("x-name", "");
            string greeting = "Hello";
            if (n.Length == 0) { return "nobody"; }
            else if (n.StartsWith("A")) { greeting += ", dear"; }
            return greeting + " " + n;
        }"#;
        assert_eq!(eval_str(src, &mut h), "Hello, dear Ada");
    }

    #[test]
    fn interpolation_and_arrays() {
        let mut h = TestHost {
            vars: vec![("n".into(), Value::Int(7))],
            ..TestHost::default()
        };
        assert_eq!(
            eval_str(r#"@($"n={context.Variables["n"]:D3};{{x}}")"#, &mut h),
            "n=007;{x}"
        );
        assert_eq!(
            eval_str(r#"@("a,b;c".Split(new[] {',', ';'})[2])"#, &mut h),
            "c"
        );
    }
}
