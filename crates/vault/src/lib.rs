//! A Key Vault-compatible data plane: keys, secrets and certificates with versions, soft
//! delete and purge protection, RBAC with Key Vault's built-in roles, and challenge-based
//! authentication with properly verified tokens — the wire protocol Microsoft's Key Vault SDKs
//! speak (research/keyvault.md).
//!
//! Layout: [`api`] holds the JSON shapes; [`auth`], [`rbac`], [`crypto`] and [`service`] are
//! transport-free; [`http`] is the axum edge for one vault host. Storage is behind
//! [`skybridge_store::VaultStore`]; private keys and secret values are sealed per version
//! ([`seal`]). Time comes from an injected [`skybridge_jose::Clock`]. What every request would
//! otherwise recompute — verified tokens, store rows, parsed private keys — is kept in memory
//! (`cache`).

pub mod api;
pub mod auth;
pub(crate) mod cache;
pub mod crypto;
pub mod error;
pub mod http;
pub mod names;
pub mod rbac;
pub mod seal;
pub mod service;
pub mod throttle;

pub use auth::{AuthConfig, Caller, KeySource, TokenValidator};
pub use error::{ObjectKind, VaultError};
pub use service::{VaultService, VaultUrls};
