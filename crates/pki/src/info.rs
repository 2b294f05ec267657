//! Read-only certificate inspection for Key Vault certificate metadata.

use x509_parser::extensions::GeneralName;

use crate::{PkiError, thumbprint};

/// The parts of an X.509 certificate the emulator reports or matches on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// RFC 4514-style subject, e.g. `CN=login.skybridge.localhost`.
    pub subject: String,
    /// RFC 4514-style issuer.
    pub issuer: String,
    /// Serial number bytes as encoded (sign octet included), uppercase hex.
    pub serial_hex: String,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    /// basicConstraints CA:TRUE.
    pub is_ca: bool,
    /// DNS subjectAltNames, in certificate order.
    pub dns_names: Vec<String>,
    /// The SubjectPublicKeyInfo, DER.
    pub spki_der: Vec<u8>,
    /// SHA-1 thumbprint of the whole certificate.
    pub sha1: [u8; 20],
    /// SHA-256 thumbprint of the whole certificate.
    pub sha256: [u8; 32],
}

/// Parses one DER certificate. Trailing bytes after it are rejected.
pub fn parse_certificate(der: &[u8]) -> Result<CertInfo, PkiError> {
    let (rest, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| PkiError::Malformed(format!("certificate: {e}")))?;
    if !rest.is_empty() {
        return Err(PkiError::Malformed(
            "trailing bytes after certificate".into(),
        ));
    }
    let dns_names = match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(d) => Some((*d).to_owned()),
                _ => None,
            })
            .collect(),
        Ok(None) => Vec::new(),
        Err(e) => return Err(PkiError::Malformed(format!("subjectAltName: {e}"))),
    };
    let is_ca = match cert.basic_constraints() {
        Ok(bc) => bc.is_some_and(|b| b.value.ca),
        Err(e) => return Err(PkiError::Malformed(format!("basicConstraints: {e}"))),
    };
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial_hex: thumbprint::hex_upper(cert.raw_serial()),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        is_ca,
        dns_names,
        spki_der: cert.public_key().raw.to_vec(),
        sha1: thumbprint::sha1(der),
        sha256: thumbprint::sha256(der),
    })
}
