//! Soft delete, the deleted-object collections, recover and purge — one code path for keys,
//! secrets and certificates. Deleting a certificate takes its managed key and secret with it;
//! those cannot be deleted on their own.

use serde::Serialize;
use serde_json::Value;
use skybridge_store::{DeletedObjectRecord, VaultObjectKind, VaultObjectRecord, VaultRecord};

use super::meta::{self, KeyMeta, SecretMeta};
use super::{ListRequest, VaultService, store_kind};
use crate::api::{Deleted, DeletedInfo, Page};
use crate::error::{ObjectKind, VaultError};

fn to_value(v: &impl Serialize) -> Result<Value, VaultError> {
    serde_json::to_value(v).map_err(|e| VaultError::Internal(e.to_string()))
}

/// The kinds that go together under one name.
fn kinds(kind: ObjectKind) -> &'static [VaultObjectKind] {
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

fn not_found_deleted(kind: ObjectKind, name: &str) -> VaultError {
    VaultError::NotFound {
        kind,
        name: name.to_string(),
        deleted: true,
    }
}

impl VaultService {
    fn bundle_value(
        &self,
        vault: &VaultRecord,
        record: &VaultObjectRecord,
    ) -> Result<Value, VaultError> {
        match record.kind {
            VaultObjectKind::Key => to_value(&self.key_bundle(vault, record)?),
            VaultObjectKind::Secret => to_value(&self.secret_bundle(vault, record, false)?),
            VaultObjectKind::Certificate => to_value(&self.certificate_bundle(vault, record)?),
        }
    }

    fn item_value(
        &self,
        vault: &VaultRecord,
        record: &VaultObjectRecord,
    ) -> Result<Value, VaultError> {
        match record.kind {
            VaultObjectKind::Key => to_value(&self.key_item(vault, record, false)?),
            VaultObjectKind::Secret => to_value(&self.secret_item(vault, record, false)?),
            VaultObjectKind::Certificate => to_value(&self.certificate_item(vault, record)?),
        }
    }

    fn deleted_info(
        &self,
        vault: &VaultRecord,
        kind: ObjectKind,
        name: &str,
        d: (i64, i64),
    ) -> DeletedInfo {
        DeletedInfo {
            recovery_id: format!("{}/deleted{}/{name}", self.base(vault), kind.collection()),
            deleted_date: d.0,
            scheduled_purge_date: d.1,
        }
    }

    fn deleted_value(
        &self,
        vault: &VaultRecord,
        kind: ObjectKind,
        d: &DeletedObjectRecord,
        item: bool,
    ) -> Result<Value, VaultError> {
        let info = self.deleted_info(vault, kind, &d.latest.name, (d.deleted_at, d.purge_at));
        let body = if item {
            self.item_value(vault, &d.latest)?
        } else {
            self.bundle_value(vault, &d.latest)?
        };
        to_value(&Deleted { info, item: body })
    }

    fn is_managed(record: &VaultObjectRecord) -> Result<bool, VaultError> {
        Ok(match record.kind {
            VaultObjectKind::Key => meta::read::<KeyMeta>(record)?.managed,
            VaultObjectKind::Secret => meta::read::<SecretMeta>(record)?.managed,
            VaultObjectKind::Certificate => false,
        })
    }

    /// `DELETE /{keys|secrets|certificates}/{name}`: soft delete; the deleted bundle.
    pub async fn delete_object(
        &self,
        vault: &VaultRecord,
        kind: ObjectKind,
        name: &str,
    ) -> Result<Value, VaultError> {
        let latest = self.find(vault, store_kind(kind), name, None).await?;
        if Self::is_managed(&latest)? {
            return Err(VaultError::Forbidden(format!(
                "{} {name} is managed by a certificate; delete the certificate instead.",
                kind.noun()
            )));
        }
        let times = self.delete_times(vault);
        if !self
            .store()
            .delete_objects(&vault.name, kinds(kind), &latest.name, times.0, times.1)
            .await?
        {
            return Err(VaultError::NotFound {
                kind,
                name: name.to_string(),
                deleted: false,
            });
        }
        let info = self.deleted_info(vault, kind, &latest.name, times);
        to_value(&Deleted {
            info,
            item: self.bundle_value(vault, &latest)?,
        })
    }

    /// `GET /deleted{kind}s/{name}`.
    pub async fn get_deleted(
        &self,
        vault: &VaultRecord,
        kind: ObjectKind,
        name: &str,
    ) -> Result<Value, VaultError> {
        let d = self
            .store()
            .deleted_object(&vault.name, store_kind(kind), name)
            .await?
            .ok_or_else(|| not_found_deleted(kind, name))?;
        if kind != ObjectKind::Certificate && Self::is_managed(&d.latest)? {
            // A certificate's key and secret are deleted with it but listed only as the
            // certificate.
            return Err(not_found_deleted(kind, name));
        }
        self.deleted_value(vault, kind, &d, false)
    }

    /// `GET /deleted{kind}s`.
    pub async fn list_deleted(
        &self,
        vault: &VaultRecord,
        kind: ObjectKind,
        list: &ListRequest,
    ) -> Result<Page<Value>, VaultError> {
        let rows = self
            .store()
            .deleted_objects(
                &vault.name,
                store_kind(kind),
                list.paging.offset,
                list.paging.limit + 1,
            )
            .await?;
        // A certificate's key and secret are deleted with it but listed only as the certificate.
        let mut items = Vec::new();
        for d in &rows {
            if kind == ObjectKind::Certificate || !Self::is_managed(&d.latest)? {
                items.push(d);
            }
        }
        let items = items
            .into_iter()
            .map(|d| self.deleted_value(vault, kind, d, true))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.page(vault, list, items))
    }

    /// `POST /deleted{kind}s/{name}/recover`: the live bundle again.
    pub async fn recover_object(
        &self,
        vault: &VaultRecord,
        kind: ObjectKind,
        name: &str,
    ) -> Result<Value, VaultError> {
        if !self
            .store()
            .recover_objects(&vault.name, kinds(kind), name)
            .await?
        {
            return Err(not_found_deleted(kind, name));
        }
        let latest = self.find(vault, store_kind(kind), name, None).await?;
        self.bundle_value(vault, &latest)
    }

    /// `DELETE /deleted{kind}s/{name}`: gone for good (204). Refused under purge protection.
    pub async fn purge_object(
        &self,
        vault: &VaultRecord,
        kind: ObjectKind,
        name: &str,
    ) -> Result<(), VaultError> {
        if vault.purge_protection {
            // Key Vault refuses purges in a purge-protected vault; objects leave when their
            // retention ends.
            if self
                .store()
                .deleted_object(&vault.name, store_kind(kind), name)
                .await?
                .is_none()
            {
                return Err(not_found_deleted(kind, name));
            }
            return Err(VaultError::Forbidden(format!(
                "Operation \"purge\" is not allowed because purge protection is enabled for \
                 this vault. The {} will be purged automatically when its retention period \
                 ends.",
                kind.noun()
            )));
        }
        if !self
            .store()
            .purge_objects(&vault.name, kinds(kind), name)
            .await?
        {
            return Err(not_found_deleted(kind, name));
        }
        Ok(())
    }

    /// Purges every soft-deleted object whose retention has ended.
    pub async fn purge_expired(&self) -> Result<u64, VaultError> {
        Ok(self.store().purge_expired_objects(self.now()).await?)
    }
}
