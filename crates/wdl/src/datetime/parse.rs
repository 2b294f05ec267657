//! Reading timestamps.
//!
//! [`parse_lenient`] follows the spirit of .NET `DateTime.Parse`: ISO 8601
//! first, then a token-based reading where month and day names of the
//! culture are recognised and the order of numeric day, month and year comes
//! from the culture's short date pattern (`03/15/2018` in en-US,
//! `20/10/2014` in fr-FR). [`parse_exact`] implements `ParseExact` for
//! custom patterns (see `exact.rs`).

use super::{DateTime, Fields, Kind};
use crate::culture::{Culture, EN_US};
use crate::value::eq_ignore_case;

/// Parses a timestamp in the given culture.
pub(crate) fn parse_lenient(text: &str, culture: &Culture) -> Option<DateTime> {
    iso(text.trim()).or_else(|| tokens(text.trim(), culture))
}

fn digits(s: &[u8], i: &mut usize, min: usize, max: usize) -> Option<i64> {
    let start = *i;
    while *i < s.len() && *i - start < max && s[*i].is_ascii_digit() {
        *i += 1;
    }
    if *i - start < min {
        return None;
    }
    std::str::from_utf8(&s[start..*i]).ok()?.parse().ok()
}

/// Fraction digits as ticks (first seven digits count).
fn fraction(s: &[u8], i: &mut usize) -> i64 {
    let start = *i;
    while *i < s.len() && s[*i].is_ascii_digit() {
        *i += 1;
    }
    let mut t = 0i64;
    for k in 0..7 {
        let d = s
            .get(start + k)
            .filter(|_| start + k < *i)
            .map_or(0, |b| i64::from(b - b'0'));
        t = t * 10 + d;
    }
    t
}

/// `Z`, `±hh`, `±hh:mm` or `±hhmm` at `i`.
pub(super) fn zone(s: &[u8], i: &mut usize) -> Option<Kind> {
    match s.get(*i) {
        Some(b'Z' | b'z') => {
            *i += 1;
            Some(Kind::Utc)
        }
        Some(&sign @ (b'+' | b'-')) => {
            *i += 1;
            let h = digits(s, i, 2, 2)?;
            if s.get(*i) == Some(&b':') {
                *i += 1;
            }
            let m = digits(s, i, 0, 2).unwrap_or(0);
            if h > 14 || m > 59 {
                return None;
            }
            let secs = (h * 3600 + m * 60) as i32;
            Some(Kind::Offset(if sign == b'-' { -secs } else { secs }))
        }
        _ => Some(Kind::Unspecified),
    }
}

fn iso(text: &str) -> Option<DateTime> {
    let s = text.as_bytes();
    let mut i = 0;
    let year = digits(s, &mut i, 4, 4)?;
    if s.get(i) != Some(&b'-') {
        return None;
    }
    i += 1;
    let month = digits(s, &mut i, 1, 2)?;
    if s.get(i) != Some(&b'-') {
        return None;
    }
    i += 1;
    let day = digits(s, &mut i, 1, 2)?;
    let (mut hour, mut minute, mut second, mut frac) = (0, 0, 0, 0);
    if matches!(s.get(i), Some(b'T' | b't' | b' ')) && s.get(i + 1).is_some_and(u8::is_ascii_digit)
    {
        i += 1;
        hour = digits(s, &mut i, 1, 2)?;
        if s.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        minute = digits(s, &mut i, 2, 2)?;
        if s.get(i) == Some(&b':') {
            i += 1;
            second = digits(s, &mut i, 2, 2)?;
            if matches!(s.get(i), Some(b'.' | b',')) {
                i += 1;
                frac = fraction(s, &mut i);
            }
        }
    }
    while s.get(i) == Some(&b' ') {
        i += 1;
    }
    let kind = zone(s, &mut i)?;
    if i != s.len() {
        return None;
    }
    DateTime::from_fields(
        Fields {
            year,
            month: month as u32,
            day: day as u32,
            hour: hour as u32,
            minute: minute as u32,
            second: second as u32,
            fraction: frac,
        },
        kind,
    )
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(String),
    Word(String),
    Sep(char),
}

fn tokenize(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut s = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                s.push(d);
                chars.next();
            }
            out.push(Tok::Num(s));
        } else if c.is_alphabetic() {
            let mut s = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_alphabetic()) {
                s.push(d);
                chars.next();
            }
            out.push(Tok::Word(s));
        } else {
            out.push(Tok::Sep(c));
            chars.next();
        }
    }
    out
}

fn month_from_name(word: &str, cul: &Culture) -> Option<u32> {
    let w = word.trim_end_matches('.');
    for c in [cul, &EN_US] {
        for (i, (full, abbr)) in c.months.iter().zip(c.months_abbr.iter()).enumerate() {
            if eq_ignore_case(full, w) || eq_ignore_case(abbr.trim_end_matches('.'), w) {
                return Some(i as u32 + 1);
            }
        }
    }
    None
}

fn is_day_name(word: &str, cul: &Culture) -> bool {
    let w = word.trim_end_matches('.');
    [cul, &EN_US].iter().any(|c| {
        c.days
            .iter()
            .chain(c.days_abbr.iter())
            .any(|d| eq_ignore_case(d.trim_end_matches('.'), w))
    })
}

/// Order of day, month and year in the culture's short date pattern.
fn date_order(cul: &Culture) -> [char; 3] {
    let mut order = Vec::new();
    for c in cul.short_date.chars() {
        let k = c.to_ascii_lowercase();
        if matches!(k, 'd' | 'm' | 'y') && !order.contains(&k) {
            order.push(k);
        }
    }
    match order.as_slice() {
        [a, b, c] => [*a, *b, *c],
        _ => ['m', 'd', 'y'],
    }
}

pub(super) fn two_digit_year(y: i64, len: usize) -> i64 {
    if len <= 2 {
        if y < 50 { 2000 + y } else { 1900 + y }
    } else {
        y
    }
}

fn tokens(text: &str, cul: &Culture) -> Option<DateTime> {
    let toks = tokenize(text);
    let mut i = 0;
    let mut date_nums: Vec<String> = Vec::new();
    let mut month_name: Option<u32> = None;
    let (mut hour, mut minute, mut second, mut frac) = (None::<i64>, 0i64, 0i64, 0i64);
    let mut pm: Option<bool> = None;
    let mut kind = Kind::Unspecified;
    while i < toks.len() {
        match &toks[i] {
            Tok::Num(n) if toks.get(i + 1) == Some(&Tok::Sep(':')) => {
                hour = Some(n.parse().ok()?);
                let Some(Tok::Num(m)) = toks.get(i + 2) else {
                    return None;
                };
                minute = m.parse().ok()?;
                i += 3;
                if toks.get(i) == Some(&Tok::Sep(':'))
                    && let Some(Tok::Num(s)) = toks.get(i + 1)
                {
                    second = s.parse().ok()?;
                    i += 2;
                    if matches!(toks.get(i), Some(Tok::Sep('.' | ',')))
                        && let Some(Tok::Num(f)) = toks.get(i + 1)
                    {
                        let b = f.as_bytes();
                        let mut k = 0;
                        frac = fraction(b, &mut k);
                        i += 2;
                    }
                }
                continue;
            }
            Tok::Num(n) => date_nums.push(n.clone()),
            Tok::Word(w) => {
                if eq_ignore_case(w, cul.am) || w.eq_ignore_ascii_case("AM") {
                    pm = Some(false);
                } else if eq_ignore_case(w, cul.pm) || w.eq_ignore_ascii_case("PM") {
                    pm = Some(true);
                } else if w == "Z" || w.eq_ignore_ascii_case("GMT") || w.eq_ignore_ascii_case("UTC")
                {
                    kind = Kind::Utc;
                } else if let Some(m) = month_from_name(w, cul) {
                    month_name = Some(m);
                } else if w == "T"
                    || is_day_name(w, cul)
                    || ["de", "del", "of"].iter().any(|x| eq_ignore_case(x, w))
                {
                } else {
                    return None;
                }
            }
            Tok::Sep(c @ ('+' | '-'))
                if hour.is_some() && matches!(toks.get(i + 1), Some(Tok::Num(_))) =>
            {
                let rest: String = toks[i..]
                    .iter()
                    .map(|t| match t {
                        Tok::Num(n) => n.clone(),
                        Tok::Sep(s) => s.to_string(),
                        Tok::Word(w) => w.clone(),
                    })
                    .collect();
                let mut k = 0;
                let z = zone(rest.as_bytes(), &mut k)?;
                if k != rest.len() {
                    return None;
                }
                let _ = c;
                kind = z;
                break;
            }
            Tok::Sep(_) => {}
        }
        i += 1;
    }
    let nums: Vec<(i64, usize)> = date_nums
        .iter()
        .map(|n| n.parse::<i64>().ok().map(|v| (v, n.len())))
        .collect::<Option<_>>()?;
    let (year, month, day) = match (month_name, nums.as_slice()) {
        (Some(m), [(a, la), (b, lb)]) => {
            if *la > 2 || *a > 31 {
                (two_digit_year(*a, *la), m, *b)
            } else {
                (two_digit_year(*b, *lb), m, *a)
            }
        }
        (None, [(a, la), (b, _), (c, lc)]) => {
            if *la == 4 {
                (*a, *b as u32, *c)
            } else {
                let mut y = 0;
                let mut mo = 0;
                let mut d = 0;
                for (k, (v, len)) in date_order(cul).iter().zip([(*a, *la), (*b, 2), (*c, *lc)]) {
                    match k {
                        'y' => y = two_digit_year(v, len),
                        'm' => mo = v as u32,
                        _ => d = v,
                    }
                }
                (y, mo, d)
            }
        }
        _ => return None,
    };
    let mut hour = hour.unwrap_or(0);
    match pm {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }
    DateTime::from_fields(
        Fields {
            year,
            month,
            day: u32::try_from(day).ok()?,
            hour: u32::try_from(hour).ok()?,
            minute: u32::try_from(minute).ok()?,
            second: u32::try_from(second).ok()?,
            fraction: frac,
        },
        kind,
    )
}
