//! An Entra ID–compatible token service: tenants, application registrations, service
//! principals, app roles and the `client_credentials` grant with a client secret or a
//! certificate assertion, on the v1 and v2 endpoints, with discovery documents, rotating JWKS
//! and AADSTS-shaped errors. Protocol logic lives in transport-free modules; [`http`] is the
//! axum edge; storage is behind [`skybridge_store::DirectoryStore`].

mod admin;
pub mod client_auth;
mod config;
pub mod discovery;
mod error;
pub mod federation;
pub mod first_party;
pub mod http;
mod keys;
pub mod managed;
pub mod request;
mod service;
mod time_fmt;
pub mod token;

pub use admin::{AppRoleSpec, ApplicationSpec, TenantSpec};
pub use config::AuthorityConfig;
pub use error::{AuthorityError, WireError};
pub use request::EndpointVersion;
pub use service::Authority;
pub use token::{ClientAuthMethod, IssuedToken, TokenGrant};
