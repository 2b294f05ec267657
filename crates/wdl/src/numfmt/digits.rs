//! Decimal digit buffers: the common ground of all number formatting.

use crate::functions::Num;

/// `±0.d1d2…dn × 10^point`, digits without leading zeros (empty for zero).
#[derive(Debug, Clone)]
pub(crate) struct Digits {
    pub(crate) negative: bool,
    pub(crate) digits: Vec<u8>,
    pub(crate) point: i32,
}

impl Digits {
    /// Exact digits of an integer.
    pub(crate) fn from_i64(i: i64) -> Digits {
        let s = i.unsigned_abs().to_string();
        Digits::from_str_parts(i < 0, &s, s.len() as i32)
    }

    /// Digits of a double, to `significant` significant digits (max 40;
    /// enough for every practical format precision).
    pub(crate) fn from_f64(f: f64, significant: usize) -> Digits {
        if f == 0.0 || !f.is_finite() {
            return Digits {
                negative: f.is_sign_negative() && f != 0.0,
                digits: Vec::new(),
                point: 0,
            };
        }
        let sig = significant.clamp(1, 40);
        let s = format!("{:.*e}", sig - 1, f.abs());
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
        Digits::from_str_parts(f < 0.0, &digits, exp + 1)
    }

    /// Shortest round-trip digits of a double.
    pub(crate) fn from_f64_shortest(f: f64) -> Digits {
        if f == 0.0 || !f.is_finite() {
            return Digits::from_f64(f, 1);
        }
        let (digits, point) = super::double::shortest_digits(f);
        Digits {
            negative: f < 0.0,
            digits,
            point,
        }
    }

    /// Digits of any number; doubles get `double_significant` digits.
    pub(crate) fn from_num(n: Num, double_significant: usize) -> Digits {
        match n {
            Num::Int(i) => Digits::from_i64(i),
            Num::Float(f) => Digits::from_f64(f, double_significant),
            Num::Dec(d) => {
                let s = d.to_string();
                let negative = s.starts_with('-');
                let s = s.trim_start_matches('-');
                let (int, frac) = s.split_once('.').unwrap_or((s, ""));
                Digits::from_str_parts(negative, &format!("{int}{frac}"), int.len() as i32)
            }
        }
    }

    fn from_str_parts(negative: bool, digits: &str, point: i32) -> Digits {
        let trimmed = digits.trim_start_matches('0');
        let point = point - (digits.len() - trimmed.len()) as i32;
        let mut d: Vec<u8> = trimmed.bytes().map(|b| b - b'0').collect();
        while d.last() == Some(&0) {
            d.pop();
        }
        if d.is_empty() {
            return Digits {
                negative,
                digits: d,
                point: 0,
            };
        }
        Digits {
            negative,
            digits: d,
            point,
        }
    }

    /// True when no non-zero digit remains.
    pub(crate) fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Rounds half away from zero so at most `decimals` digits follow the
    /// decimal point.
    pub(crate) fn round_decimals(&mut self, decimals: i32) {
        let keep = self.point.saturating_add(decimals);
        self.round_at(keep);
    }

    /// Rounds half away from zero to `n` significant digits.
    pub(crate) fn round_significant(&mut self, n: i32) {
        self.round_at(n);
    }

    fn round_at(&mut self, keep: i32) {
        if keep < 0 {
            self.digits.clear();
            self.point = 0;
            return;
        }
        let keep = keep as usize;
        if keep >= self.digits.len() {
            return;
        }
        let up = self.digits[keep] >= 5;
        self.digits.truncate(keep);
        if up {
            let mut i = keep;
            loop {
                if i == 0 {
                    self.digits.insert(0, 1);
                    self.point += 1;
                    break;
                }
                i -= 1;
                if self.digits[i] == 9 {
                    self.digits[i] = 0;
                } else {
                    self.digits[i] += 1;
                    break;
                }
            }
        }
        while self.digits.last() == Some(&0) {
            self.digits.pop();
        }
        if self.digits.is_empty() {
            self.point = 0;
        }
    }

    /// The integer-part digits as ASCII (empty when the value is below 1).
    pub(crate) fn int_part(&self) -> String {
        if self.point <= 0 {
            return String::new();
        }
        (0..self.point as usize)
            .map(|i| char::from(b'0' + self.digits.get(i).copied().unwrap_or(0)))
            .collect()
    }

    /// The first `n` fraction digits as ASCII, zero-padded.
    pub(crate) fn frac_part(&self, n: usize) -> String {
        (0..n)
            .map(|k| {
                let idx = self.point + k as i32;
                let d = if idx < 0 {
                    0
                } else {
                    self.digits.get(idx as usize).copied().unwrap_or(0)
                };
                char::from(b'0' + d)
            })
            .collect()
    }

    /// Number of fraction digits actually present.
    pub(crate) fn frac_len(&self) -> usize {
        (self.digits.len() as i32 - self.point).max(0) as usize
    }
}

/// Inserts `sep` every three digits from the right.
pub(crate) fn group(int: &str, sep: &str) -> String {
    let n = int.len();
    let mut out = String::with_capacity(n + n / 3 * sep.len());
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}
