//! `<base/>` resolution: the effective policy of one operation in one product context.
//!
//! Scopes run from broadest to narrowest (global → product → API → operation). Starting from
//! the narrowest document, each `<base/>` is replaced in place by the same section of the next
//! broader scope that has a document; a section without `<base/>` cuts inheritance, and a
//! present document with a missing section counts as an empty section. A scope with no
//! document at all is transparent. Without a global document, APIM's default applies: a
//! `forward-request` in the backend section and nothing else.

use std::sync::Arc;

use super::ast::{Document, ForwardRequest, Kind, Meta, Param, Policy, Scope, Section};
use super::load::children_mut;

/// The flattened policy for one (operation, product context).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Program {
    /// Effective inbound policies.
    pub inbound: Vec<Policy>,
    /// Effective backend policies.
    pub backend: Vec<Policy>,
    /// Effective outbound policies.
    pub outbound: Vec<Policy>,
    /// Effective on-error policies.
    pub on_error: Vec<Policy>,
}

impl Program {
    /// The policies of a section.
    pub fn section(&self, s: Section) -> &[Policy] {
        match s {
            Section::Inbound => &self.inbound,
            Section::Backend => &self.backend,
            Section::Outbound => &self.outbound,
            Section::OnError => &self.on_error,
        }
    }
}

/// The documents that apply, by scope. `product` is `None` outside a product context.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scopes<'a> {
    /// Global document (`None`: APIM's default global policy).
    pub global: Option<&'a Document>,
    /// Product document.
    pub product: Option<&'a Document>,
    /// API document.
    pub api: Option<&'a Document>,
    /// Operation document.
    pub operation: Option<&'a Document>,
}

/// APIM's default global policy: forward every request.
pub fn default_global() -> Document {
    let forward = Policy {
        meta: Meta {
            name: "forward-request",
            path: "forward-request[1]".into(),
            file: Arc::from("default-global-policy"),
            line: 1,
            col: 1,
            ..Meta::default()
        },
        kind: Kind::ForwardRequest(ForwardRequest {
            timeout: Param::Const(300),
            timeout_in_ms: false,
            follow_redirects: false,
            fail_on_error_status: false,
        }),
    };
    Document {
        inbound: Some(Vec::new()),
        backend: Some(vec![forward]),
        outbound: Some(Vec::new()),
        on_error: Some(Vec::new()),
    }
}

/// Flattens the scopes into one program.
pub fn compose(scopes: &Scopes<'_>) -> Program {
    let default = default_global();
    let levels = [
        (Scope::Operation, scopes.operation),
        (Scope::Api, scopes.api),
        (Scope::Product, scopes.product),
        (Scope::Global, Some(scopes.global.unwrap_or(&default))),
    ];
    let section = |s| resolve(&levels, 0, s);
    Program {
        inbound: section(Section::Inbound),
        backend: section(Section::Backend),
        outbound: section(Section::Outbound),
        on_error: section(Section::OnError),
    }
}

fn resolve(levels: &[(Scope, Option<&Document>)], level: usize, section: Section) -> Vec<Policy> {
    let Some((scope, doc)) = levels.get(level) else {
        return Vec::new();
    };
    let Some(doc) = doc else {
        return resolve(levels, level + 1, section);
    };
    let Some(policies) = doc.section(section) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(policies.len());
    for p in policies {
        if matches!(p.kind, Kind::Base) {
            out.extend(resolve(levels, level + 1, section));
        } else {
            let mut p = p.clone();
            annotate(&mut p, *scope, section);
            out.push(p);
        }
    }
    out
}

fn annotate(p: &mut Policy, scope: Scope, section: Section) {
    p.meta.scope = scope;
    p.meta.section = section;
    for child in children_mut(&mut p.kind) {
        annotate(child, scope, section);
    }
}
