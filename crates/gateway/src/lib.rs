//! An Azure API Management–compatible gateway for Skybridge.
//!
//! - [`policy`]: the tolerant tokenizer for APIM's "rawxml" policy documents, typed policies,
//!   and `<base/>` composition into one program per (operation, product context). Pure.
//! - [`expr`]: the C# expression subset, checked at load time and interpreted at runtime.
//! - [`engine`]: the pipeline (inbound → backend → outbound, on-error with
//!   `context.LastError`) and each policy's behaviour.
//! - [`gateway`] and [`http`]: configuration compiled into a snapshot, hot reload, request
//!   matching, subscriptions, APIM's wire errors, and the backend client.
//!
//! Entry points: [`GatewayConfig`] → [`Gateway::builder`] → [`router`].

pub mod config;
pub mod engine;
pub mod error;
pub mod expr;
pub mod gateway;
pub mod http;
pub mod policy;

pub use config::{
    ApiConfig, BackendConfig, GatewayConfig, NamedValueConfig, OperationConfig, OperationSpec,
    PoliciesConfig, PolicySource, ProductConfig, SubscriptionConfig, UserConfig,
};
pub use engine::{
    AccessToken, Clock, FetchError, HttpClient, ManualClock, MetadataFetcher, SystemClock,
    TokenError, TokenProvider,
};
pub use error::{LoadError, LoadErrorKind, LoadErrors};
pub use gateway::{Gateway, GatewayBuilder};
pub use http::{respond, router};
