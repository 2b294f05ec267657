//! .NET custom numeric format strings (`#,##0.00`, `0.0E+0`, `0;(0);zero`…)
//! for `formatNumber`.
//!
//! Doubles are first rounded to 15 significant digits, as .NET does for
//! custom formats. Literal characters between grouped integer placeholders
//! are not supported (they are rare; phone-number style formats without
//! grouping work).

use super::digits::{Digits, group};
use super::double;
use crate::culture::Culture;
use crate::functions::Num;

/// One token of a custom format section.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Zero,
    Hash,
    Point,
    Comma,
    Percent,
    PerMille,
    Exp {
        upper: bool,
        plus: bool,
        digits: usize,
    },
    Lit(String),
}

fn tokenize(section: &str) -> Vec<Tok> {
    let chars: Vec<char> = section.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '0' => out.push(Tok::Zero),
            '#' => out.push(Tok::Hash),
            '.' => out.push(Tok::Point),
            ',' => out.push(Tok::Comma),
            '%' => out.push(Tok::Percent),
            '‰' => out.push(Tok::PerMille),
            '\\' => {
                if let Some(&n) = chars.get(i) {
                    out.push(Tok::Lit(n.to_string()));
                    i += 1;
                }
            }
            '\'' | '"' => {
                let mut lit = String::new();
                while i < chars.len() && chars[i] != c {
                    lit.push(chars[i]);
                    i += 1;
                }
                i += 1;
                out.push(Tok::Lit(lit));
            }
            'E' | 'e' => {
                let mut j = i;
                let mut plus = false;
                if matches!(chars.get(j), Some('+') | Some('-')) {
                    plus = chars[j] == '+';
                    j += 1;
                }
                let start = j;
                while chars.get(j) == Some(&'0') {
                    j += 1;
                }
                if j > start {
                    out.push(Tok::Exp {
                        upper: c == 'E',
                        plus,
                        digits: j - start,
                    });
                    i = j;
                } else {
                    out.push(Tok::Lit(c.to_string()));
                }
            }
            other => out.push(Tok::Lit(other.to_string())),
        }
    }
    out
}

/// Splits on `;` outside quotes and escapes.
fn sections(format: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in format.chars() {
        let last = out.len() - 1;
        if escaped {
            escaped = false;
        } else if let Some(q) = quote {
            if c == q {
                quote = None;
            }
        } else if c == '\\' {
            escaped = true;
        } else if c == '\'' || c == '"' {
            quote = Some(c);
        } else if c == ';' {
            out.push(String::new());
            continue;
        }
        out[last].push(c);
    }
    out
}

pub(crate) fn format_custom(n: Num, format: &str, c: &Culture) -> String {
    if let Num::Float(f) = n
        && !f.is_finite()
    {
        return double::non_finite_name(f)
            .replace("Infinity", c.positive_infinity.trim_start_matches('-'));
    }
    let secs = sections(format);
    let negative = match n {
        Num::Int(i) => i < 0,
        Num::Float(f) => f < 0.0,
        Num::Dec(d) => d.to_f64() < 0.0,
    };
    // Section choice: negative numbers use section 2 (without a sign) when
    // present; zero uses section 3.
    let (mut idx, mut sign) = (0, negative);
    if negative && secs.len() >= 2 && !secs[1].is_empty() {
        idx = 1;
        sign = false;
    }
    let result = render(n, &tokenize(&secs[idx]), c);
    if result.1 && secs.len() >= 3 && !secs[2].is_empty() {
        return render(n, &tokenize(&secs[2]), c).0;
    }
    if result.1 {
        sign = false;
    }
    if sign {
        format!("-{}", result.0)
    } else {
        result.0
    }
}

/// Renders one section; returns the text and whether the shown value is zero.
fn render(n: Num, toks: &[Tok], c: &Culture) -> (String, bool) {
    let point = toks.iter().position(|t| *t == Tok::Point);
    let exp_at = toks.iter().position(|t| matches!(t, Tok::Exp { .. }));
    let int_end = point.or(exp_at).unwrap_or(toks.len());
    let int_toks = &toks[..int_end];
    let frac_toks: &[Tok] = match point {
        Some(p) => &toks[p + 1..exp_at.unwrap_or(toks.len()).max(p + 1)],
        None => &[],
    };
    let is_ph = |t: &Tok| matches!(t, Tok::Zero | Tok::Hash);
    let first_ph = int_toks.iter().position(is_ph);
    let last_ph = int_toks.iter().rposition(is_ph);
    // Commas right after the last integer placeholder divide by 1000 each;
    // a comma between placeholders turns grouping on.
    let mut thousands_scale = 0;
    let mut grouping = false;
    if let Some(lp) = last_ph {
        thousands_scale = int_toks[lp + 1..]
            .iter()
            .take_while(|t| **t == Tok::Comma)
            .count() as i32;
        let fp = first_ph.unwrap_or(lp);
        grouping = int_toks[fp..lp].contains(&Tok::Comma);
    }
    let min_int = first_ph.map_or(0, |fp| {
        int_toks[fp..]
            .iter()
            .skip_while(|t| **t != Tok::Zero)
            .filter(|t| is_ph(t))
            .count()
    });
    let frac_ph: Vec<&Tok> = frac_toks.iter().filter(|t| is_ph(t)).collect();
    let max_frac = frac_ph.len();
    let min_frac = frac_ph
        .iter()
        .rposition(|t| **t == Tok::Zero)
        .map_or(0, |i| i + 1);

    let mut pct = 0;
    for t in toks {
        match t {
            Tok::Percent => pct += 2,
            Tok::PerMille => pct += 3,
            _ => {}
        }
    }
    let mut d = match n {
        Num::Float(f) => Digits::from_f64(f, 15),
        other => Digits::from_num(other, 40),
    };
    if !d.is_zero() {
        d.point += pct - 3 * thousands_scale;
    }
    let mut exponent = 0;
    if let Some(ei) = exp_at {
        let int_digits = int_toks.iter().filter(|t| is_ph(t)).count().max(1) as i32;
        if !d.is_zero() {
            exponent = d.point - int_digits;
            d.point = int_digits;
        }
        let _ = ei;
    }
    d.round_decimals(max_frac as i32);
    if exp_at.is_some()
        && !d.is_zero()
        && d.point > int_toks.iter().filter(|t| is_ph(t)).count().max(1) as i32
    {
        d.point -= 1;
        exponent += 1;
    }
    let zero = d.is_zero();

    let mut int_digits = d.int_part();
    if int_digits.len() < min_int {
        int_digits = format!("{}{int_digits}", "0".repeat(min_int - int_digits.len()));
    }
    let mut out = String::new();
    // Integer part.
    match (first_ph, last_ph) {
        (Some(fp), Some(lp)) if grouping => {
            int_toks[..fp].iter().for_each(|t| push_lit(t, &mut out, c));
            out.push_str(&group(&int_digits, c.group_sep));
            int_toks[lp + 1..]
                .iter()
                .for_each(|t| push_lit(t, &mut out, c));
        }
        (Some(_), Some(_)) => {
            // Place digits right to left onto placeholders, literals in place;
            // surplus leading digits go before the first placeholder.
            let digits: Vec<char> = int_digits.chars().collect();
            let mut remaining = digits.len();
            let mut pieces: Vec<String> = Vec::new();
            let placeholder_count = int_toks.iter().filter(|t| is_ph(t)).count();
            let mut seen = 0;
            for t in int_toks.iter().rev() {
                if is_ph(t) {
                    seen += 1;
                    let mut piece = String::new();
                    if seen == placeholder_count && remaining > 0 {
                        piece.extend(&digits[..remaining]);
                        remaining = 0;
                    } else if remaining > 0 {
                        remaining -= 1;
                        piece.push(digits[remaining]);
                    }
                    pieces.push(piece);
                } else {
                    let mut s = String::new();
                    push_lit(t, &mut s, c);
                    pieces.push(s);
                }
            }
            pieces.iter().rev().for_each(|p| out.push_str(p));
        }
        _ => {
            int_toks.iter().for_each(|t| push_lit(t, &mut out, c));
            if int_toks.is_empty() && !int_digits.is_empty() && frac_toks.is_empty() {
                out.push_str(&int_digits);
            }
        }
    }
    // Fraction part.
    if point.is_some() {
        let shown = d.frac_len().min(max_frac).max(min_frac);
        let frac = d.frac_part(shown);
        let mut frac_chars = frac.chars();
        let mut body = String::new();
        let mut k = 0;
        for t in frac_toks {
            if is_ph(t) {
                if k < shown {
                    body.extend(frac_chars.next());
                }
                k += 1;
            } else {
                push_lit(t, &mut body, c);
            }
        }
        if shown > 0 {
            out.push_str(c.decimal_sep);
        }
        out.push_str(&body);
    }
    // Exponent and trailing literals.
    if let Some(ei) = exp_at {
        if let Tok::Exp {
            upper,
            plus,
            digits,
        } = &toks[ei]
        {
            out.push(if *upper { 'E' } else { 'e' });
            if exponent < 0 {
                out.push('-');
            } else if *plus {
                out.push('+');
            }
            out.push_str(&format!("{:0width$}", exponent.abs(), width = *digits));
        }
        toks[ei + 1..].iter().for_each(|t| push_lit(t, &mut out, c));
    }
    (out, zero)
}

fn push_lit(t: &Tok, out: &mut String, _c: &Culture) {
    match t {
        Tok::Lit(s) => out.push_str(s),
        Tok::Percent => out.push('%'),
        Tok::PerMille => out.push('‰'),
        _ => {}
    }
}
