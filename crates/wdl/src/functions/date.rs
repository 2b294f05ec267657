//! Date and time functions. Timestamps are strings; results are strings in
//! format `o` unless a format is given, keeping the input's kind (`Z`,
//! offset, or none).

use crate::culture::{self, Culture, EN_US};
use crate::datetime::{
    DateTime, Kind, TICKS_PER_DAY, TICKS_PER_SECOND, exact::parse_exact, format::format,
    format_timespan, parse::parse_lenient, tz,
};
use crate::error::ExprError;
use crate::functions::Args;
use crate::value::Val;

fn timestamp(a: &Args, i: usize) -> Result<DateTime, ExprError> {
    let s = a.str(i)?;
    parse_lenient(s, &EN_US).ok_or_else(|| {
        a.invalid(format!(
            "was invoked with a parameter that is not valid. The value '{s}' cannot be parsed as a timestamp."
        ))
    })
}

fn locale(a: &Args, i: usize) -> Result<&'static Culture, ExprError> {
    match a.opt_str(i)? {
        None => Ok(&EN_US),
        Some(name) => culture::find(name).ok_or_else(|| {
            a.invalid(format!(
                "was invoked with a locale '{name}' that is not valid or has no associated culture."
            ))
        }),
    }
}

/// Formats the result with the optional format argument at `i` (default `o`).
fn output(a: &Args, dt: &DateTime, i: usize, cul: &Culture) -> Result<Val, ExprError> {
    let fmt = match a.get(i) {
        Val::Null => "o",
        _ => a.str(i)?,
    };
    format(dt, fmt, cul)
        .map(Val::Str)
        .map_err(|m| a.invalid(format!("was invoked with a format that is not valid: {m}")))
}

fn out_of_range(a: &Args) -> ExprError {
    a.invalid("failed: the resulting timestamp is outside the supported range (0001-01-01 to 9999-12-31).")
}

/// Ticks for `n` units of something with a fixed length.
fn scaled(a: &Args, n: i64, unit_ticks: i64) -> Result<i64, ExprError> {
    n.checked_mul(unit_ticks).ok_or_else(|| out_of_range(a))
}

fn add_fixed(a: &mut Args, unit_ticks: i64) -> Result<Val, ExprError> {
    a.count(2, Some(3))?;
    let dt = timestamp(a, 0)?;
    let delta = scaled(a, a.int(1)?, unit_ticks)?;
    let r = dt.add_ticks(delta).ok_or_else(|| out_of_range(a))?;
    output(a, &r, 2, &EN_US)
}

pub(crate) fn add_days(a: &mut Args) -> Result<Val, ExprError> {
    add_fixed(a, TICKS_PER_DAY)
}

pub(crate) fn add_hours(a: &mut Args) -> Result<Val, ExprError> {
    add_fixed(a, 3600 * TICKS_PER_SECOND)
}

pub(crate) fn add_minutes(a: &mut Args) -> Result<Val, ExprError> {
    add_fixed(a, 60 * TICKS_PER_SECOND)
}

pub(crate) fn add_seconds(a: &mut Args) -> Result<Val, ExprError> {
    add_fixed(a, TICKS_PER_SECOND)
}

/// Adds `n` of the named unit (`Second` … `Year`, any case, plural allowed).
fn add_unit(a: &Args, dt: &DateTime, n: i64, unit_index: usize) -> Result<DateTime, ExprError> {
    let unit = a.str(unit_index)?;
    let u = unit.to_ascii_lowercase();
    let u = u.strip_suffix('s').unwrap_or(&u);
    let r = match u {
        "second" => dt.add_ticks(scaled(a, n, TICKS_PER_SECOND)?),
        "minute" => dt.add_ticks(scaled(a, n, 60 * TICKS_PER_SECOND)?),
        "hour" => dt.add_ticks(scaled(a, n, 3600 * TICKS_PER_SECOND)?),
        "day" => dt.add_ticks(scaled(a, n, TICKS_PER_DAY)?),
        "week" => dt.add_ticks(scaled(a, n, 7 * TICKS_PER_DAY)?),
        "month" => dt.add_months(n),
        "year" => n.checked_mul(12).and_then(|m| dt.add_months(m)),
        _ => {
            return Err(a.invalid(format!(
                "was invoked with a time unit '{unit}' that is not valid. Valid units are 'Second', 'Minute', 'Hour', 'Day', 'Week', 'Month' and 'Year'."
            )));
        }
    };
    r.ok_or_else(|| out_of_range(a))
}

fn to_time(a: &mut Args, sign: i64) -> Result<Val, ExprError> {
    a.count(3, Some(4))?;
    let dt = timestamp(a, 0)?;
    let n = a.int(1)?.checked_mul(sign).ok_or_else(|| out_of_range(a))?;
    let r = add_unit(a, &dt, n, 2)?;
    output(a, &r, 3, &EN_US)
}

pub(crate) fn add_to_time(a: &mut Args) -> Result<Val, ExprError> {
    to_time(a, 1)
}

pub(crate) fn subtract_from_time(a: &mut Args) -> Result<Val, ExprError> {
    to_time(a, -1)
}

fn now(a: &Args) -> Result<DateTime, ExprError> {
    DateTime::from_system_time(a.ctx.now()).ok_or_else(|| out_of_range(a))
}

fn relative(a: &mut Args, sign: i64) -> Result<Val, ExprError> {
    a.count(2, Some(3))?;
    let dt = now(a)?;
    let n = a.int(0)?.checked_mul(sign).ok_or_else(|| out_of_range(a))?;
    let r = add_unit(a, &dt, n, 1)?;
    output(a, &r, 2, &EN_US)
}

pub(crate) fn get_future_time(a: &mut Args) -> Result<Val, ExprError> {
    relative(a, 1)
}

pub(crate) fn get_past_time(a: &mut Args) -> Result<Val, ExprError> {
    relative(a, -1)
}

pub(crate) fn utc_now(a: &mut Args) -> Result<Val, ExprError> {
    a.count(0, Some(1))?;
    let dt = now(a)?;
    output(a, &dt, 0, &EN_US)
}

fn start_of(a: &mut Args, unit_ticks: Option<i64>) -> Result<Val, ExprError> {
    a.count(1, Some(2))?;
    let dt = timestamp(a, 0)?;
    let r = match unit_ticks {
        Some(u) => DateTime {
            ticks: dt.ticks - dt.ticks.rem_euclid(u),
            kind: dt.kind,
        },
        None => {
            let day_start = dt.ticks - dt.ticks.rem_euclid(TICKS_PER_DAY);
            DateTime {
                ticks: day_start - i64::from(dt.fields().day - 1) * TICKS_PER_DAY,
                kind: dt.kind,
            }
        }
    };
    output(a, &r, 1, &EN_US)
}

pub(crate) fn start_of_day(a: &mut Args) -> Result<Val, ExprError> {
    start_of(a, Some(TICKS_PER_DAY))
}

pub(crate) fn start_of_hour(a: &mut Args) -> Result<Val, ExprError> {
    start_of(a, Some(3600 * TICKS_PER_SECOND))
}

pub(crate) fn start_of_month(a: &mut Args) -> Result<Val, ExprError> {
    start_of(a, None)
}

pub(crate) fn day_of_month(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    Ok(Val::Int(i64::from(timestamp(a, 0)?.fields().day)))
}

/// Sunday is 0 (documented).
pub(crate) fn day_of_week(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    Ok(Val::Int(i64::from(timestamp(a, 0)?.day_of_week())))
}

pub(crate) fn day_of_year(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    Ok(Val::Int(i64::from(timestamp(a, 0)?.day_of_year())))
}

/// `formatDateTime(timestamp, format?, locale?)`, locale default en-US.
pub(crate) fn format_date_time(a: &mut Args) -> Result<Val, ExprError> {
    a.count(1, Some(3))?;
    let dt = timestamp(a, 0)?;
    let cul = locale(a, 2)?;
    output(a, &dt, 1, cul)
}

/// `parseDateTime(timestamp, locale?, format?)`: without a format the
/// culture's conventions are tried.
pub(crate) fn parse_date_time(a: &mut Args) -> Result<Val, ExprError> {
    a.count(1, Some(3))?;
    let text = a.str(0)?;
    let cul = locale(a, 1)?;
    let parsed = match a.opt_str(2)? {
        Some(fmt) => parse_exact(text, fmt, cul),
        None => parse_lenient(text, cul),
    };
    let dt = parsed.ok_or_else(|| {
        a.invalid(format!(
            "was invoked with a parameter that is not valid. The value '{text}' cannot be parsed as a timestamp."
        ))
    })?;
    output(a, &dt, 99, &EN_US)
}

fn zone(a: &Args, i: usize) -> Result<jiff::tz::TimeZone, ExprError> {
    let name = a.str(i)?;
    tz::find(name).ok_or_else(|| {
        a.invalid(format!(
            "was invoked with a time zone '{name}' that is not valid. Use a Windows time zone name such as 'Pacific Standard Time'."
        ))
    })
}

fn converted(a: &Args, dt: Option<DateTime>) -> Result<DateTime, ExprError> {
    dt.ok_or_else(|| {
        a.invalid("failed: the timestamp is not valid in the source time zone or is out of range.")
    })
}

/// UTC ticks of `dt` read in `source` (values with `Z`/offset already name
/// their instant).
fn source_utc(dt: &DateTime, source: &jiff::tz::TimeZone) -> Option<i64> {
    match dt.kind {
        Kind::Unspecified => tz::zone_to_utc(dt, source),
        _ => Some(dt.utc_ticks()),
    }
}

/// `convertFromUtc`: the result has no offset (documented).
pub(crate) fn convert_from_utc(a: &mut Args) -> Result<Val, ExprError> {
    a.count(2, Some(3))?;
    let dt = timestamp(a, 0)?;
    let dest = zone(a, 1)?;
    let r = converted(a, tz::utc_to_zone(dt.utc_ticks(), &dest))?;
    output(a, &r, 2, &EN_US)
}

pub(crate) fn convert_time_zone(a: &mut Args) -> Result<Val, ExprError> {
    a.count(3, Some(4))?;
    let dt = timestamp(a, 0)?;
    let (src, dest) = (zone(a, 1)?, zone(a, 2)?);
    let utc = converted(
        a,
        source_utc(&dt, &src).map(|t| DateTime {
            ticks: t,
            kind: Kind::Utc,
        }),
    )?;
    let r = converted(a, tz::utc_to_zone(utc.ticks, &dest))?;
    output(a, &r, 3, &EN_US)
}

pub(crate) fn convert_to_utc(a: &mut Args) -> Result<Val, ExprError> {
    a.count(2, Some(3))?;
    let dt = timestamp(a, 0)?;
    let src = zone(a, 1)?;
    let r = converted(
        a,
        source_utc(&dt, &src).map(|t| DateTime {
            ticks: t,
            kind: Kind::Utc,
        }),
    )?;
    output(a, &r, 2, &EN_US)
}

/// `dateDifference(start, end)`: `end - start` as a .NET TimeSpan string.
pub(crate) fn date_difference(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(2)?;
    let (start, end) = (timestamp(a, 0)?, timestamp(a, 1)?);
    Ok(Val::Str(format_timespan(
        end.utc_ticks() - start.utc_ticks(),
    )))
}

/// `ticks(timestamp)`: 100 ns intervals since 0001-01-01 of the UTC instant.
pub(crate) fn ticks(a: &mut Args) -> Result<Val, ExprError> {
    a.exactly(1)?;
    Ok(Val::Int(timestamp(a, 0)?.utc_ticks()))
}
