//! The development certificate authority that signs Skybridge's TLS leaves.

use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

use crate::cert::{CertifiedKey, dns_sans, random_serial, set_validity};
use crate::keys::{KeyKind, generate_key, key_matches_cert, signing_key};
use crate::{PkiError, pem};

/// Leaves are backdated so that clients with slightly slow clocks accept them.
const BACKDATE_SECS: i64 = 3600;
const DAY_SECS: i64 = 86_400;
/// CA/B Forum maximum, which Apple and Chrome enforce for TLS server leaves.
const MAX_LEAF_DAYS: i64 = 397;

/// A self-signed CA (EC P-256, pathLen 0) that issues TLS server leaves.
pub struct DevCa {
    cert_der: Vec<u8>,
    key_pkcs8: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

// Hand-written: the issuer holds the private key.
impl std::fmt::Debug for DevCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevCa")
            .field("cert_der", &format_args!("<{} bytes>", self.cert_der.len()))
            .finish_non_exhaustive()
    }
}

impl DevCa {
    /// Creates a new CA: subject `CN=<common_name>, O=Skybridge`,
    /// basicConstraints CA:TRUE pathLen 0, keyUsage keyCertSign + cRLSign +
    /// digitalSignature, valid from `now - 1h` for `validity_days`.
    pub fn generate(common_name: &str, now: i64, validity_days: u32) -> Result<DevCa, PkiError> {
        let key_pkcs8 = generate_key(KeyKind::EcP256)?;
        let key = signing_key(&key_pkcs8)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Skybridge");
        // pathLen 0: this CA signs leaves only, never intermediates.
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let not_before = now.saturating_sub(BACKDATE_SECS);
        let not_after = now.saturating_add(i64::from(validity_days).saturating_mul(DAY_SECS));
        set_validity(&mut params, not_before, not_after)?;
        params.serial_number = Some(random_serial()?);
        let cert = params
            .self_signed(&key)
            .map_err(|e| PkiError::rcgen("signing CA certificate", e))?;
        Ok(DevCa {
            cert_der: cert.der().to_vec(),
            key_pkcs8,
            issuer: Issuer::new(params, key),
        })
    }

    /// Loads a CA saved with [`DevCa::cert_pem`] and [`DevCa::key_pem`]
    /// (or any CA whose key is RSA/EC and whose subject rcgen can re-encode).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<DevCa, PkiError> {
        let cert_der = pem::certificates(cert_pem)?
            .into_iter()
            .next()
            .ok_or_else(|| PkiError::Malformed("no CERTIFICATE block in CA PEM".into()))?;
        let key_pkcs8 = pem::private_key(key_pem)?;
        let (_, parsed) = x509_parser::parse_x509_certificate(&cert_der)
            .map_err(|_| PkiError::Malformed("CA certificate DER".into()))?;
        if !parsed.is_ca() {
            return Err(PkiError::Unsupported(
                "certificate is not a CA (basicConstraints CA:TRUE missing)".into(),
            ));
        }
        check_subject_reencodable(parsed.subject())?;
        if !key_matches_cert(&key_pkcs8, &cert_der)? {
            return Err(PkiError::Malformed(
                "CA private key does not match the CA certificate".into(),
            ));
        }
        let key = signing_key(&key_pkcs8)?;
        let issuer = Issuer::from_ca_cert_der(&cert_der.as_slice().into(), key)
            .map_err(|e| PkiError::rcgen("loading CA certificate", e))?;
        Ok(DevCa {
            cert_der,
            key_pkcs8,
            issuer,
        })
    }

    /// The CA certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The CA certificate as PEM (what clients add to their trust store).
    pub fn cert_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.cert_der)
    }

    /// The CA key as PKCS#8 PEM, for persisting next to [`DevCa::cert_pem`].
    pub fn key_pem(&self) -> String {
        pem::encode("PRIVATE KEY", &self.key_pkcs8)
    }

    /// Issues a TLS server leaf with a fresh EC P-256 key.
    ///
    /// The leaf is explicitly CA:FALSE (rustls/webpki reject CA certificates
    /// as end-entities), has SANs for every DNS name and IP, CN = the first DNS
    /// name (else the first IP), EKU serverAuth, keyUsage digitalSignature and
    /// an authorityKeyIdentifier. Validity starts at `now - 1h` and is capped
    /// at 397 days in total.
    pub fn issue_server(
        &self,
        dns_names: &[String],
        ip_addresses: &[IpAddr],
        now: i64,
        validity_days: u32,
    ) -> Result<CertifiedKey, PkiError> {
        let common_name = match (dns_names.first(), ip_addresses.first()) {
            (Some(dns), _) => dns.clone(),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => {
                return Err(PkiError::Malformed(
                    "a server certificate needs at least one DNS name or IP address".into(),
                ));
            }
        };
        if validity_days == 0 {
            return Err(PkiError::Malformed("validity_days must be positive".into()));
        }
        let key_pkcs8 = generate_key(KeyKind::EcP256)?;
        let key = signing_key(&key_pkcs8)?;

        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        let mut sans = dns_sans(dns_names)?;
        sans.extend(ip_addresses.iter().copied().map(SanType::IpAddress));
        params.subject_alt_names = sans;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let not_before = now.saturating_sub(BACKDATE_SECS);
        let requested = now.saturating_add(i64::from(validity_days).saturating_mul(DAY_SECS));
        let not_after = requested.min(not_before.saturating_add(MAX_LEAF_DAYS * DAY_SECS));
        set_validity(&mut params, not_before, not_after)?;
        params.serial_number = Some(random_serial()?);

        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| PkiError::rcgen("signing server certificate", e))?;
        let cert_der = cert.der().to_vec();
        self.check_issuer_bytes(&cert_der)?;
        Ok(CertifiedKey {
            cert_der,
            key_pkcs8,
        })
    }

    /// Chain building compares names byte for byte; rcgen rebuilds the issuer
    /// name from parsed attributes, so prove the result is identical.
    fn check_issuer_bytes(&self, leaf_der: &[u8]) -> Result<(), PkiError> {
        let (_, ca) = x509_parser::parse_x509_certificate(&self.cert_der)
            .map_err(|_| PkiError::Malformed("CA certificate DER".into()))?;
        let (_, leaf) = x509_parser::parse_x509_certificate(leaf_der)
            .map_err(|_| PkiError::Crypto("issued certificate does not parse".into()))?;
        if leaf.issuer().as_raw() != ca.subject().as_raw() {
            return Err(PkiError::Unsupported(
                "CA subject name cannot be reproduced exactly as the leaf issuer".into(),
            ));
        }
        Ok(())
    }
}

/// rcgen keeps one value per attribute type and one attribute per RDN (and
/// panics on an empty RDN), so refuse such CA subjects up front.
fn check_subject_reencodable(name: &x509_parser::x509::X509Name<'_>) -> Result<(), PkiError> {
    let mut seen = Vec::new();
    for rdn in name.iter() {
        let mut attrs = rdn.iter();
        let (Some(attr), None) = (attrs.next(), attrs.next()) else {
            return Err(PkiError::Unsupported(
                "CA subject with empty or multi-valued RDNs".into(),
            ));
        };
        let oid = attr.attr_type().clone();
        if seen.contains(&oid) {
            return Err(PkiError::Unsupported(
                "CA subject repeating an attribute type".into(),
            ));
        }
        seen.push(oid);
    }
    Ok(())
}
