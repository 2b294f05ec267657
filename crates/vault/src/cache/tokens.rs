//! Tokens already verified. Every request carries the caller's bearer token, and clients reuse
//! one token for up to an hour; verifying it again each time (RSA signature, JSON, claims) is
//! the largest cost of a cheap operation. What is remembered is the *outcome of verification*
//! for that exact token — never an authorization decision, which RBAC still makes per call.
//!
//! Keyed by the tenant and the token's [`Fingerprinter`] tag, so the token itself is not kept.
//! An entry is used only while the injected clock is inside the token's `nbf`/`exp` window
//! (with the validator's leeway) and while the key that verified it is still published
//! unchanged; otherwise the caller verifies the token in full again, which also produces the
//! precise error.

use std::sync::Arc;

use skybridge_jose::{Fingerprinter, JwkSet};
use uuid::Uuid;

use super::map::BoundedMap;
use crate::auth::Caller;

/// Most tokens remembered; beyond it, expired ones are dropped, then everything.
const MAX_TOKENS: usize = 4096;

/// A token that passed verification.
pub(crate) struct Verified {
    /// Who it names.
    pub caller: Caller,
    /// Its `exp`.
    pub exp: i64,
    /// Its `nbf`, if any.
    pub nbf: Option<i64>,
    /// The `kid` (or `x5t`) it was verified under.
    pub kid: String,
    /// The key set it was verified against (shared, not copied, between entries).
    pub keys: Arc<JwkSet>,
}

impl Verified {
    /// Whether the verifying key is still published as it was: the same set is still served
    /// (the usual case), or a reloaded set holds the same key under that `kid`.
    pub(crate) fn still_published(&self, keys: &Arc<JwkSet>) -> bool {
        if Arc::ptr_eq(keys, &self.keys) {
            return true;
        }
        match (keys.find(&self.kid), self.keys.find(&self.kid)) {
            (Some(now), Some(then)) => now == then,
            _ => false,
        }
    }

    fn usable_at(&self, now: i64, leeway: i64) -> bool {
        now <= self.exp.saturating_add(leeway)
            && self.nbf.is_none_or(|nbf| now.saturating_add(leeway) >= nbf)
    }
}

/// (tenant, token fingerprint): what a verified token is remembered by.
pub(crate) type Fingerprint = (Uuid, skybridge_jose::TokenFingerprint);

/// The verified-token cache of one validator.
pub(crate) struct TokenCache {
    /// `None` if no random key could be made: then nothing is cached.
    fingerprinter: Option<Fingerprinter>,
    map: BoundedMap<Fingerprint, Arc<Verified>>,
}

impl TokenCache {
    pub(crate) fn new() -> Self {
        Self {
            fingerprinter: Fingerprinter::new().ok(),
            map: BoundedMap::new(MAX_TOKENS),
        }
    }

    /// The fingerprint of `token` presented to a vault of `tenant_id`; `None` means "verify
    /// in full and do not cache".
    pub(crate) fn fingerprint(&self, tenant_id: Uuid, token: &str) -> Option<Fingerprint> {
        let fp = self.fingerprinter.as_ref()?.fingerprint(token.as_bytes())?;
        Some((tenant_id, fp))
    }

    /// A remembered verification still inside its validity window at `now`.
    pub(crate) fn get(&self, fp: &Fingerprint, now: i64, leeway: i64) -> Option<Arc<Verified>> {
        self.map.get(fp, None).filter(|v| v.usable_at(now, leeway))
    }

    /// Remembers a verification. When full, tokens past their window go first.
    pub(crate) fn put(&self, fp: Fingerprint, verified: Verified, now: i64, leeway: i64) {
        if self.map.len() >= MAX_TOKENS {
            self.map.retain(|_, v| v.usable_at(now, leeway));
        }
        self.map.insert_if(fp, Arc::new(verified), || true);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use skybridge_jose::Jwk;

    fn verified(exp: i64, nbf: Option<i64>, keys: Arc<JwkSet>) -> Verified {
        Verified {
            caller: Caller {
                object_id: Uuid::nil(),
                app_id: None,
                issuer: "iss".into(),
            },
            exp,
            nbf,
            kid: "k".into(),
            keys,
        }
    }

    #[test]
    fn window_keys_and_fingerprints() {
        let jwk = Jwk {
            kid: Some("k".into()),
            kty: "RSA".into(),
            n: Some("AQAB".into()),
            ..Jwk::default()
        };
        let keys = Arc::new(JwkSet {
            keys: vec![jwk.clone()],
        });
        let cache = TokenCache::new();
        let fp = cache.fingerprint(Uuid::nil(), "t").unwrap();
        assert_eq!(Some(fp), cache.fingerprint(Uuid::nil(), "t"));
        assert_ne!(Some(fp), cache.fingerprint(Uuid::from_u128(1), "t"));
        assert_ne!(Some(fp), cache.fingerprint(Uuid::nil(), "u"));
        cache.put(fp, verified(1000, Some(500), keys.clone()), 600, 10);
        assert!(cache.get(&fp, 1010, 10).is_some(), "exp + leeway");
        assert!(cache.get(&fp, 1011, 10).is_none(), "expired");
        assert!(cache.get(&fp, 490, 10).is_some(), "nbf - leeway");
        assert!(cache.get(&fp, 489, 10).is_none(), "not yet valid");
        let hit = cache.get(&fp, 600, 10).unwrap();
        assert!(hit.still_published(&keys));
        let same = Arc::new(JwkSet {
            keys: vec![jwk.clone()],
        });
        assert!(hit.still_published(&same), "same key, reloaded set");
        let rotated = Arc::new(JwkSet {
            keys: vec![Jwk {
                n: Some("AQAC".into()),
                ..jwk
            }],
        });
        assert!(!hit.still_published(&rotated));
        assert!(!hit.still_published(&Arc::new(JwkSet::default())));
    }
}
