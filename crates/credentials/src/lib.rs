//! Client-side credentials, usable on their own against Skybridge **and against real Azure**
//! (the authority host and endpoints are parameters; defaults are Azure's public cloud):
//!
//! - [`ManagedIdentityCredential`]: App Service and IMDS protocols, system- or user-assigned;
//! - [`ClientSecretCredential`], [`ClientCertificateCredential`] (a local key);
//! - [`ClientAssertionCredential`] with an [`AssertionProvider`]: [`VaultSignedAssertion`]
//!   (the private key stays in Key Vault, which signs the assertion's digest) or
//!   [`FederatedAssertion`] (a managed identity's token for `api://AzureADTokenExchange`);
//! - [`CachedCredential`]: a token cache per scope that refreshes before expiry and shares one
//!   refresh among concurrent callers.
//!
//! Every acquisition reports its [`Step`]s (which identity, which vault key, which tenant) for
//! run histories; no step ever carries a token or a secret.

mod assertion;
mod authority;
mod cache;
mod certificate;
mod error;
mod federated;
mod managed_identity;
mod secret;
mod token;
mod vault;

pub use assertion::{AssertionProvider, ClientAssertionCredential, build_assertion_input};
pub use authority::{AuthorityClient, PUBLIC_CLOUD};
pub use cache::CachedCredential;
pub use certificate::ClientCertificateCredential;
pub use error::CredentialError;
pub use federated::FederatedAssertion;
pub use managed_identity::{ManagedIdentityCredential, ManagedIdentitySource, UserAssigned};
pub use secret::ClientSecretCredential;
pub use token::{AccessToken, Step, TokenCredential, TokenResult};
pub use vault::VaultSignedAssertion;
