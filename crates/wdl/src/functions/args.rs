//! Argument checking shared by all functions, producing the runtime-style
//! arity and type errors.

use crate::context::Context;
use crate::decimal::Decimal;
use crate::error::{ExprError, ordinal};
use crate::value::Val;

/// Evaluated arguments of one call, plus what functions need to report errors
/// and reach the workflow context.
pub(crate) struct Args<'a> {
    /// The function's canonical name, for messages.
    pub(crate) name: &'static str,
    vals: Vec<Val>,
    pub(crate) ctx: &'a dyn Context,
}

/// A number argument, keeping the runtime's three numeric types apart.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    Int(i64),
    Float(f64),
    Dec(Decimal),
}

impl Num {
    /// The value as a double.
    pub(crate) fn to_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
            Num::Dec(d) => d.to_f64(),
        }
    }

    /// Back to a value.
    pub(crate) fn into_val(self) -> Val {
        match self {
            Num::Int(i) => Val::Int(i),
            Num::Float(f) => Val::Float(f),
            Num::Dec(d) => Val::Decimal(d),
        }
    }
}

fn count_word(n: usize) -> String {
    const WORDS: [&str; 6] = ["zero", "one", "two", "three", "four", "five"];
    WORDS
        .get(n)
        .map(|w| (*w).to_owned())
        .unwrap_or_else(|| n.to_string())
}

fn params(n: usize) -> String {
    if n == 1 {
        "one parameter".to_owned()
    } else {
        format!("{} parameters", count_word(n))
    }
}

impl<'a> Args<'a> {
    pub(crate) fn new(name: &'static str, vals: Vec<Val>, ctx: &'a dyn Context) -> Self {
        Args { name, vals, ctx }
    }

    /// Number of arguments.
    pub(crate) fn len(&self) -> usize {
        self.vals.len()
    }

    /// Checks the argument count is within `min..=max` (`max = None`: no
    /// upper bound).
    pub(crate) fn count(&self, min: usize, max: Option<usize>) -> Result<(), ExprError> {
        let n = self.vals.len();
        let ok = n >= min && max.is_none_or(|m| n <= m);
        if ok {
            return Ok(());
        }
        let expected = match max {
            Some(m) if m == min => params(min),
            Some(m) if m == min + 1 => format!("{} or {}", count_word(min), params(m)),
            Some(m) => format!("between {} and {}", count_word(min), params(m)),
            None => format!("at least {}", params(min)),
        };
        Err(ExprError::Arity {
            function: self.name.to_owned(),
            expected,
            actual: n,
        })
    }

    /// Checks for exactly `n` arguments.
    pub(crate) fn exactly(&self, n: usize) -> Result<(), ExprError> {
        self.count(n, Some(n))
    }

    /// The argument at `i` (null when absent).
    pub(crate) fn get(&self, i: usize) -> &Val {
        self.vals.get(i).unwrap_or(&Val::Null)
    }

    /// True when argument `i` was given.
    pub(crate) fn has(&self, i: usize) -> bool {
        i < self.vals.len()
    }

    /// Moves argument `i` out (leaving null behind).
    pub(crate) fn take(&mut self, i: usize) -> Val {
        self.vals
            .get_mut(i)
            .map(|v| std::mem::replace(v, Val::Null))
            .unwrap_or(Val::Null)
    }

    /// All arguments, moved out.
    pub(crate) fn take_all(&mut self) -> Vec<Val> {
        std::mem::take(&mut self.vals)
    }

    /// A type error for argument `i`.
    pub(crate) fn type_error(&self, i: usize, expected: &str) -> ExprError {
        ExprError::ArgType {
            function: self.name.to_owned(),
            position: ordinal(i),
            expected: expected.to_owned(),
            actual: self.get(i).type_name().to_owned(),
        }
    }

    /// An [`ExprError::InvalidArgument`] for this function.
    pub(crate) fn invalid(&self, message: impl Into<String>) -> ExprError {
        ExprError::invalid(self.name, message)
    }

    /// Argument `i` as a string.
    pub(crate) fn str(&self, i: usize) -> Result<&str, ExprError> {
        match self.get(i) {
            Val::Str(s) => Ok(s),
            _ => Err(self.type_error(i, "a string")),
        }
    }

    /// Optional string argument `i` (absent → `None`).
    pub(crate) fn opt_str(&self, i: usize) -> Result<Option<&str>, ExprError> {
        if self.has(i) {
            self.str(i).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Argument `i` as an integer. Integral doubles and decimals are
    /// accepted, since the runtime's integer parameters take any number
    /// without a fractional part.
    pub(crate) fn int(&self, i: usize) -> Result<i64, ExprError> {
        match self.get(i) {
            Val::Int(n) => Ok(*n),
            Val::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(*f as i64),
            Val::Decimal(d) => d
                .to_i64_exact()
                .ok_or_else(|| self.type_error(i, "an integer")),
            _ => Err(self.type_error(i, "an integer")),
        }
    }

    /// Argument `i` as a number.
    pub(crate) fn num(&self, i: usize) -> Result<Num, ExprError> {
        match self.get(i) {
            Val::Int(n) => Ok(Num::Int(*n)),
            Val::Float(f) => Ok(Num::Float(*f)),
            Val::Decimal(d) => Ok(Num::Dec(*d)),
            _ => Err(self.type_error(i, "an integer or a decimal number")),
        }
    }
}
