//! The `recurrence` object of Recurrence triggers.

use serde_json::Value;

use super::LoadError;
use super::json::{field, join_path, lenient_u64};
use super::model::{Frequency, Recurrence};

pub(super) fn parse_recurrence(v: Option<&Value>, path: &str) -> Result<Recurrence, LoadError> {
    let Some(r) = v.filter(|r| r.is_object()) else {
        return Err(LoadError::new(
            path,
            "A Recurrence trigger needs a 'recurrence' object.",
        ));
    };
    let frequency = field(r, "frequency")
        .and_then(Value::as_str)
        .and_then(Frequency::parse)
        .ok_or_else(|| {
            LoadError::new(
                join_path(path, "frequency"),
                "The recurrence 'frequency' must be one of Second, Minute, Hour, Day, Week, Month.",
            )
        })?;
    let interval = match field(r, "interval") {
        None => 1,
        Some(i) => lenient_u64(i)
            .filter(|i| (1..=frequency.max_interval()).contains(i))
            .ok_or_else(|| {
                LoadError::new(
                    join_path(path, "interval"),
                    format!(
                        "The recurrence 'interval' must be an integer from 1 to {} for frequency {frequency:?}.",
                        frequency.max_interval()
                    ),
                )
            })?,
    };
    let start_time = field(r, "startTime")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(s) = &start_time
        && crate::time::parse_time(s).is_none()
    {
        return Err(LoadError::new(
            join_path(path, "startTime"),
            format!("The recurrence 'startTime' '{s}' is not a valid date and time."),
        ));
    }
    let schedule = field(r, "schedule");
    let list = |key: &str, max: u32| -> Result<Vec<u32>, LoadError> {
        match schedule.and_then(|s| field(s, key)) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| {
                    lenient_u64(x)
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| *n <= max)
                        .ok_or_else(|| {
                            LoadError::new(
                                join_path(path, &format!("schedule.{key}")),
                                format!(
                                    "The schedule '{key}' values must be integers from 0 to {max}."
                                ),
                            )
                        })
                })
                .collect(),
            Some(x) => lenient_u64(x)
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n <= max)
                .map(|n| vec![n])
                .ok_or_else(|| {
                    LoadError::new(
                        join_path(path, &format!("schedule.{key}")),
                        format!("The schedule '{key}' must be a list of integers."),
                    )
                }),
        }
    };
    let hours = list("hours", 23)?;
    let minutes = list("minutes", 59)?;
    let month_days = list("monthDays", 31)?;
    let week_days = match schedule.and_then(|s| field(s, "weekDays")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|d| {
                d.as_str().and_then(weekday).ok_or_else(|| {
                    LoadError::new(
                        join_path(path, "schedule.weekDays"),
                        format!("The week day {d} is not valid; use Monday … Sunday."),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(LoadError::new(
                join_path(path, "schedule.weekDays"),
                "'weekDays' must be a list.",
            ));
        }
    };
    Ok(Recurrence {
        frequency,
        interval,
        start_time,
        time_zone: field(r, "timeZone")
            .and_then(Value::as_str)
            .map(str::to_string),
        hours,
        minutes,
        week_days,
        month_days,
    })
}

fn weekday(s: &str) -> Option<u32> {
    const DAYS: [&str; 7] = [
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    ];
    DAYS.iter()
        .position(|d| d.eq_ignore_ascii_case(s.trim()))
        .and_then(|i| u32::try_from(i).ok())
}
