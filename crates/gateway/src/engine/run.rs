//! The pipeline: inbound → backend → outbound, with APIM's error flow. A failure anywhere
//! skips the remaining steps, fills `context.LastError` (source, reason, message, scope,
//! section, path, policy id), puts the failure's response (or APIM's 500) into
//! `context.Response`, and runs on-error, which may reshape or replace it. `return-response`
//! and `mock-response` end the pipeline immediately.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use uuid::Uuid;

use super::errors::{PolicyError, error_body, internal_error_body};
use super::state::{Exec, LastError, RequestFacts, RequestState, ResponseState, TraceEntry};
use super::{Services, access, cors, forward, jwt, limits, transform};
use crate::policy::ast::{Kind, Meta, Policy};
use crate::policy::compose::Program;

/// What the pipeline produced.
#[derive(Debug)]
pub struct Outcome {
    /// The response to send.
    pub response: ResponseState,
    /// The error that sent the request to on-error, if any.
    pub last_error: Option<LastError>,
    /// `trace` records.
    pub traces: Vec<TraceEntry>,
    /// `context.RequestId`.
    pub request_id: Uuid,
}

/// Whether to continue with the next policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Next,
    /// The response is final (return-response, mock-response, terminated CORS).
    Stop,
}

struct Failure {
    error: PolicyError,
    meta: Meta,
}

type Step<'a> = Pin<Box<dyn Future<Output = Result<Flow, Failure>> + Send + 'a>>;

/// A nested block (choose, fragment): boxed, because policies nest recursively.
fn block<'a, 'r: 'a>(x: &'a mut Exec<'r>, policies: &'a [Policy]) -> Step<'a> {
    Box::pin(section(x, policies))
}

/// A section's policies in order. The pipeline calls this directly, so a request's sections
/// cost no allocation; only nested blocks go through [`block`].
async fn section(x: &mut Exec<'_>, policies: &[Policy]) -> Result<Flow, Failure> {
    for p in policies {
        if policy(x, p).await? == Flow::Stop {
            return Ok(Flow::Stop);
        }
    }
    Ok(Flow::Next)
}

fn wrap(meta: &Meta) -> impl Fn(PolicyError) -> Failure + '_ {
    move |error| Failure {
        error,
        meta: meta.clone(),
    }
}

async fn policy(x: &mut Exec<'_>, p: &Policy) -> Result<Flow, Failure> {
    let m = &p.meta;
    let fail = wrap(m);
    match &p.kind {
        Kind::Base => {}
        Kind::Choose { whens, otherwise } => {
            for w in whens {
                let taken = x.boolean(&w.condition, "choose").map_err(&fail)?;
                if taken {
                    return block(x, &w.policies).await;
                }
            }
            return block(x, otherwise).await;
        }
        Kind::Fragment(ps) => return block(x, ps).await,
        Kind::SetVariable { name, value } => {
            transform::set_variable(x, name, value, m).map_err(fail)?
        }
        Kind::SetHeader(h) => transform::set_header(x, h, m).map_err(fail)?,
        Kind::SetQueryParameter(h) => transform::set_query(x, h, m).map_err(fail)?,
        Kind::RewriteUri {
            template,
            copy_unmatched,
        } => {
            transform::rewrite_uri(x, template, *copy_unmatched, m).map_err(fail)?;
        }
        Kind::SetBackendService(url) => transform::set_backend(x, url, m).map_err(fail)?,
        Kind::SetMethod(method) => {
            let v = x.string(method, m.name).map_err(&fail)?;
            x.request.method = v.trim().to_ascii_uppercase();
        }
        Kind::SetStatus(s) => transform::set_status(x, s, m).map_err(fail)?,
        Kind::SetBody(b) => transform::set_body(x, b, m).map_err(fail)?,
        Kind::ForwardRequest(f) => forward::forward_request(x, f, m).await.map_err(fail)?,
        Kind::ReturnResponse(r) => {
            transform::return_response(x, r, m).map_err(fail)?;
            return Ok(Flow::Stop);
        }
        Kind::MockResponse {
            status,
            content_type,
        } => {
            transform::mock_response(x, *status, content_type.as_deref());
            return Ok(Flow::Stop);
        }
        Kind::ValidateJwt(v) => jwt::validate(x, v, m.name).await.map_err(fail)?,
        Kind::CheckHeader(c) => access::check_header(x, c, m).map_err(fail)?,
        Kind::RateLimit(r) => limits::rate_limit(x, r, m).map_err(fail)?,
        Kind::RateLimitByKey(r) => limits::rate_limit_by_key(x, r, m).map_err(fail)?,
        Kind::Quota(q) => limits::quota(x, q, m).map_err(fail)?,
        Kind::IpFilter(f) => access::ip_filter(x, f, m).map_err(fail)?,
        Kind::Cors(c) => {
            if cors::actual(x, c) {
                return Ok(Flow::Stop);
            }
        }
        Kind::AuthenticationBasic { username, password } => {
            transform::authentication_basic(x, username, password, m).map_err(fail)?;
        }
        Kind::ManagedIdentity(mi) => access::managed_identity(x, mi, m).await.map_err(fail)?,
        Kind::SendRequest(s) => forward::send_request(x, s, m).await.map_err(fail)?,
        Kind::Trace(t) => transform::trace(x, t, m).map_err(fail)?,
    }
    Ok(Flow::Next)
}

/// Puts a failure's response (or APIM's 500) into `context.Response`.
fn error_response(x: &mut Exec<'_>, e: &PolicyError) {
    if e.keep_response {
        return;
    }
    let (status, body) = match &e.response {
        Some(r) => (r.status, error_body(r.status, &r.message)),
        None => (500, internal_error_body(&x.request_id.to_string())),
    };
    let mut resp = ResponseState {
        status,
        reason: e.response.as_ref().and_then(|r| r.reason.clone()),
        body: Bytes::from(body),
        ..ResponseState::default()
    };
    resp.headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(r) = &e.response {
        for (k, v) in &r.headers {
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                resp.headers.insert(k, v);
            }
        }
    }
    x.response = resp;
}

fn record(x: &mut Exec<'_>, f: &Failure) {
    tracing::debug!(
        request_id = %x.request_id,
        source = %f.error.source,
        reason = %f.error.reason,
        scope = %f.meta.scope,
        section = %f.meta.section,
        path = %f.meta.path,
        "policy failed; running on-error"
    );
    x.last_error = Some(LastError {
        source: f.error.source.clone(),
        reason: f.error.reason.clone(),
        message: f.error.message.clone(),
        scope: f.meta.scope.to_string(),
        section: f.meta.section.to_string(),
        path: f.meta.path.to_string(),
        policy_id: f.meta.id.as_deref().unwrap_or_default().to_owned(),
    });
    error_response(x, &f.error);
}

async fn on_error(x: &mut Exec<'_>, program: &Program, f: Failure) {
    record(x, &f);
    if let Err(second) = block(x, &program.on_error).await {
        // A failure inside on-error ends processing with that failure's response.
        record(x, &second);
    }
}

async fn pipeline(x: &mut Exec<'_>, program: &Program) -> Result<(), Failure> {
    if section(x, &program.inbound).await? == Flow::Stop {
        return Ok(());
    }
    if section(x, &program.backend).await? == Flow::Stop {
        return Ok(());
    }
    section(x, &program.outbound).await?;
    Ok(())
}

fn finish(mut x: Exec<'_>, request_bytes: usize) -> Outcome {
    limits::settle(&mut x, request_bytes);
    for (k, v) in std::mem::take(&mut x.extra_headers) {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            x.response.headers.insert(k, v);
        }
    }
    Outcome {
        response: x.response,
        last_error: x.last_error,
        traces: x.traces,
        request_id: x.request_id,
    }
}

/// Runs `program` for one request; `request_id` becomes `context.RequestId`.
pub async fn run(
    services: &Services,
    program: &Program,
    facts: &RequestFacts,
    request: RequestState,
    request_id: Uuid,
) -> Outcome {
    let request_bytes = request.body.len();
    let mut x = Exec::new(services, facts, request, request_id);
    if let Err(f) = pipeline(&mut x, program).await {
        on_error(&mut x, program, f).await;
    }
    finish(x, request_bytes)
}

/// Runs on-error for a failure raised by a built-in step before any policy ran (subscription
/// checks), as APIM does; `program` supplies the on-error section.
pub async fn run_builtin_error(
    services: &Services,
    program: &Program,
    facts: &RequestFacts,
    request: RequestState,
    error: PolicyError,
    request_id: Uuid,
) -> Outcome {
    let mut x = Exec::new(services, facts, request, request_id);
    let meta = Meta {
        name: "builtin",
        path: "".into(),
        ..Meta::default()
    };
    record(&mut x, &Failure { error, meta });
    // Built-in failures carry no scope or section.
    if let Some(e) = &mut x.last_error {
        e.scope.clear();
        e.section.clear();
    }
    if let Err(second) = block(&mut x, &program.on_error).await {
        record(&mut x, &second);
    }
    finish(x, 0)
}
