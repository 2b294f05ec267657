//! A small .NET `System.Decimal`: a 96-bit integer mantissa and a decimal
//! scale of 0–28.
//!
//! `decimal()` exists so workflows can keep exact digits: the docs show
//! `string(add(decimal('1.2345678912312131'), decimal('1.2345678912312131')))`
//! giving `"2.4691357824624262"` while the same value "used as a number" is a
//! double. Only the operations the function library needs are provided.

use std::cmp::Ordering;

/// Largest mantissa magnitude: 2^96 − 1.
const MAX_MANTISSA: i128 = (1i128 << 96) - 1;
/// Largest scale .NET allows.
const MAX_SCALE: u32 = 28;

/// A decimal number `mantissa / 10^scale`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decimal {
    mantissa: i128,
    scale: u32,
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp_value(other) == Ordering::Equal
    }
}

/// Arithmetic overflowed the 96-bit range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overflow;

impl Decimal {
    /// Builds from parts, rounding away excess scale or digits; fails only if
    /// the integer part itself does not fit.
    pub(crate) fn new(mantissa: i128, scale: u32) -> Result<Decimal, Overflow> {
        let mut d = Decimal { mantissa, scale };
        while d.scale > MAX_SCALE || d.mantissa.abs() > MAX_MANTISSA {
            if d.scale == 0 {
                return Err(Overflow);
            }
            d = d.drop_digit();
        }
        Ok(d)
    }

    /// An integer.
    pub(crate) fn from_i64(i: i64) -> Decimal {
        Decimal {
            mantissa: i128::from(i),
            scale: 0,
        }
    }

    /// A double, rounded to 15 significant digits like .NET's conversion.
    pub(crate) fn from_f64(f: f64) -> Result<Decimal, Overflow> {
        if !f.is_finite() {
            return Err(Overflow);
        }
        if f == 0.0 {
            return Ok(Decimal::from_i64(0));
        }
        let s = format!("{:.14e}", f);
        let (mant, exp) = s.split_once('e').ok_or(Overflow)?;
        let exp: i32 = exp.parse().map_err(|_| Overflow)?;
        let negative = mant.starts_with('-');
        let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
        let digits = digits.trim_end_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        // value = 0.digits × 10^(exp+1)
        Decimal::from_digits(negative, digits, exp + 1)
    }

    /// Builds `±0.digits × 10^point` from ASCII digits.
    pub(crate) fn from_digits(
        negative: bool,
        digits: &str,
        point: i32,
    ) -> Result<Decimal, Overflow> {
        let trimmed = digits.trim_start_matches('0');
        let point = point - (digits.len() - trimmed.len()) as i32;
        let digits = trimmed;
        if digits.is_empty() {
            return Ok(Decimal::from_i64(0));
        }
        let n = digits.len() as i32;
        // Integer part too large for 29 digits: overflow.
        if point > 29 {
            return Err(Overflow);
        }
        let mut mantissa: i128 = 0;
        let mut scale: i64 = i64::from(n - point);
        let mut used = 0usize;
        for b in digits.bytes() {
            let next = mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(b - b'0')));
            match next {
                Some(m) if m <= MAX_MANTISSA * 10 => {
                    mantissa = m;
                    used += 1;
                }
                _ => break,
            }
        }
        scale -= (digits.len() - used) as i64;
        // Pad integer digits that were cut off (cannot happen when point ≤ 29
        // unless the digits overflowed, which we treat as overflow).
        if scale < 0 {
            for _ in 0..(-scale) {
                mantissa = mantissa.checked_mul(10).ok_or(Overflow)?;
            }
            scale = 0;
        }
        if negative {
            mantissa = -mantissa;
        }
        let scale = u32::try_from(scale).map_err(|_| Overflow)?;
        let mut d = Decimal { mantissa, scale };
        while d.scale > MAX_SCALE {
            d = d.drop_digit();
        }
        Decimal::new(d.mantissa, d.scale)
    }

    /// Removes one decimal digit with banker's rounding (.NET's rule).
    fn drop_digit(self) -> Decimal {
        let q = self.mantissa / 10;
        let r = (self.mantissa % 10).abs();
        let away = r > 5 || (r == 5 && q % 2 != 0);
        let q = if away { q + self.mantissa.signum() } else { q };
        Decimal {
            mantissa: q,
            scale: self.scale.saturating_sub(1),
        }
    }

    /// The value as the nearest double.
    pub(crate) fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The value as an integer, if it has no fractional part and fits.
    pub(crate) fn to_i64_exact(self) -> Option<i64> {
        let p = 10i128.checked_pow(self.scale)?;
        if self.mantissa % p != 0 {
            return None;
        }
        i64::try_from(self.mantissa / p).ok()
    }

    /// True when the value is zero.
    pub(crate) fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// Both operands brought to the same scale; rounds the finer one when the
    /// coarser cannot be scaled up without overflow.
    fn aligned(self, other: Decimal) -> (i128, i128, u32) {
        let (mut a, mut b) = (self, other);
        loop {
            let scale = a.scale.max(b.scale);
            let up = |d: Decimal| {
                10i128
                    .checked_pow(scale - d.scale)
                    .and_then(|p| d.mantissa.checked_mul(p))
            };
            if let (Some(x), Some(y)) = (up(a), up(b)) {
                return (x, y, scale);
            }
            if a.scale > b.scale {
                a = a.drop_digit();
            } else {
                b = b.drop_digit();
            }
        }
    }

    /// `self + other`.
    pub(crate) fn add(self, other: Decimal) -> Result<Decimal, Overflow> {
        let (a, b, scale) = self.aligned(other);
        Decimal::new(a.checked_add(b).ok_or(Overflow)?, scale)
    }

    /// `self - other`.
    pub(crate) fn sub(self, other: Decimal) -> Result<Decimal, Overflow> {
        self.add(Decimal {
            mantissa: -other.mantissa,
            scale: other.scale,
        })
    }

    /// `self * other`.
    pub(crate) fn mul(self, other: Decimal) -> Result<Decimal, Overflow> {
        let (mut a, mut b) = (self, other);
        loop {
            if let Some(m) = a.mantissa.checked_mul(b.mantissa) {
                return Decimal::new(m, a.scale + b.scale);
            }
            if a.scale == 0 && b.scale == 0 {
                return Err(Overflow);
            }
            if a.scale >= b.scale {
                a = a.drop_digit();
            } else {
                b = b.drop_digit();
            }
        }
    }

    /// `self / other`; `None` when dividing by zero.
    pub(crate) fn div(self, other: Decimal) -> Option<Result<Decimal, Overflow>> {
        if other.mantissa == 0 {
            return None;
        }
        // Scale the dividend up as far as i128 allows, divide, then trim.
        let mut num = self.mantissa;
        let mut extra = 0u32;
        while num.abs() < i128::MAX / 100 && extra < 40 {
            num *= 10;
            extra += 1;
        }
        let q = num / other.mantissa;
        let scale = i64::from(self.scale) + i64::from(extra) - i64::from(other.scale);
        let mut d = if scale < 0 {
            let p = match 10i128.checked_pow((-scale) as u32) {
                Some(p) => p,
                None => return Some(Err(Overflow)),
            };
            match q.checked_mul(p) {
                Some(m) => Decimal {
                    mantissa: m,
                    scale: 0,
                },
                None => return Some(Err(Overflow)),
            }
        } else {
            Decimal {
                mantissa: q,
                scale: scale as u32,
            }
        };
        while d.scale > 0 && d.mantissa % 10 == 0 {
            d.mantissa /= 10;
            d.scale -= 1;
        }
        Some(Decimal::new(d.mantissa, d.scale))
    }

    /// `self % other` (sign of the dividend); `None` when dividing by zero.
    pub(crate) fn rem(self, other: Decimal) -> Option<Decimal> {
        if other.mantissa == 0 {
            return None;
        }
        let (a, b, scale) = self.aligned(other);
        if b == 0 {
            // The divisor rounded away to zero while aligning scales.
            return None;
        }
        Some(Decimal {
            mantissa: a % b,
            scale,
        })
    }

    /// Numeric comparison.
    pub(crate) fn cmp_value(&self, other: &Decimal) -> Ordering {
        let (a, b, _) = self.aligned(*other);
        a.cmp(&b)
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.mantissa.abs().to_string();
        let scale = self.scale as usize;
        let sign = if self.mantissa < 0 { "-" } else { "" };
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = if digits.len() <= scale {
            format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits)
        } else {
            digits
        };
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> Decimal {
        let neg = s.starts_with('-');
        let s = s.trim_start_matches('-');
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        Decimal::from_digits(neg, &format!("{int}{frac}"), int.len() as i32).unwrap()
    }

    #[test]
    fn keeps_digits() {
        let a = d("1.2345678912312131");
        assert_eq!(a.to_string(), "1.2345678912312131");
        assert_eq!(a.add(a).unwrap().to_string(), "2.4691357824624262");
        assert_eq!(d("5.0000").to_string(), "5.0000");
        assert_eq!(
            Decimal::from_f64(100000.000009).unwrap().to_string(),
            "100000.000009"
        );
        assert_eq!(Decimal::from_f64(0.0).unwrap().to_string(), "0");
        assert_eq!(
            d("4294967295").mul(d("4294967295")).unwrap().to_string(),
            "18446744065119617025"
        );
        assert!(d("70000000000000000000000000000").mul(d("10")).is_err());
        assert_eq!(d("10").div(d("4")).unwrap().unwrap().to_string(), "2.5");
        assert_eq!(
            d("1").div(d("3")).unwrap().unwrap().to_string(),
            "0.3333333333333333333333333333"
        );
    }
}
