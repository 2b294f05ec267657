//! Secrets: set (a new version each time), get, update, list and versions.

use skybridge_store::{VaultObjectKind, VaultObjectRecord, VaultRecord};

use super::meta::{self, SecretMeta};
use super::{ListRequest, VaultService};
use crate::api::secrets::*;
use crate::api::{Attributes, Page};
use crate::error::{VaultError, bad};
use crate::names::{check_name, new_version};

const SECRET: VaultObjectKind = VaultObjectKind::Secret;

/// Key Vault's limit on a secret value: 25 KiB (service limits).
pub const MAX_SECRET_BYTES: usize = 25 * 1024;

impl VaultService {
    fn secret_id(&self, vault: &VaultRecord, r: &VaultObjectRecord, versioned: bool) -> String {
        let id = format!("{}/secrets/{}", self.base(vault), r.name);
        if versioned {
            format!("{id}/{}", r.version)
        } else {
            id
        }
    }

    /// The bundle of a version; `value` only when asked for.
    pub(crate) fn secret_bundle(
        &self,
        vault: &VaultRecord,
        record: &VaultObjectRecord,
        with_value: bool,
    ) -> Result<SecretBundle, VaultError> {
        let m: SecretMeta = meta::read(record)?;
        let value = if with_value {
            let bytes = self.open(record)?;
            Some(
                String::from_utf8(bytes)
                    .map_err(|_| VaultError::Internal("secret value is not UTF-8".into()))?,
            )
        } else {
            None
        };
        Ok(SecretBundle {
            value,
            id: self.secret_id(vault, record, true),
            content_type: m.content_type,
            attributes: self.full_attributes(vault, &m.attributes, record),
            tags: m.tags,
            kid: m.managed.then(|| {
                format!(
                    "{}/keys/{}/{}",
                    self.base(vault),
                    record.name,
                    record.version
                )
            }),
            managed: m.managed.then_some(true),
        })
    }

    pub(crate) fn secret_item(
        &self,
        vault: &VaultRecord,
        record: &VaultObjectRecord,
        versioned: bool,
    ) -> Result<SecretItem, VaultError> {
        let m: SecretMeta = meta::read(record)?;
        Ok(SecretItem {
            id: self.secret_id(vault, record, versioned),
            attributes: self.full_attributes(vault, &m.attributes, record),
            tags: m.tags,
            content_type: m.content_type,
            managed: m.managed.then_some(true),
        })
    }

    /// A secret version record with its sealed value.
    pub(crate) fn secret_record(
        &self,
        vault: &VaultRecord,
        name: &str,
        version: &str,
        value: &[u8],
        meta: &SecretMeta,
    ) -> Result<VaultObjectRecord, VaultError> {
        let mut record = self.new_record(vault, SECRET, name, version, meta)?;
        self.seal_into(&mut record, value)?;
        Ok(record)
    }

    /// `PUT /secrets/{name}`.
    pub async fn set_secret(
        &self,
        vault: &VaultRecord,
        name: &str,
        p: SecretSetParameters,
    ) -> Result<SecretBundle, VaultError> {
        check_name(name)?;
        if p.value.len() > MAX_SECRET_BYTES {
            return Err(bad(format!(
                "The secret value is {} bytes; the limit is {MAX_SECRET_BYTES}.",
                p.value.len()
            )));
        }
        if let Some(existing) = self
            .store()
            .latest_object_version(&vault.name, SECRET, name)
            .await?
            && meta::read::<SecretMeta>(&existing)?.managed
        {
            return Err(VaultError::Forbidden(format!(
                "Secret {name} is managed by a certificate and cannot be set."
            )));
        }
        let mut attributes = Attributes::default();
        attributes.merge(&p.attributes.unwrap_or_default());
        let m = SecretMeta {
            content_type: p.content_type,
            attributes,
            tags: p.tags,
            managed: false,
        };
        let record = self.secret_record(vault, name, &new_version(), p.value.as_bytes(), &m)?;
        self.insert(vault, std::slice::from_ref(&record)).await?;
        self.secret_bundle(vault, &record, true)
    }

    /// `GET /secrets/{name}/{version?}`. A disabled or not-yet-valid secret is 403 (Key Vault;
    /// witnessed by calvinchengx/azure-keyvault-emulator's SDK tests).
    pub async fn get_secret(
        &self,
        vault: &VaultRecord,
        name: &str,
        version: Option<&str>,
    ) -> Result<SecretBundle, VaultError> {
        let record = self.find_shared(vault, SECRET, name, version).await?;
        let m: SecretMeta = meta::read(&record)?;
        if m.attributes.enabled == Some(false) {
            return Err(VaultError::Forbidden(
                "Operation get is not allowed on a disabled secret.".into(),
            ));
        }
        if m.attributes.nbf.is_some_and(|nbf| self.now() < nbf) {
            return Err(VaultError::Forbidden(
                "Operation get is not allowed on a secret that is not yet valid.".into(),
            ));
        }
        self.secret_bundle(vault, &record, true)
    }

    /// `PATCH /secrets/{name}/{version?}`.
    pub async fn update_secret(
        &self,
        vault: &VaultRecord,
        name: &str,
        version: Option<&str>,
        p: SecretUpdateParameters,
    ) -> Result<SecretBundle, VaultError> {
        let mut record = self.find(vault, SECRET, name, version).await?;
        let mut m: SecretMeta = meta::read(&record)?;
        if m.managed {
            return Err(VaultError::Forbidden(format!(
                "Secret {name} is managed by a certificate; update the certificate instead."
            )));
        }
        if p.content_type.is_some() {
            m.content_type = p.content_type;
        }
        if let Some(a) = &p.attributes {
            m.attributes.merge(a);
        }
        if p.tags.is_some() {
            m.tags = p.tags;
        }
        self.save_update(
            &mut record,
            meta::to_text(&m)?,
            crate::ObjectKind::Secret,
            name,
        )
        .await?;
        self.secret_bundle(vault, &record, false)
    }

    /// `GET /secrets`.
    pub async fn list_secrets(
        &self,
        vault: &VaultRecord,
        list: &ListRequest,
    ) -> Result<Page<SecretItem>, VaultError> {
        let records = self
            .store()
            .latest_objects(
                &vault.name,
                SECRET,
                list.paging.offset,
                list.paging.limit + 1,
            )
            .await?;
        let items = records
            .iter()
            .map(|r| self.secret_item(vault, r, false))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.page(vault, list, items))
    }

    /// `GET /secrets/{name}/versions`.
    pub async fn list_secret_versions(
        &self,
        vault: &VaultRecord,
        name: &str,
        list: &ListRequest,
    ) -> Result<Page<SecretItem>, VaultError> {
        let records = self
            .store()
            .object_versions(&vault.name, SECRET, name)
            .await?;
        if records.is_empty() {
            self.find(vault, SECRET, name, None).await?;
        }
        let items = records
            .iter()
            .skip(list.paging.offset as usize)
            .take(list.paging.limit as usize + 1)
            .map(|r| self.secret_item(vault, r, true))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.page(vault, list, items))
    }
}
