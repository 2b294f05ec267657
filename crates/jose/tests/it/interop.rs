//! Interop with the independent jsonwebtoken 11 library, both directions.

use crate::common::*;

// ------------------------------------------ interop with jsonwebtoken 11

fn jwt_alg(alg: Alg) -> jsonwebtoken::Algorithm {
    alg.name().parse().unwrap()
}

fn interop_validation(alg: Alg) -> jsonwebtoken::Validation {
    let mut v = jsonwebtoken::Validation::new(jwt_alg(alg));
    v.set_issuer(&["https://issuer.example"]);
    v.set_audience(&["api://skybridge"]);
    v
}

pub(crate) fn our_validation() -> Validation {
    Validation {
        issuers: vec!["https://issuer.example".into()],
        audiences: vec!["api://skybridge".into()],
        ..Validation::default()
    }
}

#[test]
fn interop_with_jsonwebtoken_both_directions() {
    let now = SystemClock.now_unix();
    let claims = json!({
        "iss": "https://issuer.example",
        "aud": "api://skybridge",
        "sub": "alice",
        "iat": now,
        "exp": now + 600,
    });
    let (_, rsa_pkcs8) = LocalSigner::generate(Alg::RS256, 2048).unwrap();
    let rsa_pem = pem("PRIVATE KEY", &rsa_pkcs8);
    let algs = [
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
    ];
    for alg in algs {
        let (signer, pkcs8) = if alg.is_rsa() {
            (
                LocalSigner::from_pkcs8(alg, &rsa_pkcs8).unwrap(),
                rsa_pkcs8.clone(),
            )
        } else {
            LocalSigner::generate(alg, 0).unwrap()
        };
        let jwk = signer.public_jwk();
        let decoding = if alg.is_rsa() {
            jsonwebtoken::DecodingKey::from_rsa_components(
                jwk.n.as_deref().unwrap(),
                jwk.e.as_deref().unwrap(),
            )
            .unwrap()
        } else {
            jsonwebtoken::DecodingKey::from_ec_components(
                jwk.x.as_deref().unwrap(),
                jwk.y.as_deref().unwrap(),
            )
            .unwrap()
        };

        // Ours → jsonwebtoken.
        let mut header = Header::new(alg);
        header.typ = Some("JWT".into());
        header.kid = Some("k1".into());
        let token = encode_sync(&header, &claims, &signer).unwrap();
        let data =
            jsonwebtoken::decode::<Value>(&token, &decoding, &interop_validation(alg)).unwrap();
        assert_eq!(data.claims, claims, "{alg}");
        assert_eq!(data.header.kid.as_deref(), Some("k1"));

        // jsonwebtoken → ours.
        let encoding = if alg.is_rsa() {
            jsonwebtoken::EncodingKey::from_rsa_pem(rsa_pem.as_bytes()).unwrap()
        } else {
            jsonwebtoken::EncodingKey::from_ec_der(&pkcs8)
        };
        let theirs =
            jsonwebtoken::encode(&jsonwebtoken::Header::new(jwt_alg(alg)), &claims, &encoding)
                .unwrap();
        let jws = decode_unverified(&theirs).unwrap();
        let key = jwk.verifying_key().unwrap();
        assert_eq!(jws.verify_with(&key), Ok(alg), "{alg}");
        assert_eq!(
            claims::validate(&jws.claims, &our_validation(), now),
            Ok(())
        );
    }
}
