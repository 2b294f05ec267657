//! Evaluating a parsed expression.
//!
//! Arguments are evaluated left to right, except for the lazy functions
//! `and`, `or`, `if` and `coalesce`, which evaluate only what they need (the
//! runtime short-circuits them; IllogicApps' tests observed e.g.
//! `and(false, nope())` returning `false`). An unknown function is reported
//! only when a call to it is evaluated, as in the runtime.

use crate::ast::{Accessor, Expr};
use crate::context::Context;
use crate::error::{ExprError, ordinal};
use crate::functions::{self, Args};
use crate::text::to_text;
use crate::value::Val;

/// Evaluates `expr` against `ctx`.
pub(crate) fn eval(expr: &Expr, ctx: &dyn Context) -> Result<Val, ExprError> {
    Evaluator { ctx }.eval(expr)
}

struct Evaluator<'a> {
    ctx: &'a dyn Context,
}

impl Evaluator<'_> {
    fn eval(&self, expr: &Expr) -> Result<Val, ExprError> {
        match expr {
            Expr::Null => Ok(Val::Null),
            Expr::Bool(b) => Ok(Val::Bool(*b)),
            Expr::Int(i) => Ok(Val::Int(*i)),
            Expr::Float(f) => Ok(Val::Float(*f)),
            Expr::Str(s) => Ok(Val::Str(s.clone())),
            Expr::Call { name, args } => self.call(name, args),
            Expr::Access { base, path } => {
                let mut value = self.eval(base)?;
                for step in path {
                    value = match step {
                        Accessor::Property { name, null_safe } => {
                            select(value, &Val::Str(name.clone()), *null_safe)?
                        }
                        Accessor::Index { index, null_safe } => {
                            let key = self.eval(index)?;
                            select(value, &key, *null_safe)?
                        }
                    };
                }
                Ok(value)
            }
        }
    }

    fn call(&self, name: &str, args: &[Expr]) -> Result<Val, ExprError> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "and" => return self.and_or(args, "and", false),
            "or" => return self.and_or(args, "or", true),
            "if" => return self.if_(args),
            "coalesce" => return self.coalesce(args),
            _ => {}
        }
        let Some((canonical, f)) = functions::lookup(&lower) else {
            return Err(ExprError::UnknownFunction {
                name: name.to_owned(),
            });
        };
        let vals = args
            .iter()
            .map(|a| self.eval(a))
            .collect::<Result<Vec<_>, _>>()?;
        f(&mut Args::new(canonical, vals, self.ctx))
    }

    /// `and`/`or`: one or more booleans, evaluated until the result is known.
    fn and_or(&self, args: &[Expr], name: &str, stop_on: bool) -> Result<Val, ExprError> {
        if args.is_empty() {
            return Err(ExprError::Arity {
                function: name.to_owned(),
                expected: "at least one parameter".to_owned(),
                actual: 0,
            });
        }
        for (i, arg) in args.iter().enumerate() {
            match self.eval(arg)? {
                Val::Bool(b) if b == stop_on => return Ok(Val::Bool(stop_on)),
                Val::Bool(_) => {}
                other => return Err(bool_expected(name, i, &other)),
            }
        }
        Ok(Val::Bool(!stop_on))
    }

    /// `if(condition, whenTrue, whenFalse)`: only the chosen branch runs.
    fn if_(&self, args: &[Expr]) -> Result<Val, ExprError> {
        if args.len() != 3 {
            return Err(ExprError::Arity {
                function: "if".to_owned(),
                expected: "three parameters".to_owned(),
                actual: args.len(),
            });
        }
        match self.eval(&args[0])? {
            Val::Bool(true) => self.eval(&args[1]),
            Val::Bool(false) => self.eval(&args[2]),
            other => Err(bool_expected("if", 0, &other)),
        }
    }

    /// `coalesce(a, …)`: the first non-null argument; later ones are not
    /// evaluated (observed: `coalesce('hi', FakeFunction())` is `'hi'`).
    fn coalesce(&self, args: &[Expr]) -> Result<Val, ExprError> {
        if args.is_empty() {
            return Err(ExprError::Arity {
                function: "coalesce".to_owned(),
                expected: "at least one parameter".to_owned(),
                actual: 0,
            });
        }
        for arg in args {
            let v = self.eval(arg)?;
            if v != Val::Null {
                return Ok(v);
            }
        }
        Ok(Val::Null)
    }
}

fn bool_expected(name: &str, index: usize, got: &Val) -> ExprError {
    ExprError::ArgType {
        function: name.to_owned(),
        position: ordinal(index),
        expected: "a boolean".to_owned(),
        actual: got.type_name().to_owned(),
    }
}

/// Applies one member or index access. Object lookups ignore case (exact
/// case wins); `null_safe` (`?.`/`?[`) turns a null base, a missing property
/// or an out-of-range index into null.
pub(crate) fn select(base: Val, key: &Val, null_safe: bool) -> Result<Val, ExprError> {
    match base {
        Val::Null if null_safe => Ok(Val::Null),
        Val::Object(mut obj) => {
            let Val::Str(name) = key else {
                return Err(ExprError::BadIndex {
                    expression: String::new(),
                    index_type: key.type_name().to_owned(),
                });
            };
            match obj.position(name) {
                Some(i) => Ok(obj.0.swap_remove(i).1),
                None if null_safe => Ok(Val::Null),
                None => Err(ExprError::PropertyNotFound {
                    expression: String::new(),
                    property: name.clone(),
                    available: obj.key_list(),
                }),
            }
        }
        Val::Array(mut items) => {
            let Val::Int(i) = key else {
                return Err(ExprError::BadIndex {
                    expression: String::new(),
                    index_type: key.type_name().to_owned(),
                });
            };
            let len = items.len() as i64;
            if *i >= 0 && *i < len {
                Ok(items.swap_remove(*i as usize))
            } else if null_safe {
                Ok(Val::Null)
            } else {
                Err(ExprError::IndexOutOfRange {
                    expression: String::new(),
                    index: *i,
                    last: len - 1,
                })
            }
        }
        other => Err(ExprError::PropertyNotSelectable {
            expression: String::new(),
            property: to_text(key),
            value_type: other.type_name().to_owned(),
        }),
    }
}
