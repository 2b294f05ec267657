//! The two local token protocols, without transport: query parsing, api-version rules and
//! response bodies. Numbers are strings, as the real services send them; both `expires_in`
//! (MSAL Python's IMDS path needs it) and `expires_on` (every App Service path and MSAL Node
//! read it) are always present (research/identity.md §2.2).

use std::collections::HashMap;

use skybridge_authority::IssuedToken;
use uuid::Uuid;

use crate::IdentityError;

/// Which protocol a request came in on; it decides parameter names and error shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Azure Instance Metadata Service: `Metadata: true`, api-version 2018-02-01.
    Imds,
    /// App Service / Functions / Container Apps: `X-IDENTITY-HEADER`, api-version 2019-08-01.
    AppService,
}

/// Which of the calling resource's identities is wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// No id given: the system-assigned identity.
    System,
    /// A user-assigned identity by client id.
    ClientId(Uuid),
    /// By principal (object) id.
    PrincipalId(Uuid),
    /// By Azure resource id.
    ResourceId(String),
}

/// A parsed token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The target resource (App ID URI or client id).
    pub resource: String,
    /// Which identity.
    pub selector: Selector,
}

impl Protocol {
    /// The oldest api-version the protocol serves.
    fn min_api_version(self) -> &'static str {
        match self {
            Self::Imds => "2018-02-01",
            Self::AppService => "2019-08-01",
        }
    }

    /// The query parameters naming a user-assigned identity, by kind.
    fn selector_names(self) -> [(&'static str, u8); 4] {
        match self {
            Self::Imds => [
                ("client_id", 0),
                ("object_id", 1),
                ("msi_res_id", 2),
                ("mi_res_id", 2),
            ],
            Self::AppService => [
                ("client_id", 0),
                ("principal_id", 1),
                ("object_id", 1),
                ("mi_res_id", 2),
            ],
        }
    }
}

fn well_formed_date(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Parses the query string of a token request.
pub fn parse_query(protocol: Protocol, query: &str) -> Result<TokenRequest, IdentityError> {
    let mut params: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if params.insert(k.to_string(), v.to_string()).is_some() {
            return Err(IdentityError::BadRequest(format!(
                "Query parameter '{k}' is given more than once"
            )));
        }
    }
    let version = params.get("api-version").map(String::as_str);
    match version {
        None => {
            return Err(IdentityError::ApiVersion(
                "Required query variable 'api-version' is missing".into(),
            ));
        }
        // ISO dates order lexicographically.
        Some(v) if !well_formed_date(v) || v < protocol.min_api_version() => {
            return Err(IdentityError::ApiVersion(format!(
                "Invalid api-version '{v}'; this endpoint serves {} and later",
                protocol.min_api_version()
            )));
        }
        Some(_) => {}
    }
    let resource = params
        .get("resource")
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .ok_or(IdentityError::MissingResource)?;
    let mut selector = Selector::System;
    for (name, kind) in protocol.selector_names() {
        let Some(value) = params.get(name).filter(|v| !v.is_empty()) else {
            continue;
        };
        if selector != Selector::System {
            return Err(IdentityError::BadRequest(
                "Only one of client_id, object_id/principal_id and the resource id may be given"
                    .into(),
            ));
        }
        let parse_id = |v: &str| {
            Uuid::parse_str(v)
                .map_err(|_| IdentityError::BadRequest(format!("'{name}' is not a GUID")))
        };
        selector = match kind {
            0 => Selector::ClientId(parse_id(value)?),
            1 => Selector::PrincipalId(parse_id(value)?),
            _ => Selector::ResourceId(value.clone()),
        };
    }
    Ok(TokenRequest { resource, selector })
}

/// The success body.
pub fn success_body(
    protocol: Protocol,
    token: &IssuedToken,
    resource: &str,
    client_id: Uuid,
    now: i64,
) -> serde_json::Value {
    let expires_in = (token.expires_on - now).max(0).to_string();
    let mut body = serde_json::json!({
        "access_token": token.access_token,
        "expires_in": expires_in,
        "expires_on": token.expires_on.to_string(),
        "ext_expires_in": expires_in,
        "not_before": token.not_before.to_string(),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": client_id.to_string(),
    });
    if protocol == Protocol::Imds
        && let Some(map) = body.as_object_mut()
    {
        map.insert(
            "refresh_token".into(),
            serde_json::Value::String(String::new()),
        );
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries() {
        let r = parse_query(
            Protocol::Imds,
            "api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net",
        )
        .unwrap();
        assert_eq!(
            r,
            TokenRequest {
                resource: "https://vault.azure.net".into(),
                selector: Selector::System
            }
        );
        let id = Uuid::new_v4();
        let r = parse_query(
            Protocol::AppService,
            &format!("api-version=2019-08-01&resource=x&principal_id={id}"),
        )
        .unwrap();
        assert_eq!(r.selector, Selector::PrincipalId(id));
        let r = parse_query(
            Protocol::Imds,
            "api-version=2025-01-01&resource=x&msi_res_id=/subscriptions/a",
        )
        .unwrap();
        assert_eq!(r.selector, Selector::ResourceId("/subscriptions/a".into()));
        for bad in [
            "resource=x",
            "api-version=2017-09-01&resource=x",
            "api-version=latest&resource=x",
            "api-version=2018-02-01",
            "api-version=2018-02-01&resource=x&client_id=nope",
            "api-version=2018-02-01&resource=x&resource=y",
            "api-version=2018-02-01&resource=x&client_id=6f1c1f3e-3b9a-4a8e-9a59-2d0c1b6a0c11&msi_res_id=/a",
        ] {
            assert!(parse_query(Protocol::Imds, bad).is_err(), "{bad}");
        }
        assert!(parse_query(Protocol::AppService, "api-version=2018-02-01&resource=x").is_err());
    }
}
