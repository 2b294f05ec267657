//! Declaring vaults (the world file): the vault itself, its role assignments, and objects that
//! exist from the start. Idempotent: an object is created only when its name is unused, so a
//! restart changes nothing and never adds versions.

use skybridge_store::{VaultObjectKind, VaultRecord, VaultRoleAssignmentRecord};
use uuid::Uuid;

use super::VaultService;
use crate::api::certificates::{
    CertificateCreateParameters, CertificateImportParameters, CertificatePolicy,
};
use crate::api::keys::KeyCreateParameters;
use crate::api::secrets::SecretSetParameters;
use crate::api::{Attributes, Tags};
use crate::error::VaultError;

/// A vault as declared.
#[derive(Debug, Clone)]
pub struct VaultSpec {
    /// The name.
    pub name: String,
    /// Its tenant.
    pub tenant_id: Uuid,
    /// Soft-delete retention, 7-90 days.
    pub retention_days: i64,
    /// Purge protection.
    pub purge_protection: bool,
    /// (principal object id, role id, scope) — scope empty or `keys/<name>` etc.
    pub role_assignments: Vec<(Uuid, Uuid, String)>,
    /// Keys to create.
    pub keys: Vec<SeedKey>,
    /// Secrets to set.
    pub secrets: Vec<SeedSecret>,
    /// Certificates to create or import.
    pub certificates: Vec<SeedCertificate>,
    /// Throttling limits (None: not throttled, the default).
    pub throttling: Option<crate::throttle::ThrottleLimits>,
}

/// A key to create.
#[derive(Debug, Clone)]
pub struct SeedKey {
    /// Name.
    pub name: String,
    /// `RSA` or `EC`.
    pub kty: String,
    /// RSA bits.
    pub key_size: Option<u32>,
    /// EC curve.
    pub crv: Option<String>,
    /// Permitted operations (default: all the key type allows).
    pub key_ops: Option<Vec<String>>,
    /// Tags.
    pub tags: Option<Tags>,
}

/// A secret to set.
#[derive(Clone)]
pub struct SeedSecret {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// Content type.
    pub content_type: Option<String>,
    /// Tags.
    pub tags: Option<Tags>,
}

// The value never reaches a log.
impl std::fmt::Debug for SeedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedSecret")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A certificate to create (self-signed from `policy`) or import (`import` holds base64 PFX
/// or PEM text).
#[derive(Clone)]
pub struct SeedCertificate {
    /// Name.
    pub name: String,
    /// The policy (for imports: the secret content type and exportability).
    pub policy: CertificatePolicy,
    /// base64 PFX or PEM text to import instead of creating.
    pub import: Option<String>,
    /// The PFX password.
    pub password: Option<String>,
    /// Tags.
    pub tags: Option<Tags>,
}

impl std::fmt::Debug for SeedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedCertificate")
            .field("name", &self.name)
            .field("import", &self.import.is_some())
            .finish_non_exhaustive()
    }
}

impl VaultService {
    async fn name_used(
        &self,
        vault: &VaultRecord,
        kind: VaultObjectKind,
        name: &str,
    ) -> Result<bool, VaultError> {
        Ok(self
            .store()
            .latest_object_version(&vault.name, kind, name)
            .await?
            .is_some()
            || self
                .store()
                .deleted_object(&vault.name, kind, name)
                .await?
                .is_some())
    }

    /// Creates or updates a vault and its assignments, then creates missing seed objects.
    pub async fn ensure_vault(&self, spec: &VaultSpec) -> Result<VaultRecord, VaultError> {
        if !crate::names::is_valid_vault_name(&spec.name) {
            return Err(crate::error::bad(format!(
                "vault name '{}' must be 3-24 letters, digits and dashes, start with a letter \
                 and end with a letter or digit",
                spec.name
            )));
        }
        let created_at = match self.store().vault(&spec.name).await? {
            Some(existing) => existing.created_at,
            None => self.now(),
        };
        let vault = VaultRecord {
            name: spec.name.to_ascii_lowercase(),
            tenant_id: spec.tenant_id,
            retention_days: spec.retention_days,
            purge_protection: spec.purge_protection,
            created_at,
        };
        self.store().put_vault(&vault).await?;
        let assignments: Vec<_> = spec
            .role_assignments
            .iter()
            .map(|(principal, role, scope)| VaultRoleAssignmentRecord {
                vault: vault.name.clone(),
                principal_id: *principal,
                role_id: *role,
                scope: scope.clone(),
            })
            .collect();
        self.store()
            .replace_vault_role_assignments(&vault.name, &assignments)
            .await?;
        self.set_throttling(&vault.name, spec.throttling);
        for k in &spec.keys {
            if !self
                .name_used(&vault, VaultObjectKind::Key, &k.name)
                .await?
            {
                let p = KeyCreateParameters {
                    kty: k.kty.clone(),
                    key_size: k.key_size,
                    public_exponent: None,
                    crv: k.crv.clone(),
                    key_ops: k.key_ops.clone(),
                    attributes: None,
                    tags: k.tags.clone(),
                };
                self.create_key(&vault, &k.name, p).await?;
            }
        }
        for s in &spec.secrets {
            if !self
                .name_used(&vault, VaultObjectKind::Secret, &s.name)
                .await?
            {
                let p = SecretSetParameters {
                    value: s.value.clone(),
                    tags: s.tags.clone(),
                    content_type: s.content_type.clone(),
                    attributes: None,
                };
                self.set_secret(&vault, &s.name, p).await?;
            }
        }
        for c in &spec.certificates {
            if self
                .name_used(&vault, VaultObjectKind::Certificate, &c.name)
                .await?
            {
                continue;
            }
            match &c.import {
                Some(value) => {
                    let p = CertificateImportParameters {
                        value: value.clone(),
                        pwd: c.password.clone(),
                        policy: Some(c.policy.clone()),
                        attributes: Some(Attributes::default()),
                        tags: c.tags.clone(),
                    };
                    self.import_certificate(&vault, &c.name, p).await?;
                }
                None => {
                    let p = CertificateCreateParameters {
                        policy: Some(c.policy.clone()),
                        attributes: None,
                        tags: c.tags.clone(),
                    };
                    self.create_certificate(&vault, &c.name, p).await?;
                }
            }
        }
        Ok(vault)
    }
}
