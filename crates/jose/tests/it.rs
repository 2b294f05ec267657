//! Integration tests: published RFC vectors, interop with `jsonwebtoken`,
//! and the strictness rules from RFC 8725.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use serde_json::{Map, Value, json};
use skybridge_jose::claims::{self, Validation};
use skybridge_jose::keys::EcCurve;
use skybridge_jose::{
    Alg, Clock, Header, JoseError, Jwk, JwkSet, LocalSigner, Signer, SystemClock, VerifyingKey,
    b64, decode_unverified, encode, encode_sync,
};

// ---------------------------------------------------------------- helpers

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

fn der_uint(value: &[u8]) -> Vec<u8> {
    let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
    let mut content = value[start..].to_vec();
    if content.first().is_none_or(|b| b & 0x80 != 0) {
        content.insert(0, 0);
    }
    tlv(0x02, &content)
}

fn d(s: &str) -> Vec<u8> {
    b64::url_decode_lenient(s).unwrap()
}

/// PKCS#8 around a PKCS#1 RSAPrivateKey built from JWK members
/// `[n, e, d, p, q, dp, dq, qi]` (base64url).
fn rsa_pkcs8(members: [&str; 8]) -> Vec<u8> {
    let mut body = der_uint(&[0]);
    for m in members {
        body.extend(der_uint(&d(m)));
    }
    let pkcs1 = tlv(0x30, &body);
    let rsa_oid = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let alg_id = tlv(0x30, &[tlv(0x06, &rsa_oid), tlv(0x05, &[])].concat());
    tlv(0x30, &[der_uint(&[0]), alg_id, tlv(0x04, &pkcs1)].concat())
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = b64::std_encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn rsa_jwk(n: &str, e: &str) -> Jwk {
    Jwk {
        kty: "RSA".into(),
        n: Some(n.into()),
        e: Some(e.into()),
        ..Jwk::default()
    }
}

// ------------------------------------------------------- RFC 7515 vectors

const A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const A2_D: &str = "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";
const A2_P: &str = "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc";
const A2_Q: &str = "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc";
const A2_DP: &str = "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0";
const A2_DQ: &str = "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU";
const A2_QI: &str = "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U";
const A2_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

const A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
const A3_TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

fn a2_signer(alg: Alg) -> LocalSigner {
    let pkcs8 = rsa_pkcs8([A2_N, "AQAB", A2_D, A2_P, A2_Q, A2_DP, A2_DQ, A2_QI]);
    LocalSigner::from_pkcs8(alg, &pkcs8).unwrap()
}

#[test]
fn rfc7515_a2_rs256_verifies_and_reproduces() {
    let key = rsa_jwk(A2_N, "AQAB").verifying_key().unwrap();
    let jws = decode_unverified(A2_TOKEN).unwrap();
    assert_eq!(jws.verify_with(&key), Ok(Alg::RS256));
    assert_eq!(jws.claims.get("iss"), Some(&json!("joe")));
    assert_eq!(
        claims::numeric_date(&jws.claims, "exp"),
        Ok(Some(1_300_819_380))
    );

    let signer = a2_signer(Alg::RS256);
    assert_eq!(signer.verifying_key(), key);
    let sig = signer.sign_sync(jws.signing_input()).unwrap();
    assert_eq!(sig, jws.signature(), "PKCS#1 v1.5 is deterministic");
    let expected_sig = A2_TOKEN.rsplit('.').next().unwrap();
    assert_eq!(b64::url_encode(&sig), expected_sig);
}

#[test]
fn rfc7515_a3_es256_verifies() {
    let jwk = Jwk {
        kty: "EC".into(),
        crv: Some("P-256".into()),
        x: Some(A3_X.into()),
        y: Some(A3_Y.into()),
        ..Jwk::default()
    };
    let key = jwk.verifying_key().unwrap();
    let jws = decode_unverified(A3_TOKEN).unwrap();
    assert_eq!(jws.signature().len(), 64);
    assert_eq!(jws.verify_with(&key), Ok(Alg::ES256));
    // The same signature over another input must fail.
    assert_eq!(
        key.verify(Alg::ES256, b"tampered", jws.signature()),
        Err(JoseError::BadSignature)
    );
}

// ------------------------------------------------------- RFC 7520 vectors

/// RFC 7520 §3.4 RSA key ("bilbo.baggins@hobbiton.example").
const C_N: &str = "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw";
const C_D: &str = "bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRldY7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-bMwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDjd18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOcOpBrQzwQ";
const C_P: &str = "3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nRaO7HX_-SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmGpeNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8bUq0k";
const C_Q: &str = "uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR_cu0Dm1MZwWmtdqDyI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7anV5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0s7pFc";
const C_DP: &str = "B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q1NIb1rxQtD-IsXXR3-TanevuRPRt5OBOdiMGQp8pbt26gljYfKU_E9xn-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009Qf1HvChixRX59ehik";
const C_DQ: &str = "CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pErAMVeKzFEl41DlHHqqBLSM0W1sOFbwTxYWZDm6sI6og5iTbwQGIC3gnJKbi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9AqC2yeL6kdKT1cYF8";
const C_QI: &str = "3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-NZBKCQsMf3HaEGBjTVJs_jcK8-TRXvaKe-7ZMaQj8VfBdYkssbu0NKDDhjJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6h6ZEpMF6xmujs4qMpPz8aaI4";
/// Base64url of the RFC 7520 §4 payload ("It’s a dangerous business, Frodo…").
const C_PAYLOAD: &str = "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4";
const C41_PROTECTED: &str =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9";
const C41_SIG: &str = "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg";
const C42_PROTECTED: &str =
    "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9";
const C42_SIG: &str = "cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2IpN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw";
const C43_X: &str =
    "AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt";
const C43_Y: &str =
    "AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1";
const C43_PROTECTED: &str =
    "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9";
const C43_SIG: &str = "AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2";

fn cookbook_signer(alg: Alg) -> LocalSigner {
    let pkcs8 = rsa_pkcs8([C_N, "AQAB", C_D, C_P, C_Q, C_DP, C_DQ, C_QI]);
    LocalSigner::from_pkcs8(alg, &pkcs8).unwrap()
}

#[test]
fn rfc7520_4_1_rs256_reproduces() {
    let input = format!("{C41_PROTECTED}.{C_PAYLOAD}");
    let signer = cookbook_signer(Alg::RS256);
    let sig = signer.sign_sync(input.as_bytes()).unwrap();
    assert_eq!(b64::url_encode(&sig), C41_SIG);
    let key = rsa_jwk(C_N, "AQAB").verifying_key().unwrap();
    assert_eq!(key.verify(Alg::RS256, input.as_bytes(), &sig), Ok(()));
    // The payload is plain text, not a claim set, so decode_unverified
    // rightly refuses the compact form.
    let compact = format!("{input}.{C41_SIG}");
    assert!(matches!(
        decode_unverified(&compact),
        Err(JoseError::Malformed(_))
    ));
}

#[test]
fn rfc7520_4_2_ps384_verifies() {
    let input = format!("{C42_PROTECTED}.{C_PAYLOAD}");
    let key = rsa_jwk(C_N, "AQAB").verifying_key().unwrap();
    assert_eq!(
        key.verify(Alg::PS384, input.as_bytes(), &d(C42_SIG)),
        Ok(())
    );
    assert_eq!(
        key.verify(Alg::PS256, input.as_bytes(), &d(C42_SIG)),
        Err(JoseError::BadSignature)
    );
    // Our own PS384 signature (randomised salt) also verifies.
    let sig = cookbook_signer(Alg::PS384)
        .sign_sync(input.as_bytes())
        .unwrap();
    assert_eq!(key.verify(Alg::PS384, input.as_bytes(), &sig), Ok(()));
}

#[test]
fn rfc7520_4_3_es512_verifies() {
    let jwk = Jwk {
        kty: "EC".into(),
        crv: Some("P-521".into()),
        x: Some(C43_X.into()),
        y: Some(C43_Y.into()),
        ..Jwk::default()
    };
    let key = jwk.verifying_key().unwrap();
    let input = format!("{C43_PROTECTED}.{C_PAYLOAD}");
    let sig = d(C43_SIG);
    assert_eq!(sig.len(), 132);
    assert_eq!(key.verify(Alg::ES512, input.as_bytes(), &sig), Ok(()));
    let mut bad = sig.clone();
    bad[70] ^= 1;
    assert_eq!(
        key.verify(Alg::ES512, input.as_bytes(), &bad),
        Err(JoseError::BadSignature)
    );
}

// -------------------------------------------- RFC 7517 Appendix B (x5c)

const B_N: &str = "vrjOfz9Ccdgx5nQudyhdoR17V-IubWMeOZCwX_jj0hgAsz2J_pqYW08PLbK_PdiVGKPrqzmDIsLI7sA25VEnHU1uCLNwBuUiCO11_-7dYbsr4iJmG0Qu2j8DsVyT1azpJC_NG84Ty5KKthuCaPod7iI7w0LK9orSMhBEwwZDCxTWq4aYWAchc8t-emd9qOvWtVMDC2BXksRngh6X5bUYLy6AyHKvj-nUy1wgzjYQDwHMTplCoLtU-o-8SNnZ1tmRoGE9uJkBLdh5gFENabWnU5m1ZqZPdwS-qo-meMvVfJb6jJVWRpl2SUtCnYG2C32qvbWbjZ_jBPD5eunqsIo1vQ";
const B_X5C: &str = "MIIDQjCCAiqgAwIBAgIGATz/FuLiMA0GCSqGSIb3DQEBBQUAMGIxCzAJBgNVBAYTAlVTMQswCQYDVQQIEwJDTzEPMA0GA1UEBxMGRGVudmVyMRwwGgYDVQQKExNQaW5nIElkZW50aXR5IENvcnAuMRcwFQYDVQQDEw5CcmlhbiBDYW1wYmVsbDAeFw0xMzAyMjEyMzI5MTVaFw0xODA4MTQyMjI5MTVaMGIxCzAJBgNVBAYTAlVTMQswCQYDVQQIEwJDTzEPMA0GA1UEBxMGRGVudmVyMRwwGgYDVQQKExNQaW5nIElkZW50aXR5IENvcnAuMRcwFQYDVQQDEw5CcmlhbiBDYW1wYmVsbDCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAL64zn8/QnHYMeZ0LncoXaEde1fiLm1jHjmQsF/449IYALM9if6amFtPDy2yvz3YlRij66s5gyLCyO7ANuVRJx1NbgizcAblIgjtdf/u3WG7K+IiZhtELto/A7Fck9Ws6SQvzRvOE8uSirYbgmj6He4iO8NCyvaK0jIQRMMGQwsU1quGmFgHIXPLfnpnfajr1rVTAwtgV5LEZ4Iel+W1GC8ugMhyr4/p1MtcIM42EA8BzE6ZQqC7VPqPvEjZ2dbZkaBhPbiZAS3YeYBRDWm1p1OZtWamT3cEvqqPpnjL1XyW+oyVVkaZdklLQp2Btgt9qr21m42f4wTw+Xrp6rCKNb0CAwEAATANBgkqhkiG9w0BAQUFAAOCAQEAh8zGlfSlcI0o3rYDPBB07aXNswb4ECNIKG0CETTUxmXl9KUL+9gGlqCz5iWLOgWsnrcKcY0vXPG9J1r9AqBNTqNgHq2G03X09266X5CpOe1zFo+Owb1zxtp3PehFdfQJ610CDLEaS9V9Rqp17hCyybEpOGVwe8fnk+fbEL2Bo3UPGrpsHzUoaGpDftmWssZkhpBJKVMJyf/RuP2SmmaIzmnw9JiSlYhzo4tpzd5rFXhjRbg4zW9C+2qok+2+qDM1iJ684gPHMIY8aLWrdgQTxkumGmTqgawR+N5MDtdPTEQ0XfIBc2cJEUyMTY5MPvACWpkA6SdS4xSvdXK3IVfOWA==";

#[test]
fn rfc7517_b_x5c_key_matches_n_e_and_drives_thumbprint() {
    let with_ne = rsa_jwk(B_N, "AQAB");
    let only_x5c: Jwk = serde_json::from_value(json!({
        "kty": "RSA", "use": "sig", "kid": "1b94c",
        // Line breaks as a hand-edited JWKS might carry them.
        "x5c": [format!("{}\n{}", &B_X5C[..64], &B_X5C[64..])]
    }))
    .unwrap();
    let from_x5c = only_x5c.verifying_key().unwrap();
    assert_eq!(from_x5c, with_ne.verifying_key().unwrap());
    assert_eq!(
        only_x5c.thumbprint().unwrap(),
        with_ne.thumbprint().unwrap()
    );
    // An RSA certificate cannot stand in for an EC JWK.
    let ec_claim = Jwk {
        kty: "EC".into(),
        x5c: Some(vec![B_X5C.into()]),
        ..Jwk::default()
    };
    assert!(ec_claim.verifying_key().is_err());
}

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

fn our_validation() -> Validation {
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
