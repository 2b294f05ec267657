//! Self-signed end-entity certificates and helpers shared with the dev CA.

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose,
    SanType, SerialNumber,
};
use time::OffsetDateTime;

use crate::PkiError;
use crate::keys::signing_key;
use crate::pem;

/// A certificate together with the private key it certifies.
#[derive(Clone, PartialEq, Eq)]
pub struct CertifiedKey {
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The subject's private key, PKCS#8 DER.
    pub key_pkcs8: Vec<u8>,
}

impl CertifiedKey {
    /// The certificate as a `CERTIFICATE` PEM block.
    pub fn cert_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.cert_der)
    }

    /// The key as a `PRIVATE KEY` (PKCS#8) PEM block.
    pub fn key_pem(&self) -> String {
        pem::encode("PRIVATE KEY", &self.key_pkcs8)
    }
}

// Hand-written so `{:?}` on a CertifiedKey can never leak the private key.
impl std::fmt::Debug for CertifiedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertifiedKey")
            .field("cert_der", &format_args!("<{} bytes>", self.cert_der.len()))
            .field("key_pkcs8", &"<redacted>")
            .finish()
    }
}

/// Subject and validity of a self-signed certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectSpec {
    /// Subject CN.
    pub common_name: String,
    /// DNS subjectAltNames; may be empty (token-signing certificates have none).
    pub dns_names: Vec<String>,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds; must be after `not_before`.
    pub not_after: i64,
}

/// Issues a non-CA self-signed certificate for an existing RSA or EC key.
///
/// Used for token-signing keys published as JWKS `x5c` and for test client
/// certificates: keyUsage digitalSignature, EKU clientAuth + serverAuth,
/// random serial.
pub fn self_signed(spec: &SubjectSpec, key_pkcs8: &[u8]) -> Result<CertifiedKey, PkiError> {
    let key = signing_key(key_pkcs8)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, spec.common_name.as_str());
    params.subject_alt_names = dns_sans(&spec.dns_names)?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    set_validity(&mut params, spec.not_before, spec.not_after)?;
    params.serial_number = Some(random_serial()?);
    let cert = params
        .self_signed(&key)
        .map_err(|e| PkiError::rcgen("signing self-signed certificate", e))?;
    Ok(CertifiedKey {
        cert_der: cert.der().to_vec(),
        key_pkcs8: key_pkcs8.to_vec(),
    })
}

pub(crate) fn dns_sans(names: &[String]) -> Result<Vec<SanType>, PkiError> {
    names
        .iter()
        .map(|n| {
            n.as_str()
                .try_into()
                .map(SanType::DnsName)
                .map_err(|_| PkiError::Malformed(format!("DNS name {n:?} is not ASCII")))
        })
        .collect()
}

pub(crate) fn set_validity(
    params: &mut CertificateParams,
    not_before: i64,
    not_after: i64,
) -> Result<(), PkiError> {
    if not_after <= not_before {
        return Err(PkiError::Malformed(
            "not_after must be after not_before".into(),
        ));
    }
    params.not_before = unix_time(not_before)?;
    params.not_after = unix_time(not_after)?;
    Ok(())
}

fn unix_time(secs: i64) -> Result<OffsetDateTime, PkiError> {
    OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|_| PkiError::Malformed(format!("timestamp {secs} out of range")))
}

/// 128 random bits, positive and without a leading zero octet, as CA/B
/// Forum practice asks for unpredictable serials.
pub(crate) fn random_serial() -> Result<SerialNumber, PkiError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| PkiError::Crypto("RNG failure".into()))?;
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}
