//! From element trees to typed policies.
//!
//! Every attribute and child element is accounted for: an unknown policy, attribute or child
//! is an error naming file:line:col, never silently ignored. Named values are substituted in
//! each attribute and text value before it is classified as literal or expression, the way
//! APIM substitutes them textually. Errors are collected, so one load reports all of them.

mod access;
mod catalog;
mod flow;
mod jwt;
mod limits;
mod transform;
mod values;

pub use access::normalize_origin;
use catalog::POLICY_NAMES;
pub use catalog::{allowed, children, children_mut, supported_policies};

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{LineIndex, LoadError, LoadErrorKind};
use crate::policy::ast::{Document, Kind, Meta, Policy, Section};
use crate::policy::xml::{self, Attr, Element, Node, Text};

/// A policy source: a label for messages (the file path, or `inline:<scope>`) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Label used in error messages.
    pub label: String,
    /// The document text.
    pub text: String,
}

/// Everything a load needs besides the document itself; collects errors.
pub struct Session<'a> {
    /// Named values by name.
    pub named: &'a HashMap<String, String>,
    /// Fragment sources by id.
    pub fragments: &'a HashMap<String, Source>,
    /// `set-backend-service backend-id` targets: id → URL.
    pub backends: &'a HashMap<String, String>,
    /// Base URL of the Entra authority for `validate-azure-ad-token`.
    pub authority: &'a str,
    cache: RefCell<HashMap<String, Option<Vec<Policy>>>>,
    stack: RefCell<Vec<String>>,
    errors: RefCell<Vec<LoadError>>,
}

impl<'a> Session<'a> {
    /// A session over the given lookups.
    pub fn new(
        named: &'a HashMap<String, String>,
        fragments: &'a HashMap<String, Source>,
        backends: &'a HashMap<String, String>,
        authority: &'a str,
    ) -> Self {
        Self {
            named,
            fragments,
            backends,
            authority,
            cache: RefCell::default(),
            stack: RefCell::default(),
            errors: RefCell::default(),
        }
    }

    /// Records an error.
    pub fn push(&self, e: LoadError) {
        self.errors.borrow_mut().push(e);
    }

    /// The errors collected so far.
    pub fn take_errors(&self) -> Vec<LoadError> {
        std::mem::take(&mut self.errors.borrow_mut())
    }

    /// Loads a `<policies>` document; `None` when it has errors (already recorded).
    pub fn document(&self, src: &Source) -> Option<Document> {
        let before = self.errors.borrow().len();
        let ld = Loader::new(self, src);
        let root = ld.root()?;
        if root.name != "policies" {
            ld.fail(
                root.offset,
                LoadErrorKind::Syntax(format!("expected <policies>, found <{}>", root.name)),
            );
            return None;
        }
        let mut doc = Document::default();
        ld.no_attrs(&root);
        ld.no_text(&root);
        for el in root.elements() {
            let section = match el.name.as_str() {
                "inbound" => Section::Inbound,
                "backend" => Section::Backend,
                "outbound" => Section::Outbound,
                "on-error" => Section::OnError,
                other => {
                    ld.fail(
                        el.offset,
                        LoadErrorKind::UnknownElement {
                            parent: "policies".into(),
                            element: other.into(),
                        },
                    );
                    continue;
                }
            };
            ld.no_attrs(el);
            let slot = match section {
                Section::Inbound => &mut doc.inbound,
                Section::Backend => &mut doc.backend,
                Section::Outbound => &mut doc.outbound,
                Section::OnError => &mut doc.on_error,
            };
            if slot.is_some() {
                ld.fail(
                    el.offset,
                    LoadErrorKind::Syntax(format!("duplicate <{}> section", el.name)),
                );
                continue;
            }
            *slot = Some(ld.policies(el, "", Some(section)));
        }
        (self.errors.borrow().len() == before).then_some(doc)
    }

    /// Loads the fragment `id` on its own, as a linter checks a fragment file that no document
    /// includes; `false` when it has errors (recorded, like those of [`Session::document`]).
    pub fn check_fragment(&self, id: &str) -> bool {
        match self.fragment(id) {
            Ok(found) => found.is_some(),
            Err(message) => {
                self.push(LoadError::at_start(
                    id,
                    LoadErrorKind::Fragment(id.to_owned(), message),
                ));
                false
            }
        }
    }

    /// Loads a fragment (cached; cycles are errors), with paths relative to the fragment.
    fn fragment(&self, id: &str) -> Result<Option<Vec<Policy>>, String> {
        if let Some(cached) = self.cache.borrow().get(id) {
            return Ok(cached.clone());
        }
        if self.stack.borrow().iter().any(|f| f == id) {
            return Err("fragments include each other in a cycle".into());
        }
        let src = self
            .fragments
            .get(id)
            .ok_or_else(|| "no such fragment".to_owned())?;
        self.stack.borrow_mut().push(id.to_owned());
        let before = self.errors.borrow().len();
        let ld = Loader::new(self, src);
        let result = ld.root().and_then(|root| {
            if root.name != "fragment" {
                ld.fail(
                    root.offset,
                    LoadErrorKind::Syntax(format!("expected <fragment>, found <{}>", root.name)),
                );
                return None;
            }
            ld.no_attrs(&root);
            let policies = ld.policies(&root, "", None);
            (self.errors.borrow().len() == before).then_some(policies)
        });
        self.stack.borrow_mut().pop();
        self.cache
            .borrow_mut()
            .insert(id.to_owned(), result.clone());
        Ok(result)
    }
}

/// Loads policies from one source text.
pub(super) struct Loader<'s, 'a> {
    pub session: &'s Session<'a>,
    file: Arc<str>,
    src: &'s str,
    idx: LineIndex<'s>,
}

/// An element being read: tracks which attributes were consumed.
pub(super) struct El<'e> {
    pub e: &'e Element,
    used: RefCell<Vec<bool>>,
}

impl<'e> El<'e> {
    pub fn new(e: &'e Element) -> Self {
        Self {
            e,
            used: RefCell::new(vec![false; e.attrs.len()]),
        }
    }

    /// The attribute `name`, marking it consumed.
    pub fn attr(&self, name: &str) -> Option<&'e Attr> {
        let i = self.e.attrs.iter().position(|a| a.name == name)?;
        if let Some(u) = self.used.borrow_mut().get_mut(i) {
            *u = true;
        }
        self.e.attrs.get(i)
    }

    /// The text content (trimmed), if any.
    pub fn text(&self) -> Option<&'e Text> {
        self.e.texts().next()
    }

    pub fn name(&self) -> &'e str {
        &self.e.name
    }
}

impl<'s, 'a> Loader<'s, 'a> {
    pub fn new(session: &'s Session<'a>, src: &'s Source) -> Self {
        Self {
            session,
            file: src.label.as_str().into(),
            src: &src.text,
            idx: LineIndex::new(&src.text),
        }
    }

    fn root(&self) -> Option<Element> {
        match xml::parse_document(self.src) {
            Ok(root) => Some(root),
            Err(e) => {
                self.fail(e.offset, LoadErrorKind::Syntax(e.message));
                None
            }
        }
    }

    /// An error at `offset`.
    pub fn error(&self, offset: usize, kind: LoadErrorKind) -> LoadError {
        self.idx.error(&self.file, offset, kind)
    }

    /// Records an error at `offset`.
    pub fn fail(&self, offset: usize, kind: LoadErrorKind) {
        self.session.push(self.error(offset, kind));
    }

    fn no_attrs(&self, e: &Element) {
        if let Some(a) = e.attrs.first() {
            self.fail(
                a.offset,
                LoadErrorKind::UnknownAttribute {
                    element: e.name.clone(),
                    attribute: a.name.clone(),
                },
            );
        }
    }

    fn no_text(&self, e: &Element) {
        if let Some(t) = e.texts().next() {
            self.fail(
                t.offset,
                LoadErrorKind::Syntax(format!("unexpected text inside <{}>", e.name)),
            );
        }
    }

    /// Errors on any attribute of `el` that was not consumed (`id` is always allowed).
    pub fn finish(&self, el: &El<'_>) -> Result<(), LoadError> {
        let used = el.used.borrow();
        for (a, u) in el.e.attrs.iter().zip(used.iter()) {
            if !u && a.name != "id" {
                return Err(self.error(
                    a.offset,
                    LoadErrorKind::UnknownAttribute {
                        element: el.e.name.clone(),
                        attribute: a.name.clone(),
                    },
                ));
            }
        }
        Ok(())
    }

    /// Errors on text inside an element that takes none.
    pub fn deny_text(&self, el: &El<'_>) -> Result<(), LoadError> {
        match el.text() {
            Some(t) => Err(self.error(
                t.offset,
                LoadErrorKind::Syntax(format!("unexpected text inside <{}>", el.e.name)),
            )),
            None => Ok(()),
        }
    }

    /// An "unknown element" error for `child` of `parent`.
    pub fn unknown_child(&self, parent: &Element, child: &Element) -> LoadError {
        self.error(
            child.offset,
            LoadErrorKind::UnknownElement {
                parent: parent.name.clone(),
                element: child.name.clone(),
            },
        )
    }

    /// A required attribute is missing.
    pub fn missing(&self, el: &El<'_>, attr: &str) -> LoadError {
        self.error(
            el.e.offset,
            LoadErrorKind::MissingAttribute {
                element: el.e.name.clone(),
                attribute: attr.into(),
            },
        )
    }

    /// An invalid value.
    pub fn invalid(
        &self,
        el: &El<'_>,
        offset: usize,
        what: &str,
        message: impl Into<String>,
    ) -> LoadError {
        self.error(
            offset,
            LoadErrorKind::InvalidValue {
                element: el.e.name.clone(),
                what: what.into(),
                message: message.into(),
            },
        )
    }

    /// Child policies of `parent`; errors are recorded and the faulty policy skipped.
    pub fn policies(
        &self,
        parent: &Element,
        parent_path: &str,
        section: Option<Section>,
    ) -> Vec<Policy> {
        let mut out = Vec::new();
        let mut index = 0usize;
        for node in &parent.children {
            let el = match node {
                Node::Element(el) => el,
                Node::Text(t) => {
                    self.fail(
                        t.offset,
                        LoadErrorKind::Syntax(format!("unexpected text inside <{}>", parent.name)),
                    );
                    continue;
                }
            };
            index += 1;
            let path = if parent_path.is_empty() {
                format!("{}[{index}]", el.name)
            } else {
                format!("{parent_path}/{}[{index}]", el.name)
            };
            match self.policy(el, &path, section) {
                Ok(p) => out.push(p),
                Err(e) => self.session.push(e),
            }
        }
        out
    }

    /// Position metadata for `el`.
    pub fn meta(&self, el: &Element, name: &'static str, path: &str) -> Meta {
        let (line, col) = self.idx.position(el.offset);
        Meta {
            name,
            id: el
                .attrs
                .iter()
                .find(|a| a.name == "id")
                .map(|a| a.value.as_str().into()),
            path: path.into(),
            file: self.file.clone(),
            line,
            col,
            ..Meta::default()
        }
    }

    fn policy(
        &self,
        el: &Element,
        path: &str,
        section: Option<Section>,
    ) -> Result<Policy, LoadError> {
        let Some(name) = POLICY_NAMES.iter().find(|n| **n == el.name) else {
            return Err(self.error(el.offset, LoadErrorKind::UnknownPolicy(el.name.clone())));
        };
        if let Some(s) = section
            && !allowed(name, s)
        {
            return Err(self.error(
                el.offset,
                LoadErrorKind::Misplaced {
                    policy: el.name.clone(),
                    section: s.name().into(),
                },
            ));
        }
        let reader = El::new(el);
        let kind = match *name {
            "base" => {
                // `<base/>` stands for the parent scope's section, so it only makes sense
                // directly inside a section of a scope document.
                if section.is_none() || path.contains('/') {
                    return Err(self.error(
                        el.offset,
                        LoadErrorKind::Syntax(
                            "<base/> is only allowed directly inside a section".into(),
                        ),
                    ));
                }
                self.deny_text(&reader)?;
                if let Some(child) = el.elements().next() {
                    return Err(self.unknown_child(el, child));
                }
                Kind::Base
            }
            "choose" => flow::choose(self, &reader, path, section)?,
            "include-fragment" => self.include(&reader, path, section)?,
            "set-variable"
            | "set-header"
            | "set-query-parameter"
            | "rewrite-uri"
            | "set-backend-service"
            | "set-method"
            | "set-status"
            | "set-body"
            | "mock-response"
            | "return-response"
            | "forward-request"
            | "send-request"
            | "trace" => transform::load(self, name, &reader)?,
            "validate-jwt"
            | "validate-azure-ad-token"
            | "check-header"
            | "ip-filter"
            | "cors"
            | "authentication-basic"
            | "authentication-managed-identity" => access::load(self, name, &reader)?,
            _ => limits::load(self, name, &reader)?,
        };
        self.finish(&reader)?;
        Ok(Policy {
            meta: self.meta(el, name, path),
            kind,
        })
    }

    fn include(
        &self,
        el: &El<'_>,
        path: &str,
        section: Option<Section>,
    ) -> Result<Kind, LoadError> {
        let id = self.req_literal(el, "fragment-id")?;
        self.deny_text(el)?;
        let offset = el
            .attr("fragment-id")
            .map_or(el.e.offset, |a| a.value_offset);
        let fragment = self
            .session
            .fragment(&id)
            .map_err(|m| self.error(offset, LoadErrorKind::Fragment(id.clone(), m)))?
            .ok_or_else(|| {
                self.error(
                    offset,
                    LoadErrorKind::Fragment(id.clone(), "the fragment has errors".into()),
                )
            })?;
        let mut policies = fragment;
        for p in &mut policies {
            prefix_paths(p, path);
            if let Some(s) = section {
                check_sections(p, s)?;
            }
        }
        Ok(Kind::Fragment(policies))
    }
}

/// Parses `true`/`false` as APIM does (case-insensitively).
pub fn parse_bool(s: &str) -> Option<bool> {
    crate::expr::ops::parse_bool(s)
}

fn prefix_paths(p: &mut Policy, prefix: &str) {
    p.meta.path = format!("{prefix}/{}", p.meta.path).into();
    for child in children_mut(&mut p.kind) {
        prefix_paths(child, prefix);
    }
}

/// Checks that an inlined fragment's policies may run in `section`.
fn check_sections(p: &Policy, section: Section) -> Result<(), LoadError> {
    if !allowed(p.meta.name, section) {
        return Err(LoadError {
            file: p.meta.file.to_string(),
            line: p.meta.line,
            col: p.meta.col,
            kind: LoadErrorKind::Misplaced {
                policy: p.meta.name.into(),
                section: section.name().into(),
            },
        });
    }
    children(&p.kind).try_for_each(|c| check_sections(c, section))
}
