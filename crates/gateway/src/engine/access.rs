//! check-header, ip-filter and authentication-managed-identity.

use std::net::IpAddr;

use http::header::HeaderValue;

use super::errors::PolicyError;
use super::state::Exec;
use crate::expr::Value;
use crate::policy::ast::{CheckHeader, IpFilter, ManagedIdentity, Meta};

/// `check-header`.
pub fn check_header(x: &mut Exec<'_>, c: &CheckHeader, meta: &Meta) -> Result<(), PolicyError> {
    let name = x.string(&c.name, meta.name)?;
    let values: Vec<String> = x
        .request
        .headers
        .get_all(name.as_str())
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    if values.is_empty() {
        return Err(PolicyError::new(
            meta.name,
            "HeaderNotFound",
            format!("Header {name} was not found in the request. Access denied."),
        )
        .respond(c.code, c.message.clone()));
    }
    if c.values.is_empty() {
        return Ok(());
    }
    let matches = |v: &str| {
        c.values.iter().any(|allowed| {
            if c.ignore_case {
                allowed.eq_ignore_ascii_case(v)
            } else {
                allowed == v
            }
        })
    };
    if values.iter().any(|v| matches(v)) {
        return Ok(());
    }
    Err(PolicyError::new(
        meta.name,
        "HeaderValueNotAllowed",
        format!(
            "Header {name} value of {} is not allowed. Access denied.",
            values.join(",")
        ),
    )
    .respond(c.code, c.message.clone()))
}

/// IPv4-mapped IPv6 addresses compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` is listed.
pub fn listed(f: &IpFilter, ip: IpAddr) -> bool {
    let ip = canonical(ip);
    f.addresses.iter().any(|a| canonical(*a) == ip)
        || f.ranges.iter().any(|(from, to)| {
            let (from, to) = (canonical(*from), canonical(*to));
            from.is_ipv4() == ip.is_ipv4() && from <= ip && ip <= to
        })
}

/// `ip-filter`.
pub fn ip_filter(x: &mut Exec<'_>, f: &IpFilter, meta: &Meta) -> Result<(), PolicyError> {
    let ip = canonical(x.request.client_ip);
    let listed = listed(f, ip);
    if f.allow && !listed {
        let message = format!("Caller IP address {ip} is not allowed. Access denied.");
        return Err(
            PolicyError::new(meta.name, "CallerIpNotAllowed", message.clone())
                .respond(403, message),
        );
    }
    if !f.allow && listed {
        let message = "Caller IP address is blocked. Access denied.";
        return Err(PolicyError::new(meta.name, "CallerIpBlocked", message).respond(403, message));
    }
    Ok(())
}

/// `authentication-managed-identity`.
pub async fn managed_identity(
    x: &mut Exec<'_>,
    m: &ManagedIdentity,
    meta: &Meta,
) -> Result<(), PolicyError> {
    let resource = x.string(&m.resource, meta.name)?;
    match x
        .services
        .identity
        .get(&resource, m.client_id.as_deref())
        .await
    {
        Ok(token) => {
            match &m.output_var {
                Some(var) => {
                    x.vars.insert(var.clone(), Value::str(token));
                }
                None => {
                    let value =
                        HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                            PolicyError::new(
                                meta.name,
                                "TokenAcquisitionFailed",
                                "the token is not a valid header value",
                            )
                        })?;
                    x.request.headers.insert(http::header::AUTHORIZATION, value);
                }
            }
            Ok(())
        }
        Err(_) if m.ignore_error => Ok(()),
        Err(e) => Err(PolicyError::new(
            meta.name,
            "TokenAcquisitionFailed",
            format!("Unable to obtain a managed identity token for resource '{resource}': {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ranges() {
        let f = IpFilter {
            allow: true,
            addresses: vec!["10.0.0.1".parse().unwrap()],
            ranges: vec![(
                "192.168.1.10".parse().unwrap(),
                "192.168.1.20".parse().unwrap(),
            )],
        };
        assert!(listed(&f, "10.0.0.1".parse().unwrap()));
        assert!(listed(&f, "::ffff:192.168.1.15".parse().unwrap()));
        assert!(!listed(&f, "192.168.1.21".parse().unwrap()));
        assert!(!listed(&f, "::1".parse().unwrap()));
    }
}
