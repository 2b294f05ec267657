//! `DateTime` and `TimeSpan` text: .NET standard and custom date formats, `TimeSpan.ToString()`
//! (also used by APIM's quota message) and ISO 8601 parsing. All instants are UTC.

use time::OffsetDateTime;

/// .NET `TimeSpan.ToString()` (`[-][d.]hh:mm:ss[.fffffff]`); APIM's quota message uses it.
pub fn format_timespan(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    let (days, rem) = (ms / 86_400_000, ms % 86_400_000);
    let (h, m, s, frac) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    let day = if days > 0 {
        format!("{days}.")
    } else {
        String::new()
    };
    let frac = if frac > 0 {
        format!(".{:07}", frac * 10_000)
    } else {
        String::new()
    };
    format!("{sign}{day}{h:02}:{m:02}:{s:02}{frac}")
}

/// Formats a UTC instant with a .NET standard (`G`, `o`, `s`, `u`, `r`) or custom
/// (`yyyy-MM-ddTHH:mm:ss.fffZ`, quoted literals) format string.
pub fn format_datetime(ms: i64, fmt: &str) -> Option<String> {
    let nanos = i128::from(ms) * 1_000_000;
    let dt = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
    let pattern = match fmt {
        "" | "G" => "MM/dd/yyyy HH:mm:ss",
        "o" | "O" => "yyyy-MM-ddTHH:mm:ss.fffffffZ",
        "s" => "yyyy-MM-ddTHH:mm:ss",
        "u" => "yyyy-MM-dd HH:mm:ssZ",
        "d" => "MM/dd/yyyy",
        "r" | "R" => "ddd, dd MMM yyyy HH:mm:ss 'GMT'",
        other => other,
    };
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        let field = match (c, run) {
            ('y', 4) => format!("{:04}", dt.year()),
            ('y', 2) => format!("{:02}", dt.year().rem_euclid(100)),
            ('M', 3) => MONTHS[usize::from(u8::from(dt.month())) - 1].to_owned(),
            ('M', 2) => format!("{:02}", u8::from(dt.month())),
            ('M', 1) => u8::from(dt.month()).to_string(),
            ('d', 3) => DAYS[usize::from(dt.weekday().number_days_from_monday())].to_owned(),
            ('d', 2) => format!("{:02}", dt.day()),
            ('d', 1) => dt.day().to_string(),
            ('H', 2) => format!("{:02}", dt.hour()),
            ('H', 1) => dt.hour().to_string(),
            ('h', 2) => format!("{:02}", (dt.hour() + 11) % 12 + 1),
            ('m', 2) => format!("{:02}", dt.minute()),
            ('m', 1) => dt.minute().to_string(),
            ('s', 2) => format!("{:02}", dt.second()),
            ('s', 1) => dt.second().to_string(),
            ('f', n @ 1..=7) => {
                let digits = format!("{:09}", dt.nanosecond());
                digits.get(..n).unwrap_or("").to_owned()
            }
            ('t', 2) => if dt.hour() < 12 { "AM" } else { "PM" }.to_owned(),
            ('\'', _) => {
                // A quoted literal runs to the next quote.
                let end = chars[i + 1..].iter().position(|&x| x == '\'')?;
                out.extend(&chars[i + 1..i + 1 + end]);
                i += end + 2;
                continue;
            }
            ('y' | 'M' | 'd' | 'H' | 'h' | 'm' | 's' | 'f' | 't', _) => return None,
            _ => {
                out.push(c);
                i += 1;
                continue;
            }
        };
        out.push_str(&field);
        i += run;
    }
    Some(out)
}

/// Parses an ISO 8601 / RFC 3339 instant (with or without offset, assumed UTC) into Unix ms.
pub fn parse_datetime(s: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    let parsed = OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339))
        .ok()?;
    i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespan_matches_dotnet() {
        assert_eq!(format_timespan(0), "00:00:00");
        assert_eq!(
            format_timespan(((2 * 24 + 13) * 3600 + 47 * 60 + 6) * 1000),
            "2.13:47:06"
        );
        assert_eq!(format_timespan(-1500), "-00:00:01.5000000");
    }

    #[test]
    fn datetime_formats() {
        let ms = 1_700_000_000_123; // 2023-11-14T22:13:20.123Z, a Tuesday
        assert_eq!(format_datetime(ms, "G").unwrap(), "11/14/2023 22:13:20");
        assert_eq!(
            format_datetime(ms, "o").unwrap(),
            "2023-11-14T22:13:20.1230000Z"
        );
        assert_eq!(
            format_datetime(ms, "r").unwrap(),
            "Tue, 14 Nov 2023 22:13:20 GMT"
        );
        assert_eq!(
            format_datetime(ms, "yyyy-MM-dd'T'HH:mm").unwrap(),
            "2023-11-14T22:13"
        );
        assert_eq!(format_datetime(ms, "yyy"), None);
        assert_eq!(parse_datetime("2023-11-14T22:13:20.123Z"), Some(ms));
        assert_eq!(parse_datetime("2023-11-14T22:13:20"), Some(ms - 123));
    }
}
