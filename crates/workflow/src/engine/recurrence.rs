//! Recurrence triggers: when the next run is due, and the task that fires them.
//!
//! Times are computed in the trigger's time zone (Windows names such as
//! `W. Europe Standard Time`, or IANA names), using the expression language's
//! `convertFromUtc`/`convertToUtc` so zone data lives in one place. A simple recurrence with a
//! `startTime` fires at `startTime + k × interval`; without one it fires at once and then every
//! interval. A schedule (`hours`, `minutes`, `weekDays`, `monthDays`) never fires before
//! `startTime`.

use std::time::{Duration, SystemTime};

use ::time::{Date, PrimitiveDateTime, Time};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::{Engine, TriggerRequest};
use crate::definition::{Frequency, Recurrence};
use crate::engine::actions::call_wdl;
use crate::time::{format_time, parse_time};

/// Wall-clock time in the trigger's zone.
fn to_local(t: SystemTime, tz: Option<&str>) -> Option<PrimitiveDateTime> {
    let text = match tz {
        None => format_time(t),
        Some(zone) => match call_wdl(
            "convertFromUtc",
            vec![
                json!(format_time(t)),
                json!(zone),
                json!("yyyy-MM-ddTHH:mm:ss"),
            ],
        ) {
            Ok(Value::String(s)) => s,
            _ => return None,
        },
    };
    let utc = parse_time(&text)?;
    let odt = ::time::OffsetDateTime::from(utc);
    Some(PrimitiveDateTime::new(odt.date(), odt.time()))
}

/// The UTC instant of a wall-clock time in the zone.
fn from_local(p: PrimitiveDateTime, tz: Option<&str>) -> Option<SystemTime> {
    let text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        p.year(),
        u8::from(p.month()),
        p.day(),
        p.hour(),
        p.minute(),
        p.second()
    );
    match tz {
        None => parse_time(&format!("{text}Z")),
        Some(zone) => match call_wdl("convertToUtc", vec![json!(text), json!(zone)]) {
            Ok(Value::String(s)) => parse_time(&s),
            _ => None,
        },
    }
}

fn add_months(d: PrimitiveDateTime, months: i64) -> Option<PrimitiveDateTime> {
    let total = i64::from(d.year()) * 12 + i64::from(u8::from(d.month()) - 1) + months;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = ::time::Month::try_from(u8::try_from(total.rem_euclid(12) + 1).ok()?).ok()?;
    let last = month.length(year);
    let date = Date::from_calendar_date(year, month, d.day().min(last)).ok()?;
    Some(PrimitiveDateTime::new(date, d.time()))
}

fn period(r: &Recurrence) -> Option<Duration> {
    let unit = match r.frequency {
        Frequency::Second => 1,
        Frequency::Minute => 60,
        Frequency::Hour => 3600,
        Frequency::Day => 86_400,
        Frequency::Week => 604_800,
        Frequency::Month => return None,
    };
    Some(Duration::from_secs(unit * r.interval))
}

fn has_schedule(r: &Recurrence) -> bool {
    !(r.hours.is_empty()
        && r.minutes.is_empty()
        && r.week_days.is_empty()
        && r.month_days.is_empty())
}

/// The first due time strictly after `after`. `enabled_at` anchors recurrences without a
/// `startTime`.
pub fn next_after(r: &Recurrence, after: SystemTime, enabled_at: SystemTime) -> Option<SystemTime> {
    let tz = r.time_zone.as_deref();
    let start = match &r.start_time {
        Some(s) if tz.is_some() => {
            let naive = parse_time(s)?;
            let odt = ::time::OffsetDateTime::from(naive);
            from_local(PrimitiveDateTime::new(odt.date(), odt.time()), tz)?
        }
        Some(s) => parse_time(s)?,
        None => enabled_at,
    };
    if has_schedule(r) {
        return next_scheduled(r, after.max(start - Duration::from_nanos(1)), start, tz);
    }
    if after < start {
        return Some(start);
    }
    match period(r) {
        Some(p)
            if matches!(
                r.frequency,
                Frequency::Second | Frequency::Minute | Frequency::Hour
            ) =>
        {
            let since = after.duration_since(start).ok()?;
            let k = since.as_nanos() / p.as_nanos().max(1) + 1;
            Some(start + p.checked_mul(u32::try_from(k).ok()?)?)
        }
        _ => {
            // Days, weeks and months step in local time so daylight saving keeps the hour.
            let base = to_local(start, tz)?;
            for k in 1..=200_000i64 {
                let candidate = match r.frequency {
                    Frequency::Month => add_months(base, k * r.interval as i64)?,
                    Frequency::Week => base + ::time::Duration::weeks(k * r.interval as i64),
                    _ => base + ::time::Duration::days(k * r.interval as i64),
                };
                let at = from_local(candidate, tz)?;
                if at > after {
                    return Some(at);
                }
            }
            None
        }
    }
}

fn next_scheduled(
    r: &Recurrence,
    after: SystemTime,
    start: SystemTime,
    tz: Option<&str>,
) -> Option<SystemTime> {
    let base = to_local(start, tz)?;
    let from = to_local(after, tz)?;
    let mut hours = if r.hours.is_empty() {
        vec![u32::from(base.hour())]
    } else {
        r.hours.clone()
    };
    let mut minutes = if r.minutes.is_empty() {
        vec![u32::from(base.minute())]
    } else {
        r.minutes.clone()
    };
    hours.sort_unstable();
    minutes.sort_unstable();
    let week_days = if r.week_days.is_empty() {
        vec![u32::from(base.weekday().number_days_from_sunday())]
    } else {
        r.week_days.clone()
    };
    let interval = r.interval.max(1) as i64;
    let base_date = base.date();
    let mut day = from.date();
    // Four years of days covers every schedule the runtime accepts.
    for _ in 0..1500 {
        let days_since = (day - base_date).whole_days();
        let in_period = match r.frequency {
            Frequency::Week => {
                let week_start = |d: Date| {
                    d - ::time::Duration::days(i64::from(d.weekday().number_days_from_sunday()))
                };
                let weeks = (week_start(day) - week_start(base_date)).whole_weeks();
                weeks >= 0
                    && weeks % interval == 0
                    && week_days.contains(&u32::from(day.weekday().number_days_from_sunday()))
            }
            Frequency::Month => {
                let months = (i64::from(day.year()) - i64::from(base_date.year())) * 12
                    + i64::from(u8::from(day.month()))
                    - i64::from(u8::from(base_date.month()));
                let days_ok = if r.month_days.is_empty() {
                    day.day() == base_date.day()
                } else {
                    r.month_days.contains(&u32::from(day.day()))
                };
                months >= 0 && months % interval == 0 && days_ok
            }
            _ => days_since >= 0 && days_since % interval == 0,
        };
        if in_period {
            for h in &hours {
                for m in &minutes {
                    let (Ok(h), Ok(m)) = (u8::try_from(*h), u8::try_from(*m)) else {
                        continue;
                    };
                    let Ok(t) = Time::from_hms(h, m, 0) else {
                        continue;
                    };
                    let Some(at) = from_local(PrimitiveDateTime::new(day, t), tz) else {
                        continue;
                    };
                    if at > after && at >= start {
                        return Some(at);
                    }
                }
            }
        }
        day = day.next_day()?;
    }
    None
}

/// Fires `trigger` of `workflow` on schedule until `stop` turns true.
pub(crate) fn spawn(
    engine: Engine,
    workflow: String,
    trigger: String,
    r: Recurrence,
    mut stop: watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        let clock = engine.clock();
        let enabled = clock.now();
        let mut after = enabled - Duration::from_nanos(1);
        loop {
            let Some(next) = next_after(&r, after, enabled) else {
                tracing::warn!(%workflow, %trigger, "the recurrence has no further occurrence");
                break;
            };
            let wait = next.duration_since(clock.now()).unwrap_or_default();
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                    continue;
                }
            }
            if *stop.borrow() {
                break;
            }
            let request = TriggerRequest {
                scheduled_time: Some(next),
                ..TriggerRequest::default()
            };
            if let Err(e) = engine.start(&workflow, &trigger, request).await {
                tracing::warn!(%workflow, %trigger, error = %e, "a recurrence run could not start");
            }
            after = next;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(freq: Frequency, interval: u64, start: Option<&str>) -> Recurrence {
        Recurrence {
            frequency: freq,
            interval,
            start_time: start.map(str::to_string),
            time_zone: None,
            hours: vec![],
            minutes: vec![],
            week_days: vec![],
            month_days: vec![],
        }
    }

    fn t(s: &str) -> SystemTime {
        parse_time(s).unwrap()
    }

    #[test]
    fn simple_intervals() {
        let r = rec(Frequency::Minute, 15, Some("2026-01-01T00:00:00Z"));
        let now = t("2026-01-01T00:20:00Z");
        assert_eq!(next_after(&r, now, now), Some(t("2026-01-01T00:30:00Z")));
        assert_eq!(
            next_after(&r, t("2025-12-31T00:00:00Z"), now),
            Some(t("2026-01-01T00:00:00Z"))
        );
        let r = rec(Frequency::Month, 1, Some("2026-01-31T08:00:00Z"));
        assert_eq!(
            next_after(&r, t("2026-01-31T08:00:00Z"), now),
            Some(t("2026-02-28T08:00:00Z"))
        );
        let r = rec(Frequency::Second, 30, None);
        let enabled = t("2026-03-01T10:00:00Z");
        assert_eq!(
            next_after(&r, enabled - Duration::from_nanos(1), enabled),
            Some(enabled)
        );
        assert_eq!(
            next_after(&r, enabled, enabled),
            Some(t("2026-03-01T10:00:30Z"))
        );
    }

    #[test]
    fn schedules() {
        let mut r = rec(Frequency::Week, 1, Some("2026-01-01T00:00:00Z"));
        r.week_days = vec![1, 3];
        r.hours = vec![9, 17];
        r.minutes = vec![30];
        // 2026-01-01 is a Thursday: next is Monday 5 January at 09:30.
        assert_eq!(
            next_after(&r, t("2026-01-01T00:00:00Z"), t("2026-01-01T00:00:00Z")),
            Some(t("2026-01-05T09:30:00Z"))
        );
        assert_eq!(
            next_after(&r, t("2026-01-05T09:30:00Z"), t("2026-01-01T00:00:00Z")),
            Some(t("2026-01-05T17:30:00Z"))
        );
        let mut d = rec(Frequency::Day, 1, Some("2026-06-01T00:00:00"));
        d.time_zone = Some("W. Europe Standard Time".into());
        d.hours = vec![8];
        d.minutes = vec![0];
        // 08:00 in Amsterdam in June is 06:00 UTC.
        assert_eq!(
            next_after(&d, t("2026-06-02T07:00:00Z"), t("2026-06-01T00:00:00Z")),
            Some(t("2026-06-03T06:00:00Z"))
        );
    }
}
