//! The managed-identity listener (plain HTTP on loopback, as in Azure): App Service at
//! `/msi/token`, IMDS at `/metadata/identity/oauth2/token` (also with the trailing slash MSAL
//! Node sends).

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use uuid::Uuid;

use crate::protocol::{Protocol, parse_query, success_body};
use crate::{IdentityError, ManagedIdentityService, RegisteredResource};

/// Whose IMDS requests a listener serves.
#[derive(Debug, Clone)]
pub enum ImdsBinding {
    /// No resource: IMDS requests are refused (App Service still works).
    None,
    /// Every IMDS request comes from this resource.
    Resource(String),
}

#[derive(Clone)]
struct Listener {
    service: Arc<ManagedIdentityService>,
    imds: ImdsBinding,
}

/// The router of one identity listener.
pub fn router(service: Arc<ManagedIdentityService>, imds: ImdsBinding) -> Router {
    Router::new()
        .route("/msi/token", get(app_service))
        .route("/metadata/identity/oauth2/token", get(imds_token))
        .route("/metadata/identity/oauth2/token/", get(imds_token))
        .with_state(Listener { service, imds })
}

fn reply(protocol: Protocol, result: Result<serde_json::Value, IdentityError>) -> Response {
    match result {
        Ok(body) => (StatusCode::OK, axum::Json(body)).into_response(),
        Err(e) => {
            let correlation = Uuid::new_v4().to_string();
            let (status, body) = e.wire(protocol, &correlation);
            tracing::info!(?protocol, %status, error = %e, "managed identity request refused");
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            (status, axum::Json(body)).into_response()
        }
    }
}

async fn serve(
    service: &ManagedIdentityService,
    protocol: Protocol,
    resource: &RegisteredResource,
    query: &str,
) -> Result<serde_json::Value, IdentityError> {
    let request = parse_query(protocol, query)?;
    let (token, client_id) = service.token(protocol, resource, &request).await?;
    Ok(success_body(
        protocol,
        &token,
        &request.resource,
        client_id,
        service.now(),
    ))
}

async fn app_service(
    State(l): State<Listener>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let header = headers
            .get("x-identity-header")
            .and_then(|v| v.to_str().ok())
            .ok_or(IdentityError::IdentityHeader)?;
        let resource = l
            .service
            .registry()
            .resource_by_header(header)
            .ok_or(IdentityError::IdentityHeader)?;
        serve(
            &l.service,
            Protocol::AppService,
            resource,
            query.as_deref().unwrap_or(""),
        )
        .await
    }
    .await;
    reply(Protocol::AppService, result)
}

async fn imds_token(
    State(l): State<Listener>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let result = async {
        // The value must be exactly `true`, in lower case (how-to-use-vm-token.md).
        if headers.get("metadata").and_then(|v| v.to_str().ok()) != Some("true") {
            return Err(IdentityError::MetadataHeader);
        }
        let resource = match &l.imds {
            ImdsBinding::Resource(name) => l.service.registry().resource(name),
            ImdsBinding::None => None,
        }
        .ok_or(IdentityError::NoIdentity)?;
        serve(
            &l.service,
            Protocol::Imds,
            resource,
            query.as_deref().unwrap_or(""),
        )
        .await
    }
    .await;
    reply(Protocol::Imds, result)
}
