//! .NET formatting: `ToString(format)`, standard numeric formats (`D`, `X`, `F`, `N`), date
//! patterns and composite formatting (`String.Format`, interpolation holes).

use super::EvalError;
use super::value::{Value, format_datetime};

pub(super) fn format_error() -> EvalError {
    EvalError("Input string was not in a correct format.".into())
}

/// `x.ToString(format)`.
pub(super) fn to_string_with(v: &Value, format: Option<&Value>) -> Result<Value, EvalError> {
    let fmt = match format {
        None => None,
        Some(Value::Str(s)) => Some(s.to_string()),
        Some(other) => {
            return Err(EvalError(format!(
                "format must be a string, not {}",
                other.type_name()
            )));
        }
    };
    format_value(v, fmt.as_deref()).map(Value::str)
}

/// Formats a value with an optional .NET format string (`D3`, `N2`, `X`, `o`, `yyyy-MM-dd`…).
pub(super) fn format_value(v: &Value, fmt: Option<&str>) -> Result<String, EvalError> {
    let Some(fmt) = fmt.filter(|f| !f.is_empty()) else {
        return Ok(v.to_dotnet_string());
    };
    let unsupported = || {
        EvalError(format!(
            "format '{fmt}' is not supported for {}",
            v.type_name()
        ))
    };
    match v {
        Value::DateTime(ms) => format_datetime(*ms, fmt).ok_or_else(unsupported),
        Value::Guid(g) => match fmt {
            "N" | "n" => Ok(g.simple().to_string()),
            "D" | "d" => Ok(g.hyphenated().to_string()),
            "B" | "b" => Ok(g.braced().to_string()),
            _ => Err(unsupported()),
        },
        Value::Int(_) | Value::Double(_) => {
            let (kind, digits) = fmt.split_at(1);
            let digits: usize = if digits.is_empty() {
                0
            } else {
                digits.parse().map_err(|_| unsupported())?
            };
            let n = match v {
                Value::Int(i) => *i as f64,
                Value::Double(d) => *d,
                _ => 0.0,
            };
            match (kind, v) {
                ("D" | "d", Value::Int(i)) => {
                    let sign = if *i < 0 { "-" } else { "" };
                    Ok(format!("{sign}{:0digits$}", i.unsigned_abs()))
                }
                ("X", Value::Int(i)) => Ok(format!("{i:0digits$X}")),
                ("x", Value::Int(i)) => Ok(format!("{i:0digits$x}")),
                ("F" | "f", _) => Ok(format!("{n:.digits$}")),
                ("N" | "n", _) => {
                    let digits = if fmt.len() == 1 { 2 } else { digits };
                    Ok(group_thousands(&format!("{n:.digits$}")))
                }
                _ => Err(unsupported()),
            }
        }
        _ => Err(unsupported()),
    }
}

fn group_thousands(s: &str) -> String {
    let (sign, s) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = s.split_once('.').map_or((s, None), |(a, b)| (a, Some(b)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// .NET composite formatting: `{0}`, `{1:D2}`, `{0,5}`, `{{`/`}}`.
pub(super) fn composite_format(fmt: &str, args: &[Value]) -> Result<String, EvalError> {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut spec = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    spec.push(c);
                }
                let (head, format) = spec
                    .split_once(':')
                    .map_or((spec.as_str(), None), |(a, b)| (a, Some(b)));
                let (index, align) = head
                    .split_once(',')
                    .map_or((head, None), |(a, b)| (a, Some(b)));
                let index: usize = index.trim().parse().map_err(|_| format_error())?;
                let value = args.get(index).ok_or_else(|| {
                    EvalError("Index (zero based) must be greater than or equal to zero and less than the size of the argument list.".into())
                })?;
                let text = format_value(value, format)?;
                match align.map(|a| a.trim().parse::<i64>()) {
                    Some(Ok(w)) if w > 0 => {
                        out.push_str(&format!("{text:>width$}", width = w as usize))
                    }
                    Some(Ok(w)) if w < 0 => out.push_str(&format!(
                        "{text:<width$}",
                        width = w.unsigned_abs() as usize
                    )),
                    Some(Err(_)) => return Err(format_error()),
                    _ => out.push_str(&text),
                }
            }
            '}' => return Err(format_error()),
            c => out.push(c),
        }
    }
    Ok(out)
}
