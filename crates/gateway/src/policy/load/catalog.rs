//! The catalogue of supported policies: their names, the sections APIM allows them in, and
//! how nested policies (choose branches, inlined fragments) are reached.

use crate::policy::ast::{Kind, Policy, Section};

/// Which sections APIM allows a policy in.
pub fn allowed(name: &str, section: Section) -> bool {
    use Section::*;
    let sections: &[Section] = match name {
        "validate-jwt"
        | "validate-azure-ad-token"
        | "check-header"
        | "rate-limit"
        | "rate-limit-by-key"
        | "quota"
        | "quota-by-key"
        | "ip-filter"
        | "cors"
        | "rewrite-uri"
        | "authentication-basic"
        | "authentication-managed-identity" => &[Inbound],
        "forward-request" => &[Backend],
        "set-backend-service" | "set-query-parameter" => &[Inbound, Backend],
        "set-body" => &[Inbound, Backend, Outbound],
        "set-method" => &[Inbound, OnError],
        "mock-response" => &[Inbound, Outbound, OnError],
        _ => &[Inbound, Backend, Outbound, OnError],
    };
    sections.contains(&section)
}

/// Every policy element this gateway implements.
pub(super) const POLICY_NAMES: [&str; 27] = [
    "base",
    "choose",
    "include-fragment",
    "set-variable",
    "set-header",
    "set-query-parameter",
    "rewrite-uri",
    "set-backend-service",
    "set-method",
    "set-status",
    "set-body",
    "mock-response",
    "return-response",
    "forward-request",
    "send-request",
    "trace",
    "validate-jwt",
    "validate-azure-ad-token",
    "check-header",
    "ip-filter",
    "cors",
    "authentication-basic",
    "authentication-managed-identity",
    "rate-limit",
    "rate-limit-by-key",
    "quota",
    "quota-by-key",
];

/// The names of all supported policies.
pub fn supported_policies() -> &'static [&'static str] {
    &POLICY_NAMES
}

/// Nested policies (choose branches, fragments).
pub fn children(kind: &Kind) -> Box<dyn Iterator<Item = &Policy> + '_> {
    match kind {
        Kind::Choose { whens, otherwise } => Box::new(
            whens
                .iter()
                .flat_map(|w| w.policies.iter())
                .chain(otherwise.iter()),
        ),
        Kind::Fragment(ps) => Box::new(ps.iter()),
        _ => Box::new(std::iter::empty()),
    }
}

/// Nested policies, mutably.
pub fn children_mut(kind: &mut Kind) -> Box<dyn Iterator<Item = &mut Policy> + '_> {
    match kind {
        Kind::Choose { whens, otherwise } => Box::new(
            whens
                .iter_mut()
                .flat_map(|w| w.policies.iter_mut())
                .chain(otherwise.iter_mut()),
        ),
        Kind::Fragment(ps) => Box::new(ps.iter_mut()),
        _ => Box::new(std::iter::empty()),
    }
}
