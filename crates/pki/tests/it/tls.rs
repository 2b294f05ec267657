//! Real rustls handshakes: the issued leaf must be accepted by a client that
//! trusts only the dev CA, and the CA certificate itself must not be.

use std::sync::Arc;

use rustls::{
    ClientConfig, ClientConnection, Connection, RootCertStore, ServerConfig, ServerConnection,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use skybridge_pki::{DevCa, pem};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

fn handshake(
    chain: &[Vec<u8>],
    key_pkcs8: &[u8],
    trust: &[u8],
    name: &str,
) -> Result<(), rustls::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certs = chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8.to_vec()));
    let server_config = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(trust.to_vec()))?;
    let client_config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server_name = ServerName::try_from(name.to_owned()).expect("server name");
    let mut client: Connection =
        ClientConnection::new(Arc::new(client_config), server_name)?.into();
    let mut server: Connection = ServerConnection::new(Arc::new(server_config))?.into();
    for _ in 0..16 {
        pump(&mut client, &mut server)?;
        pump(&mut server, &mut client)?;
        if !client.is_handshaking() && !server.is_handshaking() {
            return Ok(());
        }
    }
    Err(rustls::Error::General("handshake did not finish".into()))
}

fn pump(from: &mut Connection, to: &mut Connection) -> Result<(), rustls::Error> {
    let mut buf = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut buf).expect("write_tls to Vec");
    }
    let mut rest = &buf[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).expect("read_tls from slice");
        to.process_new_packets()?;
    }
    Ok(())
}

#[test]
fn leaf_handshakes_with_client_trusting_only_the_ca() {
    // Real time: rustls checks validity against the system clock.
    let ca = DevCa::generate("TLS CA", now(), 30).expect("ca");
    let ip: std::net::IpAddr = "127.0.0.1".parse().expect("ip");
    let names = vec![
        "login.skybridge.localhost".to_owned(),
        "vault.skybridge.localhost".to_owned(),
    ];
    let leaf = ca.issue_server(&names, &[ip], now(), 30).expect("leaf");
    let chain = [leaf.cert_der.clone()];
    handshake(
        &chain,
        &leaf.key_pkcs8,
        ca.cert_der(),
        "login.skybridge.localhost",
    )
    .expect("dns handshake");
    handshake(
        &chain,
        &leaf.key_pkcs8,
        ca.cert_der(),
        "vault.skybridge.localhost",
    )
    .expect("2nd name");
    handshake(&chain, &leaf.key_pkcs8, ca.cert_der(), "127.0.0.1").expect("ip handshake");
    // Sending the CA along is what servers usually do; it must still work.
    let with_ca = [leaf.cert_der.clone(), ca.cert_der().to_vec()];
    handshake(
        &with_ca,
        &leaf.key_pkcs8,
        ca.cert_der(),
        "login.skybridge.localhost",
    )
    .expect("with ca");

    let err = handshake(&chain, &leaf.key_pkcs8, ca.cert_der(), "other.localhost")
        .expect_err("wrong name");
    assert!(
        matches!(err, rustls::Error::InvalidCertificate(_)),
        "{err:?}"
    );
    let stranger = DevCa::generate("Stranger", now(), 30).expect("ca");
    let err = handshake(
        &chain,
        &leaf.key_pkcs8,
        stranger.cert_der(),
        "login.skybridge.localhost",
    )
    .expect_err("untrusted");
    assert!(
        matches!(err, rustls::Error::InvalidCertificate(_)),
        "{err:?}"
    );
}

#[test]
fn ca_certificate_as_server_certificate_is_rejected() {
    let ca = DevCa::generate("TLS CA", now(), 30).expect("ca");
    let ca_key = pem::private_key(&ca.key_pem()).expect("ca key");
    let err = handshake(
        &[ca.cert_der().to_vec()],
        &ca_key,
        ca.cert_der(),
        "login.skybridge.localhost",
    )
    .expect_err("a CA certificate must not work as a server certificate");
    // webpki's specific verdict, not merely a name mismatch (the CA has no SANs).
    assert!(format!("{err:?}").contains("CaUsedAsEndEntity"), "{err:?}");
}
