//! How the runtime prints doubles.
//!
//! .NET (Core 3.0 and later) prints `double.ToString()` with the shortest
//! digits that round-trip, switching to scientific notation when the decimal
//! point would sit more than 15 places right of the first digit or more than
//! 3 places left of it (`1E+15`, `1E-05`, `9.223372036854776E+18`). The
//! exponent always has a sign and at least two digits. Newtonsoft.Json writes
//! the same digits but appends `.0` to integral values so they stay doubles.

/// The name .NET prints for a non-finite double.
pub(crate) fn non_finite_name(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

/// Shortest round-trip digits of a finite, non-zero `|f|`: the digit string
/// (no leading/trailing zeros) and the position of the decimal point relative
/// to the first digit (`0.d1d2… × 10^pos`).
pub(crate) fn shortest_digits(f: f64) -> (Vec<u8>, i32) {
    // Rust's `{:e}` prints the shortest round-trip representation.
    let s = format!("{:e}", f.abs());
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    (digits, exp + 1)
}

/// `double.ToString()` / `ToString("R")` as .NET prints it.
pub(crate) fn format_r(f: f64) -> String {
    if !f.is_finite() {
        return non_finite_name(f).to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let (digits, pos) = shortest_digits(f);
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    let d = |i: usize| char::from(b'0' + digits[i]);
    if !(-3..=15).contains(&pos) {
        out.push(d(0));
        if digits.len() > 1 {
            out.push('.');
            (1..digits.len()).for_each(|i| out.push(d(i)));
        }
        let e = pos - 1;
        out.push('E');
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", e.abs()));
    } else if pos <= 0 {
        out.push_str("0.");
        (0..(-pos)).for_each(|_| out.push('0'));
        (0..digits.len()).for_each(|i| out.push(d(i)));
    } else {
        let pos = pos as usize;
        for i in 0..pos.max(digits.len()) {
            if i == pos {
                out.push('.');
            }
            out.push(if i < digits.len() { d(i) } else { '0' });
        }
    }
    out
}

/// A double as Newtonsoft.Json writes it inside JSON text.
pub(crate) fn format_json(f: f64) -> String {
    let mut s = format_r(f);
    if f.is_finite() && !s.contains(['.', 'E']) {
        s.push_str(".0");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_dotnet() {
        assert_eq!(format_r(30.0), "30");
        assert_eq!(format_r(-1.0), "-1");
        assert_eq!(format_r(0.32), "0.32");
        assert_eq!(format_r(0.0001), "0.0001");
        assert_eq!(format_r(0.00001), "1E-05");
        assert_eq!(format_r(1e15), "1E+15");
        assert_eq!(format_r(123456789012345.0), "123456789012345");
        assert_eq!(format_r(9223372036854775809.5), "9.223372036854776E+18");
        assert_eq!(format_r(5e-324), "5E-324");
        assert_eq!(format_r(1.7e308), "1.7E+308");
        assert_eq!(format_r(f64::NAN), "NaN");
        assert_eq!(format_json(5.0), "5.0");
        assert_eq!(format_json(2.5), "2.5");
    }
}
