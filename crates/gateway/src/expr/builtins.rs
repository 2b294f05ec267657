//! .NET built-ins: `DateTime`/`TimeSpan` members, static classes (`String`, `Convert`,
//! `Guid`, …) and method dispatch to [`super::strings`].

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;

use super::eval::Eval;
use super::format::{composite_format, format_error};
use super::members::{Args, arg_str};
use super::strings::{array_method, string_method};
use super::value::{Class, Comparison, Value, decode_component, encode_component, parse_datetime};
use super::{EvalError, ops};

pub(super) fn arg(args: &Args, i: usize) -> Result<&Value, EvalError> {
    args.get(i)
        .map(|(_, v)| v)
        .ok_or_else(|| EvalError(format!("missing argument {}", i + 1)))
}

pub(super) fn arg_int(args: &Args, i: usize) -> Result<i64, EvalError> {
    match arg(args, i)? {
        Value::Int(n) => Ok(*n),
        Value::Double(d) => Ok(*d as i64),
        other => Err(EvalError(format!(
            "Argument {} must be a number, not {}",
            i + 1,
            other.type_name()
        ))),
    }
}

pub(super) fn arg_f64(args: &Args, i: usize) -> Result<f64, EvalError> {
    match arg(args, i)? {
        Value::Int(n) => Ok(*n as f64),
        Value::Double(d) => Ok(*d),
        other => Err(EvalError(format!(
            "Argument {} must be a number, not {}",
            i + 1,
            other.type_name()
        ))),
    }
}

pub(super) fn ignore_case(args: &Args, i: usize) -> bool {
    matches!(
        args.get(i),
        Some((_, Value::Comparison(Comparison::IgnoreCase)))
    )
}

fn datetime(ms: i64) -> Result<OffsetDateTime, EvalError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| EvalError("The DateTime is out of range.".into()))
}

/// `DateTime` / `TimeSpan` properties.
pub(super) fn time_property(v: &Value, name: &str) -> Result<Value, EvalError> {
    let span = |ms: i64, unit: f64| Value::Double(ms as f64 / unit);
    Ok(match (v, name) {
        (Value::DateTime(ms), _) => {
            let dt = datetime(*ms)?;
            match name {
                "Year" => Value::Int(i64::from(dt.year())),
                "Month" => Value::Int(i64::from(u8::from(dt.month()))),
                "Day" => Value::Int(i64::from(dt.day())),
                "Hour" => Value::Int(i64::from(dt.hour())),
                "Minute" => Value::Int(i64::from(dt.minute())),
                "Second" => Value::Int(i64::from(dt.second())),
                "Millisecond" => Value::Int(i64::from(dt.millisecond())),
                // .NET ticks: 100 ns since 0001-01-01.
                "Ticks" => Value::Int((ms + 62_135_596_800_000).saturating_mul(10_000)),
                "Date" => Value::DateTime(ms - ms.rem_euclid(86_400_000)),
                _ => {
                    return Err(EvalError(format!(
                        "'DateTime' does not contain a definition for '{name}'"
                    )));
                }
            }
        }
        (Value::TimeSpan(ms), "TotalMilliseconds") => span(*ms, 1.0),
        (Value::TimeSpan(ms), "TotalSeconds") => span(*ms, 1e3),
        (Value::TimeSpan(ms), "TotalMinutes") => span(*ms, 6e4),
        (Value::TimeSpan(ms), "TotalHours") => span(*ms, 3.6e6),
        (Value::TimeSpan(ms), "TotalDays") => span(*ms, 8.64e7),
        (Value::TimeSpan(ms), "Milliseconds") => Value::Int(ms % 1000),
        (Value::TimeSpan(ms), "Seconds") => Value::Int(ms / 1000 % 60),
        (Value::TimeSpan(ms), "Minutes") => Value::Int(ms / 60_000 % 60),
        (Value::TimeSpan(ms), "Hours") => Value::Int(ms / 3_600_000 % 24),
        (Value::TimeSpan(ms), "Days") => Value::Int(ms / 86_400_000),
        _ => {
            return Err(EvalError(format!(
                "'{}' does not contain a definition for '{name}'",
                v.type_name()
            )));
        }
    })
}

/// Static properties (`DateTime.UtcNow`, `String.Empty`, `StringComparison.Ordinal`, …).
pub(super) fn static_property(
    ev: &mut Eval<'_>,
    v: &Value,
    name: &str,
) -> Result<Value, EvalError> {
    let Value::Static(class) = v else {
        return Err(EvalError("internal: not a class".into()));
    };
    Ok(match (class, name) {
        (Class::String, "Empty") => Value::str(""),
        // The gateway clock is UTC; `Now` is UTC too (APIM hosts run in UTC).
        (Class::DateTime, "UtcNow" | "Now") => Value::DateTime(ev.host.now_ms()),
        (Class::DateTime, "Today") => {
            let now = ev.host.now_ms();
            Value::DateTime(now - now.rem_euclid(86_400_000))
        }
        (Class::Guid, "Empty") => Value::Guid(uuid::Uuid::nil()),
        (Class::Encoding, "UTF8" | "ASCII") => Value::Encoding,
        (Class::StringComparison, n) if n.ends_with("IgnoreCase") => {
            Value::Comparison(Comparison::IgnoreCase)
        }
        (Class::StringComparison, _) => Value::Comparison(Comparison::Exact),
        _ => {
            return Err(EvalError(format!(
                "'{class:?}' does not contain a definition for '{name}'"
            )));
        }
    })
}

fn static_call(class: Class, method: &str, args: &Args) -> Result<Value, EvalError> {
    let values: Vec<Value> = args.iter().map(|(_, v)| v.clone()).collect();
    Ok(match (class, method) {
        (Class::String, "IsNullOrEmpty") => Value::Bool(match arg(args, 0)? {
            Value::Null => true,
            Value::Str(s) => s.is_empty(),
            _ => false,
        }),
        (Class::String, "IsNullOrWhiteSpace") => Value::Bool(match arg(args, 0)? {
            Value::Null => true,
            Value::Str(s) => s.trim().is_empty(),
            _ => false,
        }),
        (Class::String, "Format") => {
            let fmt = arg_str(args, 0)?;
            Value::str(composite_format(&fmt, &values[1..])?)
        }
        (Class::String, "Join") => {
            let sep = arg(args, 0)?.to_dotnet_string();
            match arg(args, 1)? {
                Value::StrArray(a) => Value::str(a.join(&sep)),
                other => Value::str(other.to_dotnet_string()),
            }
        }
        (Class::String, "Concat") => Value::str(
            values
                .iter()
                .map(Value::to_dotnet_string)
                .collect::<String>(),
        ),
        (Class::String, "Equals") => {
            let (a, b) = (arg(args, 0)?, arg(args, 1)?);
            Value::Bool(match (a, b) {
                (Value::Str(x), Value::Str(y)) if ignore_case(args, 2) => {
                    x.to_lowercase() == y.to_lowercase()
                }
                _ => ops::equals(a, b),
            })
        }
        (Class::DateTime, "Parse") => {
            Value::DateTime(parse_datetime(&arg_str(args, 0)?).ok_or_else(|| {
                EvalError("String was not recognized as a valid DateTime.".into())
            })?)
        }
        (Class::TimeSpan, m) => {
            let unit = match m {
                "FromMilliseconds" => 1.0,
                "FromSeconds" => 1e3,
                "FromMinutes" => 6e4,
                "FromHours" => 3.6e6,
                _ => 8.64e7,
            };
            Value::TimeSpan((arg_f64(args, 0)? * unit) as i64)
        }
        (Class::Guid, "NewGuid") => Value::Guid(uuid::Uuid::new_v4()),
        (Class::Guid, "Parse") => Value::Guid(
            uuid::Uuid::parse_str(arg_str(args, 0)?.trim()).map_err(|_| format_error())?,
        ),
        (Class::Convert, "ToBase64String") => match arg(args, 0)? {
            Value::Bytes(b) => Value::str(STANDARD.encode(b)),
            other => {
                return Err(EvalError(format!(
                    "ToBase64String takes byte[], not {}",
                    other.type_name()
                )));
            }
        },
        (Class::Convert, "FromBase64String") => Value::Bytes(
            STANDARD
                .decode(arg_str(args, 0)?.trim())
                .map_err(|_| EvalError("The input is not a valid Base-64 string.".into()))?
                .into(),
        ),
        (Class::Convert, "ToInt32" | "ToInt64") | (Class::Int, "Parse") => match arg(args, 0)? {
            Value::Int(i) => Value::Int(*i),
            Value::Double(d) => Value::Int(d.round() as i64),
            Value::Null if class == Class::Convert => Value::Int(0),
            other => Value::Int(
                other
                    .to_dotnet_string()
                    .trim()
                    .parse()
                    .map_err(|_| format_error())?,
            ),
        },
        (Class::Convert, "ToBoolean") | (Class::Bool, "Parse") => match arg(args, 0)? {
            Value::Bool(b) => Value::Bool(*b),
            other => Value::Bool(ops::parse_bool(&other.to_dotnet_string()).ok_or_else(|| {
                EvalError("String was not recognized as a valid Boolean.".into())
            })?),
        },
        (Class::Convert, "ToString") => Value::str(arg(args, 0)?.to_dotnet_string()),
        (Class::Json, "Parse") => Value::Json(Arc::new(
            serde_json::from_str(&arg_str(args, 0)?)
                .map_err(|e| EvalError(format!("Error reading JObject from JsonReader: {e}")))?,
        )),
        (Class::Uri, "EscapeDataString") => Value::str(encode_component(&arg_str(args, 0)?)),
        (Class::Uri, "UrlEncode") => {
            Value::str(encode_component(&arg_str(args, 0)?).replace("%20", "+"))
        }
        (Class::Uri, "UnescapeDataString") => {
            Value::str(decode_component(&arg_str(args, 0)?, false).into_owned())
        }
        (Class::Uri, "UrlDecode") => {
            Value::str(decode_component(&arg_str(args, 0)?, true).into_owned())
        }
        (Class::Math, "Abs") => match arg(args, 0)? {
            Value::Int(i) => Value::Int(i.checked_abs().ok_or_else(|| {
                EvalError(
                    "Negating the minimum value of a twos complement number is invalid.".into(),
                )
            })?),
            _ => Value::Double(arg_f64(args, 0)?.abs()),
        },
        (Class::Math, "Min" | "Max") => {
            let (a, b) = (arg(args, 0)?, arg(args, 1)?);
            let lt = matches!(ops::binary(super::ast::BinOp::Lt, a, b)?, Value::Bool(true));
            if (method == "Min") == lt {
                a.clone()
            } else {
                b.clone()
            }
        }
        _ => {
            return Err(EvalError(format!(
                "'{class:?}' does not contain a definition for '{method}'"
            )));
        }
    })
}

/// Methods not handled by [`super::members::call`].
pub(super) fn call(
    ev: &mut Eval<'_>,
    target: &Value,
    method: &str,
    args: &Args,
) -> Result<Value, EvalError> {
    let _ = ev;
    match target {
        Value::Str(s) => string_method(s, method, args),
        Value::StrArray(a) => array_method(a, method, args),
        Value::Static(class) => static_call(*class, method, args),
        Value::Encoding => match (method, arg(args, 0)?) {
            ("GetBytes", v) => Ok(Value::Bytes(bytes::Bytes::from(
                v.to_dotnet_string().into_bytes(),
            ))),
            ("GetString", Value::Bytes(b)) => {
                Ok(Value::str(String::from_utf8_lossy(b).into_owned()))
            }
            (_, other) => Err(EvalError(format!(
                "Encoding.{method} does not take {}",
                other.type_name()
            ))),
        },
        Value::DateTime(ms) => {
            let unit = match method {
                "AddMilliseconds" => 1.0,
                "AddSeconds" => 1e3,
                "AddMinutes" => 6e4,
                "AddHours" => 3.6e6,
                "AddDays" => 8.64e7,
                "ToUniversalTime" => return Ok(target.clone()),
                "Subtract" => {
                    return match arg(args, 0)? {
                        Value::DateTime(other) => Ok(Value::TimeSpan(ms - other)),
                        Value::TimeSpan(span) => Ok(Value::DateTime(ms - span)),
                        other => Err(EvalError(format!(
                            "Subtract does not take {}",
                            other.type_name()
                        ))),
                    };
                }
                _ => {
                    return Err(EvalError(format!(
                        "'DateTime' does not contain a definition for '{method}'"
                    )));
                }
            };
            let delta = (arg_f64(args, 0)? * unit) as i64;
            let result = ms
                .checked_add(delta)
                .ok_or_else(|| EvalError("The DateTime is out of range.".into()))?;
            datetime(result)?;
            Ok(Value::DateTime(result))
        }
        other => Err(EvalError(format!(
            "'{}' does not contain a definition for '{method}'",
            other.type_name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{TestHost, eval_str};

    #[test]
    fn dates_use_the_injected_clock() {
        let mut h = TestHost {
            now_ms: 1_700_000_000_000,
            ..TestHost::default()
        };
        assert_eq!(
            eval_str(r#"@(DateTime.UtcNow.ToString("o"))"#, &mut h),
            "2023-11-14T22:13:20.0000000Z"
        );
        assert_eq!(eval_str("@(DateTime.UtcNow.AddHours(2).Hour)", &mut h), "0");
        assert_eq!(
            eval_str(
                "@((DateTime.UtcNow.AddMinutes(90) - DateTime.UtcNow).TotalMinutes)",
                &mut h
            ),
            "90"
        );
        assert_eq!(
            eval_str(
                r#"@(DateTime.Parse("2023-11-14T00:00:00Z") < DateTime.UtcNow)"#,
                &mut h
            ),
            "True"
        );
        assert_eq!(
            eval_str("@(TimeSpan.FromSeconds(90).ToString())", &mut h),
            "00:01:30"
        );
        assert_eq!(
            eval_str("@(Guid.NewGuid().ToString().Length)", &mut h),
            "36"
        );
    }
}
