//! Object names, versions and the identifiers built from them.

use crate::error::{VaultError, bad};

/// Key Vault object names: 1-127 of `0-9a-zA-Z-` (research/keyvault.md §2.1).
pub fn check_name(name: &str) -> Result<(), VaultError> {
    let ok = !name.is_empty()
        && name.len() <= 127
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "The request URI contains an invalid name: {}. Follow this rule: '^[0-9a-zA-Z-]+$' \
             and at most 127 characters.",
            printable(name)
        )))
    }
}

/// Vault names: 3-24 characters, letters, digits and dashes, starting with a letter, ending
/// with a letter or digit, no consecutive dashes (Azure's rule).
pub fn is_valid_vault_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=24).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.contains("--")
}

/// A version is 32 hex digits; anything else cannot exist, so it is "not found", not a 400.
pub fn is_version(v: &str) -> bool {
    v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A fresh version id: 32 lowercase hex digits, as Key Vault's.
pub fn new_version() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// At most 64 characters of user input, for messages.
pub fn printable(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("a-B-9").is_ok());
        assert!(check_name(&"a".repeat(127)).is_ok());
        for bad in ["", "a_b", "a b", "ü", "a.b", &"a".repeat(128)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(is_valid_vault_name("home-kv"));
        for bad in ["kv", "1kv", "kv-", "k--v", &"k".repeat(25)] {
            assert!(!is_valid_vault_name(bad), "{bad}");
        }
        assert!(is_version(&new_version()));
        assert!(!is_version("abc"));
    }
}
