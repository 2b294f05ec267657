//! Conversion functions: `array`, `bool`, `createArray`, `decimal`, `float`,
//! `int`, `isFloat`, `isInt`, `json`, `string`, `xml`.

use crate::culture::{self, Culture, EN_US, INVARIANT};
use crate::decimal::Decimal;
use crate::error::ExprError;
use crate::functions::Args;
use crate::json_parse::parse_json;
use crate::numfmt::parse::{Parsed, Styles, parse};
use crate::text::to_text;
use crate::value::{Obj, Val};
use crate::xml;

/// `float()` and `isFloat()`: `NumberStyles.Float | AllowThousands |
/// AllowTrailingSign` (observed: trailing signs work, parentheses do not).
const FLOAT_STYLES: Styles = Styles {
    thousands: true,
    decimal_point: true,
    exponent: true,
    trailing_sign: true,
};

/// `int()` parses like a double without trailing signs (observed:
/// `int('1.0')` is 1, `int('200-')` fails, `int('100000000000000010')` loses
/// precision exactly as a double would).
const INT_STYLES: Styles = Styles {
    thousands: true,
    decimal_point: true,
    exponent: true,
    trailing_sign: false,
};

/// `decimal()`: `NumberStyles.Number` (no exponent: `decimal('3e-1')` fails).
const DECIMAL_STYLES: Styles = Styles {
    thousands: true,
    decimal_point: true,
    exponent: false,
    trailing_sign: true,
};

/// `isInt()`: `NumberStyles.Integer`.
const INTEGER_STYLES: Styles = Styles {
    thousands: false,
    decimal_point: false,
    exponent: false,
    trailing_sign: false,
};

pub(crate) fn array(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    Ok(Val::Array(vec![a.take(0)]))
}

pub(crate) fn create_array(a: &mut Args) -> Result<Val, ExprError> {
    a.count(1, None)?;
    Ok(Val::Array(a.take_all()))
}

/// `bool`: integers (0 is false), booleans, and `'true'`/`'false'` in any case.
pub(crate) fn bool_(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    match a.get(0) {
        Val::Bool(b) => Ok(Val::Bool(*b)),
        Val::Int(i) => Ok(Val::Bool(*i != 0)),
        Val::Float(f) => Ok(Val::Bool(*f != 0.0)),
        Val::Decimal(d) => Ok(Val::Bool(!d.is_zero())),
        Val::Str(s) if s.trim().eq_ignore_ascii_case("true") => Ok(Val::Bool(true)),
        Val::Str(s) if s.trim().eq_ignore_ascii_case("false") => Ok(Val::Bool(false)),
        _ => Err(ExprError::not_convertible("bool")),
    }
}

fn could_not_parse(a: &Args, text: &str, target: &str) -> ExprError {
    a.invalid(format!(
        "was invoked with a parameter that is not valid. Could not parse '{text}' as {target}."
    ))
}

fn culture_arg(
    a: &Args,
    i: usize,
    default: &'static Culture,
) -> Result<&'static Culture, ExprError> {
    match a.opt_str(i)? {
        None => Ok(default),
        Some(name) => culture::find(name).ok_or_else(|| {
            a.invalid(format!(
                "was invoked with a locale '{name}' that is not valid or has no associated culture."
            ))
        }),
    }
}

/// 2^63 as a double: the first value `int()` cannot represent.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// `int`: numbers without a fractional part, or strings parsed as a double
/// and then converted (NaN becomes the 64-bit minimum, as observed).
pub(crate) fn int(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let f = match a.get(0) {
        Val::Int(i) => return Ok(Val::Int(*i)),
        Val::Decimal(d) => {
            return d
                .to_i64_exact()
                .map(Val::Int)
                .ok_or_else(|| could_not_parse(a, &d.to_string(), "an integer"));
        }
        Val::Float(f) => *f,
        Val::Str(s) => match parse(s, &INVARIANT, INT_STYLES) {
            Some(p) => p.to_f64(),
            None => return Err(could_not_parse(a, s, "an integer")),
        },
        _ => return Err(a.type_error(0, "a string or a number")),
    };
    if f.is_nan() {
        return Ok(Val::Int(i64::MIN));
    }
    let shown = to_text(a.get(0));
    if f.fract() != 0.0 || !(-TWO_63..TWO_63).contains(&f) {
        return Err(could_not_parse(a, &shown, "an integer"));
    }
    Ok(Val::Int(f as i64))
}

/// `float(value, locale?)`: the default culture is en-US, whose infinity
/// symbol is `∞` (so `float('Infinity')` fails but `float('Infinity', '')`
/// works, as observed).
pub(crate) fn float(a: &mut Args) -> Result<Val, ExprError> {
    a.count(1, Some(2))?;
    let culture = culture_arg(a, 1, &EN_US)?;
    match a.get(0) {
        Val::Int(i) => Ok(Val::Float(*i as f64)),
        Val::Float(f) => Ok(Val::Float(*f)),
        Val::Decimal(d) => Ok(Val::Float(d.to_f64())),
        Val::Str(s) => parse(s, culture, FLOAT_STYLES)
            .map(|p| Val::Float(p.to_f64()))
            .ok_or_else(|| could_not_parse(a, s, "a float")),
        _ => Err(a.type_error(0, "a string or a number")),
    }
}

/// `decimal`: a .NET decimal from a string or number.
pub(crate) fn decimal(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let out_of_range = |a: &Args, s: &str| could_not_parse(a, s, "a decimal");
    match a.get(0) {
        Val::Decimal(d) => Ok(Val::Decimal(*d)),
        Val::Int(i) => Ok(Val::Decimal(Decimal::from_i64(*i))),
        Val::Float(f) => Decimal::from_f64(*f)
            .map(Val::Decimal)
            .map_err(|_| out_of_range(a, &to_text(a.get(0)))),
        Val::Str(s) => match parse(s, &INVARIANT, DECIMAL_STYLES) {
            Some(Parsed::Finite {
                negative,
                digits,
                point,
            }) => Decimal::from_digits(negative, &digits, point)
                .map(Val::Decimal)
                .map_err(|_| out_of_range(a, s)),
            _ => Err(out_of_range(a, s)),
        },
        _ => Err(a.type_error(0, "a string or a number")),
    }
}

/// `isInt(text)`: whether the string is a 64-bit integer.
pub(crate) fn is_int(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let s = a.str(0)?;
    let ok = matches!(
        parse(s, &INVARIANT, INTEGER_STYLES),
        Some(Parsed::Finite { .. })
    ) && s.trim().trim_start_matches('+').parse::<i64>().is_ok();
    Ok(Val::Bool(ok))
}

/// `isFloat(text, locale?)`: whether `float()` would accept the string in
/// that culture; the default here is the invariant culture (documented).
pub(crate) fn is_float(a: &mut Args) -> Result<Val, ExprError> {
    a.count(1, Some(2))?;
    let culture = culture_arg(a, 1, &INVARIANT)?;
    let s = a.str(0)?;
    Ok(Val::Bool(parse(s, culture, FLOAT_STYLES).is_some()))
}

/// `string`: the display form (null → `""`, objects → compact JSON).
pub(crate) fn string(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    Ok(Val::Str(to_text(a.get(0))))
}

/// `json(value)`: parses a string, converts XML, decodes binary JSON.
/// `json(null)` gives an empty object (documented).
pub(crate) fn json(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let v = a.take(0);
    if let Some(content) = v.as_content() {
        if content.is_xml() {
            return xml::xml_to_json(&content.text()).map_err(|m| a.invalid(m));
        }
        return parse_text(a, &content.text());
    }
    match v {
        Val::Null => Ok(Val::Object(Obj::default())),
        Val::Str(s) => parse_text(a, &s),
        other => Ok(other),
    }
}

fn parse_text(a: &Args, text: &str) -> Result<Val, ExprError> {
    parse_json(text).map_err(|e| {
        let shown: String = text.chars().take(100).collect();
        a.invalid(format!(
            "parameter is not valid. The provided value '{shown}' cannot be parsed: '{e}'."
        ))
    })
}

/// `xml(value)`: XML text, or a JSON object with exactly one root property,
/// becomes an XML content envelope.
pub(crate) fn xml(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    let v = a.take(0);
    if let Some(content) = v.as_content() {
        let text = content.text();
        return xml::canonical(&text)
            .map(|x| Val::xml(&x))
            .map_err(|m| a.invalid(m));
    }
    match v {
        Val::Str(s) => xml::canonical(&s)
            .map(|x| Val::xml(&x))
            .map_err(|m| a.invalid(format!("parameter is not valid XML: {m}"))),
        Val::Object(obj) => xml::json_to_xml(&obj)
            .map(|x| Val::xml(&x))
            .map_err(|m| a.invalid(m)),
        other => Err(ExprError::ArgType {
            function: "xml".to_owned(),
            position: "first".to_owned(),
            expected: "a string or an object".to_owned(),
            actual: other.type_name().to_owned(),
        }),
    }
}
