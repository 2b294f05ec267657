//! A read-through cache in front of a [`DirectoryStore`]. The token endpoint reads the same few
//! rows (tenant, client, resource, credentials, grants) for every request; going to SQLite for
//! each costs more than the RSA signature (measured in docs/benchmarks.md). Entries live for a
//! short TTL so that another process sharing the store is seen soon (Entra itself replicates
//! directory changes with a delay); any write through this cache clears it at once.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use uuid::Uuid;

use crate::StoreError;
use crate::directory::*;

/// Beyond this many entries a map is emptied rather than grown (unknown names from clients
/// must not grow memory without bound).
const MAX_ENTRIES: usize = 10_000;

struct TtlMap<K, V> {
    map: RwLock<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    fn new() -> Self {
        Self {
            map: RwLock::new(HashMap::new()),
        }
    }

    fn get(&self, key: &K, ttl: Duration) -> Option<V> {
        let map = self.map.read().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, key: K, value: V) {
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (Instant::now(), value));
    }

    fn clear(&self) {
        self.map.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// A [`DirectoryStore`] that caches reads for `ttl`.
pub struct CachedDirectory {
    inner: Arc<dyn DirectoryStore>,
    ttl: Duration,
    tenants_by_id: TtlMap<Uuid, Option<TenantRecord>>,
    tenants_by_alias: TtlMap<String, Option<TenantRecord>>,
    applications: TtlMap<Uuid, Option<ApplicationRecord>>,
    by_identifier_uri: TtlMap<String, Vec<ApplicationRecord>>,
    service_principals: TtlMap<(Uuid, Uuid), Option<ServicePrincipalRecord>>,
    passwords: TtlMap<Uuid, Vec<PasswordCredentialRecord>>,
    certificates: TtlMap<Uuid, Vec<KeyCredentialRecord>>,
    assignments: TtlMap<(Uuid, Uuid), Vec<AppRoleAssignmentRecord>>,
    federated: TtlMap<Uuid, Vec<FederatedCredentialRecord>>,
}

impl CachedDirectory {
    /// Caches reads of `inner` for `ttl`.
    pub fn new(inner: Arc<dyn DirectoryStore>, ttl: Duration) -> Self {
        Self {
            inner,
            ttl,
            tenants_by_id: TtlMap::new(),
            tenants_by_alias: TtlMap::new(),
            applications: TtlMap::new(),
            by_identifier_uri: TtlMap::new(),
            service_principals: TtlMap::new(),
            passwords: TtlMap::new(),
            certificates: TtlMap::new(),
            assignments: TtlMap::new(),
            federated: TtlMap::new(),
        }
    }

    /// Forgets everything (after any write).
    pub fn clear(&self) {
        self.tenants_by_id.clear();
        self.tenants_by_alias.clear();
        self.applications.clear();
        self.by_identifier_uri.clear();
        self.service_principals.clear();
        self.passwords.clear();
        self.certificates.clear();
        self.assignments.clear();
        self.federated.clear();
    }
}

/// Serves `$key` from `$map`, or reads it with `$load` and remembers it.
macro_rules! cached {
    ($self:ident, $map:ident, $key:expr, $load:expr) => {{
        let key = $key;
        if let Some(hit) = $self.$map.get(&key, $self.ttl) {
            return Ok(hit);
        }
        let value = $load.await?;
        $self.$map.put(key, value.clone());
        Ok(value)
    }};
}

#[async_trait]
impl DirectoryStore for CachedDirectory {
    async fn put_tenant(&self, tenant: &TenantRecord) -> Result<(), StoreError> {
        let r = self.inner.put_tenant(tenant).await;
        self.clear();
        r
    }

    async fn tenant(&self, id: Uuid) -> Result<Option<TenantRecord>, StoreError> {
        cached!(self, tenants_by_id, id, self.inner.tenant(id))
    }

    async fn tenant_by_alias(&self, alias: &str) -> Result<Option<TenantRecord>, StoreError> {
        cached!(
            self,
            tenants_by_alias,
            alias.to_ascii_lowercase(),
            self.inner.tenant_by_alias(alias)
        )
    }

    async fn tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        self.inner.tenants().await
    }

    async fn put_application(&self, app: &ApplicationRecord) -> Result<(), StoreError> {
        let r = self.inner.put_application(app).await;
        self.clear();
        r
    }

    async fn application(&self, app_id: Uuid) -> Result<Option<ApplicationRecord>, StoreError> {
        cached!(self, applications, app_id, self.inner.application(app_id))
    }

    async fn application_by_name(
        &self,
        tenant_id: Uuid,
        name: &str,
    ) -> Result<Option<ApplicationRecord>, StoreError> {
        self.inner.application_by_name(tenant_id, name).await
    }

    async fn applications_by_identifier_uri(
        &self,
        uri: &str,
    ) -> Result<Vec<ApplicationRecord>, StoreError> {
        cached!(
            self,
            by_identifier_uri,
            uri.to_string(),
            self.inner.applications_by_identifier_uri(uri)
        )
    }

    async fn applications(&self) -> Result<Vec<ApplicationRecord>, StoreError> {
        self.inner.applications().await
    }

    async fn put_service_principal(&self, sp: &ServicePrincipalRecord) -> Result<(), StoreError> {
        let r = self.inner.put_service_principal(sp).await;
        self.clear();
        r
    }

    async fn service_principal(
        &self,
        tenant_id: Uuid,
        app_id: Uuid,
    ) -> Result<Option<ServicePrincipalRecord>, StoreError> {
        cached!(
            self,
            service_principals,
            (tenant_id, app_id),
            self.inner.service_principal(tenant_id, app_id)
        )
    }

    async fn put_password_credential(
        &self,
        c: &PasswordCredentialRecord,
    ) -> Result<(), StoreError> {
        let r = self.inner.put_password_credential(c).await;
        self.clear();
        r
    }

    async fn password_credentials(
        &self,
        app_id: Uuid,
    ) -> Result<Vec<PasswordCredentialRecord>, StoreError> {
        cached!(
            self,
            passwords,
            app_id,
            self.inner.password_credentials(app_id)
        )
    }

    async fn put_key_credential(&self, c: &KeyCredentialRecord) -> Result<(), StoreError> {
        let r = self.inner.put_key_credential(c).await;
        self.clear();
        r
    }

    async fn key_credentials(&self, app_id: Uuid) -> Result<Vec<KeyCredentialRecord>, StoreError> {
        cached!(
            self,
            certificates,
            app_id,
            self.inner.key_credentials(app_id)
        )
    }

    async fn put_federated_credential(
        &self,
        c: &FederatedCredentialRecord,
    ) -> Result<(), StoreError> {
        let r = self.inner.put_federated_credential(c).await;
        self.clear();
        r
    }

    async fn federated_credentials(
        &self,
        app_id: Uuid,
    ) -> Result<Vec<FederatedCredentialRecord>, StoreError> {
        cached!(
            self,
            federated,
            app_id,
            self.inner.federated_credentials(app_id)
        )
    }

    async fn put_app_role_assignment(
        &self,
        a: &AppRoleAssignmentRecord,
    ) -> Result<AppRoleAssignmentRecord, StoreError> {
        let r = self.inner.put_app_role_assignment(a).await;
        self.clear();
        r
    }

    async fn app_role_assignments(
        &self,
        principal_id: Uuid,
        resource_id: Uuid,
    ) -> Result<Vec<AppRoleAssignmentRecord>, StoreError> {
        cached!(
            self,
            assignments,
            (principal_id, resource_id),
            self.inner.app_role_assignments(principal_id, resource_id)
        )
    }

    async fn signing_keys(&self, tenant_id: Uuid) -> Result<Vec<SigningKeyRecord>, StoreError> {
        self.inner.signing_keys(tenant_id).await
    }

    async fn replace_signing_keys(
        &self,
        tenant_id: Uuid,
        keys: &[SigningKeyRecord],
    ) -> Result<(), StoreError> {
        self.inner.replace_signing_keys(tenant_id, keys).await
    }

    async fn remember_assertion(
        &self,
        tenant_id: Uuid,
        client_id: Uuid,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.inner
            .remember_assertion(tenant_id, client_id, jti, expires_at, now)
            .await
    }
}
