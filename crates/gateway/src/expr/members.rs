//! Member access, indexers and method calls on values: the context graph, dictionaries,
//! `Jwt`, `IUrl`, `IResponse`, message bodies and JSON. Strings, dates and static classes
//! live in [`super::builtins`].

use std::sync::Arc;

use serde_json::Value as Json;

use super::ast::TypeName;
use super::eval::Eval;
use super::value::{Dict, HttpMessage, JwtValue, Obj, Value};
use super::{EvalError, builtins, format, ops};

/// Positional and named call arguments.
pub(super) type Args = Vec<(Option<String>, Value)>;

fn no_member(v: &Value, name: &str) -> EvalError {
    EvalError(format!(
        "'{}' does not contain a definition for '{name}'",
        v.type_name()
    ))
}

pub(super) fn key_not_found(key: &str) -> EvalError {
    EvalError(format!(
        "The given key '{key}' was not present in the dictionary."
    ))
}

pub(super) fn out_of_range() -> EvalError {
    EvalError("Index was outside the bounds of the array.".into())
}

/// The string form of an argument (keys, names).
pub(super) fn arg_str(args: &Args, i: usize) -> Result<String, EvalError> {
    match args.get(i).map(|(_, v)| v) {
        Some(Value::Str(s)) => Ok(s.to_string()),
        Some(Value::Char(c)) => Ok(c.to_string()),
        Some(Value::Null) => Err(EvalError("Value cannot be null.".into())),
        Some(other) => Err(EvalError(format!(
            "Argument {} must be a string, not {}",
            i + 1,
            other.type_name()
        ))),
        None => Err(EvalError(format!("missing argument {}", i + 1))),
    }
}

fn response_headers(m: &HttpMessage) -> Dict {
    let mut d = Dict {
        ignore_case: true,
        ..Dict::default()
    };
    for (k, v) in &m.headers {
        match d
            .entries
            .iter_mut()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
        {
            Some((_, values)) => values.push(v.clone()),
            None => d.entries.push((k.clone(), vec![v.clone()])),
        }
    }
    d
}

fn jwt_date(jwt: &JwtValue, claim: &str) -> Value {
    match skybridge_jose::claims::numeric_date(&jwt.payload, claim) {
        Ok(Some(secs)) => Value::DateTime(secs.saturating_mul(1000)),
        _ => Value::Null,
    }
}

/// `target.name`.
pub(super) fn property(ev: &mut Eval<'_>, target: Value, name: &str) -> Result<Value, EvalError> {
    let str_opt = |s: Option<String>| s.map_or(Value::Null, Value::str);
    Ok(match (&target, name) {
        (Value::Obj(o), _) => return ev.host.property(*o, name),
        (Value::Static(_), _) => return builtins::static_property(ev, &target, name),
        (Value::Str(s), "Length") => Value::Int(s.encode_utf16().count() as i64),
        (Value::StrArray(a), "Length") => Value::Int(a.len() as i64),
        (Value::Bytes(b), "Length") => Value::Int(b.len() as i64),
        (Value::Url(u), "Host") => Value::str(u.host.as_str()),
        (Value::Url(u), "Path") => Value::str(u.path.as_str()),
        (Value::Url(u), "Port") => Value::Int(i64::from(u.port)),
        (Value::Url(u), "Scheme") => Value::str(u.scheme.as_str()),
        (Value::Url(u), "QueryString") => Value::str(u.query_string()),
        (Value::Url(u), "Query") => Value::Dict(Arc::new(u.query_dict())),
        (Value::Dict(d), "Count") => Value::Int(d.entries.len() as i64),
        (Value::Json(j), "Count") => match &**j {
            Json::Object(m) => Value::Int(m.len() as i64),
            Json::Array(a) => Value::Int(a.len() as i64),
            _ => return Err(no_member(&target, name)),
        },
        (Value::Jwt(j), "Algorithm") => Value::str(j.algorithm.as_str()),
        (Value::Jwt(j), "Type") => Value::str(j.typ.as_str()),
        (Value::Jwt(j), "Id") => str_opt(j.claim_str("jti")),
        (Value::Jwt(j), "Issuer") => str_opt(j.claim_str("iss")),
        (Value::Jwt(j), "Subject") => str_opt(j.claim_str("sub")),
        (Value::Jwt(j), "Audiences") => Value::StrArray(Arc::new(
            skybridge_jose::claims::audiences(&j.payload).unwrap_or_default(),
        )),
        (Value::Jwt(j), "Claims") => Value::Dict(Arc::new(Dict {
            entries: j.claims.clone(),
            ignore_case: false,
            single: false,
        })),
        (Value::Jwt(j), "ExpirationTime") => jwt_date(j, "exp"),
        (Value::Jwt(j), "IssuedAt") => jwt_date(j, "iat"),
        (Value::Jwt(j), "NotBefore") => jwt_date(j, "nbf"),
        (Value::Basic(b), "UserId") => Value::str(b.0.as_str()),
        (Value::Basic(b), "Password") => Value::str(b.1.as_str()),
        (Value::Response(m), "StatusCode") => Value::Int(i64::from(m.status)),
        (Value::Response(m), "StatusReason") => Value::str(m.reason.as_str()),
        (Value::Response(m), "Headers") => Value::Dict(Arc::new(response_headers(m))),
        (Value::Response(m), "Body") => Value::OwnedBody(m.clone()),
        (Value::DateTime(_) | Value::TimeSpan(_), _) => {
            return builtins::time_property(&target, name);
        }
        _ => return Err(no_member(&target, name)),
    })
}

/// `target[index]`.
pub(super) fn index(ev: &mut Eval<'_>, target: &Value, idx: &Value) -> Result<Value, EvalError> {
    let position = |len: usize| -> Result<usize, EvalError> {
        match idx {
            Value::Int(i) if *i >= 0 && (*i as u64) < len as u64 => Ok(*i as usize),
            Value::Int(_) => Err(out_of_range()),
            other => Err(EvalError(format!(
                "index must be an int, not {}",
                other.type_name()
            ))),
        }
    };
    let key = || match idx {
        Value::Str(s) => Ok(s.to_string()),
        other => Err(EvalError(format!(
            "key must be a string, not {}",
            other.type_name()
        ))),
    };
    Ok(match target {
        Value::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            Value::Char(chars[position(chars.len())?])
        }
        Value::StrArray(a) => Value::str(a[position(a.len())?].as_str()),
        Value::Bytes(b) => Value::Int(i64::from(b[position(b.len())?])),
        Value::Json(j) => match (&**j, idx) {
            (Json::Object(m), Value::Str(k)) => m
                .get(&**k)
                .map_or(Value::Null, |v| Value::Json(Arc::new(v.clone()))),
            (Json::Array(a), Value::Int(_)) => Value::Json(Arc::new(a[position(a.len())?].clone())),
            _ => {
                return Err(EvalError(format!(
                    "Accessed {} value with invalid key value: {}.",
                    target.type_name(),
                    idx.to_dotnet_string()
                )));
            }
        },
        Value::Dict(d) => {
            let k = key()?;
            let values = d.get(&k).ok_or_else(|| key_not_found(&k))?;
            if d.single {
                Value::str(values.first().map_or("", String::as_str))
            } else {
                Value::StrArray(Arc::new(values.to_vec()))
            }
        }
        Value::Obj(Obj::Variables) => {
            let k = key()?;
            ev.host.variable(&k).ok_or_else(|| key_not_found(&k))?
        }
        other => {
            return Err(EvalError(format!(
                "Cannot apply indexing to {}",
                other.type_name()
            )));
        }
    })
}

/// `default(T)` for `GetValueOrDefault<T>` without a default argument.
fn default_of(ty: Option<TypeName>) -> Value {
    match ty {
        Some(TypeName::Int | TypeName::Long) => Value::Int(0),
        Some(TypeName::Double) => Value::Double(0.0),
        Some(TypeName::Bool) => Value::Bool(false),
        _ => Value::Null,
    }
}

/// Converts a body to the requested type (`As<T>`).
fn body_as(bytes: &[u8], ty: Option<TypeName>) -> Result<Value, EvalError> {
    match ty {
        Some(TypeName::String) | None => {
            Ok(Value::str(String::from_utf8_lossy(bytes).into_owned()))
        }
        Some(TypeName::ByteArray) => Ok(Value::Bytes(bytes::Bytes::copy_from_slice(bytes))),
        Some(TypeName::JObject | TypeName::JToken | TypeName::JArray) => {
            let parsed: Json = serde_json::from_slice(bytes).map_err(|e| {
                EvalError(format!(
                    "Unexpected character encountered while parsing value: {e}"
                ))
            })?;
            let v = Value::Json(Arc::new(parsed));
            ops::cast(&v, ty.unwrap_or(TypeName::JToken))
        }
        Some(other) => Err(EvalError(format!("As<{other:?}> is not supported"))),
    }
}

fn preserve_flag(args: &Args) -> Result<bool, EvalError> {
    match args.first() {
        None => Ok(false),
        Some((name, Value::Bool(b))) if name.as_deref().is_none_or(|n| n == "preserveContent") => {
            Ok(*b)
        }
        Some(_) => Err(EvalError(
            "As<T> takes one argument: preserveContent (bool)".into(),
        )),
    }
}

/// `target.method<generic>(args)`.
pub(super) fn call(
    ev: &mut Eval<'_>,
    target: Value,
    method: &str,
    generic: Option<TypeName>,
    args: Args,
) -> Result<Value, EvalError> {
    if method == "ToString" && !matches!(target, Value::Static(_)) {
        return format::to_string_with(&target, args.first().map(|(_, v)| v));
    }
    if method == "Equals" && !matches!(target, Value::Str(_) | Value::Static(_)) {
        let other = args.first().map_or(Value::Null, |(_, v)| v.clone());
        return Ok(Value::Bool(ops::equals(&target, &other)));
    }
    match (&target, method) {
        (Value::Obj(Obj::Context), "Trace") => {
            let msg = args
                .first()
                .map_or(String::new(), |(_, v)| v.to_dotnet_string());
            ev.host.trace(msg);
            Ok(Value::Null)
        }
        (Value::Obj(Obj::Body(side)), "As") => {
            let preserve = preserve_flag(&args)?;
            let bytes = ev.host.read_body(*side, preserve)?;
            body_as(&bytes, generic)
        }
        (Value::OwnedBody(m), "As") => {
            preserve_flag(&args)?;
            body_as(&m.body, generic)
        }
        (Value::Obj(Obj::Variables), "ContainsKey") => {
            Ok(Value::Bool(ev.host.variable(&arg_str(&args, 0)?).is_some()))
        }
        (Value::Obj(Obj::Variables), "GetValueOrDefault") => {
            match ev.host.variable(&arg_str(&args, 0)?) {
                Some(v) => match generic {
                    Some(t) => ops::cast(&v, t),
                    None => Ok(v),
                },
                None => Ok(args
                    .get(1)
                    .map_or_else(|| default_of(generic), |(_, v)| v.clone())),
            }
        }
        (Value::Dict(d), "ContainsKey") => Ok(Value::Bool(d.get(&arg_str(&args, 0)?).is_some())),
        (Value::Dict(d), "GetValueOrDefault") => match d.get(&arg_str(&args, 0)?) {
            // APIM joins multiple header (and claim) values with commas.
            Some(values) => Ok(Value::str(values.join(","))),
            None => Ok(args.get(1).map_or(Value::Null, |(_, v)| v.clone())),
        },
        (Value::Json(j), "ContainsKey") => {
            let k = arg_str(&args, 0)?;
            Ok(Value::Bool(
                j.as_object().is_some_and(|m| m.contains_key(&k)),
            ))
        }
        (Value::Json(j), "Value") => {
            let k = arg_str(&args, 0)?;
            match j.as_object().and_then(|m| m.get(&k)) {
                Some(v) => ops::cast(
                    &Value::Json(Arc::new(v.clone())),
                    generic.unwrap_or(TypeName::JToken),
                ),
                None => Ok(Value::Null),
            }
        }
        (Value::Json(j), "SelectToken") => Ok(select_token(j, &arg_str(&args, 0)?)
            .map_or(Value::Null, |v| Value::Json(Arc::new(v.clone())))),
        _ => builtins::call(ev, &target, method, &args),
    }
}

/// `SelectToken` for simple paths: `a.b[0].c`, optionally starting with `$.`.
fn select_token<'j>(root: &'j Json, path: &str) -> Option<&'j Json> {
    let path = path
        .strip_prefix("$.")
        .or_else(|| path.strip_prefix('$'))
        .unwrap_or(path);
    let mut cur = root;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (name, rest) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (segment, ""),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            let n: usize = idx.strip_suffix(']')?.parse().ok()?;
            cur = cur.get(n)?;
        }
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{TestHost, eval_str};
    use super::*;

    #[test]
    fn variables_and_dictionaries() {
        let mut h = TestHost {
            vars: vec![("s".into(), Value::str("v")), ("n".into(), Value::Int(3))],
            headers: vec![("Accept".into(), vec!["a".into(), "b".into()])],
            ..TestHost::default()
        };
        assert_eq!(
            eval_str(r#"@((string)context.Variables["s"])"#, &mut h),
            "v"
        );
        assert_eq!(
            eval_str(
                r#"@(context.Variables.GetValueOrDefault<int>("n") + 1)"#,
                &mut h
            ),
            "4"
        );
        assert_eq!(
            eval_str(
                r#"@(context.Variables.GetValueOrDefault<int>("zz"))"#,
                &mut h
            ),
            "0"
        );
        assert_eq!(
            eval_str(
                r#"@(context.Variables.GetValueOrDefault("zz", "d"))"#,
                &mut h
            ),
            "d"
        );
        assert_eq!(
            eval_str(r#"@(context.Variables.ContainsKey("s"))"#, &mut h),
            "True"
        );
        assert_eq!(
            eval_str(r#"@(context.Variables["zz"])"#, &mut h),
            "ERR The given key 'zz' was not present in the dictionary."
        );
        assert_eq!(
            eval_str(r#"@((string)context.Variables["n"])"#, &mut h).get(..3),
            Some("ERR")
        );
        assert_eq!(
            eval_str(
                r#"@(context.Request.Headers.GetValueOrDefault("accept"))"#,
                &mut h
            ),
            "a,b"
        );
        assert_eq!(
            eval_str(r#"@(context.Request.Headers["ACCEPT"][1])"#, &mut h),
            "b"
        );
        assert_eq!(
            eval_str(
                r#"@(context.Request.Headers.GetValueOrDefault("x", "none"))"#,
                &mut h
            ),
            "none"
        );
        assert_eq!(eval_str("@(context.Variables.Count)", &mut h), "2");
    }

    #[test]
    fn bodies_and_json() {
        let mut h = TestHost {
            body: Some(bytes::Bytes::from_static(
                br#"{"a":{"b":[1,{"c":"x"}]},"n":5,"t":true}"#,
            )),
            ..TestHost::default()
        };
        let src = r#"@((string)context.Request.Body.As<JObject>(preserveContent: true).SelectToken("a.b[1].c"))"#;
        assert_eq!(eval_str(src, &mut h), "x");
        let src = r#"@((int)context.Request.Body.As<JObject>(true)["n"] + 1)"#;
        assert_eq!(eval_str(src, &mut h), "6");
        assert_eq!(
            eval_str(
                r#"@(context.Request.Body.As<JObject>(preserveContent: true)["t"].ToString())"#,
                &mut h
            ),
            "True"
        );
        assert_eq!(
            eval_str(
                r#"@(context.Request.Body.As<JObject>()["missing"] == null)"#,
                &mut h
            ),
            "True"
        );
        // Read without preserveContent: the body is gone.
        assert_eq!(eval_str("@(context.Request.Body.As<string>())", &mut h), "");
    }

    #[test]
    fn jwt_members() {
        let (signer, _) =
            skybridge_jose::LocalSigner::generate(skybridge_jose::Alg::ES256, 0).unwrap();
        let claims = serde_json::json!({"sub": "s1", "aud": ["a1", "a2"], "roles": ["r1", "r2"], "exp": 1_700_000_000});
        let token = skybridge_jose::encode_sync(
            &skybridge_jose::Header::new(skybridge_jose::Alg::ES256),
            &claims,
            &signer,
        )
        .unwrap();
        let mut h = TestHost {
            headers: vec![("Authorization".into(), vec![format!("Bearer {token}")])],
            ..TestHost::default()
        };
        let jwt = r#"context.Request.Headers.GetValueOrDefault("Authorization","").Split(' ')[1].AsJwt()"#;
        assert_eq!(
            eval_str(
                &format!("@({jwt}?.Claims[\"sub\"].FirstOrDefault())"),
                &mut h
            ),
            "s1"
        );
        assert_eq!(
            eval_str(
                &format!("@({jwt}.Claims.GetValueOrDefault(\"roles\", \"\"))"),
                &mut h
            ),
            "r1,r2"
        );
        assert_eq!(
            eval_str(&format!("@({jwt}.Audiences.Contains(\"a2\"))"), &mut h),
            "True"
        );
        assert_eq!(
            eval_str(
                &format!("@({jwt}.ExpirationTime.Value.Year)").replace(".Value", ""),
                &mut h
            ),
            "2023"
        );
        assert_eq!(
            eval_str(&format!("@({jwt}.Subject + {jwt}.Algorithm)"), &mut h),
            "s1ES256"
        );
        assert_eq!(eval_str("@(\"garbage\".AsJwt() == null)", &mut h), "True");
    }

    #[test]
    fn select_token_paths() {
        let j = serde_json::json!({"a": [{"b": 1}]});
        assert_eq!(select_token(&j, "$.a[0].b"), Some(&serde_json::json!(1)));
        assert_eq!(select_token(&j, "a[1]"), None);
        assert_eq!(select_token(&j, "a[x]"), None);
    }
}
