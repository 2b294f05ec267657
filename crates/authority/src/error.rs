//! The authority's failures, each mapped to Entra's wire error: the OAuth `error` string, the
//! AADSTS code and the HTTP status. Codes and texts follow the Entra error reference
//! (learn.microsoft.com/entra/identity-platform/reference-error-codes) and the texts MSAL.NET
//! pins in its TestConstants; `invalid_client` is 401, everything else 400 (research/identity.md
//! §1.9).

use skybridge_store::StoreError;

/// Why a discovery, keys or token request failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    /// The tenant segment names no tenant.
    #[error("tenant '{0}' not found")]
    TenantNotFound(String),
    /// The tenant segment is neither a GUID nor a DNS-like name.
    #[error("tenant identifier '{0}' is malformed")]
    TenantMalformed(String),
    /// `client_credentials` at `/common`, `/organizations` or `/consumers`.
    #[error("client credentials at a multi-tenant endpoint")]
    GrantNotAtCommon,
    /// The token endpoint was called with another method than POST.
    #[error("the token endpoint only accepts POST")]
    PostOnly(String),
    /// The body is not well-formed form data, is too large, or repeats a parameter.
    #[error("malformed request: {0}")]
    MalformedRequest(String),
    /// A required parameter is missing.
    #[error("missing parameter {0}")]
    MissingParameter(&'static str),
    /// `grant_type` is not supported.
    #[error("unsupported grant type {0}")]
    UnsupportedGrantType(String),
    /// `client_id` is not a GUID.
    #[error("client id {0} is not a GUID")]
    ClientIdMalformed(String),
    /// No application with this client id has a service principal in the tenant.
    #[error("application {app} not found in tenant {tenant}")]
    ApplicationNotFound { app: String, tenant: String },
    /// Neither a secret nor an assertion was sent.
    #[error("no client credential")]
    NoCredential,
    /// The secret is wrong.
    #[error("invalid client secret")]
    InvalidSecret { app: String },
    /// The secret matched one that has expired.
    #[error("client secret expired")]
    SecretExpired { app: String },
    /// `client_assertion_type` is not the JWT bearer type.
    #[error("unsupported client assertion type {0}")]
    AssertionTypeUnsupported(String),
    /// The assertion is not a well-formed JWS.
    #[error("malformed assertion: {0}")]
    AssertionMalformed(String),
    /// The assertion's algorithm is not accepted.
    #[error("unsupported assertion algorithm {0}")]
    AssertionAlgorithm(String),
    /// A required claim is missing from the assertion.
    #[error("assertion claim {0} missing")]
    AssertionClaimMissing(&'static str),
    /// `iss` and `sub` differ.
    #[error("assertion subject does not match issuer")]
    AssertionSubjectMismatch,
    /// `iss`/`sub` name another client than `client_id`.
    #[error("assertion client does not match client_id")]
    AssertionClientMismatch,
    /// The assertion names no certificate.
    #[error("assertion has no x5t, x5t#S256 or kid")]
    AssertionNoKeyId,
    /// No registered certificate matches the assertion's thumbprint.
    #[error("assertion key not found")]
    AssertionKeyNotFound { thumbprint: String },
    /// The matched certificate credential has expired.
    #[error("assertion key expired")]
    AssertionKeyExpired { thumbprint: String },
    /// The signature does not verify with the registered certificate.
    #[error("assertion signature invalid")]
    AssertionSignature,
    /// `aud` is not this tenant's token endpoint.
    #[error("assertion audience invalid")]
    AssertionAudience,
    /// `exp`/`nbf` put the assertion outside its validity.
    #[error("assertion outside its validity")]
    AssertionTime {
        now: i64,
        nbf: Option<i64>,
        exp: i64,
    },
    /// Replay protection is on and this `jti` was used.
    #[error("assertion replayed")]
    AssertionReplayed,
    /// A federated assertion matches no credential of the application; `code` says which
    /// part failed (70021 none at all, 700211 issuer, 700213 subject, 7002138 subject case,
    /// 700212 audience).
    #[error("no federated identity credential matches")]
    FederatedMismatch {
        code: u32,
        issuer: String,
        subject: String,
        audience: String,
    },
    /// A token of one of our tenants that is not app-only was used as a federated credential.
    #[error("only app-only tokens can be federated credentials")]
    FederatedTokenType,
    /// The external issuer's metadata or keys could not be fetched.
    #[error("external issuer {0} unreachable")]
    ExternalIssuer(String),
    /// The v2 endpoint got `resource`.
    #[error("resource parameter not supported on v2")]
    ResourceParameterOnV2,
    /// A scope without `/.default` in a client-credentials request.
    #[error("scope {0} lacks /.default")]
    ScopeNotDefault(String),
    /// Scopes name more than one resource.
    #[error("more than one resource in scope")]
    ScopeMultipleResources(String),
    /// No usable scope.
    #[error("invalid scope {0}")]
    ScopeInvalid(String),
    /// The requested resource has no service principal in the tenant.
    #[error("resource {resource} not found in tenant {tenant}")]
    ResourceNotFound { resource: String, tenant: String },
    /// The resource requires an assignment and the client has none.
    #[error("client not assigned to a role of the resource")]
    RoleAssignmentRequired { client: String, resource: String },
    /// A directory change (from a world file or the admin CLI) is inconsistent.
    #[error("{0}")]
    InvalidDirectory(String),
    /// Storage or crypto failed; never the caller's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AuthorityError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<skybridge_jose::JoseError> for AuthorityError {
    fn from(e: skybridge_jose::JoseError) -> Self {
        Self::Internal(e.to_string())
    }
}

/// An error as Entra puts it on the wire, before the trace suffix is added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// HTTP status.
    pub status: u16,
    /// OAuth `error`.
    pub error: &'static str,
    /// The AADSTS number.
    pub code: u32,
    /// The message after `AADSTSnnnn: `.
    pub message: String,
}

const DOCS: &str = "Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .";

impl AuthorityError {
    /// The wire error Entra would send.
    pub fn wire(&self) -> WireError {
        use AuthorityError as E;
        let (status, error, code, message): (u16, &'static str, u32, String) = match self {
            E::TenantNotFound(t) => (400, "invalid_tenant", 90002, format!(
                "Tenant '{t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            )),
            E::TenantMalformed(t) => (400, "invalid_request", 900023, format!(
                "Specified tenant identifier '{t}' is neither a valid DNS name, nor a valid external domain."
            )),
            E::GrantNotAtCommon => (400, "invalid_request", 9001023, "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.".into()),
            E::PostOnly(m) => (400, "invalid_request", 900561, format!(
                "The endpoint only accepts POST requests. Received a {m} request."
            )),
            E::MalformedRequest(why) => (400, "invalid_request", 9002313, format!(
                "Invalid request. Request is malformed or invalid: {why}."
            )),
            E::MissingParameter(p) => (400, "invalid_request", 900144, format!(
                "The request body must contain the following parameter: '{p}'."
            )),
            E::UnsupportedGrantType(g) => (400, "unsupported_grant_type", 70003, format!(
                "The app requested an unsupported grant type '{g}'."
            )),
            E::ClientIdMalformed(c) => (400, "unauthorized_client", 700038, format!(
                "{c} is not a valid application identifier."
            )),
            E::ApplicationNotFound { app, tenant } => (400, "unauthorized_client", 700016, format!(
                "Application with identifier '{app}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            )),
            E::NoCredential => (401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".into()),
            E::InvalidSecret { app } => (401, "invalid_client", 7000215, format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app}'."
            )),
            E::SecretExpired { app } => (401, "invalid_client", 7000222, format!(
                "The provided client secret keys for app '{app}' are expired. Visit the Azure portal to create new keys for your app."
            )),
            E::AssertionTypeUnsupported(t) => (400, "invalid_request", 50027, format!(
                "client_assertion_type '{t}' is not supported; use 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'."
            )),
            E::AssertionMalformed(why) => (400, "invalid_request", 50027, format!(
                "JWT token is invalid or malformed ({why})."
            )),
            E::AssertionAlgorithm(alg) => (401, "invalid_client", 5002738, format!(
                "'{alg}' is not a supported signature algorithm. Supported signing algorithms are: 'RS256,RS384,RS512,PS256,PS384,PS512'"
            )),
            E::AssertionClaimMissing(c) => (400, "invalid_request", 90014, format!(
                "The required field '{c}' is missing from the credential. Ensure that you have all the necessary parameters for the login request."
            )),
            E::AssertionSubjectMismatch => (401, "invalid_client", 50048, "Subject mismatches Issuer claim in the client assertion.".into()),
            E::AssertionClientMismatch => (401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .".into()),
            E::AssertionNoKeyId => (401, "invalid_client", 5002723, "No certificate SHA-1 thumbprint, certificate SHA-256 thumbprint, nor keyId specified in token header.".into()),
            E::AssertionKeyNotFound { thumbprint } => (401, "invalid_client", 700027, format!(
                "Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '{thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app. {DOCS}]"
            )),
            E::AssertionKeyExpired { thumbprint } => (401, "invalid_client", 700027, format!(
                "Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '{thumbprint}'. {DOCS}]"
            )),
            E::AssertionSignature => (401, "invalid_client", 700027, format!(
                "Client assertion failed signature validation. {DOCS}"
            )),
            E::AssertionAudience => (401, "invalid_client", 50012, format!(
                "Client assertion audience claim does not match Realm issuer. {DOCS}"
            )),
            E::AssertionTime { now, nbf, exp } => (401, "invalid_client", 700024, format!(
                "Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, expiry time of assertion {}. {DOCS}",
                crate::time_fmt::iso(*now),
                nbf.map(crate::time_fmt::iso).unwrap_or_else(|| "unspecified".into()),
                crate::time_fmt::iso(*exp),
            )),
            E::AssertionReplayed => (401, "invalid_client", 700027, "Client assertion has already been used (its 'jti' was seen before and replay protection is on).".into()),
            E::FederatedMismatch { code, issuer, subject, audience } => {
                let what = match code {
                    700211 => format!("No matching federated identity record found for presented assertion issuer '{issuer}'."),
                    700212 => format!("No matching federated identity record found for presented assertion audience '{audience}'."),
                    700213 => format!("No matching federated identity record found for presented assertion subject '{subject}'."),
                    7002138 => format!("No matching federated identity record found for presented assertion subject '{subject}'. The subject matches a federated identity record only when compared case-insensitively; subjects are case-sensitive."),
                    _ => format!("No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: '{audience}'."),
                };
                (401, "invalid_client", *code, format!("{what} Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."))
            }
            E::FederatedTokenType => (401, "invalid_client", 700229, "ForbiddenTokenType: Only app-only tokens can be used as Federated Identity Credentials for AAD issuer.".into()),
            E::ExternalIssuer(issuer) => (401, "invalid_client", 50166, format!(
                "Request to External OIDC endpoint failed: the metadata or keys of issuer '{issuer}' could not be fetched."
            )),
            E::ResourceParameterOnV2 => (400, "invalid_request", 901002, "The 'resource' request parameter is not supported.".into()),
            E::ScopeNotDefault(s) => (400, "invalid_scope", 1002012, format!(
                "The provided value for scope {s} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            )),
            E::ScopeMultipleResources(s) => (400, "invalid_scope", 700022, format!(
                "The provided value for the input parameter scope is not valid because it contains more than one resource. Scope {s} is not valid."
            )),
            E::ScopeInvalid(s) => (400, "invalid_scope", 70011, format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {s} is not valid."
            )),
            E::ResourceNotFound { resource, tenant } => (400, "invalid_resource", 500011, format!(
                "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
            )),
            E::RoleAssignmentRequired { client, resource } => (400, "invalid_grant", 501051, format!(
                "Application '{client}' is not assigned to a role for the application '{resource}'."
            )),
            E::InvalidDirectory(m) => (400, "invalid_request", 90000, m.clone()),
            E::Internal(_) => (500, "server_error", 50000, "There was an error issuing a token or an issue with our sign-in service.".into()),
        };
        WireError {
            status,
            error,
            code,
            message,
        }
    }
}
