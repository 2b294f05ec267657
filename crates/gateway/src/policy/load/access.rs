//! Access restriction and authentication policies: check-header, ip-filter, cors,
//! authentication-basic and authentication-managed-identity (the JWT policies are in `jwt`).

use std::net::IpAddr;

use super::jwt;
use super::transform::managed_identity;
use super::values::{items, list, literal_here, unsupported};
use super::{El, Loader};
use crate::error::{LoadError, LoadErrorKind};
use crate::policy::ast::{CheckHeader, Cors, IpFilter, Kind, Param};
use crate::policy::xml::Element;

pub(super) fn load(ld: &Loader<'_, '_>, name: &str, el: &El<'_>) -> Result<Kind, LoadError> {
    Ok(match name {
        "validate-jwt" => Kind::ValidateJwt(Box::new(jwt::validate_jwt(ld, el)?)),
        "validate-azure-ad-token" => {
            Kind::ValidateJwt(Box::new(jwt::validate_azure_ad_token(ld, el)?))
        }
        "check-header" => Kind::CheckHeader(check_header(ld, el)?),
        "ip-filter" => Kind::IpFilter(ip_filter(ld, el)?),
        "cors" => Kind::Cors(Box::new(cors(ld, el)?)),
        "authentication-basic" => {
            ld.deny_text(el)?;
            Kind::AuthenticationBasic {
                username: ld.req_param(el, "username")?,
                password: ld.req_param(el, "password")?,
            }
        }
        _ => Kind::ManagedIdentity(managed_identity(ld, el)?),
    })
}

fn check_header(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<CheckHeader, LoadError> {
    ld.deny_text(el)?;
    let code = ld
        .literal_typed(
            el,
            "failed-check-httpcode",
            |s| s.parse::<u16>().ok().filter(|c| (100..=599).contains(c)),
            "a status code",
        )?
        .ok_or_else(|| ld.missing(el, "failed-check-httpcode"))?;
    let mut values = Vec::new();
    for child in el.e.elements() {
        if child.name != "value" {
            return Err(ld.unknown_child(el.e, child));
        }
        let c = El::new(child);
        ld.finish(&c)?;
        values.push(ld.text_literal(&c)?);
    }
    Ok(CheckHeader {
        name: ld.req_param(el, "name")?,
        code,
        message: ld.req_literal(el, "failed-check-error-message")?,
        ignore_case: ld
            .literal_bool(el, "ignore-case")?
            .ok_or_else(|| ld.missing(el, "ignore-case"))?,
        values,
    })
}

fn ip_filter(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<IpFilter, LoadError> {
    ld.deny_text(el)?;
    let allow = match ld.req_literal(el, "action")?.as_str() {
        "allow" => true,
        "forbid" => false,
        other => {
            return Err(ld.invalid(
                el,
                el.e.offset,
                "action",
                format!("expected allow or forbid, found {other:?}"),
            ));
        }
    };
    let mut f = IpFilter {
        allow,
        addresses: Vec::new(),
        ranges: Vec::new(),
    };
    for child in el.e.elements() {
        let c = El::new(child);
        let ip = |s: &str, at: usize| -> Result<IpAddr, LoadError> {
            s.trim()
                .parse()
                .map_err(|_| ld.invalid(&c, at, "address", format!("{s:?} is not an IP address")))
        };
        match child.name.as_str() {
            "address" => f.addresses.push(ip(&ld.text_literal(&c)?, child.offset)?),
            "address-range" => {
                let from = ip(&ld.req_literal(&c, "from")?, child.offset)?;
                let to = ip(&ld.req_literal(&c, "to")?, child.offset)?;
                if from.is_ipv4() != to.is_ipv4() || from > to {
                    return Err(ld.invalid(
                        &c,
                        child.offset,
                        "from",
                        "from and to must be the same family, from ≤ to",
                    ));
                }
                ld.deny_text(&c)?;
                f.ranges.push((from, to));
            }
            _ => return Err(ld.unknown_child(el.e, child)),
        }
        ld.finish(&c)?;
    }
    Ok(f)
}

/// `scheme://host[:port]` with the default port made explicit, lower-cased.
pub fn normalize_origin(origin: &str) -> Option<String> {
    let origin = origin.trim().trim_end_matches('/');
    if origin == "*" {
        return Some("*".into());
    }
    let (scheme, rest) = origin.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
        return None;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || rest.starts_with('[') => match p.parse::<u16>() {
            Ok(p) => (h, p),
            Err(_) if rest.starts_with('[') && rest.ends_with(']') => (rest, default),
            Err(_) => return None,
        },
        _ => (rest, default),
    };
    Some(format!("{scheme}://{}:{port}", host.to_ascii_lowercase()))
}

fn cors(ld: &Loader<'_, '_>, el: &El<'_>) -> Result<Cors, LoadError> {
    ld.deny_text(el)?;
    let flag = |name: &str| -> Result<Option<bool>, LoadError> {
        literal_here(ld, el, name)?
            .map(|v| {
                super::parse_bool(&v)
                    .ok_or_else(|| ld.invalid(el, el.e.offset, name, "expected true or false"))
            })
            .transpose()
    };
    let mut c = Cors {
        allow_credentials: flag("allow-credentials")?.unwrap_or(false),
        terminate_unmatched: flag("terminate-unmatched-request")?.unwrap_or(false),
        origins: Vec::new(),
        methods: None,
        max_age: 0,
        headers: Vec::new(),
        expose: Vec::new(),
    };
    let literals = |container: &Element, item: &str| -> Result<Vec<String>, LoadError> {
        list(ld, container, item)?
            .into_iter()
            .map(|p| match p {
                Param::Const(s) => Ok(s.trim().to_owned()),
                Param::Expr(_) => Err(unsupported(
                    ld,
                    container.offset,
                    format!("policy expressions in cors <{item}>"),
                )),
            })
            .collect()
    };
    let mut saw_origins = false;
    for child in el.e.elements() {
        match child.name.as_str() {
            "allowed-origins" => {
                saw_origins = true;
                for o in literals(child, "origin")? {
                    let n = normalize_origin(&o).ok_or_else(|| {
                        ld.invalid(
                            el,
                            child.offset,
                            "origin",
                            format!("{o:?} is not * or scheme://host[:port]"),
                        )
                    })?;
                    c.origins.push(n);
                }
            }
            "allowed-methods" => {
                let m = El::new(child);
                c.max_age = literal_here(ld, &m, "preflight-result-max-age")?
                    .map(|v| {
                        v.trim().parse::<i64>().map_err(|_| {
                            ld.invalid(
                                &m,
                                child.offset,
                                "preflight-result-max-age",
                                "expected seconds",
                            )
                        })
                    })
                    .transpose()?
                    .unwrap_or(0);
                ld.finish(&m)?;
                let mut methods = Vec::new();
                for p in items(ld, child, "method")? {
                    match p {
                        Param::Const(s) => methods.push(s.trim().to_ascii_uppercase()),
                        Param::Expr(_) => {
                            return Err(unsupported(
                                ld,
                                child.offset,
                                "policy expressions in cors <method>",
                            ));
                        }
                    }
                }
                c.methods = Some(methods);
            }
            "allowed-headers" => c.headers = literals(child, "header")?,
            "expose-headers" => c.expose = literals(child, "header")?,
            _ => return Err(ld.unknown_child(el.e, child)),
        }
    }
    if !saw_origins || c.origins.is_empty() {
        return Err(ld.error(
            el.e.offset,
            LoadErrorKind::MissingElement {
                parent: "cors".into(),
                element: "allowed-origins/origin".into(),
            },
        ));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::normalize_origin;

    #[test]
    fn origins_normalise() {
        assert_eq!(
            normalize_origin("https://A.example/").as_deref(),
            Some("https://a.example:443")
        );
        assert_eq!(
            normalize_origin("http://localhost:8080").as_deref(),
            Some("http://localhost:8080")
        );
        assert_eq!(normalize_origin("*").as_deref(), Some("*"));
        assert_eq!(normalize_origin("ftp://x"), None);
        assert_eq!(normalize_origin("https://x/path"), None);
        assert_eq!(normalize_origin("https://x:notaport"), None);
    }
}
