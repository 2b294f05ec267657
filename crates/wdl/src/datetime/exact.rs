//! `DateTime.ParseExact` for `parseDateTime(text, locale, format)`: the text
//! must match a custom pattern such as `ddMMyyyy` or `MM/dd/yyyy HH\\h`, or a
//! one-letter standard format expanded through the culture.

use super::parse::{two_digit_year, zone};
use super::{DateTime, Fields, Kind, TICKS_PER_SECOND};
use crate::culture::{Culture, INVARIANT};
use crate::value::eq_ignore_case;

/// Expands a standard (one-letter) format into a custom pattern.
fn expand_standard(c: char, cul: &Culture) -> Option<String> {
    Some(match c {
        'd' => cul.short_date.to_owned(),
        'D' => cul.long_date.to_owned(),
        'f' => format!("{} {}", cul.long_date, cul.short_time),
        'F' | 'U' => format!("{} {}", cul.long_date, cul.long_time),
        'g' => format!("{} {}", cul.short_date, cul.short_time),
        'G' => format!("{} {}", cul.short_date, cul.long_time),
        'M' | 'm' => cul.month_day.to_owned(),
        'Y' | 'y' => cul.year_month.to_owned(),
        't' => cul.short_time.to_owned(),
        'T' => cul.long_time.to_owned(),
        'O' | 'o' => "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK".to_owned(),
        'R' | 'r' => "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'".to_owned(),
        's' => "yyyy'-'MM'-'dd'T'HH':'mm':'ss".to_owned(),
        'u' => "yyyy'-'MM'-'dd HH':'mm':'ss'Z'".to_owned(),
        _ => return None,
    })
}

/// `ParseExact`: `text` must match `fmt` completely.
pub(crate) fn parse_exact(text: &str, fmt: &str, cul: &Culture) -> Option<DateTime> {
    let mut fchars = fmt.chars();
    let (pattern, cul) = match (fchars.next(), fchars.next()) {
        (Some(c), None) => {
            let invariant = matches!(c, 'O' | 'o' | 'R' | 'r' | 's' | 'u');
            (
                expand_standard(c, cul)?,
                if invariant { &INVARIANT } else { cul },
            )
        }
        _ => (fmt.to_owned(), cul),
    };
    let f: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut fi, mut ti) = (0, 0);
    let mut fields = Fields {
        year: 1,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        fraction: 0,
    };
    let mut pm: Option<bool> = None;
    let mut kind = Kind::Unspecified;
    let num = |ti: &mut usize, min: usize, max: usize| -> Option<(i64, usize)> {
        let start = *ti;
        while *ti < t.len() && *ti - start < max && t[*ti].is_ascii_digit() {
            *ti += 1;
        }
        let s: String = t[start..*ti].iter().collect();
        if s.len() < min {
            return None;
        }
        Some((s.parse().ok()?, s.len()))
    };
    let word = |ti: &mut usize, options: &[&str]| -> Option<usize> {
        let rest: String = t[*ti..].iter().collect();
        let mut best: Option<(usize, usize)> = None;
        for (k, o) in options.iter().enumerate() {
            let n = o.chars().count();
            let head: String = rest.chars().take(n).collect();
            if n > 0 && eq_ignore_case(&head, o) && best.is_none_or(|(_, bn)| n > bn) {
                best = Some((k, n));
            }
        }
        let (k, n) = best?;
        *ti += n;
        Some(k)
    };
    while fi < f.len() {
        let c = f[fi];
        let n = f[fi..].iter().take_while(|&&x| x == c).count();
        match c {
            'd' if n <= 2 => fields.day = num(&mut ti, n, 2)?.0 as u32,
            'd' => {
                let names: Vec<&str> = if n == 3 {
                    cul.days_abbr.to_vec()
                } else {
                    cul.days.to_vec()
                };
                word(&mut ti, &names)?;
            }
            'M' if n <= 2 => fields.month = num(&mut ti, n, 2)?.0 as u32,
            'M' => {
                let names: Vec<&str> = if n == 3 {
                    cul.months_abbr.to_vec()
                } else {
                    cul.months.to_vec()
                };
                fields.month = word(&mut ti, &names)? as u32 + 1;
            }
            'y' => {
                let (v, len) = if n <= 2 {
                    num(&mut ti, 1, 2)?
                } else {
                    num(&mut ti, n.max(4), n.max(4))?
                };
                fields.year = two_digit_year(v, len);
            }
            'H' | 'h' => fields.hour = num(&mut ti, n.min(2), 2)?.0 as u32,
            'm' => fields.minute = num(&mut ti, n.min(2), 2)?.0 as u32,
            's' => fields.second = num(&mut ti, n.min(2), 2)?.0 as u32,
            'f' | 'F' => {
                let start = ti;
                let (v, len) =
                    num(&mut ti, if c == 'f' { n } else { 0 }, n.min(7)).unwrap_or((0, 0));
                let _ = start;
                fields.fraction = v * 10i64.pow((7 - len.min(7)) as u32);
            }
            't' => {
                let k = word(&mut ti, &[cul.am, cul.pm])?;
                pm = Some(k == 1);
            }
            'K' | 'z' => {
                let rest: String = t[ti..].iter().collect();
                let mut k = 0;
                kind = zone(rest.as_bytes(), &mut k)?;
                ti += rest[..k].chars().count();
            }
            '\'' | '"' => {
                let mut j = fi + 1;
                while j < f.len() && f[j] != c {
                    if t.get(ti) != Some(&f[j]) {
                        return None;
                    }
                    ti += 1;
                    j += 1;
                }
                fi = j + 1;
                continue;
            }
            '\\' => {
                if t.get(ti) != f.get(fi + 1) {
                    return None;
                }
                ti += 1;
                fi += 2;
                continue;
            }
            '%' => {
                fi += 1;
                continue;
            }
            ':' | '/' => {
                let sep = if c == ':' { cul.time_sep } else { cul.date_sep };
                for sc in sep.chars() {
                    if t.get(ti) != Some(&sc) {
                        return None;
                    }
                    ti += 1;
                }
                fi += 1;
                continue;
            }
            other => {
                if t.get(ti) != Some(&other) {
                    return None;
                }
                ti += 1;
                fi += 1;
                continue;
            }
        }
        fi += n;
    }
    if ti != t.len() {
        return None;
    }
    match pm {
        Some(true) if fields.hour < 12 => fields.hour += 12,
        Some(false) if fields.hour == 12 => fields.hour = 0,
        _ => {}
    }
    if fields.fraction >= TICKS_PER_SECOND {
        return None;
    }
    DateTime::from_fields(fields, kind)
}
