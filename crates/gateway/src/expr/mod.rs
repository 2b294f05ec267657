//! Policy expressions: the C# subset APIM users write in `@(…)` and `@{…}`.
//!
//! Expressions are lexed, parsed and checked against the supported member table at load time
//! ([`Expression::compile`]); at runtime they are interpreted over dynamic [`Value`]s, reading
//! the request context through the [`Host`] trait so this module stays free of HTTP types.

pub mod ast;
mod builtins;
mod check;
#[cfg(test)]
mod coverage;
mod datetime;
mod eval;
mod format;
pub mod lexer;
mod members;
pub mod ops;
pub mod parser;
mod strings;
pub mod types;
pub mod value;

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

pub use value::{Comparison, Dict, HttpMessage, JwtValue, Obj, Side, UrlValue, Value};

/// A syntax or checking error at a byte offset of the policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl ExprError {
    /// An error at `offset`.
    pub fn new(offset: usize, message: &str) -> Self {
        Self {
            offset,
            message: message.to_owned(),
        }
    }
}

/// A runtime failure (APIM's `ExpressionValueEvaluationFailure`); the text mimics the .NET
/// exception message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

/// What an expression can read from (and do to) the request being processed.
pub trait Host {
    /// The injected clock, Unix milliseconds (`DateTime.UtcNow`).
    fn now_ms(&self) -> i64;
    /// A property of a live context object (`context.Request` → `Obj::Request`, …).
    fn property(&mut self, obj: Obj, name: &str) -> Result<Value, EvalError>;
    /// A variable, if set.
    fn variable(&self, name: &str) -> Option<Value>;
    /// The number of variables.
    fn variable_count(&self) -> usize;
    /// Reads a body; without `preserve` the body is consumed, as in APIM.
    fn read_body(&mut self, side: Side, preserve: bool) -> Result<Bytes, EvalError>;
    /// `context.Trace(message)`.
    fn trace(&mut self, message: String);
}

/// A compiled expression, cheap to clone.
#[derive(Clone)]
pub struct Expression {
    code: Arc<ast::Code>,
    source: Arc<str>,
}

impl fmt::Debug for Expression {
    // The source may contain named-value secrets; print only its length.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Expression({} chars)", self.source.len())
    }
}

impl PartialEq for Expression {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Expression {
    /// Parses and checks `src` (`@(…)` or `@{…}`); `base` is its offset in the document so
    /// errors point into the file.
    pub fn compile(src: &str, base: usize) -> Result<Self, ExprError> {
        let code = parser::parse_code(src, base)?;
        check::check(&code, base)?;
        Ok(Self {
            code: Arc::new(code),
            source: src.into(),
        })
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates against `host`.
    pub fn eval(&self, host: &mut dyn Host) -> Result<Value, EvalError> {
        eval::run(&self.code, host)
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A host with a fixed request, for expression tests.
    use super::*;

    #[derive(Default)]
    pub struct TestHost {
        pub now_ms: i64,
        pub vars: Vec<(String, Value)>,
        pub headers: Vec<(String, Vec<String>)>,
        pub body: Option<Bytes>,
        pub traces: Vec<String>,
    }

    impl Host for TestHost {
        fn now_ms(&self) -> i64 {
            self.now_ms
        }
        fn property(&mut self, obj: Obj, name: &str) -> Result<Value, EvalError> {
            Ok(match (obj, name) {
                (Obj::Context, "Request") => Value::Obj(Obj::Request),
                (Obj::Context, "Variables") => Value::Obj(Obj::Variables),
                (Obj::Context, "Subscription") => Value::Null,
                (Obj::Request, "Method") => Value::str("POST"),
                (Obj::Request, "Body") => Value::Obj(Obj::Body(Side::Request)),
                (Obj::Request, "Headers") => Value::Dict(Arc::new(Dict {
                    entries: self.headers.clone(),
                    ignore_case: true,
                    single: false,
                })),
                (Obj::Variables, "Count") => Value::Int(self.vars.len() as i64),
                _ => return Err(EvalError(format!("no {name}"))),
            })
        }
        fn variable(&self, name: &str) -> Option<Value> {
            self.vars
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
        fn variable_count(&self) -> usize {
            self.vars.len()
        }
        fn read_body(&mut self, _side: Side, preserve: bool) -> Result<Bytes, EvalError> {
            let body = self.body.clone().unwrap_or_default();
            if !preserve {
                self.body = None;
            }
            Ok(body)
        }
        fn trace(&mut self, message: String) {
            self.traces.push(message);
        }
    }

    pub fn eval(src: &str, host: &mut TestHost) -> Result<Value, EvalError> {
        let e = Expression::compile(src, 0).unwrap_or_else(|e| panic!("{src}: {e:?}"));
        e.eval(host)
    }

    pub fn eval_str(src: &str, host: &mut TestHost) -> String {
        match eval(src, host) {
            Ok(v) => v.to_dotnet_string(),
            Err(e) => format!("ERR {e}"),
        }
    }
}
