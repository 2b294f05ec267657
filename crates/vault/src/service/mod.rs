//! The vault service: every data-plane operation, transport-free. The HTTP edge authenticates,
//! routes and authorizes, then calls one method here with the parsed body.

mod backup;
mod certbuild;
mod certificates;
mod certpolicy;
mod deleted;
mod issuers;
mod keys;
mod meta;
mod pending;
mod secrets;
mod seed;

use std::sync::Arc;

use serde::Serialize;
use skybridge_jose::Clock;
use skybridge_store::{RootKey, VaultObjectKind, VaultObjectRecord, VaultRecord, VaultStore};
use uuid::Uuid;

pub use keys::KeyOperation;
pub use seed::{SeedCertificate, SeedKey, SeedSecret, VaultSpec};

use crate::api::{Attributes, Page};
use crate::auth::{Caller, TokenValidator};
use crate::cache::keys::KeyCache;
use crate::cache::store::{CachedVaultStore, STORE_CACHE_TTL};
use crate::error::{ObjectKind, VaultError, bad};
use crate::rbac;
use crate::seal;
use crate::throttle::{self, Throttle, ThrottleClass, ThrottleLimits};

/// Largest `maxresults` Key Vault accepts (and its default).
pub const MAX_RESULTS: i64 = 25;

/// How vault URLs are formed: `https://<vault>.<host_suffix>[:port]`.
#[derive(Debug, Clone)]
pub struct VaultUrls {
    /// `vault.<domain>`.
    pub host_suffix: String,
    /// The listener's port (omitted from URLs when 443).
    pub port: u16,
}

impl VaultUrls {
    /// The host name of a vault.
    pub fn host(&self, vault: &str) -> String {
        format!("{}.{}", vault.to_ascii_lowercase(), self.host_suffix)
    }

    /// The origin every id of a vault is built on.
    pub fn origin(&self, vault: &str) -> String {
        if self.port == 443 {
            format!("https://{}", self.host(vault))
        } else {
            format!("https://{}:{}", self.host(vault), self.port)
        }
    }
}

/// The Key Vault data plane for every vault in the store.
pub struct VaultService {
    store: Arc<dyn VaultStore>,
    /// Private keys parsed once per version (the store evicts them on writes).
    loaded: Arc<KeyCache>,
    root_key: Arc<RootKey>,
    clock: Arc<dyn Clock>,
    urls: VaultUrls,
    validator: TokenValidator,
    /// Per-vault limits, for vaults declared with them.
    throttle: Throttle,
}

/// Where a list starts and how long it is (`$skiptoken`, `maxresults`).
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    /// Items to skip.
    pub offset: i64,
    /// Page size, 1..=25.
    pub limit: i64,
}

/// What a list's `nextLink` repeats: the path and api-version of the request.
#[derive(Debug, Clone)]
pub struct ListRequest {
    /// The request path (`/keys`, `/secrets/s1/versions`).
    pub path: String,
    /// The api-version the client sent.
    pub api_version: String,
    /// Paging.
    pub paging: Paging,
    /// More query parameters the `nextLink` repeats (`&name=value…`), usually empty.
    pub extra_query: String,
}

impl VaultService {
    /// A service over `store`, sealing with `root_key`. Its reads of `store` are cached in
    /// memory for a few seconds and every write through the service invalidates them, so
    /// another process writing the same database is seen within that time.
    pub fn new(
        store: Arc<dyn VaultStore>,
        root_key: Arc<RootKey>,
        clock: Arc<dyn Clock>,
        urls: VaultUrls,
        validator: TokenValidator,
    ) -> Self {
        let loaded = Arc::new(KeyCache::new());
        Self {
            store: Arc::new(CachedVaultStore::new(
                store,
                STORE_CACHE_TTL,
                loaded.clone(),
            )),
            loaded,
            root_key,
            clock,
            urls,
            validator,
            throttle: Throttle::default(),
        }
    }

    /// Whether `vault` has throttling limits.
    pub fn throttling_enabled(&self, vault: &str) -> bool {
        self.throttle.enabled(vault)
    }

    /// Counts a request against `vault`'s limits, or refuses it (429 `Throttled`).
    pub fn admit(&self, vault: &str, class: ThrottleClass, weight: u64) -> Result<(), VaultError> {
        self.throttle.admit(vault, class, weight, self.now())
    }

    /// Sets or removes a vault's limits (the world file owns them; they are not stored).
    pub fn set_throttling(&self, vault: &str, limits: Option<ThrottleLimits>) {
        self.throttle.configure(vault, limits);
    }

    /// What an operation with key `name` costs in the key-operation class (1 when the key is
    /// unknown: the request then fails on its own).
    pub async fn key_weight(&self, vault: &VaultRecord, name: &str, version: Option<&str>) -> u64 {
        let Ok(record) = self.find(vault, VaultObjectKind::Key, name, version).await else {
            return 1;
        };
        let bits = meta::read::<meta::KeyMeta>(&record)
            .ok()
            .and_then(|m| crate::crypto::kind_of_public(&m.public).ok())
            .and_then(|kind| match kind {
                skybridge_pki::KeyKind::Rsa2048 => Some(2048),
                skybridge_pki::KeyKind::Rsa3072 => Some(3072),
                skybridge_pki::KeyKind::Rsa4096 => Some(4096),
                _ => None,
            });
        throttle::key_weight(bits)
    }

    /// The token validator.
    pub fn validator(&self) -> &TokenValidator {
        &self.validator
    }

    /// URL settings.
    pub fn urls(&self) -> &VaultUrls {
        &self.urls
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    /// A vault by name (shared with the row cache: every request reads it).
    pub async fn vault(&self, name: &str) -> Result<Option<Arc<VaultRecord>>, VaultError> {
        Ok(self.store.vault_shared(name).await?)
    }

    /// Every vault.
    pub async fn vaults(&self) -> Result<Vec<VaultRecord>, VaultError> {
        Ok(self.store.vaults().await?)
    }

    /// Checks that `caller` holds a role allowing `action` (a suffix such as
    /// `keys/sign/action`) on the vault or on `object` (`keys/<name>`). Denial is Key Vault's
    /// 403 `ForbiddenByRbac`, whose message names caller, action and resource.
    pub async fn authorize(
        &self,
        vault: &VaultRecord,
        caller: &Caller,
        action: &str,
        object: Option<&str>,
    ) -> Result<(), VaultError> {
        let full = rbac::action(action);
        let assignments = self
            .store
            .vault_role_assignments_shared(&vault.name, caller.object_id)
            .await?;
        let allowed = assignments.iter().any(|a| {
            rbac::scope_covers(&a.scope, object)
                && rbac::ROLES
                    .iter()
                    .any(|r| r.id == a.role_id && rbac::role_allows(r, &full))
        });
        if allowed {
            return Ok(());
        }
        let resource = match object {
            Some(o) => format!("{}/{o}", resource_id(&vault.name)),
            None => resource_id(&vault.name),
        };
        Err(VaultError::ForbiddenByRbac(format!(
            "Caller is not authorized to perform action on resource.\r\nIf role assignments, \
             deny assignments or role definitions were changed recently, please observe \
             propagation time.\r\nCaller: appid={};oid={};iss={}\r\nAction: '{full}'\r\n\
             Resource: '{resource}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\n\
             DecisionReason: null \r\nVault: {};location=skybridge\r\n",
            caller.app_id.as_deref().unwrap_or(""),
            caller.object_id,
            caller.issuer,
            vault.name
        )))
    }

    pub(crate) fn base(&self, vault: &VaultRecord) -> String {
        self.urls.origin(&vault.name)
    }

    /// The read-only attributes every bundle carries.
    pub(crate) fn full_attributes(
        &self,
        vault: &VaultRecord,
        stored: &Attributes,
        record: &VaultObjectRecord,
    ) -> Attributes {
        let mut a = stored.clone();
        if a.enabled.is_none() {
            a.enabled = Some(true);
        }
        a.created = Some(record.created_at);
        a.updated = Some(record.updated_at);
        a.recovery_level = Some(recovery_level(vault).to_string());
        a.recoverable_days = Some(vault.retention_days);
        a
    }

    /// The root key, for sealing what is not a versioned object (issuer passwords).
    pub(crate) fn root_key(&self) -> &RootKey {
        &self.root_key
    }

    /// The parsed-key cache, for the key operations.
    pub(crate) fn loaded_keys(&self) -> &KeyCache {
        &self.loaded
    }

    /// A version's sealing identity, which also names it in the parsed-key cache:
    /// [`Self::aad_prefix`] and the version, lower-cased. One allocation, as every key
    /// operation builds it.
    pub(crate) fn aad(record: &VaultObjectRecord) -> String {
        let mut aad = Self::aad_prefix(
            &record.vault,
            record.kind,
            &record.name,
            record.version.len(),
        );
        aad.extend(record.version.chars().map(|c| c.to_ascii_lowercase()));
        aad
    }

    /// `vault/<vault>/<kind>/<name>/`, names lower-cased: what every version's sealing identity
    /// starts with, so also how the parsed-key cache finds a name's versions to evict. Room is
    /// left for `more` bytes.
    pub(crate) fn aad_prefix(
        vault: &str,
        kind: VaultObjectKind,
        name: &str,
        more: usize,
    ) -> String {
        let kind = kind.as_str();
        let mut prefix = String::with_capacity(9 + vault.len() + kind.len() + name.len() + more);
        let lower = |prefix: &mut String, part: &str| {
            prefix.extend(part.chars().map(|c| c.to_ascii_lowercase()));
        };
        prefix.push_str("vault/");
        lower(&mut prefix, vault);
        prefix.push('/');
        prefix.push_str(kind);
        prefix.push('/');
        lower(&mut prefix, name);
        prefix.push('/');
        prefix
    }

    /// Seals material into `record`.
    pub(crate) fn seal_into(
        &self,
        record: &mut VaultObjectRecord,
        material: &[u8],
    ) -> Result<(), VaultError> {
        let sealed = seal::seal(&self.root_key, &Self::aad(record), material)?;
        record.wrapped_key = Some(sealed.wrapped_key);
        record.sealed = Some(sealed.sealed);
        Ok(())
    }

    /// Opens a record's material.
    pub(crate) fn open(&self, record: &VaultObjectRecord) -> Result<Vec<u8>, VaultError> {
        match (&record.wrapped_key, &record.sealed) {
            (Some(w), Some(s)) => seal::open(&self.root_key, &Self::aad(record), w, s),
            _ => Err(VaultError::Internal("object has no sealed material".into())),
        }
    }

    /// The live version `version` (or the latest) of a name, or 404.
    pub(crate) async fn find(
        &self,
        vault: &VaultRecord,
        kind: VaultObjectKind,
        name: &str,
        version: Option<&str>,
    ) -> Result<VaultObjectRecord, VaultError> {
        Ok(Arc::unwrap_or_clone(
            self.find_shared(vault, kind, name, version).await?,
        ))
    }

    /// [`Self::find`], shared with the row cache (no copy of the version and its sealed
    /// material): for the operations that only read it.
    pub(crate) async fn find_shared(
        &self,
        vault: &VaultRecord,
        kind: VaultObjectKind,
        name: &str,
        version: Option<&str>,
    ) -> Result<Arc<VaultObjectRecord>, VaultError> {
        let found = match version {
            Some(v) if crate::names::is_version(v) => {
                self.store
                    .object_version_shared(&vault.name, kind, name, v)
                    .await?
            }
            Some(_) => None,
            None => {
                self.store
                    .latest_object_version_shared(&vault.name, kind, name)
                    .await?
            }
        };
        found.ok_or_else(|| VaultError::NotFound {
            kind: object_kind(kind),
            name: match version {
                Some(v) => format!("{name}/{}", crate::names::printable(v)),
                None => name.to_string(),
            },
            deleted: false,
        })
    }

    /// Inserts new versions, mapping a soft-deleted name to Key Vault's 409.
    pub(crate) async fn insert(
        &self,
        vault: &VaultRecord,
        records: &[VaultObjectRecord],
    ) -> Result<(), VaultError> {
        if self.store.insert_object_versions(records).await? {
            return Ok(());
        }
        let first = records
            .first()
            .ok_or_else(|| VaultError::Internal("nothing to insert".into()))?;
        if self
            .store
            .deleted_object(&vault.name, first.kind, &first.name)
            .await?
            .is_some()
        {
            return Err(VaultError::DeletedButRecoverable(format!(
                "{} {} is currently in a deleted but recoverable state, and its name cannot be \
                 reused; in this state, the {} can only be recovered or purged.",
                capitalized(object_kind(first.kind).noun()),
                first.name,
                object_kind(first.kind).noun()
            )));
        }
        Err(VaultError::Conflict(format!(
            "{} {} changed concurrently; retry.",
            capitalized(object_kind(first.kind).noun()),
            first.name
        )))
    }

    /// A fresh record for a new version.
    pub(crate) fn new_record(
        &self,
        vault: &VaultRecord,
        kind: VaultObjectKind,
        name: &str,
        version: &str,
        meta: &impl Serialize,
    ) -> Result<VaultObjectRecord, VaultError> {
        let now = self.now();
        Ok(VaultObjectRecord {
            vault: vault.name.clone(),
            kind,
            name: name.to_string(),
            version: version.to_string(),
            created_at: now,
            updated_at: now,
            meta: meta::to_text(meta)?,
            wrapped_key: None,
            sealed: None,
        })
    }

    /// Builds a page with its `nextLink` from up to `limit + 1` items.
    pub(crate) fn page<T>(
        &self,
        vault: &VaultRecord,
        list: &ListRequest,
        mut items: Vec<T>,
    ) -> Page<T> {
        let limit = list.paging.limit.clamp(1, MAX_RESULTS);
        let more = items.len() as i64 > limit;
        items.truncate(limit as usize);
        self.page_of(vault, list, items, more)
    }

    /// A page of `items` (already cut to the page), with a `nextLink` when `more`.
    pub(crate) fn page_of<T>(
        &self,
        vault: &VaultRecord,
        list: &ListRequest,
        items: Vec<T>,
        more: bool,
    ) -> Page<T> {
        let limit = list.paging.limit.clamp(1, MAX_RESULTS);
        let next_link = more.then(|| {
            format!(
                "{}{}?api-version={}&$skiptoken={}&maxresults={limit}{}",
                self.base(vault),
                list.path,
                list.api_version,
                skiptoken(list.paging.offset.saturating_add(limit)),
                list.extra_query
            )
        });
        Page {
            value: items,
            next_link,
        }
    }

    /// The store, for the service's modules.
    pub(crate) fn store(&self) -> &dyn VaultStore {
        self.store.as_ref()
    }

    /// Writes an updated version with its new metadata (`PATCH` of a key, secret or
    /// certificate); a version deleted meanwhile is NotFound.
    pub(crate) async fn save_update(
        &self,
        record: &mut VaultObjectRecord,
        meta_text: String,
        kind: ObjectKind,
        name: &str,
    ) -> Result<(), VaultError> {
        record.meta = meta_text;
        record.updated_at = self.now();
        if !self.store().update_object_version(record).await? {
            return Err(VaultError::NotFound {
                kind,
                name: name.to_string(),
                deleted: false,
            });
        }
        Ok(())
    }

    /// The vault's soft-delete times for a delete now.
    pub(crate) fn delete_times(&self, vault: &VaultRecord) -> (i64, i64) {
        let now = self.now();
        (now, now + vault.retention_days * 86_400)
    }
}

/// `$skiptoken` is an opaque base64url offset.
pub fn skiptoken(offset: i64) -> String {
    skybridge_jose::b64::url_encode(format!("offset:{offset}").as_bytes())
}

/// Reads a `$skiptoken`; an unreadable one is a 400.
pub fn parse_skiptoken(token: &str) -> Result<i64, VaultError> {
    skybridge_jose::b64::url_decode_lenient(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("offset:").and_then(|n| n.parse().ok()))
        .filter(|n: &i64| *n >= 0)
        .ok_or_else(|| bad("The $skiptoken is invalid."))
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// The Azure-style resource id of a vault, for RBAC messages.
fn resource_id(vault: &str) -> String {
    format!(
        "/subscriptions/{}/resourcegroups/skybridge/providers/microsoft.keyvault/vaults/{}",
        Uuid::nil(),
        vault.to_ascii_lowercase()
    )
}

/// Key Vault's `recoveryLevel` for the vault's settings.
pub fn recovery_level(vault: &VaultRecord) -> &'static str {
    match (vault.retention_days < 90, vault.purge_protection) {
        (false, false) => "Recoverable+Purgeable",
        (false, true) => "Recoverable",
        (true, false) => "CustomizedRecoverable+Purgeable",
        (true, true) => "CustomizedRecoverable",
    }
}

pub(crate) fn object_kind(kind: VaultObjectKind) -> ObjectKind {
    match kind {
        VaultObjectKind::Key => ObjectKind::Key,
        VaultObjectKind::Secret => ObjectKind::Secret,
        VaultObjectKind::Certificate => ObjectKind::Certificate,
    }
}

pub(crate) fn store_kind(kind: ObjectKind) -> VaultObjectKind {
    match kind {
        ObjectKind::Key => VaultObjectKind::Key,
        ObjectKind::Secret => VaultObjectKind::Secret,
        ObjectKind::Certificate => VaultObjectKind::Certificate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aad_is_the_lowercased_object_path() {
        let record = VaultObjectRecord {
            vault: "My-Vault".into(),
            kind: VaultObjectKind::Certificate,
            name: "Ünïcode-NAME".into(),
            version: "ABCdef01".into(),
            created_at: 0,
            updated_at: 0,
            meta: String::new(),
            wrapped_key: None,
            sealed: None,
        };
        // What sealed data is bound to must never change: this is the original spelling.
        let expected = format!(
            "vault/{}/{}/{}/{}",
            record.vault.to_ascii_lowercase(),
            record.kind.as_str(),
            record.name.to_ascii_lowercase(),
            record.version.to_ascii_lowercase()
        );
        assert_eq!(VaultService::aad(&record), expected);
        assert_eq!(expected, "vault/my-vault/certificate/Ünïcode-name/abcdef01");
        // The parsed-key cache evicts a name's versions by this prefix of their identities.
        let prefix = VaultService::aad_prefix("My-Vault", record.kind, "ÜNÏCODE-name", 0);
        assert_eq!(prefix, "vault/my-vault/certificate/ÜnÏcode-name/");
        assert!(!expected.starts_with(&prefix));
        let prefix = VaultService::aad_prefix("MY-vault", record.kind, "Ünïcode-NAME", 0);
        assert!(expected.starts_with(&prefix), "{prefix}");
    }
}
