//! Parsing a token request: the form body, the grant, the client and the target resource. Pure
//! functions, so every malformed input maps to its Entra error without touching storage.

use std::collections::HashMap;

use uuid::Uuid;

use crate::AuthorityError;

/// Which token endpoint was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointVersion {
    /// `/{tenant}/oauth2/token`: the target is `resource`; numbers are strings in the response.
    V1,
    /// `/{tenant}/oauth2/v2.0/token`: the target is `scope={resource}/.default`.
    V2,
}

/// The JWT-bearer client assertion type (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How the client proves who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCredential {
    /// `client_secret` (form or HTTP Basic).
    Secret(String),
    /// `client_assertion` (certificate or federated credential).
    Assertion(String),
}

/// A parsed `client_credentials` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentialsRequest {
    /// `client_id`.
    pub client_id: Uuid,
    /// The client's proof.
    pub credential: ClientCredential,
    /// The resource as requested (App ID URI or client id), without `/.default`.
    pub resource: String,
}

/// Decodes an `application/x-www-form-urlencoded` body. A parameter given twice is refused
/// rather than resolved silently, since which copy wins is a classic confusion bug.
pub fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, AuthorityError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AuthorityError::MalformedRequest("the body is not UTF-8".into()))?;
    let mut params = HashMap::new();
    for (key, value) in form_urlencoded::parse(text.as_bytes()) {
        if value.contains('\u{FFFD}') && !text.contains('\u{FFFD}') {
            return Err(AuthorityError::MalformedRequest(format!(
                "parameter '{key}' is not UTF-8 once percent-decoded"
            )));
        }
        if params.insert(key.to_string(), value.to_string()).is_some() {
            return Err(AuthorityError::MalformedRequest(format!(
                "parameter '{key}' appears more than once"
            )));
        }
    }
    Ok(params)
}

/// Scopes that OIDC clients may add and that name no resource.
const RESERVED_SCOPES: [&str; 4] = ["openid", "profile", "offline_access", "email"];

/// The resource named by a client-credentials `scope`: exactly one `{resource}/.default`.
pub fn resource_from_scope(scope: &str) -> Result<String, AuthorityError> {
    let mut resource: Option<&str> = None;
    for item in scope.split_whitespace() {
        if RESERVED_SCOPES.iter().any(|r| r.eq_ignore_ascii_case(item)) {
            continue;
        }
        let Some(base) = item.strip_suffix("/.default") else {
            return Err(AuthorityError::ScopeNotDefault(item.to_string()));
        };
        if base.is_empty() {
            return Err(AuthorityError::ScopeInvalid(item.to_string()));
        }
        match resource {
            Some(existing) if existing != base => {
                return Err(AuthorityError::ScopeMultipleResources(scope.to_string()));
            }
            _ => resource = Some(base),
        }
    }
    resource
        .map(str::to_string)
        .ok_or_else(|| AuthorityError::ScopeInvalid(scope.to_string()))
}

fn non_empty<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// Reads a token request. `basic` is the decoded HTTP Basic pair, if the client sent one.
pub fn parse_token_request(
    version: EndpointVersion,
    params: &HashMap<String, String>,
    basic: Option<(String, String)>,
) -> Result<ClientCredentialsRequest, AuthorityError> {
    let grant =
        non_empty(params, "grant_type").ok_or(AuthorityError::MissingParameter("grant_type"))?;
    if grant != "client_credentials" {
        return Err(AuthorityError::UnsupportedGrantType(grant.to_string()));
    }

    let (basic_id, basic_secret) = match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (None, None),
    };
    let client_id_text = match (non_empty(params, "client_id"), basic_id.as_deref()) {
        (Some(form), Some(header)) if form != header => {
            return Err(AuthorityError::MalformedRequest(
                "client_id in the body differs from the one in the Authorization header".into(),
            ));
        }
        (Some(id), _) | (None, Some(id)) => id.to_string(),
        (None, None) => return Err(AuthorityError::MissingParameter("client_id")),
    };
    let client_id = Uuid::parse_str(client_id_text.trim())
        .map_err(|_| AuthorityError::ClientIdMalformed(client_id_text.clone()))?;

    let resource = match version {
        EndpointVersion::V2 => {
            if params.contains_key("resource") {
                return Err(AuthorityError::ResourceParameterOnV2);
            }
            let scope =
                non_empty(params, "scope").ok_or(AuthorityError::MissingParameter("scope"))?;
            resource_from_scope(scope)?
        }
        EndpointVersion::V1 => non_empty(params, "resource")
            .ok_or(AuthorityError::MissingParameter("resource"))?
            .to_string(),
    };

    let secret = non_empty(params, "client_secret")
        .map(str::to_string)
        .or(basic_secret);
    let assertion = non_empty(params, "client_assertion");
    let credential = match (secret, assertion) {
        (Some(_), Some(_)) => {
            return Err(AuthorityError::MalformedRequest(
                "send either client_secret or client_assertion, not both".into(),
            ));
        }
        (Some(secret), None) => ClientCredential::Secret(secret),
        (None, Some(assertion)) => {
            let kind = non_empty(params, "client_assertion_type")
                .ok_or(AuthorityError::MissingParameter("client_assertion_type"))?;
            if kind != JWT_BEARER {
                return Err(AuthorityError::AssertionTypeUnsupported(kind.to_string()));
            }
            ClientCredential::Assertion(assertion.to_string())
        }
        (None, None) => return Err(AuthorityError::NoCredential),
    };
    Ok(ClientCredentialsRequest {
        client_id,
        credential,
        resource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const ID: &str = "6f1c1f3e-3b9a-4a8e-9a59-2d0c1b6a0c11";

    #[test]
    fn scope_rules() {
        assert_eq!(
            resource_from_scope("api://orders/.default").unwrap(),
            "api://orders"
        );
        assert_eq!(
            resource_from_scope("openid api://orders/.default offline_access").unwrap(),
            "api://orders"
        );
        assert!(matches!(
            resource_from_scope("user.read"),
            Err(AuthorityError::ScopeNotDefault(_))
        ));
        assert!(matches!(
            resource_from_scope("api://a/.default api://b/.default"),
            Err(AuthorityError::ScopeMultipleResources(_))
        ));
        assert!(matches!(
            resource_from_scope("openid"),
            Err(AuthorityError::ScopeInvalid(_))
        ));
        assert!(matches!(
            resource_from_scope("/.default"),
            Err(AuthorityError::ScopeInvalid(_))
        ));
    }

    #[test]
    fn form_rules() {
        assert!(matches!(
            parse_form(b"a=1&a=2"),
            Err(AuthorityError::MalformedRequest(_))
        ));
        assert!(matches!(
            parse_form(&[0x61, 0x3d, 0xff]),
            Err(AuthorityError::MalformedRequest(_))
        ));
        assert!(matches!(
            parse_form(b"a=%ff"),
            Err(AuthorityError::MalformedRequest(_))
        ));
        assert_eq!(
            parse_form(b"scope=a+b%2F.default").unwrap()["scope"],
            "a b/.default"
        );
    }

    #[test]
    fn request_rules() {
        let v2 = EndpointVersion::V2;
        let ok = form(&[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("scope", "api://x/.default"),
            ("client_secret", "s"),
        ]);
        let r = parse_token_request(v2, &ok, None).unwrap();
        assert_eq!(r.resource, "api://x");
        assert_eq!(r.credential, ClientCredential::Secret("s".into()));

        let mut no_grant = ok.clone();
        no_grant.remove("grant_type");
        assert!(matches!(
            parse_token_request(v2, &no_grant, None),
            Err(AuthorityError::MissingParameter("grant_type"))
        ));
        let mut password = ok.clone();
        password.insert("grant_type".into(), "password".into());
        assert!(matches!(
            parse_token_request(v2, &password, None),
            Err(AuthorityError::UnsupportedGrantType(_))
        ));
        let mut with_resource = ok.clone();
        with_resource.insert("resource".into(), "api://x".into());
        assert!(matches!(
            parse_token_request(v2, &with_resource, None),
            Err(AuthorityError::ResourceParameterOnV2)
        ));
        let mut bad_id = ok.clone();
        bad_id.insert("client_id".into(), "orders".into());
        assert!(matches!(
            parse_token_request(v2, &bad_id, None),
            Err(AuthorityError::ClientIdMalformed(_))
        ));
        let mut no_cred = ok.clone();
        no_cred.remove("client_secret");
        assert!(matches!(
            parse_token_request(v2, &no_cred, None),
            Err(AuthorityError::NoCredential)
        ));

        let mut basic = ok.clone();
        basic.remove("client_secret");
        basic.remove("client_id");
        let r = parse_token_request(v2, &basic, Some((ID.into(), "b".into()))).unwrap();
        assert_eq!(r.credential, ClientCredential::Secret("b".into()));

        let v1 = form(&[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("resource", "api://x"),
            ("client_assertion", "a.b.c"),
            ("client_assertion_type", JWT_BEARER),
        ]);
        let r = parse_token_request(EndpointVersion::V1, &v1, None).unwrap();
        assert_eq!(r.resource, "api://x");
        assert_eq!(r.credential, ClientCredential::Assertion("a.b.c".into()));
        let mut wrong_type = v1.clone();
        wrong_type.insert("client_assertion_type".into(), "x".into());
        assert!(matches!(
            parse_token_request(EndpointVersion::V1, &wrong_type, None),
            Err(AuthorityError::AssertionTypeUnsupported(_))
        ));
    }
}
