//! Skybridge PKI: a development CA, TLS leaf and self-signed certificates,
//! PEM and PFX (PKCS#12) import/export, and certificate thumbprints.
//!
//! Everything here is pure computation on bytes and strings; callers do the
//! file and network I/O. Keys are exchanged as unencrypted PKCS#8 DER and
//! times as Unix seconds.

mod ca;
mod cert;
mod error;
mod info;
mod keys;
pub mod pem;
mod pfx;
pub mod thumbprint;

pub use ca::DevCa;
pub use cert::{CertifiedKey, SubjectSpec, self_signed};
pub use error::PkiError;
pub use info::{CertInfo, parse_certificate};
pub use keys::{KeyKind, generate_key, key_kind};
pub use pfx::{Pfx, pfx_export, pfx_import};
