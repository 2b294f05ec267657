//! The HTTP edge of one gateway host: [`respond`], which the server calls directly, and an axum
//! [`router`] around it. It matches the request to an API and operation, resolves the
//! subscription, answers CORS preflights, runs the effective policy, and turns the outcome
//! into a response. Every failure leaves as APIM's wire error.

pub mod client;
pub mod h1;
pub mod resolve;
pub mod target;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use http_body_util::{BodyExt, Limited};
use skybridge_net::new_request_id;
use uuid::Uuid;

use crate::engine::cors::{first_cors, is_preflight, preflight};
use crate::engine::errors::{builtin, error_body};
use crate::engine::run::{Outcome, run, run_builtin_error};
use crate::engine::state::{OriginalUrl, RequestFacts, RequestState, ResponseState};
use crate::engine::transform::parse_query;
use crate::expr::UrlValue;
use crate::gateway::Gateway;
use crate::gateway::routing::{api_prefix, rest_path, segments};

/// A gateway response: always buffered (policies may read and replace the body).
pub type Response = http::Response<Bytes>;

/// An axum router serving `<gateway>.azure-api.<domain>` through [`respond`]. The caller's
/// address is read from axum's `ConnectInfo<SocketAddr>` extension when the server provides it
/// (else 127.0.0.1).
pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new().fallback(handle).with_state(gateway)
}

async fn handle(State(gw): State<Arc<Gateway>>, req: Request) -> axum::response::Response {
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip());
    respond(&gw, req, client).await.map(Body::from)
}

fn to_response(r: ResponseState) -> Response {
    let mut response = Response::new(r.body);
    *response.status_mut() =
        http::StatusCode::from_u16(r.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut headers = r.headers;
    // The body may have been replaced by policies; hyper computes the length again.
    headers.remove(CONTENT_LENGTH);
    *response.headers_mut() = headers;
    if let Some(reason) = r
        .reason
        .and_then(|s| hyper::ext::ReasonPhrase::try_from(s).ok())
    {
        response.extensions_mut().insert(reason);
    }
    response
}

fn json_error(status: u16, message: &str) -> Response {
    let mut r = ResponseState {
        status,
        body: Bytes::from(error_body(status, message)),
        ..ResponseState::default()
    };
    r.headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    to_response(r)
}

/// The API's public base URL, the `realm` of APIM's subscription-key challenge.
fn api_realm(url: &UrlValue, api_path: &str) -> String {
    let default_port = if url.scheme == "http" { 80 } else { 443 };
    let mut realm = format!("{}://{}", url.scheme, url.host);
    if url.port != default_port {
        realm.push_str(&format!(":{}", url.port));
    }
    let path = api_path.trim_matches('/');
    if !path.is_empty() {
        realm.push('/');
        realm.push_str(path);
    }
    realm
}

/// The response header carrying `context.RequestId`. APIM itself sends no request id
/// header (its docs point users at `context.RequestId` and a `set-header` policy to expose
/// one: learn.microsoft.com/azure/api-management/policies/add-correlation-id); the Azure
/// services Microsoft fronts with API Management answer with `apim-request-id`
/// (microsoft/sample-app-aoai-chatGPT#320, microsoft/attested-ohttp-server#46, where their
/// gateway policy overrides any value from the backend). Skybridge sends that header on every
/// response, overriding a backend's or a policy's, so that the value a client reports is
/// always the id in the gateway's log line and in a 500 body's `activityId`.
pub const REQUEST_ID_HEADER: &str = "apim-request-id";

fn stamp(response: &mut Response, request_id: Uuid) {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let id = request_id.hyphenated().encode_lower(&mut buf);
    if let Ok(v) = HeaderValue::from_str(id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
    }
}

/// What the per-request log line says about a request.
struct Line<'a> {
    method: &'a str,
    path: &'a str,
    api: &'a str,
    operation: &'a str,
}

fn log(line: &Line<'_>, request_id: Uuid, status: u16, last_error: &str) {
    tracing::info!(
        target: "skybridge_gateway::request",
        request_id = %request_id,
        method = line.method,
        path = line.path,
        api = line.api,
        operation = line.operation,
        status,
        last_error,
        "gateway request"
    );
}

fn finish(line: &Line<'_>, outcome: Outcome) -> Response {
    let reason = outcome
        .last_error
        .as_ref()
        .map(|e| e.reason.as_str())
        .unwrap_or("");
    log(line, outcome.request_id, outcome.response.status, reason);
    to_response(outcome.response)
}

/// Serves one request from `client_ip`. Every response leaves with the request id,
/// including those written before any policy runs (body too large, CORS preflight).
pub async fn respond<B>(gw: &Gateway, req: http::Request<B>, client_ip: IpAddr) -> Response
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let request_id = new_request_id();
    let mut response = dispatch(gw, req, client_ip, request_id).await;
    stamp(&mut response, request_id);
    response
}

async fn dispatch<B>(
    gw: &Gateway,
    req: http::Request<B>,
    client_ip: IpAddr,
    request_id: Uuid,
) -> Response
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let compiled = gw.snapshot();
    let services = gw.services();
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path();
    let method = parts.method.as_str();
    let mut line = Line {
        method,
        path,
        api: "",
        operation: "",
    };
    let Ok(body) = Limited::new(body, compiled.max_body)
        .collect()
        .await
        .map(|c| c.to_bytes())
    else {
        log(&line, request_id, 413, "");
        return json_error(413, "Request entity is too large or could not be read.");
    };
    let query = parse_query(parts.uri.query().unwrap_or(""));
    let original = OriginalUrl::new(&parts.uri, &parts.headers);
    let mut request = RequestState {
        method: parts.method.as_str().to_owned(),
        backend: None,
        path: String::new(),
        original,
        query,
        // Moved, not copied: the checks below read them from the request state.
        headers: std::mem::take(&mut parts.headers),
        body,
        client_ip,
    };
    let Some(api) = compiled.apis.iter().find(|a| api_prefix(&a.segments, path)) else {
        let outcome = run_builtin_error(
            services,
            &compiled.global,
            &RequestFacts::default(),
            request,
            builtin::operation_not_found(),
            request_id,
        )
        .await;
        return finish(&line, outcome);
    };
    line.api = &api.info.id;
    let rest = rest_path(path, api.segments.len());
    let rest_segs: Vec<&str> = segments(rest).collect();

    // A CORS preflight is answered by the cors policy alone, unless the API defines OPTIONS.
    if is_preflight(&parts.method, &request.headers)
        && resolve::find_operation(api, "OPTIONS", &rest_segs, &request.query).is_none()
    {
        let wanted = request
            .headers
            .get("access-control-request-method")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("GET");
        let program = resolve::find_operation(api, wanted, &rest_segs, &request.query)
            .and_then(|(op, _)| op.programs.get(&None).cloned())
            .unwrap_or_else(|| compiled.global.clone());
        if let Some(c) = first_cors(&program.inbound) {
            let response = preflight(c, &request.headers);
            log(&line, request_id, response.status, "");
            return to_response(response);
        }
    }

    let Some((op, params)) = resolve::find_operation(api, method, &rest_segs, &request.query)
    else {
        let facts = RequestFacts {
            api: api.info.clone(),
            ..RequestFacts::default()
        };
        let outcome = run_builtin_error(
            services,
            &compiled.global,
            &facts,
            request,
            builtin::operation_not_found(),
            request_id,
        )
        .await;
        return finish(&line, outcome);
    };
    line.operation = &op.info.id;
    // Every field spelled out: `..Default::default()` would allocate an empty API and
    // operation only to drop them.
    let mut facts = RequestFacts {
        api: api.info.clone(),
        operation: op.info.clone(),
        product: None,
        subscription: None,
        user: None,
        matched: params,
        template_query: op.template.query.iter().map(|(q, _)| q.clone()).collect(),
    };
    request.backend = api.backend.clone();
    request.path = rest.to_owned();

    let selection = match resolve::subscription(&compiled, api, &request.headers, &request.query) {
        Ok(s) => s,
        Err(e) => {
            let e = builtin::key_challenge(
                e,
                &api_realm(request.original.get(), &api.info.path),
                &api.key_header_name,
            );
            let program = op
                .programs
                .get(&None)
                .cloned()
                .unwrap_or_else(|| compiled.global.clone());
            let outcome =
                run_builtin_error(services, &program, &facts, request, e, request_id).await;
            return finish(&line, outcome);
        }
    };
    facts.product = selection
        .product
        .as_ref()
        .and_then(|p| compiled.products.get(p))
        .map(|p| p.info.clone());
    if let Some((sub, key)) = &selection.subscription {
        let mut info = sub.info.clone();
        info.key = key.clone();
        facts.subscription = Some(Arc::new(info));
        facts.user = sub.user.clone();
    }
    if compiled.strip_key {
        request.headers.remove(&api.key_header);
        request.query.retain(|(k, _)| *k != api.key_query);
    }
    let program = op
        .programs
        .get(&selection.product)
        .or_else(|| op.programs.get(&None))
        .cloned()
        .unwrap_or_else(|| compiled.global.clone());
    let outcome = run(services, &program, &facts, request, request_id).await;
    finish(&line, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server boxes this future for every request, copying all of it: its size is a
    /// per-request cost (4,872 bytes when written, the policy pipeline inline; a copy of that
    /// size is about 0.1 µs, so the bound only guards against it growing unnoticed).
    #[test]
    fn the_request_future_size() {
        type Empty = http_body_util::Empty<Bytes>;
        async fn direct(gw: Arc<Gateway>, req: http::Request<Empty>, ip: IpAddr) -> Response {
            respond(&gw, req, ip).await
        }
        fn size_of_return<F, Fut>(_: F) -> usize
        where
            F: Fn(Arc<Gateway>, http::Request<Empty>, IpAddr) -> Fut,
        {
            size_of::<Fut>()
        }
        let size = size_of_return(direct);
        assert!(size <= 6144, "the gateway's request future is {size} bytes");
    }
}
