//! PFX round trips and interop with openssl's AES, legacy RC2 and 3DES output.

use std::process::Command;

use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use skybridge_pki::{
    CertifiedKey, DevCa, KeyKind, PkiError, SubjectSpec, key_kind, pem, pfx_export, pfx_import,
};

use crate::common::{NOW, TempDir, has_openssl, openssl};

/// Public key of a PKCS#8 key, to compare keys across encodings.
fn public_of(pkcs8: &[u8]) -> Vec<u8> {
    match key_kind(pkcs8).expect("kind") {
        KeyKind::EcP256 => EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8)
            .expect("ec")
            .public_key()
            .as_ref()
            .to_vec(),
        KeyKind::Rsa2048 => RsaKeyPair::from_pkcs8(pkcs8)
            .expect("rsa")
            .public_key()
            .as_ref()
            .to_vec(),
        other => panic!("unexpected {other:?}"),
    }
}

fn ec_leaf() -> (DevCa, CertifiedKey) {
    let ca = DevCa::generate("PFX CA", NOW, 365).expect("ca");
    let leaf = ca
        .issue_server(&["pfx.skybridge.localhost".to_owned()], &[], NOW, 30)
        .expect("leaf");
    (ca, leaf)
}

fn rsa_self_signed() -> CertifiedKey {
    let key = skybridge_pki::generate_key(KeyKind::Rsa2048).expect("rsa");
    let spec = SubjectSpec {
        common_name: "rsa-pfx".to_owned(),
        dns_names: vec![],
        not_before: NOW,
        not_after: NOW + 86_400,
    };
    skybridge_pki::self_signed(&spec, &key).expect("self-signed")
}

#[test]
fn export_import_round_trip() {
    let (ca, leaf) = ec_leaf();
    let chain = vec![leaf.cert_der.clone(), ca.cert_der().to_vec()];
    for password in ["s3cret", ""] {
        let pfx = pfx_export(&leaf.key_pkcs8, &chain, password, "skybridge").expect("export");
        let back = pfx_import(&pfx, password).expect("import");
        assert_eq!(back.key_pkcs8.as_deref(), Some(leaf.key_pkcs8.as_slice()));
        assert_eq!(back.chain, chain);
        assert_eq!(pfx_import(&pfx, "wrong"), Err(PkiError::BadPassword));
        assert!(!format!("{back:?}").contains("BEGIN"));
    }
    let rsa = rsa_self_signed();
    let pfx = pfx_export(
        &rsa.key_pkcs8,
        std::slice::from_ref(&rsa.cert_der),
        "pw",
        "rsa",
    )
    .expect("export");
    let back = pfx_import(&pfx, "pw").expect("import");
    assert_eq!(back.key_pkcs8, Some(rsa.key_pkcs8.clone()));
    assert_eq!(back.chain, vec![rsa.cert_der.clone()]);

    // A PFX whose key belongs to none of its certificates is refused on import.
    let mut store = p12_keystore::KeyStore::new();
    let chain = p12_keystore::PrivateKeyChain::new(
        b"id".to_vec(),
        p12_keystore::PrivateKey::from_der(&leaf.key_pkcs8).expect("key"),
        [p12_keystore::Certificate::from_der(&rsa.cert_der).expect("cert")],
    );
    store.add_entry(
        "mismatch",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
    );
    let mismatched = store.writer("pw").write().expect("write");
    assert!(matches!(
        pfx_import(&mismatched, "pw"),
        Err(PkiError::Malformed(_))
    ));
    let chain = vec![leaf.cert_der.clone(), ca.cert_der().to_vec()];

    // Refusals on export: no leaf, and a key that does not belong to the leaf.
    assert!(matches!(
        pfx_export(&leaf.key_pkcs8, &[], "pw", "x"),
        Err(PkiError::Malformed(_))
    ));
    assert!(matches!(
        pfx_export(&rsa.key_pkcs8, &chain, "pw", "x"),
        Err(PkiError::Malformed(_))
    ));
}

/// Runs openssl but reports failure instead of panicking (the legacy
/// provider is optional in OpenSSL 3 builds).
fn try_openssl(dir: &TempDir, args: &[&str]) -> bool {
    match Command::new("openssl")
        .args(args)
        .current_dir(dir.path())
        .output()
    {
        Ok(out) if out.status.success() => true,
        Ok(out) => {
            eprintln!(
                "openssl {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            false
        }
        Err(_) => false,
    }
}

#[test]
fn imports_openssl_pfx_variants() {
    if !has_openssl() {
        return;
    }
    let (ca, leaf) = ec_leaf();
    let rsa = rsa_self_signed();
    let dir = TempDir::new();
    dir.write("ec.key", leaf.key_pem());
    dir.write("ec.crt", leaf.cert_pem());
    dir.write("ca.crt", ca.cert_pem());
    dir.write("rsa.key", rsa.key_pem());
    dir.write("rsa.crt", rsa.cert_pem());

    let variants: [(&str, &[&str], bool); 3] = [
        ("aes", &[], true),
        ("legacy", &["-legacy"], false),
        (
            "3des",
            &[
                "-certpbe",
                "PBE-SHA1-3DES",
                "-keypbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1",
            ],
            true,
        ),
    ];
    let mut imported = 0;
    for (name, extra, required) in variants {
        for password in ["pw", ""] {
            for (key, crt, ca_file, expect_chain) in [
                (
                    "ec.key",
                    "ec.crt",
                    Some("ca.crt"),
                    vec![leaf.cert_der.clone(), ca.cert_der().to_vec()],
                ),
                ("rsa.key", "rsa.crt", None, vec![rsa.cert_der.clone()]),
            ] {
                let out = format!("{name}-{key}-{}.pfx", password.len());
                let passout = format!("pass:{password}");
                let mut args = vec![
                    "pkcs12", "-export", "-inkey", key, "-in", crt, "-passout", &passout, "-out",
                    &out,
                ];
                if let Some(ca_file) = ca_file {
                    args.extend(["-certfile", ca_file]);
                }
                args.extend(extra.iter().copied());
                if !try_openssl(&dir, &args) {
                    assert!(!required, "openssl could not write the {name} variant");
                    continue;
                }
                let data = dir.read(&out);
                let pfx = pfx_import(&data, password).unwrap_or_else(|e| panic!("{out}: {e}"));
                let original = if key == "ec.key" {
                    &leaf.key_pkcs8
                } else {
                    &rsa.key_pkcs8
                };
                assert_eq!(
                    public_of(pfx.key_pkcs8.as_deref().expect("key")),
                    public_of(original),
                    "{out}"
                );
                assert_eq!(pfx.chain, expect_chain, "{out}");
                let wrong = pfx_import(&data, "nope");
                assert_eq!(wrong, Err(PkiError::BadPassword), "{out}");
                imported += 1;
            }
        }
    }
    assert!(imported >= 8, "only {imported} openssl PFX files imported");
}

#[test]
fn certificate_only_pfx_is_ordered_leaf_first() {
    if !has_openssl() {
        return;
    }
    let (ca, leaf) = ec_leaf();
    let dir = TempDir::new();
    // CA deliberately first in the file.
    dir.write(
        "bundle.crt",
        format!("{}{}", ca.cert_pem(), leaf.cert_pem()),
    );
    let Some(_) = openssl(
        dir.path(),
        &[
            "pkcs12",
            "-export",
            "-nokeys",
            "-in",
            "bundle.crt",
            "-passout",
            "pass:pw",
            "-out",
            "certs.pfx",
        ],
    ) else {
        return;
    };
    let pfx = pfx_import(&dir.read("certs.pfx"), "pw").expect("import");
    assert_eq!(pfx.key_pkcs8, None);
    assert_eq!(
        pfx.chain,
        vec![leaf.cert_der.clone(), ca.cert_der().to_vec()]
    );
}

#[test]
fn openssl_reads_our_export() {
    if !has_openssl() {
        return;
    }
    let (ca, leaf) = ec_leaf();
    let chain = vec![leaf.cert_der.clone(), ca.cert_der().to_vec()];
    let dir = TempDir::new();
    for (password, file) in [("x", "ours.pfx"), ("", "empty.pfx")] {
        dir.write(
            file,
            pfx_export(&leaf.key_pkcs8, &chain, password, "skybridge").expect("export"),
        );
        let passin = format!("pass:{password}");
        let Some(certs) = openssl(
            dir.path(),
            &["pkcs12", "-in", file, "-passin", &passin, "-nokeys"],
        ) else {
            return;
        };
        let mut got = pem::certificates(&String::from_utf8(certs).expect("utf8")).expect("pem");
        got.sort();
        let mut want = chain.clone();
        want.sort();
        assert_eq!(got, want, "{file}");
        let Some(key) = openssl(
            dir.path(),
            &[
                "pkcs12", "-in", file, "-passin", &passin, "-nocerts", "-nodes",
            ],
        ) else {
            return;
        };
        let key = pem::private_key(&String::from_utf8(key).expect("utf8")).expect("key");
        assert_eq!(public_of(&key), public_of(&leaf.key_pkcs8), "{file}");
        // A wrong password must fail in openssl too (the MAC is real).
        assert!(!try_openssl(
            &dir,
            &["pkcs12", "-in", file, "-passin", "pass:bad", "-nokeys"]
        ));
    }
}
