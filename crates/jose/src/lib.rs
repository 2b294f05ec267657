//! Compact JWS, JWK/JWKS and JWT claim validation for Skybridge.
//!
//! This crate owns every byte of JOSE handling in the emulator: decoding and
//! verifying compact JWS tokens, minting them with local (aws-lc-rs) or
//! remote ([`Signer`]) keys, converting JWKs and SubjectPublicKeyInfo DER
//! into verifying keys, and validating the registered JWT claims.
//!
//! It performs no I/O. All cryptography goes through `aws-lc-rs`.
//!
//! Security posture (RFC 8725): `none` and HMAC algorithms are never
//! accepted, and the algorithm is pinned by the key — an RSA key only verifies
//! `RS*`/`PS*`, an EC key only the `ES*` algorithm of its curve, and a JWK
//! carrying `alg` only that algorithm.

pub mod alg;
pub mod b64;
pub mod claims;
pub mod clock;
mod curve;
mod der;
pub mod error;
pub mod fingerprint;
pub mod header;
pub mod jwk;
pub mod jws;
pub mod keys;
pub mod signer;

pub use alg::Alg;
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::JoseError;
pub use fingerprint::{Fingerprinter, TokenFingerprint};
pub use header::Header;
pub use jwk::{Jwk, JwkSet};
pub use jws::{UnverifiedJws, decode_unverified, encode, encode_sync};
pub use keys::{EcCurve, ParsedKeys, VerifyingKey};
pub use signer::{LocalSigner, Signer};
