use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use skybridge_pki::{DevCa, KeyKind, PkiError, SubjectSpec, key_kind, parse_certificate, pem};
use x509_parser::extensions::{GeneralName, ParsedExtension};

use crate::common::NOW;

fn login() -> Vec<String> {
    vec!["login.skybridge.localhost".to_owned()]
}

/// Verifies `child`'s signature under `issuer`'s P-256 public key.
fn signed_by(child: &[u8], issuer: &[u8]) -> bool {
    let (_, child) = x509_parser::parse_x509_certificate(child).expect("child");
    let (_, issuer) = x509_parser::parse_x509_certificate(issuer).expect("issuer");
    let key = UnparsedPublicKey::new(
        &ECDSA_P256_SHA256_ASN1,
        issuer.public_key().subject_public_key.data.as_ref(),
    );
    key.verify(
        child.tbs_certificate.as_ref(),
        child.signature_value.data.as_ref(),
    )
    .is_ok()
}

#[test]
fn ca_issues_verifiable_server_leaf() {
    let ca = DevCa::generate("Skybridge Dev CA", NOW, 3650).expect("ca");
    let ca_info = parse_certificate(ca.cert_der()).expect("ca info");
    assert!(ca_info.is_ca);
    assert_eq!(ca_info.subject, "CN=Skybridge Dev CA, O=Skybridge");
    assert_eq!(ca_info.issuer, ca_info.subject);
    assert_eq!(ca_info.not_before, NOW - 3600);
    assert_eq!(ca_info.not_after, NOW + 3650 * 86_400);

    let (_, ca_x509) = x509_parser::parse_x509_certificate(ca.cert_der()).expect("ca x509");
    let bc = ca_x509
        .basic_constraints()
        .expect("bc")
        .expect("bc present")
        .value;
    assert!(bc.ca);
    assert_eq!(bc.path_len_constraint, Some(0));
    let ku = ca_x509.key_usage().expect("ku").expect("ku present").value;
    assert!(ku.key_cert_sign() && ku.crl_sign() && ku.digital_signature());

    let ip: std::net::IpAddr = "127.0.0.1".parse().expect("ip");
    let leaf = ca.issue_server(&login(), &[ip], NOW, 90).expect("leaf");
    let info = parse_certificate(&leaf.cert_der).expect("leaf info");
    assert!(!info.is_ca);
    assert_eq!(info.dns_names, login());
    assert_eq!(info.subject, "CN=login.skybridge.localhost");
    assert_eq!(info.issuer, ca_info.subject);
    assert_eq!(info.not_before, NOW - 3600);
    assert_eq!(info.not_after, NOW + 90 * 86_400);
    assert_eq!(info.serial_hex.len(), 32);
    assert_ne!(info.serial_hex, ca_info.serial_hex);
    assert_eq!(key_kind(&leaf.key_pkcs8).expect("kind"), KeyKind::EcP256);
    assert!(signed_by(&leaf.cert_der, ca.cert_der()));
    assert!(signed_by(ca.cert_der(), ca.cert_der()));

    let (_, x) = x509_parser::parse_x509_certificate(&leaf.cert_der).expect("x509");
    let bc = x
        .basic_constraints()
        .expect("bc")
        .expect("CA:FALSE present")
        .value;
    assert!(!bc.ca);
    let eku = x
        .extended_key_usage()
        .expect("eku")
        .expect("eku present")
        .value;
    assert!(eku.server_auth);
    assert!(
        x.key_usage()
            .expect("ku")
            .expect("ku")
            .value
            .digital_signature()
    );
    let san = x
        .subject_alternative_name()
        .expect("san")
        .expect("san present");
    assert!(
        san.value
            .general_names
            .contains(&GeneralName::IPAddress(&[127, 0, 0, 1]))
    );
    let aki = x
        .iter_extensions()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.clone(),
            _ => None,
        });
    let ski = ca_x509
        .iter_extensions()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.clone()),
            _ => None,
        });
    assert_eq!(aki.expect("aki").0, ski.expect("ski").0);

    // A tampered leaf must not verify (guards against a vacuous check).
    let mut bad = leaf.cert_der.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1; // inside the signature's `s` integer
    assert!(!signed_by(&bad, ca.cert_der()));
}

#[test]
fn leaf_validity_is_capped_at_397_days() {
    let ca = DevCa::generate("Cap CA", NOW, 3650).expect("ca");
    let leaf = ca.issue_server(&login(), &[], NOW, 5000).expect("leaf");
    let info = parse_certificate(&leaf.cert_der).expect("info");
    assert_eq!(info.not_after - info.not_before, 397 * 86_400);
    assert!(matches!(
        ca.issue_server(&[], &[], NOW, 30),
        Err(PkiError::Malformed(_))
    ));
    assert!(matches!(
        ca.issue_server(&login(), &[], NOW, 0),
        Err(PkiError::Malformed(_))
    ));
}

#[test]
fn ca_round_trips_through_pem() {
    let ca = DevCa::generate("Round Trip CA", NOW, 365).expect("ca");
    let cert_pem = ca.cert_pem();
    let key_pem = ca.key_pem();
    assert!(cert_pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let loaded = DevCa::from_pem(&cert_pem, &key_pem).expect("from_pem");
    assert_eq!(loaded.cert_der(), ca.cert_der());
    assert_eq!(loaded.key_pem(), key_pem);
    let leaf = loaded.issue_server(&login(), &[], NOW, 30).expect("leaf");
    let info = parse_certificate(&leaf.cert_der).expect("info");
    assert_eq!(info.issuer, "CN=Round Trip CA, O=Skybridge");
    assert!(signed_by(&leaf.cert_der, ca.cert_der()));

    // CRLF-converted files (edited on Windows) still load.
    let loaded = DevCa::from_pem(
        &cert_pem.replace('\n', "\r\n"),
        &key_pem.replace('\n', "\r\n"),
    );
    assert!(loaded.is_ok());

    // A key that is not the CA's is refused.
    let other = DevCa::generate("Other", NOW, 365).expect("other");
    assert!(matches!(
        DevCa::from_pem(&cert_pem, &other.key_pem()),
        Err(PkiError::Malformed(_))
    ));
    // A leaf is not a CA.
    assert!(matches!(
        DevCa::from_pem(&leaf.cert_pem(), &leaf.key_pem()),
        Err(PkiError::Unsupported(_))
    ));
    assert!(DevCa::from_pem("", &key_pem).is_err());
}

#[test]
fn self_signed_for_rsa_and_ec_keys() {
    for kind in [
        KeyKind::Rsa2048,
        KeyKind::EcP256,
        KeyKind::EcP384,
        KeyKind::EcP521,
    ] {
        let key = skybridge_pki::generate_key(kind).expect("key");
        let spec = SubjectSpec {
            common_name: "token-signing".to_owned(),
            dns_names: vec!["client.example".to_owned()],
            not_before: NOW,
            not_after: NOW + 86_400,
        };
        let ck = skybridge_pki::self_signed(&spec, &key).expect("self-signed");
        assert_eq!(ck.key_pkcs8, key);
        let info = parse_certificate(&ck.cert_der).expect("info");
        assert!(!info.is_ca, "{kind:?}");
        assert_eq!(info.subject, "CN=token-signing");
        assert_eq!(info.issuer, info.subject);
        assert_eq!(info.dns_names, spec.dns_names);
        assert_eq!((info.not_before, info.not_after), (NOW, NOW + 86_400));
        let (_, x) = x509_parser::parse_x509_certificate(&ck.cert_der).expect("x509");
        let eku = x.extended_key_usage().expect("eku").expect("eku").value;
        assert!(eku.client_auth && eku.server_auth);
        assert!(
            x.key_usage()
                .expect("ku")
                .expect("ku")
                .value
                .digital_signature()
        );
        assert_eq!(
            pem::certificates(&ck.cert_pem()).expect("pem"),
            vec![ck.cert_der.clone()]
        );
        assert_eq!(pem::private_key(&ck.key_pem()).expect("pem"), key);
        assert!(!format!("{ck:?}").contains(&pem::encode("X", &key)[20..40]));
    }
    let key = skybridge_pki::generate_key(KeyKind::EcP256).expect("key");
    let backwards = SubjectSpec {
        common_name: "x".to_owned(),
        dns_names: vec![],
        not_before: NOW,
        not_after: NOW,
    };
    assert!(skybridge_pki::self_signed(&backwards, &key).is_err());
    assert!(skybridge_pki::self_signed(&backwards, b"not a key").is_err());
}
