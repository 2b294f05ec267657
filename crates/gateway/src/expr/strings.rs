//! String and `string[]` methods with .NET semantics (`Substring`, `Split`, `Trim`, …),
//! plus `AsJwt()` and `AsBasic()`.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::EvalError;
use super::builtins::{arg, arg_int, ignore_case};
use super::members::{Args, arg_str, out_of_range};
use super::value::Value;

fn split_separators(args: &Args) -> Result<Vec<String>, EvalError> {
    let mut seps = Vec::new();
    for (_, v) in args {
        match v {
            Value::Char(c) => seps.push(c.to_string()),
            Value::Str(s) => seps.push(s.to_string()),
            Value::StrArray(a) => seps.extend(a.iter().cloned()),
            other => {
                return Err(EvalError(format!(
                    "Split does not take {}",
                    other.type_name()
                )));
            }
        }
    }
    Ok(seps)
}

fn split(s: &str, seps: &[String]) -> Vec<String> {
    let seps: Vec<&String> = seps.iter().filter(|s| !s.is_empty()).collect();
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let next = seps
            .iter()
            .filter_map(|sep| rest.find(sep.as_str()).map(|i| (i, sep.len())))
            .min();
        match next {
            Some((i, len)) => {
                out.push(rest[..i].to_owned());
                rest = &rest[i + len..];
            }
            None => {
                out.push(rest.to_owned());
                return out;
            }
        }
    }
}

pub(super) fn string_method(s: &str, method: &str, args: &Args) -> Result<Value, EvalError> {
    let chars: Vec<char> = s.chars().collect();
    let cmp = |a: &str, b: &str, ic: bool| {
        if ic {
            a.to_lowercase() == b.to_lowercase()
        } else {
            a == b
        }
    };
    Ok(match method {
        "Substring" => {
            let start = arg_int(args, 0)?;
            let len = if args.len() > 1 {
                arg_int(args, 1)?
            } else {
                chars.len() as i64 - start
            };
            if start < 0 || len < 0 || start.saturating_add(len) > chars.len() as i64 {
                return Err(EvalError(
                    "Index and length must refer to a location within the string.".into(),
                ));
            }
            Value::str(
                chars[start as usize..(start + len) as usize]
                    .iter()
                    .collect::<String>(),
            )
        }
        "Split" => Value::StrArray(Arc::new(split(s, &split_separators(args)?))),
        "StartsWith" | "EndsWith" | "Equals" | "Contains" => {
            let other = arg_str(args, 0)?;
            let ic = ignore_case(args, 1);
            let (s, other) = if ic {
                (s.to_lowercase(), other.to_lowercase())
            } else {
                (s.to_owned(), other)
            };
            Value::Bool(match method {
                "StartsWith" => s.starts_with(&other),
                "EndsWith" => s.ends_with(&other),
                "Contains" => s.contains(&other),
                _ => cmp(&s, &other, false),
            })
        }
        "ToUpper" | "ToUpperInvariant" => Value::str(s.to_uppercase()),
        "ToLower" | "ToLowerInvariant" => Value::str(s.to_lowercase()),
        "Trim" | "TrimStart" | "TrimEnd" => {
            let set: Vec<char> = match args.first() {
                None => Vec::new(),
                Some((_, Value::Char(c))) => vec![*c],
                Some((_, Value::StrArray(a))) => a.iter().flat_map(|x| x.chars()).collect(),
                Some((_, Value::Str(x))) => x.chars().collect(),
                Some((_, other)) => {
                    return Err(EvalError(format!(
                        "{method} does not take {}",
                        other.type_name()
                    )));
                }
            };
            let pred = |c: char| {
                if set.is_empty() {
                    c.is_whitespace()
                } else {
                    set.contains(&c)
                }
            };
            Value::str(match method {
                "Trim" => s.trim_matches(pred),
                "TrimStart" => s.trim_start_matches(pred),
                _ => s.trim_end_matches(pred),
            })
        }
        "Replace" => {
            let from = arg_str(args, 0)?;
            if from.is_empty() {
                return Err(EvalError("String cannot be of zero length.".into()));
            }
            let to = match arg(args, 1)? {
                Value::Null => String::new(),
                _ => arg_str(args, 1)?,
            };
            Value::str(s.replace(&from, &to))
        }
        "PadLeft" | "PadRight" => {
            let width = usize::try_from(arg_int(args, 0)?)
                .map_err(|_| out_of_range())?
                .min(1 << 16);
            let pad = match args.get(1) {
                Some((_, Value::Char(c))) => *c,
                _ => ' ',
            };
            let fill: String =
                std::iter::repeat_n(pad, width.saturating_sub(chars.len())).collect();
            Value::str(if method == "PadLeft" {
                format!("{fill}{s}")
            } else {
                format!("{s}{fill}")
            })
        }
        "IndexOf" | "LastIndexOf" => {
            let needle = arg_str(args, 0)?;
            let ic = ignore_case(args, 1);
            let (hay, needle) = if ic {
                (s.to_lowercase(), needle.to_lowercase())
            } else {
                (s.to_owned(), needle)
            };
            let found = if method == "IndexOf" {
                hay.find(&needle)
            } else {
                hay.rfind(&needle)
            };
            Value::Int(found.map_or(-1, |b| hay[..b].chars().count() as i64))
        }
        "AsJwt" => match skybridge_jose::decode_unverified(s) {
            Ok(jws) => Value::Jwt(Arc::new(super::value::JwtValue::new(
                &jws.header.alg,
                jws.header.typ.as_deref(),
                jws.claims,
            ))),
            Err(_) => Value::Null,
        },
        "AsBasic" => {
            let encoded = s.trim();
            let encoded = match encoded.split_once(' ') {
                Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => rest.trim(),
                _ => encoded,
            };
            STANDARD
                .decode(encoded)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|t| t.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())))
                .map_or(Value::Null, |pair| Value::Basic(Arc::new(pair)))
        }
        _ => {
            return Err(EvalError(format!(
                "'string' does not contain a definition for '{method}'"
            )));
        }
    })
}

pub(super) fn array_method(a: &[String], method: &str, args: &Args) -> Result<Value, EvalError> {
    let empty = || EvalError("Sequence contains no elements".into());
    Ok(match method {
        "Contains" => Value::Bool(
            a.iter()
                .any(|x| x.as_str() == arg_str(args, 0).unwrap_or_default()),
        ),
        "First" => Value::str(a.first().ok_or_else(empty)?.as_str()),
        "Last" => Value::str(a.last().ok_or_else(empty)?.as_str()),
        "FirstOrDefault" => a.first().map_or(Value::Null, |s| Value::str(s.as_str())),
        "LastOrDefault" => a.last().map_or(Value::Null, |s| Value::str(s.as_str())),
        "Any" => Value::Bool(!a.is_empty()),
        "Count" => Value::Int(a.len() as i64),
        _ => {
            return Err(EvalError(format!(
                "'string[]' does not contain a definition for '{method}'"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{TestHost, eval_str};

    #[test]
    fn string_methods() {
        let mut h = TestHost::default();
        let cases = [
            (r#"@("Hello".Substring(1, 3))"#, "ell"),
            (
                r#"@("Hello".Substring(9))"#,
                "ERR Index and length must refer to a location within the string.",
            ),
            (r#"@("a b  c".Split(' ').Length)"#, "4"),
            (
                r#"@("Bearer x".StartsWith("bearer", StringComparison.OrdinalIgnoreCase))"#,
                "True",
            ),
            (r#"@("Bearer x".StartsWith("bearer"))"#, "False"),
            (r#"@(" x ".Trim() + "|" + "--x--".TrimStart('-'))"#, "x|x--"),
            (r#"@("abc".Replace("b", "B").ToUpper().Length)"#, "3"),
            (
                r#"@("abcabc".IndexOf("c") + "abcabc".LastIndexOf("c"))"#,
                "7",
            ),
            (r#"@("7".PadLeft(3, '0'))"#, "007"),
            (r#"@("abc"[1] == 'b')"#, "True"),
            (
                r#"@(String.Format("{0}-{1:D2}-{{x}}", "a", 5))"#,
                "a-05-{x}",
            ),
            (r#"@(String.Join(",", "a;b".Split(';')))"#, "a,b"),
            (
                r#"@(string.IsNullOrEmpty(null) && String.IsNullOrWhiteSpace(" "))"#,
                "True",
            ),
            (
                r#"@("a:b".Split(':').Last() + "x".Split(',').FirstOrDefault())"#,
                "bx",
            ),
            (
                r#"@(Convert.ToBase64String(Encoding.UTF8.GetBytes("u:p")))"#,
                "dTpw",
            ),
            (r#"@("Basic dTpw".AsBasic().Password)"#, "p"),
            (r#"@(int.Parse("42") + Convert.ToInt32("1"))"#, "43"),
            (
                r#"@(int.Parse("x"))"#,
                "ERR Input string was not in a correct format.",
            ),
            (r#"@(Uri.EscapeDataString("a b/c"))"#, "a%20b%2Fc"),
            (r#"@(Math.Max(3, 5) + Math.Abs(-1))"#, "6"),
            (r#"@((12345.678).ToString("N2"))"#, "12,345.68"),
        ];
        for (src, want) in cases {
            assert_eq!(eval_str(src, &mut h), want, "{src}");
        }
    }
}
