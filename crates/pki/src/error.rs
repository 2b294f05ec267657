//! The crate's single error type.

/// Errors from certificate, key and container handling.
///
/// Messages describe *what* was wrong with an input, never its contents:
/// key material and passwords must not end up in logs.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PkiError {
    /// The input is not valid DER/PEM/PKCS#12, or is internally inconsistent.
    #[error("malformed input: {0}")]
    Malformed(String),
    /// A PFX could not be opened with the given password (MAC or decryption failure).
    #[error("wrong password for PFX")]
    BadPassword,
    /// The input is well-formed but uses something this crate does not handle.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The cryptographic backend failed (key generation, signing, encoding).
    #[error("crypto failure: {0}")]
    Crypto(String),
}

impl PkiError {
    /// Wraps an rcgen failure; its messages name the failing step, not key bytes.
    pub(crate) fn rcgen(context: &str, err: rcgen::Error) -> Self {
        PkiError::Crypto(format!("{context}: {err}"))
    }
}
