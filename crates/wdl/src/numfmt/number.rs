//! .NET numeric format strings for `formatNumber`.
//!
//! Standard formats: `C`, `D`, `E`, `F`, `G`, `N`, `P`, `R` and `X`, each with
//! an optional precision. Anything else is a custom format built from `0`,
//! `#`, `.`, `,`, `%`, `‰`, `E0`/`E+0`/`E-0`, `\x`, quoted literals and up to
//! three `;` sections. Custom formats round doubles to 15 significant digits
//! first, as .NET does. Literal characters between grouped integer
//! placeholders are not supported (they are rare; phone-number style formats
//! without grouping work).

use super::digits::{Digits, group};
use super::double;
use crate::culture::Culture;
use crate::functions::Num;

/// Precision above this is refused, to bound the output size.
const MAX_PRECISION: usize = 1000;

/// Formats `n` with `format` in `culture`; the error is the message tail.
pub(crate) fn format(n: Num, format: &str, culture: &Culture) -> Result<String, String> {
    if let Some((letter, precision)) = standard(format)? {
        return format_standard(n, letter, precision, culture);
    }
    Ok(super::custom::format_custom(n, format, culture))
}

/// Recognises a standard format: one letter plus optional digits.
fn standard(format: &str) -> Result<Option<(char, Option<usize>)>, String> {
    let mut chars = format.chars();
    let Some(letter) = chars.next() else {
        return Ok(Some(('G', None)));
    };
    let rest = chars.as_str();
    if !letter.is_ascii_alphabetic() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let precision = if rest.is_empty() {
        None
    } else {
        let p: usize = rest.parse().map_err(|_| bad_format(format))?;
        if p > MAX_PRECISION {
            return Err(bad_format(format));
        }
        Some(p)
    };
    if !"CcDdEeFfGgNnPpRrXx".contains(letter) {
        return Err(bad_format(format));
    }
    Ok(Some((letter, precision)))
}

fn bad_format(format: &str) -> String {
    format!("was invoked with a format string '{format}' that is not valid.")
}

fn negative_wrap(body: String, negative: bool) -> String {
    if negative { format!("-{body}") } else { body }
}

fn format_standard(
    n: Num,
    letter: char,
    precision: Option<usize>,
    c: &Culture,
) -> Result<String, String> {
    if let Num::Float(f) = n
        && !f.is_finite()
    {
        return Ok(match f {
            f if f.is_nan() => c.nan,
            f if f > 0.0 => c.positive_infinity,
            _ => c.negative_infinity,
        }
        .to_owned());
    }
    let upper = letter.is_ascii_uppercase();
    match letter.to_ascii_uppercase() {
        'C' => {
            let p = precision.unwrap_or(usize::from(c.currency_digits));
            let (body, negative) = fixed(n, p, c, true);
            Ok(currency(&body, negative, c))
        }
        'D' => {
            let Num::Int(i) = n else {
                return Err("was invoked with format 'D', which only supports integers.".into());
            };
            let digits = i.unsigned_abs().to_string();
            let p = precision.unwrap_or(0);
            let padded = format!("{}{digits}", "0".repeat(p.saturating_sub(digits.len())));
            Ok(negative_wrap(padded, i < 0))
        }
        'E' => Ok(scientific(n, precision.unwrap_or(6), upper, 3, c)),
        'F' => {
            let (body, negative) = fixed(n, precision.unwrap_or(2), c, false);
            Ok(negative_wrap(body, negative))
        }
        'N' => {
            let (body, negative) = fixed(n, precision.unwrap_or(2), c, true);
            Ok(negative_wrap(body, negative))
        }
        'P' => {
            let scaled = scale(n, 2);
            let (body, negative) = fixed(scaled, precision.unwrap_or(2), c, true);
            Ok(percent(&body, negative, c))
        }
        'G' => Ok(general(n, precision, upper, c)),
        'R' => Ok(match n {
            Num::Float(f) => double::format_r(f).replace('.', c.decimal_sep),
            other => general(other, None, true, c),
        }),
        'X' => {
            let Num::Int(i) = n else {
                return Err("was invoked with format 'X', which only supports integers.".into());
            };
            let hex = if upper {
                format!("{i:X}")
            } else {
                format!("{i:x}")
            };
            let p = precision.unwrap_or(0);
            Ok(format!("{}{hex}", "0".repeat(p.saturating_sub(hex.len()))))
        }
        _ => Err(bad_format(&letter.to_string())),
    }
}

/// Multiplies by 10^k (for percent and per-mille).
fn scale(n: Num, k: i32) -> Num {
    match n {
        Num::Int(i) => match i.checked_mul(10i64.pow(k as u32)) {
            Some(v) => Num::Int(v),
            None => Num::Float(i as f64 * 10f64.powi(k)),
        },
        Num::Float(f) => Num::Float(f * 10f64.powi(k)),
        Num::Dec(d) => crate::decimal::Decimal::from_i64(10i64.pow(k as u32))
            .mul(d)
            .map(Num::Dec)
            .unwrap_or(Num::Float(d.to_f64() * 10f64.powi(k))),
    }
}

/// Fixed-point body (no sign) with `decimals` digits and optional grouping.
fn fixed(n: Num, decimals: usize, c: &Culture, grouping: bool) -> (String, bool) {
    let mut d = Digits::from_num(n, 40);
    d.round_decimals(decimals as i32);
    let mut int = d.int_part();
    if int.is_empty() {
        int.push('0');
    }
    let int = if grouping {
        group(&int, c.group_sep)
    } else {
        int
    };
    let body = if decimals > 0 {
        format!("{int}{}{}", c.decimal_sep, d.frac_part(decimals))
    } else {
        int
    };
    (body, d.negative && !d.is_zero())
}

fn currency(body: &str, negative: bool, c: &Culture) -> String {
    let s = c.currency_symbol;
    if !negative {
        return match c.currency_positive {
            1 => format!("{body}{s}"),
            2 => format!("{s} {body}"),
            3 => format!("{body} {s}"),
            _ => format!("{s}{body}"),
        };
    }
    match c.currency_negative {
        0 => format!("({s}{body})"),
        1 => format!("-{s}{body}"),
        2 => format!("{s}-{body}"),
        3 => format!("{s}{body}-"),
        4 => format!("({body}{s})"),
        5 => format!("-{body}{s}"),
        6 => format!("{body}-{s}"),
        7 => format!("{body}{s}-"),
        8 => format!("-{body} {s}"),
        9 => format!("-{s} {body}"),
        10 => format!("{body} {s}-"),
        11 => format!("{s} {body}-"),
        12 => format!("{s} -{body}"),
        13 => format!("{body}- {s}"),
        14 => format!("({s} {body})"),
        15 => format!("({body} {s})"),
        _ => format!("{s}- {body}"),
    }
}

fn percent(body: &str, negative: bool, c: &Culture) -> String {
    let core = match c.percent_positive {
        1 => format!("{body}%"),
        2 => format!("%{body}"),
        3 => format!("% {body}"),
        _ => format!("{body} %"),
    };
    if !negative {
        return core;
    }
    match c.percent_negative {
        1 => format!("-{body}%"),
        2 => format!("-%{body}"),
        _ => format!("-{body} %"),
    }
}

/// `E` format: one integer digit, `precision` decimals, exponent padded to
/// `exp_digits` with an explicit sign.
fn scientific(n: Num, precision: usize, upper: bool, exp_digits: usize, c: &Culture) -> String {
    let mut d = Digits::from_num(n, 40);
    d.round_significant(precision as i32 + 1);
    let exp = if d.is_zero() { 0 } else { d.point - 1 };
    let first = d.digits.first().copied().unwrap_or(0);
    let mut out = String::new();
    if d.negative && !d.is_zero() {
        out.push('-');
    }
    out.push(char::from(b'0' + first));
    if precision > 0 {
        out.push_str(c.decimal_sep);
        for k in 1..=precision {
            out.push(char::from(b'0' + d.digits.get(k).copied().unwrap_or(0)));
        }
    }
    out.push(if upper { 'E' } else { 'e' });
    out.push(if exp < 0 { '-' } else { '+' });
    out.push_str(&format!("{:0width$}", exp.abs(), width = exp_digits));
    out
}

/// `G` format: shortest (or `precision` significant digits), scientific when
/// the exponent is at least the precision or below -5.
fn general(n: Num, precision: Option<usize>, upper: bool, c: &Culture) -> String {
    let (mut d, max_digits) = match (n, precision) {
        (Num::Float(f), None | Some(0)) => (Digits::from_f64_shortest(f), 15),
        (Num::Int(_), None | Some(0)) => (Digits::from_num(n, 40), 19),
        (Num::Dec(_), None | Some(0)) => (Digits::from_num(n, 40), 29),
        (_, Some(p)) => (Digits::from_num(n, 40), p as i32),
    };
    if let Some(p) = precision.filter(|p| *p > 0) {
        d.round_significant(p as i32);
    }
    let mut out = String::new();
    if d.negative && !d.is_zero() {
        out.push('-');
    }
    if d.is_zero() {
        out.push('0');
        return out;
    }
    let exp = d.point - 1;
    if exp >= max_digits || exp < -5 {
        let mut mant = String::new();
        mant.push(char::from(b'0' + d.digits[0]));
        if d.digits.len() > 1 {
            mant.push_str(c.decimal_sep);
            d.digits[1..]
                .iter()
                .for_each(|x| mant.push(char::from(b'0' + x)));
        }
        out.push_str(&mant);
        out.push(if upper { 'E' } else { 'e' });
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
        return out;
    }
    let mut int = d.int_part();
    if int.is_empty() {
        int.push('0');
    }
    out.push_str(&int);
    let frac = d.frac_len();
    if frac > 0 {
        out.push_str(c.decimal_sep);
        out.push_str(&d.frac_part(frac));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::culture;

    fn f(n: Num, fmt: &str, cul: &str) -> String {
        format(n, fmt, culture::find(cul).unwrap()).unwrap()
    }

    #[test]
    fn doc_examples() {
        assert_eq!(
            f(Num::Int(1234567890), "#,##0.00", "en-US"),
            "1,234,567,890.00"
        );
        assert_eq!(
            f(Num::Int(1234567890), "#,##0.00", "is-IS"),
            "1.234.567.890,00"
        );
        assert_eq!(f(Num::Float(17.35), "C2", "en-US"), "$17.35");
        assert_eq!(f(Num::Float(17.35), "C2", "is-IS"), "17,35 kr");
    }

    #[test]
    fn standard_and_custom() {
        assert_eq!(f(Num::Int(1234), "N0", "en-US"), "1,234");
        assert_eq!(f(Num::Float(0.125), "P1", "en-US"), "12.5%");
        assert_eq!(f(Num::Int(255), "X4", "en-US"), "00FF");
        assert_eq!(f(Num::Int(42), "D5", "en-US"), "00042");
        assert_eq!(f(Num::Float(1234.5678), "F2", "en-US"), "1234.57");
        assert_eq!(f(Num::Float(1234.5678), "E2", "en-US"), "1.23E+003");
        assert_eq!(f(Num::Float(1.5), "0.##", "en-US"), "1.5");
        assert_eq!(f(Num::Int(1), "0.##", "en-US"), "1");
        assert_eq!(
            f(Num::Int(5551234567), "(###) ###-####", "en-US"),
            "(555) 123-4567"
        );
        assert_eq!(f(Num::Int(-5), "0;(0)", "en-US"), "(5)");
        assert_eq!(f(Num::Int(0), "0;(0);zero", "en-US"), "zero");
        assert_eq!(f(Num::Float(0.5), "0%", "en-US"), "50%");
        assert_eq!(f(Num::Int(1234567), "#,##0,K", "en-US"), "1,235K");
        assert_eq!(f(Num::Float(12345.0), "0.0E+0", "en-US"), "1.2E+4");
    }
}
