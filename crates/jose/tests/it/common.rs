//! Helpers shared by the test modules: DER builders for RFC key material, PEM, JSON.

pub(crate) use serde_json::{Map, Value, json};
pub(crate) use skybridge_jose::claims::{self, Validation};
pub(crate) use skybridge_jose::keys::EcCurve;
pub(crate) use skybridge_jose::{
    Alg, Clock, Header, JoseError, Jwk, JwkSet, LocalSigner, Signer, SystemClock, VerifyingKey,
    b64, decode_unverified, encode, encode_sync,
};

// ---------------------------------------------------------------- helpers

pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
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

pub(crate) fn der_uint(value: &[u8]) -> Vec<u8> {
    let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
    let mut content = value[start..].to_vec();
    if content.first().is_none_or(|b| b & 0x80 != 0) {
        content.insert(0, 0);
    }
    tlv(0x02, &content)
}

pub(crate) fn d(s: &str) -> Vec<u8> {
    b64::url_decode_lenient(s).unwrap()
}

/// PKCS#8 around a PKCS#1 RSAPrivateKey built from JWK members
/// `[n, e, d, p, q, dp, dq, qi]` (base64url).
pub(crate) fn rsa_pkcs8(members: [&str; 8]) -> Vec<u8> {
    let mut body = der_uint(&[0]);
    for m in members {
        body.extend(der_uint(&d(m)));
    }
    let pkcs1 = tlv(0x30, &body);
    let rsa_oid = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let alg_id = tlv(0x30, &[tlv(0x06, &rsa_oid), tlv(0x05, &[])].concat());
    tlv(0x30, &[der_uint(&[0]), alg_id, tlv(0x04, &pkcs1)].concat())
}

pub(crate) fn pem(label: &str, der: &[u8]) -> String {
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

pub(crate) fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

pub(crate) fn rsa_jwk(n: &str, e: &str) -> Jwk {
    Jwk {
        kty: "RSA".into(),
        n: Some(n.into()),
        e: Some(e.into()),
        ..Jwk::default()
    }
}
