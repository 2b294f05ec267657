//! The verified-token cache of `validate-jwt`: an RS256 signature check costs 25–60 µs, and
//! service tokens are reused for about an hour, so a gateway mostly re-verifies tokens it has
//! already verified (Envoy added the same cache for the same reason).
//!
//! Only the signature step is cached; lifetime, issuer, audience and claims are still checked on
//! every request, since they depend on the clock and on the policy. An entry is found by the
//! token's fingerprint (`skybridge_jose::Fingerprinter`, a MAC under a per-process key) and
//! remembers the very key object that verified it; a hit counts only if
//! that key is still among the policy's candidate keys (compared by identity, and the entry
//! holds the key alive, so an address is never reused while cached). Refetched or rotated keys
//! are new objects, so a key change invalidates every entry verified with the old keys at once.
//! Bounded: at most [`CAPACITY`] entries, each living until the token's `exp` or [`MAX_TTL_MS`],
//! whichever comes first. The token itself is never stored. From a token's second use on, its
//! entry also keeps the decoded header and claims (so a hit skips base64 and JSON decoding, a
//! third of a cached request's validation work) — never the signature or the signed bytes, so
//! nothing in it can be replayed as a token. Not from the first use: with single-use tokens
//! the entries would hold every token's claims until the next sweep, and freeing 8,192 claim
//! maps at once in one request showed up as a 45 ms p99 in the unique-token benchmark.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use skybridge_jose::{Fingerprinter, Header, TokenFingerprint, VerifyingKey};

/// What a verified token said: its protected header and claims, decoded once.
#[derive(Debug)]
pub struct TokenContent {
    /// The protected header.
    pub header: Header,
    /// The claims.
    pub claims: Map<String, Value>,
}

/// A hit: the key that verified the token, and the token's decoded content.
pub struct Hit {
    /// The key object that verified the signature.
    pub key: Arc<VerifyingKey>,
    /// Header and claims, once the token was seen twice.
    pub content: Option<Arc<TokenContent>>,
}

/// Most entries kept; when full, expired entries go first, then everything (a full sweep is
/// O(n) once per `CAPACITY` insertions, cheaper than LRU bookkeeping on every hit).
pub const CAPACITY: usize = 8192;
/// Longest an entry lives, whatever the token's `exp`.
pub const MAX_TTL_MS: i64 = 10 * 60 * 1000;

struct Entry {
    key: Arc<VerifyingKey>,
    content: Option<Arc<TokenContent>>,
    until_ms: i64,
}

/// What a token is cached by.
pub type TokenHash = TokenFingerprint;

/// Hashes a fingerprint by its own bytes. A fingerprint is a MAC under a secret per-process
/// key, so its bits are already uniform and unpredictable: hashing it again (SipHash) would
/// add cost, not protection.
#[derive(Default)]
struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(word);
        }
    }
}

/// Tokens whose signature was verified, by fingerprint.
pub struct VerifiedTokens {
    /// `None` if no random key could be made: then nothing is cached.
    fingerprinter: Option<Fingerprinter>,
    entries: Mutex<HashMap<TokenHash, Entry, BuildHasherDefault<FingerprintHasher>>>,
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self {
            fingerprinter: Fingerprinter::new().ok(),
            entries: Mutex::default(),
        }
    }
}

impl VerifiedTokens {
    /// The cache key of `token`; `None` means "verify in full and do not cache".
    pub fn key(&self, token: &[u8]) -> Option<TokenHash> {
        self.fingerprinter.as_ref()?.fingerprint(token)
    }

    /// The key that verified the token `hash` and its content, if cached and not expired at
    /// `now_ms`.
    pub fn get(&self, hash: &TokenHash, now_ms: i64) -> Option<Hit> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(hash)
            .filter(|e| now_ms < e.until_ms)
            .map(|e| Hit {
                key: e.key.clone(),
                content: e.content.clone(),
            })
    }

    /// Adds the decoded content to the entry of `hash` (a token's second use), if still there.
    pub fn attach(&self, hash: &TokenHash, content: Arc<TokenContent>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = entries.get_mut(hash) {
            e.content = Some(content);
        }
    }

    /// Remembers that `key` verified the token `hash`; `exp_ms` is the token's expiry, if any.
    pub fn insert(
        &self,
        hash: TokenHash,
        key: Arc<VerifyingKey>,
        exp_ms: Option<i64>,
        now_ms: i64,
    ) {
        let until_ms = exp_ms.map_or(now_ms.saturating_add(MAX_TTL_MS), |exp| {
            exp.min(now_ms.saturating_add(MAX_TTL_MS))
        });
        if until_ms <= now_ms {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CAPACITY && !entries.contains_key(&hash) {
            entries.retain(|_, e| now_ms < e.until_ms);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            hash,
            Entry {
                key,
                content: None,
                until_ms,
            },
        );
    }

    /// Entries currently held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Arc<VerifyingKey> {
        let (signer, _) =
            skybridge_jose::LocalSigner::generate(skybridge_jose::Alg::ES256, 0).unwrap();
        Arc::new(signer.verifying_key())
    }

    fn content() -> Arc<TokenContent> {
        Arc::new(TokenContent {
            header: Header::default(),
            claims: Map::new(),
        })
    }

    #[test]
    fn hit_until_exp_or_ttl() {
        let cache = VerifiedTokens::default();
        let k = key();
        let h = cache.key(b"a.b.c").unwrap();
        cache.insert(h, k.clone(), Some(5_000), 1_000);
        assert!(Arc::ptr_eq(&cache.get(&h, 4_999).unwrap().key, &k));
        assert!(cache.get(&h, 4_999).unwrap().content.is_none());
        cache.attach(&h, content());
        assert!(cache.get(&h, 4_999).unwrap().content.is_some());
        assert!(cache.get(&h, 5_000).is_none());
        cache.insert(h, k, None, 0);
        assert!(cache.get(&h, MAX_TTL_MS - 1).is_some());
        assert!(cache.get(&h, MAX_TTL_MS).is_none());
        assert!(cache.get(&cache.key(b"other").unwrap(), 0).is_none());
    }

    #[test]
    fn expired_tokens_are_not_cached() {
        let cache = VerifiedTokens::default();
        cache.insert(cache.key(b"x").unwrap(), key(), Some(10), 10);
        assert!(cache.is_empty());
    }

    #[test]
    fn bounded() {
        let cache = VerifiedTokens::default();
        let k = key();
        for i in 0..(CAPACITY + 10) {
            cache.insert(
                cache.key(i.to_string().as_bytes()).unwrap(),
                k.clone(),
                None,
                0,
            );
        }
        assert!(cache.len() <= CAPACITY);
    }
}
