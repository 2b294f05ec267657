//! Typed policies: one struct per APIM policy with its attributes already validated and its
//! defaults filled in, so the engine never looks at strings again.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use skybridge_jose::VerifyingKey;

use crate::expr::Expression;

/// An attribute or text value: a literal (already typed) or an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Param<T> {
    /// A literal.
    Const(T),
    /// `@(…)` / `@{…}`.
    Expr(Expression),
}

/// The scope a policy document belongs to (`context.LastError.Scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scope {
    /// All APIs.
    #[default]
    Global,
    /// A product.
    Product,
    /// An API.
    Api,
    /// An operation.
    Operation,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::Global => "global",
            Scope::Product => "product",
            Scope::Api => "api",
            Scope::Operation => "operation",
        })
    }
}

/// A section of a policy document (`context.LastError.Section`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Section {
    /// Request processing before the backend.
    #[default]
    Inbound,
    /// Around the backend call.
    Backend,
    /// Response processing.
    Outbound,
    /// Error handling.
    OnError,
}

impl Section {
    /// The element name.
    pub fn name(self) -> &'static str {
        match self {
            Section::Inbound => "inbound",
            Section::Backend => "backend",
            Section::Outbound => "outbound",
            Section::OnError => "on-error",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a policy came from and where it sits, for `context.LastError` and messages.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Meta {
    /// The element name, e.g. `validate-jwt`.
    pub name: &'static str,
    /// The `id` attribute.
    pub id: Option<Arc<str>>,
    /// `choose[3]/when[2]/set-header[1]`.
    pub path: Arc<str>,
    /// Filled in when the effective policy is composed.
    pub scope: Scope,
    /// Filled in when the effective policy is composed.
    pub section: Section,
    /// Source file label.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

/// One policy statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Position and identity.
    pub meta: Meta,
    /// What it does.
    pub kind: Kind,
}

/// `set-header` / `set-query-parameter` `exists-action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistsAction {
    /// Replace existing values.
    Override,
    /// Keep existing values.
    Skip,
    /// Add to existing values.
    Append,
    /// Remove.
    Delete,
}

impl ExistsAction {
    /// Parses an attribute value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "override" => Self::Override,
            "skip" => Self::Skip,
            "append" => Self::Append,
            "delete" => Self::Delete,
            _ => return None,
        })
    }
}

/// `set-header` and `set-query-parameter`.
#[derive(Debug, Clone, PartialEq)]
pub struct SetHeader {
    /// Header or parameter name.
    pub name: Param<String>,
    /// What to do when it exists (default override).
    pub action: Param<String>,
    /// Values.
    pub values: Vec<Param<String>>,
}

/// `set-status`.
#[derive(Debug, Clone, PartialEq)]
pub struct SetStatus {
    /// Status code.
    pub code: Param<i64>,
    /// Reason phrase.
    pub reason: Option<Param<String>>,
}

/// Where validate-jwt reads the token.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenSource {
    /// A header (`Authorization` strips a scheme).
    Header(Param<String>),
    /// A query parameter.
    Query(Param<String>),
    /// An expression returning the token.
    Value(Param<String>),
}

/// A key configured in `issuer-signing-keys`.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyMaterial {
    /// Inline base64 symmetric key: verifies `HS*` only.
    Symmetric(Arc<Vec<u8>>),
    /// RSA `n`/`e`: verifies `RS*`/`PS*` only.
    Public(Arc<VerifyingKey>),
}

/// An issuer signing key.
#[derive(Debug, Clone, PartialEq)]
pub struct SigningKey {
    /// `id`, matched against the token's `kid`.
    pub id: Option<String>,
    /// The key.
    pub material: KeyMaterial,
}

/// A `required-claims/claim` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRule {
    /// Claim name.
    pub name: String,
    /// `match="all"` (default) or `any`.
    pub match_all: bool,
    /// Splits a single string claim into values.
    pub separator: Option<String>,
    /// Accepted values (empty: presence check).
    pub values: Vec<Param<String>>,
}

/// `validate-jwt` (and `validate-azure-ad-token`, lowered to it).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidateJwt {
    /// Token location.
    pub source: TokenSource,
    /// `failed-validation-httpcode` (401).
    pub failed_code: Param<i64>,
    /// `failed-validation-error-message`.
    pub failed_message: Option<Param<String>>,
    /// `require-expiration-time` (true).
    pub require_exp: Param<bool>,
    /// `require-scheme`.
    pub require_scheme: Option<Param<String>>,
    /// `clock-skew` seconds (0).
    pub clock_skew: Param<i64>,
    /// `output-token-variable-name`.
    pub output_var: Option<String>,
    /// `openid-config` URLs.
    pub openid_urls: Vec<String>,
    /// `issuer-signing-keys`.
    pub keys: Vec<SigningKey>,
    /// `audiences` (empty: not checked).
    pub audiences: Vec<Param<String>>,
    /// `issuers` (empty: the OpenID issuers, or not checked).
    pub issuers: Vec<Param<String>>,
    /// `required-claims`.
    pub claims: Vec<ClaimRule>,
    /// validate-azure-ad-token `client-application-ids` (matched against `appid`/`azp`).
    pub client_app_ids: Vec<Param<String>>,
}

/// `check-header`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckHeader {
    /// Header name.
    pub name: Param<String>,
    /// Status on failure.
    pub code: u16,
    /// Message on failure.
    pub message: String,
    /// Case-insensitive value comparison.
    pub ignore_case: bool,
    /// Accepted values (empty: presence only).
    pub values: Vec<String>,
}

/// Response headers and variables a rate limit or quota reports into.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LimitOutputs {
    /// `retry-after-header-name` (default `Retry-After`).
    pub retry_after_header: Option<String>,
    /// `retry-after-variable-name`.
    pub retry_after_var: Option<String>,
    /// `remaining-calls-header-name`.
    pub remaining_header: Option<String>,
    /// `remaining-calls-variable-name`.
    pub remaining_var: Option<String>,
    /// `total-calls-header-name`.
    pub total_header: Option<String>,
}

/// A per-API or per-operation limit inside `rate-limit` / `quota`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopedLimit {
    /// API or operation `id`/`name` (id wins).
    pub target: String,
    /// Calls.
    pub calls: Option<i64>,
    /// Kilobytes (quota only).
    pub bandwidth: Option<i64>,
    /// Period in seconds.
    pub period: i64,
    /// Operation limits (inside an API element).
    pub operations: Vec<ScopedLimit>,
}

/// `rate-limit` (per subscription).
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimit {
    /// Calls per period.
    pub calls: i64,
    /// Sliding window, seconds (≤ 300).
    pub period: i64,
    /// Headers and variables.
    pub outputs: LimitOutputs,
    /// Per-API limits.
    pub apis: Vec<ScopedLimit>,
}

/// `rate-limit-by-key`.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitByKey {
    /// Calls per period.
    pub calls: Param<i64>,
    /// Sliding window, seconds.
    pub period: Param<i64>,
    /// Counter key.
    pub key: Param<String>,
    /// Counted only when true (evaluated after the response).
    pub condition: Option<Param<bool>>,
    /// Increment per request (1).
    pub count: Param<i64>,
    /// Headers and variables.
    pub outputs: LimitOutputs,
}

/// `quota` (per subscription) and `quota-by-key`.
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    /// Counter key (`None` for per-subscription `quota`).
    pub key: Option<Param<String>>,
    /// Calls per period.
    pub calls: Option<i64>,
    /// Kilobytes per period.
    pub bandwidth: Option<i64>,
    /// Fixed window, seconds (0: lifetime).
    pub period: i64,
    /// Counted only when true (evaluated after the response).
    pub condition: Option<Param<bool>>,
    /// Increment per request (1).
    pub count: Param<i64>,
    /// Window alignment, Unix ms (default 0001-01-01).
    pub first_period_start_ms: i64,
    /// Per-API limits (`quota` only).
    pub apis: Vec<ScopedLimit>,
}

/// `ip-filter`.
#[derive(Debug, Clone, PartialEq)]
pub struct IpFilter {
    /// `allow` (true) or `forbid`.
    pub allow: bool,
    /// Single addresses.
    pub addresses: Vec<IpAddr>,
    /// Inclusive ranges.
    pub ranges: Vec<(IpAddr, IpAddr)>,
}

/// `cors`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cors {
    /// `allow-credentials` (false).
    pub allow_credentials: bool,
    /// `terminate-unmatched-request` (false).
    pub terminate_unmatched: bool,
    /// Normalised origins (`scheme://host:port`) or `*`.
    pub origins: Vec<String>,
    /// Allowed methods (`None`: GET and POST); may hold `*`.
    pub methods: Option<Vec<String>>,
    /// `preflight-result-max-age` (0).
    pub max_age: i64,
    /// Allowed request headers; may hold `*`.
    pub headers: Vec<String>,
    /// Exposed response headers.
    pub expose: Vec<String>,
}

/// `authentication-managed-identity`.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedIdentity {
    /// Audience / resource.
    pub resource: Param<String>,
    /// User-assigned identity client id.
    pub client_id: Option<String>,
    /// Store the token here instead of setting `Authorization`.
    pub output_var: Option<String>,
    /// Continue on failure.
    pub ignore_error: bool,
}

/// `send-request`.
#[derive(Debug, Clone, PartialEq)]
pub struct SendRequest {
    /// `mode="copy"` starts from the current request.
    pub copy: bool,
    /// Variable receiving the `IResponse`.
    pub response_var: String,
    /// Seconds (60).
    pub timeout_secs: i64,
    /// On failure, set the variable to null and continue.
    pub ignore_error: bool,
    /// `set-url`.
    pub url: Option<Param<String>>,
    /// `set-method`.
    pub method: Option<Param<String>>,
    /// `set-header`s.
    pub headers: Vec<SetHeader>,
    /// `set-body`.
    pub body: Option<Param<String>>,
    /// `authentication-managed-identity`.
    pub managed_identity: Option<ManagedIdentity>,
    /// `authentication-basic`.
    pub basic: Option<(Param<String>, Param<String>)>,
}

/// `forward-request`.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardRequest {
    /// Timeout for the response headers (300 s).
    pub timeout: Param<i64>,
    /// Whether `timeout` is in milliseconds (`timeout-ms`) rather than seconds.
    pub timeout_in_ms: bool,
    /// Follow 3xx responses.
    pub follow_redirects: bool,
    /// Send 400–599 to on-error.
    pub fail_on_error_status: bool,
}

/// `return-response`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnResponse {
    /// Start from this `IResponse` variable.
    pub response_var: Option<String>,
    /// `set-status`.
    pub status: Option<SetStatus>,
    /// `set-header`s.
    pub headers: Vec<SetHeader>,
    /// `set-body`.
    pub body: Option<Param<String>>,
}

/// `trace` severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// `verbose` (default).
    Verbose,
    /// `information`.
    Information,
    /// `error`.
    Error,
}

/// `trace`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// `source`.
    pub source: String,
    /// `severity`.
    pub severity: Severity,
    /// `message`.
    pub message: Param<String>,
    /// `metadata` name/value pairs.
    pub metadata: Vec<(String, Param<String>)>,
}

/// A `when` branch.
#[derive(Debug, Clone, PartialEq)]
pub struct When {
    /// The condition.
    pub condition: Param<bool>,
    /// Its policies.
    pub policies: Vec<Policy>,
}

/// Every supported policy.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `<base/>`; replaced during composition.
    Base,
    /// `choose`.
    Choose {
        /// `when` branches in order.
        whens: Vec<When>,
        /// `otherwise`.
        otherwise: Vec<Policy>,
    },
    /// `include-fragment`, already inlined.
    Fragment(Vec<Policy>),
    /// `set-variable`.
    SetVariable {
        /// Name.
        name: String,
        /// Value (literals are strings).
        value: Param<String>,
    },
    /// `set-header`.
    SetHeader(SetHeader),
    /// `set-query-parameter`.
    SetQueryParameter(SetHeader),
    /// `rewrite-uri`.
    RewriteUri {
        /// Template.
        template: Param<String>,
        /// `copy-unmatched-params` (true).
        copy_unmatched: bool,
    },
    /// `set-backend-service` (`backend-id` is resolved to its URL at load).
    SetBackendService(Param<String>),
    /// `set-method`.
    SetMethod(Param<String>),
    /// `set-status`.
    SetStatus(SetStatus),
    /// `set-body`.
    SetBody(Param<String>),
    /// `forward-request`.
    ForwardRequest(ForwardRequest),
    /// `return-response`.
    ReturnResponse(Box<ReturnResponse>),
    /// `mock-response`.
    MockResponse {
        /// Status (200).
        status: u16,
        /// Content type.
        content_type: Option<String>,
    },
    /// `validate-jwt` / `validate-azure-ad-token`.
    ValidateJwt(Box<ValidateJwt>),
    /// `check-header`.
    CheckHeader(CheckHeader),
    /// `rate-limit`.
    RateLimit(Box<RateLimit>),
    /// `rate-limit-by-key`.
    RateLimitByKey(Box<RateLimitByKey>),
    /// `quota` / `quota-by-key`.
    Quota(Box<Quota>),
    /// `ip-filter`.
    IpFilter(IpFilter),
    /// `cors`.
    Cors(Box<Cors>),
    /// `authentication-basic`.
    AuthenticationBasic {
        /// User name.
        username: Param<String>,
        /// Password.
        password: Param<String>,
    },
    /// `authentication-managed-identity`.
    ManagedIdentity(ManagedIdentity),
    /// `send-request`.
    SendRequest(Box<SendRequest>),
    /// `trace`.
    Trace(Box<Trace>),
}

/// A policy document: each section is `None` when the element is absent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    /// `inbound`
    pub inbound: Option<Vec<Policy>>,
    /// `backend`
    pub backend: Option<Vec<Policy>>,
    /// `outbound`
    pub outbound: Option<Vec<Policy>>,
    /// `on-error`
    pub on_error: Option<Vec<Policy>>,
}

impl Document {
    /// The policies of one section.
    pub fn section(&self, s: Section) -> Option<&Vec<Policy>> {
        match s {
            Section::Inbound => self.inbound.as_ref(),
            Section::Backend => self.backend.as_ref(),
            Section::Outbound => self.outbound.as_ref(),
            Section::OnError => self.on_error.as_ref(),
        }
    }
}
