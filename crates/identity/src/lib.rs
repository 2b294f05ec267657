//! Managed identities: system-assigned (bound to a resource) and user-assigned identities,
//! served on the two local token protocols real clients use — App Service
//! (`IDENTITY_ENDPOINT` + `X-IDENTITY-HEADER`, api-version 2019-08-01) and IMDS
//! (`/metadata/identity/oauth2/token`, `Metadata: true`, api-version 2018-02-01). Tokens come
//! from the identity's home tenant only (research/identity.md §2).

mod admin;
mod error;
pub mod http;
pub mod protocol;
mod registry;
mod service;

pub use admin::{
    IdentitySpec, ResourceSpec, ensure_resource, ensure_user_identity, load_registry,
    resource_id_for,
};
pub use error::IdentityError;
pub use protocol::Protocol;
pub use registry::{IdentityRegistry, RegisteredResource};
pub use service::ManagedIdentityService;
