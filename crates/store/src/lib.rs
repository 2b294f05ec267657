//! Storage for Skybridge: one trait per service (this crate holds the directory used by the
//! authority), an embedded SQLite implementation, and the root key that encrypts secret material
//! at rest. The traits speak in plain records so that a PostgreSQL implementation can follow
//! without touching the services.

mod cache;
mod directory;
mod error;
mod identity;
mod root_key;
pub mod sqlite;
mod vault;
mod workflow;

pub use cache::CachedDirectory;
pub use directory::{
    AppRoleAssignmentRecord, AppRoleRecord, ApplicationRecord, DirectoryStore,
    FederatedCredentialRecord, KeyCredentialRecord, PasswordCredentialRecord,
    ServicePrincipalRecord, SigningKeyRecord, SigningKeyStatus, TenantRecord,
};
pub use error::StoreError;
pub use identity::{
    IdentityKind, IdentityResourceRecord, ManagedIdentityRecord, ManagedIdentityStore,
};
pub use root_key::{ROOT_KEY_ENV, RootKey};
pub use sqlite::SqliteStore;
pub use vault::{
    DeletedObjectRecord, VaultObjectKind, VaultObjectRecord, VaultRecord,
    VaultRoleAssignmentRecord, VaultSettingKind, VaultSettingRecord, VaultStore,
};
pub use workflow::{WorkflowActionRecord, WorkflowRunQuery, WorkflowRunRecord, WorkflowRunStore};
