//! validate-jwt and validate-azure-ad-token: token source, OpenID configurations, inline
//! keys (base64 symmetric or RSA `n`/`e`), audiences, issuers and required claims.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::values::{items, list, unsupported};
use super::{El, Loader};
use crate::error::{LoadError, LoadErrorKind};
use crate::policy::ast::{ClaimRule, KeyMaterial, Param, SigningKey, TokenSource, ValidateJwt};
use crate::policy::xml::Element;

fn token_source(
    ld: &Loader<'_, '_>,
    el: &El<'_>,
    default_header: bool,
) -> Result<TokenSource, LoadError> {
    let header = ld.param(el, "header-name")?;
    let query = ld.param(el, "query-parameter-name")?;
    let value = ld.param(el, "token-value")?;
    match (header, query, value) {
        (Some(h), None, None) => Ok(TokenSource::Header(h)),
        (None, Some(q), None) => Ok(TokenSource::Query(q)),
        (None, None, Some(v)) => Ok(TokenSource::Value(v)),
        (None, None, None) if default_header => {
            Ok(TokenSource::Header(Param::Const("Authorization".into())))
        }
        _ => Err(ld.invalid(
            el,
            el.e.offset,
            "header-name",
            "specify exactly one of header-name, query-parameter-name or token-value",
        )),
    }
}

fn signing_key(ld: &Loader<'_, '_>, key: &Element) -> Result<SigningKey, LoadError> {
    let k = El::new(key);
    if k.attr("certificate-id").is_some() {
        return Err(unsupported(
            ld,
            key.offset,
            "issuer-signing-keys key certificate-id (use n/e or openid-config)",
        ));
    }
    let id = ld.literal(&k, "id")?;
    let n = ld.literal(&k, "n")?;
    let e = ld.literal(&k, "e")?;
    ld.finish(&k)?;
    let material = match (n, e) {
        (Some(n), Some(e)) => {
            ld.deny_text(&k)?;
            let decode = |v: &str| URL_SAFE_NO_PAD.decode(v.trim().trim_end_matches('='));
            let (Ok(n), Ok(e)) = (decode(&n), decode(&e)) else {
                return Err(ld.invalid(&k, key.offset, "n", "n and e must be base64url"));
            };
            let vk = skybridge_jose::VerifyingKey::rsa(&n, &e)
                .map_err(|err| ld.invalid(&k, key.offset, "n", err.to_string()))?;
            KeyMaterial::Public(Arc::new(vk))
        }
        (None, None) => {
            let text = ld.text_literal(&k)?;
            let bytes = STANDARD.decode(text.trim()).map_err(|_| {
                ld.invalid(&k, key.offset, "text", "a symmetric key must be base64")
            })?;
            if bytes.is_empty() {
                return Err(ld.invalid(&k, key.offset, "text", "the key is empty"));
            }
            KeyMaterial::Symmetric(Arc::new(bytes))
        }
        _ => return Err(ld.invalid(&k, key.offset, "n", "n and e must be given together")),
    };
    Ok(SigningKey { id, material })
}

fn claims(ld: &Loader<'_, '_>, container: &Element) -> Result<Vec<ClaimRule>, LoadError> {
    let c = El::new(container);
    ld.finish(&c)?;
    ld.deny_text(&c)?;
    let mut out = Vec::new();
    for child in container.elements() {
        if child.name != "claim" {
            return Err(ld.unknown_child(container, child));
        }
        let cl = El::new(child);
        let name = ld.req_literal(&cl, "name")?;
        let match_all = match ld.literal(&cl, "match")?.as_deref() {
            None | Some("all") => true,
            Some("any") => false,
            Some(other) => {
                return Err(ld.invalid(
                    &cl,
                    child.offset,
                    "match",
                    format!("expected all or any, found {other:?}"),
                ));
            }
        };
        let separator = ld.literal(&cl, "separator")?.filter(|s| !s.is_empty());
        ld.finish(&cl)?;
        let values = items(ld, child, "value")?;
        out.push(ClaimRule {
            name,
            match_all,
            separator,
            values,
        });
    }
    Ok(out)
}

fn common(ld: &Loader<'_, '_>, el: &El<'_>, source: TokenSource) -> Result<ValidateJwt, LoadError> {
    ld.deny_text(el)?;
    Ok(ValidateJwt {
        source,
        failed_code: ld
            .param_int(el, "failed-validation-httpcode")?
            .unwrap_or(Param::Const(401)),
        failed_message: ld.param(el, "failed-validation-error-message")?,
        require_exp: Param::Const(true),
        require_scheme: None,
        clock_skew: Param::Const(0),
        output_var: ld.literal(el, "output-token-variable-name")?,
        openid_urls: Vec::new(),
        keys: Vec::new(),
        audiences: Vec::new(),
        issuers: Vec::new(),
        claims: Vec::new(),
        client_app_ids: Vec::new(),
    })
}

pub(super) fn validate_jwt(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<ValidateJwt, LoadError> {
    let source = token_source(ld, el, false)?;
    let mut v = common(ld, el, source)?;
    v.require_exp = ld
        .param_bool(el, "require-expiration-time")?
        .unwrap_or(Param::Const(true));
    v.require_scheme = ld.param(el, "require-scheme")?;
    v.clock_skew = ld.param_int(el, "clock-skew")?.unwrap_or(Param::Const(0));
    if let Some(a) = el.attr("require-signed-tokens") {
        let (value, _) = ld.substitute(&a.value, a.value_offset)?;
        if !value.trim().eq_ignore_ascii_case("true") {
            return Err(unsupported(
                ld,
                a.value_offset,
                "require-signed-tokens other than true (unsigned tokens are never accepted, RFC 8725)",
            ));
        }
    }
    for child in el.e.elements() {
        match child.name.as_str() {
            "openid-config" => {
                let c = El::new(child);
                let url = ld.req_literal(&c, "url")?;
                ld.literal_bool(&c, "validate-connectivity")?;
                ld.finish(&c)?;
                ld.deny_text(&c)?;
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(ld.invalid(&c, child.offset, "url", "expected an http(s) URL"));
                }
                v.openid_urls.push(url);
            }
            "issuer-signing-keys" => {
                let c = El::new(child);
                ld.finish(&c)?;
                ld.deny_text(&c)?;
                for key in child.elements() {
                    if key.name != "key" {
                        return Err(ld.unknown_child(child, key));
                    }
                    v.keys.push(signing_key(ld, key)?);
                }
            }
            "audiences" => v.audiences = list(ld, child, "audience")?,
            "issuers" => v.issuers = list(ld, child, "issuer")?,
            "required-claims" => v.claims = claims(ld, child)?,
            "decryption-keys" => {
                return Err(unsupported(
                    ld,
                    child.offset,
                    "validate-jwt decryption-keys (encrypted tokens)",
                ));
            }
            _ => return Err(ld.unknown_child(el.e, child)),
        }
    }
    if v.openid_urls.is_empty() && v.keys.is_empty() {
        return Err(ld.error(
            el.e.offset,
            LoadErrorKind::MissingElement {
                parent: "validate-jwt".into(),
                element: "openid-config or issuer-signing-keys".into(),
            },
        ));
    }
    Ok(v)
}

pub(super) fn validate_azure_ad_token(
    ld: &Loader<'_, '_>,
    el: &El<'_>,
) -> Result<ValidateJwt, LoadError> {
    let source = token_source(ld, el, true)?;
    let default_header = matches!(&source, TokenSource::Header(Param::Const(h)) if h == "Authorization")
        && el.attr("header-name").is_none();
    let mut v = common(ld, el, source)?;
    if default_header {
        v.require_scheme = Some(Param::Const("Bearer".into()));
    }
    let tenant = ld.req_literal(el, "tenant-id")?;
    let tenant = tenant.trim().trim_end_matches('/');
    if tenant.is_empty() || tenant.contains(['?', '#', ' ']) {
        return Err(ld.invalid(
            el,
            el.e.offset,
            "tenant-id",
            "expected a tenant id or domain",
        ));
    }
    let authority = ld.session.authority.trim_end_matches('/');
    v.openid_urls = vec![
        format!("{authority}/{tenant}/v2.0/.well-known/openid-configuration"),
        format!("{authority}/{tenant}/.well-known/openid-configuration"),
    ];
    let mut backend_ids = Vec::new();
    let mut saw_clients = false;
    for child in el.e.elements() {
        match child.name.as_str() {
            "client-application-ids" => {
                saw_clients = true;
                v.client_app_ids = list(ld, child, "application-id")?;
            }
            "backend-application-ids" => backend_ids = list(ld, child, "application-id")?,
            "audiences" => v.audiences = list(ld, child, "audience")?,
            "required-claims" => v.claims = claims(ld, child)?,
            "decryption-keys" => {
                return Err(unsupported(
                    ld,
                    child.offset,
                    "validate-azure-ad-token decryption-keys",
                ));
            }
            _ => return Err(ld.unknown_child(el.e, child)),
        }
    }
    if !saw_clients || v.client_app_ids.is_empty() {
        return Err(ld.error(
            el.e.offset,
            LoadErrorKind::MissingElement {
                parent: "validate-azure-ad-token".into(),
                element: "client-application-ids/application-id".into(),
            },
        ));
    }
    // A backend application id is accepted as the audience in both of Entra's forms.
    for id in backend_ids {
        if let Param::Const(s) = &id {
            v.audiences.push(Param::Const(format!("api://{s}")));
        }
        v.audiences.push(id);
    }
    Ok(v)
}
