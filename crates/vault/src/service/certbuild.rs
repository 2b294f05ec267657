//! Issuing a self-signed certificate (issuer `Self`) from a certificate policy's x509
//! properties: subject, SANs, EKUs, key usage and validity. Also makes the CSR the pending
//! operation reports.

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose,
    SanType, SerialNumber,
};
use time::OffsetDateTime;

use crate::api::certificates::X509Properties;
use crate::error::{VaultError, bad};
use crate::names::printable;

/// What issuing produced.
pub struct Issued {
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The matching PKCS#10 request, DER.
    pub csr_der: Vec<u8>,
}

/// Average month length in seconds (365.25 / 12 days); validity_months is approximate, and
/// nothing depends on calendar precision here.
const MONTH_SECS: i64 = 2_629_800;

fn dn(subject: &str) -> Result<DistinguishedName, VaultError> {
    let mut dn = DistinguishedName::new();
    for part in subject
        .split([',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| bad(format!("Invalid subject {}.", printable(subject))))?;
        let ty = match key.trim().to_ascii_uppercase().as_str() {
            "CN" => DnType::CommonName,
            "O" => DnType::OrganizationName,
            "OU" => DnType::OrganizationalUnitName,
            "L" => DnType::LocalityName,
            "ST" | "S" => DnType::StateOrProvinceName,
            "C" => DnType::CountryName,
            // emailAddress, 1.2.840.113549.1.9.1
            "E" | "EMAIL" | "EMAILADDRESS" => {
                DnType::CustomDnType(vec![1, 2, 840, 113_549, 1, 9, 1])
            }
            "DC" => DnType::CustomDnType(vec![0, 9, 2342, 19_200_300, 100, 1, 25]),
            other => {
                return Err(bad(format!(
                    "Unsupported attribute {} in the subject.",
                    printable(other)
                )));
            }
        };
        dn.push(ty, value.trim());
    }
    Ok(dn)
}

fn eku(oid: &str) -> Result<ExtendedKeyUsagePurpose, VaultError> {
    Ok(match oid {
        "1.3.6.1.5.5.7.3.1" => ExtendedKeyUsagePurpose::ServerAuth,
        "1.3.6.1.5.5.7.3.2" => ExtendedKeyUsagePurpose::ClientAuth,
        "1.3.6.1.5.5.7.3.3" => ExtendedKeyUsagePurpose::CodeSigning,
        "1.3.6.1.5.5.7.3.4" => ExtendedKeyUsagePurpose::EmailProtection,
        "1.3.6.1.5.5.7.3.8" => ExtendedKeyUsagePurpose::TimeStamping,
        "1.3.6.1.5.5.7.3.9" => ExtendedKeyUsagePurpose::OcspSigning,
        other => {
            let arcs = other
                .split('.')
                .map(str::parse::<u64>)
                .collect::<Result<Vec<_>, _>>()
                .ok()
                .filter(|a| a.len() >= 2)
                .ok_or_else(|| bad(format!("Invalid EKU {}.", printable(other))))?;
            ExtendedKeyUsagePurpose::Other(arcs)
        }
    })
}

fn key_usage(name: &str) -> Result<KeyUsagePurpose, VaultError> {
    Ok(match name {
        "digitalSignature" => KeyUsagePurpose::DigitalSignature,
        "nonRepudiation" => KeyUsagePurpose::ContentCommitment,
        "keyEncipherment" => KeyUsagePurpose::KeyEncipherment,
        "dataEncipherment" => KeyUsagePurpose::DataEncipherment,
        "keyAgreement" => KeyUsagePurpose::KeyAgreement,
        "keyCertSign" => KeyUsagePurpose::KeyCertSign,
        "cRLSign" => KeyUsagePurpose::CrlSign,
        "encipherOnly" => KeyUsagePurpose::EncipherOnly,
        "decipherOnly" => KeyUsagePurpose::DecipherOnly,
        other => return Err(bad(format!("Invalid key usage {}.", printable(other)))),
    })
}

fn ia5(s: &str) -> Result<rcgen::string::Ia5String, VaultError> {
    s.try_into().map_err(|_| {
        bad(format!(
            "Invalid subject alternative name {}.",
            printable(s)
        ))
    })
}

fn params(x509: &X509Properties, now: i64) -> Result<CertificateParams, VaultError> {
    let mut p = CertificateParams::default();
    let subject = x509.subject.as_deref().unwrap_or("");
    p.distinguished_name = dn(subject)?;
    let sans = x509.sans.clone().unwrap_or_default();
    let mut names = Vec::new();
    for d in sans.dns_names.iter().flatten() {
        names.push(SanType::DnsName(ia5(d)?));
    }
    for e in sans.emails.iter().flatten() {
        names.push(SanType::Rfc822Name(ia5(e)?));
    }
    for u in sans.uris.iter().flatten() {
        names.push(SanType::URI(ia5(u)?));
    }
    for ip in sans.ip_addresses.iter().flatten() {
        let addr = ip
            .parse()
            .map_err(|_| bad(format!("Invalid IP address {}.", printable(ip))))?;
        names.push(SanType::IpAddress(addr));
    }
    if subject.trim().is_empty() && names.is_empty() {
        return Err(bad(
            "The policy needs a subject or subject alternative names.",
        ));
    }
    p.subject_alt_names = names;
    p.is_ca = IsCa::ExplicitNoCa;
    p.extended_key_usages = x509
        .ekus
        .iter()
        .flatten()
        .map(|o| eku(o))
        .collect::<Result<_, _>>()?;
    p.key_usages = x509
        .key_usage
        .iter()
        .flatten()
        .map(|k| key_usage(k))
        .collect::<Result<_, _>>()?;
    let months = i64::from(x509.validity_months.unwrap_or(12));
    if !(1..=1200).contains(&months) {
        return Err(bad("validity_months must be between 1 and 1200."));
    }
    let time = |t: i64| {
        OffsetDateTime::from_unix_timestamp(t).map_err(|_| VaultError::Internal("time".into()))
    };
    // Backdated a little, so a client whose clock lags still accepts it.
    p.not_before = time(now - 300)?;
    p.not_after = time(now + months * MONTH_SECS)?;
    let mut serial = [0u8; 16];
    aws_lc_rs::rand::fill(&mut serial).map_err(|_| VaultError::Internal("rng".into()))?;
    serial[0] = (serial[0] & 0x7f) | 0x40;
    p.serial_number = Some(SerialNumber::from_slice(&serial));
    Ok(p)
}

fn key_pair(pkcs8: &[u8]) -> Result<rcgen::KeyPair, VaultError> {
    rcgen::KeyPair::try_from(pkcs8)
        .map_err(|e| VaultError::Internal(format!("loading the certificate key: {e}")))
}

/// The PKCS#10 request for `params`, signed by `key`.
fn csr_der(params: &CertificateParams, key: &rcgen::KeyPair) -> Result<Vec<u8>, VaultError> {
    // A request carries no serial, validity or basic constraints; rcgen refuses them there.
    let mut request = params.clone();
    request.serial_number = None;
    request.is_ca = IsCa::NoCa;
    let defaults = CertificateParams::default();
    request.not_before = defaults.not_before;
    request.not_after = defaults.not_after;
    let csr = request
        .serialize_request(key)
        .map_err(|e| VaultError::Internal(format!("CSR: {e}")))?;
    Ok(csr.der().to_vec())
}

/// Issues a self-signed certificate for the key (PKCS#8) and its CSR.
pub fn self_signed(x509: &X509Properties, pkcs8: &[u8], now: i64) -> Result<Issued, VaultError> {
    let params = params(x509, now)?;
    let key = key_pair(pkcs8)?;
    let csr_der = csr_der(&params, &key)?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| VaultError::Internal(format!("self-signing: {e}")))?;
    Ok(Issued {
        cert_der: cert.der().to_vec(),
        csr_der,
    })
}

/// The CSR for issuer `Unknown`: subject, SANs, key usage and EKUs from the policy, signed by
/// the new key, for the caller's CA to sign.
pub fn request(x509: &X509Properties, pkcs8: &[u8], now: i64) -> Result<Vec<u8>, VaultError> {
    csr_der(&params(x509, now)?, &key_pair(pkcs8)?)
}

/// The raw public key (the SubjectPublicKeyInfo's bit string) of a PKCS#8 private key.
pub fn public_key_bits(pkcs8: &[u8]) -> Result<Vec<u8>, VaultError> {
    use rcgen::PublicKeyData;
    Ok(key_pair(pkcs8)?.der_bytes().to_vec())
}

/// The raw public key of a DER certificate, or None when it does not parse.
pub fn certificate_key_bits(der: &[u8]) -> Option<Vec<u8>> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(cert.public_key().subject_public_key.data.to_vec())
}

/// The validity a policy gives a certificate issued now: Key Vault reports it on a version
/// that is still pending (nbf ten minutes back, as in Azure's recordings).
pub fn planned_validity(x509: &X509Properties, now: i64) -> (i64, i64) {
    let months = i64::from(x509.validity_months.unwrap_or(12));
    (now - 600, now + months * MONTH_SECS)
}
