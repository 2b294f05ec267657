//! Math functions.
//!
//! Integer op integer gives an integer (checked: overflow is an error, as the
//! runtime raises an arithmetic exception); any double makes a double; any
//! decimal makes everything decimal (observed: `max(20, decimal('10'), 30.1)`
//! converts 30.1 to decimal).

use crate::decimal::Decimal;
use crate::error::ExprError;
use crate::functions::{Args, Num};
use crate::value::Val;

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

fn overflow(a: &Args) -> ExprError {
    a.invalid("failed: the result is outside the range of its numeric type.")
}

fn divide_by_zero(a: &Args) -> ExprError {
    a.invalid("failed: attempted to divide by zero.")
}

fn to_dec(a: &Args, n: Num) -> Result<Decimal, ExprError> {
    match n {
        Num::Int(i) => Ok(Decimal::from_i64(i)),
        Num::Float(f) => Decimal::from_f64(f).map_err(|_| overflow(a)),
        Num::Dec(d) => Ok(d),
    }
}

fn arith(a: &mut Args, op: Op) -> Result<Val, ExprError> {
    a.exactly(2)?;
    let (x, y) = (a.num(0)?, a.num(1)?);
    match (x, y) {
        (Num::Dec(_), _) | (_, Num::Dec(_)) => {
            let (x, y) = (to_dec(a, x)?, to_dec(a, y)?);
            let r = match op {
                Op::Add => x.add(y),
                Op::Sub => x.sub(y),
                Op::Mul => x.mul(y),
                Op::Div => x.div(y).ok_or_else(|| divide_by_zero(a))?,
                Op::Mod => Ok(x.rem(y).ok_or_else(|| divide_by_zero(a))?),
            };
            r.map(Val::Decimal).map_err(|_| overflow(a))
        }
        (Num::Int(x), Num::Int(y)) => {
            let r = match op {
                Op::Add => x.checked_add(y),
                Op::Sub => x.checked_sub(y),
                Op::Mul => x.checked_mul(y),
                Op::Div | Op::Mod if y == 0 => return Err(divide_by_zero(a)),
                Op::Div => x.checked_div(y),
                Op::Mod => x.checked_rem(y),
            };
            r.map(Val::Int).ok_or_else(|| overflow(a))
        }
        _ => {
            let (x, y) = (x.to_f64(), y.to_f64());
            Ok(Val::Float(match op {
                Op::Add => x + y,
                Op::Sub => x - y,
                Op::Mul => x * y,
                Op::Div | Op::Mod if y == 0.0 => return Err(divide_by_zero(a)),
                Op::Div => x / y,
                Op::Mod => x % y,
            }))
        }
    }
}

pub(crate) fn add(a: &mut Args) -> Result<Val, ExprError> {
    arith(a, Op::Add)
}

pub(crate) fn sub(a: &mut Args) -> Result<Val, ExprError> {
    arith(a, Op::Sub)
}

pub(crate) fn mul(a: &mut Args) -> Result<Val, ExprError> {
    arith(a, Op::Mul)
}

/// `div`: integer division truncates (`div(11,5)` is 2).
pub(crate) fn div(a: &mut Args) -> Result<Val, ExprError> {
    arith(a, Op::Div)
}

/// `mod`: the result takes the dividend's sign (`mod(-5,2)` is -1).
pub(crate) fn mod_(a: &mut Args) -> Result<Val, ExprError> {
    arith(a, Op::Mod)
}

fn extreme(a: &mut Args, want_max: bool) -> Result<Val, ExprError> {
    a.count(1, None)?;
    let values: Vec<Val> = if a.len() == 1 {
        match a.take(0) {
            Val::Array(items) => items,
            other => vec![other],
        }
    } else {
        a.take_all()
    };
    if values.is_empty() {
        return Err(a.invalid("expects a non-empty array or at least one number."));
    }
    let mut nums = Vec::with_capacity(values.len());
    for v in &values {
        nums.push(match v {
            Val::Int(i) => Num::Int(*i),
            Val::Float(f) => Num::Float(*f),
            Val::Decimal(d) => Num::Dec(*d),
            other => {
                return Err(a.invalid(format!(
                    "expects numbers (integer or float); a value of type '{}' was provided.",
                    other.type_name()
                )));
            }
        });
    }
    let any_dec = nums.iter().any(|n| matches!(n, Num::Dec(_)));
    if any_dec {
        let mut best = to_dec(a, nums[0])?;
        for n in &nums[1..] {
            let d = to_dec(a, *n)?;
            let better = d.cmp_value(&best);
            if (want_max && better.is_gt()) || (!want_max && better.is_lt()) {
                best = d;
            }
        }
        return Ok(Val::Decimal(best));
    }
    let mut best = 0;
    for (i, n) in nums.iter().enumerate() {
        let (x, b) = (*n, nums[best]);
        let better = match (x, b) {
            (Num::Int(x), Num::Int(b)) => {
                if want_max {
                    x > b
                } else {
                    x < b
                }
            }
            _ => {
                if want_max {
                    x.to_f64() > b.to_f64()
                } else {
                    x.to_f64() < b.to_f64()
                }
            }
        };
        if better {
            best = i;
        }
    }
    Ok(nums[best].into_val())
}

pub(crate) fn max(a: &mut Args) -> Result<Val, ExprError> {
    extreme(a, true)
}

pub(crate) fn min(a: &mut Args) -> Result<Val, ExprError> {
    extreme(a, false)
}

/// `rand(min, max)`: min inclusive, max exclusive.
pub(crate) fn rand(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(2)?;
    let (lo, hi) = (a.int(0)?, a.int(1)?);
    if lo >= hi {
        return Err(a.invalid("expects its first parameter 'minValue' to be less than its second parameter 'maxValue'."));
    }
    Ok(Val::Int(a.ctx.random_int(lo, hi)))
}

/// Documented limit on `range`'s count.
const MAX_RANGE: i64 = 100_000;

/// `range(start, count)`: count ≤ 100,000 and start + count ≤ 2^31 − 1
/// (documented).
pub(crate) fn range(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(2)?;
    let (start, count) = (a.int(0)?, a.int(1)?);
    if !(0..=MAX_RANGE).contains(&count) {
        return Err(a.invalid(format!(
            "expects its second parameter 'count' to be a positive integer no larger than {MAX_RANGE}."
        )));
    }
    if start.saturating_add(count) > i64::from(i32::MAX) {
        return Err(
            a.invalid("expects the sum of 'startIndex' and 'count' not to exceed 2147483647.")
        );
    }
    Ok(Val::Array((start..start + count).map(Val::Int).collect()))
}
