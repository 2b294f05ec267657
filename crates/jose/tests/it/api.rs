//! Claims end to end, digest signing and the remaining API paths.

use crate::common::*;
use crate::interop::our_validation;
use crate::vectors::a2_signer;

// ------------------------------------------------------- claims end-to-end

#[test]
fn claims_float_dates_and_audience_arrays() {
    // MSAL Python-style float timestamps.
    let c = obj(json!({
        "iss": "https://issuer.example",
        "aud": ["https://graph.microsoft.com", "api://skybridge"],
        "iat": 1_700_000_000.25,
        "nbf": 1_700_000_000.25,
        "exp": 1_700_003_600.75,
    }));
    assert_eq!(claims::numeric_date(&c, "iat"), Ok(Some(1_700_000_000)));
    assert_eq!(claims::numeric_date(&c, "exp"), Ok(Some(1_700_003_600)));
    let v = our_validation();
    assert_eq!(claims::validate(&c, &v, 1_700_000_100), Ok(()));
    // Leeway: 300 s either side.
    assert_eq!(claims::validate(&c, &v, 1_699_999_700), Ok(()));
    assert!(claims::validate(&c, &v, 1_699_999_699).is_err());
    assert_eq!(claims::validate(&c, &v, 1_700_003_900), Ok(()));
    assert_eq!(
        claims::validate(&c, &v, 1_700_003_901),
        Err(claims::ClaimError::Expired {
            exp: 1_700_003_600,
            now: 1_700_003_901
        })
    );
    let mut no_exp = c.clone();
    no_exp.remove("exp");
    assert_eq!(
        claims::validate(&no_exp, &v, 1_700_000_100),
        Err(claims::ClaimError::Missing("exp"))
    );
}

// ------------------------------------------------------------- sign_digest

#[test]
fn sign_digest_matches_message_signatures() {
    use aws_lc_rs::digest;
    let msg = b"Key Vault signs digests, not messages";
    let rs = a2_signer(Alg::RS256);
    let (es, _) = LocalSigner::generate(Alg::ES256, 0).unwrap();
    let (es512, _) = LocalSigner::generate(Alg::ES512, 0).unwrap();
    let ps384 = a2_signer(Alg::PS384);
    for (signer, algo) in [
        (&rs, &digest::SHA256),
        (&es, &digest::SHA256),
        (&es512, &digest::SHA512),
        (&ps384, &digest::SHA384),
    ] {
        let hash = digest::digest(algo, msg);
        let sig = signer.sign_digest(hash.as_ref()).unwrap();
        let key = signer.verifying_key();
        assert_eq!(
            key.verify(signer.alg(), msg, &sig),
            Ok(()),
            "{}",
            signer.alg()
        );
        assert!(matches!(
            signer.sign_digest(&hash.as_ref()[1..]),
            Err(JoseError::Malformed(_))
        ));
        assert!(matches!(
            signer.sign_digest(&[0; 20]),
            Err(JoseError::Malformed(_))
        ));
    }
    // RSA PKCS#1 v1.5 is deterministic: both paths give identical bytes.
    let hash = digest::digest(&digest::SHA256, msg);
    assert_eq!(
        rs.sign_digest(hash.as_ref()).unwrap(),
        rs.sign_sync(msg).unwrap()
    );
}

// --------------------------------------------------------- misc API paths

#[tokio::test]
async fn async_encode_with_dyn_signer() {
    let (signer, _) = LocalSigner::generate(Alg::ES384, 0).unwrap();
    let dyn_signer: &dyn Signer = &signer;
    let mut header = Header::new(Alg::ES384);
    header.kid = Some("kv-key".into());
    let token = encode(&header, &json!({"sub": "s"}), dyn_signer)
        .await
        .unwrap();
    let jws = decode_unverified(&token).unwrap();
    assert_eq!(jws.header, header);
    assert_eq!(jws.verify_with(&signer.verifying_key()), Ok(Alg::ES384));
    let err = encode(&Header::new(Alg::ES256), &json!({}), dyn_signer).await;
    assert!(matches!(err, Err(JoseError::AlgNotAllowedForKey { .. })));
}

#[test]
fn spki_and_jwk_round_trips() {
    for alg in [Alg::PS512, Alg::ES256, Alg::ES384, Alg::ES512] {
        let signer = if alg.is_rsa() {
            a2_signer(alg)
        } else {
            LocalSigner::generate(alg, 0).unwrap().0
        };
        let key = signer.verifying_key();
        assert_eq!(
            VerifyingKey::from_spki_der(&signer.public_key_spki_der()).unwrap(),
            key
        );
        let jwk = signer.public_jwk();
        assert_eq!(jwk.verifying_key().unwrap(), key);
        let json = serde_json::to_string(&JwkSet {
            keys: vec![jwk.clone()],
        })
        .unwrap();
        let set: JwkSet = serde_json::from_str(&json).unwrap();
        assert_eq!(set.keys[0], jwk);
        if let VerifyingKey::Ec { curve, .. } = key {
            assert_eq!(jwk.crv.as_deref(), Some(curve.jwk_name()));
            assert_eq!(curve.alg(), alg);
            assert_eq!(EcCurve::from_jwk_name(curve.jwk_name()), Some(curve));
        }
    }
    assert!(VerifyingKey::from_spki_der(b"\x30\x03\x02\x01\x00").is_err());
}
