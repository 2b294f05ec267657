//! In-memory caches of what every request would otherwise recompute: the verification of the
//! caller's token ([`tokens`]), the store rows it reads ([`store`]) and the parsed private key
//! it signs with ([`keys`]). Each caches inputs, never decisions: authentication windows,
//! RBAC, enabled, nbf/exp and key_ops are still evaluated on every call with the injected
//! clock. Each is bounded, and writes through the service invalidate what they change.

pub(crate) mod keys;
mod map;
pub(crate) mod store;
pub(crate) mod tokens;
