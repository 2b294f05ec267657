//! PEM key conversion and thumbprints, cross-checked against openssl.

use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair};
use skybridge_pki::{KeyKind, PkiError, key_kind, pem, thumbprint};

use crate::common::{NOW, TempDir, has_openssl, openssl};

#[test]
fn pkcs1_rsa_key_converts_to_loadable_pkcs8() {
    if !has_openssl() {
        return;
    }
    let dir = TempDir::new();
    let Some(pkcs1) = openssl(
        dir.path(),
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-outform",
            "PEM",
        ],
    ) else {
        return;
    };
    dir.write("k.pem", &pkcs1);
    // `-traditional` writes the PKCS#1 "RSA PRIVATE KEY" form.
    let Some(pkcs1) = openssl(dir.path(), &["pkey", "-in", "k.pem", "-traditional"]) else {
        return;
    };
    let text = String::from_utf8(pkcs1).expect("utf8");
    assert!(text.contains("BEGIN RSA PRIVATE KEY"), "{text}");
    let pkcs8 = pem::private_key(&text).expect("convert");
    RsaKeyPair::from_pkcs8(&pkcs8).expect("aws-lc-rs loads PKCS#8");
    assert_eq!(key_kind(&pkcs8).expect("kind"), KeyKind::Rsa2048);
    // Same key as openssl's own PKCS#8 rendering.
    let Some(ossl_pkcs8) = openssl(dir.path(), &["pkey", "-in", "k.pem"]) else {
        return;
    };
    let ossl = pem::private_key(&String::from_utf8(ossl_pkcs8).expect("utf8")).expect("pkcs8");
    let a = RsaKeyPair::from_pkcs8(&ossl).expect("ossl");
    let b = RsaKeyPair::from_pkcs8(&pkcs8).expect("ours");
    use aws_lc_rs::signature::KeyPair as _;
    assert_eq!(a.public_key().as_ref(), b.public_key().as_ref());
}

#[test]
fn sec1_ec_keys_convert_to_loadable_pkcs8() {
    if !has_openssl() {
        return;
    }
    let dir = TempDir::new();
    for (curve, kind) in [
        ("prime256v1", KeyKind::EcP256),
        ("secp384r1", KeyKind::EcP384),
        ("secp521r1", KeyKind::EcP521),
    ] {
        // `ecparam -genkey` writes EC PARAMETERS before the EC PRIVATE KEY block.
        let Some(sec1) = openssl(dir.path(), &["ecparam", "-name", curve, "-genkey"]) else {
            return;
        };
        let text = String::from_utf8(sec1).expect("utf8");
        assert!(text.contains("BEGIN EC PARAMETERS") && text.contains("BEGIN EC PRIVATE KEY"));
        let pkcs8 = pem::private_key(&text).expect("convert");
        assert_eq!(key_kind(&pkcs8).expect("kind"), kind);
        if kind == KeyKind::EcP384 {
            EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, &pkcs8).expect("loads");
        }
        // The converted key must be usable for signing certificates.
        let spec = skybridge_pki::SubjectSpec {
            common_name: curve.to_owned(),
            dns_names: vec![],
            not_before: NOW,
            not_after: NOW + 60,
        };
        skybridge_pki::self_signed(&spec, &pkcs8).expect("sign with converted key");
    }
    // secp256k1 is a valid SEC1 key we deliberately do not handle.
    let Some(k1) = openssl(
        dir.path(),
        &["ecparam", "-name", "secp256k1", "-genkey", "-noout"],
    ) else {
        return;
    };
    let err = pem::private_key(&String::from_utf8(k1).expect("utf8")).expect_err("k1");
    assert!(matches!(err, PkiError::Malformed(_)), "{err:?}");
    let Some(k1_pkcs8) = openssl(
        dir.path(),
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:secp256k1",
        ],
    ) else {
        return;
    };
    let key = pem::private_key(&String::from_utf8(k1_pkcs8).expect("utf8")).expect("pkcs8");
    assert!(matches!(key_kind(&key), Err(PkiError::Unsupported(_))));
}

#[test]
fn encrypted_openssl_key_is_unsupported() {
    if !has_openssl() {
        return;
    }
    let dir = TempDir::new();
    let Some(enc) = openssl(
        dir.path(),
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-aes256",
            "-pass",
            "pass:x",
        ],
    ) else {
        return;
    };
    let err = pem::private_key(&String::from_utf8(enc).expect("utf8")).expect_err("encrypted");
    assert!(matches!(err, PkiError::Unsupported(_)), "{err:?}");
    assert!(!err.to_string().is_empty());
}

#[test]
fn thumbprints_match_openssl_fingerprints() {
    let ca = skybridge_pki::DevCa::generate("Thumb CA", NOW, 30).expect("ca");
    let der = ca.cert_der();
    let info = skybridge_pki::parse_certificate(der).expect("info");
    assert_eq!(info.sha1, thumbprint::sha1(der));
    assert_eq!(info.sha256, thumbprint::sha256(der));
    if !has_openssl() {
        return;
    }
    let dir = TempDir::new();
    dir.write("ca.pem", ca.cert_pem());
    for (alg, ours) in [
        ("-sha1", thumbprint::hex_upper(&thumbprint::sha1(der))),
        ("-sha256", thumbprint::hex_upper(&thumbprint::sha256(der))),
    ] {
        let Some(out) = openssl(
            dir.path(),
            &["x509", "-in", "ca.pem", "-noout", "-fingerprint", alg],
        ) else {
            return;
        };
        // "SHA1 Fingerprint=AB:CD:..."
        let out = String::from_utf8(out).expect("utf8");
        let theirs = out
            .trim()
            .split('=')
            .nth(1)
            .expect("fingerprint")
            .replace(':', "");
        assert_eq!(theirs, ours);
    }
    // x5t is base64url(SHA-1): decode and compare with openssl's hex.
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(thumbprint::x5t(der))
        .expect("b64url");
    assert_eq!(raw, thumbprint::sha1(der));
    assert!(!thumbprint::x5t(der).contains(['=', '+', '/']));
    assert_eq!(thumbprint::x5t_s256(der).len(), 43);
    // Serial as openssl prints it.
    let Some(out) = openssl(dir.path(), &["x509", "-in", "ca.pem", "-noout", "-serial"]) else {
        return;
    };
    let out = String::from_utf8(out).expect("utf8");
    assert_eq!(
        out.trim().strip_prefix("serial=").expect("serial"),
        info.serial_hex
    );
}
