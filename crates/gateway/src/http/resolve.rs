//! Matching a request to an operation and resolving its subscription, as APIM does before
//! any policy runs.

use std::sync::Arc;

use http::HeaderMap;

use crate::engine::errors::{PolicyError, builtin};
use crate::gateway::compile::{ApiRt, Compiled, OpRt, SubRt, SubScope};

/// Specificity: literal segments, fixed length, exact method.
type Score = (usize, bool, bool);

/// Template parameters bound by a match.
type Params = Vec<(String, String)>;

/// The best operation of `api` for a method and the path after the API prefix.
pub fn find_operation<'a>(
    api: &'a ApiRt,
    method: &str,
    path: &[&str],
    query: &[(String, String)],
) -> Option<(&'a OpRt, Vec<(String, String)>)> {
    let mut best: Option<(Score, &OpRt, Params)> = None;
    for op in &api.operations {
        let exact = op.method.eq_ignore_ascii_case(method);
        if !exact && op.method != "*" {
            continue;
        }
        let Some(params) = op.template.matches(path, query) else {
            continue;
        };
        let score = (op.template.literals(), !op.template.wildcard(), exact);
        // Strictly greater: on a tie the earlier declaration wins.
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, op, params));
        }
    }
    best.map(|(_, op, params)| (op, params))
}

/// The subscription context of a request.
#[derive(Debug, Default)]
pub struct Selection {
    /// Product context.
    pub product: Option<String>,
    /// Subscription and the key used.
    pub subscription: Option<(Arc<SubRt>, String)>,
}

/// Applies APIM's subscription rules: a present key must be valid for this API (a product
/// key selects that product's context; API and all-APIs keys use no product); without a key,
/// an open product containing the API supplies the context, else the API must not require
/// a subscription.
pub fn subscription(
    c: &Compiled,
    api: &ApiRt,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Result<Selection, PolicyError> {
    // The header wins; the query parameter is read only when the header is absent.
    let key = headers
        .get(&api.key_header)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            query
                .iter()
                .find(|(k, _)| *k == api.key_query)
                .map(|(_, v)| v.clone())
        });
    let Some(key) = key else {
        if let Some(open) = &api.open_product {
            return Ok(Selection {
                product: Some(open.clone()),
                subscription: None,
            });
        }
        if !api.subscription_required {
            return Ok(Selection::default());
        }
        return Err(builtin::key_not_found());
    };
    let sub = c
        .subscriptions
        .get(key.trim())
        .filter(|s| s.active)
        .ok_or_else(builtin::key_invalid)?;
    let product = match &sub.scope {
        SubScope::All => None,
        SubScope::Api(a) if *a == api.info.id => None,
        SubScope::Product(p)
            if c.products
                .get(p)
                .is_some_and(|pr| pr.apis.contains(&api.info.id)) =>
        {
            Some(p.clone())
        }
        _ => return Err(builtin::key_invalid()),
    };
    Ok(Selection {
        product,
        subscription: Some((sub.clone(), key.trim().to_owned())),
    })
}
