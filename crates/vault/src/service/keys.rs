//! Keys: create, import, get, update, list, versions, rotate, and the crypto operations.

use std::sync::Arc;

use skybridge_jose::b64;
use skybridge_pki::KeyKind;
use skybridge_store::{VaultObjectKind, VaultObjectRecord, VaultRecord};

use super::meta::{self, KeyMeta};
use super::{ListRequest, VaultService};
use crate::api::keys::*;
use crate::api::{Attributes, Blob, Page};
use crate::cache::keys::{KeyUse, LoadedKey, Purpose};
use crate::crypto;
use crate::error::{VaultError, bad};
use crate::names::{check_name, new_version};

const KEY: VaultObjectKind = VaultObjectKind::Key;

/// The crypto operations a key version performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOperation {
    /// `encrypt`.
    Encrypt,
    /// `decrypt`.
    Decrypt,
    /// `sign`.
    Sign,
    /// `wrapkey`.
    WrapKey,
    /// `unwrapkey`.
    UnwrapKey,
}

impl KeyOperation {
    /// The `key_ops` entry that permits it.
    pub fn key_op(self) -> &'static str {
        match self {
            Self::Encrypt => "encrypt",
            Self::Decrypt => "decrypt",
            Self::Sign => "sign",
            Self::WrapKey => "wrapKey",
            Self::UnwrapKey => "unwrapKey",
        }
    }

    /// Operations that stay allowed after `exp`: a key may still open what it protected and
    /// check what it signed (learn.microsoft.com, "About keys": exp/nbf).
    fn allowed_after_expiry(self) -> bool {
        matches!(self, Self::Decrypt | Self::UnwrapKey)
    }
}

fn decode(value: &str, what: &str) -> Result<Vec<u8>, VaultError> {
    b64::url_decode_lenient(value).map_err(|_| bad(format!("The {what} is not valid base64url.")))
}

fn check_ops(ops: &[String]) -> Result<(), VaultError> {
    const KNOWN: [&str; 8] = [
        "encrypt",
        "decrypt",
        "sign",
        "verify",
        "wrapKey",
        "unwrapKey",
        "import",
        "export",
    ];
    match ops.iter().find(|op| !KNOWN.contains(&op.as_str())) {
        Some(op) => Err(bad(format!(
            "Invalid key operation {}.",
            crate::names::printable(op)
        ))),
        None => Ok(()),
    }
}

impl VaultService {
    pub(crate) fn key_bundle(
        &self,
        vault: &VaultRecord,
        record: &VaultObjectRecord,
    ) -> Result<KeyBundle, VaultError> {
        let m: KeyMeta = meta::read(record)?;
        let mut key = m.public.clone();
        key.kid = Some(format!(
            "{}/keys/{}/{}",
            self.base(vault),
            record.name,
            record.version
        ));
        key.key_ops = Some(m.key_ops.clone());
        Ok(KeyBundle {
            key,
            attributes: self.full_attributes(vault, &m.attributes, record),
            tags: m.tags,
            managed: m.managed.then_some(true),
        })
    }

    pub(crate) fn key_item(
        &self,
        vault: &VaultRecord,
        record: &VaultObjectRecord,
        versioned: bool,
    ) -> Result<KeyItem, VaultError> {
        let m: KeyMeta = meta::read(record)?;
        let mut kid = format!("{}/keys/{}", self.base(vault), record.name);
        if versioned {
            kid = format!("{kid}/{}", record.version);
        }
        Ok(KeyItem {
            kid,
            attributes: self.full_attributes(vault, &m.attributes, record),
            tags: m.tags,
            managed: m.managed.then_some(true),
        })
    }

    /// A key version record with sealed material, ready to insert.
    pub(crate) fn key_record(
        &self,
        vault: &VaultRecord,
        name: &str,
        version: &str,
        pkcs8: &[u8],
        meta: &KeyMeta,
    ) -> Result<VaultObjectRecord, VaultError> {
        let mut record = self.new_record(vault, KEY, name, version, meta)?;
        self.seal_into(&mut record, pkcs8)?;
        Ok(record)
    }

    async fn store_new_key(
        &self,
        vault: &VaultRecord,
        name: &str,
        pkcs8: &[u8],
        key_ops: Option<Vec<String>>,
        attributes: Option<Attributes>,
        tags: Option<crate::api::Tags>,
    ) -> Result<KeyBundle, VaultError> {
        let kind = crypto::kind_of(pkcs8)?;
        let key_ops = key_ops.unwrap_or_else(|| crypto::default_ops(kind));
        check_ops(&key_ops)?;
        let mut attrs = Attributes::default();
        attrs.merge(&attributes.unwrap_or_default());
        attrs.exportable = Some(false);
        let m = KeyMeta {
            public: crypto::public_jwk(pkcs8)?,
            key_ops,
            attributes: attrs,
            tags,
            managed: false,
        };
        let record = self.key_record(vault, name, &new_version(), pkcs8, &m)?;
        self.insert(vault, std::slice::from_ref(&record)).await?;
        self.key_bundle(vault, &record)
    }

    /// `POST /keys/{name}/create`.
    pub async fn create_key(
        &self,
        vault: &VaultRecord,
        name: &str,
        p: KeyCreateParameters,
    ) -> Result<KeyBundle, VaultError> {
        check_name(name)?;
        let kind = crypto::requested_kind(&p.kty, p.key_size, p.crv.as_deref())?;
        if p.public_exponent.is_some_and(|e| e != 65537) {
            return Err(bad("Only the public exponent 65537 is supported."));
        }
        let pkcs8 = crypto::generate_off_thread(kind).await?;
        self.store_new_key(vault, name, &pkcs8, p.key_ops, p.attributes, p.tags)
            .await
    }

    /// `PUT /keys/{name}`.
    pub async fn import_key(
        &self,
        vault: &VaultRecord,
        name: &str,
        p: KeyImportParameters,
    ) -> Result<KeyBundle, VaultError> {
        check_name(name)?;
        let pkcs8 = crypto::import_jwk(&p.key)?;
        let ops = p.key.key_ops.clone().filter(|ops| !ops.is_empty());
        self.store_new_key(vault, name, &pkcs8, ops, p.attributes, p.tags)
            .await
    }

    /// `GET /keys/{name}/{version?}`.
    pub async fn get_key(
        &self,
        vault: &VaultRecord,
        name: &str,
        version: Option<&str>,
    ) -> Result<KeyBundle, VaultError> {
        let record = self.find_shared(vault, KEY, name, version).await?;
        self.key_bundle(vault, &record)
    }

    /// `PATCH /keys/{name}/{version?}`.
    pub async fn update_key(
        &self,
        vault: &VaultRecord,
        name: &str,
        version: Option<&str>,
        p: KeyUpdateParameters,
    ) -> Result<KeyBundle, VaultError> {
        let mut record = self.find(vault, KEY, name, version).await?;
        let mut m: KeyMeta = meta::read(&record)?;
        if m.managed {
            return Err(VaultError::Forbidden(format!(
                "Key {name} is managed by a certificate; update the certificate instead."
            )));
        }
        if let Some(ops) = p.key_ops {
            check_ops(&ops)?;
            m.key_ops = ops;
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
            crate::ObjectKind::Key,
            name,
        )
        .await?;
        self.key_bundle(vault, &record)
    }

    /// `GET /keys`.
    pub async fn list_keys(
        &self,
        vault: &VaultRecord,
        list: &ListRequest,
    ) -> Result<Page<KeyItem>, VaultError> {
        let records = self
            .store()
            .latest_objects(&vault.name, KEY, list.paging.offset, list.paging.limit + 1)
            .await?;
        let items = records
            .iter()
            .map(|r| self.key_item(vault, r, false))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.page(vault, list, items))
    }

    /// `GET /keys/{name}/versions`.
    pub async fn list_key_versions(
        &self,
        vault: &VaultRecord,
        name: &str,
        list: &ListRequest,
    ) -> Result<Page<KeyItem>, VaultError> {
        let records = self.store().object_versions(&vault.name, KEY, name).await?;
        if records.is_empty() {
            self.find(vault, KEY, name, None).await?;
        }
        let items = records
            .iter()
            .skip(list.paging.offset as usize)
            .take(list.paging.limit as usize + 1)
            .map(|r| self.key_item(vault, r, true))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.page(vault, list, items))
    }

    /// `POST /keys/{name}/rotate`: a new version of the same type, size and operations.
    pub async fn rotate_key(
        &self,
        vault: &VaultRecord,
        name: &str,
    ) -> Result<KeyBundle, VaultError> {
        let record = self.find(vault, KEY, name, None).await?;
        let m: KeyMeta = meta::read(&record)?;
        if m.managed {
            return Err(VaultError::Forbidden(format!(
                "Key {name} is managed by a certificate and cannot be rotated."
            )));
        }
        let kind = crypto::kind_of(&self.open(&record)?)?;
        let pkcs8 = crypto::generate_off_thread(kind).await?;
        let attrs = Attributes {
            enabled: m.attributes.enabled,
            ..Attributes::default()
        };
        self.store_new_key(
            vault,
            &record.name,
            &pkcs8,
            Some(m.key_ops),
            Some(attrs),
            m.tags,
        )
        .await
    }

    /// Loads a version for a crypto operation, enforcing `key_ops`, enabled and nbf/exp (403,
    /// as Key Vault refuses operations on unusable keys), with the key kind its stored public
    /// key names. The private key is not opened here: see [`VaultService::loaded_key`].
    async fn usable_key(
        &self,
        vault: &VaultRecord,
        name: &str,
        version: Option<&str>,
        op: &str,
        after_expiry_ok: bool,
    ) -> Result<(Arc<VaultObjectRecord>, KeyKind, String), VaultError> {
        let record = self.find_shared(vault, KEY, name, version).await?;
        let id = Self::aad(&record);
        let m = self.loaded_keys().key_use(&id, &record.meta, || {
            let m: KeyMeta = meta::read(&record)?;
            Ok(KeyUse {
                enabled: m.attributes.enabled,
                nbf: m.attributes.nbf,
                exp: m.attributes.exp,
                kind: crypto::kind_of_public(&m.public)?,
                key_ops: m.key_ops,
            })
        })?;
        let now = self.now();
        let refuse = |state: &str| {
            Err(VaultError::Forbidden(format!(
                "Operation {op} is not allowed on {state} key."
            )))
        };
        if m.enabled == Some(false) {
            return refuse("a disabled");
        }
        if m.nbf.is_some_and(|nbf| now < nbf) {
            return refuse("a not yet valid");
        }
        if !after_expiry_ok && m.exp.is_some_and(|exp| now >= exp) {
            return refuse("an expired");
        }
        if !m.key_ops.iter().any(|k| k == op) {
            return Err(VaultError::Forbidden(format!(
                "Operation {op} is not permitted on this key: it is not in key_ops."
            )));
        }
        Ok((record, m.kind, id))
    }

    /// A version's private key parsed for `purpose`: from memory, or opened and parsed once.
    /// `since` is the parsed-key generation noted before `record` was read, so that a key
    /// loaded across a concurrent update, delete or purge is used once but not kept.
    /// `id` is the version's sealing identity ([`VaultService::aad`]).
    fn loaded_key(
        &self,
        record: &VaultObjectRecord,
        id: String,
        purpose: Purpose,
        since: u64,
    ) -> Result<Arc<LoadedKey>, VaultError> {
        self.loaded_keys().get_or_load(id, purpose, since, || {
            let mut pkcs8 = self.open(record)?;
            let loaded = match purpose {
                Purpose::Sign(alg) => crypto::load_signer(&pkcs8, alg).map(LoadedKey::Signer),
                Purpose::Rsa => crypto::load_rsa(&pkcs8).map(LoadedKey::Rsa),
            };
            pkcs8.fill(0);
            loaded
        })
    }

    fn kid(&self, vault: &VaultRecord, record: &VaultObjectRecord) -> String {
        format!(
            "{}/keys/{}/{}",
            self.base(vault),
            record.name,
            record.version
        )
    }

    /// `POST /keys/{name}/{version?}/{encrypt|decrypt|sign|wrapkey|unwrapkey}`.
    pub async fn key_operation(
        &self,
        vault: &VaultRecord,
        name: &str,
        version: Option<&str>,
        op: KeyOperation,
        p: KeyOperationParameters,
    ) -> Result<KeyOperationResult, VaultError> {
        let input = decode(&p.value, "value")?;
        let since = self.loaded_keys().generation();
        let (record, kind, id) = self
            .usable_key(vault, name, version, op.key_op(), op.allowed_after_expiry())
            .await?;
        let output = match op {
            KeyOperation::Sign => {
                let alg = crypto::sign_alg(&p.alg, kind)?;
                crypto::check_digest(alg, &input)?;
                let key = self.loaded_key(&record, id, Purpose::Sign(alg), since)?;
                crypto::sign_with(key.signer()?, &input)?
            }
            KeyOperation::Encrypt | KeyOperation::WrapKey => {
                let padding = crypto::padding(&p.alg)?;
                crypto::check_rsa(kind)?;
                let key = self.loaded_key(&record, id, Purpose::Rsa, since)?;
                crypto::encrypt_with(key.rsa()?, &padding, &input)?
            }
            KeyOperation::Decrypt | KeyOperation::UnwrapKey => {
                let padding = crypto::padding(&p.alg)?;
                crypto::check_rsa(kind)?;
                let key = self.loaded_key(&record, id, Purpose::Rsa, since)?;
                crypto::decrypt_with(key.rsa()?, &padding, &input)?
            }
        };
        Ok(KeyOperationResult {
            kid: self.kid(vault, &record),
            value: b64::url_encode(&output),
        })
    }

    /// `POST /keys/{name}/{version?}/verify`.
    pub async fn verify(
        &self,
        vault: &VaultRecord,
        name: &str,
        version: Option<&str>,
        p: KeyVerifyParameters,
    ) -> Result<KeyVerifyResult, VaultError> {
        let digest = decode(&p.digest, "digest")?;
        let signature = decode(&p.value, "value")?;
        let since = self.loaded_keys().generation();
        let (record, kind, id) = self
            .usable_key(vault, name, version, "verify", true)
            .await?;
        let alg = crypto::sign_alg(&p.alg, kind)?;
        crypto::check_digest(alg, &digest)?;
        let key = self.loaded_key(&record, id, Purpose::Sign(alg), since)?;
        Ok(KeyVerifyResult {
            value: crypto::verify_with(key.signer()?, &digest, &signature)?,
        })
    }

    /// `POST /rng`.
    pub fn random_bytes(&self, p: RandomBytesParameters) -> Result<Blob, VaultError> {
        if !(1..=128).contains(&p.count) {
            return Err(bad("count must be between 1 and 128."));
        }
        let mut bytes = vec![0u8; p.count as usize];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| VaultError::Internal("rng".into()))?;
        Ok(Blob {
            value: b64::url_encode(&bytes),
        })
    }
}
