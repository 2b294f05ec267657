//! A read-through cache in front of a [`VaultStore`]. Every vault request reads the vault, the
//! caller's role assignments and the object's version; with SQLite each read is a hand-off to
//! sqlx's worker thread and back, which costs more than a signature (docs/benchmarks.md).
//!
//! Only point reads are cached, and only as rows: the service derives enabled, nbf/exp and
//! soft-delete state from them with its clock on every call. Every write through this store
//! clears all of it at once (and evicts the parsed keys of the name written), and a read that
//! raced a write does not put its result back ([`Generation`]). Entries also expire after a
//! short TTL, so that a change made by another process sharing the database shows up soon.
//! Lists, deleted objects and the insert path's checks always go to the store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use skybridge_store::{
    DeletedObjectRecord, StoreError, VaultObjectKind, VaultObjectRecord, VaultRecord,
    VaultRoleAssignmentRecord, VaultSettingKind, VaultSettingRecord, VaultStore,
};
use uuid::Uuid;

use super::keys::KeyCache;
use super::map::{BoundedMap, Generation};

/// How long a cached row is served: another process's writes show up within it.
pub(crate) const STORE_CACHE_TTL: Duration = Duration::from_secs(5);

/// Most rows kept per kind of read. A row may carry a sealed secret of up to 25 KiB, so this
/// bounds the cache to tens of MB however many objects a vault holds.
const MAX_ROWS: usize = 1024;

type ObjectKey = (String, VaultObjectKind, String);

/// A [`VaultStore`] caching the reads every request makes.
pub(crate) struct CachedVaultStore {
    inner: Arc<dyn VaultStore>,
    ttl: Duration,
    generation: Generation,
    keys: Arc<KeyCache>,
    // Rows are kept shared: a hit is a reference count, not a copy of the row.
    vaults: BoundedMap<String, Option<Arc<VaultRecord>>>,
    assignments: BoundedMap<(String, Uuid), Arc<Vec<VaultRoleAssignmentRecord>>>,
    latest: BoundedMap<ObjectKey, Option<Arc<VaultObjectRecord>>>,
    versions: BoundedMap<(ObjectKey, String), Option<Arc<VaultObjectRecord>>>,
}

impl CachedVaultStore {
    /// Caches reads of `inner` for `ttl`; writes also evict from `keys`.
    pub(crate) fn new(inner: Arc<dyn VaultStore>, ttl: Duration, keys: Arc<KeyCache>) -> Self {
        Self {
            inner,
            ttl,
            generation: Generation::default(),
            keys,
            vaults: BoundedMap::new(MAX_ROWS),
            assignments: BoundedMap::new(MAX_ROWS),
            latest: BoundedMap::new(MAX_ROWS),
            versions: BoundedMap::new(MAX_ROWS),
        }
    }

    /// After any write: nothing read before it is served again.
    fn written(&self) {
        self.generation.advance();
        self.vaults.clear();
        self.assignments.clear();
        self.latest.clear();
        self.versions.clear();
    }

    /// After a write to `name` under `kinds`: also the parsed keys of that name.
    fn written_name(&self, vault: &str, kinds: &[VaultObjectKind], name: &str) {
        self.written();
        if kinds.contains(&VaultObjectKind::Key) {
            self.keys.evict(&crate::service::VaultService::aad_prefix(
                vault,
                VaultObjectKind::Key,
                name,
                0,
            ));
        }
    }
}

/// Serves `$key` from `$map` or reads it with `$load`, caching the result unless a write
/// happened meanwhile.
macro_rules! cached {
    ($self:ident, $map:ident, $key:expr, $load:expr) => {{
        let key = $key;
        if let Some(hit) = $self.$map.get(&key, Some($self.ttl)) {
            return Ok(hit);
        }
        let since = $self.generation.current();
        let value = $load.await?;
        $self
            .$map
            .insert_if(key, value.clone(), || $self.generation.current() == since);
        Ok(value)
    }};
}

#[async_trait]
impl VaultStore for CachedVaultStore {
    async fn put_vault(&self, vault: &VaultRecord) -> Result<(), StoreError> {
        let r = self.inner.put_vault(vault).await;
        self.written();
        r
    }

    async fn vault(&self, name: &str) -> Result<Option<VaultRecord>, StoreError> {
        Ok(self.vault_shared(name).await?.map(Arc::unwrap_or_clone))
    }

    async fn vault_shared(&self, name: &str) -> Result<Option<Arc<VaultRecord>>, StoreError> {
        cached!(
            self,
            vaults,
            name.to_string(),
            self.inner.vault_shared(name)
        )
    }

    async fn vaults(&self) -> Result<Vec<VaultRecord>, StoreError> {
        self.inner.vaults().await
    }

    async fn replace_vault_role_assignments(
        &self,
        vault: &str,
        assignments: &[VaultRoleAssignmentRecord],
    ) -> Result<(), StoreError> {
        let r = self
            .inner
            .replace_vault_role_assignments(vault, assignments)
            .await;
        self.written();
        r
    }

    async fn vault_role_assignments(
        &self,
        vault: &str,
        principal_id: Uuid,
    ) -> Result<Vec<VaultRoleAssignmentRecord>, StoreError> {
        Ok(Arc::unwrap_or_clone(
            self.vault_role_assignments_shared(vault, principal_id)
                .await?,
        ))
    }

    async fn vault_role_assignments_shared(
        &self,
        vault: &str,
        principal_id: Uuid,
    ) -> Result<Arc<Vec<VaultRoleAssignmentRecord>>, StoreError> {
        cached!(
            self,
            assignments,
            (vault.to_string(), principal_id),
            self.inner
                .vault_role_assignments_shared(vault, principal_id)
        )
    }

    async fn insert_object_versions(
        &self,
        records: &[VaultObjectRecord],
    ) -> Result<bool, StoreError> {
        let r = self.inner.insert_object_versions(records).await;
        self.written();
        r
    }

    async fn update_object_version(&self, record: &VaultObjectRecord) -> Result<bool, StoreError> {
        let r = self.inner.update_object_version(record).await;
        self.written_name(&record.vault, &[record.kind], &record.name);
        r
    }

    async fn object_version(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
        version: &str,
    ) -> Result<Option<VaultObjectRecord>, StoreError> {
        Ok(self
            .object_version_shared(vault, kind, name, version)
            .await?
            .map(Arc::unwrap_or_clone))
    }

    async fn object_version_shared(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
        version: &str,
    ) -> Result<Option<Arc<VaultObjectRecord>>, StoreError> {
        cached!(
            self,
            versions,
            (
                (vault.to_string(), kind, name.to_string()),
                version.to_string()
            ),
            self.inner.object_version_shared(vault, kind, name, version)
        )
    }

    async fn latest_object_version(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
    ) -> Result<Option<VaultObjectRecord>, StoreError> {
        Ok(self
            .latest_object_version_shared(vault, kind, name)
            .await?
            .map(Arc::unwrap_or_clone))
    }

    async fn latest_object_version_shared(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
    ) -> Result<Option<Arc<VaultObjectRecord>>, StoreError> {
        cached!(
            self,
            latest,
            (vault.to_string(), kind, name.to_string()),
            self.inner.latest_object_version_shared(vault, kind, name)
        )
    }

    async fn object_versions(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
    ) -> Result<Vec<VaultObjectRecord>, StoreError> {
        self.inner.object_versions(vault, kind, name).await
    }

    async fn latest_objects(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<VaultObjectRecord>, StoreError> {
        self.inner.latest_objects(vault, kind, offset, limit).await
    }

    async fn delete_objects(
        &self,
        vault: &str,
        kinds: &[VaultObjectKind],
        name: &str,
        deleted_at: i64,
        purge_at: i64,
    ) -> Result<bool, StoreError> {
        let r = self
            .inner
            .delete_objects(vault, kinds, name, deleted_at, purge_at)
            .await;
        self.written_name(vault, kinds, name);
        r
    }

    async fn deleted_object(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
    ) -> Result<Option<DeletedObjectRecord>, StoreError> {
        self.inner.deleted_object(vault, kind, name).await
    }

    async fn deleted_objects(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<DeletedObjectRecord>, StoreError> {
        self.inner.deleted_objects(vault, kind, offset, limit).await
    }

    async fn recover_objects(
        &self,
        vault: &str,
        kinds: &[VaultObjectKind],
        name: &str,
    ) -> Result<bool, StoreError> {
        let r = self.inner.recover_objects(vault, kinds, name).await;
        self.written_name(vault, kinds, name);
        r
    }

    async fn purge_objects(
        &self,
        vault: &str,
        kinds: &[VaultObjectKind],
        name: &str,
    ) -> Result<bool, StoreError> {
        let r = self.inner.purge_objects(vault, kinds, name).await;
        self.written_name(vault, kinds, name);
        r
    }

    async fn purge_expired_objects(&self, now: i64) -> Result<u64, StoreError> {
        let r = self.inner.purge_expired_objects(now).await;
        // This runs every minute; when it purged nothing there is nothing to forget.
        if !matches!(r, Ok(0)) {
            self.written();
            self.keys.clear();
        }
        r
    }

    // Issuers and contacts are read only by their own (rare) operations: not cached.
    async fn put_vault_setting(&self, record: &VaultSettingRecord) -> Result<(), StoreError> {
        self.inner.put_vault_setting(record).await
    }

    async fn vault_setting(
        &self,
        vault: &str,
        kind: VaultSettingKind,
        name: &str,
    ) -> Result<Option<VaultSettingRecord>, StoreError> {
        self.inner.vault_setting(vault, kind, name).await
    }

    async fn vault_settings(
        &self,
        vault: &str,
        kind: VaultSettingKind,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<VaultSettingRecord>, StoreError> {
        self.inner.vault_settings(vault, kind, offset, limit).await
    }

    async fn delete_vault_setting(
        &self,
        vault: &str,
        kind: VaultSettingKind,
        name: &str,
    ) -> Result<bool, StoreError> {
        self.inner.delete_vault_setting(vault, kind, name).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use skybridge_store::SqliteStore;

    fn record(name: &str, version: &str, meta: &str) -> VaultObjectRecord {
        VaultObjectRecord {
            vault: "kv".into(),
            kind: VaultObjectKind::Secret,
            name: name.into(),
            version: version.into(),
            created_at: 1,
            updated_at: 1,
            meta: meta.into(),
            wrapped_key: None,
            sealed: None,
        }
    }

    #[tokio::test]
    async fn every_write_is_seen_by_the_next_read() {
        let sqlite: Arc<dyn VaultStore> = Arc::new(SqliteStore::open_in_memory().await.unwrap());
        let store =
            CachedVaultStore::new(sqlite.clone(), STORE_CACHE_TTL, Arc::new(KeyCache::new()));
        const S: VaultObjectKind = VaultObjectKind::Secret;
        assert_eq!(store.vault("kv").await.unwrap(), None);
        let vault = VaultRecord {
            name: "kv".into(),
            tenant_id: Uuid::nil(),
            retention_days: 7,
            purge_protection: false,
            created_at: 1,
        };
        store.put_vault(&vault).await.unwrap();
        assert_eq!(store.vault("kv").await.unwrap(), Some(vault.clone()));
        let v1 = "0".repeat(32);
        let v2 = "1".repeat(32);
        assert_eq!(
            store.latest_object_version("kv", S, "s").await.unwrap(),
            None
        );
        assert!(
            store
                .insert_object_versions(&[record("s", &v1, "a")])
                .await
                .unwrap()
        );
        let latest = store.latest_object_version("kv", S, "s").await.unwrap();
        assert_eq!(latest.unwrap().version, v1);
        assert!(
            store
                .insert_object_versions(&[record("s", &v2, "b")])
                .await
                .unwrap()
        );
        let latest = store.latest_object_version("kv", S, "s").await.unwrap();
        assert_eq!(
            latest.unwrap().version,
            v2,
            "a new version is the latest at once"
        );
        assert_eq!(
            store
                .object_version("kv", S, "s", &v1)
                .await
                .unwrap()
                .unwrap()
                .meta,
            "a"
        );
        let mut updated = record("s", &v1, "disabled");
        updated.updated_at = 2;
        assert!(store.update_object_version(&updated).await.unwrap());
        assert_eq!(
            store
                .object_version("kv", S, "s", &v1)
                .await
                .unwrap()
                .unwrap()
                .meta,
            "disabled"
        );
        assert!(store.delete_objects("kv", &[S], "s", 5, 10).await.unwrap());
        assert_eq!(
            store.latest_object_version("kv", S, "s").await.unwrap(),
            None
        );
        assert_eq!(store.object_version("kv", S, "s", &v1).await.unwrap(), None);
        assert!(store.recover_objects("kv", &[S], "s").await.unwrap());
        assert!(
            store
                .object_version("kv", S, "s", &v1)
                .await
                .unwrap()
                .is_some()
        );
        assert!(store.delete_objects("kv", &[S], "s", 5, 10).await.unwrap());
        assert!(store.purge_objects("kv", &[S], "s").await.unwrap());
        assert_eq!(
            store.latest_object_version("kv", S, "s").await.unwrap(),
            None
        );
        assert!(
            store
                .insert_object_versions(&[record("e", &v1, "a")])
                .await
                .unwrap()
        );
        assert!(
            store
                .latest_object_version("kv", S, "e")
                .await
                .unwrap()
                .is_some()
        );
        assert!(store.delete_objects("kv", &[S], "e", 5, 10).await.unwrap());
        assert_eq!(store.purge_expired_objects(11).await.unwrap(), 1);
        assert_eq!(store.deleted_object("kv", S, "e").await.unwrap(), None);
        let grant = VaultRoleAssignmentRecord {
            vault: "kv".into(),
            principal_id: Uuid::nil(),
            role_id: Uuid::nil(),
            scope: String::new(),
        };
        assert!(
            store
                .vault_role_assignments("kv", Uuid::nil())
                .await
                .unwrap()
                .is_empty()
        );
        store
            .replace_vault_role_assignments("kv", std::slice::from_ref(&grant))
            .await
            .unwrap();
        assert_eq!(
            store
                .vault_role_assignments("kv", Uuid::nil())
                .await
                .unwrap(),
            vec![grant]
        );
        store
            .replace_vault_role_assignments("kv", &[])
            .await
            .unwrap();
        assert!(
            store
                .vault_role_assignments("kv", Uuid::nil())
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn rows_are_served_from_memory_within_the_ttl_only() {
        let sqlite: Arc<dyn VaultStore> = Arc::new(SqliteStore::open_in_memory().await.unwrap());
        let vault = |days| VaultRecord {
            name: "kv".into(),
            tenant_id: Uuid::nil(),
            retention_days: days,
            purge_protection: false,
            created_at: 1,
        };
        sqlite.put_vault(&vault(7)).await.unwrap();
        let cached =
            CachedVaultStore::new(sqlite.clone(), STORE_CACHE_TTL, Arc::new(KeyCache::new()));
        let uncached =
            CachedVaultStore::new(sqlite.clone(), Duration::ZERO, Arc::new(KeyCache::new()));
        assert_eq!(cached.vault("kv").await.unwrap(), Some(vault(7)));
        assert_eq!(uncached.vault("kv").await.unwrap(), Some(vault(7)));
        // Another writer, behind the caches' backs.
        sqlite.put_vault(&vault(30)).await.unwrap();
        assert_eq!(
            cached.vault("kv").await.unwrap(),
            Some(vault(7)),
            "within the TTL"
        );
        assert_eq!(uncached.vault("kv").await.unwrap(), Some(vault(30)));
    }
}
