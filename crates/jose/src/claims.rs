//! Registered JWT claim checks (RFC 7519 §4.1, RFC 8725 §3.8–3.9).

use serde_json::{Map, Value};

/// Why a claim set was refused. Every message names the claim involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    /// A required claim is absent.
    #[error("required claim {0} is missing")]
    Missing(&'static str),
    /// A claim has the wrong JSON type or an unusable value.
    #[error("claim {0} is malformed")]
    Malformed(String),
    /// `exp` (plus leeway) is in the past.
    #[error("token expired: exp {exp} is before now {now}")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The time of the check.
        now: i64,
    },
    /// `nbf` (minus leeway) is in the future.
    #[error("token not yet valid: nbf {nbf} is after now {now}")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The time of the check.
        now: i64,
    },
    /// `iss` is not one of the accepted issuers.
    #[error("claim iss {0:?} is not an accepted issuer")]
    IssuerMismatch(String),
    /// No `aud` entry is an accepted audience.
    #[error("claim aud {0:?} contains no accepted audience")]
    AudienceMismatch(Vec<String>),
    /// The validation has no issuers to compare `iss` against.
    #[error("no accepted issuers configured; iss cannot be checked")]
    NoIssuerConfigured,
    /// The validation has no audiences to compare `aud` against.
    #[error("no accepted audiences configured; aud cannot be checked")]
    NoAudienceConfigured,
}

/// Reads a NumericDate claim.
///
/// Integers and floats are both accepted (MSAL Python sends floats);
/// floats are truncated toward zero. Absent → `Ok(None)`; any other JSON
/// type, a non-finite or out-of-range number → [`ClaimError::Malformed`].
pub fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, ClaimError> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    let malformed = || ClaimError::Malformed(name.to_owned());
    let Value::Number(number) = value else {
        return Err(malformed());
    };
    if let Some(i) = number.as_i64() {
        return Ok(Some(i));
    }
    let f = number.as_f64().ok_or_else(malformed)?;
    // `as` saturates, so check the range first to refuse absurd values
    // instead of silently clamping them. Both bounds are exact powers of
    // two (±2^63); NaN and infinities fall outside the range too.
    let min = i64::MIN as f64;
    if !(min..-min).contains(&f) {
        return Err(malformed());
    }
    Ok(Some(f.trunc() as i64))
}

/// Whether `aud` holds `wanted`, read as [`audiences`] reads it (a malformed `aud` holds
/// nothing), without copying it: for a check on every request.
pub fn has_audience(claims: &Map<String, Value>, wanted: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(a)) => a == wanted,
        Some(Value::Array(items)) => {
            items.iter().all(Value::is_string) && items.iter().any(|a| a.as_str() == Some(wanted))
        }
        _ => false,
    }
}

/// Reads `aud`, which may be a string or an array of strings.
/// Absent → empty list.
pub fn audiences(claims: &Map<String, Value>) -> Result<Vec<String>, ClaimError> {
    match claims.get("aud") {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(ClaimError::Malformed("aud".into())),
            })
            .collect(),
        Some(_) => Err(ClaimError::Malformed("aud".into())),
    }
}

/// What [`validate`] accepts.
///
/// `issuers` and `audiences` must be non-empty: RFC 8725 says always check
/// both, so an empty list is a configuration error, not "accept anything".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// Accepted `iss` values (exact match).
    pub issuers: Vec<String>,
    /// Accepted `aud` values; the token passes if any of its audiences is one.
    pub audiences: Vec<String>,
    /// Clock skew tolerance applied to `exp` and `nbf`, in seconds.
    pub leeway_secs: i64,
    /// Whether `exp` must be present.
    pub require_exp: bool,
    /// Whether `nbf` must be present.
    pub require_nbf: bool,
}

impl Default for Validation {
    fn default() -> Self {
        Self {
            issuers: Vec::new(),
            audiences: Vec::new(),
            leeway_secs: 300,
            require_exp: true,
            require_nbf: false,
        }
    }
}

/// Checks `exp`, `nbf`, `iss` and `aud` against `v` at time `now`
/// (Unix seconds).
pub fn validate(claims: &Map<String, Value>, v: &Validation, now: i64) -> Result<(), ClaimError> {
    if v.issuers.is_empty() {
        return Err(ClaimError::NoIssuerConfigured);
    }
    if v.audiences.is_empty() {
        return Err(ClaimError::NoAudienceConfigured);
    }
    match numeric_date(claims, "exp")? {
        Some(exp) if now > exp.saturating_add(v.leeway_secs) => {
            return Err(ClaimError::Expired { exp, now });
        }
        None if v.require_exp => return Err(ClaimError::Missing("exp")),
        _ => {}
    }
    match numeric_date(claims, "nbf")? {
        Some(nbf) if now.saturating_add(v.leeway_secs) < nbf => {
            return Err(ClaimError::NotYetValid { nbf, now });
        }
        None if v.require_nbf => return Err(ClaimError::Missing("nbf")),
        _ => {}
    }
    let iss = match claims.get("iss") {
        None => return Err(ClaimError::Missing("iss")),
        Some(Value::String(s)) => s,
        Some(_) => return Err(ClaimError::Malformed("iss".into())),
    };
    if !v.issuers.iter().any(|accepted| accepted == iss) {
        return Err(ClaimError::IssuerMismatch(iss.clone()));
    }
    let auds = audiences(claims)?;
    if auds.is_empty() {
        return Err(ClaimError::Missing("aud"));
    }
    if !auds.iter().any(|aud| v.audiences.contains(aud)) {
        return Err(ClaimError::AudienceMismatch(auds));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn validation() -> Validation {
        Validation {
            issuers: vec!["https://iss".into()],
            audiences: vec!["api://a".into()],
            ..Validation::default()
        }
    }

    #[test]
    fn has_audience_reads_aud_as_audiences_does() {
        let aud = |v: Value| json!({ "aud": v }).as_object().cloned().unwrap();
        assert!(has_audience(&aud(json!("api://x")), "api://x"));
        assert!(!has_audience(&aud(json!("api://x")), "api://y"));
        assert!(has_audience(&aud(json!(["a", "api://x"])), "api://x"));
        // A malformed `aud` matches nothing, even a value it happens to contain.
        assert!(!has_audience(&aud(json!(["api://x", 1])), "api://x"));
        assert!(!has_audience(&aud(json!(7)), "7"));
        assert!(!has_audience(&Map::new(), ""));
    }
    #[test]
    fn numeric_dates_accept_ints_and_floats() {
        let c = obj(
            json!({"exp": 1_700_000_000, "iat": 1_699_999_000.9, "nbf": -1.5,
                           "bad": "1", "big": 1e300, "u": u64::MAX}),
        );
        assert_eq!(numeric_date(&c, "exp"), Ok(Some(1_700_000_000)));
        assert_eq!(numeric_date(&c, "iat"), Ok(Some(1_699_999_000)));
        assert_eq!(numeric_date(&c, "nbf"), Ok(Some(-1)));
        assert_eq!(numeric_date(&c, "missing"), Ok(None));
        for name in ["bad", "big", "u"] {
            assert_eq!(
                numeric_date(&c, name),
                Err(ClaimError::Malformed(name.into()))
            );
        }
    }

    #[test]
    fn audiences_string_or_array() {
        assert_eq!(audiences(&obj(json!({"aud": "x"}))), Ok(vec!["x".into()]));
        assert_eq!(
            audiences(&obj(json!({"aud": ["x", "y"]}))),
            Ok(vec!["x".into(), "y".into()])
        );
        assert_eq!(audiences(&obj(json!({}))), Ok(vec![]));
        assert!(audiences(&obj(json!({"aud": ["x", 1]}))).is_err());
        assert!(audiences(&obj(json!({"aud": 1}))).is_err());
    }

    #[test]
    fn validate_happy_path_float_exp_and_aud_array() {
        let c = obj(json!({"iss": "https://iss", "aud": ["other", "api://a"],
                           "exp": 1_000.7, "iat": 900.2}));
        assert_eq!(validate(&c, &validation(), 1_000), Ok(()));
    }

    #[test]
    fn leeway_applies_to_exp_and_nbf() {
        let v = validation();
        let c = obj(json!({"iss": "https://iss", "aud": "api://a", "exp": 9_000, "nbf": 2_000}));
        // nbf 2000 with leeway 300: valid from 1700.
        assert_eq!(
            validate(&c, &v, 1_699),
            Err(ClaimError::NotYetValid {
                nbf: 2_000,
                now: 1_699
            })
        );
        assert_eq!(validate(&c, &v, 1_700), Ok(()));
        let c = obj(json!({"iss": "https://iss", "aud": "api://a", "exp": 1_000}));
        assert_eq!(validate(&c, &v, 1_300), Ok(()));
        assert_eq!(
            validate(&c, &v, 1_301),
            Err(ClaimError::Expired {
                exp: 1_000,
                now: 1_301
            })
        );
        let strict = Validation {
            leeway_secs: 0,
            ..v
        };
        assert!(validate(&c, &strict, 1_001).is_err());
    }

    #[test]
    fn missing_and_mismatched_claims() {
        let v = validation();
        let no_exp = obj(json!({"iss": "https://iss", "aud": "api://a"}));
        assert_eq!(validate(&no_exp, &v, 0), Err(ClaimError::Missing("exp")));
        let lax = Validation {
            require_exp: false,
            ..v.clone()
        };
        assert_eq!(validate(&no_exp, &lax, 0), Ok(()));
        let need_nbf = Validation {
            require_nbf: true,
            ..lax.clone()
        };
        assert_eq!(
            validate(&no_exp, &need_nbf, 0),
            Err(ClaimError::Missing("nbf"))
        );
        let no_aud = obj(json!({"iss": "https://iss"}));
        assert_eq!(validate(&no_aud, &lax, 0), Err(ClaimError::Missing("aud")));
        let wrong_iss = obj(json!({"iss": "https://evil", "aud": "api://a"}));
        assert_eq!(
            validate(&wrong_iss, &lax, 0),
            Err(ClaimError::IssuerMismatch("https://evil".into()))
        );
        let wrong_aud = obj(json!({"iss": "https://iss", "aud": ["b"]}));
        assert_eq!(
            validate(&wrong_aud, &lax, 0),
            Err(ClaimError::AudienceMismatch(vec!["b".into()]))
        );
        let bad_exp = obj(json!({"iss": "https://iss", "aud": "api://a", "exp": "soon"}));
        let err = validate(&bad_exp, &v, 0).unwrap_err();
        assert!(err.to_string().contains("exp"));
    }

    #[test]
    fn empty_configuration_is_an_error() {
        let c = obj(json!({"iss": "https://iss", "aud": "api://a", "exp": 10}));
        let no_iss = Validation {
            issuers: vec![],
            ..validation()
        };
        assert_eq!(
            validate(&c, &no_iss, 0),
            Err(ClaimError::NoIssuerConfigured)
        );
        let no_aud = Validation {
            audiences: vec![],
            ..validation()
        };
        assert_eq!(
            validate(&c, &no_aud, 0),
            Err(ClaimError::NoAudienceConfigured)
        );
    }
}
