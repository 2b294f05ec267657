//! The crate-wide error type.

/// Errors from decoding, signing, verifying and key handling.
///
/// Messages describe what went wrong without echoing key material; values
/// copied from untrusted input (such as an `alg` name) are length-capped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// The input is not well-formed (bad base64, JSON, structure, sizes).
    #[error("malformed JOSE input: {0}")]
    Malformed(String),
    /// The algorithm is unknown or deliberately refused (`none`, `HS*`).
    #[error("unsupported or forbidden algorithm: {0}")]
    UnsupportedAlg(String),
    /// The algorithm is valid but the key is pinned to a different one.
    #[error("algorithm {alg} is not allowed for this key")]
    AlgNotAllowedForKey {
        /// The refused algorithm name.
        alg: String,
    },
    /// The key could not be parsed or is unsuitable.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// The signature does not verify.
    #[error("signature verification failed")]
    BadSignature,
    /// The crypto backend failed in an unexpected way.
    #[error("cryptographic operation failed: {0}")]
    Crypto(String),
}

/// Caps a value copied from untrusted input before it goes into an error
/// message, so a hostile token cannot flood logs.
pub(crate) fn cap(value: &str) -> String {
    const MAX: usize = 40;
    if value.len() <= MAX {
        return value.to_owned();
    }
    let mut end = MAX;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &value[..end])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cap_truncates_on_char_boundary() {
        assert_eq!(cap("RS256"), "RS256");
        let long = "é".repeat(50);
        let capped = cap(&long);
        assert!(capped.len() <= 44);
        assert!(capped.ends_with('…'));
    }
}
