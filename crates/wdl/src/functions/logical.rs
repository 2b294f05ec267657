//! Logical comparison functions and the equality/ordering rules shared with
//! the collection functions.
//!
//! The docs say logical functions treat null as the empty string, and show
//! `equals(true, 1)` as true, so booleans compare equal to 1/0. Numbers of
//! different types (integer, double, decimal) compare by value; strings
//! compare ordinally and case-sensitively (`greater('apple','banana')` is
//! false).

use std::cmp::Ordering;

use crate::error::ExprError;
use crate::functions::Args;
use crate::value::Val;

fn as_f64(v: &Val) -> Option<f64> {
    match v {
        Val::Int(i) => Some(*i as f64),
        Val::Float(f) => Some(*f),
        Val::Decimal(d) => Some(d.to_f64()),
        _ => None,
    }
}

/// Numeric comparison across integer, double and decimal.
fn cmp_numbers(a: &Val, b: &Val) -> Option<Ordering> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(y)),
        (Val::Decimal(x), Val::Decimal(y)) => Some(x.cmp_value(y)),
        (Val::Decimal(x), Val::Int(y)) => Some(x.cmp_value(&crate::decimal::Decimal::from_i64(*y))),
        (Val::Int(x), Val::Decimal(y)) => Some(crate::decimal::Decimal::from_i64(*x).cmp_value(y)),
        _ => as_f64(a)?.partial_cmp(&as_f64(b)?),
    }
}

/// Deep equality as `equals`, `contains`, `union` and `intersection` use it.
pub(crate) fn values_equal(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Null, Val::Str(s)) | (Val::Str(s), Val::Null) => s.is_empty(),
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Bool(x), n) | (n, Val::Bool(x)) if as_f64(n).is_some() => {
            cmp_numbers(&Val::Int(i64::from(*x)), n) == Some(Ordering::Equal)
        }
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Array(x), Val::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        (Val::Object(x), Val::Object(y)) => {
            x.0.len() == y.0.len()
                && x.0.iter().all(|(k, v)| {
                    y.0.iter()
                        .find(|(k2, _)| k2 == k)
                        .is_some_and(|(_, v2)| values_equal(v, v2))
                })
        }
        _ => cmp_numbers(a, b) == Some(Ordering::Equal),
    }
}

/// Ordering for `greater`/`less` and `sort`: numbers by value, strings
/// ordinally, booleans false < true; null counts as the empty string.
pub(crate) fn compare(a: &Val, b: &Val) -> Option<Ordering> {
    let empty = Val::Str(String::new());
    let a = if *a == Val::Null { &empty } else { a };
    let b = if *b == Val::Null { &empty } else { b };
    match (a, b) {
        (Val::Str(x), Val::Str(y)) => Some(x.encode_utf16().cmp(y.encode_utf16())),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        _ => cmp_numbers(a, b),
    }
}

pub(crate) fn equals(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(2)?;
    Ok(Val::Bool(values_equal(a.get(0), a.get(1))))
}

fn ordered(a: &Args, test: fn(Ordering) -> bool) -> Result<Val, ExprError> {
    a.exactly(2)?;
    match compare(a.get(0), a.get(1)) {
        Some(o) => Ok(Val::Bool(test(o))),
        None => Err(a.invalid(format!(
            "expects two parameters of comparable types (integer, float or string); the provided values are of types '{}' and '{}'.",
            a.get(0).type_name(),
            a.get(1).type_name()
        ))),
    }
}

pub(crate) fn greater(a: &mut Args) -> Result<Val, ExprError> {
    ordered(a, |o| o == Ordering::Greater)
}

pub(crate) fn greater_or_equals(a: &mut Args) -> Result<Val, ExprError> {
    ordered(a, |o| o != Ordering::Less)
}

pub(crate) fn less(a: &mut Args) -> Result<Val, ExprError> {
    ordered(a, |o| o == Ordering::Less)
}

pub(crate) fn less_or_equals(a: &mut Args) -> Result<Val, ExprError> {
    ordered(a, |o| o != Ordering::Greater)
}

pub(crate) fn not(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    match a.get(0) {
        Val::Bool(b) => Ok(Val::Bool(!b)),
        _ => Err(a.type_error(0, "a boolean")),
    }
}
