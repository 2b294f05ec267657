//! Retry policies of the Http action (research/workflow.md §6.2): `default` (= exponential, 4
//! retries, interval 7 s, minimum 5 s, maximum 1 h, the Standard host defaults), `none`,
//! `fixed` and `exponential`. Retries happen on 408, 429, 5xx and connection failures.

use std::time::Duration;

use serde_json::Value;

use crate::definition::{field_ci, lenient_u64};
use crate::time::parse_iso_duration;

/// A parsed `retryPolicy`.
#[derive(Debug, Clone, PartialEq)]
pub enum RetryPolicy {
    /// No retries.
    None,
    /// `count` retries `interval` apart.
    Fixed {
        /// Retries (1–90).
        count: u32,
        /// Wait between attempts.
        interval: Duration,
    },
    /// `count` retries with random exponentially growing waits.
    Exponential {
        /// Retries (1–90).
        count: u32,
        /// Scale.
        interval: Duration,
        /// Lower bound of every wait.
        minimum: Duration,
        /// Upper bound of every wait.
        maximum: Duration,
    },
}

impl RetryPolicy {
    /// The Standard default policy.
    pub fn default_policy() -> Self {
        Self::Exponential {
            count: 4,
            interval: Duration::from_secs(7),
            minimum: Duration::from_secs(5),
            maximum: Duration::from_secs(3600),
        }
    }

    /// Parses `inputs.retryPolicy` (absent → the default policy).
    pub fn parse(v: Option<&Value>) -> Result<Self, String> {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(Self::default_policy());
        };
        let ty = field_ci(v, "type")
            .and_then(Value::as_str)
            .unwrap_or("default");
        let count = || -> Result<u32, String> {
            match field_ci(v, "count") {
                None => Ok(4),
                Some(c) => lenient_u64(c)
                    .filter(|n| (1..=90).contains(n))
                    .map(|n| n as u32)
                    .ok_or_else(|| {
                        "The retry policy 'count' must be an integer from 1 to 90.".to_string()
                    }),
            }
        };
        let duration = |key: &str, default: Duration| -> Result<Duration, String> {
            match field_ci(v, key) {
                None => Ok(default),
                Some(Value::String(s)) => parse_iso_duration(s).ok_or_else(|| {
                    format!("The retry policy '{key}' value '{s}' is not an ISO 8601 duration.")
                }),
                Some(other) => Err(format!(
                    "The retry policy '{key}' must be an ISO 8601 duration, not {other}."
                )),
            }
        };
        match ty.to_ascii_lowercase().as_str() {
            "default" => Ok(Self::default_policy()),
            "none" => Ok(Self::None),
            "fixed" => Ok(Self::Fixed {
                count: count()?,
                interval: duration("interval", Duration::from_secs(7))?,
            }),
            "exponential" => {
                let minimum = duration("minimumInterval", Duration::from_secs(5))?;
                let maximum = duration("maximumInterval", Duration::from_secs(3600))?;
                if minimum > maximum {
                    return Err(
                        "The retry policy 'minimumInterval' is greater than its 'maximumInterval'."
                            .into(),
                    );
                }
                Ok(Self::Exponential {
                    count: count()?,
                    interval: duration("interval", Duration::from_secs(7))?,
                    minimum,
                    maximum,
                })
            }
            other => Err(format!(
                "The retry policy type '{other}' is not valid; use 'default', 'none', 'fixed' or 'exponential'."
            )),
        }
    }

    /// How many retries the policy allows.
    pub fn retries(&self) -> u32 {
        match self {
            Self::None => 0,
            Self::Fixed { count, .. } | Self::Exponential { count, .. } => *count,
        }
    }

    /// The bounds of the wait before retry `k` (1-based).
    pub fn bounds(&self, k: u32) -> (Duration, Duration) {
        match self {
            Self::None => (Duration::ZERO, Duration::ZERO),
            Self::Fixed { interval, .. } => (*interval, *interval),
            Self::Exponential {
                interval,
                minimum,
                maximum,
                ..
            } => {
                let scale = |exp: u32| interval.saturating_mul(2u32.saturating_pow(exp));
                let low = if k <= 1 { Duration::ZERO } else { scale(k - 2) };
                let high = scale(k.saturating_sub(1)).min(*maximum);
                let low = low.max(*minimum).min(high.max(*minimum));
                (low, high.max(low))
            }
        }
    }

    /// The wait before retry `k` (1-based) with `random` uniform in [0, 1).
    pub fn delay(&self, k: u32, random: f64) -> Duration {
        let (low, high) = self.bounds(k);
        let span = high.saturating_sub(low).as_secs_f64();
        low + Duration::from_secs_f64((span * random.clamp(0.0, 1.0)).max(0.0))
    }
}

/// Whether a response status is retried.
pub fn retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

/// A uniform random number in [0, 1).
pub(crate) fn random_unit() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() >> 75;
    bits as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn default_bounds_follow_the_formula() {
        let p = RetryPolicy::default_policy();
        let s = |d: Duration| d.as_secs();
        let b: Vec<(u64, u64)> = (1..=4)
            .map(|k| p.bounds(k))
            .map(|(a, b)| (s(a), s(b)))
            .collect();
        assert_eq!(b, vec![(5, 7), (7, 14), (14, 28), (28, 56)]);
        assert_eq!(p.retries(), 4);
    }

    #[test]
    fn parse_policies() {
        assert_eq!(
            RetryPolicy::parse(Some(&json!({"type": "none"}))).unwrap(),
            RetryPolicy::None
        );
        assert_eq!(
            RetryPolicy::parse(Some(
                &json!({"type": "Fixed", "count": "2", "interval": "PT10S"})
            ))
            .unwrap(),
            RetryPolicy::Fixed {
                count: 2,
                interval: Duration::from_secs(10)
            }
        );
        assert!(RetryPolicy::parse(Some(&json!({"type": "fixed", "count": 91}))).is_err());
        assert!(RetryPolicy::parse(Some(&json!({"type": "sometimes"}))).is_err());
        let capped = RetryPolicy::parse(Some(&json!({"type": "exponential", "count": 10, "interval": "PT10S", "maximumInterval": "PT30S"}))).unwrap();
        assert_eq!(
            capped.bounds(5),
            (Duration::from_secs(30), Duration::from_secs(30))
        );
        let r = random_unit();
        assert!((0.0..1.0).contains(&r));
    }
}
