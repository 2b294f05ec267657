//! .NET date and time format strings.
//!
//! A one-character format is a standard format (`d D f F g G M m O o R r s t
//! T u U Y y`); anything longer is a custom pattern of `d`, `f`, `F`, `g`,
//! `h`, `H`, `K`, `m`, `M`, `s`, `t`, `y`, `z`, `:`, `/`, quoted literals,
//! `\x` escapes and `%x` single specifiers.

use super::{DateTime, Kind};
use crate::culture::{Culture, INVARIANT};

/// Formats `dt`; the error text says which format was refused.
pub(crate) fn format(dt: &DateTime, fmt: &str, culture: &Culture) -> Result<String, String> {
    let mut chars = fmt.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return standard(dt, c, culture);
    }
    Ok(custom(dt, fmt, culture))
}

fn invalid(fmt: &str) -> String {
    format!("the format '{fmt}' is not a valid date and time format string.")
}

fn to_utc(dt: &DateTime) -> DateTime {
    DateTime {
        ticks: dt.utc_ticks(),
        kind: Kind::Utc,
    }
}

fn standard(dt: &DateTime, c: char, cul: &Culture) -> Result<String, String> {
    let pattern = match c {
        'd' => cul.short_date.to_owned(),
        'D' => cul.long_date.to_owned(),
        'f' => format!("{} {}", cul.long_date, cul.short_time),
        'F' => format!("{} {}", cul.long_date, cul.long_time),
        'g' => format!("{} {}", cul.short_date, cul.short_time),
        'G' => format!("{} {}", cul.short_date, cul.long_time),
        'M' | 'm' => cul.month_day.to_owned(),
        'Y' | 'y' => cul.year_month.to_owned(),
        't' => cul.short_time.to_owned(),
        'T' => cul.long_time.to_owned(),
        'O' | 'o' => {
            return Ok(custom(
                dt,
                "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
                &INVARIANT,
            ));
        }
        'R' | 'r' => {
            return Ok(custom(
                &to_utc(dt),
                "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
                &INVARIANT,
            ));
        }
        's' => return Ok(custom(dt, "yyyy'-'MM'-'dd'T'HH':'mm':'ss", &INVARIANT)),
        'u' => {
            return Ok(custom(
                &to_utc(dt),
                "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
                &INVARIANT,
            ));
        }
        'U' => {
            let pattern = format!("{} {}", cul.long_date, cul.long_time);
            return Ok(custom(&to_utc(dt), &pattern, cul));
        }
        _ => return Err(invalid(&c.to_string())),
    };
    Ok(custom(dt, &pattern, cul))
}

/// How many times `c` repeats from index `i`.
fn run(chars: &[char], i: usize, c: char) -> usize {
    chars[i..].iter().take_while(|&&x| x == c).count()
}

fn pad(n: i64, width: usize) -> String {
    format!("{n:0width$}")
}

fn offset_text(secs: i32, style: usize) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m) = (a / 3600, a / 60 % 60);
    match style {
        1 => format!("{sign}{h}"),
        2 => format!("{sign}{h:02}"),
        _ => format!("{sign}{h:02}:{m:02}"),
    }
}

fn custom(dt: &DateTime, fmt: &str, cul: &Culture) -> String {
    let f = dt.fields();
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let n = run(&chars, i, c);
        match c {
            'd' => {
                match n {
                    1 => out.push_str(&f.day.to_string()),
                    2 => out.push_str(&pad(i64::from(f.day), 2)),
                    3 => out.push_str(cul.days_abbr[dt.day_of_week() as usize]),
                    _ => out.push_str(cul.days[dt.day_of_week() as usize]),
                }
                i += n;
            }
            'f' | 'F' => {
                let n7 = n.min(7);
                let digits = pad(f.fraction, 7);
                let mut part = digits[..n7].to_owned();
                if c == 'F' {
                    part = part.trim_end_matches('0').to_owned();
                    if part.is_empty() && out.ends_with('.') {
                        out.pop();
                    }
                }
                out.push_str(&part);
                i += n;
            }
            'g' => {
                out.push_str("A.D.");
                i += n;
            }
            'h' => {
                let h12 = match f.hour % 12 {
                    0 => 12,
                    h => h,
                };
                out.push_str(&if n == 1 {
                    h12.to_string()
                } else {
                    pad(i64::from(h12), 2)
                });
                i += n;
            }
            'H' => {
                out.push_str(&if n == 1 {
                    f.hour.to_string()
                } else {
                    pad(i64::from(f.hour), 2)
                });
                i += n;
            }
            'm' => {
                out.push_str(&if n == 1 {
                    f.minute.to_string()
                } else {
                    pad(i64::from(f.minute), 2)
                });
                i += n;
            }
            's' => {
                out.push_str(&if n == 1 {
                    f.second.to_string()
                } else {
                    pad(i64::from(f.second), 2)
                });
                i += n;
            }
            'M' => {
                match n {
                    1 => out.push_str(&f.month.to_string()),
                    2 => out.push_str(&pad(i64::from(f.month), 2)),
                    3 => out.push_str(cul.months_abbr[(f.month - 1) as usize]),
                    _ => out.push_str(cul.months[(f.month - 1) as usize]),
                }
                i += n;
            }
            'y' => {
                match n {
                    1 => out.push_str(&(f.year % 100).to_string()),
                    2 => out.push_str(&pad(f.year % 100, 2)),
                    _ => out.push_str(&pad(f.year, n)),
                }
                i += n;
            }
            't' => {
                let d = if f.hour < 12 { cul.am } else { cul.pm };
                if n == 1 {
                    out.extend(d.chars().next());
                } else {
                    out.push_str(d);
                }
                i += n;
            }
            'K' => {
                match dt.kind {
                    Kind::Utc => out.push('Z'),
                    Kind::Offset(s) => out.push_str(&offset_text(s, 3)),
                    Kind::Unspecified => {}
                }
                i += n;
            }
            'z' => {
                out.push_str(&offset_text(dt.offset_seconds(), n.min(3)));
                i += n;
            }
            ':' => {
                out.push_str(cul.time_sep);
                i += 1;
            }
            '/' => {
                out.push_str(cul.date_sep);
                i += 1;
            }
            '\'' | '"' => {
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    out.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            '\\' => {
                if let Some(&next) = chars.get(i + 1) {
                    out.push(next);
                }
                i += 2;
            }
            '%' => {
                // `%d` formats one custom specifier on its own.
                if let Some(&next) = chars.get(i + 1) {
                    out.push_str(&custom(dt, &next.to_string(), cul));
                }
                i += 2;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    out
}
