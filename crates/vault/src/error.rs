//! The vault's error type and its Key Vault wire form:
//! `{"error":{"code","message","innererror":{"code"}}}` (research/keyvault.md §2.7).

use serde_json::{Value, json};
use skybridge_store::StoreError;

/// Which object kind a "not found" is about; it picks Key Vault's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// A key.
    Key,
    /// A secret.
    Secret,
    /// A certificate.
    Certificate,
}

impl ObjectKind {
    /// `key`, `secret`, `certificate`, as in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Secret => "secret",
            Self::Certificate => "certificate",
        }
    }

    /// The path collection: `keys`, `secrets`, `certificates`.
    pub fn collection(self) -> &'static str {
        match self {
            Self::Key => "keys",
            Self::Secret => "secrets",
            Self::Certificate => "certificates",
        }
    }
}

/// Everything a vault request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No usable token: 401 with the challenge. The message is Key Vault's `AKV…` text.
    #[error("{0}")]
    Unauthorized(String),
    /// RBAC denied the action: 403 `Forbidden` / `ForbiddenByRbac`.
    #[error("{0}")]
    ForbiddenByRbac(String),
    /// The object refuses the operation (disabled, outside nbf/exp, key_ops): 403 `Forbidden`.
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist (or is soft-deleted): 404 `KeyNotFound` and friends.
    #[error("{kind:?} {name} not found")]
    NotFound {
        /// What was looked up.
        kind: ObjectKind,
        /// Its name (and version, when one was given).
        name: String,
        /// Whether the deleted-object collection was asked.
        deleted: bool,
    },
    /// The name is soft-deleted and cannot be reused until recovered or purged: 409.
    #[error("{0}")]
    DeletedButRecoverable(String),
    /// Another conflict (restore over a live name, concurrent create): 409 `Conflict`.
    #[error("{0}")]
    Conflict(String),
    /// The request is malformed: 400 `BadParameter`.
    #[error("{0}")]
    BadParameter(String),
    /// The path names no operation: 404 (Key Vault answers unknown routes so).
    #[error("{0}")]
    NoRoute(String),
    /// The operation exists in Key Vault but Skybridge does not implement it: 501.
    #[error("{0}")]
    NotImplemented(String),
    /// The vault's throttling limit for this kind of request is used up: 429 `Throttled`
    /// with `Retry-After` (research/keyvault.md §5).
    #[error("throttled for {retry_after} s")]
    Throttled {
        /// Seconds until the window that refused the request ends.
        retry_after: u64,
    },
    /// A failure Key Vault reports with its own code (`PendingCertificateNotFound`,
    /// `CertificateIssuerNotFound`, `ContactsNotFound`, …).
    #[error("{code}: {message}")]
    Coded {
        /// The HTTP status.
        status: u16,
        /// Key Vault's `error.code`.
        code: &'static str,
        /// Key Vault's `error.message`.
        message: String,
    },
    /// Storage failed.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// A bug or a broken invariant; the message is logged, not sent.
    #[error("internal: {0}")]
    Internal(String),
}

impl VaultError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthorized(_) => 401,
            Self::ForbiddenByRbac(_) | Self::Forbidden(_) => 403,
            Self::NotFound { .. } | Self::NoRoute(_) => 404,
            Self::DeletedButRecoverable(_) | Self::Conflict(_) => 409,
            Self::BadParameter(_) => 400,
            Self::NotImplemented(_) => 501,
            Self::Throttled { .. } => 429,
            Self::Coded { status, .. } => *status,
            Self::Store(_) | Self::Internal(_) => 500,
        }
    }

    /// The JSON body Key Vault sends for this error.
    pub fn body(&self) -> Value {
        let (code, message, inner): (&str, String, Option<&str>) = match self {
            Self::Unauthorized(m) => ("Unauthorized", m.clone(), None),
            Self::ForbiddenByRbac(m) => ("Forbidden", m.clone(), Some("ForbiddenByRbac")),
            Self::Forbidden(m) => ("Forbidden", m.clone(), None),
            Self::NotFound {
                kind,
                name,
                deleted,
            } => {
                let code = match kind {
                    ObjectKind::Key => "KeyNotFound",
                    ObjectKind::Secret => "SecretNotFound",
                    ObjectKind::Certificate => "CertificateNotFound",
                };
                let message = if *deleted {
                    format!("Deleted {} not found: {name}", kind.noun())
                } else {
                    // Key Vault's wording, e.g. "A key with (name/id) k1 was not found in this
                    // key vault. …" (azure-sdk recordings).
                    format!(
                        "A {} with (name/id) {name} was not found in this key vault. If you \
                         recently deleted this {} you may be able to recover it using the \
                         correct recovery command.",
                        kind.noun(),
                        kind.noun()
                    )
                };
                (code, message, None)
            }
            Self::DeletedButRecoverable(m) => {
                ("Conflict", m.clone(), Some("ObjectIsDeletedButRecoverable"))
            }
            Self::Conflict(m) => ("Conflict", m.clone(), None),
            Self::BadParameter(m) => ("BadParameter", m.clone(), None),
            Self::NoRoute(m) => ("NotFound", m.clone(), None),
            Self::NotImplemented(m) => ("NotImplemented", m.clone(), None),
            // The text Key Vault sends (its 429 body quoted in vcsjones/AzureSignTool#219).
            Self::Throttled { .. } => (
                "Throttled",
                "Request was not processed because too many requests were received. Reason: \
                 VaultRequestTypeLimitReached"
                    .to_string(),
                None,
            ),
            Self::Coded { code, message, .. } => (*code, message.clone(), None),
            Self::Store(_) | Self::Internal(_) => (
                "InternalServerError",
                "The server encountered an internal error.".to_string(),
                None,
            ),
        };
        let mut error = json!({"code": code, "message": message});
        if let Some(inner) = inner {
            error["innererror"] = json!({"code": inner});
        }
        json!({ "error": error })
    }
}

/// Shorthand for a 400.
pub fn bad(message: impl Into<String>) -> VaultError {
    VaultError::BadParameter(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes() {
        let rbac = VaultError::ForbiddenByRbac("no".into());
        assert_eq!(rbac.status(), 403);
        assert_eq!(
            rbac.body(),
            json!({"error":{"code":"Forbidden","message":"no","innererror":{"code":"ForbiddenByRbac"}}})
        );
        let nf = VaultError::NotFound {
            kind: ObjectKind::Secret,
            name: "s".into(),
            deleted: false,
        };
        assert_eq!(nf.body()["error"]["code"], "SecretNotFound");
        let internal = VaultError::Internal("secret detail".into());
        assert!(!internal.body().to_string().contains("secret detail"));
    }
}
