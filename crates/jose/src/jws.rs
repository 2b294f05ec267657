//! Compact JWS (RFC 7515 §7.1): decoding, verifying and encoding.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::cap;
use crate::{Alg, Header, JoseError, LocalSigner, Signer, VerifyingKey, b64};

/// Longest token we will look at. Entra tokens are a few KiB; anything much
/// larger is abuse, and parsing it would only cost memory and time.
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

/// A compact JWS whose structure has been checked but whose signature has
/// not. Read `header` to choose a key, then call [`UnverifiedJws::verify_with`];
/// nothing in `claims` is trustworthy before that succeeds.
#[derive(Debug, Clone, PartialEq)]
pub struct UnverifiedJws {
    /// The protected header.
    pub header: Header,
    /// The payload, which must be a JSON object.
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

impl UnverifiedJws {
    /// The exact bytes that were signed: the first two segments as they
    /// appeared in the token (including any `=` padding), joined by `.`.
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Verifies the signature with `key` using the header's algorithm and
    /// returns that algorithm.
    ///
    /// Fails with [`JoseError::UnsupportedAlg`] for `none`/`HS*`/unknown,
    /// [`JoseError::AlgNotAllowedForKey`] when the key type or pin forbids
    /// the algorithm, [`JoseError::Malformed`] for a `crit` header (we
    /// implement no extensions, so RFC 7515 §4.1.11 requires rejection), and
    /// [`JoseError::BadSignature`] otherwise.
    pub fn verify_with(&self, key: &VerifyingKey) -> Result<Alg, JoseError> {
        let alg = self.header.algorithm()?;
        if self.header.extra.contains_key("crit") {
            return Err(JoseError::Malformed(
                "critical header extensions are not supported".into(),
            ));
        }
        key.verify(alg, self.signing_input(), &self.signature)?;
        Ok(alg)
    }
}

fn malformed(what: &str) -> JoseError {
    JoseError::Malformed(what.to_owned())
}

fn json_object(segment: &str, what: &str) -> Result<Map<String, Value>, JoseError> {
    let bytes = b64::url_decode_lenient(segment)
        .map_err(|_| JoseError::Malformed(format!("{what} is not valid base64url")))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(JoseError::Malformed(format!("{what} is not a JSON object"))),
        Err(_) => Err(JoseError::Malformed(format!("{what} is not valid JSON"))),
    }
}

/// Splits and decodes a compact JWS without verifying it.
///
/// Tolerant in the ways Entra ID is: surrounding whitespace is trimmed and
/// segments may carry `=` padding. Strict otherwise: exactly three segments
/// (a five-segment JWE is refused), header and payload must be JSON
/// objects, the signature must be present, and tokens over
/// [`MAX_TOKEN_LEN`] are refused. Never panics.
pub fn decode_unverified(token: &str) -> Result<UnverifiedJws, JoseError> {
    let token = token.trim();
    if token.len() > MAX_TOKEN_LEN {
        return Err(malformed("token exceeds 64 KiB"));
    }
    let segments: Vec<&str> = token.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = segments.as_slice() else {
        return Err(JoseError::Malformed(format!(
            "expected 3 segments, found {}",
            segments.len()
        )));
    };
    let header_map = json_object(header_b64, "header")?;
    let header: Header = serde_json::from_value(Value::Object(header_map))
        .map_err(|e| JoseError::Malformed(format!("invalid header: {}", cap(&e.to_string()))))?;
    let claims = json_object(payload_b64, "payload")?;
    if signature_b64.is_empty() {
        return Err(malformed("missing signature"));
    }
    let signature = b64::url_decode_lenient(signature_b64)
        .map_err(|_| malformed("signature is not valid base64url"))?;
    Ok(UnverifiedJws {
        header,
        claims,
        signing_input: format!("{header_b64}.{payload_b64}"),
        signature,
    })
}

/// Builds the signing input, refusing a header that names a different
/// algorithm than the signer will use.
fn signing_input<C: Serialize + ?Sized>(
    header: &Header,
    claims: &C,
    signer_alg: Alg,
) -> Result<String, JoseError> {
    if header.alg != signer_alg.name() {
        return Err(JoseError::AlgNotAllowedForKey {
            alg: cap(&header.alg),
        });
    }
    let header_json =
        serde_json::to_vec(header).map_err(|_| malformed("header does not serialise"))?;
    let claims_json =
        serde_json::to_vec(claims).map_err(|_| malformed("claims do not serialise"))?;
    // JWT payloads are JSON objects, and decode_unverified insists on it, so
    // refuse to mint anything we would not accept back.
    if claims_json.first() != Some(&b'{') {
        return Err(malformed("claims must serialise to a JSON object"));
    }
    Ok(format!(
        "{}.{}",
        b64::url_encode(&header_json),
        b64::url_encode(&claims_json)
    ))
}

/// Serialises, signs and assembles a compact JWS with any [`Signer`].
/// `header.alg` must equal the signer's algorithm.
pub async fn encode<C: Serialize + ?Sized>(
    header: &Header,
    claims: &C,
    signer: &dyn Signer,
) -> Result<String, JoseError> {
    let input = signing_input(header, claims, signer.alg())?;
    let signature = signer.sign(input.as_bytes()).await?;
    Ok(format!("{input}.{}", b64::url_encode(&signature)))
}

/// Synchronous [`encode`] for a [`LocalSigner`].
/// `header.alg` must equal the signer's algorithm.
pub fn encode_sync<C: Serialize + ?Sized>(
    header: &Header,
    claims: &C,
    signer: &LocalSigner,
) -> Result<String, JoseError> {
    let input = signing_input(header, claims, signer.alg())?;
    let signature = signer.sign_sync(input.as_bytes())?;
    Ok(format!("{input}.{}", b64::url_encode(&signature)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_structure_and_keeps_raw_signing_input() {
        // {"alg":"ES256"} . {"a":1} . 0x00 0x01
        let token = "  eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ==.AAE \n";
        let jws = decode_unverified(token).unwrap();
        assert_eq!(jws.header.alg, "ES256");
        assert_eq!(jws.claims.get("a"), Some(&json!(1)));
        assert_eq!(jws.signing_input(), b"eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ==");
        assert_eq!(jws.signature(), [0, 1]);
    }

    #[test]
    fn structural_errors_are_malformed() {
        let cases = [
            "",
            "a",
            "a.b",
            "eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ.",
            "eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ.AAE.x.y",
            "eyJhbGciOiJFUzI1NiJ9.WzFd.AAE", // payload [1]
            "WzFd.eyJhIjoxfQ.AAE",           // header [1]
            "e30.eyJhIjoxfQ.AAE",            // header {} (no alg)
            "eyJhbGciOjF9.eyJhIjoxfQ.AAE",   // alg is a number
            "eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ.A*E",
            "eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.AAE",
        ];
        for token in cases {
            assert!(
                matches!(decode_unverified(token), Err(JoseError::Malformed(_))),
                "{token}"
            );
        }
        let huge = format!("eyJhbGciOiJFUzI1NiJ9.{}.AAE", "A".repeat(MAX_TOKEN_LEN));
        assert!(matches!(
            decode_unverified(&huge),
            Err(JoseError::Malformed(_))
        ));
    }

    #[test]
    fn encode_refuses_mismatched_alg_and_non_objects() {
        let (signer, _) = LocalSigner::generate(Alg::ES256, 0).unwrap();
        let err = encode_sync(&Header::new(Alg::ES384), &json!({}), &signer).unwrap_err();
        assert!(matches!(err, JoseError::AlgNotAllowedForKey { .. }));
        let err = encode_sync(&Header::new(Alg::ES256), &json!([1]), &signer).unwrap_err();
        assert!(matches!(err, JoseError::Malformed(_)));
    }

    #[test]
    fn crit_headers_are_refused() {
        let (signer, _) = LocalSigner::generate(Alg::ES256, 0).unwrap();
        let mut header = Header::new(Alg::ES256);
        header.extra.insert("crit".into(), json!(["exp"]));
        let token = encode_sync(&header, &json!({"sub": "x"}), &signer).unwrap();
        let jws = decode_unverified(&token).unwrap();
        assert!(matches!(
            jws.verify_with(&signer.verifying_key()),
            Err(JoseError::Malformed(_))
        ));
    }
}
