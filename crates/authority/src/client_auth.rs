//! Client authentication: client secrets (salted SHA-256, constant-time compare) and
//! certificate assertions (RFC 7523), accepting every variant real clients send
//! (research/identity.md §1.4): RS256 with a padded SHA-1 `x5t`, PS256 with `x5t#S256` and an
//! `x5c` holding line breaks, float `exp`/`iat`, no `nbf`, and a reused `jti`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use skybridge_jose::claims::{audiences, numeric_date};
use skybridge_jose::{JoseError, UnverifiedJws, VerifyingKey, decode_unverified};
use skybridge_store::{KeyCredentialRecord, PasswordCredentialRecord};
use uuid::Uuid;

use crate::AuthorityError;

/// SHA-256 over salt and secret. Secrets are high-entropy values, so a fast hash suffices and
/// keeps the token endpoint CPU-bound on signing, not hashing (research/identity.md §4.3).
pub fn hash_secret(salt: &[u8], secret: &str) -> Vec<u8> {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(salt);
    ctx.update(secret.as_bytes());
    ctx.finish().as_ref().to_vec()
}

fn equal_constant_time(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a client secret against the application's secrets.
pub fn verify_secret(
    credentials: &[PasswordCredentialRecord],
    secret: &str,
    app_id: Uuid,
    now: i64,
) -> Result<(), AuthorityError> {
    let mut expired = false;
    for c in credentials {
        if equal_constant_time(&hash_secret(&c.salt, secret), &c.hash) {
            if now >= c.start && now < c.end {
                return Ok(());
            }
            expired = true;
        }
    }
    let app = app_id.to_string();
    Err(if expired {
        AuthorityError::SecretExpired { app }
    } else {
        AuthorityError::InvalidSecret { app }
    })
}

/// What an assertion says about itself, before any key is trusted.
pub struct AssertionClaims {
    /// The decoded token.
    pub jws: UnverifiedJws,
    /// `iss`.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// `aud` values.
    pub audiences: Vec<String>,
}

fn string_claim(jws: &UnverifiedJws, name: &'static str) -> Result<String, AuthorityError> {
    match jws.claims.get(name) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(serde_json::Value::String(_)) | None => {
            Err(AuthorityError::AssertionClaimMissing(name))
        }
        Some(_) => Err(AuthorityError::AssertionMalformed(format!(
            "'{name}' is not a string"
        ))),
    }
}

/// Decodes an assertion and reads `iss`, `sub`, `aud`; checks its algorithm is one Entra
/// accepts for client assertions (RSA only: RS256/384/512, PS256/384/512).
pub fn read_assertion(token: &str) -> Result<AssertionClaims, AuthorityError> {
    // `none` tokens have no signature and fail to decode; name the algorithm instead.
    if let Some(alg) = peek_alg(token)
        && skybridge_jose::Alg::from_name(&alg).is_none()
    {
        return Err(AuthorityError::AssertionAlgorithm(alg));
    }
    let jws = decode_unverified(token).map_err(|e| match e {
        JoseError::UnsupportedAlg(alg) => AuthorityError::AssertionAlgorithm(alg),
        other => AuthorityError::AssertionMalformed(other.to_string()),
    })?;
    let alg = jws
        .header
        .algorithm()
        .map_err(|_| AuthorityError::AssertionAlgorithm(jws.header.alg.clone()))?;
    if !alg.name().starts_with("RS") && !alg.name().starts_with("PS") {
        return Err(AuthorityError::AssertionAlgorithm(alg.name().to_string()));
    }
    let issuer = string_claim(&jws, "iss")?;
    let auds =
        audiences(&jws.claims).map_err(|e| AuthorityError::AssertionMalformed(e.to_string()))?;
    if auds.is_empty() {
        return Err(AuthorityError::AssertionClaimMissing("aud"));
    }
    let subject = string_claim(&jws, "sub")?;
    Ok(AssertionClaims {
        jws,
        issuer,
        subject,
        audiences: auds,
    })
}

/// The `alg` of a token's header, if the header decodes.
fn peek_alg(token: &str) -> Option<String> {
    let header = token.trim().split('.').next()?;
    let bytes = skybridge_jose::b64::url_decode_lenient(header).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("alg")?.as_str().map(str::to_string)
}

/// Strips base64 padding, which azure-identity Python leaves on its `x5t`.
fn unpadded(s: &str) -> &str {
    s.trim().trim_end_matches('=')
}

/// Finds the registered certificate the assertion names, by `x5t#S256`, else `x5t`, else
/// `kid` (which may hold the base64url or hex SHA-1 thumbprint, or the credential's key id).
pub fn select_key<'a>(
    jws: &UnverifiedJws,
    credentials: &'a [KeyCredentialRecord],
) -> Result<&'a KeyCredentialRecord, AuthorityError> {
    let h = &jws.header;
    let (found, shown) = if let Some(s256) = h.x5t_s256.as_deref() {
        let want = unpadded(s256);
        let hit = credentials
            .iter()
            .find(|c| URL_SAFE_NO_PAD.encode(&c.sha256) == want);
        (hit, display_thumbprint(want))
    } else if let Some(x5t) = h.x5t.as_deref() {
        let want = unpadded(x5t);
        let hit = credentials
            .iter()
            .find(|c| URL_SAFE_NO_PAD.encode(&c.sha1) == want);
        (hit, display_thumbprint(want))
    } else if let Some(kid) = h.kid.as_deref() {
        let want = unpadded(kid);
        let hit = credentials.iter().find(|c| {
            URL_SAFE_NO_PAD.encode(&c.sha1) == want
                || skybridge_pki::thumbprint::hex_upper(&c.sha1).eq_ignore_ascii_case(want)
                || c.key_id.to_string().eq_ignore_ascii_case(want)
        });
        (hit, want.to_string())
    } else {
        return Err(AuthorityError::AssertionNoKeyId);
    };
    found.ok_or(AuthorityError::AssertionKeyNotFound { thumbprint: shown })
}

/// Entra reports the thumbprint the client used in upper-case hex.
fn display_thumbprint(b64: &str) -> String {
    URL_SAFE_NO_PAD
        .decode(b64)
        .map(|bytes| skybridge_pki::thumbprint::hex_upper(&bytes))
        .unwrap_or_else(|_| b64.to_string())
}

/// Verifies the assertion's signature with the registered certificate's public key. The
/// algorithm is pinned by the key type: an RSA certificate never verifies an EC or HMAC token.
pub fn verify_signature(
    jws: &UnverifiedJws,
    credential: &KeyCredentialRecord,
) -> Result<(), AuthorityError> {
    let info = skybridge_pki::parse_certificate(&credential.cert_der)
        .map_err(|e| AuthorityError::Internal(format!("stored certificate unreadable: {e}")))?;
    let key = VerifyingKey::from_spki_der(&info.spki_der)
        .map_err(|e| AuthorityError::Internal(format!("stored certificate key unusable: {e}")))?;
    jws.verify_with(&key).map(|_| ()).map_err(|e| match e {
        JoseError::AlgNotAllowedForKey { alg } | JoseError::UnsupportedAlg(alg) => {
            AuthorityError::AssertionAlgorithm(alg)
        }
        _ => AuthorityError::AssertionSignature,
    })
}

/// Checks `exp` (required) and `nbf` (optional) with `leeway` seconds of skew; returns `exp`.
pub fn check_lifetime(jws: &UnverifiedJws, now: i64, leeway: i64) -> Result<i64, AuthorityError> {
    let malformed =
        |e: skybridge_jose::claims::ClaimError| AuthorityError::AssertionMalformed(e.to_string());
    let exp = numeric_date(&jws.claims, "exp")
        .map_err(malformed)?
        .ok_or(AuthorityError::AssertionClaimMissing("exp"))?;
    let nbf = numeric_date(&jws.claims, "nbf").map_err(malformed)?;
    let too_early = nbf.is_some_and(|nbf| now + leeway < nbf);
    if now > exp.saturating_add(leeway) || too_early {
        return Err(AuthorityError::AssertionTime { now, nbf, exp });
    }
    Ok(exp)
}

/// True when one of the assertion's audiences is one of `accepted` (case-insensitively: hosts
/// and tenant names are).
pub fn audience_matches(audiences: &[String], accepted: &[String]) -> bool {
    audiences
        .iter()
        .any(|aud| accepted.iter().any(|a| a.eq_ignore_ascii_case(aud.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets() {
        let app = Uuid::new_v4();
        let c = PasswordCredentialRecord {
            key_id: Uuid::new_v4(),
            app_id: app,
            display_name: "x".into(),
            hint: "abc".into(),
            salt: vec![1, 2, 3],
            hash: hash_secret(&[1, 2, 3], "abc-secret"),
            start: 0,
            end: 100,
        };
        assert!(verify_secret(std::slice::from_ref(&c), "abc-secret", app, 50).is_ok());
        assert!(matches!(
            verify_secret(std::slice::from_ref(&c), "nope", app, 50),
            Err(AuthorityError::InvalidSecret { .. })
        ));
        assert!(matches!(
            verify_secret(&[c], "abc-secret", app, 100),
            Err(AuthorityError::SecretExpired { .. })
        ));
    }

    #[test]
    fn malformed_assertions_never_panic() {
        for token in [
            "",
            "a",
            "a.b",
            "a.b.c",
            "....",
            "eyJhbGciOiJub25lIn0.e30.",
            "e30.e30.e30",
        ] {
            assert!(read_assertion(token).is_err(), "{token}");
        }
    }
}
