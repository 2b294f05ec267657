//! The authority's HTTP edge (axum): routes, body limits, and the one mapping from
//! [`AuthorityError`] to Entra's JSON error with its trace and correlation ids.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use uuid::Uuid;

use crate::request::parse_form;
use crate::{Authority, AuthorityError, EndpointVersion};

/// Token requests larger than this are refused (Entra-shaped 400, not a bare 413).
pub const MAX_BODY: usize = 64 * 1024;

/// The router for the authority host (`login.<domain>`).
pub fn router(authority: Arc<Authority>) -> Router {
    Router::new()
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery_v2),
        )
        .route(
            "/{tenant}/.well-known/openid-configuration",
            get(discovery_v1),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(keys_v2))
        .route("/{tenant}/discovery/keys", get(keys_v1))
        .route("/{tenant}/oauth2/v2.0/token", any(token_v2))
        .route("/{tenant}/oauth2/token", any(token_v1))
        .fallback(not_found)
        .with_state(authority)
}

/// A request's correlation id: the client's `client-request-id` when it is a GUID (Entra
/// echoes it), else a fresh one.
fn correlation_id(headers: &HeaderMap) -> Uuid {
    ["client-request-id", "x-ms-client-request-id"]
        .iter()
        .find_map(|h| {
            headers
                .get(*h)?
                .to_str()
                .ok()
                .and_then(|v| Uuid::parse_str(v).ok())
        })
        .unwrap_or_else(skybridge_net::new_request_id)
}

struct ErrorReply {
    error: AuthorityError,
    correlation: Uuid,
    now: i64,
    authority_url: String,
}

impl IntoResponse for ErrorReply {
    fn into_response(self) -> Response {
        let wire = self.error.wire();
        let trace = skybridge_net::new_request_id();
        let timestamp = crate::time_fmt::wire(self.now);
        if let AuthorityError::Internal(detail) = &self.error {
            tracing::error!(%trace, %detail, "authority internal error");
        } else {
            tracing::info!(code = wire.code, error = wire.error, %trace, "authority request refused");
        }
        let body = json!({
            "error": wire.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {}\r\nTimestamp: {timestamp}",
                wire.code, wire.message, self.correlation
            ),
            "error_codes": [wire.code],
            "timestamp": timestamp,
            "trace_id": trace.to_string(),
            "correlation_id": self.correlation.to_string(),
            "error_uri": format!("{}/error?code={}", self.authority_url, wire.code),
        });
        let status = StatusCode::from_u16(wire.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, axum::Json(body)).into_response();
        no_store(response.headers_mut());
        set_ids(response.headers_mut(), trace, self.correlation);
        response
    }
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

fn set_ids(headers: &mut HeaderMap, trace: Uuid, correlation: Uuid) {
    if let Ok(v) = HeaderValue::from_str(&trace.to_string()) {
        headers.insert("x-ms-request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&correlation.to_string()) {
        headers.insert("client-request-id", v);
    }
}

fn refuse(authority: &Authority, headers: &HeaderMap, error: AuthorityError) -> Response {
    ErrorReply {
        error,
        correlation: correlation_id(headers),
        now: authority.clock.now_unix(),
        authority_url: authority.config.authority_url.clone(),
    }
    .into_response()
}

/// Metadata is public and cacheable, as Entra serves it.
fn metadata<T: serde::Serialize>(headers: &HeaderMap, value: &T) -> Response {
    let mut response = axum::Json(value).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=86400, private"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    set_ids(h, skybridge_net::new_request_id(), correlation_id(headers));
    response
}

async fn discovery(
    a: Arc<Authority>,
    tenant: String,
    headers: HeaderMap,
    v: EndpointVersion,
) -> Response {
    match a.openid_configuration(&tenant, v).await {
        Ok(doc) => metadata(&headers, &doc),
        Err(e) => refuse(&a, &headers, e),
    }
}

async fn discovery_v2(
    State(a): State<Arc<Authority>>,
    Path(t): Path<String>,
    h: HeaderMap,
) -> Response {
    discovery(a, t, h, EndpointVersion::V2).await
}

async fn discovery_v1(
    State(a): State<Arc<Authority>>,
    Path(t): Path<String>,
    h: HeaderMap,
) -> Response {
    discovery(a, t, h, EndpointVersion::V1).await
}

async fn keys(
    a: Arc<Authority>,
    tenant: String,
    headers: HeaderMap,
    v: EndpointVersion,
) -> Response {
    match a.jwks(&tenant, v).await {
        Ok(set) => metadata(&headers, &*set),
        Err(e) => refuse(&a, &headers, e),
    }
}

async fn keys_v2(State(a): State<Arc<Authority>>, Path(t): Path<String>, h: HeaderMap) -> Response {
    keys(a, t, h, EndpointVersion::V2).await
}

async fn keys_v1(State(a): State<Arc<Authority>>, Path(t): Path<String>, h: HeaderMap) -> Response {
    keys(a, t, h, EndpointVersion::V1).await
}

/// `Authorization: Basic` with form-encoded id and secret (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, AuthorityError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || {
        AuthorityError::MalformedRequest(
            "the Authorization header is not valid Basic credentials".into(),
        )
    };
    let text = value.to_str().map_err(|_| bad())?;
    let Some(encoded) = text
        .strip_prefix("Basic ")
        .or_else(|| text.strip_prefix("basic "))
    else {
        return Err(bad());
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let pair = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = pair.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| -> Result<String, AuthorityError> {
        form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .ok_or_else(bad)
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}

async fn token(
    a: Arc<Authority>,
    tenant: String,
    method: Method,
    headers: HeaderMap,
    body: Body,
    version: EndpointVersion,
) -> Response {
    let result = async {
        if method != Method::POST {
            return Err(AuthorityError::PostOnly(method.to_string()));
        }
        if let Some(ct) = headers.get(header::CONTENT_TYPE) {
            let ok = ct
                .to_str()
                .map(|v| {
                    v.trim_start()
                        .to_ascii_lowercase()
                        .starts_with("application/x-www-form-urlencoded")
                })
                .unwrap_or(false);
            if !ok {
                return Err(AuthorityError::MalformedRequest(
                    "the body must be application/x-www-form-urlencoded".into(),
                ));
            }
        }
        let bytes = to_bytes(body, MAX_BODY).await.map_err(|_| {
            AuthorityError::MalformedRequest(format!("the body is larger than {MAX_BODY} bytes"))
        })?;
        let params = parse_form(&bytes)?;
        let basic = basic_credentials(&headers)?;
        a.token(&tenant, version, &params, basic).await
    }
    .await;
    match result {
        Ok(reply) => {
            let mut response = axum::Json(reply).into_response();
            no_store(response.headers_mut());
            set_ids(
                response.headers_mut(),
                skybridge_net::new_request_id(),
                correlation_id(&headers),
            );
            response
        }
        Err(e) => refuse(&a, &headers, e),
    }
}

async fn token_v2(
    State(a): State<Arc<Authority>>,
    Path(t): Path<String>,
    m: Method,
    h: HeaderMap,
    b: Body,
) -> Response {
    token(a, t, m, h, b, EndpointVersion::V2).await
}

async fn token_v1(
    State(a): State<Arc<Authority>>,
    Path(t): Path<String>,
    m: Method,
    h: HeaderMap,
    b: Body,
) -> Response {
    token(a, t, m, h, b, EndpointVersion::V1).await
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"error": "not_found", "error_description": "No such endpoint on the authority."})),
    )
        .into_response()
}
