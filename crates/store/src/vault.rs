//! The Key Vault data plane's storage: vaults, their RBAC role assignments, and versioned
//! objects (keys, secrets, certificates) with soft delete. The store keeps the service's JSON
//! metadata as opaque text and secret material only in the sealed form the service hands it.

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

use crate::StoreError;

/// A vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultRecord {
    /// The vault name (3-24 characters), unique, compared case-insensitively.
    pub name: String,
    /// The tenant whose tokens the vault accepts.
    pub tenant_id: Uuid,
    /// Soft-delete retention in days (7-90).
    pub retention_days: i64,
    /// Whether deleted objects can be purged before their retention ends.
    pub purge_protection: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// A data-plane RBAC role assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultRoleAssignmentRecord {
    /// The vault.
    pub vault: String,
    /// The principal's object id (`oid`).
    pub principal_id: Uuid,
    /// The role definition id (a built-in Key Vault role).
    pub role_id: Uuid,
    /// Empty for the whole vault, else `keys/<name>`, `secrets/<name>` or `certificates/<name>`.
    pub scope: String,
}

/// What kind of object a version belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VaultObjectKind {
    /// A key.
    Key,
    /// A secret.
    Secret,
    /// A certificate.
    Certificate,
}

impl VaultObjectKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Secret => "secret",
            Self::Certificate => "certificate",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "key" => Some(Self::Key),
            "secret" => Some(Self::Secret),
            "certificate" => Some(Self::Certificate),
            _ => None,
        }
    }
}

/// One version of a key, secret or certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct VaultObjectRecord {
    /// The vault.
    pub vault: String,
    /// The object's kind.
    pub kind: VaultObjectKind,
    /// The object's name (case-insensitive).
    pub name: String,
    /// The version (32 lowercase hex digits).
    pub version: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// The service's JSON metadata; never secret.
    pub meta: String,
    /// The version's data key, sealed with the root key.
    pub wrapped_key: Option<Vec<u8>>,
    /// The secret material (private key, secret value), sealed with the data key.
    pub sealed: Option<Vec<u8>>,
}

// Hand-written so that sealed material never reaches a log line, even encrypted.
impl std::fmt::Debug for VaultObjectRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultObjectRecord")
            .field("vault", &self.vault)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("version", &self.version)
            .field("sealed", &self.sealed.is_some())
            .finish_non_exhaustive()
    }
}

/// What kind of vault-wide setting a row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VaultSettingKind {
    /// A certificate issuer (named).
    Issuer,
    /// The certificate contacts (one per vault).
    Contacts,
}

impl VaultSettingKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issuer => "issuer",
            Self::Contacts => "contacts",
        }
    }
}

/// A vault-wide setting: a certificate issuer or the certificate contacts. Unversioned, and
/// deleted outright.
#[derive(Clone, PartialEq, Eq)]
pub struct VaultSettingRecord {
    /// The vault.
    pub vault: String,
    /// What it is.
    pub kind: VaultSettingKind,
    /// The issuer's name (case-insensitive); the contacts use a fixed name.
    pub name: String,
    /// Unix seconds; kept when the setting is replaced.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// The service's JSON metadata; never secret.
    pub meta: String,
    /// The setting's data key, sealed with the root key.
    pub wrapped_key: Option<Vec<u8>>,
    /// Secret material (an issuer's password), sealed with the data key.
    pub sealed: Option<Vec<u8>>,
}

// Hand-written so that sealed material never reaches a log line, even encrypted.
impl std::fmt::Debug for VaultSettingRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultSettingRecord")
            .field("vault", &self.vault)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("sealed", &self.sealed.is_some())
            .finish_non_exhaustive()
    }
}

/// A soft-deleted object name (all its versions go together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedObjectRecord {
    /// When it was deleted (Unix seconds).
    pub deleted_at: i64,
    /// When it is purged automatically (Unix seconds).
    pub purge_at: i64,
    /// Its latest version, as it was when deleted.
    pub latest: VaultObjectRecord,
}

/// Storage for the vault service.
#[async_trait]
pub trait VaultStore: Send + Sync {
    /// Inserts or updates a vault (by name).
    async fn put_vault(&self, vault: &VaultRecord) -> Result<(), StoreError>;
    /// A vault by name (case-insensitive).
    async fn vault(&self, name: &str) -> Result<Option<VaultRecord>, StoreError>;
    /// All vaults, by name.
    async fn vaults(&self) -> Result<Vec<VaultRecord>, StoreError>;
    /// Replaces a vault's role assignments in one transaction (the world file owns them).
    async fn replace_vault_role_assignments(
        &self,
        vault: &str,
        assignments: &[VaultRoleAssignmentRecord],
    ) -> Result<(), StoreError>;
    /// A principal's role assignments on a vault (every scope).
    async fn vault_role_assignments(
        &self,
        vault: &str,
        principal_id: Uuid,
    ) -> Result<Vec<VaultRoleAssignmentRecord>, StoreError>;

    /// Inserts versions atomically (a certificate adds its key and secret with it). Returns
    /// `false`, inserting nothing, when one of the names is soft-deleted or a version exists.
    async fn insert_object_versions(
        &self,
        records: &[VaultObjectRecord],
    ) -> Result<bool, StoreError>;
    /// Replaces the metadata (and `updated_at`) of a live version; `false` when absent.
    async fn update_object_version(&self, record: &VaultObjectRecord) -> Result<bool, StoreError>;
    /// A live version (not soft-deleted).
    async fn object_version(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
        version: &str,
    ) -> Result<Option<VaultObjectRecord>, StoreError>;
    /// The newest live version of a name.
    async fn latest_object_version(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
    ) -> Result<Option<VaultObjectRecord>, StoreError>;

    // Shared reads of what every request reads: a caching store answers them without copying
    // its rows (a key version carries its sealed material). The defaults wrap the owned reads.

    /// [`Self::vault`], shared.
    async fn vault_shared(&self, name: &str) -> Result<Option<Arc<VaultRecord>>, StoreError> {
        Ok(self.vault(name).await?.map(Arc::new))
    }
    /// [`Self::vault_role_assignments`], shared.
    async fn vault_role_assignments_shared(
        &self,
        vault: &str,
        principal_id: Uuid,
    ) -> Result<Arc<Vec<VaultRoleAssignmentRecord>>, StoreError> {
        Ok(Arc::new(
            self.vault_role_assignments(vault, principal_id).await?,
        ))
    }
    /// [`Self::latest_object_version`], shared.
    async fn latest_object_version_shared(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
    ) -> Result<Option<Arc<VaultObjectRecord>>, StoreError> {
        Ok(self
            .latest_object_version(vault, kind, name)
            .await?
            .map(Arc::new))
    }
    /// [`Self::object_version`], shared.
    async fn object_version_shared(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
        version: &str,
    ) -> Result<Option<Arc<VaultObjectRecord>>, StoreError> {
        Ok(self
            .object_version(vault, kind, name, version)
            .await?
            .map(Arc::new))
    }

    /// Every live version of a name, oldest first.
    async fn object_versions(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
    ) -> Result<Vec<VaultObjectRecord>, StoreError>;
    /// The newest version of each live name, by name, paged.
    async fn latest_objects(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<VaultObjectRecord>, StoreError>;
    /// Soft-deletes a name under each of `kinds` (those that exist) in one transaction; `false`
    /// when the first kind has no live version.
    async fn delete_objects(
        &self,
        vault: &str,
        kinds: &[VaultObjectKind],
        name: &str,
        deleted_at: i64,
        purge_at: i64,
    ) -> Result<bool, StoreError>;
    /// A soft-deleted name.
    async fn deleted_object(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
    ) -> Result<Option<DeletedObjectRecord>, StoreError>;
    /// Soft-deleted names, by name, paged.
    async fn deleted_objects(
        &self,
        vault: &str,
        kind: VaultObjectKind,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<DeletedObjectRecord>, StoreError>;
    /// Undoes a soft delete under each of `kinds`; `false` when the first was not deleted.
    async fn recover_objects(
        &self,
        vault: &str,
        kinds: &[VaultObjectKind],
        name: &str,
    ) -> Result<bool, StoreError>;
    /// Removes a soft-deleted name and all its versions under each of `kinds`; `false` when the
    /// first was not deleted.
    async fn purge_objects(
        &self,
        vault: &str,
        kinds: &[VaultObjectKind],
        name: &str,
    ) -> Result<bool, StoreError>;
    /// Purges every deleted name whose retention ended before `now`; returns how many.
    async fn purge_expired_objects(&self, now: i64) -> Result<u64, StoreError>;

    /// Inserts or replaces a setting (by vault, kind and name); a replacement keeps the first
    /// `created_at`.
    async fn put_vault_setting(&self, record: &VaultSettingRecord) -> Result<(), StoreError>;
    /// A setting.
    async fn vault_setting(
        &self,
        vault: &str,
        kind: VaultSettingKind,
        name: &str,
    ) -> Result<Option<VaultSettingRecord>, StoreError>;
    /// A vault's settings of one kind, by name, paged.
    async fn vault_settings(
        &self,
        vault: &str,
        kind: VaultSettingKind,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<VaultSettingRecord>, StoreError>;
    /// Removes a setting; `false` when there was none.
    async fn delete_vault_setting(
        &self,
        vault: &str,
        kind: VaultSettingKind,
        name: &str,
    ) -> Result<bool, StoreError>;
}
