//! Failures of the managed-identity endpoints, shaped per protocol: IMDS answers
//! `{"error", "error_description"}` (how-to-use-vm-token.md, "HTTP response reference"); App
//! Service answers `{"statusCode", "message", "correlationId"}` (research/identity.md §2.2).

use skybridge_authority::AuthorityError;

use crate::Protocol;

/// Why a token request failed.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// IMDS without `Metadata: true`.
    #[error("Required metadata header not specified")]
    MetadataHeader,
    /// App Service without a valid `X-IDENTITY-HEADER`.
    #[error("The request did not carry a valid X-IDENTITY-HEADER for any resource on this host.")]
    IdentityHeader,
    /// `api-version` missing or not one the protocol serves.
    #[error("{0}")]
    ApiVersion(String),
    /// `resource` missing.
    #[error("Required query variable 'resource' is missing")]
    MissingResource,
    /// A malformed query string or a parameter given twice.
    #[error("{0}")]
    BadRequest(String),
    /// The selected user-assigned identity is not assigned to the calling resource. IMDS's
    /// own answer, byte for byte: 400 `{"error":"invalid_request","error_description":"Identity
    /// not found"}` (Content-Length 68, captured in Azure/azure-sdk-for-net#37278).
    #[error("Identity not found")]
    IdentityNotFound,
    /// The resource has no identity of the requested kind.
    #[error("No managed identity is assigned to this resource")]
    NoIdentity,
    /// The authority refused (unknown resource in the home tenant, …).
    #[error("{0}")]
    Authority(#[from] AuthorityError),
}

impl IdentityError {
    /// HTTP status and JSON body for `protocol`.
    pub fn wire(&self, protocol: Protocol, correlation: &str) -> (u16, serde_json::Value) {
        let (status, code, message) = match self {
            Self::MetadataHeader => (400, "bad_request_102".to_string(), self.to_string()),
            Self::IdentityHeader => (401, "invalid_request".into(), self.to_string()),
            Self::ApiVersion(_) | Self::MissingResource | Self::BadRequest(_) => {
                (400, "invalid_request".into(), self.to_string())
            }
            Self::IdentityNotFound | Self::NoIdentity => {
                (400, "invalid_request".into(), self.to_string())
            }
            Self::Authority(e) => {
                let w = e.wire();
                let code = if w.error == "invalid_resource" {
                    "invalid_resource"
                } else {
                    w.error
                };
                (
                    w.status,
                    code.to_string(),
                    format!("AADSTS{}: {}", w.code, w.message),
                )
            }
        };
        let body = match protocol {
            Protocol::Imds => serde_json::json!({ "error": code, "error_description": message }),
            Protocol::AppService => serde_json::json!({
                "statusCode": status,
                "message": message,
                "correlationId": correlation,
            }),
        };
        (status, body)
    }
}
