//! `validate-jwt` and `validate-azure-ad-token` at runtime.
//!
//! Verification goes through `skybridge-jose` (RFC 8725 strict: the key decides the
//! algorithm; `none` never passes; public keys never verify HMAC). Inline base64 symmetric
//! keys, which APIM supports, verify only `HS256/384/512`, with a constant-time comparison.
//! Checks run in .NET's order — signature, lifetime, issuer, audience, claims — and each
//! failure carries APIM's documented `LastError.Reason`.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use aws_lc_rs::hmac;
use http::HeaderValue;
use serde_json::{Map, Value as Json};
use skybridge_jose::claims::{audiences, has_audience, numeric_date};
use skybridge_jose::{UnverifiedJws, VerifyingKey, decode_unverified};

use super::errors::PolicyError;
use super::state::Exec;
use super::token_cache::TokenContent;
use crate::expr::{JwtValue, Value};
use crate::policy::ast::{ClaimRule, KeyMaterial, TokenSource, ValidateJwt};

struct Failure {
    reason: &'static str,
    message: String,
}

fn fail(reason: &'static str, message: impl Into<String>) -> Failure {
    Failure {
        reason,
        message: message.into(),
    }
}

/// Runs the policy; on success stores the token in `output-token-variable-name`.
pub async fn validate(x: &mut Exec<'_>, v: &ValidateJwt, source: &str) -> Result<(), PolicyError> {
    let code = x.int(&v.failed_code, source)?;
    let code = u16::try_from(code)
        .ok()
        .filter(|c| (100..=599).contains(c))
        .unwrap_or(401);
    let custom = match &v.failed_message {
        Some(m) => Some(x.string(m, source)?),
        None => None,
    };
    match check(x, v, source).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(f)) => {
            let wire = custom.unwrap_or_else(|| {
                if f.reason == "TokenNotPresent" {
                    "JWT not present."
                } else {
                    "Invalid JWT."
                }
                .to_owned()
            });
            tracing::debug!(source, reason = f.reason, "token validation failed");
            Err(PolicyError::new(source, f.reason, f.message).respond(code, wire))
        }
        Err(e) => Err(e),
    }
}

/// The token: a range of the request header's value (shared, not copied: a token is about
/// 1.3 KB, and a verified-token cache hit needs only its bytes), or an owned string.
enum RawToken {
    Header(HeaderValue, Range<usize>),
    Owned(String),
}

impl RawToken {
    /// What the verified-token cache is keyed by.
    fn bytes(&self) -> &[u8] {
        match self {
            RawToken::Header(value, range) => &value.as_bytes()[range.clone()],
            RawToken::Owned(s) => s.as_bytes(),
        }
    }

    /// The token as text, for decoding. A header value holds no control characters but tab
    /// (the http crate refuses them), so `HeaderValue::to_str` accepts exactly the ASCII ones:
    /// anything else is no token. Checked only here, on a cache miss: a hit's bytes are those
    /// of a token that was text when it verified.
    fn text(&self) -> Option<&str> {
        match self {
            RawToken::Header(..) => Some(self.bytes())
                .filter(|b| b.is_ascii())
                .and_then(|b| std::str::from_utf8(b).ok()),
            RawToken::Owned(s) => Some(s),
        }
    }
}

/// The token from the policy's source; `None` when absent or empty.
fn token(x: &mut Exec<'_>, v: &ValidateJwt, source: &str) -> Result<Option<RawToken>, PolicyError> {
    let scheme = match &v.require_scheme {
        Some(s) => Some(x.str(s, source)?),
        None => None,
    };
    Ok(match &v.source {
        TokenSource::Header(name) => {
            let name = x.str(name, source)?;
            let Some(header) = x.request.headers.get(name.as_ref()) else {
                return Ok(None);
            };
            let value = header.as_bytes();
            // Where a sub-slice of `value` lies in it.
            let range = |part: &[u8]| {
                let start = part.as_ptr() as usize - value.as_ptr() as usize;
                start..start + part.len()
            };
            let trimmed = value.trim_ascii();
            let token = if !name.eq_ignore_ascii_case("authorization") {
                // APIM ignores require-scheme for custom headers.
                Some(trimmed)
            } else {
                let split = trimmed
                    .iter()
                    .position(u8::is_ascii_whitespace)
                    .map(|i| (&trimmed[..i], trimmed[i..].trim_ascii()));
                match (split, scheme) {
                    (Some((s, t)), Some(want)) if s.eq_ignore_ascii_case(want.as_bytes()) => {
                        Some(t)
                    }
                    (_, Some(_)) => None,
                    (Some((_, t)), None) => Some(t),
                    (None, None) => Some(trimmed),
                }
            };
            // The token's own bytes are checked for text on a cache miss (`RawToken::text`);
            // the rest of the value (the scheme) is short.
            token
                .filter(|t| !t.is_empty())
                .map(range)
                .filter(|r| value[..r.start].is_ascii() && value[r.end..].is_ascii())
                .map(|r| RawToken::Header(header.clone(), r))
        }
        TokenSource::Query(name) => {
            let name = x.str(name, source)?;
            x.request
                .query
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| RawToken::Owned(v.clone()))
        }
        TokenSource::Value(p) => Some(RawToken::Owned(x.string(p, source)?)),
    }
    .filter(|t| !t.bytes().is_empty()))
}

fn verify_hmac(jws: &UnverifiedJws, key: &[u8]) -> bool {
    let alg = match jws.header.alg.as_str() {
        "HS256" => hmac::HMAC_SHA256,
        "HS384" => hmac::HMAC_SHA384,
        "HS512" => hmac::HMAC_SHA512,
        _ => return false,
    };
    hmac::verify(
        &hmac::Key::new(alg, key),
        jws.signing_input(),
        jws.signature(),
    )
    .is_ok()
}

/// Issuer match, with Entra's `{tenantid}` placeholder bound to the `tid` claim.
fn issuer_matches(expected: &str, iss: &str, claims: &Map<String, Json>) -> bool {
    if expected == iss {
        return true;
    }
    match (
        expected.contains("{tenantid}"),
        claims.get("tid").and_then(Json::as_str),
    ) {
        (true, Some(tid)) => expected.replace("{tenantid}", tid) == iss,
        _ => false,
    }
}

fn claim_values(value: &Json, separator: Option<&str>) -> Vec<String> {
    let scalar = |v: &Json| match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    let raw: Vec<String> = match value {
        Json::Array(items) => items.iter().map(scalar).collect(),
        other => vec![scalar(other)],
    };
    match separator {
        Some(sep) => raw
            .iter()
            .flat_map(|s| {
                s.split(sep)
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
            })
            .collect(),
        None => raw,
    }
}

fn check_claims(
    x: &mut Exec<'_>,
    rules: &[ClaimRule],
    claims: &Map<String, Json>,
    source: &str,
) -> Result<Result<(), Failure>, PolicyError> {
    let missing: Vec<&str> = rules
        .iter()
        .filter(|r| !claims.contains_key(&r.name))
        .map(|r| r.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Ok(Err(fail(
            "TokenClaimNotFound",
            format!(
                "JWT token is missing the following claims: {}. Access denied.",
                missing.join(", ")
            ),
        )));
    }
    for rule in rules {
        if rule.values.is_empty() {
            continue;
        }
        let mut wanted = Vec::with_capacity(rule.values.len());
        for p in &rule.values {
            wanted.push(x.string(p, source)?);
        }
        let have = claim_values(
            claims.get(&rule.name).unwrap_or(&Json::Null),
            rule.separator.as_deref(),
        );
        let ok = if rule.match_all {
            wanted.iter().all(|w| have.contains(w))
        } else {
            wanted.iter().any(|w| have.contains(w))
        };
        if !ok {
            return Ok(Err(fail(
                "TokenClaimValueNotAllowed",
                format!(
                    "Claim {} value of {} is not allowed. Access denied.",
                    rule.name,
                    have.join(",")
                ),
            )));
        }
    }
    Ok(Ok(()))
}

/// The whole token (signing input and signature), decoded on first need: on a verified-token
/// cache hit only a signature that must really be checked (a rotated key, an HMAC key) needs it.
fn decoded<'a>(jws: &'a mut Option<UnverifiedJws>, raw: &RawToken) -> Option<&'a UnverifiedJws> {
    if jws.is_none() {
        *jws = raw.text().and_then(|t| decode_unverified(t).ok());
    }
    jws.as_ref()
}

async fn check(
    x: &mut Exec<'_>,
    v: &ValidateJwt,
    source: &str,
) -> Result<Result<(), Failure>, PolicyError> {
    let Some(raw) = token(x, v, source)? else {
        return Ok(Err(fail("TokenNotPresent", "JWT not present.")));
    };
    // A public-key signature this gateway already verified counts if that same key object is
    // still a candidate (token_cache.rs); HMAC is cheap enough to redo. From a token's second
    // use, a hit also brings its decoded header and claims, so it is not decoded again; a token
    // is cached only after it decoded and verified, so malformed tokens fail on decoding here.
    let now_ms = x.services.clock.now_ms();
    let token_hash = x.services.verified.key(raw.bytes());
    let cached = token_hash
        .as_ref()
        .and_then(|h| x.services.verified.get(h, now_ms));
    let cached_content = cached.as_ref().and_then(|h| h.content.clone());
    let mut jws: Option<UnverifiedJws> = None;
    if cached_content.is_none() {
        let Some(text) = raw.text() else {
            return Ok(Err(fail("TokenNotPresent", "JWT not present.")));
        };
        match decode_unverified(text) {
            Ok(j) => jws = Some(j),
            Err(e) => {
                return Ok(Err(fail(
                    "JwtInvalid",
                    format!("JWT is not well formed: {e}"),
                )));
            }
        }
    }
    // Borrowed from a cached token's content; a token decoded now lends nothing, since its
    // decoding may still be needed mutably below.
    let kid: Option<Cow<'_, str>> = match (&cached_content, &jws) {
        (Some(c), _) => c.header.kid.as_deref().map(Cow::Borrowed),
        (None, Some(j)) => j.header.kid.clone().map(Cow::Owned),
        (None, None) => None,
    };
    let kid_matches = |id: &Option<String>| match (id, &kid) {
        (Some(id), Some(kid)) => id == kid,
        _ => true,
    };
    let cached_key = cached.as_ref().map(|h| h.key.clone());
    let mut verified_by: Option<Arc<VerifyingKey>> = None;
    let mut public_verify = |jws: &mut Option<UnverifiedJws>, vk: &Arc<VerifyingKey>| {
        if cached_key.as_ref().is_some_and(|c| Arc::ptr_eq(c, vk)) {
            return true;
        }
        let ok = decoded(jws, &raw).is_some_and(|j| j.verify_with(vk).is_ok());
        if ok {
            verified_by = Some(vk.clone());
        }
        ok
    };

    // Candidate keys: inline keys, then the OpenID configurations' keys.
    let mut verified = false;
    let mut any_key = false;
    for key in v.keys.iter().filter(|k| kid_matches(&k.id)) {
        any_key = true;
        verified = match &key.material {
            KeyMaterial::Symmetric(secret) => {
                decoded(&mut jws, &raw).is_some_and(|j| verify_hmac(j, secret))
            }
            KeyMaterial::Public(vk) => public_verify(&mut jws, vk),
        };
        if verified {
            break;
        }
    }
    // The configurations' issuers are the accepted ones only when none are configured.
    let mut openid_issuers = Vec::new();
    let mut fetch_error = None;
    for url in &v.openid_urls {
        match x.services.keys.get(url, kid.as_deref()).await {
            Ok(config) => {
                if v.issuers.is_empty() {
                    openid_issuers.push(config.issuer.clone());
                }
                if verified {
                    continue;
                }
                for (_, vk) in config.keys.iter().filter(|(id, _)| kid_matches(id)) {
                    any_key = true;
                    if public_verify(&mut jws, vk) {
                        verified = true;
                        break;
                    }
                }
            }
            Err(e) => fetch_error = Some(e),
        }
    }
    if !verified {
        if !any_key {
            let detail = fetch_error.map_or(String::new(), |e| format!(" ({e})"));
            return Ok(Err(fail(
                "TokenSignatureKeyNotFound",
                format!(
                    "Signature validation failed. Unable to match key {}{detail}. Access denied.",
                    kid.as_deref().unwrap_or("(no kid)")
                ),
            )));
        }
        return Ok(Err(fail(
            "TokenSignatureInvalid",
            "Signature validation failed. Access denied.",
        )));
    }

    let hit = cached.is_some();
    let (content, decoded_now) = match (cached_content, jws) {
        (Some(c), _) => (c, false),
        (None, Some(j)) => (
            Arc::new(TokenContent {
                header: j.header,
                claims: j.claims,
            }),
            true,
        ),
        // Without cached content the token was decoded above.
        (None, None) => return Ok(Err(fail("JwtInvalid", "JWT is not well formed."))),
    };
    match (verified_by, token_hash) {
        (Some(vk), Some(h)) => {
            let exp_ms = numeric_date(&content.claims, "exp")
                .ok()
                .flatten()
                .map(|e| e.saturating_mul(1000));
            x.services.verified.insert(h, vk, exp_ms, now_ms);
        }
        // The token's second use: from now on its hits skip decoding too.
        (None, Some(h)) if hit && decoded_now => x.services.verified.attach(&h, content.clone()),
        _ => {}
    }

    // Lifetime.
    let now = now_ms.div_euclid(1000);
    let skew = x.int(&v.clock_skew, source)?.max(0);
    let require_exp = x.boolean(&v.require_exp, source)?;
    let claims = &content.claims;
    match numeric_date(claims, "exp") {
        Ok(Some(exp)) if now > exp.saturating_add(skew) => {
            return Ok(Err(fail(
                "TokenExpired",
                format!(
                    "Lifetime validation failed. The token expired at {exp} (now {now}). Access denied."
                ),
            )));
        }
        Ok(None) if require_exp => {
            return Ok(Err(fail(
                "JwtInvalid",
                "Lifetime validation failed. The token is missing an expiration time.",
            )));
        }
        Err(e) => return Ok(Err(fail("JwtInvalid", e.to_string()))),
        _ => {}
    }
    match numeric_date(claims, "nbf") {
        Ok(Some(nbf)) if now.saturating_add(skew) < nbf => {
            return Ok(Err(fail(
                "JwtInvalid",
                format!(
                    "Lifetime validation failed. The token is not valid before {nbf} (now {now})."
                ),
            )));
        }
        Err(e) => return Ok(Err(fail("JwtInvalid", e.to_string()))),
        _ => {}
    }

    // Issuer: configured issuers, else the OpenID configurations' issuers. Every configured
    // value is evaluated (an expression's error surfaces even after a match), none is copied.
    let iss = claims.get("iss").and_then(Json::as_str).unwrap_or("");
    let mut issuer_ok = v.issuers.is_empty() && openid_issuers.is_empty();
    for p in &v.issuers {
        let expected = x.str(p, source)?;
        issuer_ok |= issuer_matches(&expected, iss, claims);
    }
    issuer_ok |= openid_issuers
        .iter()
        .any(|e| issuer_matches(e, iss, claims));
    if !issuer_ok {
        return Ok(Err(fail(
            "TokenIssuerNotAllowed",
            format!("Issuer validation failed. Issuer: '{iss}'. Access denied."),
        )));
    }

    // Audience: any configured audience passes.
    let mut audience_ok = v.audiences.is_empty();
    for p in &v.audiences {
        let wanted = x.str(p, source)?;
        audience_ok |= has_audience(claims, &wanted);
    }
    if !audience_ok {
        let auds = audiences(claims).unwrap_or_default();
        return Ok(Err(fail(
            "TokenAudienceNotAllowed",
            format!(
                "Audience validation failed. Audiences: '{}'. Access denied.",
                auds.join(", ")
            ),
        )));
    }

    // validate-azure-ad-token: the calling application (v1 `appid`, v2 `azp`).
    if !v.client_app_ids.is_empty() {
        let mut allowed = Vec::new();
        for p in &v.client_app_ids {
            allowed.push(x.string(p, source)?);
        }
        let app = claims
            .get("appid")
            .or_else(|| claims.get("azp"))
            .and_then(Json::as_str)
            .unwrap_or("");
        if !allowed.iter().any(|a| a == app) {
            return Ok(Err(fail(
                "TokenClaimValueNotAllowed",
                format!("Claim appid value of {app} is not allowed. Access denied."),
            )));
        }
    }

    if let Err(f) = check_claims(x, &v.claims, claims, source)? {
        return Ok(Err(f));
    }
    if let Some(var) = &v.output_var {
        let jwt = JwtValue::new(
            &content.header.alg,
            content.header.typ.as_deref(),
            content.claims.clone(),
        );
        x.vars.insert(var.clone(), Value::Jwt(Arc::new(jwt)));
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn issuer_templates_and_claim_values() {
        let claims = json!({"tid": "t1"}).as_object().cloned().unwrap();
        assert!(issuer_matches(
            "https://login/{tenantid}/v2.0",
            "https://login/t1/v2.0",
            &claims
        ));
        assert!(!issuer_matches(
            "https://login/{tenantid}/v2.0",
            "https://login/t2/v2.0",
            &claims
        ));
        assert_eq!(claim_values(&json!("a b  c"), Some(" ")), ["a", "b", "c"]);
        assert_eq!(
            claim_values(&json!(["x", 1, true]), None),
            ["x", "1", "true"]
        );
    }
}
