//! PKCS#12 (PFX) import and export, as Key Vault certificate import/download uses.

use p12_keystore::error::Error as P12Error;
use p12_keystore::{
    Certificate, KeyStore, KeyStoreEntry, Pkcs12Archive, PrivateKey, PrivateKeyChain,
};

use crate::keys::{cert_public_key_raw, key_matches_cert, public_key_raw};
use crate::{PkiError, thumbprint};

/// The useful content of a PFX file.
#[derive(Clone, PartialEq, Eq)]
pub struct Pfx {
    /// The first private key in the file, PKCS#8 DER, if any.
    pub key_pkcs8: Option<Vec<u8>>,
    /// Certificates, DER: the leaf first (the one matching the key when there
    /// is a key), then its issuers in chain order, then any others.
    pub chain: Vec<Vec<u8>>,
}

// Hand-written so `{:?}` can never leak the private key.
impl std::fmt::Debug for Pfx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pfx")
            .field("key_pkcs8", &self.key_pkcs8.as_ref().map(|_| "<redacted>"))
            .field("chain_len", &self.chain.len())
            .finish()
    }
}

/// Opens a PFX. Reads the OpenSSL 3 default (PBES2/AES-256, SHA-256 MAC) and
/// legacy (RC2-40 / 3DES, SHA-1 MAC) encodings.
///
/// A MAC or decryption failure is [`PkiError::BadPassword`]. When a key is
/// present but no certificate in the file matches it, the file is rejected
/// rather than guessing a leaf. Only the first key is returned.
pub fn pfx_import(data: &[u8], password: &str) -> Result<Pfx, PkiError> {
    let archive = Pkcs12Archive::from_pkcs12(data, password).map_err(import_error)?;
    let mut certs: Vec<Vec<u8>> = Vec::new();
    for bag in &archive.certs {
        let der = bag.cert.as_der();
        // Some writers put the same certificate in twice (e.g. leaf and trust bags).
        if !certs.iter().any(|c| c.as_slice() == der) {
            certs.push(der.to_vec());
        }
    }
    let key_pkcs8 = archive.keys.first().map(|bag| bag.key.as_der().to_vec());

    let leaf = match archive.keys.first() {
        Some(bag) if !certs.is_empty() => {
            let found = match public_key_raw(bag.key.as_der()) {
                Ok(pk) => certs
                    .iter()
                    .position(|c| cert_public_key_raw(c).is_ok_and(|cpk| cpk == pk)),
                // Keys we cannot load (e.g. DSA) can only pair up via localKeyId.
                Err(_) => bag.local_key_id.as_ref().and_then(|id| {
                    archive
                        .certs
                        .iter()
                        .find(|c| c.local_key_id.as_deref() == Some(id.as_ref()))
                        .and_then(|c| certs.iter().position(|d| d.as_slice() == c.cert.as_der()))
                }),
            };
            Some(found.ok_or_else(|| {
                PkiError::Malformed("no certificate in the PFX matches its private key".into())
            })?)
        }
        _ => None,
    };
    let chain = order_chain(certs, leaf)?;
    Ok(Pfx { key_pkcs8, chain })
}

/// Writes a PFX with PBES2/AES-256-CBC encryption and an HMAC-SHA-256 MAC
/// (the modern default that OpenSSL 3, .NET and Windows read).
///
/// `chain` must start with the certificate for `key_pkcs8`; `friendly_name`
/// labels the key bag (Windows shows it in the certificate store).
pub fn pfx_export(
    key_pkcs8: &[u8],
    chain: &[Vec<u8>],
    password: &str,
    friendly_name: &str,
) -> Result<Vec<u8>, PkiError> {
    let leaf = chain
        .first()
        .ok_or_else(|| PkiError::Malformed("PFX chain must contain the leaf certificate".into()))?;
    if !key_matches_cert(key_pkcs8, leaf)? {
        return Err(PkiError::Malformed(
            "private key does not match the leaf certificate".into(),
        ));
    }
    let key = PrivateKey::from_der(key_pkcs8)
        .map_err(|_| PkiError::Malformed("private key is not PKCS#8".into()))?;
    let certs = chain
        .iter()
        .map(|der| Certificate::from_der(der))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| PkiError::Malformed("certificate DER in chain".into()))?;
    // OpenSSL and Windows use the leaf's SHA-1 thumbprint as localKeyId.
    let local_key_id = thumbprint::sha1(leaf).to_vec();
    let mut store = KeyStore::new();
    store.add_entry(
        friendly_name,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, key, certs)),
    );
    store
        .writer(password)
        .write()
        .map_err(|e| PkiError::Crypto(format!("writing PFX: {e}")))
}

/// Leaf first, then each issuer found by exact name match, then the rest in
/// file order.
fn order_chain(certs: Vec<Vec<u8>>, leaf: Option<usize>) -> Result<Vec<Vec<u8>>, PkiError> {
    let names = certs
        .iter()
        .map(|der| {
            let (_, c) = x509_parser::parse_x509_certificate(der)
                .map_err(|_| PkiError::Malformed("certificate DER in PFX".into()))?;
            Ok((c.subject().as_raw().to_vec(), c.issuer().as_raw().to_vec()))
        })
        .collect::<Result<Vec<_>, PkiError>>()?;
    // Without a key, the leaf is the first certificate that issued no other.
    let leaf = leaf.or_else(|| {
        (0..certs.len()).find(|&i| {
            !names
                .iter()
                .enumerate()
                .any(|(j, (_, issuer))| j != i && *issuer == names[i].0)
        })
    });
    let Some(leaf) = leaf else {
        return Ok(certs);
    };
    let mut order = vec![leaf];
    let mut used = vec![false; certs.len()];
    used[leaf] = true;
    let mut current = leaf;
    while names[current].0 != names[current].1 {
        let issuer = &names[current].1;
        let Some(next) = (0..certs.len()).find(|&j| !used[j] && names[j].0 == *issuer) else {
            break;
        };
        used[next] = true;
        order.push(next);
        current = next;
    }
    order.extend((0..certs.len()).filter(|&j| !used[j]));
    let mut slots: Vec<Option<Vec<u8>>> = certs.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

fn import_error(err: P12Error) -> PkiError {
    match err {
        P12Error::MacError(_) | P12Error::UnpadError => PkiError::BadPassword,
        P12Error::Pkcs5Error(msg) if msg.contains("decryption failed") => PkiError::BadPassword,
        P12Error::Pkcs5Error(msg) if msg.contains("unsupported") => PkiError::Unsupported(msg),
        P12Error::UnsupportedEncryptionScheme
        | P12Error::UnsupportedMacAlgorithm
        | P12Error::UnsupportedContentType
        | P12Error::UnsupportedCertificateType => {
            PkiError::Unsupported(format!("PFX feature: {err}"))
        }
        // Iteration counts or scrypt costs beyond p12-keystore's safety caps.
        P12Error::InvalidParameters => {
            PkiError::Unsupported("PFX key-derivation parameters out of range".into())
        }
        other => PkiError::Malformed(format!("PFX: {other}")),
    }
}
