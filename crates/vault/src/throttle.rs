//! Optional throttling, off unless a vault is given limits: Azure's per-vault transaction
//! limits over 10-second windows (learn.microsoft.com/azure/key-vault/general/service-limits;
//! research/keyvault.md §5), so that clients can exercise their retry paths. A refused request
//! is 429 `Throttled` with `Retry-After` (the seconds left in its window) and does not count.
//!
//! Each vault has one fixed window per class of request, opened by the first request after the
//! previous one ended. Key operations are weighted as Azure weighs them: an RSA-3072 operation
//! costs 4 and an RSA-4096 one 8 (4 000 / 1 000 / 500 per 10 s for 2048 / 3072 / 4096 bits);
//! EC and RSA-2048 cost 1. The first request of a window always passes, whatever its weight.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::VaultError;

/// Azure's window.
pub const WINDOW_SECS: i64 = 10;

/// A vault's limits per 10-second window. The defaults are Azure's for software keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    /// Key creates (create, import, rotate; certificate create and import make a key): 20.
    pub key_create: u64,
    /// Other key transactions (reads, updates, crypto), weighted by key size: 4 000.
    pub key_operations: u64,
    /// Secret sets: 300.
    pub secret_create: u64,
    /// Every other transaction (secrets, certificates, deleted objects, …): 4 000.
    pub other: u64,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            key_create: 20,
            key_operations: 4000,
            secret_create: 300,
            other: 4000,
        }
    }
}

/// What a request is counted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleClass {
    /// A new key.
    KeyCreate,
    /// Any other key transaction.
    KeyOperation,
    /// A secret set.
    SecretCreate,
    /// Everything else.
    Other,
}

impl ThrottleClass {
    fn index(self) -> usize {
        match self {
            Self::KeyCreate => 0,
            Self::KeyOperation => 1,
            Self::SecretCreate => 2,
            Self::Other => 3,
        }
    }
}

impl ThrottleLimits {
    fn limit(&self, class: ThrottleClass) -> u64 {
        match class {
            ThrottleClass::KeyCreate => self.key_create,
            ThrottleClass::KeyOperation => self.key_operations,
            ThrottleClass::SecretCreate => self.secret_create,
            ThrottleClass::Other => self.other,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Window {
    start: i64,
    used: u64,
}

#[derive(Debug)]
struct VaultWindows {
    limits: ThrottleLimits,
    windows: [Window; 4],
}

/// The throttling state of every vault that has limits.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    vaults: Mutex<HashMap<String, VaultWindows>>,
}

impl Throttle {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VaultWindows>> {
        // A panic elsewhere while holding it leaves only counters behind: keep going.
        self.vaults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets (or with None, removes) a vault's limits; its counters start afresh.
    pub(crate) fn configure(&self, vault: &str, limits: Option<ThrottleLimits>) {
        let key = vault.to_ascii_lowercase();
        let mut vaults = self.lock();
        match limits {
            Some(limits) => {
                vaults.insert(
                    key,
                    VaultWindows {
                        limits,
                        windows: [Window {
                            start: i64::MIN,
                            used: 0,
                        }; 4],
                    },
                );
            }
            None => {
                vaults.remove(&key);
            }
        }
    }

    /// Whether a vault has limits.
    pub(crate) fn enabled(&self, vault: &str) -> bool {
        self.lock().contains_key(&vault.to_ascii_lowercase())
    }

    /// Counts a request of `weight` in its class at `now`, or refuses it with the seconds
    /// until its window ends.
    pub(crate) fn admit(
        &self,
        vault: &str,
        class: ThrottleClass,
        weight: u64,
        now: i64,
    ) -> Result<(), VaultError> {
        let mut vaults = self.lock();
        let Some(v) = vaults.get_mut(&vault.to_ascii_lowercase()) else {
            return Ok(());
        };
        let limit = v.limits.limit(class);
        let w = &mut v.windows[class.index()];
        if now >= w.start.saturating_add(WINDOW_SECS) || now < w.start {
            *w = Window {
                start: now,
                used: 0,
            };
        }
        if w.used > 0 && w.used.saturating_add(weight) > limit {
            let left = w.start.saturating_add(WINDOW_SECS).saturating_sub(now);
            return Err(VaultError::Throttled {
                retry_after: u64::try_from(left.max(1)).unwrap_or(1),
            });
        }
        w.used = w.used.saturating_add(weight);
        Ok(())
    }
}

/// The weight of an operation with a key of `bits` (RSA) or of an EC key (None).
pub fn key_weight(rsa_bits: Option<u32>) -> u64 {
    match rsa_bits {
        Some(b) if b >= 4096 => 8,
        Some(b) if b >= 3072 => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_weights_and_retry_after() {
        let t = Throttle::default();
        t.admit("kv", ThrottleClass::Other, 1, 100).unwrap();
        let limits = ThrottleLimits {
            key_operations: 10,
            other: 2,
            ..ThrottleLimits::default()
        };
        t.configure("KV", Some(limits));
        assert!(t.enabled("kv"));
        t.admit("kv", ThrottleClass::Other, 1, 100).unwrap();
        t.admit("kv", ThrottleClass::Other, 1, 103).unwrap();
        match t.admit("kv", ThrottleClass::Other, 1, 104) {
            Err(VaultError::Throttled { retry_after }) => assert_eq!(retry_after, 6),
            other => panic!("{other:?}"),
        }
        // Other classes have their own windows; a refusal does not count.
        t.admit("kv", ThrottleClass::SecretCreate, 1, 104).unwrap();
        t.admit("kv", ThrottleClass::Other, 1, 110).unwrap();
        // Weighted: an RSA-4096 operation costs 8 of 10.
        t.admit(
            "kv",
            ThrottleClass::KeyOperation,
            key_weight(Some(4096)),
            200,
        )
        .unwrap();
        t.admit(
            "kv",
            ThrottleClass::KeyOperation,
            key_weight(Some(2048)),
            200,
        )
        .unwrap();
        t.admit("kv", ThrottleClass::KeyOperation, key_weight(None), 200)
            .unwrap();
        assert!(
            t.admit(
                "kv",
                ThrottleClass::KeyOperation,
                key_weight(Some(3072)),
                200
            )
            .is_err()
        );
        t.configure("kv", None);
        assert!(!t.enabled("kv"));
    }
}
