//! Time: the engine's clock, the runtime's timestamp format, ISO 8601 durations and .NET
//! TimeSpans.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the engine reads the time of day. Sleeping always uses tokio's timer, so an
/// implementation should advance with it (as [`TokioClock`] does) for paused-clock tests to see
/// consistent timestamps.
pub trait EngineClock: Send + Sync {
    /// Now.
    fn now(&self) -> SystemTime;
}

/// The workspace clock read once as an anchor, then advanced by tokio's monotonic clock.
///
/// `skybridge_jose::Clock` has whole-second resolution and cannot be paused; run history needs
/// sub-second times, and tests pause tokio's clock to drive retries and waits. Anchoring keeps
/// both: the wall time comes from the injected clock, its progress from tokio.
pub struct TokioClock {
    anchor_wall: SystemTime,
    anchor: tokio::time::Instant,
}

impl TokioClock {
    /// Anchors at `clock`'s current time. Must be called inside a tokio runtime when tests pause
    /// its clock (the anchor then belongs to the paused clock).
    pub fn new(clock: &dyn skybridge_jose::Clock) -> Self {
        let secs = clock.now_unix();
        let anchor_wall = if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
        } else {
            UNIX_EPOCH
        };
        Self {
            anchor_wall,
            anchor: tokio::time::Instant::now(),
        }
    }

    /// Anchored at the system clock.
    pub fn system() -> Arc<Self> {
        let now = SystemTime::now();
        Arc::new(Self {
            anchor_wall: now,
            anchor: tokio::time::Instant::now(),
        })
    }
}

impl EngineClock for TokioClock {
    fn now(&self) -> SystemTime {
        self.anchor_wall + self.anchor.elapsed()
    }
}

/// Formats like the runtime's JSON: UTC, up to seven fractional digits, trailing zeros trimmed
/// (`2018-08-10T20:16:32.5779999Z`, `2018-08-10T20:16:32.044238Z`).
pub fn format_time(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    let Ok(dt) = ::time::OffsetDateTime::from_unix_timestamp(secs) else {
        return "9999-12-31T23:59:59Z".to_string();
    };
    let ticks = d.subsec_nanos() / 100;
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    if ticks > 0 {
        let frac = format!("{ticks:07}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Parses an RFC 3339 / ISO 8601 timestamp; one without an offset is taken as UTC.
pub fn parse_time(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let parsed = ::time::OffsetDateTime::parse(s, &::time::format_description::well_known::Rfc3339)
        .ok()
        .or_else(|| {
            ::time::OffsetDateTime::parse(
                &format!("{s}Z"),
                &::time::format_description::well_known::Rfc3339,
            )
            .ok()
        })
        .or_else(|| {
            // A date alone, or minutes without seconds.
            let with_secs = if s.len() == 16 {
                format!("{s}:00Z")
            } else if s.len() == 10 {
                format!("{s}T00:00:00Z")
            } else {
                return None;
            };
            ::time::OffsetDateTime::parse(
                &with_secs,
                &::time::format_description::well_known::Rfc3339,
            )
            .ok()
        })?;
    let nanos = parsed.unix_timestamp_nanos();
    if nanos < 0 {
        return None;
    }
    let nanos = u64::try_from(nanos).ok()?;
    Some(UNIX_EPOCH + Duration::from_nanos(nanos))
}

/// Parses an ISO 8601 duration (`PT10S`, `P1D`, `PT1H30M`, `P1W`, `PT0.5S`). Months count as
/// 30 days and years as 365, as the runtime's limits do. Case-insensitive.
pub fn parse_iso_duration(s: &str) -> Option<Duration> {
    let upper = s.trim().to_ascii_uppercase();
    let rest = upper.strip_prefix('P')?;
    if rest.is_empty() {
        return None;
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return None;
            }
            (d, Some(t))
        }
        None => (rest, None),
    };
    let mut total = 0f64;
    let mut parse_part = |text: &str, units: &[(char, f64)]| -> Option<()> {
        let mut num = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                num.push(if c == ',' { '.' } else { c });
            } else {
                let (_, secs) = units.iter().find(|(u, _)| *u == c)?;
                let n: f64 = num.parse().ok()?;
                total += n * secs;
                num.clear();
            }
        }
        num.is_empty().then_some(())
    };
    parse_part(
        date,
        &[
            ('Y', 365.0 * 86400.0),
            ('M', 30.0 * 86400.0),
            ('W', 7.0 * 86400.0),
            ('D', 86400.0),
        ],
    )?;
    if let Some(t) = time {
        parse_part(t, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    if !total.is_finite() || !(0.0..=1e11).contains(&total) {
        return None;
    }
    Some(Duration::from_secs_f64(total))
}

/// Formats a duration as ISO 8601 (`PT1H30M`), for messages.
pub fn format_iso_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    let days = secs / 86400;
    secs %= 86400;
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if secs > 0 || days == 0 {
        out.push('T');
        let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if s > 0 || (h == 0 && m == 0) {
            out.push_str(&format!("{s}S"));
        }
    }
    out
}

/// Parses a .NET TimeSpan (`00:03:45`, `1.00:00:00`, `00:00:00.5`), as host settings use.
pub fn parse_timespan(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (days, rest) = match s.split_once('.') {
        Some((d, r)) if r.contains(':') && !d.contains(':') => (d.parse::<u64>().ok()?, r),
        _ => (0, s),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let [h, m, sec] = parts.as_slice() else {
        return None;
    };
    let h: u64 = h.parse().ok()?;
    let m: u64 = m.parse().ok()?;
    let sec: f64 = sec.parse().ok()?;
    if !(0.0..60.0).contains(&sec) || m >= 60 {
        return None;
    }
    Some(Duration::from_secs(days * 86400 + h * 3600 + m * 60) + Duration::from_secs_f64(sec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_iso_duration("PT10S"), Some(Duration::from_secs(10)));
        assert_eq!(
            parse_iso_duration("pt1h30m"),
            Some(Duration::from_secs(5400))
        );
        assert_eq!(parse_iso_duration("P1D"), Some(Duration::from_secs(86400)));
        assert_eq!(
            parse_iso_duration("PT0.5S"),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_iso_duration("P"), None);
        assert_eq!(parse_iso_duration("PT"), None);
        assert_eq!(parse_iso_duration("10S"), None);
        assert_eq!(parse_iso_duration("PT5X"), None);
        assert_eq!(format_iso_duration(Duration::from_secs(5400)), "PT1H30M");
        assert_eq!(format_iso_duration(Duration::from_secs(0)), "PT0S");
        assert_eq!(parse_timespan("00:03:45"), Some(Duration::from_secs(225)));
        assert_eq!(
            parse_timespan("90.00:00:00"),
            Some(Duration::from_secs(90 * 86400))
        );
    }

    #[test]
    fn timestamps() {
        let t = UNIX_EPOCH + Duration::from_nanos(1_533_932_192_577_999_900);
        assert_eq!(format_time(t), "2018-08-10T20:16:32.5779999Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_533_932_192);
        assert_eq!(format_time(t), "2018-08-10T20:16:32Z");
        assert_eq!(parse_time("2018-08-10T20:16:32Z"), Some(t));
        assert_eq!(parse_time("2018-08-10T20:16:32"), Some(t));
        assert_eq!(parse_time("2018-08-10T22:16:32+02:00"), Some(t));
        assert!(parse_time("yesterday").is_none());
    }
}
