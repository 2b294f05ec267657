//! Key Vault's JSON shapes (azure-rest-api-specs `keyvault` data plane; the Python SDKs'
//! `_generated/models`). Field spellings are Key Vault's own mix: `key_ops`, `key_size`,
//! `key_props` but `contentType`, `recoveryLevel`, `nextLink`. Timestamps are Unix seconds.

pub mod certificates;
pub mod issuers;
pub mod keys;
pub mod secrets;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Tags: string to string.
pub type Tags = BTreeMap<String, String>;

/// Object attributes as sent and returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributes {
    /// Whether the object may be used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Not before (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Expires (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Created (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    /// Updated (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<i64>,
    /// Soft-delete level (read-only).
    #[serde(
        rename = "recoveryLevel",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub recovery_level: Option<String>,
    /// Retention days (read-only).
    #[serde(
        rename = "recoverableDays",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub recoverable_days: Option<i64>,
    /// Keys only: whether the private key may be exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exportable: Option<bool>,
}

impl Attributes {
    /// Applies the caller-settable fields of `update` (`enabled`, `nbf`, `exp`).
    pub fn merge(&mut self, update: &Attributes) {
        if update.enabled.is_some() {
            self.enabled = update.enabled;
        }
        if update.nbf.is_some() {
            self.nbf = update.nbf;
        }
        if update.exp.is_some() {
            self.exp = update.exp;
        }
    }
}

/// A page of a list: `{"value": [...], "nextLink": url|null}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub value: Vec<T>,
    /// The next page's absolute URL, or null.
    #[serde(rename = "nextLink")]
    pub next_link: Option<String>,
}

/// Soft-delete fields added to a deleted object's bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeletedInfo {
    /// `<vault>/deleted<kind>s/<name>`.
    #[serde(rename = "recoveryId")]
    pub recovery_id: String,
    /// Unix seconds.
    #[serde(rename = "scheduledPurgeDate")]
    pub scheduled_purge_date: i64,
    /// Unix seconds.
    #[serde(rename = "deletedDate")]
    pub deleted_date: i64,
}

/// A deleted object: its bundle plus the soft-delete fields.
#[derive(Debug, Clone, Serialize)]
pub struct Deleted<T> {
    /// The soft-delete fields come first, as Key Vault orders them.
    #[serde(flatten)]
    pub info: DeletedInfo,
    /// The object.
    #[serde(flatten)]
    pub item: T,
}

/// `{"value": "<base64url>"}`: backups, restores, crypto results without a kid.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Blob {
    /// The base64url value.
    pub value: String,
}
