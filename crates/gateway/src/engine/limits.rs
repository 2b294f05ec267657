//! Rate limits (sliding windows) and quotas (fixed windows), in process.
//!
//! Counters are keyed exactly as APIM keys them: one counter per `counter-key` value across
//! all scopes for the `*-by-key` policies, and per subscription and policy location for
//! `rate-limit`/`quota`. Increments whose condition reads the response are deferred to the
//! end of the pipeline. Memory is bounded: windows only hold events of the last 300 s and
//! empty keys are swept.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::errors::PolicyError;
use super::state::{Deferred, Exec};
use crate::expr::Value;
use crate::expr::value::format_timespan;
use crate::policy::ast::{LimitOutputs, Meta, Param, Quota, RateLimit, RateLimitByKey};

/// Longest sliding window (APIM's maximum renewal period).
const MAX_WINDOW_MS: i64 = 300_000;
/// Sweep empty keys every this many operations.
const SWEEP_EVERY: u64 = 4096;

#[derive(Default)]
struct QuotaEntry {
    window: i64,
    end: i64,
    calls: i64,
    bytes: i64,
}

#[derive(Default)]
struct State {
    windows: HashMap<String, VecDeque<(i64, i64)>>,
    quotas: HashMap<String, QuotaEntry>,
    ops: u64,
}

/// The result of a sliding-window check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// Calls left in the window after this request.
    pub remaining: i64,
    /// Seconds until the request would be allowed (when refused).
    pub retry_after: i64,
}

/// All counters of one gateway.
#[derive(Default)]
pub struct Counters {
    state: Mutex<State>,
}

impl Counters {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn housekeeping(state: &mut State, now: i64) {
        state.ops += 1;
        if state.ops.is_multiple_of(SWEEP_EVERY) {
            state.windows.retain(|_, q| {
                while q.front().is_some_and(|(t, _)| *t <= now - MAX_WINDOW_MS) {
                    q.pop_front();
                }
                !q.is_empty()
            });
        }
    }

    /// Checks a sliding window and, when `increment` is set and the call is allowed, counts it.
    pub fn rate(
        &self,
        key: &str,
        calls: i64,
        period_ms: i64,
        count: i64,
        increment: bool,
        now: i64,
    ) -> RateStatus {
        let mut state = self.lock();
        Self::housekeeping(&mut state, now);
        let q = state.windows.entry(key.to_owned()).or_default();
        while q.front().is_some_and(|(t, _)| *t <= now - MAX_WINDOW_MS) {
            q.pop_front();
        }
        let in_window = |t: i64| t > now - period_ms;
        let used: i64 = q
            .iter()
            .filter(|(t, _)| in_window(*t))
            .map(|(_, c)| c)
            .sum();
        if used.saturating_add(count) <= calls {
            if increment && count > 0 {
                q.push_back((now, count));
            }
            let after = if increment { used + count } else { used };
            return RateStatus {
                allowed: true,
                remaining: (calls - after).max(0),
                retry_after: 0,
            };
        }
        // Refused: when will enough of the window have expired for this request to fit?
        let mut left = used;
        let mut retry_ms = period_ms;
        for (t, c) in q.iter().filter(|(t, _)| in_window(*t)) {
            left -= c;
            if left.saturating_add(count) <= calls {
                retry_ms = t + period_ms - now;
                break;
            }
        }
        RateStatus {
            allowed: false,
            remaining: (calls - used).max(0),
            retry_after: ((retry_ms + 999) / 1000).max(1),
        }
    }

    /// Adds `count` to a sliding window (deferred increments).
    pub fn rate_add(&self, key: &str, count: i64, now: i64) {
        if count > 0 {
            self.lock()
                .windows
                .entry(key.to_owned())
                .or_default()
                .push_back((now, count));
        }
    }

    /// Current usage of a quota window: (calls, bytes).
    pub fn quota_usage(&self, key: &str, window: i64) -> (i64, i64) {
        let state = self.lock();
        match state.quotas.get(key) {
            Some(e) if e.window == window => (e.calls, e.bytes),
            _ => (0, 0),
        }
    }

    /// Adds to a quota window.
    pub fn quota_add(&self, key: &str, window: (i64, i64), calls: i64, bytes: i64, now: i64) {
        let mut state = self.lock();
        state.ops += 1;
        // Windows that have ended can go; lifetime quotas (end = i64::MAX) stay.
        if state.ops.is_multiple_of(SWEEP_EVERY) {
            state.quotas.retain(|_, e| e.end > now);
        }
        let e = state.quotas.entry(key.to_owned()).or_default();
        if e.window != window.0 {
            *e = QuotaEntry {
                window: window.0,
                end: window.1,
                calls: 0,
                bytes: 0,
            };
        }
        e.calls = e.calls.saturating_add(calls);
        e.bytes = e.bytes.saturating_add(bytes);
    }
}

fn rate_exceeded(source: &str, outputs: &LimitOutputs, retry_after: i64) -> PolicyError {
    let header = outputs
        .retry_after_header
        .as_deref()
        .unwrap_or("Retry-After");
    PolicyError::new(source, "RateLimitExceeded", "Rate limit is exceeded")
        .respond(
            429,
            format!("Rate limit is exceeded. Try again in {retry_after} seconds."),
        )
        .header(header, retry_after.to_string())
}

fn report(x: &mut Exec<'_>, outputs: &LimitOutputs, status: &RateStatus, calls: i64) {
    if let Some(h) = &outputs.remaining_header {
        x.extra_headers
            .push((h.clone(), status.remaining.to_string()));
    }
    if let Some(v) = &outputs.remaining_var {
        x.vars.insert(v.clone(), Value::Int(status.remaining));
    }
    if let Some(h) = &outputs.total_header {
        x.extra_headers.push((h.clone(), calls.to_string()));
    }
    if !status.allowed
        && let Some(v) = &outputs.retry_after_var
    {
        x.vars.insert(v.clone(), Value::Int(status.retry_after));
    }
}

fn location(meta: &Meta) -> String {
    format!("{}:{}:{}", meta.file, meta.line, meta.col)
}

/// `rate-limit-by-key`.
pub fn rate_limit_by_key(
    x: &mut Exec<'_>,
    p: &RateLimitByKey,
    meta: &Meta,
) -> Result<(), PolicyError> {
    let source = meta.name;
    let calls = x.int(&p.calls, source)?;
    let period = x.int(&p.period, source)?.clamp(1, 300);
    let key = format!("rlk|{}", x.string(&p.key, source)?);
    let now = x.services.clock.now_ms();
    // With an increment condition (or an expression count) APIM defers the increment to
    // the end of the pipeline, where the condition can read the response; the check happens now.
    let count = x.int(&p.count, source)?;
    let deferred = p.condition.is_some() || matches!(p.count, Param::Expr(_));
    let status = x
        .services
        .counters
        .rate(&key, calls, period * 1000, count, !deferred, now);
    report(x, &p.outputs, &status, calls);
    if !status.allowed {
        return Err(rate_exceeded(source, &p.outputs, status.retry_after));
    }
    if deferred {
        x.deferred.push(Deferred::Rate {
            key,
            count,
            condition: p.condition.clone(),
        });
    }
    Ok(())
}

fn matches_target(target: &str, id: &str, name: &str) -> bool {
    target == id || target == name
}

/// `rate-limit`: per subscription; skipped for keyless calls, as documented.
pub fn rate_limit(x: &mut Exec<'_>, p: &RateLimit, meta: &Meta) -> Result<(), PolicyError> {
    let Some(sub) = x.facts.subscription.clone() else {
        return Ok(());
    };
    let now = x.services.clock.now_ms();
    let base = format!("rl|{}|{}", sub.id, location(meta));
    let mut checks = vec![(base.clone(), p.calls, p.period)];
    let (api, op) = (x.facts.api.clone(), x.facts.operation.clone());
    for a in p
        .apis
        .iter()
        .filter(|a| matches_target(&a.target, &api.id, &api.name))
    {
        checks.push((
            format!("{base}|api:{}", a.target),
            a.calls.unwrap_or(0),
            a.period,
        ));
        for o in a
            .operations
            .iter()
            .filter(|o| matches_target(&o.target, &op.id, &op.name))
        {
            checks.push((
                format!("{base}|api:{}|op:{}", a.target, o.target),
                o.calls.unwrap_or(0),
                o.period,
            ));
        }
    }
    let mut reported = false;
    for (key, calls, period) in checks {
        let status = x
            .services
            .counters
            .rate(&key, calls, period * 1000, 1, true, now);
        if !reported {
            report(x, &p.outputs, &status, calls);
            reported = true;
        }
        if !status.allowed {
            if let Some(v) = &p.outputs.retry_after_var {
                x.vars.insert(v.clone(), Value::Int(status.retry_after));
            }
            return Err(rate_exceeded(meta.name, &p.outputs, status.retry_after));
        }
    }
    Ok(())
}

/// The fixed window containing `now`: (start, end) in ms.
fn window(start: i64, period_s: i64, now: i64) -> (i64, i64) {
    if period_s <= 0 {
        return (start, i64::MAX);
    }
    let period = period_s.saturating_mul(1000);
    let index = (now.saturating_sub(start)).div_euclid(period);
    let begin = start.saturating_add(index.saturating_mul(period));
    (begin, begin.saturating_add(period))
}

fn quota_exceeded(source: &str, bandwidth: bool, end: i64, now: i64) -> PolicyError {
    let left_ms = end.saturating_sub(now);
    // .NET TimeSpan without fractions, e.g. `2.13:47:06`.
    let span = format_timespan(left_ms - left_ms % 1000);
    let what = if bandwidth {
        "bandwidth"
    } else {
        "call volume"
    };
    let message = format!("Out of {what} quota. Quota will be replenished in {span}.");
    PolicyError::new(source, "QuotaExceeded", message.clone())
        .respond(403, message)
        .header("Retry-After", ((left_ms + 999) / 1000).max(1).to_string())
}

/// One quota counter to check.
struct QuotaCheck {
    key: String,
    calls: Option<i64>,
    bandwidth: Option<i64>,
    period: i64,
    start: i64,
    count: i64,
    condition: Option<Param<bool>>,
}

fn check_quota(x: &mut Exec<'_>, q: QuotaCheck, source: &str) -> Result<(), PolicyError> {
    let now = x.services.clock.now_ms();
    let (begin, end) = window(q.start, q.period, now);
    let (calls, bytes) = x.services.counters.quota_usage(&q.key, begin);
    if q.calls
        .is_some_and(|max| calls.saturating_add(q.count) > max)
    {
        return Err(quota_exceeded(source, false, end, now));
    }
    if q.bandwidth
        .is_some_and(|kb| bytes >= kb.saturating_mul(1024))
    {
        return Err(quota_exceeded(source, true, end, now));
    }
    // APIM counts a key once per request even if several policies name it.
    if x.quota_keys.insert(q.key.clone()) {
        x.deferred.push(Deferred::Quota {
            key: q.key,
            window: begin,
            window_end: end,
            count: q.count,
            bandwidth: q.bandwidth.is_some(),
            condition: q.condition,
        });
    }
    Ok(())
}

/// `quota` and `quota-by-key`.
pub fn quota(x: &mut Exec<'_>, p: &Quota, meta: &Meta) -> Result<(), PolicyError> {
    let source = meta.name;
    let count = x.int(&p.count, source)?;
    let start = p.first_period_start_ms;
    let Some(key) = &p.key else {
        // Per-subscription quota: keyless calls are not metered.
        let Some(sub) = x.facts.subscription.clone() else {
            return Ok(());
        };
        let base = format!("q|{}|{}", sub.id, location(meta));
        let check = |key: String, l: (Option<i64>, Option<i64>), period: i64| QuotaCheck {
            key,
            calls: l.0,
            bandwidth: l.1,
            period,
            start,
            count,
            condition: None,
        };
        check_quota(
            x,
            check(base.clone(), (p.calls, p.bandwidth), p.period),
            source,
        )?;
        let (api, op) = (x.facts.api.clone(), x.facts.operation.clone());
        for a in p
            .apis
            .iter()
            .filter(|a| matches_target(&a.target, &api.id, &api.name))
        {
            let k = format!("{base}|api:{}", a.target);
            check_quota(
                x,
                check(k.clone(), (a.calls, a.bandwidth), a.period),
                source,
            )?;
            for o in a
                .operations
                .iter()
                .filter(|o| matches_target(&o.target, &op.id, &op.name))
            {
                let k = format!("{k}|op:{}", o.target);
                check_quota(x, check(k, (o.calls, o.bandwidth), o.period), source)?;
            }
        }
        return Ok(());
    };
    let key = format!("qk|{}", x.string(key, source)?);
    let q = QuotaCheck {
        key,
        calls: p.calls,
        bandwidth: p.bandwidth,
        period: p.period,
        start,
        count,
        condition: p.condition.clone(),
    };
    check_quota(x, q, source)
}

/// Applies deferred increments once the final response is known.
pub fn settle(x: &mut Exec<'_>, request_bytes: usize) {
    let deferred = std::mem::take(&mut x.deferred);
    let now = x.services.clock.now_ms();
    for d in deferred {
        let condition = match &d {
            Deferred::Rate { condition, .. } | Deferred::Quota { condition, .. } => {
                condition.clone()
            }
        };
        let counts = match condition {
            None => true,
            // A failing condition counts as false: the request is simply not counted.
            Some(c) => x.boolean(&c, "increment-condition").unwrap_or(false),
        };
        if !counts {
            continue;
        }
        match d {
            Deferred::Rate { key, count, .. } => x.services.counters.rate_add(&key, count, now),
            Deferred::Quota {
                key,
                window,
                window_end,
                count,
                bandwidth,
                ..
            } => {
                let bytes = if bandwidth {
                    i64::try_from(request_bytes + x.response.body.len()).unwrap_or(i64::MAX)
                } else {
                    0
                };
                x.services
                    .counters
                    .quota_add(&key, (window, window_end), count, bytes, now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_counts_and_expires() {
        let c = Counters::default();
        let t0 = 1_000_000;
        for i in 0..3 {
            let s = c.rate("k", 3, 10_000, 1, true, t0 + i * 1000);
            assert!(s.allowed);
            assert_eq!(s.remaining, 2 - i);
        }
        let s = c.rate("k", 3, 10_000, 1, true, t0 + 5000);
        assert!(!s.allowed);
        // The oldest call (t0) leaves the window at t0 + 10 s: 5 s from now.
        assert_eq!(s.retry_after, 5);
        assert!(!c.rate("k", 3, 10_000, 1, true, t0 + 9999).allowed);
        assert!(c.rate("k", 3, 10_000, 1, true, t0 + 10_000).allowed);
        // Refused calls are not counted; other keys are independent.
        assert!(c.rate("other", 1, 10_000, 1, true, t0).allowed);
    }

    #[test]
    fn check_without_increment_and_deferred_add() {
        let c = Counters::default();
        assert!(c.rate("k", 1, 60_000, 1, false, 0).allowed);
        assert!(c.rate("k", 1, 60_000, 1, false, 0).allowed);
        c.rate_add("k", 1, 0);
        assert!(!c.rate("k", 1, 60_000, 1, false, 1).allowed);
    }

    #[test]
    fn quota_windows_align_to_the_start() {
        assert_eq!(window(0, 3600, 5_000_000), (3_600_000, 7_200_000));
        assert_eq!(window(100, 0, 5), (100, i64::MAX));
        let c = Counters::default();
        c.quota_add("q", (0, 10), 2, 10, 0);
        assert_eq!(c.quota_usage("q", 0), (2, 10));
        assert_eq!(c.quota_usage("q", 1), (0, 0));
        c.quota_add("q", (1, 11), 1, 0, 0);
        assert_eq!(c.quota_usage("q", 1), (1, 0));
        let e = quota_exceeded("quota", false, 2 * 86_400_000 + 49_626_500, 0);
        assert_eq!(
            e.response.unwrap().message,
            "Out of call volume quota. Quota will be replenished in 2.13:47:06."
        );
    }
}
