//! Backup and restore: every version of an object (a certificate brings its key and secret),
//! material included, serialised and sealed under the root key. The blob is opaque and only
//! restores into a vault of a Skybridge holding the same root key — as Azure's backups only
//! restore within the same geography and subscription.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use skybridge_jose::b64;
use skybridge_store::{VaultObjectKind, VaultObjectRecord, VaultRecord};

use super::{VaultService, store_kind};
use crate::api::Blob;
use crate::error::{ObjectKind, VaultError, bad};

const FORMAT: u32 = 1;
const AAD: &str = "vault-backup/v1";

#[derive(Serialize, Deserialize)]
struct BackupVersion {
    kind: String,
    version: String,
    created_at: i64,
    updated_at: i64,
    meta: String,
    material: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct BackupBlob {
    format: u32,
    kind: String,
    name: String,
    versions: Vec<BackupVersion>,
}

fn members(kind: ObjectKind) -> &'static [VaultObjectKind] {
    match kind {
        ObjectKind::Certificate => &[
            VaultObjectKind::Certificate,
            VaultObjectKind::Key,
            VaultObjectKind::Secret,
        ],
        ObjectKind::Key => &[VaultObjectKind::Key],
        ObjectKind::Secret => &[VaultObjectKind::Secret],
    }
}

impl VaultService {
    /// `POST /{kind}s/{name}/backup`.
    pub async fn backup(
        &self,
        vault: &VaultRecord,
        kind: ObjectKind,
        name: &str,
    ) -> Result<Blob, VaultError> {
        let latest = self.find(vault, store_kind(kind), name, None).await?;
        let mut versions = Vec::new();
        for member in members(kind) {
            for r in self
                .store()
                .object_versions(&vault.name, *member, name)
                .await?
            {
                let material = match &r.sealed {
                    Some(_) => Some(b64::url_encode(&self.open(&r)?)),
                    None => None,
                };
                versions.push(BackupVersion {
                    kind: r.kind.as_str().into(),
                    version: r.version,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                    meta: r.meta,
                    material,
                });
            }
        }
        let blob = BackupBlob {
            format: FORMAT,
            kind: store_kind(kind).as_str().into(),
            name: latest.name,
            versions,
        };
        let json = serde_json::to_vec(&blob).map_err(|e| VaultError::Internal(e.to_string()))?;
        let sealed = self.root_key.seal(AAD, &json)?;
        Ok(Blob {
            value: b64::url_encode(&sealed),
        })
    }

    /// `POST /{kind}s/restore`: the restored object's bundle.
    pub async fn restore(
        &self,
        vault: &VaultRecord,
        kind: ObjectKind,
        blob: Blob,
    ) -> Result<Value, VaultError> {
        let invalid = || bad("The backup blob is invalid or was made by another Skybridge.");
        let sealed = b64::url_decode_lenient(&blob.value).map_err(|_| invalid())?;
        let json = self.root_key.open(AAD, &sealed).map_err(|_| invalid())?;
        let backup: BackupBlob = serde_json::from_slice(&json).map_err(|_| invalid())?;
        if backup.format != FORMAT || backup.kind != store_kind(kind).as_str() {
            return Err(bad(format!(
                "The backup blob does not hold a {}.",
                kind.noun()
            )));
        }
        crate::names::check_name(&backup.name)?;
        for member in members(kind) {
            if self
                .store()
                .latest_object_version(&vault.name, *member, &backup.name)
                .await?
                .is_some()
            {
                return Err(VaultError::Conflict(format!(
                    "{} {} already exists; delete and purge it before restoring.",
                    kind.noun(),
                    backup.name
                )));
            }
        }
        let mut records = Vec::new();
        for v in backup.versions {
            let member = VaultObjectKind::parse(&v.kind).ok_or_else(invalid)?;
            if !members(kind).contains(&member) || !crate::names::is_version(&v.version) {
                return Err(invalid());
            }
            let mut record = VaultObjectRecord {
                vault: vault.name.clone(),
                kind: member,
                name: backup.name.clone(),
                version: v.version,
                created_at: v.created_at,
                updated_at: v.updated_at,
                meta: v.meta,
                wrapped_key: None,
                sealed: None,
            };
            if let Some(material) = v.material {
                let plain = b64::url_decode_lenient(&material).map_err(|_| invalid())?;
                self.seal_into(&mut record, &plain)?;
            }
            records.push(record);
        }
        // Primary kind first, so a conflict names the right object.
        records.sort_by_key(|r| r.kind != store_kind(kind));
        self.insert(vault, &records).await?;
        let latest = self
            .find(vault, store_kind(kind), &backup.name, None)
            .await?;
        let value = match kind {
            ObjectKind::Key => serde_json::to_value(self.key_bundle(vault, &latest)?),
            ObjectKind::Secret => serde_json::to_value(self.secret_bundle(vault, &latest, false)?),
            ObjectKind::Certificate => {
                serde_json::to_value(self.certificate_bundle(vault, &latest)?)
            }
        };
        value.map_err(|e| VaultError::Internal(e.to_string()))
    }
}
