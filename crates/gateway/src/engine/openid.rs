//! OpenID configuration and signing keys, cached as APIM caches them.
//!
//! Each metadata URL has one entry behind an async mutex, so concurrent requests needing a
//! fetch share it. Keys are refreshed every hour; a token whose `kid` is unknown, or a failed
//! fetch, triggers a refetch at most once per five minutes; while the authority is
//! unreachable the last good keys keep being served. While one request is fetching, requests
//! whose `kid` the cached keys already hold are served from them without waiting, so a slow
//! or hung authority (the fetch may take its whole timeout) stalls only requests that need
//! the new keys.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use serde::Deserialize;
use skybridge_jose::{JwkSet, VerifyingKey};

use super::Clock;

/// APIM's refresh interval.
pub const REFRESH_MS: i64 = 60 * 60 * 1000;
/// APIM's minimum interval between fetches triggered by an unknown `kid` or a failure.
pub const RETRY_MS: i64 = 5 * 60 * 1000;

/// A failed metadata or key fetch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// Fetches a URL's body (production: HTTPS; tests: in-process).
#[async_trait]
pub trait MetadataFetcher: Send + Sync {
    /// GETs `url` and returns the body of a 2xx response.
    async fn get(&self, url: &str) -> Result<Bytes, FetchError>;
}

/// The keys and issuer of one OpenID configuration.
#[derive(Debug, Clone)]
pub struct OpenIdKeys {
    /// `issuer` (may contain Entra's `{tenantid}` placeholder).
    pub issuer: String,
    /// Verifying keys with their `kid`.
    pub keys: Vec<(Option<String>, Arc<VerifyingKey>)>,
}

impl OpenIdKeys {
    fn has(&self, kid: &str) -> bool {
        self.keys.iter().any(|(k, _)| k.as_deref() == Some(kid))
    }
}

#[derive(Default)]
struct Entry {
    keys: Option<Arc<OpenIdKeys>>,
    fetched_ms: i64,
    attempted_ms: Option<i64>,
}

/// One metadata URL: the state behind the fetch lock, and a copy of the current keys
/// readable while a fetch holds that lock.
#[derive(Default)]
struct Slot {
    entry: tokio::sync::Mutex<Entry>,
    current: Mutex<Option<Arc<OpenIdKeys>>>,
}

#[derive(Deserialize)]
struct Metadata {
    issuer: String,
    jwks_uri: String,
}

/// The cache of OpenID configurations by metadata URL.
pub struct KeyCache {
    fetcher: Arc<dyn MetadataFetcher>,
    clock: Arc<dyn Clock>,
    /// By URL; foldhash, not SipHash: every validated request looks its URL up, and the
    /// URLs come from policies, not from callers.
    entries: Mutex<foldhash::HashMap<String, Arc<Slot>>>,
    refresh_ms: i64,
    retry_ms: i64,
}

impl KeyCache {
    /// A cache with APIM's intervals.
    pub fn new(fetcher: Arc<dyn MetadataFetcher>, clock: Arc<dyn Clock>) -> Self {
        Self::with_intervals(fetcher, clock, REFRESH_MS, RETRY_MS)
    }

    /// A cache with custom intervals (milliseconds).
    pub fn with_intervals(
        fetcher: Arc<dyn MetadataFetcher>,
        clock: Arc<dyn Clock>,
        refresh_ms: i64,
        retry_ms: i64,
    ) -> Self {
        Self {
            fetcher,
            clock,
            entries: Mutex::default(),
            refresh_ms,
            retry_ms,
        }
    }

    fn slot(&self, url: &str) -> Arc<Slot> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        // Looked up before inserting: the URL is copied only the first time it is seen.
        if let Some(slot) = entries.get(url) {
            return slot.clone();
        }
        entries.entry(url.to_owned()).or_default().clone()
    }

    /// The keys for `url`, fetching when missing, stale, or when `want_kid` is unknown (all
    /// subject to the retry throttle).
    pub async fn get(
        &self,
        url: &str,
        want_kid: Option<&str>,
    ) -> Result<Arc<OpenIdKeys>, FetchError> {
        let slot = self.slot(url);
        let mut e = match slot.entry.try_lock() {
            Ok(e) => e,
            Err(_) => {
                let current = slot
                    .current
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                match current.filter(|k| want_kid.is_none_or(|kid| k.has(kid))) {
                    Some(keys) => return Ok(keys),
                    None => slot.entry.lock().await,
                }
            }
        };
        let now = self.clock.now_ms();
        let throttled = e.attempted_ms.is_some_and(|t| now - t < self.retry_ms);
        let wanted = match &e.keys {
            None => true,
            Some(k) => {
                now - e.fetched_ms >= self.refresh_ms || want_kid.is_some_and(|kid| !k.has(kid))
            }
        };
        if wanted && !throttled {
            e.attempted_ms = Some(now);
            match self.fetch(url).await {
                Ok(keys) => {
                    let keys = Arc::new(keys);
                    *slot.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(keys.clone());
                    e.keys = Some(keys);
                    e.fetched_ms = now;
                }
                Err(err) => {
                    tracing::warn!(%url, error = %err, "OpenID configuration fetch failed; serving cached keys if any");
                    if e.keys.is_none() {
                        return Err(err);
                    }
                }
            }
        }
        e.keys.clone().ok_or_else(|| {
            FetchError(format!(
                "OpenID configuration {url} is unavailable (next retry within 5 minutes)"
            ))
        })
    }

    async fn fetch(&self, url: &str) -> Result<OpenIdKeys, FetchError> {
        let body = self.fetcher.get(url).await?;
        let meta: Metadata = serde_json::from_slice(&body)
            .map_err(|e| FetchError(format!("invalid OpenID configuration at {url}: {e}")))?;
        let jwks = self.fetcher.get(&meta.jwks_uri).await?;
        let set: JwkSet = serde_json::from_slice(&jwks)
            .map_err(|e| FetchError(format!("invalid JWKS at {}: {e}", meta.jwks_uri)))?;
        // Keys we cannot use (encryption keys, unsupported types) are skipped, not fatal.
        let keys: Vec<_> = set
            .keys
            .iter()
            .filter_map(|jwk| {
                jwk.verifying_key()
                    .ok()
                    .map(|k| (jwk.kid.clone(), Arc::new(k)))
            })
            .collect();
        if keys.is_empty() {
            return Err(FetchError(format!(
                "JWKS at {} has no usable signing keys",
                meta.jwks_uri
            )));
        }
        Ok(OpenIdKeys {
            issuer: meta.issuer,
            keys,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::engine::ManualClock;

    struct Fake {
        calls: AtomicUsize,
        up: std::sync::atomic::AtomicBool,
        jwks: Mutex<String>,
        /// When set, the next request signals `entered` and waits for `release` (a hung
        /// authority).
        hold: std::sync::atomic::AtomicBool,
        entered: tokio::sync::Notify,
        release: tokio::sync::Notify,
    }

    #[async_trait]
    impl MetadataFetcher for Fake {
        async fn get(&self, url: &str) -> Result<Bytes, FetchError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.hold.swap(false, Ordering::SeqCst) {
                self.entered.notify_one();
                self.release.notified().await;
            }
            tokio::task::yield_now().await;
            if !self.up.load(Ordering::SeqCst) {
                return Err(FetchError("down".into()));
            }
            if url.ends_with("keys") {
                return Ok(Bytes::from(self.jwks.lock().unwrap().clone()));
            }
            Ok(Bytes::from(
                r#"{"issuer":"https://iss/","jwks_uri":"https://x/keys"}"#,
            ))
        }
    }

    fn jwks(kid: &str) -> String {
        let (signer, _) =
            skybridge_jose::LocalSigner::generate(skybridge_jose::Alg::ES256, 0).unwrap();
        let mut jwk = signer.public_jwk();
        jwk.kid = Some(kid.into());
        serde_json::to_string(&JwkSet { keys: vec![jwk] }).unwrap()
    }

    fn setup() -> (Arc<Fake>, Arc<ManualClock>, KeyCache) {
        let fake = Arc::new(Fake {
            calls: AtomicUsize::new(0),
            up: true.into(),
            jwks: Mutex::new(jwks("k1")),
            hold: false.into(),
            entered: tokio::sync::Notify::new(),
            release: tokio::sync::Notify::new(),
        });
        let clock = Arc::new(ManualClock::new(1_000_000));
        let cache = KeyCache::new(fake.clone(), clock.clone());
        (fake, clock, cache)
    }

    #[tokio::test]
    async fn caches_refreshes_hourly_and_throttles_unknown_kids() {
        let (fake, clock, cache) = setup();
        let k = cache.get("https://m", Some("k1")).await.unwrap();
        assert_eq!(k.issuer, "https://iss/");
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
        cache.get("https://m", Some("k1")).await.unwrap();
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2, "cached");
        // Unknown kid right after a fetch: throttled.
        cache.get("https://m", Some("k2")).await.unwrap();
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
        // Five minutes later the rotation is picked up.
        *fake.jwks.lock().unwrap() = jwks("k2");
        clock.advance(RETRY_MS);
        assert!(cache.get("https://m", Some("k2")).await.unwrap().has("k2"));
        assert_eq!(fake.calls.load(Ordering::SeqCst), 4);
        // Hourly refresh.
        clock.advance(REFRESH_MS);
        cache.get("https://m", None).await.unwrap();
        assert_eq!(fake.calls.load(Ordering::SeqCst), 6);
    }

    #[tokio::test]
    async fn serves_stale_keys_when_the_authority_is_down() {
        let (fake, clock, cache) = setup();
        cache.get("https://m", None).await.unwrap();
        fake.up.store(false, Ordering::SeqCst);
        clock.advance(REFRESH_MS + 1);
        assert!(cache.get("https://m", Some("k1")).await.unwrap().has("k1"));
        // A fresh cache with the authority down fails, and retries only after 5 minutes.
        let fresh = KeyCache::new(fake.clone(), clock.clone());
        let before = fake.calls.load(Ordering::SeqCst);
        assert!(fresh.get("https://m", None).await.is_err());
        assert!(fresh.get("https://m", None).await.is_err());
        assert_eq!(fake.calls.load(Ordering::SeqCst), before + 1);
    }

    #[tokio::test]
    async fn concurrent_requests_share_one_fetch() {
        let (fake, _clock, cache) = setup();
        let cache = Arc::new(cache);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let c = cache.clone();
                tokio::spawn(async move { c.get("https://m", Some("k1")).await.map(|_| ()) })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_hung_refresh_stalls_only_requests_that_need_new_keys() {
        let (fake, clock, cache) = setup();
        let cache = Arc::new(cache);
        cache.get("https://m", Some("k1")).await.unwrap();
        clock.advance(REFRESH_MS);
        fake.hold.store(true, Ordering::SeqCst);
        let get = |kid: &'static str| {
            let c = cache.clone();
            tokio::spawn(async move { c.get("https://m", Some(kid)).await.map(|k| k.has(kid)) })
        };
        // The hourly refresh starts and hangs at the authority, holding the fetch lock.
        let refresher = get("k1");
        fake.entered.notified().await;
        // A known kid is served from the current keys at once.
        assert!(cache.get("https://m", Some("k1")).await.unwrap().has("k1"));
        assert!(cache.get("https://m", None).await.is_ok());
        // An unknown kid waits for the fetch in flight.
        let waiter = get("k2");
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished() && !refresher.is_finished());
        fake.release.notify_one();
        assert_eq!(refresher.await.unwrap(), Ok(true));
        assert_eq!(
            waiter.await.unwrap(),
            Ok(false),
            "throttled: no second fetch"
        );
        assert_eq!(fake.calls.load(Ordering::SeqCst), 4);
    }
}
