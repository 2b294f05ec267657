//! Logic Apps' `ClientCertificate` authentication (`pfx`: base64 PKCS#12, `password`): the
//! request goes out over a TLS connection that presents the certificate. The client trusts and
//! resolves what the workflow engine's own client does (system roots, the dev CA, Skybridge's
//! hosts), so only the client certificate differs.
//! https://learn.microsoft.com/azure/logic-apps/logic-apps-securing-a-logic-app#client-certificate-authentication

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine as _;
use skybridge_workflow::engine::AuthenticationStep;

/// Builds HTTP clients that present a client certificate.
#[derive(Clone, Debug, Default)]
pub struct CertificateClients {
    /// Roots trusted beyond the system's (the dev CA).
    pub extra_roots: Vec<Vec<u8>>,
    /// Host names resolved to Skybridge's listener.
    pub resolve: Vec<(String, SocketAddr)>,
    /// Request timeout.
    pub timeout: Duration,
}

impl CertificateClients {
    /// A client presenting the certificate and key of `pfx_base64` (opened with `password`),
    /// and the step describing it (thumbprint and subject, never the key).
    pub fn client(
        &self,
        pfx_base64: &str,
        password: &str,
    ) -> Result<(reqwest::Client, AuthenticationStep), String> {
        let started = Instant::now();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(pfx_base64.trim())
            .map_err(|_| "ClientCertificate: 'pfx' is not base64.".to_string())?;
        let pfx = skybridge_pki::pfx_import(&bytes, password).map_err(|e| match e {
            skybridge_pki::PkiError::BadPassword => {
                "ClientCertificate: the 'password' does not open the 'pfx'.".to_string()
            }
            e => format!("ClientCertificate: the 'pfx' could not be read: {e}."),
        })?;
        let key = pfx
            .key_pkcs8
            .as_deref()
            .ok_or("ClientCertificate: the 'pfx' holds no private key.")?;
        let leaf = pfx
            .chain
            .first()
            .ok_or("ClientCertificate: the 'pfx' holds no certificate.")?;
        let info = skybridge_pki::parse_certificate(leaf)
            .map_err(|e| format!("ClientCertificate: {e}."))?;
        let tls =
            skybridge_net::tls_config_with_client_certificate(&self.extra_roots, &pfx.chain, key)
                .map_err(|e| format!("ClientCertificate: {e}."))?;
        let mut builder = skybridge_net::builder_with(tls, self.timeout);
        for (host, addr) in &self.resolve {
            builder = builder.resolve(host, *addr);
        }
        let client = builder
            .build()
            .map_err(|e| format!("ClientCertificate: {e}."))?;
        let step = AuthenticationStep {
            step: "client certificate".into(),
            target: "TLS client authentication".into(),
            detail: format!(
                "thumbprint {}, subject {}",
                skybridge_pki::thumbprint::hex_upper(&info.sha1),
                info.subject
            ),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        Ok((client, step))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use rustls::DistinguishedName;
    use rustls::client::danger::HandshakeSignatureValid;
    use rustls::pki_types::{CertificateDer, UnixTime};
    use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Requires a client certificate, checks its handshake signature with aws-lc-rs and keeps
    /// it, so the test can compare it with the one in the PFX. (Chain trust is the server's
    /// business, not what this test is about.)
    #[derive(Debug)]
    struct Recording {
        seen: Mutex<Vec<Vec<u8>>>,
        provider: Arc<rustls::crypto::CryptoProvider>,
    }

    impl ClientCertVerifier for Recording {
        fn root_hint_subjects(&self) -> &[DistinguishedName] {
            &[]
        }
        fn verify_client_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: UnixTime,
        ) -> Result<ClientCertVerified, rustls::Error> {
            self.seen.lock().unwrap().push(end_entity.to_vec());
            Ok(ClientCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &rustls::DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &rustls::DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    }

    #[tokio::test]
    async fn the_request_presents_the_pfx_certificate() {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let now = skybridge_jose::Clock::now_unix(&skybridge_jose::SystemClock);
        let ca = skybridge_pki::DevCa::generate("test CA", now, 1).unwrap();
        let server = ca.issue_server(&["api.test".into()], &[], now, 1).unwrap();
        let client_key = skybridge_pki::generate_key(skybridge_pki::KeyKind::Rsa2048).unwrap();
        let client_cert = skybridge_pki::self_signed(
            &skybridge_pki::SubjectSpec {
                common_name: "orders-sync client".into(),
                dns_names: vec![],
                not_before: now - 60,
                not_after: now + 3600,
            },
            &client_key,
        )
        .unwrap();
        let pfx = skybridge_pki::pfx_export(
            &client_key,
            std::slice::from_ref(&client_cert.cert_der),
            "s3cret",
            "client",
        )
        .unwrap();

        let verifier = Arc::new(Recording {
            seen: Mutex::new(Vec::new()),
            provider: provider.clone(),
        });
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier.clone())
            .with_single_cert(
                vec![CertificateDer::from(server.cert_der.clone())],
                rustls::pki_types::PrivateKeyDer::Pkcs8(server.key_pkcs8.clone().into()),
            )
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tls = acceptor.accept(tcp).await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = tls.read(&mut buf).await.unwrap();
            tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await
                .unwrap();
            tls.shutdown().await.unwrap();
        });

        let clients = CertificateClients {
            extra_roots: vec![ca.cert_der().to_vec()],
            resolve: vec![("api.test".into(), addr)],
            timeout: Duration::from_secs(10),
        };
        let b64 = base64::engine::general_purpose::STANDARD.encode(&pfx);
        let (client, step) = clients.client(&b64, "s3cret").unwrap();
        let answer = client
            .get(format!("https://api.test:{}/", addr.port()))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(
            *verifier.seen.lock().unwrap(),
            vec![client_cert.cert_der.clone()]
        );
        assert_eq!(step.step, "client certificate");
        let thumbprint = skybridge_pki::thumbprint::hex_upper(&skybridge_pki::thumbprint::sha1(
            &client_cert.cert_der,
        ));
        assert_eq!(
            step.detail,
            format!("thumbprint {thumbprint}, subject CN=orders-sync client")
        );

        let wrong = clients.client(&b64, "nope").unwrap_err();
        assert_eq!(
            wrong,
            "ClientCertificate: the 'password' does not open the 'pfx'."
        );
        assert_eq!(
            clients.client("%%%", "").unwrap_err(),
            "ClientCertificate: 'pfx' is not base64."
        );
    }
}
