//! rate-limit, rate-limit-by-key, quota and quota-by-key.

use super::{El, Loader};
use crate::error::LoadError;
use crate::expr::value::parse_datetime;
use crate::policy::ast::{
    Kind, LimitOutputs, Param, Quota, RateLimit, RateLimitByKey, ScopedLimit,
};
use crate::policy::xml::Element;

/// APIM caps rate-limit windows at 300 seconds.
const MAX_RATE_PERIOD: i64 = 300;

/// 0001-01-01T00:00:00Z in Unix milliseconds: the default quota period origin.
pub const DOTNET_EPOCH_MS: i64 = -62_135_596_800_000;

pub(super) fn load(ld: &Loader<'_, '_>, name: &str, el: &El<'_>) -> Result<Kind, LoadError> {
    ld.deny_text(el)?;
    Ok(match name {
        "rate-limit" => Kind::RateLimit(Box::new(RateLimit {
            calls: positive(ld, el, "calls")?,
            period: period(ld, el, true)?,
            outputs: outputs(ld, el)?,
            apis: scoped(ld, el.e, "api", false)?,
        })),
        "rate-limit-by-key" => {
            no_children(ld, el)?;
            let calls = ld
                .param_int(el, "calls")?
                .ok_or_else(|| ld.missing(el, "calls"))?;
            let period = ld
                .param_int(el, "renewal-period")?
                .ok_or_else(|| ld.missing(el, "renewal-period"))?;
            if let Param::Const(p) = period
                && !(1..=MAX_RATE_PERIOD).contains(&p)
            {
                return Err(ld.invalid(
                    el,
                    el.e.offset,
                    "renewal-period",
                    "must be 1 to 300 seconds",
                ));
            }
            Kind::RateLimitByKey(Box::new(RateLimitByKey {
                calls,
                period,
                key: ld.req_param(el, "counter-key")?,
                condition: ld.param_bool(el, "increment-condition")?,
                count: ld
                    .param_int(el, "increment-count")?
                    .unwrap_or(Param::Const(1)),
                outputs: outputs(ld, el)?,
            }))
        }
        "quota" => {
            let (calls, bandwidth) = volume(ld, el)?;
            Kind::Quota(Box::new(Quota {
                key: None,
                calls,
                bandwidth,
                period: period(ld, el, false)?,
                condition: None,
                count: Param::Const(1),
                first_period_start_ms: DOTNET_EPOCH_MS,
                apis: scoped(ld, el.e, "api", true)?,
            }))
        }
        _ => {
            no_children(ld, el)?;
            let (calls, bandwidth) = volume(ld, el)?;
            let start = ld
                .literal_typed(
                    el,
                    "first-period-start",
                    parse_datetime,
                    "yyyy-MM-ddTHH:mm:ssZ",
                )?
                .unwrap_or(DOTNET_EPOCH_MS);
            Kind::Quota(Box::new(Quota {
                key: Some(ld.req_param(el, "counter-key")?),
                calls,
                bandwidth,
                period: period(ld, el, false)?,
                condition: ld.param_bool(el, "increment-condition")?,
                count: ld
                    .param_int(el, "increment-count")?
                    .unwrap_or(Param::Const(1)),
                first_period_start_ms: start,
                apis: Vec::new(),
            }))
        }
    })
}

fn no_children(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<(), LoadError> {
    match el.e.elements().next() {
        Some(c) => Err(ld.unknown_child(el.e, c)),
        None => Ok(()),
    }
}

fn positive(ld: &Loader<'_, '_>, el: &El<'_>, name: &str) -> Result<i64, LoadError> {
    let v = ld
        .literal_int(el, name)?
        .ok_or_else(|| ld.missing(el, name))?;
    if v < 0 {
        return Err(ld.invalid(el, el.e.offset, name, "must not be negative"));
    }
    Ok(v)
}

fn period(ld: &Loader<'_, '_>, el: &El<'_>, rate: bool) -> Result<i64, LoadError> {
    let p = positive(ld, el, "renewal-period")?;
    if rate && !(1..=MAX_RATE_PERIOD).contains(&p) {
        return Err(ld.invalid(
            el,
            el.e.offset,
            "renewal-period",
            "must be 1 to 300 seconds",
        ));
    }
    Ok(p)
}

fn volume(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<(Option<i64>, Option<i64>), LoadError> {
    let calls = ld.literal_int(el, "calls")?;
    let bandwidth = ld.literal_int(el, "bandwidth")?;
    if calls.is_none() && bandwidth.is_none() {
        return Err(ld.missing(el, "calls"));
    }
    if calls.is_some_and(|c| c < 0) || bandwidth.is_some_and(|b| b < 0) {
        return Err(ld.invalid(el, el.e.offset, "calls", "must not be negative"));
    }
    Ok((calls, bandwidth))
}

fn outputs(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<LimitOutputs, LoadError> {
    Ok(LimitOutputs {
        retry_after_header: ld.literal(el, "retry-after-header-name")?,
        retry_after_var: ld.literal(el, "retry-after-variable-name")?,
        remaining_header: ld.literal(el, "remaining-calls-header-name")?,
        remaining_var: ld.literal(el, "remaining-calls-variable-name")?,
        total_header: ld.literal(el, "total-calls-header-name")?,
    })
}

/// `<api>` children (and their `<operation>` children).
fn scoped(
    ld: &Loader<'_, '_>,
    parent: &Element,
    item: &str,
    quota: bool,
) -> Result<Vec<ScopedLimit>, LoadError> {
    let mut out = Vec::new();
    for child in parent.elements() {
        if child.name != item {
            return Err(ld.unknown_child(parent, child));
        }
        let c = El::new(child);
        ld.deny_text(&c)?;
        let id = ld.literal(&c, "id")?;
        let name = ld.literal(&c, "name")?;
        let target = id.or(name).ok_or_else(|| ld.missing(&c, "name"))?;
        let (calls, bandwidth) = if quota {
            volume(ld, &c)?
        } else {
            (Some(positive(ld, &c, "calls")?), None)
        };
        let period = period(ld, &c, !quota)?;
        let operations = if item == "api" {
            scoped(ld, child, "operation", quota)?
        } else {
            no_children(ld, &c)?;
            Vec::new()
        };
        ld.finish(&c)?;
        out.push(ScopedLimit {
            target,
            calls,
            bandwidth,
            period,
            operations,
        });
    }
    Ok(out)
}
