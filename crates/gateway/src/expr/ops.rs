//! Operators, conversions and casts with C# semantics: ordinal string equality, `+` as
//! concatenation when either side is a string, checked integer arithmetic, and casts that
//! throw (become an evaluation error) instead of guessing.

use std::sync::Arc;

use serde_json::Value as Json;

use super::EvalError;
use super::ast::{BinOp, TypeName};
use super::value::Value;

fn invalid_cast(v: &Value, to: &str) -> EvalError {
    EvalError(format!(
        "Unable to cast object of type '{}' to type '{to}'.",
        v.type_name()
    ))
}

/// C# `==`.
pub fn equals(a: &Value, b: &Value) -> bool {
    use Value::*;
    match (a, b) {
        (Null, Null) => true,
        (Null, Json(j)) | (Json(j), Null) => j.is_null(),
        (Null, _) | (_, Null) => false,
        (Str(x), Str(y)) => x == y,
        (Char(x), Char(y)) => x == y,
        (Bool(x), Bool(y)) => x == y,
        (Int(x), Int(y)) => x == y,
        (Int(_) | Double(_), Int(_) | Double(_)) => to_f64(a) == to_f64(b),
        (Char(c), Int(i)) | (Int(i), Char(c)) => i64::from(u32::from(*c)) == *i,
        (DateTime(x), DateTime(y)) | (TimeSpan(x), TimeSpan(y)) => x == y,
        (Guid(x), Guid(y)) => x == y,
        (Comparison(x), Comparison(y)) => x == y,
        // Lenient: a JSON scalar compares by value with a primitive.
        (Json(j), other) | (other, Json(j)) if !matches!(other, Json(_)) => {
            json_scalar(j).is_some_and(|s| equals(&s, other))
        }
        (Json(x), Json(y)) => x == y,
        (Jwt(x), Jwt(y)) => Arc::ptr_eq(x, y),
        (Response(x), Response(y)) => Arc::ptr_eq(x, y),
        _ => false,
    }
}

/// A JSON scalar as a primitive value.
pub fn json_scalar(j: &Json) -> Option<Value> {
    Some(match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::String(s) => Value::str(s.as_str()),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Double(n.as_f64()?),
        },
        _ => return None,
    })
}

fn to_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Double(d) => *d,
        _ => f64::NAN,
    }
}

fn arith_err(op: BinOp, a: &Value, b: &Value) -> EvalError {
    EvalError(format!(
        "Operator '{op:?}' cannot be applied to operands of type '{}' and '{}'",
        a.type_name(),
        b.type_name()
    ))
}

/// Every binary operator except the short-circuiting `&&`, `||` and `??`.
pub fn binary(op: BinOp, a: &Value, b: &Value) -> Result<Value, EvalError> {
    use Value::*;
    let overflow = || EvalError("Arithmetic operation resulted in an overflow.".into());
    Ok(match op {
        BinOp::Eq => Bool(equals(a, b)),
        BinOp::Ne => Bool(!equals(a, b)),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ord = match (a, b) {
                (Int(x), Int(y)) => x.partial_cmp(y),
                (Int(_) | Double(_), Int(_) | Double(_)) => to_f64(a).partial_cmp(&to_f64(b)),
                (DateTime(x), DateTime(y)) | (TimeSpan(x), TimeSpan(y)) => x.partial_cmp(y),
                (Char(x), Char(y)) => x.partial_cmp(y),
                // Comparisons with null are false in C# (lifted operators).
                (Null, _) | (_, Null) => return Ok(Bool(false)),
                (Json(j), other) if json_scalar(j).is_some() => {
                    return binary(op, &json_scalar(j).unwrap_or(Null), other);
                }
                (other, Json(j)) if json_scalar(j).is_some() => {
                    return binary(op, other, &json_scalar(j).unwrap_or(Null));
                }
                _ => return Err(arith_err(op, a, b)),
            };
            let Some(ord) = ord else {
                return Ok(Bool(false));
            };
            Bool(match op {
                BinOp::Lt => ord.is_lt(),
                BinOp::Le => ord.is_le(),
                BinOp::Gt => ord.is_gt(),
                _ => ord.is_ge(),
            })
        }
        BinOp::Add => match (a, b) {
            (Str(_), _) | (_, Str(_)) => {
                Value::str(format!("{}{}", a.to_dotnet_string(), b.to_dotnet_string()))
            }
            (Int(x), Int(y)) => Int(x.checked_add(*y).ok_or_else(overflow)?),
            (Int(_) | Double(_), Int(_) | Double(_)) => Double(to_f64(a) + to_f64(b)),
            (DateTime(x), TimeSpan(y)) => DateTime(x.checked_add(*y).ok_or_else(overflow)?),
            (TimeSpan(x), TimeSpan(y)) => TimeSpan(x.checked_add(*y).ok_or_else(overflow)?),
            _ => return Err(arith_err(op, a, b)),
        },
        BinOp::Sub => match (a, b) {
            (Int(x), Int(y)) => Int(x.checked_sub(*y).ok_or_else(overflow)?),
            (Int(_) | Double(_), Int(_) | Double(_)) => Double(to_f64(a) - to_f64(b)),
            (DateTime(x), DateTime(y)) => TimeSpan(x.checked_sub(*y).ok_or_else(overflow)?),
            (DateTime(x), TimeSpan(y)) => DateTime(x.checked_sub(*y).ok_or_else(overflow)?),
            (TimeSpan(x), TimeSpan(y)) => TimeSpan(x.checked_sub(*y).ok_or_else(overflow)?),
            _ => return Err(arith_err(op, a, b)),
        },
        BinOp::Mul => match (a, b) {
            (Int(x), Int(y)) => Int(x.checked_mul(*y).ok_or_else(overflow)?),
            (Int(_) | Double(_), Int(_) | Double(_)) => Double(to_f64(a) * to_f64(b)),
            _ => return Err(arith_err(op, a, b)),
        },
        BinOp::Div | BinOp::Rem => match (a, b) {
            (Int(_), Int(0)) => {
                return Err(EvalError("Attempted to divide by zero.".into()));
            }
            (Int(x), Int(y)) if op == BinOp::Div => Int(x.checked_div(*y).ok_or_else(overflow)?),
            (Int(x), Int(y)) => Int(x.checked_rem(*y).ok_or_else(overflow)?),
            (Int(_) | Double(_), Int(_) | Double(_)) if op == BinOp::Div => {
                Double(to_f64(a) / to_f64(b))
            }
            (Int(_) | Double(_), Int(_) | Double(_)) => Double(to_f64(a) % to_f64(b)),
            _ => return Err(arith_err(op, a, b)),
        },
        BinOp::And | BinOp::Or | BinOp::Coalesce => {
            return Err(EvalError("internal: short-circuit operator".into()));
        }
    })
}

/// A condition: must be a `bool` (C# has no truthiness).
pub fn truth(v: &Value) -> Result<bool, EvalError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Json(j) if j.is_boolean() => Ok(j.as_bool().unwrap_or(false)),
        other => Err(invalid_cast(other, "System.Boolean")),
    }
}

/// `(T)v`: unboxing and JToken explicit conversions; anything else throws.
pub fn cast(v: &Value, ty: TypeName) -> Result<Value, EvalError> {
    use Value::*;
    if let Json(j) = v {
        return cast_json(j, v, ty);
    }
    let ok = match (ty, v) {
        (_, Null) => {
            return match ty {
                TypeName::Int
                | TypeName::Long
                | TypeName::Bool
                | TypeName::Double
                | TypeName::Char
                | TypeName::DateTime
                | TypeName::TimeSpan
                | TypeName::Guid => Err(EvalError(
                    "Object reference not set to an instance of an object.".into(),
                )),
                _ => Ok(Null),
            };
        }
        (TypeName::Object, _) => true,
        (TypeName::String, Str(_)) => true,
        (TypeName::Int | TypeName::Long, Int(_)) => true,
        (TypeName::Int | TypeName::Long, Double(d)) => {
            return Ok(Int(*d as i64));
        }
        (TypeName::Int | TypeName::Long, Char(c)) => return Ok(Int(i64::from(u32::from(*c)))),
        (TypeName::Double, Int(i)) => return Ok(Double(*i as f64)),
        (TypeName::Double, Double(_)) => true,
        (TypeName::Bool, Bool(_)) => true,
        (TypeName::Char, Char(_)) => true,
        (TypeName::Jwt, Jwt(_)) => true,
        (TypeName::IResponse, Response(_)) => true,
        (TypeName::DateTime, DateTime(_)) => true,
        (TypeName::TimeSpan, TimeSpan(_)) => true,
        (TypeName::Guid, Guid(_)) => true,
        (TypeName::StringArray, StrArray(_)) => true,
        (TypeName::ByteArray, Bytes(_)) => true,
        _ => false,
    };
    if ok {
        Ok(v.clone())
    } else {
        Err(invalid_cast(v, &format!("{ty:?}")))
    }
}

fn cast_json(j: &Arc<Json>, v: &Value, ty: TypeName) -> Result<Value, EvalError> {
    let bad = || invalid_cast(v, &format!("{ty:?}"));
    Ok(match ty {
        TypeName::JObject if j.is_object() => v.clone(),
        TypeName::JArray if j.is_array() => v.clone(),
        TypeName::JToken | TypeName::Object => v.clone(),
        TypeName::String => match &**j {
            Json::Null => Value::Null,
            Json::String(s) => Value::str(s.as_str()),
            Json::Number(_) | Json::Bool(_) => Value::str(super::value::json_to_string(j)),
            _ => return Err(bad()),
        },
        TypeName::Int | TypeName::Long => match &**j {
            Json::Number(n) => Value::Int(
                n.as_i64()
                    .or_else(|| n.as_f64().map(|f| f as i64))
                    .ok_or_else(bad)?,
            ),
            Json::String(s) => Value::Int(s.trim().parse().map_err(|_| bad())?),
            _ => return Err(bad()),
        },
        TypeName::Double => match &**j {
            Json::Number(n) => Value::Double(n.as_f64().ok_or_else(bad)?),
            Json::String(s) => Value::Double(s.trim().parse().map_err(|_| bad())?),
            _ => return Err(bad()),
        },
        TypeName::Bool => match &**j {
            Json::Bool(b) => Value::Bool(*b),
            Json::String(s) => Value::Bool(parse_bool(s).ok_or_else(bad)?),
            _ => return Err(bad()),
        },
        TypeName::DateTime => match &**j {
            Json::String(s) => Value::DateTime(super::value::parse_datetime(s).ok_or_else(bad)?),
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    })
}

/// `bool.Parse`: case-insensitive `true`/`false` with surrounding whitespace.
pub fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// `v as T`: the cast, or null when it would throw.
pub fn as_type(v: &Value, ty: TypeName) -> Value {
    match ty {
        TypeName::String
        | TypeName::Jwt
        | TypeName::IResponse
        | TypeName::JObject
        | TypeName::JArray
        | TypeName::JToken
        | TypeName::StringArray
        | TypeName::Object => {
            if matches!(v, Value::Json(_)) && ty == TypeName::String {
                return Value::Null;
            }
            cast(v, ty).unwrap_or(Value::Null)
        }
        _ => cast(v, ty).unwrap_or(Value::Null),
    }
}

/// `v is T`.
pub fn is_type(v: &Value, ty: TypeName) -> bool {
    use Value::*;
    match (ty, v) {
        (_, Null) => false,
        (TypeName::Object, _) => true,
        (TypeName::JObject, Json(j)) => j.is_object(),
        (TypeName::JArray, Json(j)) => j.is_array(),
        (TypeName::JToken, Json(_)) => true,
        (_, Json(_)) => false,
        _ => cast(v, ty).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_concat_and_numbers() {
        let s = binary(BinOp::Add, &Value::str("a"), &Value::Int(1)).unwrap();
        assert_eq!(s.to_dotnet_string(), "a1");
        let s = binary(BinOp::Add, &Value::Null, &Value::str("b")).unwrap();
        assert_eq!(s.to_dotnet_string(), "b");
        assert!(binary(BinOp::Add, &Value::Int(i64::MAX), &Value::Int(1)).is_err());
        assert!(binary(BinOp::Div, &Value::Int(1), &Value::Int(0)).is_err());
        assert!(equals(&Value::Int(2), &Value::Double(2.0)));
        assert!(!equals(&Value::str("a"), &Value::Null));
        assert!(matches!(
            binary(BinOp::Lt, &Value::Null, &Value::Int(1)),
            Ok(Value::Bool(false))
        ));
    }

    #[test]
    fn casts_are_strict() {
        assert!(cast(&Value::Int(1), TypeName::String).is_err());
        assert!(matches!(
            cast(&Value::Null, TypeName::String),
            Ok(Value::Null)
        ));
        assert!(cast(&Value::Null, TypeName::Int).is_err());
        let j = Value::Json(Arc::new(json!({"a": 1})));
        assert!(cast(&j, TypeName::JObject).is_ok());
        assert!(cast(&j, TypeName::String).is_err());
        let n = Value::Json(Arc::new(json!(5)));
        assert!(matches!(cast(&n, TypeName::Int), Ok(Value::Int(5))));
        assert!(matches!(
            as_type(&Value::Int(1), TypeName::String),
            Value::Null
        ));
        assert!(is_type(&Value::str("x"), TypeName::String));
        assert!(truth(&Value::str("true")).is_err());
    }
}
