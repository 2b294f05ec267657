//! PEM (RFC 7468) decoding and encoding.
//!
//! Hand-rolled rather than a dependency: we need only labelled blocks, must
//! tolerate CRLF and prose around the blocks (as in Key Vault and openssl
//! output), and must spot legacy encrypted keys to refuse them clearly.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

use crate::PkiError;
use crate::keys::{pkcs1_to_pkcs8, sec1_to_pkcs8};

/// Padding is optional in the wild (some tools strip it), so accept both.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One `-----BEGIN label-----` ... `-----END label-----` block, still undecoded
/// so that an unrelated broken block cannot fail a search for another label.
struct Block {
    label: String,
    /// RFC 1421 `Proc-Type: 4,ENCRYPTED` header seen (legacy OpenSSL encryption).
    encrypted: bool,
    body: String,
}

impl Block {
    fn decode(&self) -> Result<Vec<u8>, PkiError> {
        LENIENT
            .decode(self.body.as_bytes())
            .map_err(|_| PkiError::Malformed(format!("invalid base64 in PEM {} block", self.label)))
    }
}

fn blocks(text: &str) -> Result<Vec<Block>, PkiError> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for raw in text.lines() {
        // `lines` leaves a trailing '\r' on CRLF input; trim handles it.
        let line = raw.trim();
        match current.as_mut() {
            None => {
                if let Some(label) = line
                    .strip_prefix("-----BEGIN ")
                    .and_then(|l| l.strip_suffix("-----"))
                {
                    current = Some(Block {
                        label: label.to_owned(),
                        encrypted: false,
                        body: String::new(),
                    });
                }
            }
            Some(block) => {
                if let Some(label) = line
                    .strip_prefix("-----END ")
                    .and_then(|l| l.strip_suffix("-----"))
                {
                    if label != block.label {
                        return Err(PkiError::Malformed(format!(
                            "PEM block BEGIN {} ended by END {label}",
                            block.label
                        )));
                    }
                    if let Some(done) = current.take() {
                        out.push(done);
                    }
                } else if line.contains(':') {
                    // Encapsulated header (RFC 1421), not base64.
                    if line.starts_with("Proc-Type:") && line.contains("ENCRYPTED") {
                        block.encrypted = true;
                    }
                } else {
                    block
                        .body
                        .extend(line.chars().filter(|c| !c.is_whitespace()));
                }
            }
        }
    }
    match current {
        Some(block) => Err(PkiError::Malformed(format!(
            "PEM block {} has no END line",
            block.label
        ))),
        None => Ok(out),
    }
}

/// Decodes every `CERTIFICATE` block, in order. Text outside blocks and
/// blocks with other labels are ignored; no block yields an empty list.
pub fn certificates(text: &str) -> Result<Vec<Vec<u8>>, PkiError> {
    blocks(text)?
        .iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(Block::decode)
        .collect()
}

/// Decodes the first private key and returns it as PKCS#8 DER.
///
/// Accepts `PRIVATE KEY` (PKCS#8, returned unchanged), `RSA PRIVATE KEY`
/// (PKCS#1) and `EC PRIVATE KEY` (SEC1, P-256/P-384/P-521). Encrypted keys
/// are [`PkiError::Unsupported`]; callers must decrypt them first.
pub fn private_key(text: &str) -> Result<Vec<u8>, PkiError> {
    for block in blocks(text)? {
        let label = block.label.as_str();
        match label {
            "ENCRYPTED PRIVATE KEY" => return Err(encrypted_key_error()),
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" if block.encrypted => {
                return Err(encrypted_key_error());
            }
            "PRIVATE KEY" => return block.decode(),
            "RSA PRIVATE KEY" => return pkcs1_to_pkcs8(&block.decode()?),
            "EC PRIVATE KEY" => return sec1_to_pkcs8(&block.decode()?),
            _ => {}
        }
    }
    Err(PkiError::Malformed("no private key block in PEM".into()))
}

fn encrypted_key_error() -> PkiError {
    PkiError::Unsupported(
        "encrypted PEM private keys; decrypt first (e.g. `openssl pkey -in key.pem -out plain.pem`)"
            .into(),
    )
}

/// Encodes DER as a PEM block: 64-column base64 lines, `\n` line endings.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    // Base64 output is ASCII, so byte chunks are valid UTF-8 boundaries.
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_wraps_at_64() {
        let pem = encode("CERTIFICATE", &[0xAB; 100]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last().copied(), Some("-----END CERTIFICATE-----"));
        assert!(pem.ends_with("-----\n"));
        assert!(!pem.contains('\r'));
    }

    #[test]
    fn certificates_tolerates_crlf_and_prose() {
        let a = encode("CERTIFICATE", b"first");
        let b = encode("CERTIFICATE", b"second").replace('\n', "\r\n");
        let text = format!(
            "subject=CN=x\n{a}junk between\n{}\r\n{b}trailer",
            encode("PUBLIC KEY", b"pk")
        );
        let certs = certificates(&text).expect("decode");
        assert_eq!(certs, vec![b"first".to_vec(), b"second".to_vec()]);
        assert!(certificates("no pem here").expect("empty").is_empty());
    }

    #[test]
    fn structural_errors() {
        assert!(matches!(
            certificates("-----BEGIN CERTIFICATE-----\nAAAA\n"),
            Err(PkiError::Malformed(_))
        ));
        assert!(matches!(
            certificates("-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            Err(PkiError::Malformed(_))
        ));
        assert!(matches!(
            certificates("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
            Err(PkiError::Malformed(_))
        ));
        assert!(matches!(
            private_key("nothing"),
            Err(PkiError::Malformed(_))
        ));
    }

    #[test]
    fn encrypted_keys_are_refused() {
        let pkcs8 = encode("ENCRYPTED PRIVATE KEY", b"x");
        assert!(matches!(private_key(&pkcs8), Err(PkiError::Unsupported(_))));
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                      DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n\
                      -----END RSA PRIVATE KEY-----\n";
        assert!(matches!(private_key(legacy), Err(PkiError::Unsupported(_))));
    }

    #[test]
    fn pkcs8_passes_through_after_ec_parameters() {
        let key = crate::generate_key(crate::KeyKind::EcP256).expect("key");
        let text = format!(
            "{}{}",
            encode("EC PARAMETERS", b"\x06\x08"),
            encode("PRIVATE KEY", &key)
        );
        assert_eq!(private_key(&text).expect("key"), key);
    }
}
