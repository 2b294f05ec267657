//! A .NET-style `DateTime`: 100 ns ticks since 0001-01-01 on the wall clock,
//! plus a kind saying how the value was written (`Z`, an offset, or nothing).
//!
//! The runtime's date functions take and return strings; what matters is
//! that the output keeps the input's kind (an input with `Z` prints `Z`, one
//! without an offset prints none, one with an offset prints it) and that the
//! default output is `o`: `yyyy-MM-ddTHH:mm:ss.fffffffK`.

pub(crate) mod exact;
pub(crate) mod format;
pub(crate) mod parse;
pub(crate) mod tz;

/// Ticks (100 ns) per second.
pub(crate) const TICKS_PER_SECOND: i64 = 10_000_000;
/// Ticks per day.
pub(crate) const TICKS_PER_DAY: i64 = 86_400 * TICKS_PER_SECOND;
/// Ticks at 9999-12-31T23:59:59.9999999, the .NET maximum.
pub(crate) const MAX_TICKS: i64 = 3_155_378_975_999_999_999;
/// Ticks at 1970-01-01T00:00:00.
pub(crate) const UNIX_EPOCH_TICKS: i64 = 621_355_968_000_000_000;

/// How the timestamp text specified its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No zone information: printed without a suffix.
    Unspecified,
    /// `Z`: printed with `Z`.
    Utc,
    /// An explicit offset in seconds: printed as `+hh:mm`.
    Offset(i32),
}

/// A wall-clock time with its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTime {
    /// Wall-clock ticks since 0001-01-01T00:00:00.
    pub(crate) ticks: i64,
    pub(crate) kind: Kind,
}

/// Calendar fields of a wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fields {
    pub(crate) year: i64,
    pub(crate) month: u32,
    pub(crate) day: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
    /// Ticks within the second (0–9,999,999).
    pub(crate) fraction: i64,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days from 0001-01-01 to 1970-01-01.
const EPOCH_DAYS: i64 = 719_162;

pub(crate) fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

impl DateTime {
    /// Builds from calendar fields; `None` when a field is out of range.
    pub(crate) fn from_fields(f: Fields, kind: Kind) -> Option<DateTime> {
        if !(1..=9999).contains(&f.year)
            || !(1..=12).contains(&f.month)
            || f.day == 0
            || f.day > days_in_month(f.year, f.month)
            || f.hour > 23
            || f.minute > 59
            || f.second > 59
            || !(0..TICKS_PER_SECOND).contains(&f.fraction)
        {
            return None;
        }
        let days = days_from_civil(f.year, f.month, f.day) + EPOCH_DAYS;
        let secs = i64::from(f.hour * 3600 + f.minute * 60 + f.second);
        Some(DateTime {
            ticks: days * TICKS_PER_DAY + secs * TICKS_PER_SECOND + f.fraction,
            kind,
        })
    }

    /// Calendar fields of the wall clock.
    pub(crate) fn fields(&self) -> Fields {
        let days = self.ticks.div_euclid(TICKS_PER_DAY);
        let rem = self.ticks.rem_euclid(TICKS_PER_DAY);
        let (year, month, day) = civil_from_days(days - EPOCH_DAYS);
        let secs = rem / TICKS_PER_SECOND;
        Fields {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: (secs / 60 % 60) as u32,
            second: (secs % 60) as u32,
            fraction: rem % TICKS_PER_SECOND,
        }
    }

    /// Day of the week, Sunday = 0.
    pub(crate) fn day_of_week(&self) -> u32 {
        // 0001-01-01 was a Monday.
        ((self.ticks.div_euclid(TICKS_PER_DAY) + 1).rem_euclid(7)) as u32
    }

    /// Day of the year, starting at 1.
    pub(crate) fn day_of_year(&self) -> u32 {
        let f = self.fields();
        let start = days_from_civil(f.year, 1, 1);
        (days_from_civil(f.year, f.month, f.day) - start + 1) as u32
    }

    /// The offset from UTC in seconds (0 for UTC and unspecified values: the
    /// runtime's servers run on UTC).
    pub(crate) fn offset_seconds(&self) -> i32 {
        match self.kind {
            Kind::Offset(s) => s,
            _ => 0,
        }
    }

    /// Ticks of the same instant in UTC.
    pub(crate) fn utc_ticks(&self) -> i64 {
        self.ticks - i64::from(self.offset_seconds()) * TICKS_PER_SECOND
    }

    /// Adds ticks; `None` outside 0001–9999.
    pub(crate) fn add_ticks(&self, delta: i64) -> Option<DateTime> {
        let ticks = self.ticks.checked_add(delta)?;
        (0..=MAX_TICKS).contains(&ticks).then_some(DateTime {
            ticks,
            kind: self.kind,
        })
    }

    /// Adds calendar months, clamping the day to the month's length like
    /// .NET `AddMonths`.
    pub(crate) fn add_months(&self, months: i64) -> Option<DateTime> {
        let f = self.fields();
        let total = (f.year * 12 + i64::from(f.month) - 1).checked_add(months)?;
        let year = total.div_euclid(12);
        let month = (total.rem_euclid(12) + 1) as u32;
        if !(1..=9999).contains(&year) {
            return None;
        }
        let day = f.day.min(days_in_month(year, month));
        DateTime::from_fields(
            Fields {
                year,
                month,
                day,
                ..f
            },
            self.kind,
        )
    }

    /// The UTC instant as a `SystemTime`.
    pub(crate) fn to_system_time(self) -> std::time::SystemTime {
        let rel = self.utc_ticks() - UNIX_EPOCH_TICKS;
        let secs = rel.div_euclid(TICKS_PER_SECOND);
        let nanos = (rel.rem_euclid(TICKS_PER_SECOND) * 100) as u32;
        if secs >= 0 {
            std::time::UNIX_EPOCH + std::time::Duration::new(secs as u64, nanos)
        } else {
            std::time::UNIX_EPOCH - std::time::Duration::from_secs(secs.unsigned_abs())
                + std::time::Duration::from_nanos(u64::from(nanos))
        }
    }

    /// The time from `std::time::SystemTime`, as UTC.
    pub(crate) fn from_system_time(t: std::time::SystemTime) -> Option<DateTime> {
        let (secs, nanos) = match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, i64::from(d.subsec_nanos())),
            Err(e) => {
                let d = e.duration();
                (-(d.as_secs() as i64), -i64::from(d.subsec_nanos()))
            }
        };
        let ticks = UNIX_EPOCH_TICKS
            .checked_add(secs.checked_mul(TICKS_PER_SECOND)?)?
            .checked_add(nanos / 100)?;
        (0..=MAX_TICKS).contains(&ticks).then_some(DateTime {
            ticks,
            kind: Kind::Utc,
        })
    }
}

/// A .NET `TimeSpan` in its default (`c`) format: `[-][d.]hh:mm:ss[.fffffff]`.
pub(crate) fn format_timespan(ticks: i64) -> String {
    let sign = if ticks < 0 { "-" } else { "" };
    let t = ticks.unsigned_abs();
    let tps = TICKS_PER_SECOND as u64;
    let days = t / TICKS_PER_DAY as u64;
    let secs = t / tps % 86_400;
    let frac = t % tps;
    let mut out = sign.to_owned();
    if days > 0 {
        out.push_str(&format!("{days}."));
    }
    out.push_str(&format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    ));
    if frac > 0 {
        out.push_str(&format!(".{frac:07}"));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn civil_round_trip() {
        let f = Fields {
            year: 2018,
            month: 3,
            day: 15,
            hour: 13,
            minute: 27,
            second: 36,
            fraction: 0,
        };
        let d = DateTime::from_fields(f, Kind::Utc).unwrap();
        assert_eq!(d.fields(), f);
        assert_eq!(d.day_of_week(), 4);
        assert_eq!(d.day_of_year(), 74);
        assert_eq!(format_timespan(1268 * TICKS_PER_DAY), "1268.00:00:00");
        let unix = DateTime::from_fields(
            Fields {
                year: 1970,
                month: 1,
                day: 1,
                hour: 0,
                minute: 0,
                second: 0,
                fraction: 0,
            },
            Kind::Utc,
        )
        .unwrap();
        assert_eq!(unix.ticks, UNIX_EPOCH_TICKS);
    }
}
