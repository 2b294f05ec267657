//! Private keys parsed once per key version. Opening a version's material costs two AES-GCM
//! operations, and parsing an RSA private key costs more than signing with it (aws-lc checks the
//! whole key, and the first signature builds its Montgomery and blinding state, kept with the
//! parsed key). The parsed keys live only in this process's memory and are never logged.
//!
//! The cache holds material, not permission: the service still loads the version's record and
//! enforces enabled, nbf/exp and key_ops with its clock on every call before it asks here. What
//! it enforces them from, the version's metadata, is also kept parsed here ([`KeyUse`]): parsing
//! its JSON (with the public key in it) on every call was 2 % of a P-256 sign request. A parsed
//! use is served only for the very metadata text it came from, so a change made by any process
//! (the row cache's TTL bounds how soon it is read) is parsed again, never missed.
//! Writes to a key name (update, delete, recover, purge) evict its versions, and a load that
//! raced such a write is not cached ([`Generation`]).

use std::sync::Arc;

use aws_lc_rs::rsa::PrivateDecryptingKey;
use skybridge_jose::{Alg, LocalSigner};
use skybridge_pki::KeyKind;

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

/// What a key version's metadata says about using it, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyUse {
    /// `attributes.enabled`.
    pub enabled: Option<bool>,
    /// `attributes.nbf`.
    pub nbf: Option<i64>,
    /// `attributes.exp`.
    pub exp: Option<i64>,
    /// Permitted operations.
    pub key_ops: Vec<String>,
    /// Type and size, from the public key.
    pub kind: KeyKind,
}

/// A [`KeyUse`] and the metadata text it was parsed from.
struct ParsedUse {
    meta: String,
    key_use: Arc<KeyUse>,
}

/// Parsed keys by (version id, purpose), and parsed metadata by version id; the id is the
/// version's sealing identity (`vault/<vault>/key/<name>/<version>`, lowercase).
pub(crate) struct KeyCache {
    map: BoundedMap<(String, Purpose), Arc<LoadedKey>>,
    uses: BoundedMap<String, Arc<ParsedUse>>,
    generation: Generation,
}

impl KeyCache {
    pub(crate) fn new() -> Self {
        Self {
            map: BoundedMap::new(MAX_KEYS),
            uses: BoundedMap::new(MAX_KEYS),
            generation: Generation::default(),
        }
    }

    /// The use of version `id` parsed (by `parse`) from `meta`, its metadata text as just read;
    /// remembered while that text stays the same.
    pub(crate) fn key_use(
        &self,
        id: &str,
        meta: &str,
        parse: impl FnOnce() -> Result<KeyUse, VaultError>,
    ) -> Result<Arc<KeyUse>, VaultError> {
        if let Some(hit) = self.uses.get(id, None).filter(|hit| hit.meta == meta) {
            return Ok(hit.key_use.clone());
        }
        let key_use = Arc::new(parse()?);
        let entry = Arc::new(ParsedUse {
            meta: meta.to_owned(),
            key_use: key_use.clone(),
        });
        self.uses.insert_if(id.to_owned(), entry, || true);
        Ok(key_use)
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
        self.uses.retain(|id, _| !id.starts_with(prefix));
    }

    /// Forgets everything.
    pub(crate) fn clear(&self) {
        self.generation.advance();
        self.map.clear();
        self.uses.clear();
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

    #[test]
    fn key_uses_are_parsed_once_per_metadata_text() {
        let cache = KeyCache::new();
        let parsed = std::cell::Cell::new(0);
        let parse = |meta: &str| {
            parsed.set(parsed.get() + 1);
            Ok(KeyUse {
                enabled: Some(meta == "enabled"),
                nbf: None,
                exp: None,
                key_ops: vec!["sign".into()],
                kind: KeyKind::EcP256,
            })
        };
        let (a, b) = ("vault/kv/key/a/0123", "vault/kv/key/b/0123");
        let enabled = |id, meta| cache.key_use(id, meta, || parse(meta)).unwrap().enabled;
        assert_eq!(enabled(a, "enabled"), Some(true));
        assert_eq!(enabled(a, "enabled"), Some(true));
        assert_eq!(enabled(b, "enabled"), Some(true));
        assert_eq!(parsed.get(), 2);
        // The version's metadata changed (here or in another process sharing the store).
        assert_eq!(enabled(a, "disabled"), Some(false));
        assert_eq!(enabled(a, "disabled"), Some(false));
        assert_eq!(parsed.get(), 3);
        // Writes evict (memory only: the text check alone keeps results right).
        cache.evict("vault/kv/key/a/");
        assert_eq!(enabled(a, "disabled"), Some(false));
        assert_eq!(enabled(b, "enabled"), Some(true));
        assert_eq!(parsed.get(), 4, "b stayed cached");
    }
}
