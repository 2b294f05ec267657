//! RFC 8725 strictness: no `none`, no HMAC, the key pins the algorithm, no panics.

use crate::common::*;
use crate::vectors::{A2_N, A2_TOKEN, a2_signer};

// ------------------------------------------------------------ strictness

fn es256_token() -> (LocalSigner, String) {
    let (signer, _) = LocalSigner::generate(Alg::ES256, 0).unwrap();
    let token = encode_sync(
        &Header::new(Alg::ES256),
        &json!({"iss": "https://issuer.example", "aud": "api://skybridge", "exp": 4_000_000_000_i64}),
        &signer,
    )
    .unwrap();
    (signer, token)
}

/// Re-signs nothing: swaps the header of `token` for `header_json`.
fn with_header(token: &str, header_json: &str) -> String {
    let rest = token.split_once('.').unwrap().1;
    format!("{}.{rest}", b64::url_encode(header_json.as_bytes()))
}

#[test]
fn none_and_hmac_are_unsupported() {
    let (signer, token) = es256_token();
    let key = signer.verifying_key();
    for alg in ["none", "HS256", "HS512", "es256", "RSA-OAEP"] {
        let forged = with_header(&token, &format!(r#"{{"alg":"{alg}"}}"#));
        let jws = decode_unverified(&forged).unwrap();
        assert_eq!(
            jws.verify_with(&key),
            Err(JoseError::UnsupportedAlg(alg.into())),
            "{alg}"
        );
    }
    // An unsecured JWS has an empty signature segment: refused outright.
    let unsecured = format!(
        "{}.{}.",
        b64::url_encode(br#"{"alg":"none"}"#),
        b64::url_encode(br#"{"sub":"x"}"#)
    );
    assert!(matches!(
        decode_unverified(&unsecured),
        Err(JoseError::Malformed(_))
    ));
}

#[test]
fn key_type_pins_algorithm() {
    let (ec_signer, ec_token) = es256_token();
    let rsa_signer = a2_signer(Alg::RS256);
    let rsa_key = rsa_signer.verifying_key();
    let ec_key = ec_signer.verifying_key();

    // ES256 token presented to an RSA key.
    let jws = decode_unverified(&ec_token).unwrap();
    assert_eq!(
        jws.verify_with(&rsa_key),
        Err(JoseError::AlgNotAllowedForKey {
            alg: "ES256".into()
        })
    );
    // RS256 token presented to an EC key.
    let rs_token = encode_sync(&Header::new(Alg::RS256), &json!({"a": 1}), &rsa_signer).unwrap();
    let jws = decode_unverified(&rs_token).unwrap();
    assert_eq!(
        jws.verify_with(&ec_key),
        Err(JoseError::AlgNotAllowedForKey {
            alg: "RS256".into()
        })
    );
    // Same curve family but wrong curve.
    let (p384, _) = LocalSigner::generate(Alg::ES384, 0).unwrap();
    let jws = decode_unverified(&ec_token).unwrap();
    assert!(matches!(
        jws.verify_with(&p384.verifying_key()),
        Err(JoseError::AlgNotAllowedForKey { .. })
    ));
}

#[test]
fn jwk_alg_member_refuses_other_rsa_algs() {
    let mut jwk = rsa_jwk(A2_N, "AQAB");
    jwk.alg = Some("RS256".into());
    let key = jwk.verifying_key().unwrap();
    let ps_token = encode_sync(
        &Header::new(Alg::PS256),
        &json!({"a": 1}),
        &a2_signer(Alg::PS256),
    )
    .unwrap();
    let jws = decode_unverified(&ps_token).unwrap();
    assert_eq!(
        jws.verify_with(&key),
        Err(JoseError::AlgNotAllowedForKey {
            alg: "PS256".into()
        })
    );
    // Without the pin the same key accepts it.
    assert_eq!(
        jws.verify_with(&rsa_jwk(A2_N, "AQAB").verifying_key().unwrap()),
        Ok(Alg::PS256)
    );
}

#[test]
fn tampered_payload_is_bad_signature() {
    let (signer, token) = es256_token();
    let parts: Vec<&str> = token.split('.').collect();
    let evil = b64::url_encode(br#"{"iss":"https://issuer.example","aud":"api://skybridge","exp":4000000000,"admin":true}"#);
    let forged = format!("{}.{evil}.{}", parts[0], parts[2]);
    let jws = decode_unverified(&forged).unwrap();
    assert_eq!(
        jws.verify_with(&signer.verifying_key()),
        Err(JoseError::BadSignature)
    );
}

fn pad(segment: &str) -> String {
    let mut s = segment.to_owned();
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    s
}

#[test]
fn padded_segments_are_accepted() {
    let signer = a2_signer(Alg::RS256);
    let key = signer.verifying_key();
    // Padding the signature does not change the signing input.
    let (input, sig) = A2_TOKEN.rsplit_once('.').unwrap();
    let padded_sig = format!("{input}.{}", pad(sig));
    assert_ne!(padded_sig, A2_TOKEN);
    assert_eq!(
        decode_unverified(&padded_sig).unwrap().verify_with(&key),
        Ok(Alg::RS256)
    );

    // A producer that pads every segment signs the padded text.
    let header = pad(&b64::url_encode(br#"{"alg":"RS256","kid":"k"}"#));
    let payload = pad(&b64::url_encode(br#"{"sub":"x12"}"#));
    assert!(header.ends_with('=') && payload.ends_with('='));
    let input = format!("{header}.{payload}");
    let sig = signer.sign_sync(input.as_bytes()).unwrap();
    let token = format!(" {input}.{}\r\n", pad(&b64::url_encode(&sig)));
    let jws = decode_unverified(&token).unwrap();
    assert_eq!(jws.verify_with(&key), Ok(Alg::RS256));
    assert_eq!(jws.claims.get("sub"), Some(&json!("x12")));
}

#[test]
fn jwe_and_garbage_are_malformed() {
    let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji.XFBoMYUZodetZdvTiFvSkQ";
    for input in [
        jwe,
        "",
        "   ",
        "....",
        "not a token",
        "\u{0}\u{1}.\u{2}.\u{3}",
        "é.é.é",
        "eyJ.eyJ.eyJ",
        "e30.e30.AA",
    ] {
        assert!(
            matches!(decode_unverified(input), Err(JoseError::Malformed(_))),
            "{input:?}"
        );
    }
}

#[test]
fn truncated_and_bit_flipped_tokens_never_verify_or_panic() {
    let (signer, token) = es256_token();
    let key = signer.verifying_key();
    assert_eq!(
        decode_unverified(&token).unwrap().verify_with(&key),
        Ok(Alg::ES256)
    );
    let bytes = token.as_bytes();
    let mut variants: Vec<Vec<u8>> = (0..bytes.len()).map(|n| bytes[..n].to_vec()).collect();
    for i in 0..bytes.len() {
        for mask in [0x01u8, 0x02, 0x20, 0x40, 0x80] {
            let mut v = bytes.to_vec();
            v[i] ^= mask;
            variants.push(v);
        }
    }
    for v in variants {
        let text = String::from_utf8_lossy(&v);
        if text.trim() == token {
            continue;
        }
        if let Ok(jws) = decode_unverified(&text) {
            assert!(jws.verify_with(&key).is_err(), "{text}");
        }
    }
}
