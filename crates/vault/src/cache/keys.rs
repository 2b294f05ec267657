//! Private keys parsed once per key version. Opening a version's material costs two AES-GCM
//! operations, and parsing an RSA private key costs more than signing with it (aws-lc checks the
//! whole key, and the first signature builds its Montgomery and blinding state, kept with the
//! parsed key). The parsed keys live only in this process's memory and are never logged.
//!
//! The cache holds material, not permission: the service still loads the version's record and
//! enforces enabled, nbf/exp and key_ops with its clock on every call before it asks here.
//! Writes to a key name (update, delete, recover, purge) evict its versions, and a load that
//! raced such a write is not cached ([`Generation`]).

use std::sync::Arc;

use aws_lc_rs::rsa::PrivateDecryptingKey;
use skybridge_jose::{Alg, LocalSigner};

use super::map::{BoundedMap, Generation};
use crate::error::VaultError;

/// Most parsed keys kept (per purpose and version).
const MAX_KEYS: usize = 1024;

/// What a parsed key is for: signing and verifying with one algorithm, or RSA encryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Purpose {
    /// `sign` / `verify` with this algorithm.
    Sign(Alg),
    /// `encrypt`, `decrypt`, `wrapkey`, `unwrapkey`.
    Rsa,
}

/// A parsed private key.
pub(crate) enum LoadedKey {
    /// For [`Purpose::Sign`].
    Signer(LocalSigner),
    /// For [`Purpose::Rsa`].
    Rsa(PrivateDecryptingKey),
}

impl LoadedKey {
    /// The signer, for [`Purpose::Sign`].
    pub(crate) fn signer(&self) -> Result<&LocalSigner, VaultError> {
        match self {
            Self::Signer(s) => Ok(s),
            Self::Rsa(_) => Err(VaultError::Internal("parsed key of another purpose".into())),
        }
    }

    /// The RSA key, for [`Purpose::Rsa`].
    pub(crate) fn rsa(&self) -> Result<&PrivateDecryptingKey, VaultError> {
        match self {
            Self::Rsa(k) => Ok(k),
            Self::Signer(_) => Err(VaultError::Internal("parsed key of another purpose".into())),
        }
    }
}

/// Parsed keys by (version id, purpose); the id is the version's sealing identity
/// (`vault/<vault>/key/<name>/<version>`, lowercase).
pub(crate) struct KeyCache {
    map: BoundedMap<(String, Purpose), Arc<LoadedKey>>,
    generation: Generation,
}

impl KeyCache {
    pub(crate) fn new() -> Self {
        Self {
            map: BoundedMap::new(MAX_KEYS),
            generation: Generation::default(),
        }
    }

    /// Note this before reading the version's record; pass it to [`KeyCache::get_or_load`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation.current()
    }

    /// The parsed key, loading (and remembering) it on a miss.
    pub(crate) fn get_or_load(
        &self,
        id: String,
        purpose: Purpose,
        since: u64,
        load: impl FnOnce() -> Result<LoadedKey, VaultError>,
    ) -> Result<Arc<LoadedKey>, VaultError> {
        let key = (id, purpose);
        if let Some(hit) = self.map.get(&key, None) {
            return Ok(hit);
        }
        let loaded = Arc::new(load()?);
        self.map
            .insert_if(key, loaded.clone(), || self.generation.current() == since);
        Ok(loaded)
    }

    /// Forgets every version whose id starts with `prefix` (`vault/<vault>/key/<name>/`).
    pub(crate) fn evict(&self, prefix: &str) {
        self.generation.advance();
        self.map.retain(|(id, _), _| !id.starts_with(prefix));
    }

    /// Forgets everything.
    pub(crate) fn clear(&self) {
        self.generation.advance();
        self.map.clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use skybridge_pki::KeyKind;

    fn load() -> Result<LoadedKey, VaultError> {
        let pkcs8 = crate::crypto::generate(KeyKind::EcP256)?;
        Ok(LoadedKey::Signer(crate::crypto::load_signer(
            &pkcs8,
            Alg::ES256,
        )?))
    }

    #[test]
    fn loads_once_evicts_by_name_and_skips_raced_loads() {
        let cache = KeyCache::new();
        let id = |n: &str| format!("vault/kv/key/{n}/0123");
        let p = Purpose::Sign(Alg::ES256);
        let since = cache.generation();
        let a = cache.get_or_load(id("a"), p, since, load).unwrap();
        let again = cache
            .get_or_load(id("a"), p, since, || panic!("loaded twice"))
            .unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        cache.get_or_load(id("ab"), p, since, load).unwrap();
        cache.evict("vault/kv/key/a/");
        let loads = std::cell::Cell::new(0);
        let count = || {
            loads.set(loads.get() + 1);
            load()
        };
        let stale = since;
        cache.get_or_load(id("ab"), p, stale, count).unwrap();
        assert_eq!(loads.get(), 0, "another name stays");
        cache.get_or_load(id("a"), p, stale, count).unwrap();
        cache.get_or_load(id("a"), p, stale, count).unwrap();
        assert_eq!(
            loads.get(),
            2,
            "evicted, and a load begun before the eviction is not kept"
        );
        cache.clear();
        cache
            .get_or_load(id("ab"), p, cache.generation(), count)
            .unwrap();
        assert_eq!(loads.get(), 3);
    }
}
