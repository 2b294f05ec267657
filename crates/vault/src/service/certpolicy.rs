//! Certificate policies (Key Vault's defaults, merging updates) and the certificate secret's
//! encodings (PFX or PEM, with the private key only when exportable).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use skybridge_pki::{KeyKind, PkiError, pem};

use crate::api::certificates::CertificatePolicy;
use crate::crypto;
use crate::error::{VaultError, bad};

/// The secret content types Key Vault stores certificates as.
pub const PKCS12: &str = "application/x-pkcs12";
/// PEM: the private key (when exportable) then the chain.
pub const PEM: &str = "application/x-pem-file";

/// Fills in what Key Vault fills in when a policy leaves it out.
pub fn normalize_policy(mut p: CertificatePolicy) -> Result<CertificatePolicy, VaultError> {
    let mut kp = p.key_props.take().unwrap_or_default();
    let kty = kp.kty.clone().unwrap_or_else(|| "RSA".into());
    let kind = crypto::requested_kind(&kty, kp.key_size, kp.crv.as_deref())?;
    if crypto::is_rsa(kind) {
        kp.key_size = Some(kp.key_size.unwrap_or(2048));
        kp.crv = None;
    } else {
        kp.crv = Some(kp.crv.unwrap_or_else(|| "P-256".into()));
        kp.key_size = None;
    }
    kp.kty = Some(kty);
    kp.exportable = Some(kp.exportable.unwrap_or(true));
    kp.reuse_key = Some(kp.reuse_key.unwrap_or(false));
    p.key_props = Some(kp);
    let mut sp = p.secret_props.take().unwrap_or_default();
    let ct = sp.content_type.unwrap_or_else(|| PKCS12.into());
    if ct != PKCS12 && ct != PEM {
        return Err(bad(format!(
            "Invalid content type {}: use {PKCS12} or {PEM}.",
            crate::names::printable(&ct)
        )));
    }
    sp.content_type = Some(ct);
    p.secret_props = Some(sp);
    let mut x = p.x509_props.take().unwrap_or_default();
    x.validity_months = Some(x.validity_months.unwrap_or(12));
    if x.ekus.is_none() {
        x.ekus = Some(vec!["1.3.6.1.5.5.7.3.1".into(), "1.3.6.1.5.5.7.3.2".into()]);
    }
    if x.key_usage.is_none() {
        let usage: &[&str] = if crypto::is_rsa(kind) {
            &["digitalSignature", "keyEncipherment"]
        } else {
            &["digitalSignature"]
        };
        x.key_usage = Some(usage.iter().map(|s| (*s).to_string()).collect());
    }
    p.x509_props = Some(x);
    if p.lifetime_actions.is_none() {
        p.lifetime_actions = Some(serde_json::json!([
            {"trigger": {"lifetime_percentage": 80}, "action": {"action_type": "AutoRenew"}}
        ]));
    }
    // No issuer means a manually issued certificate: "Set the name of the issuer to 'Unknown'
    // or don't specify the issuer field" (learn.microsoft.com, "Monitor and manage certificate
    // creation", Create a KV certificate manually).
    let mut issuer = p.issuer.take().unwrap_or_default();
    issuer.name = Some(
        issuer
            .name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "Unknown".into()),
    );
    p.issuer = Some(issuer);
    p.id = None;
    Ok(p)
}

/// A new private key (PKCS#8) of the kind the policy's `key_props` ask for (RSA by default),
/// and that kind.
pub(crate) async fn generate_policy_key(
    policy: &CertificatePolicy,
) -> Result<(KeyKind, Vec<u8>), VaultError> {
    let kp = policy.key_props.clone().unwrap_or_default();
    let kind = crypto::requested_kind(
        kp.kty.as_deref().unwrap_or("RSA"),
        kp.key_size,
        kp.crv.as_deref(),
    )?;
    Ok((kind, crypto::generate_off_thread(kind).await?))
}

pub(crate) fn pki_error(e: PkiError) -> VaultError {
    match e {
        PkiError::BadPassword => bad("The PFX password is wrong or the file is corrupt."),
        other => bad(format!("The certificate could not be read: {other}")),
    }
}

/// A PFX with only certificates (for non-exportable keys).
fn certificate_only_pfx(chain: &[Vec<u8>]) -> Result<Vec<u8>, VaultError> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry};
    let mut store = KeyStore::new();
    for (i, der) in chain.iter().enumerate() {
        let cert = Certificate::from_der(der).map_err(|_| VaultError::Internal("cert".into()))?;
        store.add_entry(&format!("cert{i}"), KeyStoreEntry::Certificate(cert));
    }
    store
        .writer("")
        .write()
        .map_err(|e| VaultError::Internal(format!("writing PFX: {e}")))
}

/// The certificate's secret value in its content type.
pub(crate) fn secret_value(
    content_type: &str,
    pkcs8: &[u8],
    chain: &[Vec<u8>],
    exportable: bool,
    name: &str,
) -> Result<String, VaultError> {
    if content_type == PEM {
        let mut out = String::new();
        if exportable {
            out.push_str(&pem::encode("PRIVATE KEY", pkcs8));
        }
        for der in chain {
            out.push_str(&pem::encode("CERTIFICATE", der));
        }
        return Ok(out);
    }
    let pfx = if exportable {
        skybridge_pki::pfx_export(pkcs8, chain, "", name)
            .map_err(|e| VaultError::Internal(e.to_string()))?
    } else {
        certificate_only_pfx(chain)?
    };
    Ok(STANDARD.encode(pfx))
}

/// Applies the present sections of `update` over `current`.
pub(crate) fn merge_policy(
    mut current: CertificatePolicy,
    update: CertificatePolicy,
) -> Result<CertificatePolicy, VaultError> {
    if update.key_props.is_some() {
        current.key_props = update.key_props;
    }
    if update.secret_props.is_some() {
        current.secret_props = update.secret_props;
    }
    if update.x509_props.is_some() {
        current.x509_props = update.x509_props;
    }
    if update.lifetime_actions.is_some() {
        current.lifetime_actions = update.lifetime_actions;
    }
    if update.issuer.is_some() {
        current.issuer = update.issuer;
    }
    normalize_policy(current)
}
