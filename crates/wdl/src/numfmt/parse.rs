//! Culture-aware number parsing in the manner of .NET `double.Parse`,
//! `decimal.Parse` and friends with `NumberStyles` flags.
//!
//! The runtime's conversion functions accept more than JSON numbers: leading
//! and trailing white space, group separators anywhere after the first digit
//! (`float('12,3,4,5678')` is 12345678), trailing signs (`float('200-')`)
//! and the culture's NaN/infinity symbols, but not parentheses.

use crate::culture::Culture;

/// Which optional parts a parse accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Styles {
    pub(crate) thousands: bool,
    pub(crate) decimal_point: bool,
    pub(crate) exponent: bool,
    pub(crate) trailing_sign: bool,
}

/// A successfully parsed number.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Parsed {
    NaN,
    PositiveInfinity,
    NegativeInfinity,
    /// `±0.digits × 10^point` (digits may carry leading zeros).
    Finite {
        negative: bool,
        digits: String,
        point: i32,
    },
}

impl Parsed {
    /// The nearest double.
    pub(crate) fn to_f64(&self) -> f64 {
        match self {
            Parsed::NaN => f64::NAN,
            Parsed::PositiveInfinity => f64::INFINITY,
            Parsed::NegativeInfinity => f64::NEG_INFINITY,
            Parsed::Finite {
                negative,
                digits,
                point,
            } => {
                let sign = if *negative { "-" } else { "" };
                let exp = i64::from(*point) - digits.len() as i64;
                format!("{sign}{digits}e{exp}").parse().unwrap_or(f64::NAN)
            }
        }
    }
}

fn strip_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix.is_empty() || s.len() < prefix.len() || !s.is_char_boundary(prefix.len()) {
        return None;
    }
    s[..prefix.len()]
        .eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Parses `text` in `culture`; `None` when it is not a number.
pub(crate) fn parse(text: &str, culture: &Culture, styles: Styles) -> Option<Parsed> {
    let s = text.trim();
    if s.eq_ignore_ascii_case(culture.nan) {
        return Some(Parsed::NaN);
    }
    if s.eq_ignore_ascii_case(culture.positive_infinity)
        || strip_ci(s, "+").is_some_and(|r| r.eq_ignore_ascii_case(culture.positive_infinity))
    {
        return Some(Parsed::PositiveInfinity);
    }
    if s.eq_ignore_ascii_case(culture.negative_infinity) {
        return Some(Parsed::NegativeInfinity);
    }
    let mut rest = s;
    let mut negative = false;
    let mut signed = false;
    if let Some(r) = rest.strip_prefix('-') {
        negative = true;
        signed = true;
        rest = r;
    } else if let Some(r) = rest.strip_prefix('+') {
        signed = true;
        rest = r;
    }
    let group = culture.group_sep;
    let space_group = group.chars().all(char::is_whitespace);
    let mut digits = String::new();
    let mut point: Option<i32> = None;
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_digit() {
            digits.push(c);
            rest = &rest[1..];
        } else if point.is_none() && styles.decimal_point && rest.starts_with(culture.decimal_sep) {
            point = Some(digits.len() as i32);
            rest = &rest[culture.decimal_sep.len()..];
        } else if point.is_none()
            && styles.thousands
            && !digits.is_empty()
            && (rest.starts_with(group) || (space_group && c == ' '))
        {
            rest = &rest[if rest.starts_with(group) {
                group.len()
            } else {
                1
            }..];
        } else {
            break;
        }
    }
    if digits.is_empty() {
        return None;
    }
    let mut exp: i64 = 0;
    if styles.exponent && matches!(rest.chars().next(), Some('e' | 'E')) {
        let after = &rest[1..];
        let (neg_exp, after) = match after.chars().next() {
            Some('-') => (true, &after[1..]),
            Some('+') => (false, &after[1..]),
            _ => (false, after),
        };
        let n = after.bytes().take_while(u8::is_ascii_digit).count();
        if n > 0 {
            let e: i64 = after[..n].parse().unwrap_or(i64::from(i32::MAX));
            exp = if neg_exp { -e } else { e };
            rest = &after[n..];
        }
    }
    if !signed && styles.trailing_sign {
        if let Some(r) = rest.strip_prefix('-') {
            negative = true;
            rest = r;
        } else if let Some(r) = rest.strip_prefix('+') {
            rest = r;
        }
    }
    if !rest.trim().is_empty() {
        return None;
    }
    let point = i64::from(point.unwrap_or(digits.len() as i32)) + exp;
    let point = point.clamp(i64::from(i32::MIN / 2), i64::from(i32::MAX / 2)) as i32;
    Some(Parsed::Finite {
        negative,
        digits,
        point,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::culture::{self, INVARIANT};

    const FLOAT: Styles = Styles {
        thousands: true,
        decimal_point: true,
        exponent: true,
        trailing_sign: true,
    };

    fn f(s: &str) -> Option<f64> {
        parse(s, &INVARIANT, FLOAT).map(|p| p.to_f64())
    }

    #[test]
    fn dotnet_quirks() {
        assert_eq!(f("12,3,4,5678"), Some(12345678.0));
        assert_eq!(f("1234567,8+"), Some(12345678.0));
        assert_eq!(f("12345,6,78,-"), Some(-12345678.0));
        assert_eq!(f("-12,345,678,"), Some(-12345678.0));
        assert_eq!(f("12345678.-"), Some(-12345678.0));
        assert_eq!(f(".12345678"), Some(0.12345678));
        assert_eq!(f("  +1,000 "), Some(1000.0));
        assert_eq!(f("(200)"), None);
        assert_eq!(f("111.222.333"), None);
        let de = culture::find("de-DE").and_then(|c| parse("10.000,333", c, FLOAT));
        assert_eq!(de.map(|p| p.to_f64()), Some(10000.333));
    }
}
